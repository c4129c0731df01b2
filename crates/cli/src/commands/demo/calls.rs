//! How the demo calls the services as a careful client would: every mutating call carries a
//! `request_id` chosen once and kept across retries, transient refusals (UNAVAILABLE, a rate
//! limit, a lost connection) are retried with backoff under the same id, and a condition that
//! another service's feed brings about is polled for with a ceiling instead of slept on.

use std::collections::hash_map::RandomState;
use std::fmt::Display;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::anyhow;
use tonic::Code;

/// How long the demo keeps retrying one call, or waits for one condition.
pub const CEILING: Duration = Duration::from_secs(60);

/// A fresh `request_id`: a random UUID (version 4), chosen once per mutation and kept across its
/// retries so the service applies it once.
pub fn request_id() -> String {
    let high = random_u64();
    let low = random_u64();
    let value = (u128::from(high) << 64 | u128::from(low)) & !(0xf << 76) & !(0x3 << 62)
        | (0x4 << 76)
        | (0x2 << 62);
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A random seed for the month's mix, small enough to type again.
pub fn random_seed() -> u64 {
    random_u64() % 100_000
}

/// 64 random bits: the standard library's per-process random hash keys, over a counter.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Whether trying the same call again later may succeed.
pub fn is_transient(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::ResourceExhausted | Code::Aborted | Code::DeadlineExceeded
    )
}

/// Runs `attempt` until it answers, retrying transient refusals with backoff for up to
/// [`CEILING`]; any other refusal is returned at once, as the status (so a caller can tell a
/// rule's refusal from a failure).
pub async fn try_call<T, F, Fut>(mut attempt: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let deadline = tokio::time::Instant::now() + CEILING;
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt().await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status) if is_transient(&status) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(status) => return Err(status),
        }
    }
}

/// [`try_call`], with any refusal turned into an error naming `what` was attempted.
pub async fn call<T, F, Fut>(what: impl Display, attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    try_call(attempt)
        .await
        .map_err(|status| refused(what, &status))
}

/// An error for a refused call: what was attempted, the code and the service's message.
pub fn refused(what: impl Display, status: &tonic::Status) -> anyhow::Error {
    anyhow!("{what}: {:?}: {}", status.code(), status.message())
}

/// Calls `$client.$method($request)` through [`try_call`]: the request is built once (with its
/// `request_id`) and cloned for each attempt.
macro_rules! try_rpc {
    ($client:expr, $method:ident, $request:expr) => {{
        let client = $client;
        let request = $request;
        $crate::commands::demo::calls::try_call(|| {
            let mut client = client.clone();
            let request = request.clone();
            async move { client.$method(request).await }
        })
        .await
    }};
}

/// Calls `$client.$method($request)` through [`call`], naming `$what` in the error.
macro_rules! rpc {
    ($what:expr, $client:expr, $method:ident, $request:expr) => {
        $crate::commands::demo::calls::try_rpc!($client, $method, $request)
            .map_err(|status| $crate::commands::demo::calls::refused($what, &status))
    };
}

pub(crate) use {rpc, try_rpc};

/// Polls `probe` every 50 ms until it finds something, for up to [`CEILING`]: what a caller does
/// while another service catches up with a feed. An error of `probe` stops the wait.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + CEILING;
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("waited {} s, in vain, for {what}", CEILING.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `message` as a request carrying the `x-relief-purpose` header: a read of personal data states
/// why (the service audits it).
pub fn with_purpose<T>(message: T, purpose: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        relief_runtime::personal_data::PURPOSE_HEADER,
        purpose.parse()?,
    );
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let first = request_id();
        let second = request_id();
        assert_ne!(first, second);
        for id in [first, second] {
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!(&id[14..15], "4", "{id}");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        }
    }
}
