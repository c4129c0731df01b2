//! Waiting for a condition instead of sleeping: poll until it holds, fail after a ceiling that
//! is generous enough for a loaded 2-core CI machine.

use std::future::Future;
use std::time::Duration;

/// The default ceiling.
pub const CEILING: Duration = Duration::from_secs(60);

/// Polls `condition` every 20 ms until it returns true; panics naming `what` after [`CEILING`].
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + CEILING;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting after {CEILING:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
