//! `RecordInspection`: an inspection of an institution or a station, for the caller's own
//! department ([`super::authority`]), with up to 100 findings numbered 1..n; each finding with
//! a last day to rectify gets a deadline at 24:00 local of that day ([`super::overdue`]).
//!
//! Who may inspect what: a station only the institutions it has (or had) an agreement with
//! (FAILED_PRECONDITION NO_AGREEMENT_WITH_INSTITUTION), never a station; civil affairs, police
//! and the supervisors the units their division covers (a county bureau its county, the city's
//! departments the whole city); anything else does not exist for them (NOT_FOUND). The
//! provincial department reads only.

use chrono::{NaiveDate, SubsecRound};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::notifications::unit_ref;
use relief_runtime::scope::covers;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, FindingRow, InspectionRow, target_kind};
use super::{NO_AGREEMENT_WITH_INSTITUTION, authority, overdue, parse_day};
use crate::institutions::{self, refuse_read_only};

/// The longest summary accepted, in characters.
const MAX_SUMMARY: usize = 4000;

/// The longest finding accepted, in characters.
const MAX_FINDING: usize = 2000;

/// The most findings one inspection holds.
const MAX_FINDINGS: usize = 100;

/// What was inspected, as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A registered institution.
    Institution(String),
    /// A station of units.toml.
    Station(String),
}

/// The target of a request (a violation of `field` when missing or empty).
pub fn target(
    check: &mut Violations,
    field: &str,
    target: Option<&pb::InspectionTarget>,
) -> Option<Target> {
    use pb::inspection_target::Target as T;
    match target.and_then(|target| target.target.as_ref()) {
        Some(T::InstitutionId(id)) => Some(Target::Institution(
            check.required_id(&format!("{field}.institution_id"), id),
        )),
        Some(T::Station(id)) => Some(Target::Station(
            check.required_id(&format!("{field}.station"), id),
        )),
        None => {
            check.add(field, "is required: an institution or a station");
            None
        }
    }
}

/// `RecordInspection`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordInspectionRequest>,
) -> Result<pb::RecordInspectionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let today = institutions::today(now);
    let mut check = Violations::new();
    let target = target(&mut check, "target", request.target.as_ref());
    if caller.kind == CallerKind::Station && matches!(target, Some(Target::Station(_))) {
        check.add(
            "target.station",
            "a station inspects only the institutions it sends residents to",
        );
    }
    let authority_value = check.required_enum(
        "authority",
        pb::InspectionAuthority::try_from(request.authority),
    );
    let allowed = authority::allowed(caller.kind, &authority::roles_of(&context.units, &caller));
    if authority_value != pb::InspectionAuthority::Unspecified
        && !allowed.contains(&authority_value)
    {
        let names: Vec<&str> = allowed.iter().map(|a| a.as_str_name()).collect();
        check.add(
            "authority",
            &if names.is_empty() {
                "the calling unit inspects for no department".to_owned()
            } else {
                format!("must be the calling unit's: {}", names.join(" or "))
            },
        );
    }
    let inspected_on = match parse_day(&request.inspected_on) {
        None => {
            check.add("inspected_on", "must be a date YYYY-MM-DD");
            None
        }
        Some(day) if day > today => {
            check.add("inspected_on", "must not be in the future");
            Some(day)
        }
        Some(day) => Some(day),
    };
    let summary = check.required_text("summary", &request.summary, MAX_SUMMARY);
    if request.findings.len() > MAX_FINDINGS {
        check.add(
            "findings",
            &format!("must be at most {MAX_FINDINGS} findings"),
        );
    }
    let findings = findings(&mut check, &request.findings, inspected_on);
    check.finish()?;
    let (Some(target), Some(inspected_on)) = (target, inspected_on) else {
        return Err(ApiError::invalid_field("target", "is required"));
    };
    let inspection_id = uuid::Uuid::now_v7().to_string();
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RecordInspection",
        &request.request_id,
        &request,
        async |tx| {
            let (kind, unit, division) = resolve(context, tx, &caller, &target).await?;
            let row = InspectionRow {
                id: inspection_id.clone(),
                target_kind: kind,
                target_unit: unit,
                division,
                authority: authority_value as i32,
                inspected_by_kind: caller.kind.as_str().to_owned(),
                inspected_by_division: caller.division.clone(),
                inspected_by: caller.unit.clone(),
                inspected_on: inspected_on.format("%Y-%m-%d").to_string(),
                summary: summary.clone(),
                recorded_at: now,
            };
            let rows: Vec<FindingRow> = findings
                .iter()
                .zip(1..)
                .map(|((description, breach, rectify_by), number)| FindingRow {
                    inspection_id: row.id.clone(),
                    finding_number: number,
                    description: description.clone(),
                    breach: *breach,
                    rectify_by: rectify_by.map(|day| day.format("%Y-%m-%d").to_string()),
                    rectified_at: None,
                    rectification: None,
                    rectified_by: None,
                    overdue_raised_at: None,
                })
                .collect();
            store::insert(tx, &row, &rows).await?;
            for finding in &rows {
                overdue::schedule(tx, now, finding).await?;
            }
            append(
                tx,
                now,
                &pb::InspectionRecorded {
                    inspection_id: row.id.clone(),
                    target: Some(row.target()),
                    division: row.division.clone(),
                    authority: row.authority,
                    inspected_by: Some(unit_ref(&caller)),
                    inspected_on: row.inspected_on.clone(),
                    findings: i32::try_from(rows.len()).unwrap_or(i32::MAX),
                    breaches: i32::try_from(rows.iter().filter(|f| f.breach).count())
                        .unwrap_or(i32::MAX),
                },
            )
            .await?;
            Ok(pb::RecordInspectionResponse {
                inspection: Some(row.to_proto(&rows, now)),
            })
        },
    )
    .await
}

/// The findings of a request: (description, breach, last day to rectify), each checked.
fn findings(
    check: &mut Violations,
    findings: &[pb::Finding],
    inspected_on: Option<NaiveDate>,
) -> Vec<(String, bool, Option<NaiveDate>)> {
    findings
        .iter()
        .take(MAX_FINDINGS)
        .enumerate()
        .map(|(index, finding)| {
            let field = |name: &str| format!("findings[{index}].{name}");
            let description =
                check.required_text(&field("description"), &finding.description, MAX_FINDING);
            let rectify_by = if finding.rectify_by.trim().is_empty() {
                None
            } else {
                match parse_day(&finding.rectify_by) {
                    None => {
                        check.add(&field("rectify_by"), "must be empty or a date YYYY-MM-DD");
                        None
                    }
                    Some(day) => {
                        if inspected_on.is_some_and(|on| day < on) {
                            check.add(&field("rectify_by"), "must not be before inspected_on");
                        }
                        Some(day)
                    }
                }
            };
            (description, finding.breach, rectify_by)
        })
        .collect()
}

/// The inspected unit (target kind, unit id, division) if `caller` may inspect it: NOT_FOUND
/// for a missing institution or station or one outside the caller's division; a station needs
/// an agreement with the institution.
async fn resolve(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    caller: &Caller,
    target: &Target,
) -> Result<(i32, String, String), ApiError> {
    let covered = |division: &str| match caller.kind {
        CallerKind::Station => true,
        _ => covers(&caller.division, division),
    };
    match target {
        Target::Institution(id) => {
            let row = institutions::store::fetch(Conn::Tx(tx), id)
                .await?
                .filter(|row| covered(&row.division))
                .ok_or(ApiError::NotFound {
                    what: "institution",
                })?;
            if caller.kind == CallerKind::Station
                && !store::has_agreement(Conn::Tx(tx), &caller.unit, &row.id).await?
            {
                return Err(ApiError::failed_precondition(
                    NO_AGREEMENT_WITH_INSTITUTION,
                    "a station inspects only the institutions it has an agreement with",
                ));
            }
            Ok((target_kind::INSTITUTION, row.id, row.division))
        }
        Target::Station(id) => {
            let unit = context
                .units
                .get(id)
                .filter(|unit| unit.kind == CallerKind::Station && covered(&unit.division))
                .ok_or(ApiError::NotFound { what: "station" })?;
            Ok((target_kind::STATION, unit.id.clone(), unit.division.clone()))
        }
    }
}
