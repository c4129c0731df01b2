//! Obligations of inspected units and open days, as late items:
//!
//! - `foster.rectification:<inspection>:<finding>` (foster's deadline id): raised by
//!   `RectificationOverdue` for the inspected institution or station, done by the finding's
//!   rectification recorded late;
//! - `foster.open_day:<unit>:<year>`: raised by `OpenDayMissed`; an open day cannot be recorded
//!   after June 19, so it is never done.
//!
//! `RectificationRecorded` carries no due time, so a rectification recorded late in the moment
//! before foster's sweeper raised the overdue cannot raise the item itself; the item then stays
//! open (foster's sweeper runs every few seconds, so this is rare).

use relief_proto::foster::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

use crate::ingest::intake::{at, non_empty};
use crate::ingest::late::{self, LateItem};

/// Foster's deadline kind of a finding's rectification.
pub const RECTIFICATION: &str = "foster.rectification";

/// Foster's deadline kind of a unit's yearly open day.
pub const OPEN_DAY: &str = "foster.open_day";

/// The unit an inspection target names (an institution or a station).
fn target_unit(target: Option<&pb::InspectionTarget>) -> Option<&str> {
    match target?.target.as_ref()? {
        pb::inspection_target::Target::InstitutionId(id) => non_empty(id),
        pb::inspection_target::Target::Station(id) => non_empty(id),
    }
}

/// `RectificationOverdue`: a finding not rectified by its last day: a late item of the inspected
/// unit.
pub async fn rectification_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::RectificationOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    late::raise(
        tx,
        &LateItem {
            kind: RECTIFICATION,
            subject_id: &format!("{}:{}", overdue.inspection_id, overdue.finding_number),
            division: &overdue.division,
            responsible_unit: target_unit(overdue.target.as_ref()),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `RectificationRecorded`: the finding's overdue item, if any, is done.
pub async fn rectified(
    tx: &mut Tx,
    event: &ReceivedEvent,
    recorded: &pb::RectificationRecorded,
) -> Result<(), ApiError> {
    let subject = format!("{}:{}", recorded.inspection_id, recorded.finding_number);
    late::done(tx, &late::key(RECTIFICATION, &subject), event.occurred_at).await
}

/// `OpenDayMissed`: June 19 passed without the unit's open day: a late item of the unit.
pub async fn open_day_missed(
    tx: &mut Tx,
    event: &ReceivedEvent,
    missed: &pb::OpenDayMissed,
) -> Result<(), ApiError> {
    let due_at = at("due_at", missed.due_at.as_ref())?;
    late::raise(
        tx,
        &LateItem {
            kind: OPEN_DAY,
            subject_id: &format!("{}:{}", missed.unit, missed.year),
            division: &missed.division,
            responsible_unit: non_empty(&missed.unit),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_names_the_responsible_unit() {
        let institution = pb::InspectionTarget {
            target: Some(pb::inspection_target::Target::InstitutionId(
                "inst-1".into(),
            )),
        };
        let station = pb::InspectionTarget {
            target: Some(pb::inspection_target::Target::Station("sz-station".into())),
        };
        assert_eq!(target_unit(Some(&institution)), Some("inst-1"));
        assert_eq!(target_unit(Some(&station)), Some("sz-station"));
        assert_eq!(target_unit(None), None);
    }
}
