//! The four relief services in one table: how to start each in-process.

use std::future::Future;
use std::pin::Pin;

use relief_runtime::{Clock, RunError, ServiceConfig, ServiceSpec};
use tokio::net::TcpListener;

/// A boxed shutdown future.
pub type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A service's `run`, boxed so all four fit one table.
pub type RunFn = fn(
    ServiceConfig,
    Clock,
    TcpListener,
    ShutdownFuture,
) -> Pin<Box<dyn Future<Output = Result<(), RunError>> + Send>>;

/// One service: its spec and its `run`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceEntry {
    /// Name, default port, gRPC names, migrations.
    pub spec: &'static ServiceSpec,
    /// Serves until the shutdown future resolves.
    pub run: RunFn,
}

/// Every service, in the order they are listed to operators.
pub const ALL: [ServiceEntry; 4] = [
    ServiceEntry {
        spec: &relief_intake::SPEC,
        run: |config, clock, listener, shutdown| {
            Box::pin(relief_intake::run(config, clock, listener, shutdown))
        },
    },
    ServiceEntry {
        spec: &relief_identity::SPEC,
        run: |config, clock, listener, shutdown| {
            Box::pin(relief_identity::run(config, clock, listener, shutdown))
        },
    },
    ServiceEntry {
        spec: &relief_foster::SPEC,
        run: |config, clock, listener, shutdown| {
            Box::pin(relief_foster::run(config, clock, listener, shutdown))
        },
    },
    ServiceEntry {
        spec: &relief_reporting::SPEC,
        run: |config, clock, listener, shutdown| {
            Box::pin(relief_reporting::run(config, clock, listener, shutdown))
        },
    },
];

/// The service called `name`.
pub fn by_name(name: &str) -> Option<ServiceEntry> {
    ALL.into_iter().find(|entry| entry.spec.name == name)
}

/// The names of every service.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|entry| entry.spec.name).collect()
}
