//! Household restoration (恢复户籍): a station's request to a police unit, tracked to done.
//!
//! - [`request`]: `RequestHouseholdRestoration` (the station holding the case; one open request
//!   per case), notifying the police unit.
//! - [`complete`]: `CompleteHouseholdRestoration` (the addressed police unit).
//! - [`reads`]: `ListHouseholdRestorations`, in the caller's scope.
//! - [`store`]: the table.

mod complete;
mod reads;
mod request;
mod store;

use relief_proto::identity::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// The notification kind the addressed police unit receives.
pub const RESTORATION_REQUESTED_NOTIFICATION: &str = "HOUSEHOLD_RESTORATION_REQUESTED";

/// The notification subject of restoration `id`.
pub fn subject(id: &str) -> String {
    format!("restoration/{id}")
}

/// `RequestHouseholdRestoration`.
pub async fn request(
    context: &ServiceContext,
    request: Request<pb::RequestHouseholdRestorationRequest>,
) -> Result<pb::RequestHouseholdRestorationResponse, ApiError> {
    request::request(context, request).await
}

/// `CompleteHouseholdRestoration`.
pub async fn complete(
    context: &ServiceContext,
    request: Request<pb::CompleteHouseholdRestorationRequest>,
) -> Result<pb::CompleteHouseholdRestorationResponse, ApiError> {
    complete::complete(context, request).await
}

/// `ListHouseholdRestorations`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListHouseholdRestorationsRequest>,
) -> Result<pb::ListHouseholdRestorationsResponse, ApiError> {
    reads::list(context, request).await
}
