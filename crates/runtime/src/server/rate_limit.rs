//! Per-caller rate limit: one unit cannot starve the others. Past its quota a caller gets
//! RESOURCE_EXHAUSTED at once, without touching the handler or the database.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use governor::{DefaultKeyedRateLimiter, Quota};
use tonic::body::Body;

use crate::caller::Caller;
use crate::error::ApiError;

/// Tower layer limiting each caller unit to a sustained rate with a burst allowance.
///
/// Keys are caller units, a bounded set (units.toml plus registered institutions), so the
/// limiter's memory stays small without pruning.
#[derive(Debug, Clone)]
pub struct CallerRateLimitLayer {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl CallerRateLimitLayer {
    /// `per_second` sustained calls and `burst` calls at once per caller; both at least 1.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(per_second).allow_burst(burst);
        CallerRateLimitLayer {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)),
        }
    }
}

impl<S> tower::Layer<S> for CallerRateLimitLayer {
    type Service = CallerRateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallerRateLimit {
            inner,
            limiter: Arc::clone(&self.limiter),
        }
    }
}

/// The service made by [`CallerRateLimitLayer`].
#[derive(Debug, Clone)]
pub struct CallerRateLimit<S> {
    inner: S,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl<S> tower::Service<http::Request<Body>> for CallerRateLimit<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let over_quota = request
            .extensions()
            .get::<Caller>()
            .is_some_and(|caller| self.limiter.check_key(&caller.spiffe_id()).is_err());
        if over_quota {
            return crate::server::layer::reject(ApiError::ResourceExhausted {
                message: "this caller's request rate is over its quota; retry with backoff"
                    .to_owned(),
            });
        }
        let mut inner = crate::server::layer::take_ready(&mut self.inner);
        Box::pin(inner.call(request))
    }
}
