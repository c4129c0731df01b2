//! Asking the identity service who a confirmed person is: `GetIdentityFile` as the intake service
//! (its certificate is a client certificate too; in plaintext mode the caller travels in
//! `x-relief-caller`), with a stated purpose, so identity audits the read. It runs in the
//! consumer's `prepare`, outside any transaction of intake's; a deadline bounds it, and a failure
//! leaves the event unapplied for the consumer to retry with backoff.

use std::time::Duration;

use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_runtime::client::Peer;
use relief_runtime::{ApiError, ServiceContext};

/// The purpose identity records for the read.
pub const PURPOSE: &str = "update the case with the identity confirmed by the identity service";

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A lazily connected client of the identity service.
#[derive(Debug)]
pub struct IdentityLookup {
    identity: Peer,
}

impl IdentityLookup {
    /// A lookup over the service context's peers and TLS material; connects on first use.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityLookup {
            identity: Peer::new(context, "identity").with_timeout(CALL_TIMEOUT),
        }
    }

    /// The confirmed identity of file `file_id`. An error (unreachable, refused, no identity
    /// returned) is for the consumer to retry.
    pub async fn identity(&self, file_id: &str) -> Result<pb::IdentityDetails, ApiError> {
        let mut client = IdentityQueryServiceClient::new(self.identity.channel().await?);
        let request = self.identity.request(
            pb::GetIdentityFileRequest {
                file_id: file_id.to_owned(),
                case_id: String::new(),
            },
            Some(PURPOSE),
        )?;
        let response = self
            .identity
            .call("GetIdentityFile", client.get_identity_file(request))
            .await
            .map_err(ApiError::internal)?;
        response
            .file
            .and_then(|file| file.identity)
            .ok_or_else(|| ApiError::internal("GetIdentityFile returned no identity"))
    }
}
