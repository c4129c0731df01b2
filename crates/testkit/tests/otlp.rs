//! Spans and RPC metrics reach an OTLP receiver the test runs, and the server continues the
//! caller's W3C trace.
//!
//! The test runs a real OTLP/gRPC collector (trace and metrics services) on a loopback port,
//! initialises the runtime's telemetry against it, calls the test service with a made-up
//! `traceparent`, and waits until the collector has received the served call's span: named
//! after the gRPC method, in the caller's trace, child of the caller's span, from the
//! `relief-test` resource, with `rpc.grpc.status_code` 0. A foster caller's WhoAmI is refused
//! (PERMISSION_DENIED), and the test then waits until the collector has received the RPC
//! metrics: `rpc.server.calls` counting the method with status 0 and with status 7, and
//! `rpc.server.duration` with at least one recorded call for the method.
//!
//! Telemetry is process-global, so this binary holds a single test.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is a failed assertion"
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proto::WhoAmIRequest;
use common::proto::test_service_client::TestServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point;
use relief_runtime::config::LogFormat;
use relief_runtime::{CallerKind, client};
use relief_testkit::TestPki;
use relief_testkit::wait::CEILING;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Code, Request, Response, Status};

/// The caller's trace: a made-up W3C trace id and parent span id.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const METHOD: &str = "/relief.testsvc.v1.TestService/WhoAmI";

/// Keeps every trace export it receives.
#[derive(Debug, Clone, Default)]
struct TraceReceiver {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for TraceReceiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// Keeps every metrics export it receives.
#[derive(Debug, Clone, Default)]
struct MetricsReceiver {
    received: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

#[tonic::async_trait]
impl MetricsService for MetricsReceiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value: &AnyValue| value.value.as_ref())
}

/// Whether `received` holds the served WhoAmI span, continuing the caller's trace, from the
/// `relief-test` resource, with gRPC status 0.
fn has_the_served_span(received: &[ExportTraceServiceRequest]) -> bool {
    let (trace_id, parent_span_id) = (hex(TRACE_ID), hex(PARENT_SPAN_ID));
    received
        .iter()
        .flat_map(|export| &export.resource_spans)
        .filter(|resource_spans| {
            resource_spans.resource.as_ref().is_some_and(|resource| {
                attribute(&resource.attributes, "service.name")
                    == Some(&Value::StringValue("relief-test".to_owned()))
            })
        })
        .flat_map(|resource_spans| &resource_spans.scope_spans)
        .flat_map(|scope_spans| &scope_spans.spans)
        .any(|span| {
            span.name == METHOD
                && span.trace_id == trace_id
                && span.parent_span_id == parent_span_id
                && attribute(&span.attributes, "rpc.grpc.status_code") == Some(&Value::IntValue(0))
        })
}

/// Every span received so far, for the failure message.
fn describe(received: &[ExportTraceServiceRequest]) -> String {
    received
        .iter()
        .flat_map(|export| &export.resource_spans)
        .flat_map(|resource_spans| &resource_spans.scope_spans)
        .flat_map(|scope_spans| &scope_spans.spans)
        .map(|span| {
            format!(
                "{} trace={:02x?} parent={:02x?} attributes={:?}",
                span.name, span.trace_id, span.parent_span_id, span.attributes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every metric named `name` received so far, from the `relief-test` resource.
fn metrics_named<'a>(
    received: &'a [ExportMetricsServiceRequest],
    name: &'a str,
) -> impl Iterator<Item = &'a Data> + 'a {
    received
        .iter()
        .flat_map(|export| &export.resource_metrics)
        .filter(|resource_metrics| {
            resource_metrics.resource.as_ref().is_some_and(|resource| {
                attribute(&resource.attributes, "service.name")
                    == Some(&Value::StringValue("relief-test".to_owned()))
            })
        })
        .flat_map(|resource_metrics| &resource_metrics.scope_metrics)
        .flat_map(|scope_metrics| &scope_metrics.metrics)
        .filter(move |metric| metric.name == name)
        .filter_map(|metric| metric.data.as_ref())
}

/// Whether `attributes` are those of a WhoAmI call answered with gRPC status `code`.
fn is_whoami_with(attributes: &[KeyValue], code: Code) -> bool {
    attribute(attributes, "rpc.method") == Some(&Value::StringValue(METHOD.to_owned()))
        && attribute(attributes, "rpc.grpc.status_code") == Some(&Value::IntValue(code as i64))
}

/// Whether `rpc.server.calls`, a monotonic sum of ints, has counted at least one WhoAmI call
/// answered with `code`.
fn has_counted(received: &[ExportMetricsServiceRequest], code: Code) -> bool {
    metrics_named(received, "rpc.server.calls").any(|data| match data {
        Data::Sum(sum) => {
            sum.is_monotonic
                && sum.data_points.iter().any(|point| {
                    is_whoami_with(&point.attributes, code)
                        && matches!(point.value, Some(number_data_point::Value::AsInt(n)) if n >= 1)
                })
        }
        _ => false,
    })
}

/// Whether `rpc.server.duration`, a histogram, has recorded at least one WhoAmI call.
fn has_timed(received: &[ExportMetricsServiceRequest]) -> bool {
    metrics_named(received, "rpc.server.duration").any(|data| match data {
        Data::Histogram(histogram) => histogram.data_points.iter().any(|point| {
            attribute(&point.attributes, "rpc.method")
                == Some(&Value::StringValue(METHOD.to_owned()))
                && point.count >= 1
        }),
        _ => false,
    })
}

/// Whether `received` holds the RPC metrics of the served and the refused WhoAmI calls.
fn has_the_rpc_metrics(received: &[ExportMetricsServiceRequest]) -> bool {
    has_counted(received, Code::Ok)
        && has_counted(received, Code::PermissionDenied)
        && has_timed(received)
}

/// Every metric received so far, for the failure message.
fn describe_metrics(received: &[ExportMetricsServiceRequest]) -> String {
    received
        .iter()
        .flat_map(|export| &export.resource_metrics)
        .flat_map(|resource_metrics| &resource_metrics.scope_metrics)
        .flat_map(|scope_metrics| &scope_metrics.metrics)
        .map(|metric| format!("{} {:?}", metric.name, metric.data))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_served_call_reaches_the_otlp_receiver_in_the_callers_trace() {
    let receiver = TraceReceiver::default();
    let metrics = MetricsReceiver::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    let collector = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .add_service(MetricsServiceServer::new(metrics.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );

    let guard = relief_runtime::telemetry::init(
        "relief-test",
        LogFormat::Pretty,
        "info",
        Some(format!("http://{collector_addr}")),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start(common::config(dir.path(), &pki), std::future::pending()).await;
    let material = pki.client_for(CallerKind::Station, "211100", "city-station");
    let channel = client::connect(&server.url(), Some((&material, "testsvc")))
        .await
        .unwrap();
    let mut client = TestServiceClient::new(channel);
    let mut request = Request::new(WhoAmIRequest {});
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01")
            .parse()
            .unwrap(),
    );
    let me = client.who_am_i(request).await.unwrap().into_inner();
    assert_eq!(me.kind, "station");

    // A kind outside WhoAmI's allow-list is refused; the refusal is counted too.
    let material = pki.client_for(CallerKind::Foster, "211103", "inst-7");
    let channel = client::connect(&server.url(), Some((&material, "testsvc")))
        .await
        .unwrap();
    let status = TestServiceClient::new(channel)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // The span ends once the response future completes on the server, which may be just after
    // the client has the response: flush on every poll until the span has arrived. (The test
    // body runs on the runtime's `block_on` thread, not a worker, so the blocking flush leaves
    // the workers free to drive the exporter's connection.)
    let deadline = tokio::time::Instant::now() + CEILING;
    loop {
        guard.flush();
        let received = receiver.received.lock().unwrap().clone();
        if has_the_served_span(&received) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no WhoAmI span in the caller's trace after {CEILING:?}; received spans:\n{}",
            describe(&received)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The metrics are recorded when the response head is ready, which may likewise be just after
    // the client has it: flush (the meter provider too) on every poll until both calls are in.
    let deadline = tokio::time::Instant::now() + CEILING;
    loop {
        guard.flush();
        let received = metrics.received.lock().unwrap().clone();
        if has_the_rpc_metrics(&received) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no rpc.server.calls for WhoAmI with status 0 and 7, or no rpc.server.duration for it, \
             after {CEILING:?}; received metrics:\n{}",
            describe_metrics(&received)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    drop(guard);
    collector.abort();
}
