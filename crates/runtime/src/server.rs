//! Server bootstrap: what every relief service does to start, serve and stop.
//!
//! A service crate declares a [`ServiceSpec`], opens a [`ServiceContext`] (database with
//! migrations, units, holiday calendar, TLS material) and hands its routes to [`serve`], which
//! adds health and reflection, wraps everything in the tower stack below, and serves on an
//! already-bound listener until the shutdown future resolves.

mod overload;
mod rate_limit;
mod rpc_telemetry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use overload::ShedOverloadLayer;
pub use rate_limit::CallerRateLimitLayer;
pub use rpc_telemetry::RpcTelemetryLayer;

use crate::auth::{AccessPolicy, AuthLayer};
use crate::clock::Clock;
use crate::config::{ConfigError, ServiceConfig};
use crate::db::{Db, DbError, Migrations};
use crate::tls::TlsMaterial;
use crate::units::Units;

/// What distinguishes one relief service from another at start-up.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name: `intake`, `identity`, `foster`, `reporting`.
    pub name: &'static str,
    /// The port it listens on unless configured otherwise.
    pub default_port: u16,
    /// The full protobuf names of the gRPC services it serves (health reports each).
    pub grpc_services: &'static [&'static str],
    /// Its own migrations, applied after the runtime's.
    pub migrations: Option<Migrations>,
}

/// Why a service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration cannot be used (exit code 64).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The transport failed.
    #[error("server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Binding the listener failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl RunError {
    /// The process exit code for this error: 64 for configuration, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Config(_) => crate::config::EXIT_BAD_CONFIG as u8,
            _ => 1,
        }
    }
}

/// What a running service holds: configuration, database, reference data, TLS material.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    /// The service's configuration.
    pub config: ServiceConfig,
    /// Its database, migrated.
    pub db: Db,
    /// The fixed units.
    pub units: Arc<Units>,
    /// The holiday calendar every deadline is computed with.
    pub holidays: Arc<relief_legal::HolidayCalendar>,
    /// Certificates, unless the service runs in plaintext mode.
    pub tls: Option<TlsMaterial>,
    /// The process clock: every "now" of the service comes from it.
    pub clock: Clock,
}

impl ServiceContext {
    /// Loads reference data and TLS files (a missing or bad file is a configuration error naming
    /// its key), then connects to and migrates the database.
    pub async fn open(
        spec: &ServiceSpec,
        config: ServiceConfig,
        clock: Clock,
    ) -> Result<Self, RunError> {
        let config_error = |key: &str, message: String| ConfigError {
            key: key.to_owned(),
            message,
        };
        let units = Units::load(&config.units_file)
            .map_err(|e| config_error("units_file", e.to_string()))?;
        let holidays_text = std::fs::read_to_string(&config.holidays_file).map_err(|e| {
            config_error(
                "holidays_file",
                format!("cannot read {}: {e}", config.holidays_file.display()),
            )
        })?;
        let holidays = relief_legal::HolidayCalendar::from_toml_str(&holidays_text)
            .map_err(|e| config_error("holidays_file", e.to_string()))?;
        let tls = if config.insecure {
            None
        } else {
            Some(
                TlsMaterial::from_files(
                    &config.tls_ca_file,
                    &config.tls_cert_file,
                    &config.tls_key_file,
                )
                .map_err(|e| config_error(e.key, e.to_string()))?,
            )
        };
        let db = Db::connect(
            &config.database_url(spec.name),
            config.database_max_connections,
            spec.migrations,
        )
        .await?;
        Ok(ServiceContext {
            config,
            db,
            units: Arc::new(units),
            holidays: Arc::new(holidays),
            tls,
            clock,
        })
    }

    /// The largest request message a generated server should accept.
    pub fn max_message_bytes(&self) -> usize {
        self.config.limits.max_message_bytes
    }
}

/// Serves `routes` plus health and reflection on `listener` until `shutdown` resolves, then
/// reports NOT_SERVING, stops accepting, and lets in-flight calls finish within the configured
/// grace period.
pub async fn serve(
    spec: &ServiceSpec,
    context: &ServiceContext,
    listener: TcpListener,
    policy: AccessPolicy,
    routes: Routes,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    let limits = &context.config.limits;
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in spec.grpc_services {
        health
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    health.set_service_status("", ServingStatus::Serving).await;

    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(relief_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in spec.grpc_services {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let reflection_error = |e: tonic_reflection::server::Error| ConfigError {
        key: "reflection".to_owned(),
        message: e.to_string(),
    };
    let reflection_v1 = reflection().build_v1().map_err(reflection_error)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(reflection_error)?;

    // Outermost first. Each layer sees what the ones above let through.
    let stack = tower::ServiceBuilder::new()
        // First, so every call, refused or served, has a span (continuing the caller's trace)
        // and is counted with its status code.
        .layer(RpcTelemetryLayer::new(spec.name))
        // Identity and the per-RPC allow-list before anything costs us work; PERMISSION_DENIED
        // is decided before any handler or database access.
        .layer(AuthLayer::new(Arc::new(policy), context.tls.is_none()))
        // Per caller, after auth (it needs the caller), so one unit cannot starve the others.
        .layer(CallerRateLimitLayer::new(
            limits.per_caller_requests_per_second,
            limits.per_caller_burst,
        ))
        // A global cap on calls in flight; beyond it, shed at once with UNAVAILABLE rather than
        // queue until every call times out.
        .layer(ShedOverloadLayer::new(limits.max_concurrent_requests))
        .into_inner();

    let mut builder = Server::builder()
        // Innermost: a call that runs past the request timeout is cancelled.
        .timeout(Duration::from_millis(limits.request_timeout_ms))
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)));
    if let Some(tls) = &context.tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    let local_addr = listener.local_addr().ok();
    let (stop_accepting, stop_signal) = tokio::sync::oneshot::channel::<()>();
    let server = builder
        .layer(stack)
        .add_routes(routes)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
            let _ = stop_signal.await;
        });
    tracing::info!(
        service = spec.name,
        addr = ?local_addr,
        tls = context.tls.is_some(),
        "serving"
    );
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.map_err(RunError::from),
        () = shutdown => {}
    }

    tracing::info!(
        service = spec.name,
        "shutting down: not serving, draining in-flight calls"
    );
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    for name in spec.grpc_services {
        health
            .set_service_status(*name, ServingStatus::NotServing)
            .await;
    }
    let _ = stop_accepting.send(());
    let grace = Duration::from_millis(limits.shutdown_grace_ms);
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            service = spec.name,
            grace_ms = limits.shutdown_grace_ms,
            "grace period over; calls still in flight were dropped"
        ),
    }
    context.db.close().await;
    tracing::info!(service = spec.name, "stopped");
    Ok(())
}

/// Binds the configured listen address.
pub async fn bind(config: &ServiceConfig) -> Result<TcpListener, RunError> {
    TcpListener::bind(config.listen)
        .await
        .map_err(|source| RunError::Bind {
            addr: config.listen.to_string(),
            source,
        })
}
