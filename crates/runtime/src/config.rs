//! Service configuration: defaults in code, then an optional TOML file, then `RELIEF_*`
//! environment variables (env wins; `__` separates nested keys, e.g.
//! `RELIEF_LIMITS__REQUEST_TIMEOUT_MS`), then [`ServiceConfig::validate`].
//!
//! A bad configuration is reported with the key it concerns, and binaries exit with code 64
//! (`EX_USAGE`), as [`exit_on_error`] does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The exit code of a process refused for its configuration (sysexits `EX_USAGE`).
pub const EXIT_BAD_CONFIG: i32 = 64;

/// The environment variable naming an optional TOML configuration file.
pub const CONFIG_FILE_ENV: &str = "RELIEF_CONFIG";

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The limits of the server's tower stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// A call running longer than this is cancelled with DEADLINE_EXCEEDED.
    pub request_timeout_ms: u64,
    /// Calls served at once; past it new calls are shed with UNAVAILABLE.
    pub max_concurrent_requests: usize,
    /// Sustained calls per second one caller unit may make; past it RESOURCE_EXHAUSTED.
    pub per_caller_requests_per_second: u32,
    /// Calls one caller unit may make in a burst above the sustained rate.
    pub per_caller_burst: u32,
    /// The largest request message accepted, in bytes.
    pub max_message_bytes: usize,
    /// How long a shutdown waits for in-flight calls to finish.
    pub shutdown_grace_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            request_timeout_ms: 30_000,
            max_concurrent_requests: 512,
            per_caller_requests_per_second: 200,
            per_caller_burst: 400,
            max_message_bytes: 1024 * 1024,
            shutdown_grace_ms: 20_000,
        }
    }
}

/// Everything one service process needs to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Serve plaintext gRPC without TLS; refused unless `listen` is a loopback address.
    pub insecure: bool,
    /// PEM file of the CA that signs every relief certificate.
    pub tls_ca_file: PathBuf,
    /// PEM certificate this service presents (its URI SAN names it as a `service` caller).
    pub tls_cert_file: PathBuf,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; default `sqlite://<data_dir>/<service>.db`.
    pub database_url: Option<Secret<String>>,
    /// Database connections in the pool (PostgreSQL; SQLite writers are serialised anyway).
    pub database_max_connections: u32,
    /// Where the service keeps local state (SQLite files, the dev clock offset).
    pub data_dir: PathBuf,
    /// The units reference file.
    pub units_file: PathBuf,
    /// The holiday calendar file.
    pub holidays_file: PathBuf,
    /// The county fee rates file (foster only, read at its start); `None`: the copy of
    /// `deploy/foster_rates.toml` built into the foster binary.
    pub rates_file: Option<PathBuf>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter in `tracing` EnvFilter syntax; `RUST_LOG` overrides it when set.
    pub log_filter: String,
    /// Limits of the tower stack.
    pub limits: LimitsConfig,
    /// Where the other services are, for event feeds and reads.
    pub peers: PeersConfig,
    /// Event feeds, deadlines and background work.
    pub events: EventsConfig,
    /// Keys protecting personal data.
    pub personal_data: PersonalDataConfig,
    /// The configurable numbers of the domain's deadlines (DOMAIN.md, "Deadlines and
    /// escalations"); the defaults are the rules as written.
    pub rules: RulesConfig,
    /// `None`: the system clock. `Some("")`: a dev clock starting now. `Some(RFC 3339 instant)`:
    /// a dev clock starting then. Never on by default; see [`crate::clock`].
    pub dev_clock: Option<String>,
}

/// The `https://host:port` of each service (defaults: loopback at the default ports, as in
/// `relief dev`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeersConfig {
    /// The intake service.
    pub intake: String,
    /// The identity service.
    pub identity: String,
    /// The foster service.
    pub foster: String,
    /// The reporting service.
    pub reporting: String,
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            intake: "https://127.0.0.1:50051".to_owned(),
            identity: "https://127.0.0.1:50052".to_owned(),
            foster: "https://127.0.0.1:50053".to_owned(),
            reporting: "https://127.0.0.1:50054".to_owned(),
        }
    }
}

impl PeersConfig {
    /// Sets the URL of the service called `name`; false if there is no such service.
    pub fn set(&mut self, name: &str, url: String) -> bool {
        let slot = match name {
            "intake" => &mut self.intake,
            "identity" => &mut self.identity,
            "foster" => &mut self.foster,
            "reporting" => &mut self.reporting,
            _ => return false,
        };
        *slot = url;
        true
    }

    /// The URL of the service called `name`.
    pub fn url(&self, name: &str) -> Option<&str> {
        match name {
            "intake" => Some(&self.intake),
            "identity" => Some(&self.identity),
            "foster" => Some(&self.foster),
            "reporting" => Some(&self.reporting),
            _ => None,
        }
    }
}

/// Background work: feeds, consumers, the deadline sweeper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// The safety-net poll of an event feed and of the deadline sweeper; commits and clock
    /// changes wake them at once, so this only bounds the delay if a wake-up is lost.
    pub poll_interval_ms: u64,
    /// How long a consumer's lease lasts without renewal before another replica may take over.
    pub lease_ttl_ms: u64,
    /// Whether this process runs the consumers and the sweeper (false for a read-only replica).
    pub background: bool,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            poll_interval_ms: 5_000,
            lease_ttl_ms: 15_000,
            background: true,
        }
    }
}

/// The numbers of the domain's deadlines that operators may tune (DOMAIN.md: "All configurable;
/// defaults below"). The defaults are the rules as DOMAIN.md states them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Hours after admission within which a family-search notice is due (identity unknown).
    pub notice_hours: u32,
    /// Working days after admission within which a verification request is due.
    pub verification_filing_working_days: u32,
    /// Working days after filing after which an unacknowledged request is deemed received.
    pub verification_acknowledge_working_days: u32,
    /// The police's answer period, in months from receipt (an act period).
    pub verification_answer_months: u32,
    /// Days before the answer's due time at which the addressed unit is reminded.
    pub verification_reminder_days: Vec<u32>,
    /// Months after the stay began from which an unidentified person is stranded (a status
    /// duration).
    pub stranded_months: u32,
    /// Hours a recipient has to acknowledge an identity notification before it escalates.
    pub notification_acknowledge_hours: u32,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            notice_hours: 24,
            verification_filing_working_days: 7,
            verification_acknowledge_working_days: 3,
            verification_answer_months: 1,
            verification_reminder_days: vec![7, 1],
            stranded_months: 3,
            notification_acknowledge_hours: 24,
        }
    }
}

/// Keys protecting personal data at rest (AES-256-GCM) and the blind index (HMAC-SHA256).
/// Keys are base64 of 32 random bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonalDataConfig {
    /// The key id new ciphertexts are written with.
    pub active_key: String,
    /// Every key id that may still be needed to decrypt, with its key.
    pub keys: std::collections::BTreeMap<String, Secret<String>>,
    /// The blind-index key, shared by the services that match on it.
    pub blind_index_key: Option<Secret<String>>,
}

/// A configuration that cannot be used, with the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    /// The offending key, dotted (`limits.request_timeout_ms`); `RELIEF_` + upper case with `__`
    /// for dots is its environment variable.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

impl ServiceConfig {
    /// The defaults for a service: loopback, its default port, files under `./data` and `deploy/`.
    pub fn defaults(default_port: u16) -> Self {
        ServiceConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], default_port)),
            insecure: false,
            tls_ca_file: PathBuf::from("data/pki/ca.pem"),
            tls_cert_file: PathBuf::from("data/pki/service.pem"),
            tls_key_file: PathBuf::from("data/pki/service.key"),
            database_url: None,
            database_max_connections: 10,
            data_dir: PathBuf::from("data"),
            units_file: PathBuf::from("deploy/units.toml"),
            holidays_file: PathBuf::from("deploy/holidays.toml"),
            rates_file: None,
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            limits: LimitsConfig::default(),
            peers: PeersConfig::default(),
            events: EventsConfig::default(),
            personal_data: PersonalDataConfig::default(),
            rules: RulesConfig::default(),
            dev_clock: None,
        }
    }

    /// Loads defaults, then the TOML file named by `file` (or by `RELIEF_CONFIG`), then `RELIEF_*`
    /// environment variables, and validates the result.
    pub fn load(default_port: u16, file: Option<&Path>) -> Result<Self, ConfigError> {
        let file_from_env = std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(file_from_env);
        let mut figment = Figment::from(Serialized::defaults(Self::defaults(default_port)));
        if let Some(file) = &file {
            if !file.is_file() {
                return Err(ConfigError::new(
                    "config",
                    format!("configuration file {} does not exist", file.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let env = Env::prefixed("RELIEF_")
            .split("__")
            // RELIEF_CONFIG names the file; RELIEF_TEST_* belongs to the test suite.
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                key != "config" && !key.starts_with("test_")
            });
        let config: ServiceConfig = figment
            .merge(env)
            .extract()
            .map_err(|error| figment_error(&error))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.insecure && !self.listen.ip().is_loopback() {
            return Err(ConfigError::new(
                "insecure",
                format!(
                    "plaintext is allowed only on a loopback address, not {}",
                    self.listen
                ),
            ));
        }
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(ConfigError::new(
                    "database_url",
                    "must start with sqlite:, postgres:// or postgresql://",
                ));
            }
        }
        let limits = &self.limits;
        let positive = [
            ("limits.request_timeout_ms", limits.request_timeout_ms),
            (
                "limits.max_concurrent_requests",
                limits.max_concurrent_requests as u64,
            ),
            (
                "limits.per_caller_requests_per_second",
                u64::from(limits.per_caller_requests_per_second),
            ),
            (
                "limits.per_caller_burst",
                u64::from(limits.per_caller_burst),
            ),
            ("limits.max_message_bytes", limits.max_message_bytes as u64),
            (
                "database_max_connections",
                u64::from(self.database_max_connections),
            ),
            ("rules.notice_hours", u64::from(self.rules.notice_hours)),
            (
                "rules.verification_filing_working_days",
                u64::from(self.rules.verification_filing_working_days),
            ),
            (
                "rules.verification_acknowledge_working_days",
                u64::from(self.rules.verification_acknowledge_working_days),
            ),
            (
                "rules.verification_answer_months",
                u64::from(self.rules.verification_answer_months),
            ),
            (
                "rules.stranded_months",
                u64::from(self.rules.stranded_months),
            ),
            (
                "rules.notification_acknowledge_hours",
                u64::from(self.rules.notification_acknowledge_hours),
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::new(key, "must be greater than 0"));
            }
        }
        // A reminder must fall inside the answer period (at most ~28 days per month of it).
        let longest = u64::from(self.rules.verification_answer_months) * 28;
        if let Some(days) = self
            .rules
            .verification_reminder_days
            .iter()
            .find(|days| **days == 0 || u64::from(**days) >= longest)
        {
            return Err(ConfigError::new(
                "rules.verification_reminder_days",
                format!("{days} is not a number of days inside the answer period"),
            ));
        }
        if self
            .log_filter
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(ConfigError::new(
                "log_filter",
                "is not a valid tracing filter",
            ));
        }
        Ok(())
    }

    /// The database URL, defaulting to an SQLite file named after the service in `data_dir`.
    pub fn database_url(&self, service: &str) -> Secret<String> {
        match &self.database_url {
            Some(url) => url.clone(),
            None => Secret::new(format!(
                "sqlite://{}",
                self.data_dir.join(format!("{service}.db")).display()
            )),
        }
    }
}

fn figment_error(error: &figment::Error) -> ConfigError {
    let key = if error.path.is_empty() {
        "(top level)".to_owned()
    } else {
        error.path.join(".")
    };
    ConfigError::new(&key, error.kind.to_string())
}

/// Prints a configuration error and exits with [`EXIT_BAD_CONFIG`]. For binaries' `main`.
pub fn exit_on_error<T>(result: Result<T, ConfigError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(EXIT_BAD_CONFIG);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        ServiceConfig::defaults(50051).validate().unwrap();
    }

    #[test]
    fn insecure_off_loopback_is_refused_naming_the_key() {
        let mut config = ServiceConfig::defaults(50051);
        config.insecure = true;
        config.listen = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(config.validate().unwrap_err().key, "insecure");
    }

    #[test]
    fn zero_limits_are_refused_naming_the_key() {
        let mut config = ServiceConfig::defaults(50051);
        config.limits.per_caller_burst = 0;
        assert_eq!(
            config.validate().unwrap_err().key,
            "limits.per_caller_burst"
        );
    }

    #[test]
    fn a_file_is_read_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "log_format = \"json\"\n[limits]\nper_caller_burst = 7\n",
        )
        .unwrap();
        let config = ServiceConfig::load(50051, Some(&good)).unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.limits.per_caller_burst, 7);

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[limits]\nper_caller_brust = 7\n").unwrap();
        let error = ServiceConfig::load(50051, Some(&bad)).unwrap_err();
        assert!(error.message.contains("per_caller_brust"), "{error}");
    }

    #[test]
    fn a_wrong_type_names_the_nested_key() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[limits]\nrequest_timeout_ms = \"soon\"\n").unwrap();
        let error = ServiceConfig::load(50051, Some(&bad)).unwrap_err();
        assert_eq!(error.key, "limits.request_timeout_ms");
    }

    #[test]
    fn deadline_rules_are_read_from_a_file_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rules.toml");
        std::fs::write(
            &file,
            "[rules]\nverification_reminder_days = [10, 3, 1]\nstranded_months = 6\n",
        )
        .unwrap();
        let config = ServiceConfig::load(50051, Some(&file)).unwrap();
        assert_eq!(config.rules.verification_reminder_days, [10, 3, 1]);
        assert_eq!(config.rules.stranded_months, 6);
        assert_eq!(
            config.rules.notice_hours, 24,
            "unset rules keep their default"
        );

        let mut config = ServiceConfig::defaults(50051);
        config.rules.verification_reminder_days = vec![7, 40];
        assert_eq!(
            config.validate().unwrap_err().key,
            "rules.verification_reminder_days"
        );
        let mut config = ServiceConfig::defaults(50051);
        config.rules.verification_answer_months = 0;
        assert_eq!(
            config.validate().unwrap_err().key,
            "rules.verification_answer_months"
        );
    }

    #[test]
    fn the_rates_file_is_optional_and_read_from_a_file() {
        assert_eq!(ServiceConfig::defaults(50053).rates_file, None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("foster.toml");
        std::fs::write(&file, "rates_file = \"/etc/relief/foster_rates.toml\"\n").unwrap();
        let config = ServiceConfig::load(50053, Some(&file)).unwrap();
        assert_eq!(
            config.rates_file.as_deref(),
            Some(Path::new("/etc/relief/foster_rates.toml"))
        );
    }

    #[test]
    fn debug_hides_the_database_url() {
        let mut config = ServiceConfig::defaults(50051);
        config.database_url = Some(Secret::new("postgres://u:pw-secret@h/db".into()));
        assert!(!format!("{config:?}").contains("pw-secret"));
    }
}
