//! The relief intake service: discovery, referral, admission, in-station care, incidents and departure: the case of one stay (DOMAIN.md section 1).
//!
//! [`run`] serves `relief.intake.v1.IntakeService` (plus health and reflection) on an already-bound
//! listener; the `relief-intake` binary and `relief dev` both call it.

mod api;
mod care;
mod cases;
mod departure;
mod encounters;
mod flags;
mod foster_events;
mod identity_events;
mod incidents;
mod policy;
mod refusals;
mod rescue_points;
mod sightings;
mod units;

use std::future::Future;
use std::sync::Arc;

use relief_proto::intake::v1::intake_service_server::IntakeServiceServer;
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
pub const GRPC_SERVICE: &str = "relief.intake.v1.IntakeService";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The columns of personal data this service encrypts; `relief reencrypt` rewrites them.
pub const SENSITIVE_COLUMNS: &[SensitiveColumn] = &[cases::PERSON_COLUMN];

/// How the intake service starts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "intake",
    default_port: 50051,
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
    encounters::IDENTIFICATION_REQUESTED_NOTIFICATION,
    encounters::IDENTIFICATION_OVERDUE_NOTIFICATION,
    cases::stay::STAY_NOTIFICATION,
    incidents::INCIDENT_NOTIFICATION,
    incidents::ABUSE_NOTIFICATION,
    departure::follow_up::GUARDIAN_ABUSE_NOTIFICATION,
    departure::follow_up::OVERDUE_NOTIFICATION,
];

/// The deadline handlers [`run`] registers, with their kinds.
fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    encounters::deadline_handlers()
        .into_iter()
        .chain(cases::deadline_handlers())
        .chain(departure::deadline_handlers())
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
    let api = IntakeServiceServer::new(api::IntakeServiceApi::new(&context))
        .max_decoding_message_size(context.max_message_bytes());
    let mut parts = ServiceParts::new(Routes::new(api), policy());
    parts.deadline_handlers.extend(deadline_handlers());
    parts.event_handlers.insert(
        "identity",
        Arc::new(identity_events::IdentityEvents::new(&context)) as _,
    );
    parts.event_handlers.insert(
        "foster",
        Arc::new(foster_events::FosterEvents::new(&context)) as _,
    );
    serve(&SPEC, &context, listener, parts, shutdown).await
}
