//! What intake does with the identity service's feed ("Who owns a stay"):
//!
//! - [`confirmed`]: `IdentityConfirmed` → the case takes the confirmed identity (asked of
//!   identity by RPC, audited there: the event carries none), its origin division, and its
//!   links to the person's other cases (repeat vagrancy).
//! - [`settled`]: an approved `SettlementDecided` → a case in the station closes as settled or
//!   taken into state support; a case in foster care is closed later by the end of the placement.
//! - [`lookup`]: the `GetIdentityFile` call, as the intake service, with a purpose.
//!
//! The RPC runs in the consumer's `prepare`, before its transaction (which on SQLite is the
//! database's write lock): a slow or unreachable identity service delays this feed, never
//! intake's other writes. Preparing writes nothing here, so a crash or a failure between it and
//! the commit leaves nothing behind, and the next attempt asks again.
//!
//! Every other event of the feed is ignored. Each handler is idempotent: applied again, it
//! changes nothing more.

mod confirmed;
mod lookup;
mod settled;

use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::{ApiError, ServiceContext};

use lookup::IdentityLookup;

/// The handler of identity's feed.
#[derive(Debug)]
pub struct IdentityEvents {
    context: ServiceContext,
    lookup: IdentityLookup,
}

impl IdentityEvents {
    /// The handler over the service context (clock, keys, peers, TLS material).
    pub fn new(context: &ServiceContext) -> Self {
        IdentityEvents {
            context: context.clone(),
            lookup: IdentityLookup::new(context),
        }
    }
}

#[tonic::async_trait]
impl EventHandler for IdentityEvents {
    async fn prepare(&self, event: &ReceivedEvent) -> Result<Prepared, ApiError> {
        if let Some(confirmed) = event.decode::<pb::IdentityConfirmed>()? {
            return confirmed::prepare(&self.context, &self.lookup, &confirmed).await;
        }
        Ok(Prepared::default())
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        prepared: Prepared,
    ) -> Result<(), ApiError> {
        if let Some(confirmed) = event.decode::<pb::IdentityConfirmed>()? {
            return confirmed::apply(&self.context, tx, &confirmed, prepared).await;
        }
        if let Some(decided) = event.decode::<pb::SettlementDecided>()? {
            return settled::apply(&self.context, tx, &decided, event.occurred_at).await;
        }
        Ok(())
    }
}
