//! What the services' test kits and the cross-service scenarios start from: a cluster with pools
//! on some of its services' databases (for what no RPC shows: outboxes, deadline rows, consumer
//! cursors, the audit log), the notifications a service addressed to a unit, waiting for a consumer to catch up with a feed or making it forget
//! the feed, and [`cluster_tests!`](crate::cluster_tests), a test per backend.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_proto::notifications::v1::{ListNotificationsRequest, Notification};
use relief_runtime::Caller;
use relief_runtime::db::Db;
use relief_runtime::{ServiceConfig, with_db};

use crate::{Cluster, TestBackend, wait_until};

/// A cluster on `backend` whose dev clock starts at `start` (now if `None`), each service's
/// configuration adjusted by `configure` first, and a pool (2 connections) on the database of
/// each of `services`, in their order. `None` only for PostgreSQL without
/// `RELIEF_TEST_POSTGRES_URL` outside CI.
pub async fn start_with_pools(
    backend: TestBackend,
    start: Option<DateTime<Utc>>,
    services: &[&str],
    configure: impl Fn(&str, &mut ServiceConfig) + Send + 'static,
) -> Option<(Cluster, Vec<Db>)> {
    let urls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&urls);
    let mut builder = Cluster::builder()
        .backend(backend)
        .configure(move |service, config| {
            configure(service, config);
            seen.lock()
                .unwrap()
                .push((service.to_owned(), config.database_url.clone().unwrap()));
        });
    if let Some(start) = start {
        builder = builder.clock_start(start);
    }
    let cluster = builder.start().await?;
    let urls = urls.lock().unwrap().clone();
    let mut pools = Vec::with_capacity(services.len());
    for name in services {
        let url = &urls
            .iter()
            .find(|(service, _)| service == name)
            .unwrap_or_else(|| panic!("no service {name} in the cluster"))
            .1;
        pools.push(Db::open(url, 2).await.unwrap());
    }
    Some((cluster, pools))
}

/// The notifications of `kind` that `service` addressed to `who` (the first 500 of its list).
pub async fn notifications(
    cluster: &Cluster,
    service: &str,
    who: &Caller,
    kind: &str,
) -> Vec<Notification> {
    NotificationServiceClient::new(cluster.channel(service, who).await)
        .list_notifications(ListNotificationsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
        .into_iter()
        .filter(|notification| notification.kind == kind)
        .collect()
}

/// Waits (60 s ceiling, failing with `what`) until `consumer` (in `consumer_db`) has applied
/// every event written so far to the outbox of `source_db`.
pub async fn wait_caught_up(what: &str, consumer_db: &Db, consumer: &str, source_db: &Db) {
    wait_until(what, || async {
        let head = relief_runtime::events::outbox::head(source_db)
            .await
            .unwrap();
        relief_runtime::events::consumer::cursor(consumer_db, consumer)
            .await
            .unwrap()
            >= head
    })
    .await;
}

/// Makes `consumer` (in `consumer_db`) forget which events it applied, and where it was: its
/// next start applies its whole feed again.
pub async fn forget_feed(consumer_db: &Db, consumer: &str) {
    with_db!(consumer_db, |pool| {
        sqlx::query("DELETE FROM consumer_applied WHERE consumer = $1")
            .bind(consumer)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE consumer_cursors SET last_seq = 0 WHERE consumer = $1")
            .bind(consumer)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

/// Runs `$body` (a block using `$kit`, a `$kit_ty`) once on SQLite and once on PostgreSQL,
/// each with a fresh kit from `<$kit_ty>::start(backend, $start)` (`start = None` if absent;
/// a `None` kit skips the test): `mod $name { sqlite, postgres }`. The module sees its parent's
/// items.
///
/// A test kit wraps it in its own `cluster_tests!` naming its kit type, e.g.
/// `relief_testkit::cluster_tests!(kit::Kit; $($args)*)`.
#[macro_export]
macro_rules! cluster_tests {
    ($kit_ty:ty; $name:ident, |$kit:ident| $body:block) => {
        $crate::cluster_tests!($kit_ty; $name, start = None, |$kit| $body);
    };
    ($kit_ty:ty; $name:ident, start = $start:expr, |$kit:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(mut $kit) = <$kit_ty>::start($crate::TestBackend::Sqlite, $start).await
                else {
                    return;
                };
                let _ = &mut $kit;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(mut $kit) =
                    <$kit_ty>::start($crate::TestBackend::Postgres, $start).await
                else {
                    return;
                };
                let _ = &mut $kit;
                $body
            }
        }
    };
}
