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

/// Locks the pending deadlines of file `id`, then the file, for the rest of `tx`: what a
/// mutation that cancels the file's deadlines (confirming, closing) takes, in the sweeper's
/// order (see `relief_runtime::deadlines::lock_subject`). Deadline handlers use [`lock`].
pub async fn lock_with_deadlines(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    relief_runtime::deadlines::lock_subject(tx, &subject(id)).await?;
    lock(tx, id).await
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

// ---- files-1 slice: writes of the file's life (opening, continuing, closing, confirming) and
// ---- the reads of GetIdentityFile.

/// Records case `case` as intake admitted it (without a file yet); returns false when it was
/// already recorded (the admission was applied before: nothing more to do).
pub async fn insert_stay_case(tx: &mut Tx, case: &StayCase) -> Result<bool, sqlx::Error> {
    let inserted = with_tx!(tx, |c| sqlx::query(
        "INSERT INTO stay_cases \
         (case_id, file_id, station, division, admitted_at, continues_case_id, closed_at) \
         VALUES ($1, NULL, $2, $3, $4, $5, NULL) ON CONFLICT (case_id) DO NOTHING"
    )
    .bind(&case.case_id)
    .bind(&case.station)
    .bind(&case.division)
    .bind(case.admitted_at)
    .bind(&case.continues_case_id)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(inserted == 1)
}

/// Makes case `case_id` one of file `file_id`'s stay.
pub async fn set_stay_case_file(
    tx: &mut Tx,
    case_id: &str,
    file_id: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE stay_cases SET file_id = $2 WHERE case_id = $1"
    )
    .bind(case_id)
    .bind(file_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Records that case `case_id` closed at `closed_at` (the first close counts).
pub async fn close_stay_case(
    tx: &mut Tx,
    case_id: &str,
    closed_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE stay_cases SET closed_at = $2 WHERE case_id = $1 AND closed_at IS NULL"
    )
    .bind(case_id)
    .bind(closed_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Inserts a new file.
pub async fn insert_file(tx: &mut Tx, row: &FileRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO identity_files ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.case_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(row.stay_began_at)
        .bind(row.admitted_as)
        .bind(row.status)
        .bind(row.notice_due_at)
        .bind(row.request_due_at)
        .bind(row.stranded_since)
        .bind(row.confirmed_at)
        .bind(row.confirmation_method)
        .bind(&row.confirmation_note)
        .bind(&row.identity)
        .bind(&row.id_number_index)
        .bind(&row.origin_division)
        .bind(row.closed_at)
        .bind(&row.warnings)
        .bind(row.opened_at)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Moves file `id` to its stay's new current case (a transfer admission): the receiving
/// station and its division now hold it.
pub async fn set_current_case(
    tx: &mut Tx,
    id: &str,
    case_id: &str,
    station: &str,
    division: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE identity_files SET case_id = $2, station = $3, division = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(case_id)
    .bind(station)
    .bind(division)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Closes file `id` if it is open; returns whether it was.
pub async fn set_closed(
    tx: &mut Tx,
    id: &str,
    closed_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "UPDATE identity_files SET status = $2, closed_at = $3 WHERE id = $1 AND status = $4"
    )
    .bind(id)
    .bind(status::CLOSED)
    .bind(closed_at)
    .bind(status::OPEN)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// What a confirmation writes on a file.
#[derive(Clone)]
pub struct Confirmation<'a> {
    /// When.
    pub confirmed_at: DateTime<Utc>,
    /// relief.identity.v1.ConfirmationMethod.
    pub method: i32,
    /// How, in words.
    pub note: &'a str,
    /// The identity's ciphertext.
    pub identity: &'a str,
    /// The blind index of its ID number.
    pub id_number_index: Option<&'a str>,
    /// The origin division ('' when unknown).
    pub origin_division: &'a str,
}

impl fmt::Debug for Confirmation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Confirmation")
            .field("confirmed_at", &self.confirmed_at)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Confirms file `id` if it is open; returns whether it was.
pub async fn set_confirmed(
    tx: &mut Tx,
    id: &str,
    confirmation: &Confirmation<'_>,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "UPDATE identity_files SET status = $2, confirmed_at = $3, confirmation_method = $4, \
         confirmation_note = $5, identity = $6, id_number_index = $7, origin_division = $8 \
         WHERE id = $1 AND status = $9"
    )
    .bind(id)
    .bind(status::CONFIRMED)
    .bind(confirmation.confirmed_at)
    .bind(confirmation.method)
    .bind(confirmation.note)
    .bind(confirmation.identity)
    .bind(confirmation.id_number_index)
    .bind(confirmation.origin_division)
    .bind(status::OPEN)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Adds `warnings` (one per line) to file `id`'s.
pub async fn add_warnings(tx: &mut Tx, id: &str, warnings: &[String]) -> Result<(), sqlx::Error> {
    if warnings.is_empty() {
        return Ok(());
    }
    let Some(row) = fetch(Conn::Tx(tx), id).await? else {
        return Ok(());
    };
    let mut all: Vec<&str> = row.warnings.lines().collect();
    for warning in warnings {
        if !all.contains(&warning.as_str()) {
            all.push(warning);
        }
    }
    let joined = all.join("\n");
    with_tx!(tx, |c| sqlx::query(
        "UPDATE identity_files SET warnings = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(&joined)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Whether a verification request of file `file_id` was filed before `due_at`: the filing
/// deadline is met only by a request filed in time, whenever the sweeper looks. The due time is
/// 24:00 local of the last working day, the first instant of the next day, so a filing at it is
/// late: the request's `filed_on_time` (`filed_at < request_due_at`, verification slice) says
/// the same.
pub async fn request_filed_by(
    conn: Conn<'_>,
    file_id: &str,
    due_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let count: i64 = with_conn!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM verification_requests WHERE file_id = $1 AND filed_at < $2"
    )
    .bind(file_id)
    .bind(due_at)
    .fetch_one(c)
    .await)?;
    Ok(count > 0)
}

/// The verification requests filed for file `file_id`, oldest first.
pub async fn verification_ids(conn: Conn<'_>, file_id: &str) -> Result<Vec<String>, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_scalar(
        "SELECT id FROM verification_requests WHERE file_id = $1 ORDER BY filed_at, id"
    )
    .bind(file_id)
    .fetch_all(c)
    .await)
}

/// `conn` again, for one more query (a `Conn` is used up by each).
pub fn reborrow<'b>(conn: &'b mut Conn<'_>) -> Conn<'b> {
    match conn {
        Conn::Db(db) => Conn::Db(db),
        Conn::Tx(tx) => Conn::Tx(tx),
    }
}
