//! One span and two metrics per served call: the span continues the caller's W3C trace and
//! records the caller and gRPC status; the metrics count calls and their latency per method and
//! status code.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use tonic::body::Body;
use tracing::Instrument;

use crate::auth::AccessPolicy;
use crate::telemetry::propagation::continue_trace;

/// The instruments, created once per server from the global meter provider.
#[derive(Debug, Clone)]
struct RpcMetrics {
    calls: Counter<u64>,
    duration: Histogram<f64>,
}

/// Tower layer adding the span and the metrics.
#[derive(Debug, Clone)]
pub struct RpcTelemetryLayer {
    service: &'static str,
    metrics: RpcMetrics,
    policy: std::sync::Arc<AccessPolicy>,
}

impl RpcTelemetryLayer {
    /// For the named relief service; `policy` tells which paths are real methods.
    pub fn new(service: &'static str, policy: std::sync::Arc<AccessPolicy>) -> Self {
        let meter = opentelemetry::global::meter("relief");
        RpcTelemetryLayer {
            service,
            metrics: RpcMetrics {
                calls: meter
                    .u64_counter("rpc.server.calls")
                    .with_description("served gRPC calls by method and status code")
                    .build(),
                duration: meter
                    .f64_histogram("rpc.server.duration")
                    .with_unit("s")
                    .with_description("time to the response head, by method and status code")
                    .build(),
            },
            policy,
        }
    }
}

impl<S> tower::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry {
            inner,
            service: self.service,
            metrics: self.metrics.clone(),
            policy: std::sync::Arc::clone(&self.policy),
        }
    }
}

/// The service made by [`RpcTelemetryLayer`].
#[derive(Debug, Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
    service: &'static str,
    metrics: RpcMetrics,
    policy: std::sync::Arc<AccessPolicy>,
}

impl<S> tower::Service<http::Request<Body>> for RpcTelemetry<S>
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
        let path = request.uri().path();
        let method = if self.policy.knows(path) {
            path.to_owned()
        } else {
            "unknown".to_owned()
        };
        let span = tracing::info_span!(
            "rpc",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.method = %method,
            relief.service = self.service,
            caller = tracing::field::Empty,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        continue_trace(&span, request.headers());
        let started = Instant::now();
        let mut inner = crate::server::layer::take_ready(&mut self.inner);
        let future = {
            let _entered = span.enter();
            inner.call(request)
        };
        let metrics = self.metrics.clone();
        let record_span = span.clone();
        Box::pin(
            async move {
                let response = future.await;
                // A trailers-only response (every error tonic sends) has grpc-status in its
                // head; a successful unary or streaming call sends it in the trailers: OK here.
                let code = match &response {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<i32>().ok())
                        .unwrap_or(0),
                    Err(_) => tonic::Code::Unknown as i32,
                };
                record_span.record("rpc.grpc.status_code", code);
                let attributes = [
                    KeyValue::new("rpc.method", method),
                    KeyValue::new("rpc.grpc.status_code", i64::from(code)),
                ];
                metrics.calls.add(1, &attributes);
                metrics
                    .duration
                    .record(started.elapsed().as_secs_f64(), &attributes);
                if code != 0 {
                    tracing::info!(code = %tonic::Code::from_i32(code), "call refused or failed");
                }
                response
            }
            .instrument(span),
        )
    }
}
