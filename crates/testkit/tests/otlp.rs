//! Spans reach an OTLP receiver the test runs, and the server continues the caller's W3C trace.
//!
//! The test runs a real OTLP/gRPC collector (trace and metrics services) on a loopback port,
//! initialises the runtime's telemetry against it, calls the test service with a made-up
//! `traceparent`, and waits until the collector has received the served call's span: named
//! after the gRPC method, in the caller's trace, child of the caller's span, from the
//! `relief-test` resource, with `rpc.grpc.status_code` 0.
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
use relief_runtime::config::LogFormat;
use relief_runtime::{CallerKind, client};
use relief_testkit::TestPki;
use relief_testkit::wait::CEILING;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

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

/// Accepts metric exports so the exporter does not log failures; the test does not read them.
#[derive(Debug, Clone, Copy, Default)]
struct MetricsSink;

#[tonic::async_trait]
impl MetricsService for MetricsSink {
    async fn export(
        &self,
        _request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_served_call_reaches_the_otlp_receiver_in_the_callers_trace() {
    let receiver = TraceReceiver::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    let collector = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .add_service(MetricsServiceServer::new(MetricsSink))
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

    drop(guard);
    collector.abort();
}
