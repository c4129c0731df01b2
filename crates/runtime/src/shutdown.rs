//! Shutdown signals: SIGTERM (what orchestrators send) and Ctrl-C.

use std::future::Future;

use tokio::sync::watch;

/// Resolves on the first SIGTERM or Ctrl-C.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("received sigterm"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("received ctrl-c"),
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for sigterm; ctrl-c only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One shutdown trigger shared by several servers (the four services of `relief dev`, a test
/// cluster): [`Shutdown::wait`] futures resolve once [`Shutdown::trigger`] is called.
#[derive(Debug, Clone)]
pub struct Shutdown {
    sender: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            sender: watch::channel(false).0,
        }
    }
}

impl Shutdown {
    /// A trigger not yet pulled.
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Starts the shutdown of every waiter.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the trigger has been pulled.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// A future resolving when the trigger is pulled.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.sender.subscribe();
        async move {
            let _ = receiver.wait_for(|stopped| *stopped).await;
        }
    }
}
