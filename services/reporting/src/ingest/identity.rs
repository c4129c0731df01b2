//! The events of the identity feed that reporting reads (being built in this session).

use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

/// Applies one event of the identity feed to the read models; other events change nothing.
pub async fn apply(_tx: &mut Tx, _event: &ReceivedEvent) -> Result<(), ApiError> {
    Ok(())
}
