//! Incidents in the station and suspected abuse (DOMAIN.md section 1 and "Deadlines and
//! escalations").
//!
//! - An incident (走失, 伤, 亡) of a person in the station's care is reported at once by the
//!   admitting station: the county civil-affairs bureau, the county government and the city
//!   civil-affairs bureau are notified (for the city station's cases: the city bureau and the
//!   city government), each to acknowledge within 24 hours [product], else the city bureau is
//!   told. A death does not close the case: `DischargeCase` does.
//! - Suspected abuse or illegal harm (疑似遭受虐待或不法侵害) is reported to the police of the
//!   division where the person is (for a case in foster care, the institution's; a foster
//!   institution reports for its current residents' cases), whoever reports; unacknowledged
//!   after 24 hours it escalates to the city police bureau and the city civil-affairs bureau.
//!   The description is stored with the reporter and never put in an event.
//!
//! - [`recipients`]: who is notified and who hears of silence.
//! - [`store`]: the `incidents` and `abuse_reports` tables.

pub(crate) mod recipients;
mod store;

use chrono::SubsecRound;
use relief_proto::intake::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::notifications::unit_ref;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use crate::care::case_ref;
use relief_runtime::notifications::{Notice, issue_each};
use relief_runtime::validate::Violations;
use store::{AbuseRow, IncidentRow};

/// Hours a recipient has to acknowledge an incident or abuse notification [product].
const ACKNOWLEDGE_HOURS: u32 = 24;

/// The longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 2000;

/// The notification kind of an incident.
pub const INCIDENT_NOTIFICATION: &str = "INCIDENT_REPORTED";

/// The notification kind of suspected abuse.
pub const ABUSE_NOTIFICATION: &str = "ABUSE_SUSPECTED";

/// The incident in words for a notification summary (never the description, which may name
/// people).
fn kind_words(kind: pb::IncidentKind) -> &'static str {
    match kind {
        pb::IncidentKind::Missing => "went missing",
        pb::IncidentKind::Injury => "was injured",
        pb::IncidentKind::Death => "died",
        pb::IncidentKind::Unspecified => "had an incident",
    }
}

/// `ReportIncident`: the admitting station reports an incident of one of its cases.
pub async fn report_incident(
    context: &ServiceContext,
    request: Request<pb::ReportIncidentRequest>,
) -> Result<pb::ReportIncidentResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let kind = pb::IncidentKind::try_from(request.kind).unwrap_or_default();
    if kind == pb::IncidentKind::Unspecified {
        check.add("kind", "is required: MISSING, INJURY or DEATH");
    }
    let occurred_at = check
        .past_instant("occurred_at", request.occurred_at.as_ref(), now)
        .trunc_subsecs(6);
    let description = check.optional_text("description", &request.description, MAX_DESCRIPTION);
    check.finish()?;
    let incident_id = uuid::Uuid::now_v7().to_string();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/ReportIncident",
        &request.request_id,
        &request,
        async |tx| {
            // A closed case may still have an incident to report (a person who went missing).
            let case =
                case_ref::fetch_in(tx, &case_id, |case| case.is_own_station(&caller)).await?;
            if occurred_at < case.admitted_at {
                return Err(ApiError::invalid_field(
                    "occurred_at",
                    "must not be before the admission",
                ));
            }
            let notice = Notice {
                kind: INCIDENT_NOTIFICATION,
                subject: format!("incident/{incident_id}"),
                division: case.division.clone(),
                summary: format!(
                    "the person of case {} {}: acknowledge within {ACKNOWLEDGE_HOURS} hours",
                    case.case_number,
                    kind_words(kind)
                ),
                acknowledge_by: relief_legal::hours(now, ACKNOWLEDGE_HOURS),
            };
            let notification_ids = issue_each(
                context,
                tx,
                &notice,
                &recipients::incident_recipients(context, &case.division),
                &recipients::incident_escalation(context),
            )
            .await?;
            let row = IncidentRow {
                id: incident_id.clone(),
                case_id: case.id.clone(),
                division: case.division.clone(),
                kind: kind as i32,
                occurred_at,
                description: description.clone(),
                notification_ids,
                reported_by_unit: caller.unit.clone(),
                reported_at: now,
            };
            store::insert_incident(tx, &row).await?;
            append(
                tx,
                now,
                &pb::IncidentReported {
                    incident_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    kind: row.kind,
                    occurred_at: Some(timestamp(row.occurred_at)),
                },
            )
            .await?;
            Ok(pb::ReportIncidentResponse {
                incident: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `ReportAbuseSuspicion`: anyone bound to report (stations, hospitals, foster institutions,
/// civil affairs, police) or relaying the public's tips reports suspected abuse, about a case
/// it may see (as `GetCase`) or, without one, a division.
pub async fn report_abuse(
    context: &ServiceContext,
    request: Request<pb::ReportAbuseSuspicionRequest>,
) -> Result<pb::ReportAbuseSuspicionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id_opt = Some(request.case_id.trim())
        .filter(|id| !id.is_empty())
        .map(|id| check.required_id("case_id", id));
    let requested_division = request.division.trim();
    if case_id_opt.is_none() || !requested_division.is_empty() {
        // Unknown (historical) codes are accepted: the police of the city then hear of it.
        check.division("division", requested_division, &mut Vec::new());
    }
    let description = check.required_text("description", &request.description, MAX_DESCRIPTION);
    check.finish()?;
    let report_id = uuid::Uuid::now_v7().to_string();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/ReportAbuseSuspicion",
        &request.request_id,
        &request,
        async |tx| {
            let (division, case_number_opt) = match &case_id_opt {
                None => (requested_division.to_owned(), None),
                Some(case_id) => {
                    // A foster institution sees its current residents' cases only.
                    let case =
                        case_ref::fetch_in(tx, case_id, |case| case.is_visible_to(&caller)).await?;
                    // The police where the person is: the institution's for a case in foster
                    // care.
                    let division = case.where_the_person_is().to_owned();
                    if !requested_division.is_empty() && requested_division != division {
                        return Err(ApiError::invalid_field(
                            "division",
                            "must be empty or the division where the person of the case is \
                             (the case's, or in foster care the institution's)",
                        ));
                    }
                    (division, Some(case.case_number))
                }
            };
            let summary = match &case_number_opt {
                Some(number) => format!(
                    "suspected abuse of the person of case {number} in division {division}: \
                     acknowledge within {ACKNOWLEDGE_HOURS} hours"
                ),
                None => format!(
                    "suspected abuse of a person in division {division}: acknowledge within \
                     {ACKNOWLEDGE_HOURS} hours"
                ),
            };
            let notice = Notice {
                kind: ABUSE_NOTIFICATION,
                subject: format!("abuse-report/{report_id}"),
                division: division.clone(),
                summary,
                acknowledge_by: relief_legal::hours(now, ACKNOWLEDGE_HOURS),
            };
            let notification_ids = issue_each(
                context,
                tx,
                &notice,
                &recipients::abuse_recipients(context, &division),
                &recipients::abuse_escalation(context),
            )
            .await?;
            let row = AbuseRow {
                id: report_id.clone(),
                case_id: case_id_opt.clone(),
                division,
                description: description.clone(),
                reported_by: caller.clone(),
                reported_at: now,
                notification_ids,
            };
            store::insert_abuse(tx, &row).await?;
            append(
                tx,
                now,
                &pb::AbuseSuspected {
                    report_id: row.id.clone(),
                    case_id: row.case_id.clone().unwrap_or_default(),
                    division: row.division.clone(),
                    reported_by: Some(unit_ref(&caller)),
                    reported_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::ReportAbuseSuspicionResponse {
                report: Some(row.to_proto()),
            })
        },
    )
    .await
}
