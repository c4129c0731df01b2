//! W3C trace context in gRPC metadata (`traceparent`, `tracestate`).

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Reads trace context from HTTP/2 headers (gRPC metadata of a served call).
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes trace context into outgoing gRPC metadata.
#[derive(Debug)]
pub struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let Ok(key) = tonic::metadata::MetadataKey::from_bytes(key.as_bytes()) else {
            return;
        };
        if let Ok(value) = tonic::metadata::MetadataValue::try_from(value) {
            self.0.insert(key, value);
        }
    }
}

/// Makes `span` a child of the trace context carried by `headers`, if any.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
}

/// Puts the current span's trace context into `metadata`, for an outgoing call.
pub fn inject_current(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}

/// The current span's `traceparent`, or an empty string when it is not traced. Stored with each
/// outbox event so a consumer continues the writer's trace.
pub fn current_traceparent() -> String {
    let mut map = tonic::metadata::MetadataMap::new();
    inject_current(&mut map);
    map.get("traceparent")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A tonic interceptor injecting the current trace context into every outgoing request.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContextInterceptor;

impl tonic::service::Interceptor for TraceContextInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        inject_current(request.metadata_mut());
        Ok(request)
    }
}
