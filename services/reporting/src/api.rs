//! The gRPC handlers of `relief.reporting.v1.ReportingService`: thin, they take the caller and the
//! request and delegate to the read model that answers it.

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ServiceContext, caller};
use tonic::{Request, Response, Status};

use crate::{export, reads};

/// Implements the generated `ReportingService` trait.
#[derive(Debug, Clone)]
pub struct ReportingServiceApi {
    context: ServiceContext,
}

impl ReportingServiceApi {
    /// The handlers over an opened service context.
    pub fn new(context: &ServiceContext) -> Self {
        ReportingServiceApi {
            context: context.clone(),
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl relief_proto::reporting::v1::reporting_service_server::ReportingService
    for ReportingServiceApi
{
    async fn get_ingestion_status(
        &self,
        request: Request<pb::GetIngestionStatusRequest>,
    ) -> Reply<pb::GetIngestionStatusResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::ingestion::status(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_dashboard(
        &self,
        request: Request<pb::GetDashboardRequest>,
    ) -> Reply<pb::GetDashboardResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::dashboard::get(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_period_statistics(
        &self,
        request: Request<pb::GetPeriodStatisticsRequest>,
    ) -> Reply<pb::GetPeriodStatisticsResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::statistics::get(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_accountability_report(
        &self,
        request: Request<pb::GetAccountabilityReportRequest>,
    ) -> Reply<pb::GetAccountabilityReportResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::accountability::get(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_alerts(
        &self,
        request: Request<pb::ListAlertsRequest>,
    ) -> Reply<pb::ListAlertsResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::alerts::list(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_major_situations(
        &self,
        request: Request<pb::ListMajorSituationsRequest>,
    ) -> Reply<pb::ListMajorSituationsResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::major::list(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_funds_report(
        &self,
        request: Request<pb::GetFundsReportRequest>,
    ) -> Reply<pb::GetFundsReportResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            reads::funds::get(&self.context, &caller, request.into_inner()).await?,
        ))
    }

    async fn export_report(
        &self,
        request: Request<pb::ExportReportRequest>,
    ) -> Reply<pb::ExportReportResponse> {
        let caller = caller(&request)?.clone();
        Ok(Response::new(
            export::export(&self.context, &caller, request.into_inner()).await?,
        ))
    }
}
