//! The gRPC handlers of `relief.foster.v1.FosterSupervisionService`: thin, they take the caller
//! and the request and delegate to the module that owns the rule.

use relief_proto::foster::v1 as pb;
use relief_runtime::ServiceContext;
use tonic::{Request, Response, Status};

use crate::institutions;

/// Implements the generated `FosterSupervisionService` trait.
#[derive(Debug, Clone)]
pub struct FosterSupervisionServiceApi {
    context: ServiceContext,
}

impl FosterSupervisionServiceApi {
    /// The handlers over an opened service context.
    pub fn new(context: &ServiceContext) -> Self {
        FosterSupervisionServiceApi {
            context: context.clone(),
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl relief_proto::foster::v1::foster_supervision_service_server::FosterSupervisionService
    for FosterSupervisionServiceApi
{
    async fn register_institution(
        &self,
        request: Request<pb::RegisterInstitutionRequest>,
    ) -> Reply<pb::RegisterInstitutionResponse> {
        Ok(Response::new(
            institutions::register(&self.context, request).await?,
        ))
    }

    async fn get_institution(
        &self,
        request: Request<pb::GetInstitutionRequest>,
    ) -> Reply<pb::GetInstitutionResponse> {
        Ok(Response::new(
            institutions::get(&self.context, request).await?,
        ))
    }

    async fn list_institutions(
        &self,
        request: Request<pb::ListInstitutionsRequest>,
    ) -> Reply<pb::ListInstitutionsResponse> {
        Ok(Response::new(
            institutions::list(&self.context, request).await?,
        ))
    }

    async fn suspend_institution(
        &self,
        request: Request<pb::SuspendInstitutionRequest>,
    ) -> Reply<pb::SuspendInstitutionResponse> {
        Ok(Response::new(
            institutions::suspend(&self.context, request).await?,
        ))
    }

    async fn reinstate_institution(
        &self,
        request: Request<pb::ReinstateInstitutionRequest>,
    ) -> Reply<pb::ReinstateInstitutionResponse> {
        Ok(Response::new(
            institutions::reinstate(&self.context, request).await?,
        ))
    }

    async fn renew_institution_document(
        &self,
        request: Request<pb::RenewInstitutionDocumentRequest>,
    ) -> Reply<pb::RenewInstitutionDocumentResponse> {
        Ok(Response::new(
            institutions::renew(&self.context, request).await?,
        ))
    }
}
