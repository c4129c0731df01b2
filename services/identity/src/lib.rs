//! The relief identity service: identity files, family-search notices, police verification requests with their one-month answer deadline, the stranded register, settlement and household restoration (DOMAIN.md section 2).
//!
//! [`run`] serves `relief.identity.v1.IdentityQueryService` (plus health and reflection) on an already-bound
//! listener; the `relief-identity` binary and `relief dev` both call it.

mod api;
mod consumer;
mod files;
mod identity;
mod notices;
mod policy;
mod restoration;
mod settlement;
mod stranded;
mod units;
mod verification;

use std::future::Future;
use std::sync::Arc;

use relief_proto::identity::v1::identity_query_service_server::IdentityQueryServiceServer;
use relief_runtime::db::Migrations;
use relief_runtime::deadlines::DeadlineHandler;
use relief_runtime::personal_data::SensitiveColumn;
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::{Clock, RunError, ServiceConfig, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use policy::policy;

/// The full protobuf name of the service.
pub const GRPC_SERVICE: &str = "relief.identity.v1.IdentityQueryService";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The columns of personal data this service encrypts; `relief reencrypt` rewrites them.
pub const SENSITIVE_COLUMNS: &[SensitiveColumn] = &[
    identity::FILE_IDENTITY_COLUMN,
    identity::RESULT_IDENTITY_COLUMN,
    identity::RESULT_SAMPLE_COLUMN,
];

/// How the identity service starts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "identity",
    default_port: 50052,
    grpc_services: &[GRPC_SERVICE],
    migrations: Some(Migrations {
        sqlite: &SQLITE_MIGRATIONS,
        postgres: &POSTGRES_MIGRATIONS,
    }),
};

/// Every deadline kind the service schedules: the kinds of the handlers [`run`] registers, so a
/// kind cannot be scheduled without being listed here. The runtime's own acknowledgement deadline
/// (`relief_runtime::notifications::ACK_DEADLINE_KIND`) is not listed.
pub fn deadline_kinds() -> Vec<&'static str> {
    deadline_handlers()
        .into_iter()
        .map(|(kind, _)| kind)
        .collect()
}

/// Every notification kind the service issues, the constants its issuing code uses (a test in
/// relief-reporting checks the sources against this list). The runtime's escalation
/// (`relief_runtime::notifications::ESCALATION_KIND`) is not listed.
pub const NOTIFICATION_KINDS: &[&str] = &[
    files::deadlines::NOTICE_OVERDUE,
    files::deadlines::FILING_OVERDUE,
    notices::refresh::REFRESH_OVERDUE_NOTIFICATION,
    stranded::register::STRANDED_NOTIFICATION,
    verification::deadlines::NOT_ACKNOWLEDGED_NOTIFICATION,
    verification::deadlines::ANSWER_DUE_NOTIFICATION,
    verification::deadlines::OVERDUE_NOTIFICATION,
    settlement::SETTLEMENT_FILED_NOTIFICATION,
    settlement::SETTLEMENT_DECIDED_NOTIFICATION,
    restoration::RESTORATION_REQUESTED_NOTIFICATION,
];

/// The deadline handlers [`run`] registers, with their kinds.
fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    files::deadline_handlers()
        .into_iter()
        .chain(notices::deadline_handlers())
        .chain(stranded::deadline_handlers())
        .chain(verification::deadline_handlers())
        .collect()
}

/// Opens the service's database and reference data, then serves until `shutdown` resolves.
pub async fn run(
    config: ServiceConfig,
    clock: Clock,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    let context = ServiceContext::open(&SPEC, config, clock).await?;
    let api = IdentityQueryServiceServer::new(api::IdentityQueryServiceApi::new(&context))
        .max_decoding_message_size(context.max_message_bytes());
    let mut parts = ServiceParts::new(Routes::new(api), policy());
    parts.deadline_handlers.extend(deadline_handlers());
    parts.event_handlers.insert(
        "intake",
        Arc::new(consumer::IntakeEvents::new(&context)) as _,
    );
    parts
        .event_handlers
        .insert("foster", Arc::new(consumer::foster::FosterEvents) as _);
    serve(&SPEC, &context, listener, parts, shutdown).await
}
