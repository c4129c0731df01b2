//! `relief migrate SERVICE`: applies a service's migrations to its configured database and exits
//! (deployments run it before a rolling restart; services also migrate at start).

use std::path::Path;

use anyhow::Context as _;
use relief_runtime::ServiceConfig;
use relief_runtime::config::exit_on_error;
use relief_runtime::db::Db;

use crate::services;

/// Migrates one service's database, configured as the service itself would be.
pub async fn run(service: &str, config_file: Option<&Path>) -> anyhow::Result<()> {
    let entry = services::by_name(service).with_context(|| {
        format!(
            "unknown service {service:?}; one of {}",
            services::names().join(", ")
        )
    })?;
    let config = exit_on_error(ServiceConfig::load(entry.spec.default_port, config_file));
    let db = Db::connect(
        &config.database_url(entry.spec.name),
        config.database_max_connections,
        entry.spec.migrations,
    )
    .await?;
    println!("{service}: migrations applied ({:?})", db.backend());
    db.close().await;
    Ok(())
}
