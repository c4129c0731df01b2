//! Appending events to the outbox inside the writer's transaction, and waking feed readers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::db::{Db, Tx};
use crate::telemetry::propagation::current_traceparent;
use crate::{with_db, with_tx};

/// The PostgreSQL channel a commit with events notifies.
pub const NOTIFY_CHANNEL: &str = "relief_outbox";

/// A fixed advisory-lock key serialising outbox writers of one database (PostgreSQL), so that
/// sequence order is commit order. Held from the append to the commit.
const WRITER_LOCK_KEY: i64 = 0x7265_6c69_6566_0001;

/// One stored event.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredEvent {
    /// Position in the feed.
    pub seq: i64,
    /// Unique id.
    pub event_id: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// `type.googleapis.com/<full message name>`.
    pub type_url: String,
    /// The encoded message.
    pub payload: Vec<u8>,
    /// W3C traceparent of the writing transaction.
    pub traceparent: String,
}

/// Appends `event` to the outbox in `tx`; returns its event id. Call [`Outbox::committed`] (or
/// `ServiceContext::commit`) after the commit so readers wake at once.
pub async fn append<M: prost::Name>(
    tx: &mut Tx,
    occurred_at: DateTime<Utc>,
    event: &M,
) -> Result<String, sqlx::Error> {
    append_raw(tx, occurred_at, &M::type_url(), event.encode_to_vec()).await
}

/// Appends an already-encoded event (type URL and bytes).
pub async fn append_raw(
    tx: &mut Tx,
    occurred_at: DateTime<Utc>,
    type_url: &str,
    payload: Vec<u8>,
) -> Result<String, sqlx::Error> {
    let event_id = uuid::Uuid::now_v7().to_string();
    let traceparent = current_traceparent();
    if let Tx::Postgres(tx) = tx {
        // Held until commit: the next writer's sequence number is taken after ours commits.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITER_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut **tx)
            .await?;
    }
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO outbox (event_id, occurred_at, type_url, payload, traceparent) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&event_id)
        .bind(occurred_at)
        .bind(type_url)
        .bind(payload)
        .bind(traceparent)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(event_id)
}

/// Reads up to `limit` events after `after_seq`, in order.
pub async fn read_after(
    db: &Db,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    with_db!(db, |pool| {
        sqlx::query_as::<_, StoredEvent>(
            "SELECT seq, event_id, occurred_at, type_url, payload, traceparent FROM outbox \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// The highest sequence number written so far (0 for an empty outbox).
pub async fn head(db: &Db) -> Result<i64, sqlx::Error> {
    let head: Option<i64> = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT MAX(seq) FROM outbox")
            .fetch_one(pool)
            .await
    })?;
    Ok(head.unwrap_or(0))
}

/// Wakes feed readers of this process when events commit.
#[derive(Debug, Clone)]
pub struct Outbox {
    commits: Arc<watch::Sender<u64>>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            commits: Arc::new(watch::channel(0).0),
        }
    }
}

impl Outbox {
    /// Signals that a transaction with events committed.
    pub fn committed(&self) {
        self.commits.send_modify(|generation| *generation += 1);
    }

    /// A receiver that changes on every commit signal.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// On PostgreSQL, forwards `NOTIFY relief_outbox` (commits by other replicas) to this
    /// process's readers until `stopping` resolves. Reconnects with backoff; the feed's
    /// safety-net poll covers the gaps.
    pub async fn listen_postgres(
        &self,
        db: Db,
        url: crate::secret::Secret<String>,
        stopping: impl std::future::Future<Output = ()> + Send,
    ) {
        // The listener holds its own connection, outside the pool, so it never starves queries.
        let Db::Postgres(_) = db else {
            return;
        };
        tokio::pin!(stopping);
        let mut backoff = crate::events::consumer::Backoff::default();
        loop {
            let listened = async {
                let mut listener = sqlx::postgres::PgListener::connect(url.expose()).await?;
                listener.listen(NOTIFY_CHANNEL).await?;
                backoff.reset();
                // A commit may have happened while we were not listening.
                self.committed();
                loop {
                    listener.recv().await?;
                    self.committed();
                }
                #[allow(unreachable_code)]
                Ok::<(), sqlx::Error>(())
            };
            tokio::select! {
                () = &mut stopping => return,
                result = listened => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "outbox listener lost its connection; reconnecting");
                    }
                }
            }
            tokio::select! {
                () = &mut stopping => return,
                () = backoff.wait() => {}
            }
        }
    }
}
