//! Deadlines as rows: each fires exactly once, with its events in the same transaction, across
//! a restart, with two sweepers on one PostgreSQL database, and when the dev clock jumps past
//! many at once. Time moves only through the dev clock; nothing here sleeps for a rule.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::ScheduleRequest;
use common::{Start, TestServer, count, station};
use relief_runtime::{Clock, ServiceConfig};
use relief_testkit::{TestBackend, TestDatabase, TestPki, backend_tests, wait_until};

fn config(dir: &std::path::Path, pki: &TestPki, db: &TestDatabase) -> ServiceConfig {
    let mut config = common::config(dir, pki);
    config.database_url = Some(db.url().clone());
    config
}

async fn start(config: ServiceConfig, clock: &Clock) -> TestServer {
    common::start_with(Start {
        name: "testsvc",
        config,
        clock: clock.clone(),
        listen: None,
        handlers: Vec::new(),
    })
    .await
}

async fn schedule(
    server: &TestServer,
    pki: &TestPki,
    prefix: &str,
    n: i64,
    first: i64,
    spacing: i64,
) {
    server
        .client(pki, &station())
        .await
        .schedule(ScheduleRequest {
            prefix: prefix.to_owned(),
            count: n,
            first_due_in_seconds: first,
            spacing_seconds: spacing,
        })
        .await
        .unwrap();
}

async fn wait_fired(server: &TestServer, expected: i64) {
    let db = server.db.clone();
    wait_until(&format!("{expected} deadlines fired"), || {
        let db = db.clone();
        async move { count(&db, "SELECT COUNT(*) FROM fired").await >= expected }
    })
    .await;
}

async fn assert_fired_once(server: &TestServer, expected: i64) {
    assert_eq!(
        count(&server.db, "SELECT COUNT(*) FROM fired").await,
        expected
    );
    assert_eq!(
        count(&server.db, "SELECT COUNT(DISTINCT deadline_id) FROM fired").await,
        expected,
        "a deadline fired twice"
    );
    // Each firing wrote its event in the same transaction.
    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM outbox WHERE type_url LIKE '%TestEvent'"
        )
        .await,
        expected
    );
    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM deadlines WHERE state = 'fired'"
        )
        .await,
        expected
    );
}

backend_tests!(
    a_deadline_fires_once_across_a_restart,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let clock = Clock::dev(None, None).unwrap();
        let server = start(config(dir.path(), &pki, &db), &clock).await;
        schedule(&server, &pki, "restart", 3, 3600, 60).await;
        assert_eq!(
            count(&server.db, "SELECT COUNT(*) FROM fired").await,
            0,
            "fired early"
        );
        server.stop().await;

        // Restarted: the rows survived; moving the clock past them fires each once.
        let server = start(config(dir.path(), &pki, &db), &clock).await;
        clock.advance(chrono::Duration::hours(2)).unwrap();
        wait_fired(&server, 3).await;
        server.stop().await;

        // Another restart and more time: nothing fires again.
        let server = start(config(dir.path(), &pki, &db), &clock).await;
        clock.advance(chrono::Duration::days(30)).unwrap();
        schedule(&server, &pki, "marker", 1, 60, 0).await;
        clock.advance(chrono::Duration::hours(1)).unwrap();
        wait_fired(&server, 4).await;
        assert_fired_once(&server, 4).await;
        server.stop().await;
    }
);

backend_tests!(
    a_clock_jump_past_many_deadlines_fires_each_once,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let clock = Clock::dev(None, None).unwrap();
        let server = start(config(dir.path(), &pki, &db), &clock).await;
        // 300 deadlines over the next 30 days, and 5 beyond the jump.
        schedule(&server, &pki, "many", 300, 60, 8_000).await;
        schedule(&server, &pki, "later", 5, 40 * 86_400, 60).await;
        clock.advance(chrono::Duration::days(31)).unwrap();
        wait_fired(&server, 300).await;
        assert_fired_once(&server, 300).await;
        assert_eq!(
            count(
                &server.db,
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending'"
            )
            .await,
            5,
            "deadlines not yet due must stay pending"
        );
        server.stop().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sweepers_on_one_postgres_database_fire_each_deadline_once() {
    let Some(db) = TestDatabase::create(TestBackend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let clock = Clock::dev(None, None).unwrap();
    let first = start(config(dir.path(), &pki, &db), &clock).await;
    let second = start(config(dir.path(), &pki, &db), &clock).await;
    schedule(&first, &pki, "contended", 400, 60, 60).await;
    clock.advance(chrono::Duration::days(2)).unwrap();
    wait_fired(&first, 400).await;
    assert_fired_once(&first, 400).await;
    second.stop().await;
    first.stop().await;
}
