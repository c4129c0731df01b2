//! The relief foster service: foster institutions, agreements, placements, fees, monthly visits, periodic reports, incidents and inspections (DOMAIN.md section 3).
//!
//! [`run`] serves `relief.foster.v1.FosterSupervisionService` (plus health and reflection) on an already-bound
//! listener; the `relief-foster` binary and `relief dev` both call it.

mod agreements;
mod api;
mod fees;
mod identity_events;
mod incidents;
mod inspections;
mod institutions;
mod open_days;
mod placements;
mod policy;
mod supervision;
mod units;

use std::future::Future;
use std::sync::Arc;

use relief_proto::foster::v1::foster_supervision_service_server::FosterSupervisionServiceServer;
use relief_runtime::db::Migrations;
use relief_runtime::deadlines::DeadlineHandler;
use relief_runtime::personal_data::SensitiveColumn;
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::{Clock, RunError, ServiceConfig, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use institutions::store::InstitutionRow;
pub use institutions::{INSTITUTION_DOCUMENTS_EXPIRED, INSTITUTION_SUSPENDED, accepts_placements};
pub use policy::policy;

/// The full protobuf name of the service.
pub const GRPC_SERVICE: &str = "relief.foster.v1.FosterSupervisionService";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The columns of personal data this service encrypts; `relief reencrypt` rewrites them.
pub const SENSITIVE_COLUMNS: &[SensitiveColumn] = &[];

/// How the foster service starts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "foster",
    default_port: 50053,
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
    fees::FEE_RATES_MISSING,
    institutions::expiry::EXPIRING_NOTIFICATION,
    institutions::expiry::EXPIRED_NOTIFICATION,
    supervision::clocks::VISIT_OVERDUE_NOTIFICATION,
    supervision::clocks::REPORT_OVERDUE_NOTIFICATION,
    inspections::overdue::RECTIFICATION_OVERDUE_NOTIFICATION,
    incidents::INCIDENT_NOTIFICATION,
    identity_events::IDENTITY_CONFIRMED_NOTIFICATION,
    open_days::missed::OPEN_DAY_MISSED_NOTIFICATION,
];

/// The deadline handlers [`run`] registers, with their kinds.
fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    institutions::expiry::deadline_handlers()
        .into_iter()
        .chain(fees::deadline_handlers())
        .chain(supervision::deadline_handlers())
        .chain(inspections::deadline_handlers())
        .chain(open_days::deadline_handlers())
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
    let api = FosterSupervisionServiceServer::new(api::FosterSupervisionServiceApi::new(&context))
        .max_decoding_message_size(context.max_message_bytes());
    let mut parts = ServiceParts::new(Routes::new(api), policy());
    fees::start(&context).await?;
    open_days::start(&context).await?;
    parts.deadline_handlers.extend(deadline_handlers());
    parts.event_handlers.insert(
        "identity",
        Arc::new(identity_events::IdentityEvents::new(&context)) as _,
    );
    serve(&SPEC, &context, listener, parts, shutdown).await
}
