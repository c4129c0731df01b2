//! The tables of identity files (migration 1000): `identity_files` and `stay_cases`. One SQL
//! text per query for both backends; reads take a pool or the caller's transaction ([`Conn`]).

use std::fmt;

use chrono::{DateTime, Utc};
use relief_runtime::db::{Conn, Tx};
use relief_runtime::{with_conn, with_tx};

/// `identity_files.status`: relief.identity.v1.IdentityFileStatus numbers.
pub mod status {
    /// Not identified, the stay goes on.
    pub const OPEN: i32 = 1;
    /// Identified.
    pub const CONFIRMED: i32 = 2;
    /// The stay ended unidentified.
    pub const CLOSED: i32 = 3;
}

/// A stored identity file. `identity` is a ciphertext and `id_number_index` a blind index:
/// `Debug` prints neither.
#[derive(Clone, sqlx::FromRow)]
pub struct FileRow {
    pub id: String,
    pub case_id: String,
    pub station: String,
    pub division: String,
    pub stay_began_at: DateTime<Utc>,
    pub admitted_as: i32,
    pub status: i32,
    pub notice_due_at: Option<DateTime<Utc>>,
    pub request_due_at: DateTime<Utc>,
    pub stranded_since: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmation_method: Option<i32>,
    pub confirmation_note: Option<String>,
    pub identity: Option<String>,
    pub id_number_index: Option<String>,
    pub origin_division: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub warnings: String,
    pub opened_at: DateTime<Utc>,
}

impl fmt::Debug for FileRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileRow")
            .field("id", &self.id)
            .field("case_id", &self.case_id)
            .field("station", &self.station)
            .field("division", &self.division)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl FileRow {
    /// Whether the person is still unidentified and the stay goes on.
    pub fn is_open(&self) -> bool {
        self.status == status::OPEN
    }

    /// The subject of the file's deadlines and notifications.
    pub fn subject(&self) -> String {
        subject(&self.id)
    }
}

/// The deadline and notification subject of file `id`: cancelling it cancels the file's
/// deadlines.
pub fn subject(id: &str) -> String {
    format!("identity-file/{id}")
}

/// Every column of `identity_files`, in [`FileRow`] order.
pub const COLUMNS: &str = "id, case_id, station, division, stay_began_at, admitted_as, status, \
    notice_due_at, request_due_at, stranded_since, confirmed_at, confirmation_method, \
    confirmation_note, identity, id_number_index, origin_division, closed_at, warnings, opened_at";

/// The file with id `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<FileRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM identity_files WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, FileRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The file that any case of its stay (`case_id`) belongs to.
pub async fn fetch_by_case(conn: Conn<'_>, case_id: &str) -> Result<Option<FileRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identity_files WHERE id = \
         (SELECT file_id FROM stay_cases WHERE case_id = $1)"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, FileRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(case_id)
    .fetch_optional(c)
    .await)
}

/// The cases of file `file_id`'s stay, first admission first.
pub async fn case_ids(conn: Conn<'_>, file_id: &str) -> Result<Vec<String>, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_scalar(
        "SELECT case_id FROM stay_cases WHERE file_id = $1 ORDER BY admitted_at, case_id"
    )
    .bind(file_id)
    .fetch_all(c)
    .await)
}

/// A case intake admitted, as identity knows it (`stay_cases`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StayCase {
    pub case_id: String,
    pub file_id: Option<String>,
    pub station: String,
    pub division: String,
    pub admitted_at: DateTime<Utc>,
    pub continues_case_id: String,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The case `case_id`, if intake's feed has brought it.
pub async fn stay_case(conn: Conn<'_>, case_id: &str) -> Result<Option<StayCase>, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_as::<_, StayCase>(
        "SELECT case_id, file_id, station, division, admitted_at, continues_case_id, closed_at \
         FROM stay_cases WHERE case_id = $1"
    )
    .bind(case_id)
    .fetch_optional(c)
    .await)
}

/// Locks file `id` for the rest of `tx` (PostgreSQL: a no-op update takes the row lock; SQLite
/// has one writer), so two mutations of one file serialise.
pub async fn lock(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE identity_files SET status = status WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}
