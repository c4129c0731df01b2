//! The test service (tests/proto) served through the real runtime bootstrap.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;
use std::sync::Arc;

use relief_runtime::auth::AccessPolicy;
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::{CallerKind, RunError, ServiceConfig, ServiceSpec};
use relief_testkit::TestPki;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

pub mod proto {
    tonic::include_proto!("relief.testsvc.v1");
}

use proto::test_service_server::{TestService, TestServiceServer};

pub const GRPC_SERVICE: &str = "relief.testsvc.v1.TestService";

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "testsvc",
    default_port: 0,
    grpc_services: &[GRPC_SERVICE],
    migrations: None,
};

/// Who may call what on the test service.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(GRPC_SERVICE, "WhoAmI", &[Station, Police, CivilAffairs])
        .allow(GRPC_SERVICE, "Hold", &[Station])
        .allow(GRPC_SERVICE, "Echo", &[Station])
}

/// Lets a test see that a Hold call has arrived and release it.
#[derive(Debug)]
pub struct Gate {
    pub arrived: Semaphore,
    pub release: Notify,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            arrived: Semaphore::new(0),
            release: Notify::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct TestApi {
    gate: Arc<Gate>,
}

#[tonic::async_trait]
impl TestService for TestApi {
    async fn who_am_i(
        &self,
        request: Request<proto::WhoAmIRequest>,
    ) -> Result<Response<proto::WhoAmIResponse>, Status> {
        let caller = relief_runtime::caller(&request)?;
        Ok(Response::new(proto::WhoAmIResponse {
            kind: caller.kind.to_string(),
            division: caller.division.clone(),
            unit: caller.unit.clone(),
        }))
    }

    async fn hold(
        &self,
        _request: Request<proto::HoldRequest>,
    ) -> Result<Response<proto::HoldResponse>, Status> {
        let released = self.gate.release.notified();
        self.gate.arrived.add_permits(1);
        released.await;
        Ok(Response::new(proto::HoldResponse {
            outcome: "released".to_owned(),
        }))
    }

    async fn echo(
        &self,
        request: Request<proto::EchoRequest>,
    ) -> Result<Response<proto::EchoResponse>, Status> {
        Ok(Response::new(proto::EchoResponse {
            size: request.into_inner().payload.len() as i64,
        }))
    }
}

/// A configuration for the test service with files in `dir`, certificates from `pki`.
pub fn config(dir: &std::path::Path, pki: &TestPki) -> ServiceConfig {
    let (ca, cert, key) = pki.write_server_files(&dir.join("pki"), "testsvc");
    let mut config = ServiceConfig::defaults(0);
    config.data_dir = dir.to_path_buf();
    config.tls_ca_file = ca;
    config.tls_cert_file = cert;
    config.tls_key_file = key;
    config.units_file = relief_testkit::deploy_dir().join("units.toml");
    config.holidays_file = relief_testkit::deploy_dir().join("holidays.toml");
    config
}

/// A running test service.
pub struct TestServer {
    pub addr: SocketAddr,
    pub gate: Arc<Gate>,
    pub task: tokio::task::JoinHandle<Result<(), RunError>>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

/// Serves the test service with `config` until `shutdown` resolves.
pub async fn start(
    config: ServiceConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let gate = Arc::new(Gate::default());
    let api = TestApi {
        gate: Arc::clone(&gate),
    };
    let context = ServiceContext::open(&SPEC, config, relief_runtime::Clock::system())
        .await
        .unwrap();
    let server = TestServiceServer::new(api).max_decoding_message_size(context.max_message_bytes());
    let task = tokio::spawn(async move {
        serve(
            &SPEC,
            &context,
            listener,
            policy(),
            Routes::new(server),
            shutdown,
        )
        .await
    });
    TestServer { addr, gate, task }
}
