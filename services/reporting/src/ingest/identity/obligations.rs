//! The station's identity-search obligations towards a file, with their due times from
//! `IdentityFileOpened` (kept on the file's row):
//!
//! - **the first family-search notice** within 24 hours (an unknown identity only: a stated one
//!   has no `notice_due_at` and nothing counts): `notice_24h` on the due day, ON_TIME for an
//!   initial `NoticePublished` on time, LATE for `NoticeOverdue { refresh: false }` or an initial
//!   notice published late; late item `identity.notice:<file>`. Identity cancels the deadline of
//!   a file confirmed or closed before its due time, so such a file owes nothing and gets no
//!   fact (a notice it published in time still counts ON_TIME);
//! - **the monthly refresh**: late item `identity.notice_refresh:<file>:<due day>` for each
//!   `NoticeOverdue { refresh: true }`, done by the next notice recorded after it was due;
//! - **the verification request** within 7 working days: `request_7wd` on the due day, from the
//!   file's first `VerificationRequested` (`filed_on_time`) or `VerificationFilingOverdue` (LATE,
//!   whatever comes after); late item `identity.request_filing:<file>`.
//!
//! An act flagged late raises its item already done, so the item exists whichever of the act
//! and identity's overdue event comes first on the feed (the sweeper may fire after the act).
//! Items are listed in the division the event carries, with the station holding the file as the
//! responsible unit.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use super::{LATE, due_day, timeliness};
use crate::facts::{self, Contribution};
use crate::ingest::intake::at;
use crate::ingest::late::{self, LateItem};
use crate::time::{instant, micros};

/// Identity's deadline kind of the first notice.
pub const NOTICE: &str = "identity.notice";

/// Identity's deadline kind of a monthly notice refresh.
pub const NOTICE_REFRESH: &str = "identity.notice_refresh";

/// Identity's deadline kind of filing a verification request.
pub const REQUEST_FILING: &str = "identity.request_filing";

/// What the file's row says about its obligations.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct File {
    station: Option<String>,
    notice_due_at: Option<i64>,
    request_due_at: Option<i64>,
}

/// The file's row (empty if none was seen: the feed's order makes that impossible).
async fn file(tx: &mut Tx, file_id: &str) -> Result<File, ApiError> {
    let row: Option<File> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT station, notice_due_at, request_due_at FROM r_identity_files \
             WHERE file_id = $1",
        )
        .bind(file_id)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row.unwrap_or_default())
}

/// Counts `file_id` under `metric` on the day `due_at` is due, ON_TIME or LATE; LATE stays
/// LATE (an overdue obligation done afterwards is still late).
async fn count(
    tx: &mut Tx,
    metric: &str,
    file_id: &str,
    division: &str,
    due_at: DateTime<Utc>,
    dim: &str,
) -> Result<(), ApiError> {
    if facts::get(tx, metric, file_id)
        .await?
        .is_some_and(|old| old.dim == LATE)
    {
        return Ok(());
    }
    facts::put(
        tx,
        metric,
        file_id,
        Some(Contribution::one(due_day(due_at), division, dim)),
    )
    .await
}

/// File `file_id` was confirmed or closed at `at`, and identity cancelled its deadlines: a first
/// notice or request whose due time had passed with nothing counted yet (its overdue event had not
/// fired) is LATE; one not yet due is owed no more and counts nowhere.
pub async fn lapsed(
    tx: &mut Tx,
    file_id: &str,
    division: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let file = file(tx, file_id).await?;
    for (metric, due_at) in [
        ("notice_24h", file.notice_due_at),
        ("request_7wd", file.request_due_at),
    ] {
        let Some(due_at) = due_at.map(instant) else {
            continue;
        };
        if due_at < at && facts::get(tx, metric, file_id).await?.is_none() {
            count(tx, metric, file_id, division, due_at, LATE).await?;
        }
    }
    Ok(())
}

/// `NoticePublished`: the first notice meets (or not) the 24-hour obligation and does the
/// overdue first notice; a later one does the refreshes overdue before it was recorded.
pub async fn notice_published(
    tx: &mut Tx,
    event: &ReceivedEvent,
    notice: &pb::NoticePublished,
) -> Result<(), ApiError> {
    let recorded_at = event.occurred_at;
    if !notice.initial {
        return refreshed(tx, &notice.file_id, recorded_at).await;
    }
    let file = file(tx, &notice.file_id).await?;
    let Some(due_at) = file.notice_due_at.map(instant) else {
        // A stated identity owes no first notice.
        return Ok(());
    };
    let dim = timeliness(notice.on_time);
    count(
        tx,
        "notice_24h",
        &notice.file_id,
        &notice.division,
        due_at,
        dim,
    )
    .await?;
    if !notice.on_time {
        late::raise(
            tx,
            &LateItem {
                kind: NOTICE,
                subject_id: &notice.file_id,
                division: &notice.division,
                responsible_unit: file.station.as_deref(),
                due_at,
                late_at: recorded_at,
                done_at: Some(recorded_at),
            },
        )
        .await?;
    }
    late::done(tx, &late::key(NOTICE, &notice.file_id), recorded_at).await
}

/// Marks done every refresh of file `file_id` overdue and open, due by `recorded_at` (when a
/// later notice was recorded).
async fn refreshed(tx: &mut Tx, file_id: &str, recorded_at: DateTime<Utc>) -> Result<(), ApiError> {
    let prefix = late::key(NOTICE_REFRESH, &format!("{file_id}:"));
    let keys: Vec<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT item_key FROM r_late_items WHERE deadline_kind = $1 \
             AND substr(item_key, 1, length($2)) = $2 AND done_at IS NULL AND due_at <= $3 \
             ORDER BY item_key",
        )
        .bind(NOTICE_REFRESH)
        .bind(&prefix)
        .bind(micros(recorded_at))
        .fetch_all(conn)
        .await
    })?;
    for key in keys {
        late::done(tx, &key, recorded_at).await?;
    }
    Ok(())
}

/// `NoticeOverdue`: the first notice (LATE, and its late item) or a month's refresh (its late
/// item) was not published by its due time.
pub async fn notice_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::NoticeOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    let file = file(tx, &overdue.file_id).await?;
    let (kind, subject_id) = if overdue.refresh {
        (
            NOTICE_REFRESH,
            format!("{}:{}", overdue.file_id, due_day(due_at)),
        )
    } else {
        count(
            tx,
            "notice_24h",
            &overdue.file_id,
            &overdue.division,
            due_at,
            LATE,
        )
        .await?;
        (NOTICE, overdue.file_id.clone())
    };
    late::raise(
        tx,
        &LateItem {
            kind,
            subject_id: &subject_id,
            division: &overdue.division,
            responsible_unit: file.station.as_deref(),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `VerificationFilingOverdue`: no request by the due time: LATE, and a late item.
pub async fn filing_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::VerificationFilingOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    let file = file(tx, &overdue.file_id).await?;
    count(
        tx,
        "request_7wd",
        &overdue.file_id,
        &overdue.division,
        due_at,
        LATE,
    )
    .await?;
    late::raise(
        tx,
        &LateItem {
            kind: REQUEST_FILING,
            subject_id: &overdue.file_id,
            division: &overdue.division,
            responsible_unit: file.station.as_deref(),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// A request was filed at `filed_at` (its row is written): the file's first request decides
/// `request_7wd` (unless the filing was seen overdue first) and, filed late, raises its late
/// item; any request does the item.
pub async fn request_filed(
    tx: &mut Tx,
    event: &ReceivedEvent,
    request: &pb::VerificationRequested,
    filed_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let file = file(tx, &request.file_id).await?;
    if let Some(due_at) = file.request_due_at.map(instant)
        && first_of_file(tx, request, filed_at).await?
    {
        let dim = timeliness(request.filed_on_time);
        count(
            tx,
            "request_7wd",
            &request.file_id,
            &request.division,
            due_at,
            dim,
        )
        .await?;
        if !request.filed_on_time {
            late::raise(
                tx,
                &LateItem {
                    kind: REQUEST_FILING,
                    subject_id: &request.file_id,
                    division: &request.division,
                    responsible_unit: file.station.as_deref(),
                    due_at,
                    late_at: event.occurred_at,
                    done_at: Some(event.occurred_at),
                },
            )
            .await?;
        }
    }
    late::done(
        tx,
        &late::key(REQUEST_FILING, &request.file_id),
        event.occurred_at,
    )
    .await
}

/// Whether `request` (filed at `filed_at`) is its file's first: no other request of the file
/// was filed before it (ties by id).
async fn first_of_file(
    tx: &mut Tx,
    request: &pb::VerificationRequested,
    filed_at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let earlier: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM r_verifications WHERE file_id = $1 \
             AND verification_id <> $2 \
             AND (filed_at < $3 OR (filed_at = $3 AND verification_id < $2))",
        )
        .bind(&request.file_id)
        .bind(&request.verification_id)
        .bind(micros(filed_at))
        .fetch_one(conn)
        .await
    })?;
    Ok(earlier == 0)
}
