//! The events of the foster feed that reporting reads, one module per idea:
//!
//! - [`placements`]: `PlacementProposed` / `Approved` / `Declined` / `Withdrawn`,
//!   `ResidentPlaced`, `PlacementEnded` → `r_placements` and the `placement` fact (NEW or MOVE);
//!   a death or a disappearance (`PlacementEnded`, `IncidentReported`) is a major situation of
//!   the case, shared with intake's reports of it;
//! - [`institutions`]: registration, document renewals, warnings and expiries, suspension →
//!   `r_institutions` and the `foster.document_expiry` late items;
//! - [`supervision`]: monthly visits (`r_visits`, per resident: the `visit` fact and the
//!   `foster.visit` late items), reports (`foster.report`) and fees (`foster_fee_fen`,
//!   `foster_days`);
//! - [`inspections`]: rectifications (`foster.rectification`) and open days (`foster.open_day`).
//!
//! The foster feed is ordered: a placement's first event precedes the events that name only the
//! placement (visits, fees, incidents), so those read the case and its division from the
//! placement's row. Nothing here reads `r_cases`: intake's feed may lag behind this one.

pub mod inspections;
pub mod institutions;
pub mod placements;
pub mod supervision;

use relief_proto::foster::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

/// Applies one event of the foster feed to the read models; other events change nothing.
pub async fn apply(tx: &mut Tx, event: &ReceivedEvent) -> Result<(), ApiError> {
    if let Some(proposed) = event.decode::<pb::PlacementProposed>()? {
        return placements::proposed(tx, &proposed).await;
    }
    if let Some(approved) = event.decode::<pb::PlacementApproved>()? {
        return placements::approved(tx, &approved).await;
    }
    if let Some(declined) = event.decode::<pb::PlacementDeclined>()? {
        let at = declined.declined_at.as_ref();
        return placements::declined(
            tx,
            &declined.placement_id,
            &declined.case_id,
            &declined.division,
            at,
        )
        .await;
    }
    if let Some(withdrawn) = event.decode::<pb::PlacementWithdrawn>()? {
        let at = withdrawn.withdrawn_at.as_ref();
        return placements::declined(
            tx,
            &withdrawn.placement_id,
            &withdrawn.case_id,
            &withdrawn.division,
            at,
        )
        .await;
    }
    if let Some(placed) = event.decode::<pb::ResidentPlaced>()? {
        return placements::placed(tx, &placed).await;
    }
    if let Some(ended) = event.decode::<pb::PlacementEnded>()? {
        return placements::ended(tx, &ended).await;
    }
    if let Some(incident) = event.decode::<pb::IncidentReported>()? {
        return placements::incident(tx, &incident).await;
    }
    if let Some(registered) = event.decode::<pb::InstitutionRegistered>()? {
        return institutions::registered(tx, &registered).await;
    }
    if let Some(renewed) = event.decode::<pb::InstitutionDocumentRenewed>()? {
        return institutions::renewed(tx, event, &renewed).await;
    }
    if let Some(expiring) = event.decode::<pb::InstitutionDocumentExpiring>()? {
        return institutions::expiring(tx, &expiring.institution_id, &expiring.division).await;
    }
    if let Some(expired) = event.decode::<pb::InstitutionDocumentExpired>()? {
        return institutions::expired(tx, event, &expired).await;
    }
    if let Some(suspended) = event.decode::<pb::InstitutionSuspended>()? {
        return institutions::suspend(tx, &suspended.institution_id, &suspended.division, true)
            .await;
    }
    if let Some(reinstated) = event.decode::<pb::InstitutionReinstated>()? {
        return institutions::suspend(tx, &reinstated.institution_id, &reinstated.division, false)
            .await;
    }
    if let Some(visit) = event.decode::<pb::VisitRecorded>()? {
        return supervision::visit_recorded(tx, &visit).await;
    }
    if let Some(overdue) = event.decode::<pb::VisitOverdue>()? {
        return supervision::visit_overdue(tx, event, &overdue).await;
    }
    if let Some(report) = event.decode::<pb::ReportFiled>()? {
        return supervision::report_filed(tx, event, &report).await;
    }
    if let Some(overdue) = event.decode::<pb::ReportOverdue>()? {
        return supervision::report_overdue(tx, event, &overdue).await;
    }
    if let Some(fee) = event.decode::<pb::FeeAssessed>()? {
        return supervision::fee_assessed(tx, &fee).await;
    }
    if let Some(overdue) = event.decode::<pb::RectificationOverdue>()? {
        return inspections::rectification_overdue(tx, event, &overdue).await;
    }
    if let Some(recorded) = event.decode::<pb::RectificationRecorded>()? {
        return inspections::rectified(tx, event, &recorded).await;
    }
    if let Some(missed) = event.decode::<pb::OpenDayMissed>()? {
        return inspections::open_day_missed(tx, event, &missed).await;
    }
    Ok(())
}
