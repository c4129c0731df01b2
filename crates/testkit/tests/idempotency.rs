//! Idempotent mutations: a retry returns the first response and writes nothing; the same id with
//! a different request is refused; concurrent retries produce one effect; another caller's
//! identical id is a different key. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::CreateRequest;
use common::{Start, count, station};
use relief_runtime::{Caller, CallerKind, Clock};
use relief_testkit::{TestDatabase, TestPki, backend_tests};
use tonic::Code;
use tonic_types::StatusExt;

fn create(request_id: &str, value: &str) -> CreateRequest {
    CreateRequest {
        request_id: request_id.to_owned(),
        value: value.to_owned(),
    }
}

backend_tests!(
    retries_change_nothing_twice,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let mut config = common::config(dir.path(), &pki);
        config.database_url = Some(db.url().clone());
        let server = common::start_with(Start {
            name: "testsvc",
            config,
            clock: Clock::system(),
            listen: None,
            handlers: Vec::new(),
        })
        .await;
        let mut station_client = server.client(&pki, &station()).await;
        let id = uuid::Uuid::new_v4().to_string();

        let first = station_client
            .create(create(&id, "a"))
            .await
            .unwrap()
            .into_inner();
        let retry = station_client
            .create(create(&id, "a"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first, retry, "a retry must return the first response");
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM created").await, 1);

        let reused = station_client.create(create(&id, "b")).await.unwrap_err();
        assert_eq!(reused.code(), Code::InvalidArgument);
        assert_eq!(
            reused.get_error_details().error_info().unwrap().reason,
            "REQUEST_ID_REUSED"
        );
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM created").await, 1);

        let not_uuid = station_client
            .create(create("retry-1", "a"))
            .await
            .unwrap_err();
        assert_eq!(not_uuid.code(), Code::InvalidArgument);
        assert_eq!(
            not_uuid
                .get_error_details()
                .bad_request()
                .unwrap()
                .field_violations[0]
                .field,
            "request_id"
        );

        // Another caller's identical id is its own key.
        let police = Caller::new(CallerKind::Police, "211100", "city-police").unwrap();
        let other = server
            .client(&pki, &police)
            .await
            .create(create(&id, "a"))
            .await
            .unwrap()
            .into_inner();
        assert_ne!(other.id, first.id);
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM created").await, 2);

        // Ten concurrent calls with one new id: one effect, ten identical answers.
        let concurrent_id = uuid::Uuid::new_v4().to_string();
        let calls = (0..10).map(|_| {
            let mut client = station_client.clone();
            let request = create(&concurrent_id, "c");
            async move { client.create(request).await.map(|r| r.into_inner()) }
        });
        let answers: Vec<_> = futures::future::join_all(calls)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(
            answers.windows(2).all(|pair| pair[0] == pair[1]),
            "{answers:?}"
        );
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM created").await, 3);
        server.stop().await;
    }
);
