//! The proto boundary of departures: a `DischargeCaseRequest` checked into a [`Departure`] and a
//! `RecordFollowUpRequest` into a [`FollowUpRecord`] (every bad field reported at once, named as
//! in the proto), and a stored follow-up back into a `FollowUp`.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{ApiError, Caller, ServiceContext};

use super::store::FollowUpRow;
use crate::units;
use relief_runtime::validate::Violations;

/// The longest notes or situation accepted, in characters.
const MAX_TEXT: usize = 2000;

/// A checked departure: what closing a case stores.
#[derive(Debug, Clone)]
pub struct Departure {
    pub case_id: String,
    pub kind: pb::DepartureKind,
    /// Microsecond precision, as both backends store it.
    pub departed_at: DateTime<Utc>,
    /// RETURNED_HOME only.
    pub return_home: Option<ReturnHome>,
    /// TRANSFERRED only: the receiving station's unit id.
    pub transfer_to_station: Option<String>,
    pub guardian_present: bool,
    pub escorted: bool,
    pub notes: String,
    /// `UNKNOWN_DIVISION_CODE: <field>` for an unknown destination division.
    pub warnings: Vec<String>,
}

/// A checked return home.
#[derive(Debug, Clone)]
pub struct ReturnHome {
    pub mode: pb::ReturnMode,
    pub relative_id_checked: bool,
    pub destination_division: String,
}

impl Departure {
    /// Checks `request` from `caller` as of `now`. The rules that need the case (its status,
    /// the admission time, the person's age) come later.
    pub fn from_request(
        context: &ServiceContext,
        caller: &Caller,
        request: &pb::DischargeCaseRequest,
        now: DateTime<Utc>,
    ) -> Result<Departure, ApiError> {
        let mut check = Violations::new();
        let mut warnings = Vec::new();
        let case_id = check.required_id("case_id", &request.case_id);
        let kind = match pb::DepartureKind::try_from(request.kind) {
            Ok(pb::DepartureKind::Unspecified) => {
                check.add("kind", "is required");
                pb::DepartureKind::Unspecified
            }
            Ok(kind) => kind,
            Err(_) => {
                check.add("kind", "is not a known value");
                pb::DepartureKind::Unspecified
            }
        };
        let departed_at = check
            .past_instant("departed_at", request.departed_at.as_ref(), now)
            .trunc_subsecs(6);
        let notes = check.optional_text("notes", &request.notes, MAX_TEXT);

        let return_home = match (kind, &request.return_home) {
            (pb::DepartureKind::ReturnedHome, None) => {
                check.add("return_home", "is required for a return home");
                None
            }
            (pb::DepartureKind::ReturnedHome, Some(given)) => {
                Some(return_home(&mut check, given, &mut warnings))
            }
            (_, Some(_)) => {
                check.add(
                    "return_home",
                    "must be empty unless the person returned home",
                );
                None
            }
            (_, None) => None,
        };

        let to_station = request.transfer_to_station.trim();
        let field = "transfer_to_station";
        let transfer_to_station = if kind == pb::DepartureKind::Transferred {
            if to_station.is_empty() {
                check.add(field, "is required for a transfer");
            } else if units::station(context, to_station).is_none() {
                check.add(field, "must be the unit id of a relief station");
            } else if to_station == caller.unit {
                check.add(field, "must be another station than the calling one");
            }
            Some(to_station.to_owned())
        } else {
            if !to_station.is_empty() {
                check.add(field, "must be empty unless the person is transferred");
            }
            None
        };
        check.finish()?;
        Ok(Departure {
            case_id,
            kind,
            departed_at,
            return_home,
            transfer_to_station,
            guardian_present: request.guardian_present,
            escorted: request.escorted,
            notes,
            warnings,
        })
    }
}

fn return_home(
    check: &mut Violations,
    given: &pb::ReturnHome,
    warnings: &mut Vec<String>,
) -> ReturnHome {
    let mode = match pb::ReturnMode::try_from(given.mode) {
        Ok(pb::ReturnMode::Unspecified) => {
            check.add("return_home.mode", "is required");
            pb::ReturnMode::Unspecified
        }
        Ok(mode) => mode,
        Err(_) => {
            check.add("return_home.mode", "is not a known value");
            pb::ReturnMode::Unspecified
        }
    };
    let destination_division = check.division(
        "return_home.destination_division",
        &given.destination_division,
        warnings,
    );
    ReturnHome {
        mode,
        relative_id_checked: given.relative_id_checked,
        destination_division,
    }
}

/// A checked follow-up record.
#[derive(Debug, Clone)]
pub struct FollowUpRecord {
    pub follow_up_id: String,
    pub situation: String,
    /// Distinct kinds, in the order given.
    pub support: Vec<pb::SupportKind>,
    pub guardians_reminded: bool,
    pub guardian_abuse_found: bool,
}

impl FollowUpRecord {
    /// Checks `request`.
    pub fn from_request(request: &pb::RecordFollowUpRequest) -> Result<FollowUpRecord, ApiError> {
        let mut check = Violations::new();
        let follow_up_id = check.required_id("follow_up_id", &request.follow_up_id);
        let situation = check.required_text("situation", &request.situation, MAX_TEXT);
        let mut support = Vec::new();
        for value in &request.support {
            match pb::SupportKind::try_from(*value) {
                Ok(pb::SupportKind::Unspecified) | Err(_) => {
                    check.add("support", "each entry must be a known support kind");
                    break;
                }
                Ok(kind) if !support.contains(&kind) => support.push(kind),
                Ok(_) => {}
            }
        }
        check.finish()?;
        Ok(FollowUpRecord {
            follow_up_id,
            situation,
            support,
            guardians_reminded: request.guardians_reminded,
            guardian_abuse_found: request.guardian_abuse_found,
        })
    }

    /// The stored form of `support`.
    pub fn support_text(&self) -> String {
        self.support
            .iter()
            .map(|kind| (*kind as i32).to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The follow-up of `row`.
pub fn follow_up_to_proto(row: &FollowUpRow) -> pb::FollowUp {
    pb::FollowUp {
        follow_up_id: row.id.clone(),
        case_id: row.case_id.clone(),
        division: row.division.clone(),
        due_at: Some(timestamp(row.due_at)),
        recorded_at: timestamp_opt(row.recorded_at),
        situation: row.situation.clone().unwrap_or_default(),
        support: row
            .support
            .split(',')
            .filter_map(|value| value.parse::<i32>().ok())
            .collect(),
        guardians_reminded: row.guardians_reminded,
        guardian_abuse_found: row.guardian_abuse_found,
        on_time: row.on_time,
    }
}
