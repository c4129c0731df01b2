//! Events between services, through the real bootstrap: a test service named "intake" writes
//! events, a test service named "identity" consumes its feed (the FEEDS table's arrow), and every
//! event takes effect exactly once across consumer and producer restarts, a duplicate delivery, a
//! producer that is down while events wait, a failed apply, and two consumer replicas. A
//! handler's preparation (a peer's call) runs outside the transaction: while it waits the
//! service still writes, a failed one is retried without moving the cursor, `apply` gets its
//! output, and an event already applied is not prepared again. The event poll is one hour in all
//! of these, so delivery comes from the wake-on-commit path.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use std::sync::Arc;

use common::proto::{CreateRequest, EmitRequest};
use common::{PreparingEvents, RecordEvents, Start, TestServer, count, station};
use relief_runtime::events::consumer::EventHandler;
use relief_runtime::{Clock, ServiceConfig, with_db};
use relief_testkit::{TestBackend, TestDatabase, TestPki, backend_tests, wait_until};

struct Pair {
    dir: tempfile::TempDir,
    pki: TestPki,
    producer_db: Option<TestDatabase>,
    consumer_db: Option<TestDatabase>,
}

impl Pair {
    async fn new(backend: TestBackend) -> Option<Pair> {
        let producer_db = match backend {
            TestBackend::Sqlite => None,
            TestBackend::Postgres => Some(TestDatabase::create(backend).await?),
        };
        let consumer_db = match backend {
            TestBackend::Sqlite => None,
            TestBackend::Postgres => Some(TestDatabase::create(backend).await?),
        };
        Some(Pair {
            dir: tempfile::tempdir().unwrap(),
            pki: TestPki::new(),
            producer_db,
            consumer_db,
        })
    }

    fn config(&self, name: &str, db: &Option<TestDatabase>) -> ServiceConfig {
        let mut config = common::config_named(self.dir.path(), &self.pki, name);
        if let Some(db) = db {
            config.database_url = Some(db.url().clone());
        }
        config
    }

    async fn producer(&self, listen: Option<std::net::SocketAddr>) -> TestServer {
        common::start_with(Start {
            name: "intake",
            config: self.config("intake", &self.producer_db),
            clock: Clock::system(),
            listen,
            handlers: Vec::new(),
        })
        .await
    }

    async fn consumer(&self, producer_url: &str, handler: Arc<dyn EventHandler>) -> TestServer {
        let mut config = self.config("identity", &self.consumer_db);
        config.peers.intake = producer_url.to_owned();
        common::start_with(Start {
            name: "identity",
            config,
            clock: Clock::system(),
            listen: None,
            handlers: vec![("intake", handler)],
        })
        .await
    }
}

impl Pair {
    /// Sets the stopped consumer's cursor back to the start (its applied ids stay).
    async fn rewind_consumer(&self) {
        let consumer_db = self
            .consumer_db
            .as_ref()
            .map(|db| db.url().clone())
            .unwrap_or_else(|| {
                relief_runtime::secret::Secret::new(format!(
                    "sqlite://{}",
                    self.dir.path().join("identity.db").display()
                ))
            });
        let raw = relief_runtime::Db::open(&consumer_db, 1).await.unwrap();
        with_db!(&raw, |pool| {
            sqlx::query("UPDATE consumer_cursors SET last_seq = 0")
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        raw.close().await;
    }
}

/// Waits until the consumer's cursor reaches the producer's head.
async fn wait_for_head(consumer: &TestServer, producer: &TestServer) {
    let head = relief_runtime::events::outbox::head(&producer.db)
        .await
        .unwrap();
    wait_until("the consumer's cursor to reach the head", || async {
        consumer_cursor(consumer).await >= head
    })
    .await;
}

async fn emit(producer: &TestServer, pki: &TestPki, label: &str, count: i64) {
    producer
        .client(pki, &station())
        .await
        .emit(EmitRequest {
            label: label.to_owned(),
            count,
        })
        .await
        .unwrap();
}

async fn wait_received(consumer: &TestServer, expected: i64) {
    let db = consumer.db.clone();
    wait_until(&format!("{expected} events received"), || {
        let db = db.clone();
        async move { count(&db, "SELECT COUNT(*) FROM received").await >= expected }
    })
    .await;
}

/// Every (label, n) was applied exactly once.
async fn assert_exactly_once(consumer: &TestServer, expected: i64) {
    assert_eq!(
        count(&consumer.db, "SELECT COUNT(*) FROM received").await,
        expected
    );
    let distinct: i64 = with_db!(&consumer.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT DISTINCT label, n FROM received) AS d")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(distinct, expected, "an event was applied twice");
}

async fn consumer_cursor(consumer: &TestServer) -> i64 {
    relief_runtime::events::consumer::cursor(&consumer.db, "identity<-intake")
        .await
        .unwrap()
}

backend_tests!(
    every_event_takes_effect_once_across_restarts_duplicates_and_downtime,
    |_db: TestDatabase| async move {
        let backend = _db.backend();
        let pair = Pair::new(backend).await.unwrap();
        let producer = pair.producer(None).await;
        let addr = producer.addr;
        let handler: Arc<dyn EventHandler> = Arc::new(RecordEvents::default());
        let consumer = pair.consumer(&producer.url(), handler.clone()).await;
        emit(&producer, &pair.pki, "first", 5).await;
        wait_received(&consumer, 5).await;

        // Consumer restart: events written while it is down arrive after it comes back.
        consumer.stop().await;
        emit(&producer, &pair.pki, "consumer-down", 5).await;
        let consumer = pair.consumer(&producer.url(), handler.clone()).await;
        wait_received(&consumer, 10).await;

        // Producer restart on the same address: the consumer reconnects and resumes.
        producer.stop().await;
        let producer = pair.producer(Some(addr)).await;
        emit(&producer, &pair.pki, "producer-restarted", 5).await;
        wait_received(&consumer, 15).await;

        // Producer down while events wait in its outbox: the consumer keeps retrying, and
        // catches up when the producer is back.
        consumer.stop().await;
        emit(&producer, &pair.pki, "waiting", 5).await;
        producer.stop().await;
        let consumer = pair
            .consumer(&format!("https://{addr}"), handler.clone())
            .await;
        let producer = pair.producer(Some(addr)).await;
        wait_received(&consumer, 20).await;

        // Duplicate delivery: rewind the cursor; every event comes again and changes nothing.
        consumer.stop().await;
        pair.rewind_consumer().await;
        let consumer = pair.consumer(&producer.url(), handler.clone()).await;
        wait_for_head(&consumer, &producer).await;
        assert_exactly_once(&consumer, 20).await;
        consumer.stop().await;
        producer.stop().await;
    }
);

backend_tests!(
    a_failed_apply_rolls_back_the_effect_and_the_cursor_together,
    |_db: TestDatabase| async move {
        let pair = Pair::new(_db.backend()).await.unwrap();
        let producer = pair.producer(None).await;
        // The handler writes its row for n == 3 and then fails once: if the cursor or the row
        // survived the failure, the retry would count that event twice or skip it.
        let consumer = pair
            .consumer(&producer.url(), Arc::new(RecordEvents::failing_once_at(3)))
            .await;
        emit(&producer, &pair.pki, "flaky", 8).await;
        wait_received(&consumer, 8).await;
        wait_for_head(&consumer, &producer).await;
        assert_exactly_once(&consumer, 8).await;
        consumer.stop().await;
        producer.stop().await;
    }
);

backend_tests!(
    a_preparation_holds_no_transaction_and_a_failed_one_is_retried_before_later_events,
    |_db: TestDatabase| async move {
        let pair = Pair::new(_db.backend()).await.unwrap();
        let producer = pair.producer(None).await;
        // The preparation of event 0 waits for the test (a slow peer); that of event 2 fails
        // once (a peer down).
        let handler = Arc::new(PreparingEvents::new(0, 2));
        let consumer = pair.consumer(&producer.url(), handler.clone()).await;
        emit(&producer, &pair.pki, "peer", 4).await;
        handler.gate.arrived.acquire().await.unwrap().forget();

        // While it waits, the consuming service writes: no transaction of its consumer is open
        // (on SQLite a consumer transaction is the write lock, and this write would fail with
        // "database is locked" after the busy timeout), and nothing is applied yet.
        consumer
            .client(&pair.pki, &station())
            .await
            .create(CreateRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                value: "written while the consumer waits for a peer".to_owned(),
            })
            .await
            .unwrap();
        assert_eq!(
            count(&consumer.db, "SELECT COUNT(*) FROM received").await,
            0
        );
        assert_eq!(consumer_cursor(&consumer).await, 0);

        // Released: every event applies once, in order, the failed preparation retried, each
        // apply with its preparation's output.
        handler.gate.release.notify_one();
        wait_received(&consumer, 4).await;
        wait_for_head(&consumer, &producer).await;
        assert_exactly_once(&consumer, 4).await;
        assert!(handler.failed(), "the preparation of event 2 failed once");
        assert_eq!(
            count(
                &consumer.db,
                "SELECT COUNT(*) FROM received WHERE label = 'prepared:peer'"
            )
            .await,
            4
        );
        let order: Vec<i64> = with_db!(&consumer.db, |pool| {
            sqlx::query_scalar("SELECT n FROM received ORDER BY seq")
                .fetch_all(pool)
                .await
        })
        .unwrap();
        assert_eq!(order, [0, 1, 2, 3], "no event overtook the failed one");

        // Delivered again (cursor rewound): the applied events are not prepared again (no
        // needless call to a peer) and change nothing.
        let preparations = handler.preparations();
        consumer.stop().await;
        pair.rewind_consumer().await;
        let consumer = pair.consumer(&producer.url(), handler.clone()).await;
        wait_for_head(&consumer, &producer).await;
        assert_exactly_once(&consumer, 4).await;
        assert_eq!(handler.preparations(), preparations);
        consumer.stop().await;
        producer.stop().await;
    }
);

backend_tests!(
    two_consumer_replicas_apply_each_event_once_and_hand_over,
    |_db: TestDatabase| async move {
        let pair = Pair::new(_db.backend()).await.unwrap();
        let producer = pair.producer(None).await;
        let handler: Arc<dyn EventHandler> = Arc::new(RecordEvents::default());
        let first = pair.consumer(&producer.url(), handler.clone()).await;
        let second = pair.consumer(&producer.url(), handler.clone()).await;
        emit(&producer, &pair.pki, "shared", 10).await;
        wait_received(&first, 10).await;
        let holders: i64 = count(
            &first.db,
            "SELECT COUNT(*) FROM consumer_leases WHERE consumer = 'identity<-intake'",
        )
        .await;
        assert_eq!(holders, 1, "one lease row, one holder");

        // Whichever replica held the lease, stopping the first leaves the second to carry on.
        first.stop().await;
        emit(&producer, &pair.pki, "after-handover", 5).await;
        wait_received(&second, 15).await;
        assert_exactly_once(&second, 15).await;
        second.stop().await;
        producer.stop().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_on_one_postgres_replica_wakes_a_feed_served_by_another() {
    let Some(pair) = Pair::new(TestBackend::Postgres).await else {
        return;
    };
    // Two producer replicas on one database: events are written through the first and the
    // consumer follows the second, whose only prompt wake-up is PostgreSQL NOTIFY (poll: 1 h).
    let writer = pair.producer(None).await;
    let reader = pair.producer(None).await;
    let consumer = pair
        .consumer(&reader.url(), Arc::new(RecordEvents::default()))
        .await;
    emit(&writer, &pair.pki, "cross-replica", 3).await;
    wait_received(&consumer, 3).await;
    emit(&writer, &pair.pki, "cross-replica-again", 3).await;
    wait_received(&consumer, 6).await;
    assert_exactly_once(&consumer, 6).await;
    consumer.stop().await;
    reader.stop().await;
    writer.stop().await;
}
