//! Ingestion: one [`Ingest`] handler per consumed feed (intake, identity, foster). The runtime's
//! consumer applies each event exactly once per database, in one transaction with the cursor; the
//! handler records the feed's progress in `r_feed` and hands the event to the module of its source,
//! and every feed's notification events to [`notifications`].
//!
//! Every write here is a function of the event alone (its fields and the envelope's occurred_at,
//! never the reporting clock), keyed by an entity id or a (metric, subject) fact, and independent of
//! the order between feeds: that is what lets a deleted database be rebuilt from the feeds to the
//! same figures.

pub mod foster;
pub mod identity;
pub mod intake;
pub mod late;
pub mod major;
pub mod notifications;

use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::events::{EventHandler, Prepared};
use relief_runtime::{ApiError, with_tx};

use crate::time::micros;

/// The feeds reporting consumes, in the order GetIngestionStatus lists them.
pub const SOURCES: [&str; 3] = ["intake", "identity", "foster"];

/// The handler of one feed.
#[derive(Debug, Clone, Copy)]
pub struct Ingest {
    source: &'static str,
}

impl Ingest {
    /// The handler of `source`'s feed (one of [`SOURCES`]).
    pub fn new(source: &'static str) -> Self {
        Ingest { source }
    }
}

#[tonic::async_trait]
impl EventHandler for Ingest {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        record_progress(tx, self.source, event).await?;
        notifications::apply(tx, event).await?;
        match self.source {
            "intake" => intake::apply(tx, event).await,
            "identity" => identity::apply(tx, event).await,
            "foster" => foster::apply(tx, event).await,
            _ => Ok(()),
        }
    }
}

/// Moves the feed's row in `r_feed` to `event` (forward only) and counts it.
async fn record_progress(tx: &mut Tx, source: &str, event: &ReceivedEvent) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_feed (feed, last_seq, last_occurred_at, applied) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (feed) DO UPDATE SET \
               last_occurred_at = CASE WHEN excluded.last_seq > r_feed.last_seq \
                 THEN excluded.last_occurred_at ELSE r_feed.last_occurred_at END, \
               last_seq = CASE WHEN excluded.last_seq > r_feed.last_seq \
                 THEN excluded.last_seq ELSE r_feed.last_seq END, \
               applied = r_feed.applied + 1",
        )
        .bind(source)
        .bind(event.seq)
        .bind(micros(event.occurred_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
