//! The relief reporting service: read models built from the other services' events: dashboard, period statistics, compliance, accountability, alerts and exports (DOMAIN.md section 4).
//!
//! [`run`] serves `relief.reporting.v1.ReportingService` (plus health and reflection) on an already-bound
//! listener; the `relief-reporting` binary and `relief dev` both call it.

pub mod accountability;
mod api;
pub mod areas;
mod export;
pub mod facts;
pub mod ingest;
mod policy;
mod reads;
pub mod time;

use std::future::Future;

use relief_proto::reporting::v1::reporting_service_server::ReportingServiceServer;
use relief_runtime::db::Migrations;
use relief_runtime::personal_data::SensitiveColumn;
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::{Clock, RunError, ServiceConfig, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use policy::policy;

/// The full protobuf name of the service.
pub const GRPC_SERVICE: &str = "relief.reporting.v1.ReportingService";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The columns of personal data this service encrypts; `relief reencrypt` rewrites them.
pub const SENSITIVE_COLUMNS: &[SensitiveColumn] = &[];

/// How the reporting service starts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "reporting",
    default_port: 50054,
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
    let api = ReportingServiceServer::new(api::ReportingServiceApi::new(&context))
        .max_decoding_message_size(context.max_message_bytes());
    let mut parts = ServiceParts::new(Routes::new(api), policy());
    for source in ingest::SOURCES {
        parts.event_handlers.insert(
            source,
            std::sync::Arc::new(ingest::Ingest::new(source)) as _,
        );
    }
    let (stop_heads, heads_stopped) = tokio::sync::watch::channel(());
    let heads = tokio::spawn(reads::ingestion::refresh_heads_until(
        context.clone(),
        heads_stopped,
    ));
    let served = serve(&SPEC, &context, listener, parts, shutdown).await;
    drop(stop_heads);
    if let Err(error) = heads.await {
        tracing::warn!(%error, "the feed head refresh ended abnormally");
    }
    served
}
