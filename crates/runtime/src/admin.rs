//! `relief.admin.v1.ClockService`: moves the dev clock. Mounted only when the process runs on a
//! dev clock (`--dev-clock`); production never serves it.

use relief_proto::admin::v1 as pb;
use relief_proto::admin::v1::clock_service_server::ClockService;
use tonic::{Request, Response, Status};

use crate::clock::{Clock, ClockError};
use crate::error::ApiError;
use crate::time::{duration, instant, timestamp};

/// The full protobuf name of the service.
pub const GRPC_SERVICE: &str = "relief.admin.v1.ClockService";

/// Serves the dev clock.
#[derive(Debug, Clone)]
pub struct ClockApi {
    clock: Clock,
}

impl ClockApi {
    /// Over the process clock (which must be a dev clock).
    pub fn new(clock: Clock) -> Self {
        ClockApi { clock }
    }
}

fn refused(error: ClockError) -> ApiError {
    match error {
        ClockError::Backwards { .. } => {
            ApiError::failed_precondition("CLOCK_CANNOT_GO_BACK", error.to_string())
        }
        ClockError::NotDev => ApiError::failed_precondition("NOT_A_DEV_CLOCK", error.to_string()),
        ClockError::TooLate => ApiError::failed_precondition("CLOCK_TOO_LATE", error.to_string()),
        other => ApiError::internal(other),
    }
}

#[tonic::async_trait]
impl ClockService for ClockApi {
    async fn get_time(
        &self,
        _request: Request<pb::GetTimeRequest>,
    ) -> Result<Response<pb::GetTimeResponse>, Status> {
        Ok(Response::new(pb::GetTimeResponse {
            now: Some(timestamp(self.clock.now())),
        }))
    }

    async fn set_time(
        &self,
        request: Request<pb::SetTimeRequest>,
    ) -> Result<Response<pb::SetTimeResponse>, Status> {
        let to = instant("time", request.get_ref().time.as_ref())?;
        let now = self.clock.set(to).map_err(refused)?;
        Ok(Response::new(pb::SetTimeResponse {
            now: Some(timestamp(now)),
        }))
    }

    async fn advance(
        &self,
        request: Request<pb::AdvanceRequest>,
    ) -> Result<Response<pb::AdvanceResponse>, Status> {
        let by = duration("duration", request.get_ref().duration.as_ref())?;
        if by < chrono::Duration::zero() {
            return Err(ApiError::invalid_field("duration", "must not be negative").into());
        }
        let now = self.clock.advance(by).map_err(refused)?;
        Ok(Response::new(pb::AdvanceResponse {
            now: Some(timestamp(now)),
        }))
    }
}
