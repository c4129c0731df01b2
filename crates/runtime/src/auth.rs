//! Who may call what: the per-RPC allow-list of caller kinds, checked before any handler runs.
//!
//! [`AuthLayer`] turns the client certificate into a [`Caller`], refuses a kind the RPC's rule
//! does not list with PERMISSION_DENIED, and hands the `Caller` to the handler through the
//! request extensions ([`caller`]), where object scope is checked (NOT_FOUND outside it).
//! A method without a rule never reaches a handler: it is answered UNIMPLEMENTED, as a method
//! the server does not serve (every served method has a rule; a test per service checks it).

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use crate::caller::{Caller, CallerKind};
use crate::error::ApiError;
use crate::tls::caller_from_certificate;

/// In plaintext mode (loopback only, `--insecure`), the caller's SPIFFE id comes from this header
/// instead of a certificate. It is ignored whenever TLS is on.
pub const INSECURE_CALLER_HEADER: &str = "x-relief-caller";

/// Services that every authenticated caller may use: health checks and reflection.
const OPEN_SERVICES: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// The allow-list of one server: full method path → caller kinds allowed.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    rules: HashMap<String, Vec<CallerKind>>,
}

impl AccessPolicy {
    /// An empty policy: only health and reflection are callable.
    pub fn new() -> Self {
        AccessPolicy::default()
    }

    /// Allows `kinds` to call `method` of `service` (`service` is the full protobuf name, e.g.
    /// `relief.intake.v1.IntakeService`).
    pub fn allow(mut self, service: &str, method: &str, kinds: &[CallerKind]) -> Self {
        self.rules
            .entry(format!("/{service}/{method}"))
            .or_default()
            .extend_from_slice(kinds);
        self
    }

    /// Merges another policy into this one (a service's own rules plus the runtime's shared
    /// services, such as the event feed).
    pub fn merge(mut self, other: AccessPolicy) -> Self {
        for (path, kinds) in other.rules {
            self.rules.entry(path).or_default().extend(kinds);
        }
        self
    }

    /// Whether `path` is a method this server serves (it has a rule, or belongs to health or
    /// reflection). Telemetry labels other paths "unknown", so a caller cannot grow the metric
    /// label set without bound.
    pub fn knows(&self, path: &str) -> bool {
        let service = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        self.rules.contains_key(path) || OPEN_SERVICES.contains(&service)
    }

    /// Checks `caller` against the rule of `path` (`/package.Service/Method`).
    pub fn check(&self, path: &str, caller: &Caller) -> Result<(), ApiError> {
        let service = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        if OPEN_SERVICES.contains(&service) {
            return Ok(());
        }
        match self.rules.get(path) {
            Some(kinds) if kinds.contains(&caller.kind) => Ok(()),
            Some(_) => Err(ApiError::PermissionDenied {
                message: format!("caller kind {} may not call {path}", caller.kind),
            }),
            // Every served method has a rule (a test per service checks it), so a path without
            // one is not served here: answer as the router would, without reaching any handler.
            None => Err(ApiError::Unimplemented {
                message: format!("{path} is not served here"),
            }),
        }
    }

    /// The methods of `service` in the descriptor set that have no rule: a test of each service
    /// asserts this is empty, so no RPC ships without a decision on who may call it.
    pub fn methods_without_rule(&self, descriptor_set: &[u8], service: &str) -> Vec<String> {
        use prost::Message;
        let Ok(set) = prost_types::FileDescriptorSet::decode(descriptor_set) else {
            return vec!["<descriptor set does not decode>".to_owned()];
        };
        let mut missing = Vec::new();
        for file in &set.file {
            for svc in &file.service {
                let full = format!("{}.{}", file.package(), svc.name());
                if full != service {
                    continue;
                }
                for method in &svc.method {
                    let path = format!("/{full}/{}", method.name());
                    if !self.rules.contains_key(&path) {
                        missing.push(path);
                    }
                }
            }
        }
        missing
    }
}

/// The caller of the current request, as put there by [`AuthLayer`].
///
/// A handler reached without one is a wiring fault, reported as INTERNAL.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| ApiError::internal("request reached a handler without a caller"))
}

/// Tower layer enforcing an [`AccessPolicy`].
#[derive(Debug, Clone)]
pub struct AuthLayer {
    policy: Arc<AccessPolicy>,
    insecure: bool,
}

impl AuthLayer {
    /// Enforces `policy`; with `insecure`, reads the caller from [`INSECURE_CALLER_HEADER`].
    pub fn new(policy: Arc<AccessPolicy>, insecure: bool) -> Self {
        AuthLayer { policy, insecure }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            policy: Arc::clone(&self.policy),
            insecure: self.insecure,
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    policy: Arc<AccessPolicy>,
    insecure: bool,
}

impl<S> AuthService<S> {
    fn identify(&self, request: &http::Request<Body>) -> Result<Caller, ApiError> {
        let unauthenticated = |message: String| ApiError::Unauthenticated { message };
        if self.insecure {
            let header = request
                .headers()
                .get(INSECURE_CALLER_HEADER)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| {
                    unauthenticated(format!(
                        "plaintext mode: send the caller's spiffe id in {INSECURE_CALLER_HEADER}"
                    ))
                })?;
            return Caller::from_spiffe_id(header).map_err(|e| unauthenticated(e.to_string()));
        }
        let certs = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs)
            .ok_or_else(|| unauthenticated("no client certificate".to_owned()))?;
        let leaf = certs
            .first()
            .ok_or_else(|| unauthenticated("no client certificate".to_owned()))?;
        caller_from_certificate(leaf.as_ref()).map_err(|e| unauthenticated(e.to_string()))
    }
}

impl<S> tower::Service<http::Request<Body>> for AuthService<S>
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

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let checked = self.identify(&request).and_then(|caller| {
            self.policy.check(request.uri().path(), &caller)?;
            Ok(caller)
        });
        match checked {
            Ok(caller) => {
                tracing::Span::current().record("caller", tracing::field::display(&caller));
                request.extensions_mut().insert(caller);
                let mut inner = crate::server::layer::take_ready(&mut self.inner);
                Box::pin(inner.call(request))
            }
            Err(error) => crate::server::layer::reject(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(kind: CallerKind) -> Caller {
        Caller::new(kind, "211103", "xlt-unit").unwrap()
    }

    #[test]
    fn allows_listed_kinds_and_denies_others() {
        let policy = AccessPolicy::new().allow(
            "relief.intake.v1.IntakeService",
            "ReportSighting",
            &[CallerKind::Police, CallerKind::Grid],
        );
        let path = "/relief.intake.v1.IntakeService/ReportSighting";
        assert!(policy.check(path, &caller(CallerKind::Grid)).is_ok());
        assert!(matches!(
            policy.check(path, &caller(CallerKind::Foster)),
            Err(ApiError::PermissionDenied { .. })
        ));
    }

    #[test]
    fn fails_closed_for_unlisted_methods_but_opens_health() {
        let policy = AccessPolicy::new();
        assert!(matches!(
            policy.check(
                "/relief.intake.v1.IntakeService/AdmitPerson",
                &caller(CallerKind::Station)
            ),
            Err(ApiError::Unimplemented { .. })
        ));
        assert!(
            policy
                .check("/grpc.health.v1.Health/Check", &caller(CallerKind::Relay))
                .is_ok()
        );
    }

    #[test]
    fn finds_methods_without_a_rule() {
        let policy = AccessPolicy::new();
        let missing = policy.methods_without_rule(
            relief_proto::FILE_DESCRIPTOR_SET,
            "relief.events.v1.EventFeedService",
        );
        assert_eq!(
            missing,
            [
                "/relief.events.v1.EventFeedService/Subscribe",
                "/relief.events.v1.EventFeedService/GetFeedHead"
            ]
        );
        let policy = policy
            .allow(
                "relief.events.v1.EventFeedService",
                "Subscribe",
                &[CallerKind::Service],
            )
            .allow(
                "relief.events.v1.EventFeedService",
                "GetFeedHead",
                &[CallerKind::Service],
            );
        assert!(
            policy
                .methods_without_rule(
                    relief_proto::FILE_DESCRIPTOR_SET,
                    "relief.events.v1.EventFeedService"
                )
                .is_empty()
        );
    }
}
