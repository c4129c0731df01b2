//! Personal data through the real server stack, on both backends: values are ciphertexts at rest
//! (in the row and in the SQLite file), keys rotate and `reencrypt` finishes the rotation, the
//! blind index finds a person by ID number, every read is audited with its purpose, and a read
//! without a purpose is refused before anything is read or recorded.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[path = "common/person.rs"]
mod person;

use person::proto::{FindByIdNumberRequest, GetPersonRequest, StorePersonRequest};
use relief_runtime::config::PersonalDataConfig;
use relief_runtime::db::Db;
use relief_runtime::personal_data::{self, PersonalData};
use relief_runtime::server::ServiceContext;
use relief_runtime::{CallerKind, Clock, RunError, with_db};
use relief_testkit::{TestBackend, TestDatabase, TestPki, backend_tests, keys};
use tonic::Code;
use tonic_types::StatusExt;

const NAME: &str = "张三丰-TESTNAME-7f3a";
/// Valid GB 11643 numbers (division 211102, check digits computed by ISO 7064 MOD 11-2).
const ID_NUMBER: &str = "211102199001011238";
const OTHER_NAME: &str = "李四-TESTNAME-c91e";
const OTHER_ID_NUMBER: &str = "21110219851231018X";
const UNUSED_ID_NUMBER: &str = "211102199001011254";
const ROTATED_ID_NUMBERS: [&str; 3] = [
    "211102199001010008",
    "211102199001010016",
    "211102199001010024",
];
const PURPOSE: &str = "family search verification, notice 2026-17";

/// Everything a test needs: its database, PKI, and a directory for the service's files.
struct Setup {
    database: TestDatabase,
    pki: TestPki,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(database: TestDatabase) -> Self {
        Setup {
            database,
            pki: TestPki::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn start(&self, keys: &PersonalDataConfig) -> person::PersonServer {
        let mut config = person::config(self.dir.path(), &self.pki, &self.database);
        config.personal_data = keys.clone();
        person::start(config).await
    }
}

async fn store(
    server: &person::PersonServer,
    pki: &TestPki,
    name: &str,
    id_number: &str,
) -> String {
    let mut station = server
        .client(pki, CallerKind::Station, "211100", "city-station")
        .await;
    station
        .store_person(StorePersonRequest {
            name: name.to_owned(),
            id_number: id_number.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .person_id
}

async fn get(server: &person::PersonServer, pki: &TestPki, person_id: &str) -> (String, String) {
    let mut police = server
        .client(pki, CallerKind::Police, "211103", "xlt-police")
        .await;
    let person = police
        .get_person(person::with_purpose(
            GetPersonRequest {
                person_id: person_id.to_owned(),
            },
            PURPOSE,
        ))
        .await
        .unwrap()
        .into_inner();
    (person.name, person.id_number)
}

/// Every stored (name, id_number) ciphertext pair, by person id.
async fn raw_rows(db: &Db) -> Vec<(String, String, String)> {
    with_db!(db, |pool| {
        sqlx::query_as("SELECT id, name, id_number FROM people ORDER BY id")
            .fetch_all(pool)
            .await
    })
    .unwrap()
}

fn key_ids(rows: &[(String, String, String)]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|(_, name, id_number)| {
            (
                personal_data::key_id_of(name).unwrap(),
                personal_data::key_id_of(id_number).unwrap(),
            )
        })
        .collect()
}

fn assert_no_plaintext(haystack: &[u8], what: &str) {
    for needle in [
        NAME,
        "TESTNAME-7f3a",
        ID_NUMBER,
        OTHER_NAME,
        OTHER_ID_NUMBER,
    ] {
        assert!(
            !haystack
                .windows(needle.len())
                .any(|window| window == needle.as_bytes()),
            "{what} contains {needle:?}"
        );
    }
}

backend_tests!(
    stored_values_are_ciphertexts_without_plaintext,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        let keys = keys::personal_data_config();
        let server = setup.start(&keys).await;
        let first = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        store(&server, &setup.pki, OTHER_NAME, OTHER_ID_NUMBER).await;
        assert_eq!(
            get(&server, &setup.pki, &first).await,
            (NAME.to_owned(), ID_NUMBER.to_owned())
        );

        let db = person::raw_db(&setup.database).await;
        let rows = raw_rows(&db).await;
        assert_eq!(rows.len(), 2);
        for (id, name, id_number) in &rows {
            assert!(name.starts_with("v1:k1:"), "{name}");
            assert!(id_number.starts_with("v1:k1:"), "{id_number}");
            assert_no_plaintext(format!("{id}{name}{id_number}").as_bytes(), "a stored row");
        }
        let indexes: Vec<(String,)> = with_db!(&db, |pool| {
            sqlx::query_as("SELECT id_number_index FROM people")
                .fetch_all(pool)
                .await
        })
        .unwrap();
        for (index,) in &indexes {
            assert_eq!(index.len(), 64);
            assert_no_plaintext(index.as_bytes(), "a blind index");
        }
        server.stop().await;

        if setup.database.backend() == TestBackend::Sqlite {
            // Everything into the main file, then read every file the database has.
            let (busy, _, _): (i64, i64, i64) = with_db!(&db, |pool| {
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(pool)
                    .await
            })
            .unwrap();
            assert_eq!(busy, 0, "checkpoint was blocked");
            db.close().await;
            let url = setup.database.url().expose().clone();
            let path = url.strip_prefix("sqlite://").unwrap();
            let mut checked = 0;
            for suffix in ["", "-wal", "-journal"] {
                let file = format!("{path}{suffix}");
                if let Ok(bytes) = std::fs::read(&file) {
                    assert_no_plaintext(&bytes, &file);
                    checked += bytes.len();
                }
            }
            assert!(checked > 0, "no database file was read");
        } else {
            db.close().await;
        }
    }
);

backend_tests!(
    keys_rotate_and_reencrypt_moves_every_value_to_the_active_key,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        // Rows written under k1.
        let k1_only = keys::personal_data_config();
        let server = setup.start(&k1_only).await;
        let mut people = Vec::new();
        for (n, id_number) in ROTATED_ID_NUMBERS.iter().enumerate() {
            let name = format!("{NAME}-{n}");
            let id_number = (*id_number).to_owned();
            let id = store(&server, &setup.pki, &name, &id_number).await;
            people.push((id, name, id_number));
        }
        server.stop().await;

        // Restarted with k2 active and k1 kept: old rows read, new rows go under k2.
        let mut both = k1_only.clone();
        both.keys.insert("k2".to_owned(), keys::random_key());
        both.active_key = "k2".to_owned();
        let server = setup.start(&both).await;
        for (id, name, id_number) in &people {
            assert_eq!(
                get(&server, &setup.pki, id).await,
                (name.clone(), id_number.clone())
            );
        }
        let newest = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        people.push((newest.clone(), NAME.to_owned(), ID_NUMBER.to_owned()));
        let db = person::raw_db(&setup.database).await;
        let rows = raw_rows(&db).await;
        let under = |rows: &[(String, String, String)], key: &str| {
            key_ids(rows)
                .iter()
                .filter(|(name, id_number)| *name == key && *id_number == key)
                .count()
        };
        assert_eq!((under(&rows, "k1"), under(&rows, "k2")), (3, 1));
        let newest_row = rows.iter().find(|row| row.0 == newest).unwrap();
        assert_eq!(personal_data::key_id_of(&newest_row.1), Some("k2"));

        // Re-encrypt (in batches of 2, while the service serves): everything under k2.
        let keys = PersonalData::from_config(&both).unwrap().unwrap();
        let counts = personal_data::reencrypt(&db, &keys, person::SENSITIVE_COLUMNS, 2)
            .await
            .unwrap();
        let rewritten: Vec<(String, u64, u64)> = counts
            .iter()
            .map(|c| (c.column.to_string(), c.rewritten, c.skipped))
            .collect();
        assert_eq!(
            rewritten,
            [
                ("people.name".to_owned(), 3, 0),
                ("people.id_number".to_owned(), 3, 0)
            ]
        );
        let rows = raw_rows(&db).await;
        assert_eq!(under(&rows, "k2"), 4);
        for (id, name, id_number) in &people {
            assert_eq!(
                get(&server, &setup.pki, id).await,
                (name.clone(), id_number.clone())
            );
        }
        let again = personal_data::reencrypt(&db, &keys, person::SENSITIVE_COLUMNS, 2)
            .await
            .unwrap();
        assert!(
            again.iter().all(|c| c.rewritten == 0 && c.skipped == 0),
            "{again:?}"
        );
        server.stop().await;

        // k1 removed: everything still decrypts, and lookups still work.
        let mut k2_only = both.clone();
        k2_only.keys.remove("k1");
        let server = setup.start(&k2_only).await;
        for (id, name, id_number) in &people {
            assert_eq!(
                get(&server, &setup.pki, id).await,
                (name.clone(), id_number.clone())
            );
        }
        let mut police = server
            .client(&setup.pki, CallerKind::Police, "211103", "xlt-police")
            .await;
        let found = police
            .find_by_id_number(FindByIdNumberRequest {
                id_number: ID_NUMBER.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.person_id, newest);
        server.stop().await;
        db.close().await;
    }
);

backend_tests!(
    a_value_under_a_removed_key_is_an_internal_error_without_detail,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        let k1_only = keys::personal_data_config();
        let server = setup.start(&k1_only).await;
        let id = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        server.stop().await;
        // k1 dropped before re-encrypting: the value cannot be read, and nothing leaks.
        let mut k2_only = keys::personal_data_config();
        k2_only.keys = [("k2".to_owned(), keys::random_key())].into();
        k2_only.active_key = "k2".to_owned();
        let server = setup.start(&k2_only).await;
        let mut police = server
            .client(&setup.pki, CallerKind::Police, "211103", "xlt-police")
            .await;
        let status = police
            .get_person(person::with_purpose(
                GetPersonRequest {
                    person_id: id.clone(),
                },
                PURPOSE,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert_no_plaintext(status.message().as_bytes(), "the status");
        assert!(!status.message().contains("k1"), "{}", status.message());
        // The failed read recorded nothing: the audit rows roll back with it.
        let db = person::raw_db(&setup.database).await;
        assert!(personal_data::reads_of(&db, &id).await.unwrap().is_empty());
        // And re-encryption stops on it, naming the key, not the value.
        let keys = PersonalData::from_config(&k2_only).unwrap().unwrap();
        let error = personal_data::reencrypt(&db, &keys, person::SENSITIVE_COLUMNS, 10)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("\"k1\""), "{error}");
        server.stop().await;
        db.close().await;
    }
);

backend_tests!(
    a_ciphertext_copied_to_another_row_does_not_decrypt,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        let server = setup.start(&keys::personal_data_config()).await;
        let first = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        let second = store(&server, &setup.pki, OTHER_NAME, OTHER_ID_NUMBER).await;
        let db = person::raw_db(&setup.database).await;
        with_db!(&db, |pool| {
            sqlx::query(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = $1) WHERE id = $2",
            )
            .bind(&first)
            .bind(&second)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        let mut police = server
            .client(&setup.pki, CallerKind::Police, "211103", "xlt-police")
            .await;
        let status = police
            .get_person(person::with_purpose(
                GetPersonRequest { person_id: second },
                PURPOSE,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert_no_plaintext(status.message().as_bytes(), "the status");
        assert_eq!(
            get(&server, &setup.pki, &first).await,
            (NAME.to_owned(), ID_NUMBER.to_owned())
        );
        server.stop().await;
        db.close().await;
    }
);

backend_tests!(
    the_blind_index_finds_the_person_and_only_them,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        let server = setup.start(&keys::personal_data_config()).await;
        let first = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        let second = store(&server, &setup.pki, OTHER_NAME, OTHER_ID_NUMBER).await;
        let mut police = server
            .client(&setup.pki, CallerKind::Police, "211103", "xlt-police")
            .await;
        let mut find = async |id_number: &str| {
            police
                .find_by_id_number(FindByIdNumberRequest {
                    id_number: id_number.to_owned(),
                })
                .await
                .unwrap()
                .into_inner()
                .person_id
        };
        assert_eq!(find(ID_NUMBER).await, first);
        // Normalised: surrounding space and a lowercase check character match too.
        assert_eq!(
            find(&format!(" {} ", OTHER_ID_NUMBER.to_lowercase())).await,
            second
        );
        assert_eq!(find(UNUSED_ID_NUMBER).await, "");
        server.stop().await;
    }
);

backend_tests!(
    every_read_is_audited_and_a_read_without_purpose_is_refused,
    |database: TestDatabase| async move {
        let setup = Setup::new(database);
        let server = setup.start(&keys::personal_data_config()).await;
        let id = store(&server, &setup.pki, NAME, ID_NUMBER).await;
        let db = person::raw_db(&setup.database).await;
        // Storing is not a read.
        assert!(personal_data::reads_of(&db, &id).await.unwrap().is_empty());

        get(&server, &setup.pki, &id).await;
        get(&server, &setup.pki, &id).await;
        let reads = personal_data::reads_of(&db, &id).await.unwrap();
        let seen: Vec<(&str, &str, &str, &str, &str, &str)> = reads
            .iter()
            .map(|r| {
                (
                    r.caller.as_str(),
                    r.caller_kind.as_str(),
                    r.caller_unit.as_str(),
                    r.subject.as_str(),
                    r.field.as_str(),
                    r.purpose.as_str(),
                )
            })
            .collect();
        let caller = "spiffe://relief.local/police/211103/xlt-police";
        let row = |field| (caller, "police", "xlt-police", id.as_str(), field, PURPOSE);
        assert_eq!(
            seen,
            [
                row("person.name"),
                row("person.id_number"),
                row("person.name"),
                row("person.id_number")
            ]
        );
        assert!(reads.iter().all(|r| r.caller_division == "211103"));
        let now = chrono::Utc::now();
        assert!(reads.iter().all(|r| (now - r.at).num_seconds().abs() < 60));

        // No purpose, a blank one, a long one: INVALID_ARGUMENT on the header, nothing recorded.
        let mut police = server
            .client(&setup.pki, CallerKind::Police, "211103", "xlt-police")
            .await;
        let request = || GetPersonRequest {
            person_id: id.clone(),
        };
        let too_long = "a".repeat(personal_data::MAX_PURPOSE_CHARS + 1);
        let refused = [
            tonic::Request::new(request()),
            person::with_purpose(request(), "   "),
            person::with_purpose(request(), &too_long),
        ];
        for request in refused {
            let status = police.get_person(request).await.unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            let fields: Vec<String> = status
                .get_error_details()
                .bad_request()
                .unwrap()
                .field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect();
            assert_eq!(fields, [personal_data::PURPOSE_HEADER]);
        }
        assert_eq!(personal_data::reads_of(&db, &id).await.unwrap().len(), 4);

        // Without a transaction of the caller's, the rows are written (together) at once.
        let station =
            relief_runtime::Caller::new(CallerKind::Station, "211100", "city-station").unwrap();
        personal_data::record_read(
            &db,
            &Clock::system(),
            &station,
            "subject-2",
            &["person.photo_ref", "person.dna_ref"],
            "export check",
        )
        .await
        .unwrap();
        let other = personal_data::reads_of(&db, "subject-2").await.unwrap();
        let fields: Vec<&str> = other.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, ["person.photo_ref", "person.dna_ref"]);
        assert!(
            other
                .iter()
                .all(|r| r.caller_kind == "station" && r.purpose == "export check")
        );

        // The log is append-only in the database too.
        let update = with_db!(&db, |pool| {
            sqlx::query("UPDATE audit_log SET purpose = 'edited'")
                .execute(pool)
                .await
                .map(|_| ())
        });
        assert!(update.is_err(), "an audit row was updated");
        let delete = with_db!(&db, |pool| {
            sqlx::query("DELETE FROM audit_log")
                .execute(pool)
                .await
                .map(|_| ())
        });
        assert!(delete.is_err(), "an audit row was deleted");
        assert_eq!(personal_data::reads_of(&db, &id).await.unwrap().len(), 4);
        server.stop().await;
        db.close().await;
    }
);

#[tokio::test]
async fn without_keys_personal_data_calls_are_failed_precondition() {
    let setup = Setup::new(TestDatabase::create(TestBackend::Sqlite).await.unwrap());
    let server = setup.start(&PersonalDataConfig::default()).await;
    let mut station = server
        .client(&setup.pki, CallerKind::Station, "211100", "city-station")
        .await;
    let status = station
        .store_person(StorePersonRequest {
            name: NAME.to_owned(),
            id_number: ID_NUMBER.to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.get_error_details().error_info().unwrap().reason,
        personal_data::KEYS_NOT_CONFIGURED
    );
    server.stop().await;
}

#[tokio::test]
async fn a_bad_key_stops_the_service_at_start_naming_the_key() {
    let setup = Setup::new(TestDatabase::create(TestBackend::Sqlite).await.unwrap());
    let mut config = person::config(setup.dir.path(), &setup.pki, &setup.database);
    config.personal_data = keys::personal_data_config();
    let short_key = "c2hvcnQ=".to_owned();
    config.personal_data.keys.insert(
        "k1".to_owned(),
        relief_runtime::secret::Secret::new(short_key.clone()),
    );
    let error = ServiceContext::open(&person::SPEC, config, Clock::system())
        .await
        .unwrap_err();
    let RunError::Config(config_error) = &error else {
        panic!("expected a configuration error, got {error}");
    };
    assert_eq!(config_error.key, "personal_data.keys.k1");
    assert_eq!(error.exit_code(), 64);
    assert!(!error.to_string().contains(&short_key), "{error}");
}
