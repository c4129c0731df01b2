//! The relief period (DOMAIN.md section 1): normally at most 10 days for people aged 16 or more
//! without mental disorder or intellectual disability. Every such stay past 10 days is flagged
//! (a deadline row at admission; the station is notified), and a recorded reason marks it
//! justified; it still counts as over 10 days.
//!
//! Foster care [product]: the relief period is the station's; a person in foster care lives in
//! an institution under a placement civil affairs approved, so a case in foster care at the
//! 10-day instant is not flagged (whether the sweeper runs on time or late: the placements
//! intake learnt from foster's feed say where the person was at that instant). A case that comes
//! back to the station (BACK_TO_STATION) after that instant, not flagged yet, is flagged at its
//! return ([`schedule_after_foster_care`]): the stay continues and is over 10 days. A case
//! flagged before its placement keeps its flag.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{self, NewNotification};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, CaseRow, Conn};
use super::{convert, is_open, is_own_station};
use relief_runtime::validate::Violations;

/// The deadline kind of "stay over 10 days".
pub const STAY_DEADLINE: &str = "intake.stay_over_10_days";

/// The notification kind the station receives.
pub const STAY_NOTIFICATION: &str = "STAY_OVER_10_DAYS";

/// The relief period, in days [national].
const RELIEF_PERIOD_DAYS: u32 = 10;

/// The age from which the relief period applies [national].
const RELIEF_PERIOD_MIN_AGE: i32 = 16;

/// Hours the station has to acknowledge the notification [product].
const ACKNOWLEDGE_HOURS: u32 = 24;

/// The longest reason accepted, in characters.
const MAX_REASON: usize = 1000;

/// The `FAILED_PRECONDITION` reason of a justification where the rule does not apply.
const RULE_DOES_NOT_APPLY: &str = "TEN_DAY_RULE_DOES_NOT_APPLY";

/// Whether the 10-day relief period applies: aged 16 or more (an unknown age counts as an
/// adult, so that a stay is never silently left unwatched), without mental disorder or
/// intellectual disability.
pub fn ten_day_rule_applies(age_opt: Option<i32>, flags: &pb::VulnerableFlags) -> bool {
    age_opt.is_none_or(|age| age >= RELIEF_PERIOD_MIN_AGE)
        && !flags.mental_disorder
        && !flags.intellectual_disability
}

fn deadline_id(case_id: &str) -> String {
    format!("{STAY_DEADLINE}:{case_id}")
}

/// The 10-day instant of a stay admitted at `admitted_at`: 24:00 local of the 10th day after
/// admission (`relief_legal::status_days`).
fn ten_days_after(admitted_at: DateTime<Utc>) -> DateTime<Utc> {
    relief_legal::status_days(admitted_at, RELIEF_PERIOD_DAYS)
}

/// Schedules the flag of a new case whose rule applies, at its 10-day instant.
pub async fn schedule(tx: &mut Tx, now: DateTime<Utc>, row: &CaseRow) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &deadline_id(&row.id),
        STAY_DEADLINE,
        &format!("case/{}", row.id),
        ten_days_after(row.admitted_at),
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// Foster feed: the case `row` came back to the station at `returned_at` from placement
/// `placement_id`. If its rule applies, it is not flagged, and its 10-day instant passed while
/// the person was in foster care, the flag is due at the return (one deadline per placement
/// ended, so applying the end again schedules nothing new). The caller locked the case's
/// deadlines.
pub async fn schedule_after_foster_care(
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &CaseRow,
    placement_id: &str,
    returned_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !row.ten_day_rule_applies
        || row.over_ten_days_since.is_some()
        || returned_at <= ten_days_after(row.admitted_at)
    {
        return Ok(());
    }
    deadlines::schedule(
        tx,
        now,
        &format!("{}:{placement_id}", deadline_id(&row.id)),
        STAY_DEADLINE,
        &format!("case/{}", row.id),
        returned_at,
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// Fires the "stay over 10 days" deadline: flags a case still open, tells reporting
/// (`StayFlagged`) and notifies the station.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlagLongStay;

#[tonic::async_trait]
impl DeadlineHandler for FlagLongStay {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let case_id = String::from_utf8_lossy(&deadline.payload).into_owned();
        let Some(row) = store::fetch(Conn::Tx(tx), &case_id).await? else {
            return Err(ApiError::internal(format!(
                "stay deadline for a missing case {case_id}"
            )));
        };
        if !row.ten_day_rule_applies || !is_open(row.status) || row.over_ten_days_since.is_some() {
            return Ok(());
        }
        // In foster care at the legal instant: not the station's relief period (a return to the
        // station later schedules the flag again).
        if crate::foster_events::in_foster_care_at(tx, &row.id, deadline.due_at).await? {
            return Ok(());
        }
        // The status holds from the legal instant, however late the sweeper ran.
        let since = deadline.due_at;
        store::set_over_ten_days(tx, &row.id, since).await?;
        append(
            tx,
            now,
            &pb::StayFlagged {
                case_id: row.id.clone(),
                division: row.division.clone(),
                over_since: Some(timestamp(since)),
            },
        )
        .await?;
        let station = Caller::new(
            CallerKind::Station,
            row.division.clone(),
            row.station.clone(),
        )
        .map_err(ApiError::internal)?;
        notifications::issue(
            context,
            tx,
            &NewNotification {
                kind: STAY_NOTIFICATION.to_owned(),
                subject: format!("case/{}", row.id),
                division: row.division.clone(),
                summary: format!(
                    "case {} has stayed over {RELIEF_PERIOD_DAYS} days",
                    row.case_number
                ),
                recipients: vec![station],
                acknowledge_by: relief_legal::hours(now, ACKNOWLEDGE_HOURS),
                escalate_to: Vec::new(),
                escalation_of: None,
            },
        )
        .await?;
        Ok(())
    }
}

/// `JustifyLongStay`: the admitting station records why a stay past 10 days is justified.
pub async fn justify(
    context: &ServiceContext,
    request: Request<pb::JustifyLongStayRequest>,
) -> Result<pb::JustifyLongStayResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let reason = check.required_text("reason", &request.reason, MAX_REASON);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/JustifyLongStay",
        &request.request_id,
        &request,
        async |tx| {
            let row = store::fetch(Conn::Tx(tx), &case_id)
                .await?
                .filter(|row| is_own_station(&caller, row))
                .ok_or(ApiError::NotFound { what: "case" })?;
            if !row.ten_day_rule_applies {
                return Err(ApiError::failed_precondition(
                    RULE_DOES_NOT_APPLY,
                    "the 10-day relief period does not apply to this person (under 16, or with \
                     a mental disorder or intellectual disability)",
                ));
            }
            // A later reason replaces the first, but the stay is justified once: one event.
            let first_time = row
                .long_stay_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty());
            store::set_long_stay_reason(tx, &row.id, &reason, now).await?;
            if first_time {
                append(
                    tx,
                    now,
                    &pb::StayJustified {
                        case_id: row.id.clone(),
                        division: row.division.clone(),
                        justified_at: Some(timestamp(now)),
                    },
                )
                .await?;
            }
            let row = store::fetch(Conn::Tx(tx), &case_id)
                .await?
                .ok_or(ApiError::NotFound { what: "case" })?;
            let repeat_of = store::repeat_of(Conn::Tx(tx), &row.id).await?;
            let mut case = convert::to_proto(&row, repeat_of);
            case.person_omitted = true;
            Ok(pb::JustifyLongStayResponse { case: Some(case) })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_needs_sixteen_years_and_no_mental_condition() {
        let none = pb::VulnerableFlags::default();
        assert!(ten_day_rule_applies(Some(16), &none));
        assert!(!ten_day_rule_applies(Some(15), &none));
        assert!(ten_day_rule_applies(None, &none));
        let mental = pb::VulnerableFlags {
            mental_disorder: true,
            ..none
        };
        assert!(!ten_day_rule_applies(Some(40), &mental));
        let intellectual = pb::VulnerableFlags {
            intellectual_disability: true,
            ..none
        };
        assert!(!ten_day_rule_applies(None, &intellectual));
    }
}
