//! The `notices` table (migration 1000): one row per recorded family-search notice. One SQL text
//! per query for both backends; reads take a pool or the caller's transaction ([`Conn`]).

use chrono::{DateTime, Utc};
use relief_runtime::db::{Conn, Tx};
use relief_runtime::{with_conn, with_tx};

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    /// Stable id.
    pub id: String,
    /// The identity file.
    pub file_id: String,
    /// Where it was published.
    pub platform: String,
    /// The publication's reference.
    pub reference: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The recording station's unit id.
    pub recorded_by: String,
    /// The first notice of the file.
    pub initial: bool,
    /// See `relief.identity.v1.Notice.on_time`.
    pub on_time: bool,
}

const COLUMNS: &str =
    "id, file_id, platform, reference, published_at, recorded_at, recorded_by, initial, on_time";

/// Stores `row`.
pub async fn insert(tx: &mut Tx, row: &NoticeRow) -> Result<(), sqlx::Error> {
    let sql =
        format!("INSERT INTO notices ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    with_tx!(tx, |conn| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.file_id)
        .bind(&row.platform)
        .bind(&row.reference)
        .bind(row.published_at)
        .bind(row.recorded_at)
        .bind(&row.recorded_by)
        .bind(row.initial)
        .bind(row.on_time)
        .execute(conn)
        .await
        .map(|_| ()))
}

/// How many notices file `file_id` has.
pub async fn count(conn: Conn<'_>, file_id: &str) -> Result<i64, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE file_id = $1"
    )
    .bind(file_id)
    .fetch_one(c)
    .await)
}

/// The notices of file `file_id`, oldest publication first.
pub async fn for_file(conn: Conn<'_>, file_id: &str) -> Result<Vec<NoticeRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notices WHERE file_id = $1 \
         ORDER BY published_at, recorded_at, id"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, NoticeRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(file_id)
    .fetch_all(c)
    .await)
}

/// Whether file `file_id` has a notice published in `[from, until)` and recorded before
/// `until`: a notice recorded after a window ended does not make the window on time, whenever
/// the sweeper happens to look.
pub async fn published_within(
    tx: &mut Tx,
    file_id: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let found: i64 = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE file_id = $1 \
         AND published_at >= $2 AND published_at < $3 AND recorded_at < $3"
    )
    .bind(file_id)
    .bind(from)
    .bind(until)
    .fetch_one(conn)
    .await)?;
    Ok(found > 0)
}
