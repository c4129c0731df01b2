//! The audit log of personal-data reads (`audit_log`, runtime migration 0010): one row per field
//! read, with who read it, whose it was, when, and the purpose the caller gave. Append-only: this
//! module can add rows and list them, nothing else, and the table's triggers refuse updates and
//! deletes.

use chrono::{DateTime, Utc};

use crate::caller::Caller;
use crate::clock::Clock;
use crate::db::{Db, Tx};
use crate::{with_db, with_tx};

/// Where audit rows are written: the read's own transaction (preferred: the rows commit with it),
/// or the pool (then call it before the response is sent; the rows commit together).
#[derive(Debug)]
pub enum AuditTarget<'a> {
    /// A fresh transaction on this pool.
    Db(&'a Db),
    /// The caller's transaction.
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for AuditTarget<'a> {
    fn from(db: &'a Db) -> Self {
        AuditTarget::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for AuditTarget<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        AuditTarget::Tx(tx)
    }
}

/// One recorded read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Insertion order.
    pub id: i64,
    /// When it was read (the service clock).
    pub at: DateTime<Utc>,
    /// The caller's SPIFFE id.
    pub caller: String,
    /// The caller's kind (`station`, `police`, ...).
    pub caller_kind: String,
    /// The caller's division.
    pub caller_division: String,
    /// The caller's unit id.
    pub caller_unit: String,
    /// Whose data: the id of the person or record read.
    pub subject: String,
    /// Which field, e.g. `person.name`.
    pub field: String,
    /// The purpose the caller gave in `x-relief-purpose`.
    pub purpose: String,
}

const INSERT: &str = "INSERT INTO audit_log \
     (at, caller, caller_kind, caller_division, caller_unit, subject, field, purpose) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Records that `caller` read `fields` of `subject` for `purpose`: one row per field, all at the
/// clock's now. With a transaction the rows commit (or roll back) with the read; with a pool they
/// are written in one transaction of their own before this returns.
pub async fn record_read<'a>(
    target: impl Into<AuditTarget<'a>>,
    clock: &Clock,
    caller: &Caller,
    subject: &str,
    fields: &[&str],
    purpose: &str,
) -> Result<(), sqlx::Error> {
    let at = clock.now();
    let row = Row {
        at,
        caller,
        spiffe_id: caller.spiffe_id(),
        subject,
        purpose,
    };
    match target.into() {
        AuditTarget::Tx(tx) => insert(tx, &row, fields).await,
        AuditTarget::Db(db) => {
            let mut tx = db.begin().await?;
            insert(&mut tx, &row, fields).await?;
            tx.commit().await
        }
    }
}

struct Row<'a> {
    at: DateTime<Utc>,
    caller: &'a Caller,
    spiffe_id: String,
    subject: &'a str,
    purpose: &'a str,
}

async fn insert(tx: &mut Tx, row: &Row<'_>, fields: &[&str]) -> Result<(), sqlx::Error> {
    for field in fields {
        with_tx!(tx, |conn| {
            sqlx::query(INSERT)
                .bind(row.at)
                .bind(&row.spiffe_id)
                .bind(row.caller.kind.as_str())
                .bind(&row.caller.division)
                .bind(&row.caller.unit)
                .bind(row.subject)
                .bind(*field)
                .bind(row.purpose)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
    }
    Ok(())
}

type EntryRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// Every recorded read of `subject`, oldest first.
pub async fn reads_of(db: &Db, subject: &str) -> Result<Vec<AuditEntry>, sqlx::Error> {
    const SELECT: &str = "SELECT id, at, caller, caller_kind, caller_division, caller_unit, \
         subject, field, purpose FROM audit_log WHERE subject = $1 ORDER BY id";
    let rows: Vec<EntryRow> = with_db!(db, |pool| {
        sqlx::query_as(SELECT).bind(subject).fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                at,
                caller,
                caller_kind,
                caller_division,
                caller_unit,
                subject,
                field,
                purpose,
            )| {
                AuditEntry {
                    id,
                    at,
                    caller,
                    caller_kind,
                    caller_division,
                    caller_unit,
                    subject,
                    field,
                    purpose,
                }
            },
        )
        .collect())
}
