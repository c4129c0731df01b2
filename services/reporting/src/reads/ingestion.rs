//! `GetIngestionStatus`: for each consumed feed, in [`crate::ingest::SOURCES`] order, where
//! reporting stands (the runtime's cursor of the feed), how far the source's feed reaches (its
//! head), and the lag between the two, in events and in source time.
//!
//! The head is asked of each source (`GetFeedHead` through
//! [`relief_runtime::events::feed_head`], the three at once, each within its 2 s deadline). A
//! source that does not answer is reported unreachable with the last head seen of it.
//!
//! **This read writes** (and so does [`refresh_heads_until`], every [`HEAD_REFRESH`], in the
//! background of the service). Each head a source answers is cached in `r_feed.head_seq` /
//! `head_occurred_at` (one small upsert per feed whose head moved, through the pool, never in a
//! consumer's transaction), for two readers: this RPC when the source is down later, and
//! GetDashboard's `stale`, which must not call peers. The last answer wins: two concurrent calls
//! may leave the older of their two answers until the next call, which is harmless, whereas a
//! forward-only cache would keep a head that no longer exists after a source's database was
//! replaced, and the dashboard stale for good. It is not a figure: a rebuilt database starts
//! without it, and the next call fills it again.

use std::collections::HashMap;

use relief_proto::reporting::v1 as pb;
use relief_runtime::events::{FeedHead, consumer, feed_head};
use relief_runtime::{ApiError, Caller, ServiceContext, with_db};
use tracing::Instrument;

use crate::ingest::SOURCES;
use crate::time::{instant, micros};

/// `GetIngestionStatus`: one [`pb::FeedStatus`] per consumed feed. Not scoped by division: the
/// feeds are the whole service's (the access policy decides who may ask).
pub async fn status(
    context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetIngestionStatusRequest,
) -> Result<pb::GetIngestionStatusResponse, ApiError> {
    let answered = ask_heads(context).await;
    let stored = stored_feeds(context).await?;
    let mut feeds = Vec::with_capacity(SOURCES.len());
    for source in SOURCES {
        let cursor = consumer::cursor(&context.db, &consumer_name(context, source)).await?;
        let stored = stored.get(source).copied().unwrap_or_default();
        let answer = answered.get(source).copied();
        if let Some(head) = answer {
            remember_head(context, source, &stored, head).await?;
        }
        feeds.push(feed_status(source, cursor, &stored, answer));
    }
    Ok(pb::GetIngestionStatusResponse { feeds })
}

/// How often the service asks its sources for their heads by itself, so the dashboard's `stale`
/// (which reads only the cache) follows a feed that falls behind, and a rebuilt database learns
/// its sources' heads without anyone calling GetIngestionStatus.
pub const HEAD_REFRESH: std::time::Duration = std::time::Duration::from_secs(15);

/// Refreshes the cached heads every [`HEAD_REFRESH`] until `stop` changes or its sender is
/// dropped (the service stops). A source that does not answer keeps its last head, and is logged.
pub async fn refresh_heads_until(
    context: ServiceContext,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(HEAD_REFRESH) => {}
        }
        let answered = ask_heads(&context).await;
        let refreshed = async {
            let stored = stored_feeds(&context).await?;
            for (source, head) in answered {
                let stored = stored.get(source).copied().unwrap_or_default();
                remember_head(&context, source, &stored, head).await?;
            }
            Ok::<(), ApiError>(())
        };
        if let Err(error) = refreshed.await {
            tracing::warn!(%error, "the feed heads could not be cached");
        }
    }
}

/// The runtime's consumer name of `source`'s feed in this service (its cursor row's key).
fn consumer_name(context: &ServiceContext, source: &str) -> String {
    format!("{}<-{source}", context.service)
}

/// What `r_feed` holds of one feed; all zero/`None` before its first event and first head.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StoredFeed {
    /// The last applied seq.
    last_seq: i64,
    /// Source time of the last applied event, µs (0: none applied).
    last_occurred_at: i64,
    /// Events applied.
    applied: i64,
    /// The cached head.
    head_seq: Option<i64>,
    /// Source time of the cached head, µs.
    head_occurred_at: Option<i64>,
}

/// A row of `r_feed`.
#[derive(Debug, sqlx::FromRow)]
struct FeedRow {
    feed: String,
    last_seq: i64,
    last_occurred_at: i64,
    applied: i64,
    head_seq: Option<i64>,
    head_occurred_at: Option<i64>,
}

/// Every feed's `r_feed` row, by feed.
async fn stored_feeds(context: &ServiceContext) -> Result<HashMap<String, StoredFeed>, ApiError> {
    let rows: Vec<FeedRow> = with_db!(&context.db, |pool| {
        sqlx::query_as(
            "SELECT feed, last_seq, last_occurred_at, applied, head_seq, head_occurred_at \
             FROM r_feed",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.feed,
                StoredFeed {
                    last_seq: row.last_seq,
                    last_occurred_at: row.last_occurred_at,
                    applied: row.applied,
                    head_seq: row.head_seq,
                    head_occurred_at: row.head_occurred_at,
                },
            )
        })
        .collect())
}

/// Asks every source for its head at once; the sources that answered, by name. A source that
/// failed (down, slow, refusing) is left out and logged.
async fn ask_heads(context: &ServiceContext) -> HashMap<&'static str, FeedHead> {
    let mut asks = tokio::task::JoinSet::new();
    for source in SOURCES {
        let context = context.clone();
        asks.spawn(async move { (source, feed_head(&context, source).await) }.in_current_span());
    }
    let mut heads = HashMap::new();
    while let Some(joined) = asks.join_next().await {
        match joined {
            Ok((source, Ok(head))) => {
                heads.insert(source, head);
            }
            Ok((source, Err(error))) => {
                tracing::warn!(source, %error, "the source's feed head is unknown now");
            }
            Err(error) => tracing::warn!(%error, "asking a feed head failed"),
        }
    }
    heads
}

/// Caches `head`, just answered by `source`, in `r_feed` unless it is what the row holds
/// already (or the feed is empty and has no row yet).
async fn remember_head(
    context: &ServiceContext,
    source: &str,
    stored: &StoredFeed,
    head: FeedHead,
) -> Result<(), ApiError> {
    let head_occurred_at = head.last_occurred_at.map(micros);
    let unchanged =
        stored.head_seq == Some(head.last_seq) && stored.head_occurred_at == head_occurred_at;
    let nothing_yet = stored == &StoredFeed::default() && head.last_seq == 0;
    if unchanged || nothing_yet {
        return Ok(());
    }
    // A feed with no applied event has no row yet: one with nothing applied is made, which the
    // first applied event then moves (ingest::record_progress upserts over it).
    with_db!(&context.db, |pool| {
        sqlx::query(
            "INSERT INTO r_feed (feed, last_seq, last_occurred_at, applied, head_seq, head_occurred_at) \
             VALUES ($1, 0, 0, 0, $2, $3) \
             ON CONFLICT (feed) DO UPDATE SET head_seq = excluded.head_seq, \
               head_occurred_at = excluded.head_occurred_at",
        )
        .bind(source)
        .bind(head.last_seq)
        .bind(head_occurred_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The status of one feed from its cursor, its `r_feed` row and the head its source answered
/// now (`None`: unreachable).
///
/// Unreachable, the head is the last one seen: the cached head, or the cursor itself where the
/// consumer has applied past it (an applied event proves the source reached it). The lag in
/// seconds is the source time between the head event and the last applied one; it is 0 when
/// nothing is behind, and also when nothing has been applied yet (there is no time to measure
/// from: `lag_events` tells). `lag_events` is negative only when the source's feed is behind
/// the cursor (its database was replaced): shown as it is.
fn feed_status(
    source: &str,
    cursor: i64,
    stored: &StoredFeed,
    answer: Option<FeedHead>,
) -> pb::FeedStatus {
    let applied_at = (stored.last_seq > 0).then_some(stored.last_occurred_at);
    let (head_seq, head_at) = match answer {
        Some(head) => (head.last_seq, head.last_occurred_at.map(micros)),
        None => match stored.head_seq {
            Some(cached) if cached >= cursor => (cached, stored.head_occurred_at),
            _ => (cursor, applied_at),
        },
    };
    let lag_events = head_seq - cursor;
    let lag_seconds = match (head_at, applied_at) {
        (Some(head_at), Some(applied_at)) if lag_events > 0 => {
            ((head_at - applied_at) / 1_000_000).max(0)
        }
        _ => 0,
    };
    pb::FeedStatus {
        source: source.to_owned(),
        cursor,
        head_seq,
        lag_events,
        lag_seconds,
        source_reachable: answer.is_some(),
        last_applied_occurred_at: applied_at.map(|at| relief_runtime::time::timestamp(instant(at))),
        applied: stored.applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn stored(last_seq: i64, head_seq: Option<i64>) -> StoredFeed {
        StoredFeed {
            last_seq,
            last_occurred_at: last_seq * 10 * SECOND,
            applied: last_seq,
            head_seq,
            head_occurred_at: head_seq.map(|seq| seq * 10 * SECOND),
        }
    }

    fn head(seq: i64) -> FeedHead {
        FeedHead {
            last_seq: seq,
            last_occurred_at: Some(instant(seq * 10 * SECOND)),
        }
    }

    #[test]
    fn a_reachable_source_gives_the_lag_in_events_and_source_time() {
        let status = feed_status("intake", 4, &stored(4, Some(5)), Some(head(7)));
        assert_eq!(
            (
                status.head_seq,
                status.lag_events,
                status.lag_seconds,
                status.source_reachable
            ),
            (7, 3, 30, true)
        );
        assert_eq!(status.applied, 4);
        let caught_up = feed_status("intake", 7, &stored(7, Some(7)), Some(head(7)));
        assert_eq!((caught_up.lag_events, caught_up.lag_seconds), (0, 0));
    }

    #[test]
    fn an_unreachable_source_shows_the_last_head_seen() {
        let cached = feed_status("foster", 4, &stored(4, Some(6)), None);
        assert_eq!(
            (
                cached.head_seq,
                cached.lag_events,
                cached.lag_seconds,
                cached.source_reachable
            ),
            (6, 2, 20, false)
        );
        // Applied past the cached head: the cursor is the last head seen.
        let passed = feed_status("foster", 9, &stored(9, Some(6)), None);
        assert_eq!((passed.head_seq, passed.lag_events), (9, 0));
        // Never seen and nothing applied.
        let unknown = feed_status("foster", 0, &StoredFeed::default(), None);
        assert_eq!((unknown.head_seq, unknown.lag_events), (0, 0));
        assert!(unknown.last_applied_occurred_at.is_none());
    }

    #[test]
    fn nothing_applied_yet_has_no_time_lag() {
        let status = feed_status("identity", 0, &StoredFeed::default(), Some(head(3)));
        assert_eq!((status.lag_events, status.lag_seconds), (3, 0));
    }
}
