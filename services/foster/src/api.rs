//! The gRPC handlers of `relief.foster.v1.FosterSupervisionService`: thin, they take the caller
//! and the request and delegate to the module that owns the rule.

use relief_proto::foster::v1 as pb;
use relief_runtime::ServiceContext;
use tonic::{Request, Response, Status};

use crate::{
    agreements, fees, incidents, inspections, institutions, open_days, placements, supervision,
};

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

    async fn sign_agreement(
        &self,
        request: Request<pb::SignAgreementRequest>,
    ) -> Reply<pb::SignAgreementResponse> {
        Ok(Response::new(
            agreements::sign(&self.context, request).await?,
        ))
    }

    async fn list_agreements(
        &self,
        request: Request<pb::ListAgreementsRequest>,
    ) -> Reply<pb::ListAgreementsResponse> {
        Ok(Response::new(
            agreements::list(&self.context, request).await?,
        ))
    }

    async fn propose_placement(
        &self,
        request: Request<pb::ProposePlacementRequest>,
    ) -> Reply<pb::ProposePlacementResponse> {
        Ok(Response::new(
            placements::propose(&self.context, request).await?,
        ))
    }

    async fn approve_placement(
        &self,
        request: Request<pb::ApprovePlacementRequest>,
    ) -> Reply<pb::ApprovePlacementResponse> {
        Ok(Response::new(
            placements::approve(&self.context, request).await?,
        ))
    }

    async fn decline_placement(
        &self,
        request: Request<pb::DeclinePlacementRequest>,
    ) -> Reply<pb::DeclinePlacementResponse> {
        Ok(Response::new(
            placements::decline(&self.context, request).await?,
        ))
    }

    async fn withdraw_placement(
        &self,
        request: Request<pb::WithdrawPlacementRequest>,
    ) -> Reply<pb::WithdrawPlacementResponse> {
        Ok(Response::new(
            placements::withdraw(&self.context, request).await?,
        ))
    }

    async fn move_resident(
        &self,
        request: Request<pb::MoveResidentRequest>,
    ) -> Reply<pb::MoveResidentResponse> {
        Ok(Response::new(
            placements::move_resident(&self.context, request).await?,
        ))
    }

    async fn end_placement(
        &self,
        request: Request<pb::EndPlacementRequest>,
    ) -> Reply<pb::EndPlacementResponse> {
        Ok(Response::new(
            placements::end(&self.context, request).await?,
        ))
    }

    async fn get_placement(
        &self,
        request: Request<pb::GetPlacementRequest>,
    ) -> Reply<pb::GetPlacementResponse> {
        Ok(Response::new(
            placements::get(&self.context, request).await?,
        ))
    }

    async fn list_placements(
        &self,
        request: Request<pb::ListPlacementsRequest>,
    ) -> Reply<pb::ListPlacementsResponse> {
        Ok(Response::new(
            placements::list(&self.context, request).await?,
        ))
    }

    async fn set_county_rates(
        &self,
        request: Request<pb::SetCountyRatesRequest>,
    ) -> Reply<pb::SetCountyRatesResponse> {
        Ok(Response::new(
            fees::set_rates(&self.context, request).await?,
        ))
    }

    async fn list_county_rates(
        &self,
        request: Request<pb::ListCountyRatesRequest>,
    ) -> Reply<pb::ListCountyRatesResponse> {
        Ok(Response::new(
            fees::list_rates(&self.context, request).await?,
        ))
    }

    async fn list_fees(
        &self,
        request: Request<pb::ListFeesRequest>,
    ) -> Reply<pb::ListFeesResponse> {
        Ok(Response::new(fees::list(&self.context, request).await?))
    }

    async fn record_visit(
        &self,
        request: Request<pb::RecordVisitRequest>,
    ) -> Reply<pb::RecordVisitResponse> {
        Ok(Response::new(
            supervision::record_visit(&self.context, request).await?,
        ))
    }

    async fn list_visits(
        &self,
        request: Request<pb::ListVisitsRequest>,
    ) -> Reply<pb::ListVisitsResponse> {
        Ok(Response::new(
            supervision::list_visits(&self.context, request).await?,
        ))
    }

    async fn file_report(
        &self,
        request: Request<pb::FileReportRequest>,
    ) -> Reply<pb::FileReportResponse> {
        Ok(Response::new(
            supervision::file_report(&self.context, request).await?,
        ))
    }

    async fn list_reports(
        &self,
        request: Request<pb::ListReportsRequest>,
    ) -> Reply<pb::ListReportsResponse> {
        Ok(Response::new(
            supervision::list_reports(&self.context, request).await?,
        ))
    }

    async fn report_foster_incident(
        &self,
        request: Request<pb::ReportFosterIncidentRequest>,
    ) -> Reply<pb::ReportFosterIncidentResponse> {
        Ok(Response::new(
            incidents::report(&self.context, request).await?,
        ))
    }

    async fn list_foster_incidents(
        &self,
        request: Request<pb::ListFosterIncidentsRequest>,
    ) -> Reply<pb::ListFosterIncidentsResponse> {
        Ok(Response::new(
            incidents::list(&self.context, request).await?,
        ))
    }

    async fn record_inspection(
        &self,
        request: Request<pb::RecordInspectionRequest>,
    ) -> Reply<pb::RecordInspectionResponse> {
        Ok(Response::new(
            inspections::record(&self.context, request).await?,
        ))
    }

    async fn record_rectification(
        &self,
        request: Request<pb::RecordRectificationRequest>,
    ) -> Reply<pb::RecordRectificationResponse> {
        Ok(Response::new(
            inspections::rectify(&self.context, request).await?,
        ))
    }

    async fn list_inspections(
        &self,
        request: Request<pb::ListInspectionsRequest>,
    ) -> Reply<pb::ListInspectionsResponse> {
        Ok(Response::new(
            inspections::list(&self.context, request).await?,
        ))
    }

    async fn record_open_day(
        &self,
        request: Request<pb::RecordOpenDayRequest>,
    ) -> Reply<pb::RecordOpenDayResponse> {
        Ok(Response::new(
            open_days::record(&self.context, request).await?,
        ))
    }

    async fn list_open_days(
        &self,
        request: Request<pb::ListOpenDaysRequest>,
    ) -> Reply<pb::ListOpenDaysResponse> {
        Ok(Response::new(
            open_days::list(&self.context, request).await?,
        ))
    }
}
