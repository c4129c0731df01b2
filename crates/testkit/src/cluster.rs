//! The four services in this process, on port 0, with a test PKI and fresh databases: what the
//! end-to-end tests of every issue start from. One service can be restarted, stopped for a while
//! (its port refuses calls, the others keep running and their consumers retry) and started
//! again, and while it is stopped its database can be deleted, so that it starts on a fresh one.

use std::future::Future;
use std::net::SocketAddr;

use relief_cli::services;
use relief_runtime::shutdown::Shutdown;
use relief_runtime::tls::TlsMaterial;
use relief_runtime::{Caller, Clock, RunError, ServiceConfig, client};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::database::{TestBackend, TestDatabase};
use crate::pki::TestPki;

type Configure = Box<dyn Fn(&str, &mut ServiceConfig) + Send>;

/// Builds a [`Cluster`].
pub struct ClusterBuilder {
    backend: TestBackend,
    configure: Option<Configure>,
    clock_start: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for ClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBuilder")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl ClusterBuilder {
    /// The database backend of every service (default SQLite).
    pub fn backend(mut self, backend: TestBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Starts the cluster's dev clock at `start` instead of now.
    pub fn clock_start(mut self, start: chrono::DateTime<chrono::Utc>) -> Self {
        self.clock_start = Some(start);
        self
    }

    /// Adjusts each service's configuration before it starts (`service name`, config).
    pub fn configure(
        mut self,
        configure: impl Fn(&str, &mut ServiceConfig) + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// Starts the four services and waits until each reports SERVING. `None` only for a
    /// PostgreSQL cluster outside CI without `RELIEF_TEST_POSTGRES_URL`.
    pub async fn start(self) -> Option<Cluster> {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let shutdown = Shutdown::new();
        let mut configs = Vec::new();
        let clock = Clock::dev(self.clock_start, None).unwrap();
        // One set of personal-data keys for the four services, as in `relief dev`.
        let personal_data = crate::keys::personal_data_config();
        let mut tasks = JoinSet::new();
        let mut addrs = Vec::new();
        // Bind every port first, so each service knows where its peers are.
        let mut listeners = Vec::new();
        let mut peers = relief_runtime::config::PeersConfig::default();
        for entry in services::ALL {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("https://{}", listener.local_addr().unwrap());
            peers.set(entry.spec.name, url);
            listeners.push((entry, listener));
        }
        for (entry, listener) in listeners {
            let name = entry.spec.name;
            let database = TestDatabase::create(self.backend).await?;
            let (ca, cert, key) = pki.write_server_files(&dir.path().join("pki").join(name), name);
            let mut config = ServiceConfig::defaults(0);
            config.data_dir = dir.path().join(name);
            config.database_url = Some(database.url().clone());
            // Four services per cluster and clusters in parallel share one PostgreSQL (100
            // connections by default): a small pool each keeps the suite under that.
            config.database_max_connections = 5;
            config.tls_ca_file = ca;
            config.tls_cert_file = cert;
            config.tls_key_file = key;
            config.units_file = crate::deploy_dir().join("units.toml");
            config.holidays_file = crate::deploy_dir().join("holidays.toml");
            config.personal_data = personal_data.clone();
            config.peers = peers.clone();
            if let Some(configure) = &self.configure {
                configure(name, &mut config);
            }
            addrs.push((name, listener.local_addr().unwrap()));
            let own = Shutdown::new();
            tasks.spawn(run_service(
                entry,
                config.clone(),
                clock.clone(),
                listener,
                &shutdown,
                &own,
            ));
            configs.push(RunningService {
                entry,
                config,
                database,
                shutdown: own,
                stopped: false,
            });
        }
        let cluster = Cluster {
            pki,
            clock,
            addrs,
            shutdown,
            tasks,
            running: configs,
            _dir: dir,
        };
        let mut cluster = cluster;
        cluster.wait_serving().await;
        Some(cluster)
    }
}

/// What it takes to start one service again.
#[derive(Debug)]
struct RunningService {
    entry: services::ServiceEntry,
    config: ServiceConfig,
    database: TestDatabase,
    shutdown: Shutdown,
    /// Stopped by [`Cluster::stop_service`] and not started again yet.
    stopped: bool,
}

/// Spawns one service that stops when the cluster's or its own shutdown is triggered.
fn run_service(
    entry: services::ServiceEntry,
    config: ServiceConfig,
    clock: Clock,
    listener: TcpListener,
    cluster: &Shutdown,
    own: &Shutdown,
) -> impl Future<Output = (&'static str, Result<(), RunError>)> + Send + 'static {
    let name = entry.spec.name;
    let (cluster, own) = (cluster.wait(), own.wait());
    async move {
        let stop = async move {
            tokio::select! {
                () = cluster => {}
                () = own => {}
            }
        };
        let run = (entry.run)(config, clock, listener, Box::pin(stop));
        (name, run.await)
    }
}

/// A running in-process cluster. [`Cluster::stop`] shuts it down and reports any service error.
#[derive(Debug)]
pub struct Cluster {
    /// The CA every service trusts; issue client certificates from it.
    pub pki: TestPki,
    /// The dev clock all four services share; move it to test time-based rules.
    pub clock: Clock,
    addrs: Vec<(&'static str, SocketAddr)>,
    shutdown: Shutdown,
    tasks: JoinSet<(&'static str, Result<(), RunError>)>,
    running: Vec<RunningService>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// A builder with SQLite and default configuration.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder {
            backend: TestBackend::Sqlite,
            configure: None,
            clock_start: None,
        }
    }

    /// The service names and their addresses.
    pub fn services(&self) -> &[(&'static str, SocketAddr)] {
        &self.addrs
    }

    /// The address of `service`.
    pub fn addr(&self, service: &str) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, addr)| *addr)
            .unwrap_or_else(|| panic!("no service {service} in the cluster"))
    }

    /// The `https://` URL of `service`.
    pub fn url(&self, service: &str) -> String {
        format!("https://{}", self.addr(service))
    }

    /// A connected mTLS channel to `service` as `caller`.
    pub async fn channel(&self, service: &str, caller: &Caller) -> Channel {
        self.channel_with(service, &self.pki.client(caller))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {service}: {e}"))
    }

    /// A channel to `service` presenting `material` (which may be foreign or broken on purpose).
    pub async fn channel_with(
        &self,
        service: &str,
        material: &TlsMaterial,
    ) -> Result<Channel, client::ConnectError> {
        client::connect(&self.url(service), Some((material, service))).await
    }

    /// Stops `service` alone (a graceful shutdown, as on SIGTERM), then starts it again on the
    /// same address, database, data directory and configuration, and waits until it serves:
    /// what a restart in production does. Panics if the service stopped with an error.
    pub async fn restart(&mut self, service: &str) {
        self.stop_service(service).await;
        self.start_service(service).await;
    }

    /// Stops `service` alone (a graceful shutdown, as on SIGTERM) and leaves it stopped: its port
    /// refuses calls (UNAVAILABLE) while the other services keep running, their consumers of its
    /// feed retrying, until [`start_service`](Self::start_service). Panics if it is stopped
    /// already or stopped with an error.
    pub async fn stop_service(&mut self, service: &str) {
        let index = self.index(service);
        assert!(!self.running[index].stopped, "{service} is stopped already");
        self.running[index].shutdown.trigger();
        let (name, result) = self
            .tasks
            .join_next()
            .await
            .expect("the stopped service's task")
            .expect("the service task panicked");
        assert_eq!(name, service, "another service stopped with {service}");
        result.unwrap_or_else(|e| panic!("{service} stopped with an error: {e}"));
        self.running[index].stopped = true;
    }

    /// Starts `service` again after [`stop_service`](Self::stop_service), on the same address,
    /// database, data directory and configuration (migrating the database first: a fresh one
    /// after [`reset_database`](Self::reset_database)), and waits until it serves. Panics if it
    /// is running.
    pub async fn start_service(&mut self, service: &str) {
        let index = self.index(service);
        assert!(self.running[index].stopped, "{service} is running");
        let addr = self.addr(service);
        // The old socket is closed; rebinding the same port may briefly race its release.
        let mut listener = None;
        for _ in 0..3000 {
            match TcpListener::bind(addr).await {
                Ok(bound) => {
                    listener = Some(bound);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        let listener = listener.unwrap_or_else(|| panic!("cannot rebind {addr} for {service}"));
        let own = Shutdown::new();
        let running = &mut self.running[index];
        running.shutdown = own.clone();
        running.stopped = false;
        self.tasks.spawn(run_service(
            running.entry,
            running.config.clone(),
            self.clock.clone(),
            listener,
            &self.shutdown,
            &own,
        ));
        self.wait_serving().await;
    }

    /// Deletes the database of `service`, which must be stopped
    /// ([`stop_service`](Self::stop_service)), entirely: the SQLite file with its `-wal` and
    /// `-shm`, or the PostgreSQL database (dropped, its connections ended, and created again
    /// empty). Its next [`start_service`](Self::start_service) migrates the empty database, as
    /// on a first install. A pool a test opened on the old database does not follow: open a new
    /// one.
    pub async fn reset_database(&mut self, service: &str) {
        let index = self.index(service);
        assert!(
            self.running[index].stopped,
            "{service} must be stopped before its database is reset"
        );
        self.running[index].database.reset().await;
    }

    fn index(&self, service: &str) -> usize {
        self.running
            .iter()
            .position(|running| running.entry.spec.name == service)
            .unwrap_or_else(|| panic!("no service {service} in the cluster"))
    }

    /// Waits until every service that is not stopped reports SERVING.
    async fn wait_serving(&mut self) {
        let probe = relief_runtime::pki::service_caller("testkit");
        let material = self.pki.client(&probe);
        let running: Vec<&'static str> = self
            .running
            .iter()
            .filter(|running| !running.stopped)
            .map(|running| running.entry.spec.name)
            .collect();
        for name in running {
            let url = self.url(name);
            let mut last_error = String::new();
            for _ in 0..3000 {
                if let Some(Ok((service, result))) = self.tasks.try_join_next() {
                    panic!("{service} stopped while starting: {result:?}");
                }
                match serving(&url, &material, name).await {
                    Ok(true) => break,
                    Ok(false) => last_error = "not serving yet".to_owned(),
                    Err(error) => last_error = error,
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert!(
                serving(&url, &material, name).await == Ok(true),
                "{name} did not start serving within the ceiling: {last_error}"
            );
        }
    }

    /// Shuts every service down and returns the first error any of them stopped with.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (name, result) = joined?;
            if let Err(error) = result {
                first_error.get_or_insert(anyhow::anyhow!("{name}: {error}"));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Whether `service` at `url` answers its health check with SERVING.
async fn serving(url: &str, material: &TlsMaterial, service: &str) -> Result<bool, String> {
    let channel = client::connect(url, Some((material, service)))
        .await
        .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.into_inner().status() == ServingStatus::Serving)
}
