//! Family-search notices (寻亲公告): `RecordNoticePublication`, whether a notice was on time, and
//! the monthly refresh.
//!
//! **The first notice** of an UNKNOWN identity is due within `rules.notice_hours` (24) of the
//! admission [national]; the files slice watches that deadline (`notice_due_at`). A notice is
//! recorded by the station holding the case, once per `request_id`, only while the file is OPEN.
//!
//! **The refresh** [national, 2019: details refreshed for people stranded over 1 month, then
//! monthly; plan §二(五)2: mandatory for everyone in the stranded register]. The product rule:
//! let `D_k = relief_legal::status_months(stay_began_at, k)` (24:00 local of the corresponding
//! day of the k-th month, the start day not counted, no rest-day roll), with `D_0` the stay's
//! beginning. Status month `k` of the stay is the window `[D_k, D_{k+1})`. For every month
//! `k >= 1` of an OPEN file's stay (for an UNKNOWN identity), or `k >= rules.stranded_months`
//! (for a stated, unverified one: everyone in the register), at least one notice must be
//! published in the window, and recorded before it ends. The refresh of window `k` is due at
//! `D_{k+1}` (deadline `identity.notice_refresh:<file>:<k>`, on the file's subject, so
//! confirming or closing the file cancels it). When it fires for an OPEN file without such a
//! notice: `NoticeOverdue { refresh: true, due_at: D_{k+1} }` and a `NOTICE_REFRESH_OVERDUE`
//! notification to the station holding the case; either way window `k + 1` is scheduled. A
//! transfer does not reset the months: the file and its deadlines continue, and the station
//! holding the case at the time is the one notified.
//!
//! **On time**: the first notice of an UNKNOWN identity when published *and recorded* by
//! `notice_due_at` ([`first_notice_on_time`]: the rule the notice deadline's handler checks, so
//! `on_time = false` exactly when NoticeOverdue is or will be raised for the file); the first
//! notice of a stated identity always (nothing was due); a later notice when it was recorded
//! before the end of the status month its publication falls in — exactly the notices that
//! count for their window, so `on_time = false` marks a window already reported overdue.
//!
//! A notice's `recorded_at` is read from the clock once the file is locked: a deadline handler
//! checking the same file (it takes the lock too) either sees the notice, or ran first and the
//! notice is then recorded at or after the handler's "now", past the due time it fired for. So
//! the flag and the overdue events agree whoever runs first.

pub mod refresh;
pub mod store;

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::deadlines::DeadlineHandlers;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use std::sync::Arc;
use tonic::Request;

use self::store::NoticeRow;
use crate::files::store::{self as files_store, FileRow};

/// The full method name, for idempotency keys.
const METHOD: &str = "/relief.identity.v1.IdentityQueryService/RecordNoticePublication";

/// The `FAILED_PRECONDITION` reason of a notice for a file that is confirmed or closed.
const FILE_NOT_OPEN: &str = "FILE_NOT_OPEN";

/// The longest platform accepted, in characters.
const MAX_PLATFORM: usize = 200;

/// The longest reference accepted, in characters.
const MAX_REFERENCE: usize = 500;

/// The deadline handlers of notices, by kind: the end of a refresh window.
pub fn deadline_handlers() -> DeadlineHandlers {
    let mut handlers = DeadlineHandlers::new();
    handlers.insert(
        refresh::REFRESH_DEADLINE,
        Arc::new(refresh::RefreshWindowEnded) as _,
    );
    handlers
}

/// `RecordNoticePublication`: the station holding the case records a published notice of an
/// OPEN file. NOT_FOUND for any other caller; INVALID_ARGUMENT for a publication in the future
/// or before the stay began; FILE_NOT_OPEN once the file is confirmed or closed.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordNoticePublicationRequest>,
) -> Result<pb::RecordNoticePublicationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let file_id = check.required_id("file_id", &request.file_id);
    let platform = check.required_text("platform", &request.platform, MAX_PLATFORM);
    let reference = check.required_text("reference", &request.reference, MAX_REFERENCE);
    let published_at = check
        .past_instant(
            "published_at",
            request.published_at.as_ref(),
            context.clock.now(),
        )
        .trunc_subsecs(6);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        METHOD,
        &request.request_id,
        &request,
        async |tx| {
            // Two notices of one file serialise, so exactly one of them is the initial one; and
            // with the file's deadline handlers.
            files_store::lock(tx, &file_id).await?;
            // Read under the lock (see the module doc); stored to the microsecond (PostgreSQL):
            // the response says what a later read says. Never before `published_at`, which was
            // checked against an earlier reading of the same clock.
            let now = context.clock.now().trunc_subsecs(6);
            let file = files_store::fetch(Conn::Tx(tx), &file_id)
                .await?
                .filter(|file| file.station == caller.unit)
                .ok_or(ApiError::NotFound {
                    what: "identity file",
                })?;
            if published_at < file.stay_began_at {
                return Err(ApiError::invalid_field(
                    "published_at",
                    "must not be before the stay began",
                ));
            }
            if !file.is_open() {
                return Err(ApiError::failed_precondition(
                    FILE_NOT_OPEN,
                    "the identity file is confirmed or closed: no notice is recorded any more",
                ));
            }
            let initial = store::count(Conn::Tx(tx), &file.id).await? == 0;
            let row = NoticeRow {
                id: uuid::Uuid::now_v7().to_string(),
                file_id: file.id.clone(),
                platform: platform.clone(),
                reference: reference.clone(),
                published_at,
                recorded_at: now,
                recorded_by: caller.unit.clone(),
                initial,
                on_time: on_time(&file, initial, published_at, now),
            };
            store::insert(tx, &row).await?;
            append(
                tx,
                now,
                &pb::NoticePublished {
                    file_id: file.id.clone(),
                    notice_id: row.id.clone(),
                    division: file.division.clone(),
                    published_at: Some(timestamp(published_at)),
                    initial,
                    on_time: row.on_time,
                },
            )
            .await?;
            if initial {
                crate::stranded::step_done(
                    context,
                    tx,
                    &file.id,
                    pb::StrandedStep::NoticePublished,
                    now,
                )
                .await?;
            }
            Ok(pb::RecordNoticePublicationResponse {
                notice: Some(to_proto(&row)),
            })
        },
    )
    .await
}

/// Whether a notice of `file` published at `published_at` and recorded at `recorded_at` is on
/// time (see the module doc).
fn on_time(
    file: &FileRow,
    initial: bool,
    published_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
) -> bool {
    if initial {
        // Only an UNKNOWN identity has a first-notice due time.
        return file
            .notice_due_at
            .is_none_or(|due| first_notice_on_time(due, published_at, recorded_at));
    }
    refresh::refresh_on_time(file.stay_began_at, published_at, recorded_at)
}

/// Whether a notice published at `published_at` and recorded at `recorded_at` meets the first
/// notice's due time `due_at`: both before it (the due instant itself is late, as for every
/// deadline). A notice recorded later did not exist for anyone at the due time, whatever date
/// it claims.
pub fn first_notice_on_time(
    due_at: DateTime<Utc>,
    published_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
) -> bool {
    published_at < due_at && recorded_at < due_at
}

/// Whether file `file_id` has a notice meeting the first notice's due time `due_at`
/// ([`first_notice_on_time`]): what the notice deadline's handler checks.
pub async fn first_notice_met(
    conn: Conn<'_>,
    file_id: &str,
    due_at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    Ok(store::for_file(conn, file_id)
        .await?
        .iter()
        .any(|notice| first_notice_on_time(due_at, notice.published_at, notice.recorded_at)))
}

/// The protobuf form of a stored notice.
pub fn to_proto(row: &NoticeRow) -> pb::Notice {
    pb::Notice {
        notice_id: row.id.clone(),
        platform: row.platform.clone(),
        reference: row.reference.clone(),
        published_at: Some(timestamp(row.published_at)),
        recorded_at: Some(timestamp(row.recorded_at)),
        initial: row.initial,
        on_time: row.on_time,
    }
}

/// The notices of file `file_id`, oldest publication first (for `IdentityFile.notices`).
pub async fn for_file(conn: Conn<'_>, file_id: &str) -> Result<Vec<pb::Notice>, ApiError> {
    Ok(store::for_file(conn, file_id)
        .await?
        .iter()
        .map(to_proto)
        .collect())
}
