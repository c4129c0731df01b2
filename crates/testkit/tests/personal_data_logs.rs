//! No personal data in logs, at any level: every span and event of this test binary, TRACE
//! included, with every field value, is captured while people are stored, found, read, refused,
//! and re-encrypted, and the seeded values never appear.
//!
//! Its own binary, because it installs the process-wide tracing subscriber.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[path = "common/person.rs"]
mod person;

use person::proto::{FindByIdNumberRequest, GetPersonRequest, StorePersonRequest};
use relief_runtime::personal_data::{self, PersonalData};
use relief_runtime::{CallerKind, with_db};
use relief_testkit::{TestDatabase, TestPki, backend_tests, keys};

const NAME: &str = "王五-TESTNAME-4b2d";
const ID_NUMBER: &str = "211102199001011238";

use relief_testkit::logs::captured;

backend_tests!(
    no_personal_data_reaches_the_logs,
    |database: TestDatabase| async move {
        let log = captured();
        let pki = TestPki::new();
        let dir = tempfile::tempdir().unwrap();
        let mut config = person::config(dir.path(), &pki, &database);
        let mut keys = keys::personal_data_config();
        config.personal_data = keys.clone();
        let server = person::start(config.clone()).await;

        let mut station = server
            .client(&pki, CallerKind::Station, "211100", "city-station")
            .await;
        let id = station
            .store_person(StorePersonRequest {
                name: NAME.to_owned(),
                id_number: ID_NUMBER.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .person_id;
        let found = station
            .find_by_id_number(FindByIdNumberRequest {
                id_number: ID_NUMBER.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.person_id, id);
        let person = station
            .get_person(person::with_purpose(
                GetPersonRequest {
                    person_id: id.clone(),
                },
                "log test",
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(person.name, NAME);
        // A refused read and a failed one log too.
        station
            .get_person(GetPersonRequest {
                person_id: id.clone(),
            })
            .await
            .unwrap_err();
        let db = person::raw_db(&database).await;
        let twin = station
            .store_person(StorePersonRequest {
                name: "twin".to_owned(),
                id_number: "211102199001010008".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .person_id;
        with_db!(&db, |pool| {
            sqlx::query(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = $1) WHERE id = $2",
            )
            .bind(&id)
            .bind(&twin)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        station
            .get_person(person::with_purpose(
                GetPersonRequest {
                    person_id: twin.clone(),
                },
                "log test",
            ))
            .await
            .unwrap_err();
        server.stop().await;
        // The twin's copied value would stop re-encryption; this test is about logs.
        with_db!(&db, |pool| {
            sqlx::query("DELETE FROM people WHERE id = $1")
                .bind(&twin)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();

        // Rotation and re-encryption log their progress.
        keys.keys.insert("k2".to_owned(), keys::random_key());
        keys.active_key = "k2".to_owned();
        let personal_data = PersonalData::from_config(&keys).unwrap().unwrap();
        let counts = personal_data::reencrypt(&db, &personal_data, person::SENSITIVE_COLUMNS, 1)
            .await
            .unwrap();
        assert!(counts.iter().all(|c| c.rewritten >= 1), "{counts:?}");
        db.close().await;

        let log = log.lock().unwrap().clone();
        // The capture works: the server's own lines and TRACE lines from below are there.
        assert!(log.contains("serving"), "nothing captured");
        assert!(log.contains("TRACE "), "no TRACE line captured");
        assert!(log.contains("re-encryption batch committed"));
        for needle in [NAME, "TESTNAME-4b2d", ID_NUMBER] {
            assert!(!log.contains(needle), "the log contains {needle:?}");
        }
    }
);
