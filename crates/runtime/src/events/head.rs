//! The head of a feed: the newest event of a service's outbox, read by the feed for
//! `GetFeedHead`, and asked of a source by a consuming service (to show how far behind it is).

use std::time::Duration;

use chrono::{DateTime, Utc};
use relief_proto::events::v1::GetFeedHeadRequest;
use relief_proto::events::v1::event_feed_service_client::EventFeedServiceClient;

use crate::client::Peer;
use crate::db::Db;
use crate::error::ApiError;
use crate::server::ServiceContext;
use crate::with_db;

/// How long [`feed_head`] waits for a source's answer.
pub const FEED_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// The newest event of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedHead {
    /// Its sequence number; 0 when the outbox is empty.
    pub last_seq: i64,
    /// When its state change happened (the source's clock); `None` when the outbox is empty.
    pub last_occurred_at: Option<DateTime<Utc>>,
}

impl FeedHead {
    /// The head of the outbox in `db`: one read of its newest row.
    pub async fn read(db: &Db) -> Result<FeedHead, sqlx::Error> {
        let last: Option<(i64, DateTime<Utc>)> = with_db!(db, |pool| {
            sqlx::query_as("SELECT seq, occurred_at FROM outbox ORDER BY seq DESC LIMIT 1")
                .fetch_optional(pool)
                .await
        })?;
        Ok(
            last.map_or_else(FeedHead::default, |(seq, occurred_at)| FeedHead {
                last_seq: seq,
                last_occurred_at: Some(occurred_at),
            }),
        )
    }
}

/// The head of `source`'s feed, asked as the service of `context` over the connection its
/// consumers use (the peer URL, mTLS or the plaintext caller header), within
/// [`FEED_HEAD_TIMEOUT`]. A source that is down or slow is UNAVAILABLE (`PEER_UNAVAILABLE`);
/// any other failure is INTERNAL.
pub async fn feed_head(
    context: &ServiceContext,
    source: &'static str,
) -> Result<FeedHead, ApiError> {
    let peer = Peer::new(context, source).with_timeout(FEED_HEAD_TIMEOUT);
    let mut client = EventFeedServiceClient::new(peer.channel().await?);
    let request = peer.request(GetFeedHeadRequest {}, None)?;
    let response = peer
        .call("GetFeedHead", client.get_feed_head(request))
        .await
        .map_err(|error| error.into_api_error())?;
    let last_occurred_at = match &response.last_occurred_at {
        Some(timestamp) => Some(
            crate::time::instant("last_occurred_at", Some(timestamp))
                .map_err(|error| ApiError::internal(format!("{source}'s feed head: {error}")))?,
        ),
        None => None,
    };
    Ok(FeedHead {
        last_seq: response.last_seq,
        last_occurred_at,
    })
}
