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

use relief_proto::foster::v1::foster_supervision_service_server::FosterSupervisionServiceServer;
use relief_runtime::db::Migrations;
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
    let handlers = institutions::expiry::deadline_handlers()
        .into_iter()
        .chain(fees::deadline_handlers())
        .chain(supervision::deadline_handlers())
        .chain(inspections::deadline_handlers())
        .chain(open_days::deadline_handlers());
    for (kind, handler) in handlers {
        parts.deadline_handlers.insert(kind, handler);
    }
    parts.event_handlers.insert(
        "identity",
        std::sync::Arc::new(identity_events::IdentityEvents::new(&context)) as _,
    );
    serve(&SPEC, &context, listener, parts, shutdown).await
}
