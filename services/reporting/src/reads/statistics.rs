//! `GetPeriodStatistics` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `GetPeriodStatistics`.
pub async fn get(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetPeriodStatisticsRequest,
) -> Result<pb::GetPeriodStatisticsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetPeriodStatistics is not built yet".to_owned(),
    })
}
