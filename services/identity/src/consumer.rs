//! What identity does with intake's events: PersonAdmitted opens (or, for a transfer, continues)
//! an identity file for a person not confirmed and records every case in `stay_cases`;
//! CaseClosed closes the file when the stay ends, cancelling its deadlines
//! ([`crate::files::stay`]). Every other event of the feed is ignored.
//!
//! [`foster`] applies foster's feed: where the person of a case is now (ResidentPlaced,
//! PlacementEnded).

pub mod foster;

use prost::{Message, Name};
use relief_proto::intake::v1 as intake;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::{EventHandler, ReceivedEvent};
use relief_runtime::{ApiError, ServiceContext};

use crate::files::stay;

/// The handler of intake's feed.
#[derive(Debug, Clone)]
pub struct IntakeEvents {
    context: ServiceContext,
}

impl IntakeEvents {
    /// The handler over the service context (for the clock, rules and calendar).
    pub fn new(context: &ServiceContext) -> Self {
        IntakeEvents {
            context: context.clone(),
        }
    }
}

/// The event in `payload`, known to be of type `M`.
fn decode<M: Message + Default>(payload: &prost_types::Any) -> Result<M, ApiError> {
    M::decode(payload.value.as_slice()).map_err(ApiError::internal)
}

#[tonic::async_trait]
impl EventHandler for IntakeEvents {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: relief_runtime::events::Prepared,
    ) -> Result<(), ApiError> {
        let payload = &event.payload;
        let now = self.context.clock.now();
        if payload.type_url == intake::PersonAdmitted::type_url() {
            let admitted: intake::PersonAdmitted = decode(payload)?;
            stay::admitted(&self.context, tx, &admitted, now).await
        } else if payload.type_url == intake::CaseClosed::type_url() {
            let closed: intake::CaseClosed = decode(payload)?;
            stay::closed(&self.context, tx, &closed, now).await
        } else {
            Ok(())
        }
    }
}
