//! Asking the identity service who a confirmed person is: `GetIdentityFile` as the intake service
//! (its certificate is a client certificate too; in plaintext mode the caller travels in
//! `x-relief-caller`), with a stated purpose, so identity audits the read. It runs in the
//! consumer's `prepare`, outside any transaction of intake's; a deadline bounds it, and a failure
//! leaves the event unapplied for the consumer to retry with backoff.

use std::time::Duration;

use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_runtime::auth::INSECURE_CALLER_HEADER;
use relief_runtime::personal_data::PURPOSE_HEADER;
use relief_runtime::{ApiError, ServiceContext, client};
use tokio::sync::OnceCell;
use tonic::transport::Channel;

/// The purpose identity records for the read.
pub const PURPOSE: &str = "update the case with the identity confirmed by the identity service";

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The peer asked.
const IDENTITY: &str = "identity";

/// A lazily connected client of the identity service.
#[derive(Debug)]
pub struct IdentityLookup {
    context: ServiceContext,
    channel: OnceCell<Channel>,
}

impl IdentityLookup {
    /// A lookup over the service context's peers and TLS material; connects on first use.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityLookup {
            context: context.clone(),
            channel: OnceCell::new(),
        }
    }

    /// The confirmed identity of file `file_id`. An error (unreachable, refused, no identity
    /// returned) is for the consumer to retry.
    pub async fn identity(&self, file_id: &str) -> Result<pb::IdentityDetails, ApiError> {
        let mut client = IdentityQueryServiceClient::new(self.channel().await?.clone());
        let mut request = tonic::Request::new(pb::GetIdentityFileRequest {
            file_id: file_id.to_owned(),
            case_id: String::new(),
        });
        request.set_timeout(CALL_TIMEOUT);
        let metadata = request.metadata_mut();
        metadata.insert(PURPOSE_HEADER, PURPOSE.parse().map_err(ApiError::internal)?);
        if self.context.tls.is_none() {
            let caller = relief_runtime::pki::service_caller(self.context.service).spiffe_id();
            metadata.insert(
                INSECURE_CALLER_HEADER,
                caller.parse().map_err(ApiError::internal)?,
            );
        }
        let response = tokio::time::timeout(CALL_TIMEOUT, client.get_identity_file(request))
            .await
            .map_err(|_| ApiError::internal("GetIdentityFile timed out"))?
            .map_err(ApiError::internal)?
            .into_inner();
        response
            .file
            .and_then(|file| file.identity)
            .ok_or_else(|| ApiError::internal("GetIdentityFile returned no identity"))
    }

    async fn channel(&self) -> Result<&Channel, ApiError> {
        self.channel
            .get_or_try_init(|| async {
                let url = self
                    .context
                    .config
                    .peers
                    .url(IDENTITY)
                    .ok_or_else(|| ApiError::internal("no peer url for identity"))?;
                let tls = self
                    .context
                    .tls
                    .as_ref()
                    .map(|material| (material, IDENTITY));
                client::connect_lazy(url, tls).map_err(ApiError::internal)
            })
            .await
    }
}
