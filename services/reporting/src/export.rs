//! `ExportReport` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `ExportReport`.
pub async fn export(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::ExportReportRequest,
) -> Result<pb::ExportReportResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ExportReport is not built yet".to_owned(),
    })
}
