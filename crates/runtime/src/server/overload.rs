//! Concurrency limit with load shedding: at most N calls are served at once; a call arriving when
//! all N slots are taken is answered UNAVAILABLE at once (clients retry with backoff) instead of
//! queueing without bound and timing out later.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use tonic::body::Body;

use crate::error::ApiError;

/// Tower layer sharing one pool of `max` slots among all connections of a server.
#[derive(Debug, Clone)]
pub struct ShedOverloadLayer {
    slots: Arc<Semaphore>,
}

impl ShedOverloadLayer {
    /// At most `max` calls in flight.
    pub fn new(max: usize) -> Self {
        ShedOverloadLayer {
            slots: Arc::new(Semaphore::new(max.max(1))),
        }
    }
}

impl<S> tower::Layer<S> for ShedOverloadLayer {
    type Service = ShedOverload<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ShedOverload {
            inner,
            slots: Arc::clone(&self.slots),
        }
    }
}

/// The service made by [`ShedOverloadLayer`].
#[derive(Debug, Clone)]
pub struct ShedOverload<S> {
    inner: S,
    slots: Arc<Semaphore>,
}

impl<S> tower::Service<http::Request<Body>> for ShedOverload<S>
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
        let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
            return crate::server::layer::reject(ApiError::unavailable(
                "OVERLOADED",
                "the service is at its concurrency limit; retry with backoff",
            ));
        };
        let mut inner = crate::server::layer::take_ready(&mut self.inner);
        Box::pin(async move {
            // The slot is held until the response head is ready; a stream's body does not hold it.
            let response = inner.call(request).await;
            drop(permit);
            response
        })
    }
}
