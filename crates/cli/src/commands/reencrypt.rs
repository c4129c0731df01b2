//! `relief reencrypt SERVICE`: after a key rotation (a new `personal_data.active_key`, the old
//! key still configured), rewrites every ciphertext of the service's personal-data columns under
//! the active key, so the old key can then be removed. Configured like the service itself
//! (`RELIEF_*` and `--config`), as `relief migrate` is; safe to run while the service serves, and
//! running it again changes nothing.

use std::path::Path;

use anyhow::Context as _;
use relief_runtime::ServiceConfig;
use relief_runtime::config::exit_on_error;
use relief_runtime::db::Db;
use relief_runtime::personal_data::{self, PersonalData, SensitiveColumn};

use crate::services;

/// The personal-data columns each service declares.
pub fn sensitive_columns(service: &str) -> Option<&'static [SensitiveColumn]> {
    match service {
        "intake" => Some(relief_intake::SENSITIVE_COLUMNS),
        "identity" => Some(relief_identity::SENSITIVE_COLUMNS),
        "foster" => Some(relief_foster::SENSITIVE_COLUMNS),
        "reporting" => Some(relief_reporting::SENSITIVE_COLUMNS),
        _ => None,
    }
}

/// Re-encrypts one service's personal-data columns, configured as the service itself would be.
pub async fn run(service: &str, config_file: Option<&Path>, batch_size: u32) -> anyhow::Result<()> {
    let entry = services::by_name(service).with_context(|| {
        format!(
            "unknown service {service:?}; one of {}",
            services::names().join(", ")
        )
    })?;
    let columns = sensitive_columns(entry.spec.name)
        .with_context(|| format!("no personal-data column list for {service}"))?;
    let config = exit_on_error(ServiceConfig::load(entry.spec.default_port, config_file));
    let keys = exit_on_error(PersonalData::from_config(&config.personal_data)).context(
        "no personal-data keys are configured (personal_data.active_key, personal_data.keys)",
    )?;
    if columns.is_empty() {
        println!("{service}: no personal-data columns; nothing to re-encrypt");
        return Ok(());
    }
    let db = Db::connect(
        &config.database_url(entry.spec.name),
        config.database_max_connections,
        entry.spec.migrations,
    )
    .await?;
    let result = personal_data::reencrypt(&db, &keys, columns, batch_size).await;
    db.close().await;
    let counts = result.with_context(|| format!("{service}: re-encryption stopped"))?;
    for count in counts {
        println!(
            "{service}: {}: {} rewritten under {}, {} changed meanwhile (run again to finish them)",
            count.column,
            count.rewritten,
            keys.active_key_id(),
            count.skipped
        );
    }
    Ok(())
}
