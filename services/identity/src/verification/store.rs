//! The tables of verification requests (migration 1010): `verification_requests`,
//! `verification_forwardings` and `verification_results`. One SQL text per query for both
//! backends; reads take a pool or the caller's transaction ([`Conn`]).

use std::fmt;

use chrono::{DateTime, Utc};
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::{with_conn, with_db, with_tx};

/// `verification_requests.status`: relief.identity.v1.VerificationStatus numbers.
pub mod status {
    /// Filed, not yet received.
    pub const AWAITING_RECEIPT: i32 = 1;
    /// Received; the answer period runs.
    pub const RECEIVED: i32 = 2;
    /// Answered.
    pub const ANSWERED: i32 = 3;
    /// Withdrawn unanswered.
    pub const WITHDRAWN: i32 = 4;
}

/// A stored verification request.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RequestRow {
    pub id: String,
    pub file_id: String,
    pub case_id: String,
    pub station: String,
    pub division: String,
    /// Method numbers, comma-separated, ascending (see `convert::encode_methods`).
    pub methods: String,
    pub police_unit: String,
    pub note: String,
    pub filed_at: DateTime<Utc>,
    pub filed_on_time: bool,
    pub acknowledge_by: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    pub receipt: i32,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: i32,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_on_time: Option<bool>,
    /// One warning per line.
    pub warnings: String,
}

impl RequestRow {
    /// Whether the request no longer takes receipts, forwardings or first answers.
    pub fn is_closed(&self) -> bool {
        self.status == status::ANSWERED || self.status == status::WITHDRAWN
    }

    /// Received, unanswered and past its due time at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == status::RECEIVED && self.due_at.is_some_and(|due| due < now)
    }

    /// The subject of the request's deadlines and notifications.
    pub fn subject(&self) -> String {
        subject(&self.id)
    }
}

/// The deadline and notification subject of request `id`: cancelling it cancels the request's
/// deadlines.
pub fn subject(id: &str) -> String {
    format!("verification/{id}")
}

/// Every column of `verification_requests`, in [`RequestRow`] order.
const COLUMNS: &str = "id, file_id, case_id, station, division, methods, police_unit, note, \
    filed_at, filed_on_time, acknowledge_by, received_at, receipt, acknowledged_at, due_at, \
    status, answered_at, answered_on_time, warnings";

/// [`COLUMNS`] qualified with the alias `r`, for joins.
const R_COLUMNS: &str = "r.id, r.file_id, r.case_id, r.station, r.division, r.methods, \
    r.police_unit, r.note, r.filed_at, r.filed_on_time, r.acknowledge_by, r.received_at, \
    r.receipt, r.acknowledged_at, r.due_at, r.status, r.answered_at, r.answered_on_time, \
    r.warnings";

/// A forwarding of a request.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ForwardingRow {
    pub verification_id: String,
    pub position: i32,
    pub from_unit: String,
    pub to_unit: String,
    pub forwarded_at: DateTime<Utc>,
    pub reason: String,
}

/// A stored result of one method. `identity` and `sample_reference` are ciphertexts and
/// `fingerprint` a keyed digest: `Debug` prints none of them.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct ResultRow {
    /// `<verification id>/<method number>`.
    pub id: String,
    pub verification_id: String,
    pub method: i32,
    pub outcome: i32,
    pub identity: Option<String>,
    pub sample_reference: Option<String>,
    pub reason: Option<String>,
    pub fingerprint: String,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by_unit: String,
    pub submitted_by_division: String,
    pub on_time: bool,
}

impl fmt::Debug for ResultRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultRow")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// The id of the result of `method` of request `verification_id`.
pub fn result_id(verification_id: &str, method: i32) -> String {
    format!("{verification_id}/{method}")
}

const RESULT_COLUMNS: &str = "id, verification_id, method, outcome, identity, sample_reference, \
    reason, fingerprint, submitted_at, submitted_by_unit, submitted_by_division, on_time";

/// Inserts a new request.
pub async fn insert(tx: &mut Tx, row: &RequestRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO verification_requests ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.file_id)
        .bind(&row.case_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(&row.methods)
        .bind(&row.police_unit)
        .bind(&row.note)
        .bind(row.filed_at)
        .bind(row.filed_on_time)
        .bind(row.acknowledge_by)
        .bind(row.received_at)
        .bind(row.receipt)
        .bind(row.acknowledged_at)
        .bind(row.due_at)
        .bind(row.status)
        .bind(row.answered_at)
        .bind(row.answered_on_time)
        .bind(&row.warnings)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The request `id`, if it exists (whoever may see it).
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<RequestRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM verification_requests WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, RequestRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// Locks request `id` for the rest of `tx` (PostgreSQL: a no-op update takes the row lock;
/// SQLite has one writer), so two mutations of one request serialise. Callers that also lock
/// the file lock it first (`files::store::lock`), the order `withdraw_open` runs in.
pub async fn lock(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE verification_requests SET status = status WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Locks the pending deadline rows of request `id` for the rest of `tx` (PostgreSQL: a no-op
/// update takes the row locks, waiting for a sweeper firing one of them). A mutation that will
/// cancel them takes them before the request's row lock: the order the sweeper takes them in
/// (the deadline row it claimed, then the request in its handler), so the two never deadlock.
pub async fn lock_deadlines(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    relief_runtime::deadlines::lock_subject(tx, &subject(id)).await
}

/// Replaces the mutable columns of a request with `row`'s (receipt, due time, addressee,
/// status, answer, warnings).
pub async fn update(tx: &mut Tx, row: &RequestRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE verification_requests SET police_unit = $2, received_at = $3, receipt = $4, \
         acknowledged_at = $5, due_at = $6, status = $7, answered_at = $8, \
         answered_on_time = $9, warnings = $10 WHERE id = $1"
    )
    .bind(&row.id)
    .bind(&row.police_unit)
    .bind(row.received_at)
    .bind(row.receipt)
    .bind(row.acknowledged_at)
    .bind(row.due_at)
    .bind(row.status)
    .bind(row.answered_at)
    .bind(row.answered_on_time)
    .bind(&row.warnings)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Withdraws request `id` if it is still awaiting receipt or received (only the status changes,
/// so a receipt written meanwhile stays); returns whether it did.
pub async fn withdraw(tx: &mut Tx, id: &str) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "UPDATE verification_requests SET status = 4 WHERE id = $1 AND status IN (1, 2)"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The requests of file `file_id` still awaiting receipt or received (not answered, not
/// withdrawn), oldest first.
pub async fn open_of_file(tx: &mut Tx, file_id: &str) -> Result<Vec<RequestRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM verification_requests WHERE file_id = $1 AND status IN (1, 2) \
         ORDER BY filed_at, id"
    );
    with_tx!(tx, |c| sqlx::query_as::<_, RequestRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(file_id)
    .fetch_all(c)
    .await)
}

/// How many requests of file `file_id` ask for method number `method`.
pub async fn count_asking(tx: &mut Tx, file_id: &str, method: i32) -> Result<i64, sqlx::Error> {
    with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM verification_requests \
         WHERE file_id = $1 AND (',' || methods || ',') LIKE $2"
    )
    .bind(file_id)
    .bind(format!("%,{method},%"))
    .fetch_one(c)
    .await)
}

/// How many results of method number `method` the requests of file `file_id` have.
pub async fn count_results(tx: &mut Tx, file_id: &str, method: i32) -> Result<i64, sqlx::Error> {
    with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM verification_results v \
         JOIN verification_requests r ON r.id = v.verification_id \
         WHERE r.file_id = $1 AND v.method = $2"
    )
    .bind(file_id)
    .bind(method)
    .fetch_one(c)
    .await)
}

/// Appends a forwarding of request `verification_id` (positions count from 1).
pub async fn insert_forwarding(
    tx: &mut Tx,
    verification_id: &str,
    from_unit: &str,
    to_unit: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "INSERT INTO verification_forwardings \
         (verification_id, position, from_unit, to_unit, forwarded_at, reason) \
         SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4, $5 \
         FROM verification_forwardings WHERE verification_id = $1"
    )
    .bind(verification_id)
    .bind(from_unit)
    .bind(to_unit)
    .bind(at)
    .bind(reason)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Inserts a result.
pub async fn insert_result(tx: &mut Tx, row: &ResultRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO verification_results ({RESULT_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.verification_id)
        .bind(row.method)
        .bind(row.outcome)
        .bind(&row.identity)
        .bind(&row.sample_reference)
        .bind(&row.reason)
        .bind(&row.fingerprint)
        .bind(row.submitted_at)
        .bind(&row.submitted_by_unit)
        .bind(&row.submitted_by_division)
        .bind(row.on_time)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The forwardings and the results of the requests `ids`, each oldest first.
pub async fn details_of(
    conn: Conn<'_>,
    ids: &[&str],
) -> Result<(Vec<ForwardingRow>, Vec<ResultRow>), sqlx::Error> {
    if ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    // One placeholder per id: the text holds only `$n` markers, never a value.
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let placeholders = placeholders.join(", ");
    let forwardings_sql = format!(
        "SELECT verification_id, position, from_unit, to_unit, forwarded_at, reason \
         FROM verification_forwardings WHERE verification_id IN ({placeholders}) \
         ORDER BY verification_id, position"
    );
    let results_sql = format!(
        "SELECT {RESULT_COLUMNS} FROM verification_results \
         WHERE verification_id IN ({placeholders}) ORDER BY verification_id, method"
    );
    match conn {
        Conn::Db(db) => {
            let forwardings = with_db!(db, |c| {
                let mut query = sqlx::query_as::<_, ForwardingRow>(sqlx::AssertSqlSafe(
                    forwardings_sql.as_str(),
                ));
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(c).await
            })?;
            let results = with_db!(db, |c| {
                let mut query =
                    sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(results_sql.as_str()));
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(c).await
            })?;
            Ok((forwardings, results))
        }
        Conn::Tx(tx) => {
            let forwardings = with_tx!(tx, |c| {
                let mut query = sqlx::query_as::<_, ForwardingRow>(sqlx::AssertSqlSafe(
                    forwardings_sql.as_str(),
                ));
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(c).await
            })?;
            let results = with_tx!(tx, |c| {
                let mut query =
                    sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(results_sql.as_str()));
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(c).await
            })?;
            Ok((forwardings, results))
        }
    }
}

/// Where the file `file_id` is now (a transfer moves it): the station holding its current case
/// and that case's division, if the file exists.
pub async fn file_place(
    conn: Conn<'_>,
    file_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_as(
        "SELECT station, division FROM identity_files WHERE id = $1"
    )
    .bind(file_id)
    .fetch_optional(c)
    .await)
}

/// Which requests a list returns; an empty text or 0 means "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only requests addressed to this police unit.
    pub police_unit: String,
    /// Only requests of a file this station holds now (the filing station no longer sees a
    /// request once a transfer moved its file).
    pub station: String,
    /// Only requests of a file whose current case is of this division.
    pub division: String,
    /// Only requests of a file whose current division matches this `LIKE` pattern (`2111%`);
    /// `%` for all.
    pub division_pattern: String,
    /// Only this status (0: all).
    pub status: i32,
    /// Received, unanswered and due strictly before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Received, unanswered and due within `[from, until]`.
    pub due_within: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// A page of requests, newest filing first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {R_COLUMNS} FROM verification_requests r \
         JOIN identity_files f ON f.id = r.file_id \
         WHERE ($1 = '' OR r.police_unit = $1) \
         AND ($2 = '' OR f.station = $2) \
         AND ($3 = '' OR f.division = $3) AND f.division LIKE $4 \
         AND ($5 = 0 OR r.status = $5) \
         AND ($6 = 0 OR (r.status = 2 AND r.due_at < $7)) \
         AND ($8 = 0 OR (r.status = 2 AND r.due_at >= $9 AND r.due_at <= $10)) \
         AND (r.filed_at < $11 OR (r.filed_at = $11 AND r.id < $12)) \
         ORDER BY r.filed_at DESC, r.id DESC LIMIT $13"
    );
    let epoch = relief_runtime::paging::end_of_time();
    let (within_from, within_until) = filter.due_within.unwrap_or((epoch, epoch));
    with_db!(db, |pool| sqlx::query_as::<_, RequestRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.police_unit)
    .bind(&filter.station)
    .bind(&filter.division)
    .bind(&filter.division_pattern)
    .bind(filter.status)
    .bind(i32::from(filter.due_before.is_some()))
    .bind(filter.due_before.unwrap_or(epoch))
    .bind(i32::from(filter.due_within.is_some()))
    .bind(within_from)
    .bind(within_until)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// A page of the requests addressed to `police_unit` and not yet answered (awaiting receipt or
/// received), oldest filing first, strictly after the keyset position `after`.
pub async fn list_pending(
    db: &Db,
    police_unit: &str,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM verification_requests \
         WHERE police_unit = $1 AND status IN (1, 2) \
         AND (filed_at > $2 OR (filed_at = $2 AND id > $3)) \
         ORDER BY filed_at, id LIMIT $4"
    );
    with_db!(db, |pool| sqlx::query_as::<_, RequestRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(police_unit)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
