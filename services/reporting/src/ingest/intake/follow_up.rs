//! The follow-up of a return home (回访), owed within 30 days by the civil-affairs bureau of the
//! destination county: a late item when `FollowUpOverdue` fires, done when it is recorded; and
//! abandonment or abuse by a guardian found at it, a major situation.
//!
//! Both are counted in the follow-up's division (the destination county, whose bureau owes the
//! follow-up and whose police are told of the abuse), not the case's: that is where the
//! obligation and the situation are.

use prost::Name;
use relief_proto::intake::v1 as pb;
use relief_proto::reporting::v1::MajorSituationKind;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

use super::{at, non_empty};
use crate::ingest::late::{self, LateItem};
use crate::ingest::major::{self, Report};

/// `FollowUpOverdue`: the follow-up was not recorded by its due time.
pub async fn overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::FollowUpOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    late::raise(
        tx,
        &LateItem {
            kind: late::FOLLOW_UP,
            subject_id: &overdue.follow_up_id,
            division: &overdue.division,
            // The county's civil-affairs bureau: the event does not name the unit.
            responsible_unit: None,
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `FollowUpRecorded`: closes a raised item (recorded late), and guardian abuse found is an
/// ABUSE situation keyed by the follow-up. A late record before the overdue event fired raises
/// nothing: the event carries no due time.
pub async fn recorded(tx: &mut Tx, event: &pb::FollowUpRecorded) -> Result<(), ApiError> {
    let recorded_at = at("recorded_at", event.recorded_at.as_ref())?;
    let key = late::key(late::FOLLOW_UP, &event.follow_up_id);
    late::done(tx, &key, recorded_at).await?;
    if !event.guardian_abuse_found {
        return Ok(());
    }
    major::record(
        tx,
        &Report {
            kind: MajorSituationKind::Abuse,
            key: &event.follow_up_id,
            division: &event.division,
            case_id: non_empty(&event.case_id),
            subject: format!("follow-up/{}", event.follow_up_id),
            occurred_at: recorded_at,
            source: &pb::FollowUpRecorded::full_name(),
        },
    )
    .await
}
