//! The gRPC handlers of `relief.foster.v1.FosterSupervisionService`: thin, they convert and delegate.

use relief_runtime::ServiceContext;

/// Implements the generated `FosterSupervisionService` trait.
#[derive(Debug, Clone)]
pub struct FosterSupervisionServiceApi {
    #[allow(dead_code, reason = "the handlers of the foster issue use it")]
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

#[tonic::async_trait]
impl relief_proto::foster::v1::foster_supervision_service_server::FosterSupervisionService
    for FosterSupervisionServiceApi
{
}
