//! Return follow-ups (回归稳固, plan §二(五)1): a return home opens a follow-up for the destination
//! (origin) county, due 30 days after the departure [product]. The county civil-affairs bureau
//! records the person's situation, the support granted and whether the guardians were reminded;
//! abandonment or abuse by a guardian notifies the police. Unrecorded at the due time, the
//! follow-up is overdue: the county bureau is told.
//!
//! Each follow-up is addressed to a bureau division: the destination division when it has a
//! county civil-affairs bureau in `units.toml`, else the city bureau's (a destination elsewhere,
//! or a code no bureau holds). Callers whose division covers it see and record it.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{self, NewNotification};
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::units::Unit;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use super::convert::{FollowUpRecord, follow_up_to_proto};
use super::store::{self, FollowUpRow, Record};
use crate::incidents::recipients;
use crate::units;
use relief_runtime::scope;

/// The deadline kind of a follow-up.
pub const FOLLOW_UP_DEADLINE: &str = "intake.follow_up";

/// The notification kind of an overdue follow-up.
pub const OVERDUE_NOTIFICATION: &str = "FOLLOW_UP_OVERDUE";

/// The notification kind of abandonment or abuse by a guardian found at a follow-up.
pub const GUARDIAN_ABUSE_NOTIFICATION: &str = "GUARDIAN_ABUSE_FOUND";

/// Days after the departure by which the follow-up is due [product].
const FOLLOW_UP_DAYS: u32 = 30;

/// Hours a notified unit has to acknowledge [product].
const ACKNOWLEDGE_HOURS: u32 = 24;

/// The `FAILED_PRECONDITION` reason of a second record.
const FOLLOW_UP_ALREADY_RECORDED: &str = "FOLLOW_UP_ALREADY_RECORDED";

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

const COUNTY_CIVIL_AFFAIRS: &str = "county-civil-affairs";
const CITY_CIVIL_AFFAIRS: &str = "city-civil-affairs";

fn deadline_id(follow_up_id: &str) -> String {
    format!("{FOLLOW_UP_DEADLINE}:{follow_up_id}")
}

fn subject(follow_up_id: &str) -> String {
    format!("follow-up/{follow_up_id}")
}

fn city_bureau(context: &ServiceContext) -> Vec<Caller> {
    context
        .units
        .with_role(CITY_CIVIL_AFFAIRS)
        .map(Unit::caller)
        .collect()
}

/// The county bureau(s) of `division`, else the city bureau.
fn bureaus_of(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let county = units::with_role_in(context, COUNTY_CIVIL_AFFAIRS, division);
    if county.is_empty() {
        city_bureau(context)
    } else {
        county
    }
}

/// Opens the follow-up of a return home to `division` at `departed_at`, with its deadline;
/// returns its id.
pub async fn open(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    division: &str,
    departed_at: DateTime<Utc>,
) -> Result<String, ApiError> {
    let bureau_division = bureaus_of(context, division)
        .first()
        .map_or_else(|| division.to_owned(), |bureau| bureau.division.clone());
    let row = FollowUpRow {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case_id.to_owned(),
        division: division.to_owned(),
        bureau_division,
        due_at: relief_legal::status_days(departed_at, FOLLOW_UP_DAYS),
        created_at: now,
        recorded_at: None,
        recorded_by: None,
        situation: None,
        support: String::new(),
        guardians_reminded: false,
        guardian_abuse_found: false,
        on_time: false,
    };
    store::insert_follow_up(tx, &row).await?;
    deadlines::schedule(
        tx,
        now,
        &deadline_id(&row.id),
        FOLLOW_UP_DEADLINE,
        &subject(&row.id),
        row.due_at,
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(row.id)
}

/// Whether `caller` is read-only: the provincial department.
fn is_read_only(caller: &Caller) -> bool {
    caller.division.ends_with("0000")
}

/// `ListFollowUps`: the follow-ups addressed to divisions the caller's covers, earliest due first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFollowUpsRequest>,
) -> Result<pb::ListFollowUpsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    if caller.kind != CallerKind::CivilAffairs {
        return Err(ApiError::PermissionDenied {
            message: format!("a {} caller may not list follow-ups", caller.kind),
        });
    }
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    // Ascending: the first page starts before any stored instant.
    let (after_at, after_id) = if request.page_token.is_empty() {
        (DateTime::<Utc>::UNIX_EPOCH, String::new())
    } else {
        decode_time_token(&request.page_token)?
    };
    let mut rows = store::list_follow_ups(
        &context.db,
        &scope::like_pattern(&caller.division),
        request.pending_only,
        (after_at, &after_id),
        limit + 1,
    )
    .await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.due_at, row.id.as_str()));
    Ok(pb::ListFollowUpsResponse {
        follow_ups: rows.iter().map(follow_up_to_proto).collect(),
        next_page_token,
    })
}

/// `RecordFollowUp`: a civil-affairs bureau covering the follow-up records it, once.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordFollowUpRequest>,
) -> Result<pb::RecordFollowUpResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    if is_read_only(&caller) {
        return Err(ApiError::PermissionDenied {
            message: "the provincial department reads only".to_owned(),
        });
    }
    let record = FollowUpRecord::from_request(&request)?;
    let now = context.clock.now();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/RecordFollowUp",
        &request.request_id,
        &request,
        async |tx| {
            let row = store::fetch_follow_up(tx, &record.follow_up_id)
                .await?
                .filter(|row| scope::covers(&caller.division, &row.bureau_division))
                .ok_or(ApiError::NotFound { what: "follow-up" })?;
            let on_time = now <= row.due_at;
            let support = record.support_text();
            let stored = Record {
                recorded_at: now,
                recorded_by: &caller.unit,
                situation: &record.situation,
                support: &support,
                guardians_reminded: record.guardians_reminded,
                guardian_abuse_found: record.guardian_abuse_found,
                on_time,
            };
            if !store::record_follow_up(tx, &row.id, &stored).await? {
                return Err(ApiError::failed_precondition(
                    FOLLOW_UP_ALREADY_RECORDED,
                    "this follow-up was already recorded",
                ));
            }
            deadlines::cancel(tx, now, &deadline_id(&row.id)).await?;
            append(
                tx,
                now,
                &pb::FollowUpRecorded {
                    follow_up_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    recorded_at: Some(timestamp(now)),
                    on_time,
                    guardian_abuse_found: record.guardian_abuse_found,
                },
            )
            .await?;
            if record.guardian_abuse_found {
                notify_police(context, tx, now, &row).await?;
            }
            let row = store::fetch_follow_up(tx, &row.id)
                .await?
                .ok_or(ApiError::NotFound { what: "follow-up" })?;
            Ok(pb::RecordFollowUpResponse {
                follow_up: Some(follow_up_to_proto(&row)),
            })
        },
    )
    .await
}

/// Notifies the police of the follow-up's division of abandonment or abuse by a guardian: to
/// acknowledge within 24 hours, else the city police bureau and the city civil-affairs bureau
/// are told (a unit is not escalated to about its own silence).
async fn notify_police(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &FollowUpRow,
) -> Result<(), ApiError> {
    // The same addressees and escalation as ReportAbuseSuspicion: one rule for abuse reports.
    let escalation = recipients::abuse_escalation(context);
    for recipient in recipients::abuse_recipients(context, &row.division) {
        let escalate_to = escalation
            .iter()
            .filter(|unit| unit.unit != recipient.unit)
            .cloned()
            .collect();
        notifications::issue(
            context,
            tx,
            &NewNotification {
                kind: GUARDIAN_ABUSE_NOTIFICATION.to_owned(),
                subject: subject(&row.id),
                division: row.division.clone(),
                summary: "a return follow-up found abandonment or abuse by a guardian".to_owned(),
                recipients: vec![recipient],
                acknowledge_by: relief_legal::hours(now, ACKNOWLEDGE_HOURS),
                escalate_to,
                escalation_of: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Fires when a follow-up is still unrecorded at its due time: `FollowUpOverdue`, and a notice
/// to the county civil-affairs bureau of the division (else the city bureau), to acknowledge
/// within 24 hours, escalating nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowUpOverdue;

#[tonic::async_trait]
impl DeadlineHandler for FollowUpOverdue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let id = String::from_utf8_lossy(&deadline.payload).into_owned();
        let Some(row) = store::fetch_follow_up(tx, &id).await? else {
            return Err(ApiError::internal(format!(
                "follow-up deadline for a missing follow-up {id}"
            )));
        };
        if row.recorded_at.is_some() {
            return Ok(());
        }
        append(
            tx,
            now,
            &pb::FollowUpOverdue {
                follow_up_id: row.id.clone(),
                division: row.division.clone(),
                due_at: Some(timestamp(deadline.due_at)),
                case_id: row.case_id.clone(),
            },
        )
        .await?;
        notifications::issue(
            context,
            tx,
            &NewNotification {
                kind: OVERDUE_NOTIFICATION.to_owned(),
                subject: subject(&row.id),
                division: row.division.clone(),
                summary: "a return follow-up is overdue".to_owned(),
                recipients: bureaus_of(context, &row.division),
                acknowledge_by: relief_legal::hours(now, ACKNOWLEDGE_HOURS),
                escalate_to: Vec::new(),
                escalation_of: None,
            },
        )
        .await?;
        Ok(())
    }
}
