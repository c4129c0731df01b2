//! What every relief service shares, one place for each idea.
//!
//! - [`config`]: defaults, TOML file, `RELIEF_*` environment, validation; exit 64 on bad config.
//! - [`telemetry`]: logs, OTLP traces and metrics, W3C trace context across calls.
//! - [`server`]: the bootstrap and tower stack; [`launch`]: a service binary's `main`.
//! - [`caller`], [`auth`], [`tls`], [`pki`]: mTLS identities and the per-RPC allow-list.
//! - [`error`]: the one mapping from domain failures to gRPC statuses.
//! - [`db`]: typed SQLite and PostgreSQL pools with one SQL text per query.
//! - [`units`]: reference data on the fixed units.

pub mod admin;
pub mod auth;
pub mod caller;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod deadlines;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod launch;
pub mod notifications;
pub mod paging;
pub mod personal_data;
pub mod pki;
pub mod scope;
pub mod secret;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod units;
pub mod validate;

pub use auth::{AccessPolicy, caller};
pub use caller::{Caller, CallerKind};
pub use clock::Clock;
pub use config::ServiceConfig;
pub use db::{Db, Tx};
pub use error::{ApiError, FieldViolation};
pub use server::{RunError, ServiceContext, ServiceParts, ServiceSpec};
