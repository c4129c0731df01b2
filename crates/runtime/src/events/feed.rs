//! `relief.events.v1.EventFeedService`: a service's outbox as an ordered, resumable stream, and
//! its head; and who may call it (one rule for every method of the feed).

use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use relief_proto::events::v1::event_feed_service_server::EventFeedService;
use relief_proto::events::v1::{
    EventEnvelope, GetFeedHeadRequest, GetFeedHeadResponse, SubscribeRequest, SubscribeResponse,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::auth::AccessPolicy;
use crate::caller::CallerKind;
use crate::db::Db;
use crate::error::ApiError;
use crate::events::head::FeedHead;
use crate::events::outbox::{Outbox, StoredEvent, read_after};
use crate::shutdown::Shutdown;

/// The full protobuf name of the feed service.
pub const GRPC_SERVICE: &str = "relief.events.v1.EventFeedService";

/// Who may call the feed, by any of its methods: other relief services only (events carry no
/// personal data, but they are the services' business, not their users').
pub const CALLERS: &[CallerKind] = &[CallerKind::Service];

/// The feed's access rules: [`CALLERS`] for every method.
pub fn policy() -> AccessPolicy {
    AccessPolicy::new()
        .allow(GRPC_SERVICE, "Subscribe", CALLERS)
        .allow(GRPC_SERVICE, "GetFeedHead", CALLERS)
}

/// Events read from the database per query.
const BATCH: i64 = 500;

/// Serves one service's outbox.
#[derive(Debug, Clone)]
pub struct EventFeed {
    db: Db,
    outbox: Outbox,
    source_service: &'static str,
    poll_interval: Duration,
    stopping: Shutdown,
}

impl EventFeed {
    /// A feed over `db`, woken by `outbox`, polling every `poll_interval` as a safety net, ending
    /// every stream when `stopping` is triggered (so a shutdown is not held up by subscribers).
    pub fn new(
        db: Db,
        outbox: Outbox,
        source_service: &'static str,
        poll_interval: Duration,
        stopping: Shutdown,
    ) -> Self {
        EventFeed {
            db,
            outbox,
            source_service,
            poll_interval,
            stopping,
        }
    }

    fn envelope(&self, event: StoredEvent) -> EventEnvelope {
        EventEnvelope {
            seq: event.seq,
            event_id: event.event_id,
            occurred_at: Some(crate::time::timestamp(event.occurred_at)),
            source_service: self.source_service.to_owned(),
            traceparent: event.traceparent,
            payload: Some(prost_types::Any {
                type_url: event.type_url,
                value: event.payload,
            }),
        }
    }

    async fn pump(self, mut cursor: i64, sender: mpsc::Sender<Result<SubscribeResponse, Status>>) {
        let mut commits = self.outbox.subscribe();
        let stopping = self.stopping.wait();
        tokio::pin!(stopping);
        loop {
            // Mark the current generation seen before reading, so a commit landing during the
            // read wakes the next wait instead of being missed.
            commits.borrow_and_update();
            let batch = match read_after(&self.db, cursor, BATCH).await {
                Ok(batch) => batch,
                Err(error) => {
                    let status: Status = ApiError::from(error).into();
                    let _ = sender.send(Err(status)).await;
                    return;
                }
            };
            let full = batch.len() as i64 == BATCH;
            for event in batch {
                cursor = event.seq;
                let envelope = self.envelope(event);
                let response = SubscribeResponse {
                    envelope: Some(envelope),
                };
                if sender.send(Ok(response)).await.is_err() {
                    return; // the subscriber went away
                }
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = commits.changed() => {}
                () = tokio::time::sleep(self.poll_interval) => {}
                () = &mut stopping => return,
                () = sender.closed() => return,
            }
        }
    }
}

#[tonic::async_trait]
impl EventFeedService for EventFeed {
    type SubscribeStream = Pin<Box<dyn Stream<Item = Result<SubscribeResponse, Status>> + Send>>;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let after_seq = request.into_inner().after_seq;
        if after_seq < 0 {
            return Err(ApiError::invalid_field("after_seq", "must not be negative").into());
        }
        let (sender, receiver) = mpsc::channel(256);
        tokio::spawn(self.clone().pump(after_seq, sender));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn get_feed_head(
        &self,
        _request: Request<GetFeedHeadRequest>,
    ) -> Result<Response<GetFeedHeadResponse>, Status> {
        let head = FeedHead::read(&self.db).await.map_err(ApiError::from)?;
        Ok(Response::new(GetFeedHeadResponse {
            last_seq: head.last_seq,
            last_occurred_at: crate::time::timestamp_opt(head.last_occurred_at),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_the_feed_has_its_rule() {
        assert!(
            policy()
                .methods_without_rule(relief_proto::FILE_DESCRIPTOR_SET, GRPC_SERVICE)
                .is_empty()
        );
    }
}
