//! Logs, traces and metrics.
//!
//! Logs go to stderr, readable in dev and JSON in production. When
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans and metrics are exported over OTLP/gRPC as well.
//! W3C trace context travels in gRPC metadata: [`propagation`] extracts it on every served call
//! and injects it on every outgoing one, so one trace follows a request across services.

pub mod propagation;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// The standard variable naming the OTLP/gRPC collector endpoint.
pub const OTLP_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error("otlp exporter: {0}")]
    Exporter(String),
    /// A global subscriber was already set (telemetry initialised twice).
    #[error("telemetry is already initialised in this process")]
    AlreadyInitialised,
}

/// Keeps the exporters alive; dropping it flushes and shuts them down.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Exports every finished span now (tests use it; shutdown does it anyway).
    pub fn flush(&self) {
        if let Some(provider) = &self.tracer_provider {
            let _ = provider.force_flush();
        }
        if let Some(provider) = &self.meter_provider {
            let _ = provider.force_flush();
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            let _ = provider.shutdown();
        }
        if let Some(provider) = self.meter_provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// The OTLP endpoint from [`OTLP_ENDPOINT_ENV`], if set and not blank.
pub fn otlp_endpoint_from_env() -> Option<String> {
    std::env::var(OTLP_ENDPOINT_ENV)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Installs the process-wide subscriber, propagator and (with an OTLP endpoint, usually
/// [`otlp_endpoint_from_env`]) exporters. Call once per process, inside the tokio runtime (the
/// OTLP client needs it).
///
/// `RUST_LOG`, when set, overrides `filter`.
pub fn init(
    service_name: &str,
    format: LogFormat,
    filter: &str,
    endpoint: Option<String>,
) -> Result<TelemetryGuard, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));

    let mut guard = TelemetryGuard::default();
    let otel_layer = match &endpoint {
        Some(endpoint) => {
            let resource = Resource::builder()
                .with_service_name(service_name.to_owned())
                .build();
            let spans = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()
                .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
            let tracer_provider = SdkTracerProvider::builder()
                .with_resource(resource.clone())
                .with_batch_exporter(spans)
                .build();
            let metrics = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()
                .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
            let meter_provider = SdkMeterProvider::builder()
                .with_resource(resource)
                .with_periodic_exporter(metrics)
                .build();
            opentelemetry::global::set_meter_provider(meter_provider.clone());
            opentelemetry::global::set_tracer_provider(tracer_provider.clone());
            let tracer = tracer_provider.tracer("relief");
            guard.tracer_provider = Some(tracer_provider);
            guard.meter_provider = Some(meter_provider);
            Some(tracing_opentelemetry::layer().with_tracer(tracer))
        }
        None => None,
    };

    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let result = match format {
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInitialised)?;
    if let Some(endpoint) = endpoint {
        tracing::info!(%endpoint, "exporting traces and metrics over otlp");
    }
    Ok(guard)
}
