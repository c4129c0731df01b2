//! Applying another service's feed: exactly once in effect, resumable, one replica at a time.
//!
//! For each event, one transaction: record the event id as applied (a duplicate stops here),
//! run the handler, advance the cursor. A crash anywhere before the commit leaves nothing; the
//! event comes again after a restart. A lease row (renewed on the system clock, not the dev
//! clock: it is infrastructure, not legal time) lets one replica apply a feed while others wait;
//! the applied-id table keeps even an overlap between two replicas from applying an event twice.
//!
//! What a handler needs from outside its own database (another service's RPC) it fetches in
//! [`EventHandler::prepare`], BEFORE the transaction, never inside it: on SQLite the transaction
//! is `BEGIN IMMEDIATE`, the database's one write lock, and on PostgreSQL it holds row locks, so a
//! slow or unreachable peer inside it would make every write of the service wait behind the
//! call (up to its deadline) and then fail. `prepare` has no side effects here, so whatever
//! happens between it and the commit (a crash, a lost lease, a failed apply) leaves nothing: the
//! next attempt prepares again. A failed `prepare` is retried with backoff exactly like a failed
//! apply, and the cursor stays where it is, so later events never overtake it. An event already
//! applied (a duplicate delivery) is not prepared at all.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use opentelemetry::propagation::Extractor;
use relief_proto::events::v1::SubscribeRequest;
use relief_proto::events::v1::event_feed_service_client::EventFeedServiceClient;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::auth::INSECURE_CALLER_HEADER;
use crate::db::{Db, Tx};
use crate::error::ApiError;
use crate::server::ServiceContext;
use crate::{with_db, with_tx};

/// An event as a consumer receives it.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    /// The source service.
    pub source: String,
    /// Position in the source's feed.
    pub seq: i64,
    /// Unique id.
    pub event_id: String,
    /// When the change happened at the source.
    pub occurred_at: DateTime<Utc>,
    /// The event message.
    pub payload: prost_types::Any,
}

impl ReceivedEvent {
    /// The event as `M`, if it is one (`None` for any other type); a payload of the type that
    /// does not decode is an error (the handler retries, then the feed stalls visibly).
    pub fn decode<M: prost::Message + prost::Name + Default>(&self) -> Result<Option<M>, ApiError> {
        if self.payload.type_url != M::type_url() {
            return Ok(None);
        }
        M::decode(self.payload.value.as_slice())
            .map(Some)
            .map_err(ApiError::internal)
    }
}

/// What a handler's [`EventHandler::prepare`] found outside the transaction, for its
/// [`EventHandler::apply`]: one value of the handler's choosing, or nothing. Opaque: it may hold
/// personal data fetched from a peer, so its `Debug` shows only whether it holds something.
#[derive(Default)]
pub struct Prepared(Option<Box<dyn Any + Send + Sync>>);

impl Prepared {
    /// `value`, for `apply`.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Prepared(Some(Box::new(value)))
    }

    /// The value `prepare` stored, if it stored one of type `T`.
    pub fn take<T: Any>(self) -> Option<T> {
        self.0?.downcast::<T>().ok().map(|value| *value)
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Prepared(..)"),
            None => f.write_str("Prepared(nothing)"),
        }
    }
}

/// What a service does with the events of one source: [`prepare`](EventHandler::prepare)
/// outside any transaction (reads of peers), then [`apply`](EventHandler::apply) inside the
/// transaction that also advances the cursor.
#[tonic::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Gathers what applying `event` needs from outside this service's database (e.g. a peer's
    /// RPC, with a deadline), before the transaction, so no lock is held while it waits. Must
    /// have no side effects in this service: it runs again on every retry, and may run for an
    /// attempt that then applies nothing. An error is retried with backoff like an apply error;
    /// the cursor stays. By default, nothing.
    async fn prepare(&self, _event: &ReceivedEvent) -> Result<Prepared, ApiError> {
        Ok(Prepared::default())
    }

    /// Applies one event with what [`prepare`](EventHandler::prepare) returned for it, writing
    /// only through `tx`. An error rolls everything back; the event is retried (prepared again)
    /// with backoff.
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        prepared: Prepared,
    ) -> Result<(), ApiError>;
}

/// A handler for a feed whose events a service does not act on yet: the cursor advances, nothing
/// else changes. The service issues replace it with real handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoreEvents;

#[tonic::async_trait]
impl EventHandler for IgnoreEvents {
    async fn apply(
        &self,
        _tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        tracing::debug!(type_url = %event.payload.type_url, "event not handled by this service");
        Ok(())
    }
}

/// The handlers of one service, by source service.
pub type EventHandlers = HashMap<&'static str, Arc<dyn EventHandler>>;

/// Exponential backoff with jitter, 100 ms doubling to 10 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(100),
        }
    }
}

impl Backoff {
    /// Sleeps for the current delay (with up to 25 % jitter) and doubles it.
    pub async fn wait(&mut self) {
        let jitter = self.next.mul_f64(0.25 * (rand_fraction()));
        tokio::time::sleep(self.next + jitter).await;
        self.next = (self.next * 2).min(Duration::from_secs(10));
    }

    /// Back to the shortest delay (after a success).
    pub fn reset(&mut self) {
        self.next = Duration::from_millis(100);
    }
}

fn rand_fraction() -> f64 {
    f64::from(uuid::Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX)
}

/// The consumer of one feed.
pub struct Consumer {
    context: ServiceContext,
    source: &'static str,
    name: String,
    holder: String,
    handler: Arc<dyn EventHandler>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// How a stream of events ended.
enum StreamEnd {
    Stopping,
    LeaseLost,
    Failed(String),
}

impl Consumer {
    /// The consumer of `source`'s feed for the service of `context`.
    pub fn new(
        context: ServiceContext,
        consumer_service: &str,
        source: &'static str,
        handler: Arc<dyn EventHandler>,
    ) -> Self {
        Consumer {
            name: format!("{consumer_service}<-{source}"),
            holder: uuid::Uuid::new_v4().to_string(),
            context,
            source,
            handler,
        }
    }

    /// The consumer's name: `<consumer>-<source>`; its cursor and lease rows are keyed by it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the feed until `stopping` resolves.
    pub async fn run(self, stopping: impl std::future::Future<Output = ()> + Send) {
        tokio::pin!(stopping);
        let mut backoff = Backoff::default();
        let lease_ttl = Duration::from_millis(self.context.config.events.lease_ttl_ms);
        loop {
            let held = match self.take_lease(lease_ttl).await {
                Ok(held) => held,
                Err(error) => {
                    tracing::warn!(consumer = %self.name, %error, "cannot take the consumer lease");
                    false
                }
            };
            if !held {
                // Another replica applies this feed; try again when its lease could lapse.
                tokio::select! {
                    () = &mut stopping => return,
                    () = tokio::time::sleep(lease_ttl / 3) => continue,
                }
            }
            let end = tokio::select! {
                () = &mut stopping => StreamEnd::Stopping,
                end = self.follow(lease_ttl, &mut backoff) => end,
            };
            match end {
                StreamEnd::Stopping => {
                    let _ = self.release_lease().await;
                    return;
                }
                StreamEnd::LeaseLost => {
                    tracing::warn!(consumer = %self.name, "lost the consumer lease; waiting to take it again");
                }
                StreamEnd::Failed(error) => {
                    tracing::warn!(consumer = %self.name, %error, "feed interrupted; reconnecting");
                    tokio::select! {
                        () = &mut stopping => {
                            let _ = self.release_lease().await;
                            return;
                        }
                        () = backoff.wait() => {}
                    }
                }
            }
        }
    }

    /// Subscribes from the stored cursor and applies events until the stream fails or the lease
    /// is lost.
    async fn follow(&self, lease_ttl: Duration, backoff: &mut Backoff) -> StreamEnd {
        let cursor = match self.cursor().await {
            Ok(cursor) => cursor,
            Err(error) => return StreamEnd::Failed(error.to_string()),
        };
        let mut client = match self.client() {
            Ok(client) => client,
            Err(error) => return StreamEnd::Failed(error),
        };
        let mut request = tonic::Request::new(SubscribeRequest { after_seq: cursor });
        if self.context.tls.is_none() {
            let caller = crate::pki::service_caller(self.context_service()).spiffe_id();
            if let Ok(value) = caller.parse() {
                request.metadata_mut().insert(INSECURE_CALLER_HEADER, value);
            }
        }
        let mut stream = match client.subscribe(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => return StreamEnd::Failed(status.to_string()),
        };
        tracing::info!(consumer = %self.name, after_seq = cursor, "following feed");
        let mut renew_at = tokio::time::Instant::now() + lease_ttl / 3;
        loop {
            let message = tokio::select! {
                message = stream.message() => message,
                () = tokio::time::sleep_until(renew_at) => {
                    match self.take_lease(lease_ttl).await {
                        Ok(true) => { renew_at = tokio::time::Instant::now() + lease_ttl / 3; continue; }
                        Ok(false) => return StreamEnd::LeaseLost,
                        Err(error) => return StreamEnd::Failed(error.to_string()),
                    }
                }
            };
            let envelope = match message {
                Ok(Some(response)) => match response.envelope {
                    Some(envelope) => envelope,
                    None => continue,
                },
                Ok(None) => return StreamEnd::Failed("the feed ended".to_owned()),
                Err(status) => return StreamEnd::Failed(status.to_string()),
            };
            let event = ReceivedEvent {
                source: self.source.to_owned(),
                seq: envelope.seq,
                event_id: envelope.event_id.clone(),
                occurred_at: envelope
                    .occurred_at
                    .as_ref()
                    .and_then(|t| crate::time::instant("occurred_at", Some(t)).ok())
                    .unwrap_or_else(|| self.context.clock.now()),
                payload: envelope.payload.clone().unwrap_or_default(),
            };
            let span = tracing::info_span!(
                "apply event",
                consumer = %self.name,
                seq = event.seq,
                type_url = %event.payload.type_url,
            );
            let carrier = TraceParent(&envelope.traceparent);
            let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
            let _ = span.set_parent(parent);
            // Retry this one event until it applies: later events must not overtake it.
            loop {
                match self.apply(&event).instrument(span.clone()).await {
                    Ok(Applied::Done | Applied::Duplicate) => {
                        backoff.reset();
                        break;
                    }
                    Ok(Applied::LeaseLost) => return StreamEnd::LeaseLost,
                    Err(error) => {
                        let error = crate::error::DisplayChain(&error).to_string();
                        tracing::warn!(consumer = %self.name, seq = event.seq, %error, "applying an event failed; retrying");
                        backoff.wait().await;
                    }
                }
            }
        }
    }

    fn context_service(&self) -> &str {
        self.name.split("<-").next().unwrap_or_default()
    }

    fn client(&self) -> Result<EventFeedServiceClient<tonic::transport::Channel>, String> {
        let url = self
            .context
            .config
            .peers
            .url(self.source)
            .ok_or_else(|| format!("no peer url for {}", self.source))?;
        let tls = self
            .context
            .tls
            .as_ref()
            .map(|material| (material, self.source));
        let channel = crate::client::connect_lazy(url, tls).map_err(|e| e.to_string())?;
        Ok(EventFeedServiceClient::new(channel))
    }

    /// One attempt at `event`: prepared outside the transaction, then applied in it.
    async fn apply(&self, event: &ReceivedEvent) -> Result<Applied, ApiError> {
        // Checked again in the transaction; here they spare a replica that lost the feed, or an
        // event already applied, the handler's preparation (a peer's call, audited there).
        if !self.holds_lease().await? {
            return Ok(Applied::LeaseLost);
        }
        let prepared = if self.was_applied(&event.event_id).await? {
            Prepared::default()
        } else {
            self.handler.prepare(event).await?
        };
        let mut tx = self.context.db.begin().await?;
        let holder: Option<String> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT holder FROM consumer_leases WHERE consumer = $1")
                .bind(&self.name)
                .fetch_optional(conn)
                .await
        })?;
        if holder.as_deref() != Some(self.holder.as_str()) {
            return Ok(Applied::LeaseLost);
        }
        let now = self.context.clock.now();
        let first_time: Option<String> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO consumer_applied (consumer, event_id, applied_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
            )
            .bind(&self.name)
            .bind(&event.event_id)
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        let outcome = if first_time.is_some() {
            self.handler.apply(&mut tx, event, prepared).await?;
            Applied::Done
        } else {
            Applied::Duplicate
        };
        with_tx!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO consumer_cursors (consumer, last_seq, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (consumer) DO UPDATE SET last_seq = excluded.last_seq, \
                 updated_at = excluded.updated_at WHERE consumer_cursors.last_seq < excluded.last_seq",
            )
            .bind(&self.name)
            .bind(event.seq)
            .bind(now)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        self.context.commit(tx).await?;
        let lag = (self.context.clock.now() - event.occurred_at)
            .to_std()
            .unwrap_or_default();
        consumer_lag().record(
            lag.as_secs_f64(),
            &[opentelemetry::KeyValue::new(
                "relief.feed",
                self.name.clone(),
            )],
        );
        Ok(outcome)
    }

    async fn cursor(&self) -> Result<i64, sqlx::Error> {
        cursor(&self.context.db, &self.name).await
    }

    /// Whether the lease row names this consumer, read outside any transaction.
    async fn holds_lease(&self) -> Result<bool, sqlx::Error> {
        let holder: Option<String> = with_db!(&self.context.db, |pool| {
            sqlx::query_scalar("SELECT holder FROM consumer_leases WHERE consumer = $1")
                .bind(&self.name)
                .fetch_optional(pool)
                .await
        })?;
        Ok(holder.as_deref() == Some(self.holder.as_str()))
    }

    /// Whether the event `event_id` was applied already, read outside any transaction.
    async fn was_applied(&self, event_id: &str) -> Result<bool, sqlx::Error> {
        let applied: Option<String> = with_db!(&self.context.db, |pool| {
            sqlx::query_scalar(
                "SELECT event_id FROM consumer_applied WHERE consumer = $1 AND event_id = $2",
            )
            .bind(&self.name)
            .bind(event_id)
            .fetch_optional(pool)
            .await
        })?;
        Ok(applied.is_some())
    }

    /// Takes or renews the lease; true if this consumer holds it now.
    async fn take_lease(&self, ttl: Duration) -> Result<bool, sqlx::Error> {
        let now = Utc::now();
        let expires =
            now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(15));
        let holder: Option<String> = with_db!(&self.context.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO consumer_leases (consumer, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (consumer) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE consumer_leases.holder = excluded.holder OR consumer_leases.expires_at < $4 \
                 RETURNING holder",
            )
            .bind(&self.name)
            .bind(&self.holder)
            .bind(expires)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        Ok(holder.as_deref() == Some(self.holder.as_str()))
    }

    async fn release_lease(&self) -> Result<(), sqlx::Error> {
        with_db!(&self.context.db, |pool| {
            sqlx::query("DELETE FROM consumer_leases WHERE consumer = $1 AND holder = $2")
                .bind(&self.name)
                .bind(&self.holder)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}

/// The outcome of applying one event.
enum Applied {
    Done,
    Duplicate,
    LeaseLost,
}

/// Time from an event's commit at its source to its application here, per feed.
fn consumer_lag() -> &'static opentelemetry::metrics::Histogram<f64> {
    static LAG: std::sync::OnceLock<opentelemetry::metrics::Histogram<f64>> =
        std::sync::OnceLock::new();
    LAG.get_or_init(|| {
        opentelemetry::global::meter("relief")
            .f64_histogram("relief.consumer.lag")
            .with_unit("s")
            .with_description("time from an event's occurrence at its source to its application")
            .build()
    })
}

/// The stored cursor of the consumer `name` (0 before its first event).
pub async fn cursor(db: &Db, name: &str) -> Result<i64, sqlx::Error> {
    let cursor: Option<i64> = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT last_seq FROM consumer_cursors WHERE consumer = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
    })?;
    Ok(cursor.unwrap_or(0))
}

struct TraceParent<'a>(&'a str);

impl Extractor for TraceParent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent" && !self.0.is_empty()).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}
