//! The background work of a serving process: the deadline sweeper, the consumers of the feeds
//! this service consumes, the PostgreSQL outbox listener, housekeeping and gauges. All of it
//! ends when the service context's `stopping` is triggered.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;

use crate::deadlines::{DeadlineHandlers, Sweeper};
use crate::events::consumer::{Consumer, EventHandlers};
use crate::events::{IgnoreEvents, sources_of};
use crate::notifications::{ACK_DEADLINE_KIND, EscalateUnacknowledged};
use crate::server::ServiceContext;

/// Starts the background tasks (none when `events.background` is off).
pub(super) fn start(
    context: &ServiceContext,
    mut deadline_handlers: DeadlineHandlers,
    event_handlers: EventHandlers,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    // The outbox listener serves feed readers, which every replica has.
    {
        let outbox = context.outbox.clone();
        let db = context.db.clone();
        let url = context.config.database_url(context.service);
        let stopping = context.stopping.wait();
        tasks.spawn(async move { outbox.listen_postgres(db, url, stopping).await });
    }
    if !context.config.events.background {
        return tasks;
    }
    deadline_handlers
        .entry(ACK_DEADLINE_KIND)
        .or_insert_with(|| Arc::new(EscalateUnacknowledged));
    let sweeper = Sweeper::new(context.clone(), deadline_handlers);
    tasks.spawn(sweeper.run(context.stopping.wait()));
    for source in sources_of(context.service) {
        let handler = event_handlers
            .get(source)
            .cloned()
            .unwrap_or_else(|| Arc::new(IgnoreEvents));
        let consumer = Consumer::new(context.clone(), context.service, source, handler);
        tasks.spawn(consumer.run(context.stopping.wait()));
    }
    tasks.spawn(housekeeping(context.clone()));
    tasks
}

/// Waits up to `grace` for every background task to end, then aborts the rest. (Their work
/// is transactional: an aborted sweep or apply rolls back and happens again after a restart.)
pub(super) async fn stop(mut tasks: JoinSet<()>, grace: Duration) {
    let drained = tokio::time::timeout(grace, async {
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                tracing::warn!(%error, "a background task failed");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("background work did not stop within the grace period; aborting it");
        tasks.abort_all();
    }
}

/// Prunes old idempotency keys and refreshes the gauges, every minute.
async fn housekeeping(context: ServiceContext) {
    let meter = opentelemetry::global::meter("relief");
    let open = Arc::new(AtomicI64::new(0));
    let overdue = Arc::new(AtomicI64::new(0));
    let outbox_head = Arc::new(AtomicI64::new(0));
    let service = context.service;
    let gauge = |name: &'static str, description: &'static str, value: Arc<AtomicI64>| {
        meter
            .i64_observable_gauge(name)
            .with_description(description)
            .with_callback(move |observer| {
                observer.observe(
                    value.load(Ordering::Relaxed),
                    &[opentelemetry::KeyValue::new("relief.service", service)],
                );
            })
            .build()
    };
    let _open = gauge("relief.deadlines.open", "pending deadlines", open.clone());
    let _overdue = gauge(
        "relief.deadlines.overdue",
        "pending deadlines already past due",
        overdue.clone(),
    );
    let _head = gauge(
        "relief.outbox.head",
        "sequence number of the newest event in the outbox",
        outbox_head.clone(),
    );
    let stopping = context.stopping.wait();
    tokio::pin!(stopping);
    loop {
        if let Ok((pending, late)) =
            crate::deadlines::counts(&context.db, context.clock.now()).await
        {
            open.store(pending, Ordering::Relaxed);
            overdue.store(late, Ordering::Relaxed);
        }
        if let Ok(head) = crate::events::outbox::head(&context.db).await {
            outbox_head.store(head, Ordering::Relaxed);
        }
        if let Err(error) = crate::idempotency::prune(&context).await {
            tracing::warn!(%error, "pruning idempotency keys failed");
        }
        if let Err(error) = prune(&context).await {
            tracing::warn!(%error, "pruning applied event ids and closed deadlines failed");
        }
        tokio::select! {
            () = &mut stopping => return,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

/// How long applied event ids and closed deadlines are kept: long enough for any redelivery,
/// short enough that the tables stay small.
const KEEP_DAYS: i64 = 90;

/// Deletes applied event ids at or below their consumer's cursor and deadlines closed more than
/// [`KEEP_DAYS`] ago.
async fn prune(context: &ServiceContext) -> Result<(), sqlx::Error> {
    let cutoff = context.clock.now() - chrono::Duration::days(KEEP_DAYS);
    crate::with_db!(&context.db, |pool| {
        sqlx::query("DELETE FROM consumer_applied WHERE applied_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    crate::with_db!(&context.db, |pool| {
        sqlx::query("DELETE FROM deadlines WHERE state <> 'pending' AND closed_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await
            .map(|_| ())
    })
}
