//! Server bootstrap: what every relief service does to start, serve and stop.
//!
//! A service crate declares a [`ServiceSpec`], opens a [`ServiceContext`] (database with
//! migrations, units, holiday calendar, TLS material) and hands its routes to [`serve`], which
//! adds health and reflection, wraps everything in the tower stack below, and serves on an
//! already-bound listener until the shutdown future resolves.

mod background;
pub(crate) mod layer;
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

use relief_proto::admin::v1::clock_service_server::ClockServiceServer;
use relief_proto::events::v1::event_feed_service_server::EventFeedServiceServer;
use relief_proto::notifications::v1::notification_service_server::NotificationServiceServer;

use crate::admin::ClockApi;
use crate::auth::{AccessPolicy, AuthLayer};
use crate::clock::Clock;
use crate::config::{ConfigError, ServiceConfig};
use crate::db::{Db, DbError, Migrations, Tx};
use crate::deadlines::DeadlineHandlers;
use crate::events::Outbox;
use crate::events::consumer::EventHandlers;
use crate::events::feed::EventFeed;
use crate::notifications;
use crate::notifications::service::NotificationApi;
use crate::personal_data::PersonalData;
use crate::shutdown::Shutdown;
use crate::tls::TlsMaterial;
use crate::units::Units;
use tokio::sync::Notify;

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
    /// Keys for personal data (field cipher, blind index); `None` when none are configured, and
    /// then any call that needs them is FAILED_PRECONDITION (`personal_data::require`).
    pub personal_data: Option<Arc<PersonalData>>,
    /// The service's short name.
    pub service: &'static str,
    /// Wakes this service's feed readers when events commit.
    pub outbox: Outbox,
    /// Wakes the deadline sweeper when a transaction scheduled something.
    pub deadline_wake: Arc<Notify>,
    /// Triggered when the service starts shutting down: streams and background work end.
    pub stopping: Shutdown,
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
        let personal_data = PersonalData::from_config(&config.personal_data)?.map(Arc::new);
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
            personal_data,
            service: spec.name,
            outbox: Outbox::default(),
            deadline_wake: Arc::new(Notify::new()),
            stopping: Shutdown::new(),
        })
    }

    /// Commits `tx` and wakes whoever waits on what it may have written: feed readers (events)
    /// and the deadline sweeper (new deadlines). Every service transaction commits through here.
    pub async fn commit(&self, tx: Tx) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.outbox.committed();
        self.deadline_wake.notify_one();
        Ok(())
    }

    /// The largest request message a generated server should accept.
    pub fn max_message_bytes(&self) -> usize {
        self.config.limits.max_message_bytes
    }
}

/// What a service brings to [`serve`]: its routes and access rules, and its handlers for
/// deadlines and for the feeds it consumes (see [`crate::events::FEEDS`]).
pub struct ServiceParts {
    /// The service's own gRPC services.
    pub routes: Routes,
    /// Who may call the service's own RPCs.
    pub policy: AccessPolicy,
    /// Handlers by deadline kind.
    pub deadline_handlers: DeadlineHandlers,
    /// Handlers by source service; a consumed feed without one applies nothing but advances.
    pub event_handlers: EventHandlers,
}

impl std::fmt::Debug for ServiceParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceParts").finish_non_exhaustive()
    }
}

impl ServiceParts {
    /// Parts with routes and policy, no deadline kinds and no event handlers yet.
    pub fn new(routes: Routes, policy: AccessPolicy) -> Self {
        ServiceParts {
            routes,
            policy,
            deadline_handlers: DeadlineHandlers::new(),
            event_handlers: EventHandlers::new(),
        }
    }
}

/// Who may call the services the runtime adds to every server.
fn runtime_policy(dev_clock: bool) -> AccessPolicy {
    let everyone = crate::caller::CallerKind::ALL;
    let mut policy = crate::events::feed::policy()
        .allow(
            notifications::service::GRPC_SERVICE,
            "ListNotifications",
            &everyone,
        )
        .allow(
            notifications::service::GRPC_SERVICE,
            "AcknowledgeNotification",
            &everyone,
        );
    if dev_clock {
        // A dev clock exists only on development and test installations; every caller may move
        // it there (the integration kit's police client does).
        for method in ["GetTime", "SetTime", "Advance"] {
            policy = policy.allow(crate::admin::GRPC_SERVICE, method, &everyone);
        }
    }
    policy
}

/// Serves the service's routes plus the runtime's shared services (event feed, notifications,
/// the dev clock when there is one), health and reflection, on `listener`; runs the deadline
/// sweeper and the feed consumers; until `shutdown` resolves. Then it ends streams and
/// background work, reports NOT_SERVING, stops accepting, and lets in-flight calls finish within
/// the configured grace period.
pub async fn serve(
    spec: &ServiceSpec,
    context: &ServiceContext,
    listener: TcpListener,
    parts: ServiceParts,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    let limits = &context.config.limits;
    let dev_clock = context.clock.is_dev();
    let mut grpc_names: Vec<&str> = spec.grpc_services.to_vec();
    grpc_names.push(crate::events::feed::GRPC_SERVICE);
    grpc_names.push(notifications::service::GRPC_SERVICE);
    if dev_clock {
        grpc_names.push(crate::admin::GRPC_SERVICE);
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    for name in &grpc_names {
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
        for name in &grpc_names {
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

    let max_message = context.max_message_bytes();
    let poll = Duration::from_millis(context.config.events.poll_interval_ms);
    let mut routes = parts
        .routes
        .add_service(
            EventFeedServiceServer::new(EventFeed::new(
                context.db.clone(),
                context.outbox.clone(),
                spec.name,
                poll,
                context.stopping.clone(),
            ))
            .max_decoding_message_size(max_message),
        )
        .add_service(
            NotificationServiceServer::new(NotificationApi::new(context.clone()))
                .max_decoding_message_size(max_message),
        );
    if dev_clock {
        routes = routes.add_service(
            ClockServiceServer::new(ClockApi::new(context.clock.clone()))
                .max_decoding_message_size(max_message),
        );
    }
    let policy = Arc::new(parts.policy.merge(runtime_policy(dev_clock)));

    // Outermost first. Each layer sees what the ones above let through.
    let stack = tower::ServiceBuilder::new()
        // First, so every call, refused or served, has a span (continuing the caller's trace)
        // and is counted with its status code.
        .layer(RpcTelemetryLayer::new(spec.name, Arc::clone(&policy)))
        // Identity and the per-RPC allow-list before anything costs us work; PERMISSION_DENIED
        // is decided before any handler or database access.
        .layer(AuthLayer::new(Arc::clone(&policy), context.tls.is_none()))
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
    if context.tls.is_none() && !local_addr.is_some_and(|addr| addr.ip().is_loopback()) {
        return Err(RunError::Config(ConfigError {
            key: "insecure".to_owned(),
            message: "plaintext is allowed only on a loopback address".to_owned(),
        }));
    }
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
    let background = background::start(context, parts.deadline_handlers, parts.event_handlers);
    tracing::info!(
        service = spec.name,
        addr = %local_addr.map(|a| a.to_string()).unwrap_or_default(),
        tls = context.tls.is_some(),
        dev_clock,
        "serving"
    );
    tokio::pin!(server);
    let served = tokio::select! {
        result = &mut server => Some(result),
        () = shutdown => None,
    };
    // Streams and background work end first, so subscribers do not hold up the drain.
    context.stopping.trigger();
    background::stop(background, Duration::from_millis(limits.shutdown_grace_ms)).await;
    if let Some(result) = served {
        context.db.close().await;
        return result.map_err(RunError::from);
    }

    tracing::info!(
        service = spec.name,
        "shutting down: not serving, draining in-flight calls"
    );
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    for name in &grpc_names {
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
            "grace period over; stopped waiting for calls still in flight"
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
