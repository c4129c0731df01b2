//! The gRPC handlers of `relief.intake.v1.IntakeService`: thin, they convert and delegate.

use relief_runtime::ServiceContext;

/// Implements the generated `IntakeService` trait.
#[derive(Debug, Clone)]
pub struct IntakeServiceApi {
    #[allow(dead_code, reason = "the handlers of the intake issue use it")]
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

#[tonic::async_trait]
impl relief_proto::intake::v1::intake_service_server::IntakeService for IntakeServiceApi {}
