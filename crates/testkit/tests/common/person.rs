//! The personal-data test service (tests/proto/relief/testsvc/v1/person_test_service.proto),
//! served through the real runtime bootstrap: names and ID numbers encrypted at rest, ID numbers
//! blind-indexed, every read audited with the caller's purpose.
//!
//! Test files include it with `#[path = "common/person.rs"] mod person;`.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;

use relief_runtime::auth::AccessPolicy;
use relief_runtime::db::{Db, Migrations};
use relief_runtime::personal_data::{self, BlindIndexKind, SensitiveColumn};
use relief_runtime::server::{ServiceContext, serve};
use relief_runtime::shutdown::Shutdown;
use relief_runtime::{
    ApiError, CallerKind, Clock, RunError, ServiceConfig, ServiceParts, ServiceSpec, client,
};
use relief_testkit::{TestDatabase, TestPki};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

pub mod proto {
    tonic::include_proto!("relief.testsvc.v1");
}

use proto::person_test_service_client::PersonTestServiceClient;
use proto::person_test_service_server::{PersonTestService, PersonTestServiceServer};

pub const GRPC_SERVICE: &str = "relief.testsvc.v1.PersonTestService";

/// The service name, also the name in its server certificate.
pub const NAME: &str = "persontest";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("tests/migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("tests/migrations/postgres");

pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE_MIGRATIONS,
    postgres: &POSTGRES_MIGRATIONS,
};

pub const SPEC: ServiceSpec = ServiceSpec {
    name: NAME,
    default_port: 0,
    grpc_services: &[GRPC_SERVICE],
    migrations: Some(MIGRATIONS),
};

pub const PEOPLE_NAME: SensitiveColumn = SensitiveColumn {
    table: "people",
    id_column: "id",
    column: "name",
};

pub const PEOPLE_ID_NUMBER: SensitiveColumn = SensitiveColumn {
    table: "people",
    id_column: "id",
    column: "id_number",
};

/// What the service encrypts, as a real service declares it for `relief reencrypt`.
pub const SENSITIVE_COLUMNS: &[SensitiveColumn] = &[PEOPLE_NAME, PEOPLE_ID_NUMBER];

/// The audit field names of the two values GetPerson returns.
pub const AUDITED_FIELDS: [&str; 2] = ["person.name", "person.id_number"];

/// Who may call what.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(GRPC_SERVICE, "StorePerson", &[Station])
        .allow(GRPC_SERVICE, "GetPerson", &[Station, Police])
        .allow(GRPC_SERVICE, "FindByIdNumber", &[Station, Police])
}

#[derive(Debug, Clone)]
struct PersonApi {
    context: ServiceContext,
}

impl PersonApi {
    fn keys(&self) -> Result<&personal_data::PersonalData, ApiError> {
        personal_data::require(self.context.personal_data.as_deref())
    }
}

#[tonic::async_trait]
impl PersonTestService for PersonApi {
    async fn store_person(
        &self,
        request: Request<proto::StorePersonRequest>,
    ) -> Result<Response<proto::StorePersonResponse>, Status> {
        let keys = self.keys()?;
        let person = request.into_inner();
        if person.name.trim().is_empty() {
            return Err(ApiError::invalid_field("name", "required").into());
        }
        if person.id_number.trim().is_empty() {
            return Err(ApiError::invalid_field("id_number", "required").into());
        }
        // The id is fixed before encrypting: the ciphertexts are bound to it.
        let id = uuid::Uuid::now_v7().to_string();
        let name = keys
            .encrypt(&PEOPLE_NAME, &id, &person.name)
            .map_err(ApiError::from)?;
        let id_number = keys
            .encrypt(&PEOPLE_ID_NUMBER, &id, person.id_number.trim())
            .map_err(ApiError::from)?;
        let index = keys
            .blind_index(BlindIndexKind::IdNumber, &person.id_number)
            .map_err(ApiError::from)?;
        relief_runtime::with_db!(&self.context.db, |pool| {
            sqlx::query(
                "INSERT INTO people (id, name, id_number, id_number_index) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(&name)
            .bind(&id_number)
            .bind(&index)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(ApiError::from)?;
        Ok(Response::new(proto::StorePersonResponse { person_id: id }))
    }

    async fn get_person(
        &self,
        request: Request<proto::GetPersonRequest>,
    ) -> Result<Response<proto::GetPersonResponse>, Status> {
        // First: a call without a purpose reads and records nothing.
        let purpose = personal_data::purpose(&request)?;
        let caller = relief_runtime::caller(&request)?.clone();
        let keys = self.keys()?;
        let person_id = request.into_inner().person_id;
        let mut tx = self.context.db.begin().await.map_err(ApiError::from)?;
        let row: Option<(String, String)> = relief_runtime::with_tx!(&mut tx, |conn| {
            sqlx::query_as("SELECT name, id_number FROM people WHERE id = $1")
                .bind(&person_id)
                .fetch_optional(conn)
                .await
        })
        .map_err(ApiError::from)?;
        let (name, id_number) = row.ok_or(ApiError::NotFound { what: "person" })?;
        let name = keys
            .decrypt(&PEOPLE_NAME, &person_id, &name)
            .map_err(ApiError::from)?;
        let id_number = keys
            .decrypt(&PEOPLE_ID_NUMBER, &person_id, &id_number)
            .map_err(ApiError::from)?;
        // In the transaction of the read, committed before the response is sent.
        personal_data::record_read(
            &mut tx,
            &self.context.clock,
            &caller,
            &person_id,
            &AUDITED_FIELDS,
            &purpose,
        )
        .await
        .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Response::new(proto::GetPersonResponse {
            name: name.expose().clone(),
            id_number: id_number.expose().clone(),
        }))
    }

    async fn find_by_id_number(
        &self,
        request: Request<proto::FindByIdNumberRequest>,
    ) -> Result<Response<proto::FindByIdNumberResponse>, Status> {
        let keys = self.keys()?;
        let index = keys
            .blind_index(BlindIndexKind::IdNumber, &request.into_inner().id_number)
            .map_err(ApiError::from)?;
        let found: Option<(String,)> = relief_runtime::with_db!(&self.context.db, |pool| {
            sqlx::query_as("SELECT id FROM people WHERE id_number_index = $1 ORDER BY id LIMIT 1")
                .bind(&index)
                .fetch_optional(pool)
                .await
        })
        .map_err(ApiError::from)?;
        Ok(Response::new(proto::FindByIdNumberResponse {
            person_id: found.map(|(id,)| id).unwrap_or_default(),
        }))
    }
}

/// A configuration with files in `dir`, certificates from `pki`, the test database, and
/// `personal_data` keys as given (default: none).
pub fn config(dir: &std::path::Path, pki: &TestPki, database: &TestDatabase) -> ServiceConfig {
    let (ca, cert, key) = pki.write_server_files(&dir.join("pki"), NAME);
    let mut config = ServiceConfig::defaults(0);
    config.data_dir = dir.to_path_buf();
    config.database_url = Some(database.url().clone());
    config.tls_ca_file = ca;
    config.tls_cert_file = cert;
    config.tls_key_file = key;
    config.units_file = relief_testkit::deploy_dir().join("units.toml");
    config.holidays_file = relief_testkit::deploy_dir().join("holidays.toml");
    config
}

/// A running person test service.
pub struct PersonServer {
    pub addr: SocketAddr,
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<Result<(), RunError>>,
}

impl PersonServer {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A client presenting a certificate of `kind`/`division`/`unit`.
    pub async fn client(
        &self,
        pki: &TestPki,
        kind: CallerKind,
        division: &str,
        unit: &str,
    ) -> PersonTestServiceClient<Channel> {
        let material = pki.client_for(kind, division, unit);
        let channel = client::connect(&self.url(), Some((&material, NAME)))
            .await
            .unwrap();
        PersonTestServiceClient::new(channel)
    }

    /// Shuts the service down and waits for it to stop.
    pub async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap().unwrap();
    }
}

/// Serves the person test service with `config` until [`PersonServer::stop`].
pub async fn start(config: ServiceConfig) -> PersonServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let context = ServiceContext::open(&SPEC, config, Clock::system())
        .await
        .unwrap();
    let api = PersonApi {
        context: context.clone(),
    };
    let server =
        PersonTestServiceServer::new(api).max_decoding_message_size(context.max_message_bytes());
    let shutdown = Shutdown::new();
    let stop = shutdown.wait();
    let task = tokio::spawn(async move {
        serve(
            &SPEC,
            &context,
            listener,
            ServiceParts::new(Routes::new(server), policy()),
            stop,
        )
        .await
    });
    PersonServer {
        addr,
        shutdown,
        task,
    }
}

/// A pool on the test database of its own (migrated like the service), for raw reads.
pub async fn raw_db(database: &TestDatabase) -> Db {
    Db::connect(database.url(), 2, Some(MIGRATIONS))
        .await
        .unwrap()
}

/// A request with the `x-relief-purpose` header set to `purpose`.
pub fn with_purpose<T>(message: T, purpose: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert(personal_data::PURPOSE_HEADER, purpose.parse().unwrap());
    request
}
