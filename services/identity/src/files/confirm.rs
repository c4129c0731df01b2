//! Confirming an identity, whoever established it: the file records it (encrypted), its open
//! deadlines are cancelled, unanswered verification requests are withdrawn, and
//! IdentityConfirmed tells intake and foster (ids, the opaque person key, the origin division;
//! never the identity).

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, ServiceContext};

use super::store::FileRow;
use crate::identity::IdentityRecord;

/// Confirms `file` (which must be open) as `identity`, established by `method` at `now`.
pub async fn confirm(
    _context: &ServiceContext,
    _tx: &mut Tx,
    _file: &FileRow,
    _method: pb::ConfirmationMethod,
    _identity: &IdentityRecord,
    _note: &str,
    _now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Err(ApiError::Unimplemented {
        message: "confirming an identity is being built".to_owned(),
    })
}
