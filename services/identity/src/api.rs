//! The gRPC handlers of `relief.identity.v1.IdentityQueryService`: thin, they take the caller and
//! the request and delegate to the module that owns the rule.

use relief_proto::identity::v1 as pb;
use relief_runtime::ServiceContext;
use tonic::{Request, Response, Status};

use crate::{files, notices, restoration, settlement, stranded, verification};

/// Implements the generated `IdentityQueryService` trait.
#[derive(Debug, Clone)]
pub struct IdentityQueryServiceApi {
    context: ServiceContext,
}

impl IdentityQueryServiceApi {
    /// The handlers over an opened service context.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityQueryServiceApi {
            context: context.clone(),
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl relief_proto::identity::v1::identity_query_service_server::IdentityQueryService
    for IdentityQueryServiceApi
{
    async fn get_identity_file(
        &self,
        request: Request<pb::GetIdentityFileRequest>,
    ) -> Reply<pb::GetIdentityFileResponse> {
        Ok(Response::new(files::get(&self.context, request).await?))
    }

    async fn confirm_identity(
        &self,
        request: Request<pb::ConfirmIdentityRequest>,
    ) -> Reply<pb::ConfirmIdentityResponse> {
        Ok(Response::new(
            files::confirm_identity(&self.context, request).await?,
        ))
    }

    async fn record_notice_publication(
        &self,
        request: Request<pb::RecordNoticePublicationRequest>,
    ) -> Reply<pb::RecordNoticePublicationResponse> {
        Ok(Response::new(
            notices::record(&self.context, request).await?,
        ))
    }

    async fn file_verification_request(
        &self,
        request: Request<pb::FileVerificationRequestRequest>,
    ) -> Reply<pb::FileVerificationRequestResponse> {
        Ok(Response::new(
            verification::file(&self.context, request).await?,
        ))
    }

    async fn get_verification_request(
        &self,
        request: Request<pb::GetVerificationRequestRequest>,
    ) -> Reply<pb::GetVerificationRequestResponse> {
        Ok(Response::new(
            verification::get(&self.context, request).await?,
        ))
    }

    async fn list_pending_verification_requests(
        &self,
        request: Request<pb::ListPendingVerificationRequestsRequest>,
    ) -> Reply<pb::ListPendingVerificationRequestsResponse> {
        Ok(Response::new(
            verification::list_pending(&self.context, request).await?,
        ))
    }

    async fn acknowledge_verification_request(
        &self,
        request: Request<pb::AcknowledgeVerificationRequestRequest>,
    ) -> Reply<pb::AcknowledgeVerificationRequestResponse> {
        Ok(Response::new(
            verification::acknowledge(&self.context, request).await?,
        ))
    }

    async fn forward_verification_request(
        &self,
        request: Request<pb::ForwardVerificationRequestRequest>,
    ) -> Reply<pb::ForwardVerificationRequestResponse> {
        Ok(Response::new(
            verification::forward(&self.context, request).await?,
        ))
    }

    async fn submit_verification_result(
        &self,
        request: Request<pb::SubmitVerificationResultRequest>,
    ) -> Reply<pb::SubmitVerificationResultResponse> {
        Ok(Response::new(
            verification::submit_result(&self.context, request).await?,
        ))
    }

    async fn list_verification_requests(
        &self,
        request: Request<pb::ListVerificationRequestsRequest>,
    ) -> Reply<pb::ListVerificationRequestsResponse> {
        Ok(Response::new(
            verification::list(&self.context, request).await?,
        ))
    }

    async fn list_stranded_persons(
        &self,
        request: Request<pb::ListStrandedPersonsRequest>,
    ) -> Reply<pb::ListStrandedPersonsResponse> {
        Ok(Response::new(stranded::list(&self.context, request).await?))
    }

    async fn file_settlement_application(
        &self,
        request: Request<pb::FileSettlementApplicationRequest>,
    ) -> Reply<pb::FileSettlementApplicationResponse> {
        Ok(Response::new(
            settlement::file(&self.context, request).await?,
        ))
    }

    async fn decide_settlement(
        &self,
        request: Request<pb::DecideSettlementRequest>,
    ) -> Reply<pb::DecideSettlementResponse> {
        Ok(Response::new(
            settlement::decide(&self.context, request).await?,
        ))
    }

    async fn list_settlement_applications(
        &self,
        request: Request<pb::ListSettlementApplicationsRequest>,
    ) -> Reply<pb::ListSettlementApplicationsResponse> {
        Ok(Response::new(
            settlement::list(&self.context, request).await?,
        ))
    }

    async fn request_household_restoration(
        &self,
        request: Request<pb::RequestHouseholdRestorationRequest>,
    ) -> Reply<pb::RequestHouseholdRestorationResponse> {
        Ok(Response::new(
            restoration::request(&self.context, request).await?,
        ))
    }

    async fn complete_household_restoration(
        &self,
        request: Request<pb::CompleteHouseholdRestorationRequest>,
    ) -> Reply<pb::CompleteHouseholdRestorationResponse> {
        Ok(Response::new(
            restoration::complete(&self.context, request).await?,
        ))
    }

    async fn list_household_restorations(
        &self,
        request: Request<pb::ListHouseholdRestorationsRequest>,
    ) -> Reply<pb::ListHouseholdRestorationsResponse> {
        Ok(Response::new(
            restoration::list(&self.context, request).await?,
        ))
    }
}
