//! The gRPC handlers of `relief.reporting.v1.ReportingService`: thin, they convert and delegate.

use relief_runtime::ServiceContext;

/// Implements the generated `ReportingService` trait.
#[derive(Debug, Clone)]
pub struct ReportingServiceApi {
    #[allow(dead_code, reason = "the handlers of the reporting issue use it")]
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

#[tonic::async_trait]
impl relief_proto::reporting::v1::reporting_service_server::ReportingService
    for ReportingServiceApi
{
}
