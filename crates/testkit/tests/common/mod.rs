//! The test service (tests/proto) served through the real runtime bootstrap: it writes events,
//! schedules deadlines, issues notifications and creates rows idempotently, so the runtime's
//! mechanisms are proven without any real service's rules.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "test support: a panic is a failed test")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use prost::Message;
use relief_runtime::auth::AccessPolicy;
use relief_runtime::db::{Db, Migrations, Tx};
use relief_runtime::deadlines::{Deadline, DeadlineHandler};
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::notifications::NewNotification;
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::{
    ApiError, Caller, CallerKind, Clock, RunError, ServiceConfig, ServiceParts, ServiceSpec,
    with_db, with_tx,
};
use relief_testkit::TestPki;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

pub mod proto {
    tonic::include_proto!("relief.testsvc.v1");
}

use proto::test_service_server::{TestService, TestServiceServer};

pub const GRPC_SERVICE: &str = "relief.testsvc.v1.TestService";

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/postgres");

/// The deadline kind the test service schedules.
pub const TEST_DEADLINE: &str = "test.fire";

/// The spec of a test service named `name` (a real service's name where a test needs it to
/// take part in the FEEDS table, e.g. "intake" as a producer and "identity" as its consumer).
pub fn spec(name: &'static str) -> &'static ServiceSpec {
    Box::leak(Box::new(ServiceSpec {
        name,
        default_port: 0,
        grpc_services: &[GRPC_SERVICE],
        migrations: Some(Migrations {
            sqlite: &SQLITE,
            postgres: &POSTGRES,
        }),
    }))
}

/// Who may call what on the test service.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(GRPC_SERVICE, "WhoAmI", &[Station, Police, CivilAffairs])
        .allow(GRPC_SERVICE, "Hold", &[Station])
        .allow(GRPC_SERVICE, "Echo", &[Station])
        .allow(GRPC_SERVICE, "Emit", &[Station])
        .allow(GRPC_SERVICE, "Schedule", &[Station])
        .allow(GRPC_SERVICE, "Notify", &[Station])
        .allow(GRPC_SERVICE, "Create", &[Station, Police])
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
    context: ServiceContext,
}

fn unit(text: &str) -> Result<Caller, Status> {
    Caller::from_spiffe_id(&format!("spiffe://relief.local/{text}"))
        .map_err(|e| Status::invalid_argument(e.to_string()))
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

    async fn emit(
        &self,
        request: Request<proto::EmitRequest>,
    ) -> Result<Response<proto::EmitResponse>, Status> {
        let request = request.into_inner();
        let now = self.context.clock.now();
        let mut tx = self.context.db.begin().await.map_err(ApiError::from)?;
        let mut event_ids = Vec::new();
        for n in 0..request.count {
            let event = proto::TestEvent {
                label: request.label.clone(),
                n,
            };
            event_ids.push(
                relief_runtime::events::append(&mut tx, now, &event)
                    .await
                    .map_err(ApiError::from)?,
            );
        }
        self.context.commit(tx).await.map_err(ApiError::from)?;
        Ok(Response::new(proto::EmitResponse { event_ids }))
    }

    async fn schedule(
        &self,
        request: Request<proto::ScheduleRequest>,
    ) -> Result<Response<proto::ScheduleResponse>, Status> {
        let request = request.into_inner();
        let now = self.context.clock.now();
        let mut tx = self.context.db.begin().await.map_err(ApiError::from)?;
        for n in 0..request.count {
            let due = now
                + chrono::Duration::seconds(
                    request.first_due_in_seconds + n * request.spacing_seconds,
                );
            let id = format!("{}-{n}", request.prefix);
            relief_runtime::deadlines::schedule(
                &mut tx,
                now,
                &id,
                TEST_DEADLINE,
                &format!("test/{id}"),
                due,
                Vec::new(),
            )
            .await
            .map_err(ApiError::from)?;
        }
        self.context.commit(tx).await.map_err(ApiError::from)?;
        Ok(Response::new(proto::ScheduleResponse {}))
    }

    async fn notify(
        &self,
        request: Request<proto::NotifyRequest>,
    ) -> Result<Response<proto::NotifyResponse>, Status> {
        let request = request.into_inner();
        let recipients = request
            .recipients
            .iter()
            .map(|r| unit(r))
            .collect::<Result<Vec<_>, _>>()?;
        let escalate_to = request
            .escalate_to
            .iter()
            .map(|r| unit(r))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.context.clock.now();
        let mut tx = self.context.db.begin().await.map_err(ApiError::from)?;
        let notification_ids = relief_runtime::notifications::issue(
            &self.context,
            &mut tx,
            &NewNotification {
                kind: "TEST_INCIDENT".to_owned(),
                subject: request.subject.clone(),
                division: "211100".to_owned(),
                summary: "a test incident".to_owned(),
                recipients,
                acknowledge_by: now + chrono::Duration::seconds(request.acknowledge_within_seconds),
                escalate_to,
                escalation_of: None,
            },
        )
        .await?;
        self.context.commit(tx).await.map_err(ApiError::from)?;
        Ok(Response::new(proto::NotifyResponse { notification_ids }))
    }

    async fn create(
        &self,
        request: Request<proto::CreateRequest>,
    ) -> Result<Response<proto::CreateResponse>, Status> {
        let caller = relief_runtime::caller(&request)?.clone();
        let request = request.into_inner();
        let response = relief_runtime::idempotency::run(
            &self.context,
            &caller,
            "/relief.testsvc.v1.TestService/Create",
            &request.request_id,
            &request,
            async |tx: &mut Tx| {
                let id = uuid::Uuid::now_v7().to_string();
                with_tx!(tx, |conn| {
                    sqlx::query("INSERT INTO created (id, value, caller) VALUES ($1, $2, $3)")
                        .bind(&id)
                        .bind(&request.value)
                        .bind(caller.spiffe_id())
                        .execute(conn)
                        .await
                        .map(|_| ())
                })?;
                let rows_after: i64 = with_tx!(tx, |conn| {
                    sqlx::query_scalar("SELECT COUNT(*) FROM created")
                        .fetch_one(conn)
                        .await
                })?;
                Ok(proto::CreateResponse { id, rows_after })
            },
        )
        .await?;
        Ok(Response::new(response))
    }
}

/// Records every TestEvent it applies into `received`; fails once on the event with
/// `fail_once_at` (after writing its row, so the rollback is what keeps it from counting).
#[derive(Debug, Default)]
pub struct RecordEvents {
    pub fail_once_at: Option<i64>,
    failed: AtomicBool,
}

impl RecordEvents {
    pub fn failing_once_at(n: i64) -> Self {
        RecordEvents {
            fail_once_at: Some(n),
            failed: AtomicBool::new(false),
        }
    }
}

#[tonic::async_trait]
impl EventHandler for RecordEvents {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        let Ok(test_event) = proto::TestEvent::decode(event.payload.value.as_slice()) else {
            return Ok(()); // not a test event (e.g. a notification event)
        };
        with_tx!(tx, |conn| {
            sqlx::query("INSERT INTO received (event_id, seq, label, n) VALUES ($1, $2, $3, $4)")
                .bind(&event.event_id)
                .bind(event.seq)
                .bind(&test_event.label)
                .bind(test_event.n)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        if self.fail_once_at == Some(test_event.n) && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(ApiError::internal("failing once on purpose"));
        }
        Ok(())
    }
}

/// The TestEvent in `event`, if it is one.
fn test_event(event: &ReceivedEvent) -> Option<proto::TestEvent> {
    if !event.payload.type_url.ends_with(".TestEvent") {
        return None;
    }
    proto::TestEvent::decode(event.payload.value.as_slice()).ok()
}

/// Prepares each TestEvent before the consumer's transaction, as a handler calling a peer
/// would: the label `apply` records is `prepared:<label>`, so a row shows that `apply` got
/// `prepare`'s output. The preparation of the event `hold_at` waits at `gate` (a slow peer)
/// until the test releases it; the one of `fail_once_at` fails once (a peer down).
#[derive(Debug, Default)]
pub struct PreparingEvents {
    pub hold_at: Option<i64>,
    pub fail_once_at: Option<i64>,
    pub gate: Gate,
    held: AtomicBool,
    failed: AtomicBool,
    preparations: AtomicUsize,
}

impl PreparingEvents {
    pub fn new(hold_at: i64, fail_once_at: i64) -> Self {
        PreparingEvents {
            hold_at: Some(hold_at),
            fail_once_at: Some(fail_once_at),
            ..PreparingEvents::default()
        }
    }

    /// How many times `prepare` ran for a TestEvent, failures included.
    pub fn preparations(&self) -> usize {
        self.preparations.load(Ordering::SeqCst)
    }

    /// Whether the preparation of `fail_once_at` has failed.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

#[tonic::async_trait]
impl EventHandler for PreparingEvents {
    async fn prepare(&self, event: &ReceivedEvent) -> Result<Prepared, ApiError> {
        let Some(test_event) = test_event(event) else {
            return Ok(Prepared::default());
        };
        self.preparations.fetch_add(1, Ordering::SeqCst);
        if self.hold_at == Some(test_event.n) && !self.held.swap(true, Ordering::SeqCst) {
            let released = self.gate.release.notified();
            self.gate.arrived.add_permits(1);
            released.await;
        }
        if self.fail_once_at == Some(test_event.n) && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(ApiError::internal("the peer is down (on purpose)"));
        }
        Ok(Prepared::new(format!("prepared:{}", test_event.label)))
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        prepared: Prepared,
    ) -> Result<(), ApiError> {
        let Some(test_event) = test_event(event) else {
            return Ok(());
        };
        let label = prepared
            .take::<String>()
            .ok_or_else(|| ApiError::internal("apply did not get what prepare returned"))?;
        with_tx!(tx, |conn| {
            sqlx::query("INSERT INTO received (event_id, seq, label, n) VALUES ($1, $2, $3, $4)")
                .bind(&event.event_id)
                .bind(event.seq)
                .bind(label)
                .bind(test_event.n)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}

/// Fires test deadlines: records the firing and writes a TestEvent labelled "fired".
#[derive(Debug, Default)]
pub struct RecordFirings;

#[tonic::async_trait]
impl DeadlineHandler for RecordFirings {
    async fn fire(
        &self,
        _context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        with_tx!(tx, |conn| {
            sqlx::query("INSERT INTO fired (deadline_id, fired_at) VALUES ($1, $2)")
                .bind(&deadline.id)
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        relief_runtime::events::append(
            tx,
            now,
            &proto::TestEvent {
                label: "fired".to_owned(),
                n: 0,
            },
        )
        .await?;
        Ok(())
    }
}

/// A configuration for a test service called `name` with files in `dir`, certificates from
/// `pki`, an event poll of one hour (so only wake-ups deliver promptly) and peers nowhere.
pub fn config(dir: &std::path::Path, pki: &TestPki) -> ServiceConfig {
    config_named(dir, pki, "testsvc")
}

/// As [`config`], with the certificate naming the service `name`.
pub fn config_named(dir: &std::path::Path, pki: &TestPki, name: &str) -> ServiceConfig {
    let (ca, cert, key) = pki.write_server_files(&dir.join("pki").join(name), name);
    let mut config = ServiceConfig::defaults(0);
    config.data_dir = dir.to_path_buf();
    config.database_url = Some(relief_runtime::secret::Secret::new(format!(
        "sqlite://{}",
        dir.join(format!("{name}.db")).display()
    )));
    config.tls_ca_file = ca;
    config.tls_cert_file = cert;
    config.tls_key_file = key;
    config.units_file = relief_testkit::deploy_dir().join("units.toml");
    config.holidays_file = relief_testkit::deploy_dir().join("holidays.toml");
    config.events.poll_interval_ms = 3_600_000;
    config.events.lease_ttl_ms = 1_500;
    for peer in [
        &mut config.peers.intake,
        &mut config.peers.identity,
        &mut config.peers.foster,
        &mut config.peers.reporting,
    ] {
        *peer = "https://127.0.0.1:1".to_owned();
    }
    config
}

/// A running test service.
pub struct TestServer {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub gate: Arc<Gate>,
    pub db: Db,
    pub shutdown: relief_runtime::shutdown::Shutdown,
    pub task: tokio::task::JoinHandle<Result<(), RunError>>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// An mTLS channel to this server as `caller`.
    pub async fn channel(&self, pki: &TestPki, caller: &Caller) -> tonic::transport::Channel {
        let material = pki.client(caller);
        relief_runtime::client::connect(&self.url(), Some((&material, self.name)))
            .await
            .unwrap()
    }

    /// A test-service client as `caller`.
    pub async fn client(
        &self,
        pki: &TestPki,
        caller: &Caller,
    ) -> proto::test_service_client::TestServiceClient<tonic::transport::Channel> {
        proto::test_service_client::TestServiceClient::new(self.channel(pki, caller).await)
    }

    /// Shuts the server down and waits for it.
    pub async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap().unwrap();
    }
}

/// Options of [`start_with`].
pub struct Start {
    pub name: &'static str,
    pub config: ServiceConfig,
    pub clock: Clock,
    pub listen: Option<SocketAddr>,
    pub handlers: Vec<(&'static str, Arc<dyn EventHandler>)>,
}

/// Serves the test service with `config` until `shutdown` resolves.
pub async fn start(
    config: ServiceConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestServer {
    let server = start_with(Start {
        name: "testsvc",
        config,
        clock: Clock::system(),
        listen: None,
        handlers: Vec::new(),
    })
    .await;
    let trigger = server.shutdown.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.trigger();
    });
    server
}

/// Serves a test service as described by `options` until its `shutdown` is triggered.
pub async fn start_with(options: Start) -> TestServer {
    let listener = TcpListener::bind(
        options
            .listen
            .unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()),
    )
    .await
    .unwrap();
    let addr = listener.local_addr().unwrap();
    let gate = Arc::new(Gate::default());
    let spec = spec(options.name);
    let context = ServiceContext::open(spec, options.config, options.clock)
        .await
        .unwrap();
    let api = TestApi {
        gate: Arc::clone(&gate),
        context: context.clone(),
    };
    let server = TestServiceServer::new(api).max_decoding_message_size(context.max_message_bytes());
    let mut parts = ServiceParts::new(Routes::new(server), policy());
    parts
        .deadline_handlers
        .insert(TEST_DEADLINE, Arc::new(RecordFirings));
    for (source, handler) in options.handlers {
        parts.event_handlers.insert(source, handler);
    }
    let shutdown = relief_runtime::shutdown::Shutdown::new();
    let stop = shutdown.wait();
    let db = context.db.clone();
    let task = tokio::spawn(async move { serve(spec, &context, listener, parts, stop).await });
    TestServer {
        name: options.name,
        addr,
        gate,
        db,
        shutdown,
        task,
    }
}

/// How many rows `sql` (a `SELECT COUNT(...)`) counts.
pub async fn count(db: &Db, sql: &'static str) -> i64 {
    with_db!(db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

/// The caller every test uses for the test service's own RPCs.
pub fn station() -> Caller {
    Caller::new(CallerKind::Station, "211100", "city-station").unwrap()
}
