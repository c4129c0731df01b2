//! Deadlines as rows, fired by a sweeper.
//!
//! A rule that says "by then" stores a row: id, kind, subject, the legal due instant (computed by
//! `relief-legal`), and a payload. The [`Sweeper`] claims due rows one at a time, runs the kind's
//! [`DeadlineHandler`] and marks the row fired in the same transaction, so whatever the handler
//! writes (events through the outbox, notifications, further deadlines) commits with the firing
//! or not at all. Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, so many replicas sweep one
//! database safely; SQLite has one writer. A fired row is never claimed again. A failing handler
//! leaves its row pending and retries it later with backoff (`run_at`), without blocking others.
//! The sweeper wakes on the poll interval, when a deadline is scheduled in this process, and when
//! the dev clock moves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::{Backend, Db, Tx};
use crate::error::ApiError;
use crate::server::ServiceContext;
use crate::{with_db, with_tx};

/// A deadline row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Deadline {
    /// Stable id, chosen by the scheduler so scheduling twice is harmless (e.g.
    /// `verification.answer:<request id>`).
    pub id: String,
    /// What obligation it is; selects the handler.
    pub kind: String,
    /// The object concerned, `<type>/<id>`; cancelling by subject cancels all its deadlines.
    pub subject: String,
    /// The legal due instant.
    pub due_at: DateTime<Utc>,
    /// Handler-specific data (never personal data).
    pub payload: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: i32,
}

/// What to do when a deadline of one kind falls due.
#[tonic::async_trait]
pub trait DeadlineHandler: Send + Sync + 'static {
    /// Fires `deadline` at `now`, writing only through `tx`. An error leaves it pending.
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError>;
}

/// The handlers of one service, by deadline kind.
pub type DeadlineHandlers = HashMap<&'static str, Arc<dyn DeadlineHandler>>;

/// Schedules a deadline in `tx`; a second schedule with the same id changes nothing. Returns
/// whether it was new.
pub async fn schedule(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    kind: &str,
    subject: &str,
    due_at: DateTime<Utc>,
    payload: Vec<u8>,
) -> Result<bool, sqlx::Error> {
    let inserted = with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO deadlines (id, kind, subject, due_at, run_at, state, payload, created_at) \
             VALUES ($1, $2, $3, $4, $4, 'pending', $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(subject)
        .bind(due_at)
        .bind(payload)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(inserted == 1)
}

/// Cancels one pending deadline; returns whether it was pending.
pub async fn cancel(tx: &mut Tx, now: DateTime<Utc>, id: &str) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE deadlines SET state = 'cancelled', closed_at = $2 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Cancels every pending deadline of `subject`; returns how many.
pub async fn cancel_subject(
    tx: &mut Tx,
    now: DateTime<Utc>,
    subject: &str,
) -> Result<u64, sqlx::Error> {
    let done = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE deadlines SET state = 'cancelled', closed_at = $2 \
             WHERE subject = $1 AND state = 'pending'",
        )
        .bind(subject)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done)
}

/// Locks the pending deadlines of `subject` for the rest of `tx` (PostgreSQL: a no-op update
/// takes the row locks, waiting for a sweeper that is firing one of them; SQLite has one
/// writer). A mutation that will cancel a subject's deadlines and also lock the subject's own
/// row takes these first: the order the sweeper takes them in (the deadline row it claimed,
/// then the subject in its handler), so the two never deadlock. Deadline handlers must not call
/// it (two sweepers holding two rows of one subject would wait on each other).
pub async fn lock_subject(tx: &mut Tx, subject: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE deadlines SET state = state WHERE subject = $1 AND state = 'pending'")
            .bind(subject)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// Counts of pending deadlines: all, and those already due at `now`.
pub async fn counts(db: &Db, now: DateTime<Utc>) -> Result<(i64, i64), sqlx::Error> {
    with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_at <= $1 THEN 1 ELSE 0 END), 0) \
             FROM deadlines WHERE state = 'pending'",
        )
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

/// Claims the next due deadline inside `tx` (PostgreSQL: skipping rows other sweepers hold).
async fn claim(tx: &mut Tx, now: DateTime<Utc>) -> Result<Option<Deadline>, sqlx::Error> {
    // The two texts differ only in the row lock, which SQLite (one writer) neither has nor needs.
    const POSTGRES: &str = "SELECT id, kind, subject, due_at, payload, attempts FROM deadlines \
        WHERE state = 'pending' AND run_at <= $1 ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED";
    const SQLITE: &str = "SELECT id, kind, subject, due_at, payload, attempts FROM deadlines \
        WHERE state = 'pending' AND run_at <= $1 ORDER BY run_at LIMIT 1";
    let sql = match tx.backend() {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    };
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, Deadline>(sql)
            .bind(now)
            .fetch_optional(conn)
            .await
    })
}

/// Fires due deadlines with a service's handlers.
pub struct Sweeper {
    context: ServiceContext,
    handlers: DeadlineHandlers,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Deadlines fired.
    pub fired: u64,
    /// Deadlines whose handler failed (left pending for a later attempt).
    pub failed: u64,
}

impl Sweeper {
    /// A sweeper over the service's database with its handlers.
    pub fn new(context: ServiceContext, handlers: DeadlineHandlers) -> Self {
        Sweeper { context, handlers }
    }

    /// Sweeps until `stopping` resolves.
    pub async fn run(self, stopping: impl std::future::Future<Output = ()> + Send) {
        tokio::pin!(stopping);
        let poll = Duration::from_millis(self.context.config.events.poll_interval_ms);
        let mut clock_moves = self.context.clock.changed();
        let scheduled = self.context.deadline_wake.clone();
        loop {
            clock_moves.borrow_and_update();
            let wake = scheduled.notified();
            match self.sweep().await {
                Ok(outcome) if outcome.fired + outcome.failed > 0 => {
                    tracing::debug!(
                        fired = outcome.fired,
                        failed = outcome.failed,
                        "swept deadlines"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "deadline sweep failed"),
            }
            tokio::select! {
                () = &mut stopping => return,
                _ = clock_moves.changed() => {}
                () = wake => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Fires every deadline due now, one transaction each, until none is due or the service
    /// starts stopping; returns what it did.
    pub async fn sweep(&self) -> Result<SweepOutcome, sqlx::Error> {
        let mut outcome = SweepOutcome::default();
        loop {
            if self.context.stopping.is_triggered() {
                return Ok(outcome);
            }
            let now = self.context.clock.now();
            let mut tx = self.context.db.begin().await?;
            let Some(deadline) = claim(&mut tx, now).await? else {
                return Ok(outcome);
            };
            let result = match self.handlers.get(deadline.kind.as_str()) {
                Some(handler) => handler.fire(&self.context, &mut tx, &deadline, now).await,
                None => Err(ApiError::internal(format!(
                    "no handler for deadline kind {}",
                    deadline.kind
                ))),
            };
            match result {
                Ok(()) => {
                    with_tx!(&mut tx, |conn| {
                        sqlx::query(
                            "UPDATE deadlines SET state = 'fired', closed_at = $2 WHERE id = $1",
                        )
                        .bind(&deadline.id)
                        .bind(now)
                        .execute(conn)
                        .await
                        .map(|done| done.rows_affected())
                    })?;
                    self.context.commit(tx).await?;
                    outcome.fired += 1;
                }
                Err(error) => {
                    drop(tx);
                    self.postpone(&deadline, now, &error).await?;
                    outcome.failed += 1;
                }
            }
        }
    }

    /// Records a failed attempt and moves `run_at` later: 1 min, doubling, at most 1 hour.
    async fn postpone(
        &self,
        deadline: &Deadline,
        now: DateTime<Utc>,
        error: &ApiError,
    ) -> Result<(), sqlx::Error> {
        let message = crate::error::DisplayChain(error).to_string();
        tracing::warn!(deadline = %deadline.id, kind = %deadline.kind, error = %message, "deadline handler failed; will retry");
        let exponent = u32::try_from(deadline.attempts.clamp(0, 6)).unwrap_or(6);
        let retry_at = now + chrono::Duration::minutes(2_i64.pow(exponent).min(60));
        with_db!(&self.context.db, |pool| {
            sqlx::query(
                "UPDATE deadlines SET attempts = attempts + 1, run_at = $2, last_error = $3 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(&deadline.id)
            .bind(retry_at)
            .bind(message)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}
