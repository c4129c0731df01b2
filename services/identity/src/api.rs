//! The gRPC handlers of `relief.identity.v1.IdentityQueryService`: thin, they convert and delegate.

use relief_runtime::ServiceContext;

/// Implements the generated `IdentityQueryService` trait.
#[derive(Debug, Clone)]
pub struct IdentityQueryServiceApi {
    #[allow(dead_code, reason = "the handlers of the identity issue use it")]
    context: ServiceContext,
}

impl IdentityQueryServiceApi {
    /// The handlers over an opened service context.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityQueryServiceApi {
            context: context.clone(),
        }
    }
}

#[tonic::async_trait]
impl relief_proto::identity::v1::identity_query_service_server::IdentityQueryService
    for IdentityQueryServiceApi
{
}
