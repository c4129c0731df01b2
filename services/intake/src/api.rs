//! The gRPC handlers of `relief.intake.v1.IntakeService`: thin, they take the caller and the
//! request and delegate to the module that owns the rule.

use relief_proto::intake::v1 as pb;
use relief_runtime::ServiceContext;
use tonic::{Request, Response, Status};

use crate::{care, cases, departure, encounters, incidents, refusals, rescue_points, sightings};

/// Implements the generated `IntakeService` trait.
#[derive(Debug, Clone)]
pub struct IntakeServiceApi {
    context: ServiceContext,
}

impl IntakeServiceApi {
    /// The handlers over an opened service context.
    pub fn new(context: &ServiceContext) -> Self {
        IntakeServiceApi {
            context: context.clone(),
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl relief_proto::intake::v1::intake_service_server::IntakeService for IntakeServiceApi {
    async fn report_sighting(
        &self,
        request: Request<pb::ReportSightingRequest>,
    ) -> Reply<pb::ReportSightingResponse> {
        Ok(Response::new(
            sightings::report(&self.context, request).await?,
        ))
    }

    async fn get_sighting(
        &self,
        request: Request<pb::GetSightingRequest>,
    ) -> Reply<pb::GetSightingResponse> {
        Ok(Response::new(sightings::get(&self.context, request).await?))
    }

    async fn list_sightings(
        &self,
        request: Request<pb::ListSightingsRequest>,
    ) -> Reply<pb::ListSightingsResponse> {
        Ok(Response::new(
            sightings::list(&self.context, request).await?,
        ))
    }

    async fn record_encounter(
        &self,
        request: Request<pb::RecordEncounterRequest>,
    ) -> Reply<pb::RecordEncounterResponse> {
        Ok(Response::new(
            encounters::record(&self.context, request).await?,
        ))
    }

    async fn accept_handover(
        &self,
        request: Request<pb::AcceptHandoverRequest>,
    ) -> Reply<pb::AcceptHandoverResponse> {
        Ok(Response::new(
            encounters::accept_handover(&self.context, request).await?,
        ))
    }

    async fn complete_hospital_identification(
        &self,
        request: Request<pb::CompleteHospitalIdentificationRequest>,
    ) -> Reply<pb::CompleteHospitalIdentificationResponse> {
        Ok(Response::new(
            encounters::complete_identification(&self.context, request).await?,
        ))
    }

    async fn report_hospital_stay(
        &self,
        request: Request<pb::ReportHospitalStayRequest>,
    ) -> Reply<pb::ReportHospitalStayResponse> {
        Ok(Response::new(
            encounters::report_hospital_stay(&self.context, request).await?,
        ))
    }

    async fn admit_person(
        &self,
        request: Request<pb::AdmitPersonRequest>,
    ) -> Reply<pb::AdmitPersonResponse> {
        Ok(Response::new(cases::admit(&self.context, request).await?))
    }

    async fn record_relief_refusal(
        &self,
        request: Request<pb::RecordReliefRefusalRequest>,
    ) -> Reply<pb::RecordReliefRefusalResponse> {
        Ok(Response::new(
            refusals::record(&self.context, request).await?,
        ))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Reply<pb::GetCaseResponse> {
        Ok(Response::new(cases::get(&self.context, request).await?))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Reply<pb::ListCasesResponse> {
        Ok(Response::new(cases::list(&self.context, request).await?))
    }

    async fn justify_long_stay(
        &self,
        request: Request<pb::JustifyLongStayRequest>,
    ) -> Reply<pb::JustifyLongStayResponse> {
        Ok(Response::new(
            cases::justify_long_stay(&self.context, request).await?,
        ))
    }

    async fn record_service(
        &self,
        request: Request<pb::RecordServiceRequest>,
    ) -> Reply<pb::RecordServiceResponse> {
        Ok(Response::new(care::record(&self.context, request).await?))
    }

    async fn list_services(
        &self,
        request: Request<pb::ListServicesRequest>,
    ) -> Reply<pb::ListServicesResponse> {
        Ok(Response::new(care::list(&self.context, request).await?))
    }

    async fn report_incident(
        &self,
        request: Request<pb::ReportIncidentRequest>,
    ) -> Reply<pb::ReportIncidentResponse> {
        Ok(Response::new(
            incidents::report_incident(&self.context, request).await?,
        ))
    }

    async fn report_abuse_suspicion(
        &self,
        request: Request<pb::ReportAbuseSuspicionRequest>,
    ) -> Reply<pb::ReportAbuseSuspicionResponse> {
        Ok(Response::new(
            incidents::report_abuse(&self.context, request).await?,
        ))
    }

    async fn discharge_case(
        &self,
        request: Request<pb::DischargeCaseRequest>,
    ) -> Reply<pb::DischargeCaseResponse> {
        Ok(Response::new(
            departure::discharge(&self.context, request).await?,
        ))
    }

    async fn list_follow_ups(
        &self,
        request: Request<pb::ListFollowUpsRequest>,
    ) -> Reply<pb::ListFollowUpsResponse> {
        Ok(Response::new(
            departure::list_follow_ups(&self.context, request).await?,
        ))
    }

    async fn record_follow_up(
        &self,
        request: Request<pb::RecordFollowUpRequest>,
    ) -> Reply<pb::RecordFollowUpResponse> {
        Ok(Response::new(
            departure::record_follow_up(&self.context, request).await?,
        ))
    }

    async fn split_repeat_link(
        &self,
        request: Request<pb::SplitRepeatLinkRequest>,
    ) -> Reply<pb::SplitRepeatLinkResponse> {
        Ok(Response::new(
            cases::split_repeat_link(&self.context, request).await?,
        ))
    }

    async fn register_rescue_point(
        &self,
        request: Request<pb::RegisterRescuePointRequest>,
    ) -> Reply<pb::RegisterRescuePointResponse> {
        Ok(Response::new(
            rescue_points::register(&self.context, request).await?,
        ))
    }

    async fn list_rescue_points(
        &self,
        request: Request<pb::ListRescuePointsRequest>,
    ) -> Reply<pb::ListRescuePointsResponse> {
        Ok(Response::new(
            rescue_points::list(&self.context, request).await?,
        ))
    }
}
