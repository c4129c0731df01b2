//! Facts between services: the transactional outbox, the feed every service serves over it, and
//! the consumers that apply other services' feeds.
//!
//! A service writes its state change and the event in one transaction ([`outbox::append`]) and
//! commits with [`crate::ServiceContext::commit`], which wakes the feed at once (in-process, and
//! through PostgreSQL `NOTIFY` for feeds served by other replicas). A consumer applies each event
//! and stores its cursor in the same transaction, skips event ids it has applied, and holds a
//! lease so one replica at a time applies a feed.

pub mod consumer;
pub mod feed;
pub mod head;
pub mod outbox;

pub use consumer::{EventHandler, IgnoreEvents, Prepared};
pub use head::{FeedHead, feed_head};
pub use outbox::{Outbox, append};

/// Which feeds each service consumes: `(consumer, source)`. The architecture's arrows, in one
/// table; `relief dev`, the testkit and the deployment binaries start the consumers from it.
///
/// - intake → identity: a person admitted without confirmed identity; a stay ended.
/// - identity → intake, foster: an identity was confirmed; a settlement was decided.
/// - foster → intake, identity: placed, moved, left care, missing, died.
/// - everything → reporting.
pub const FEEDS: &[(&str, &str)] = &[
    ("intake", "identity"),
    ("intake", "foster"),
    ("identity", "intake"),
    ("identity", "foster"),
    ("foster", "identity"),
    ("reporting", "intake"),
    ("reporting", "identity"),
    ("reporting", "foster"),
];

/// The sources `service` consumes, in table order.
pub fn sources_of(service: &str) -> impl Iterator<Item = &'static str> + '_ {
    FEEDS
        .iter()
        .filter(move |(consumer, _)| *consumer == service)
        .map(|(_, source)| *source)
}
