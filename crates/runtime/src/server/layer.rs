//! The two moves every tower layer of the server stack makes, in one place.

use futures::future::BoxFuture;
use tonic::body::Body;

use crate::error::ApiError;

/// Answers the call at once with `error` as a gRPC status, without reaching the inner service.
pub(crate) fn reject<E: 'static>(
    error: ApiError,
) -> BoxFuture<'static, Result<http::Response<Body>, E>> {
    let status: tonic::Status = error.into();
    Box::pin(async move { Ok(status.into_http()) })
}

/// Takes the inner service that `poll_ready` drove to readiness, leaving a fresh clone behind
/// (the tower idiom for calling a cloned service from `call`).
pub(crate) fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}
