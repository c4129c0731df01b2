//! Ends and moves dated in a closed month ([product] a month closes at its end): once the
//! month-end deadlines of a month (fees, visits, reports) are due, an end or move dated in that
//! month is FAILED_PRECONDITION END_IN_CLOSED_MONTH and changes nothing; dated from the 1st of
//! the current month it ends the placement without charging or raising the closed month again.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Utc};
use kit::*;
use relief_proto::foster::v1 as pb;
use relief_testkit::wait_until;
use tonic::Code;

fn ts(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(relief_runtime::time::timestamp(instant))
}

/// An institution of 兴隆台区 with an agreement of the 兴隆台区 station for 2026-2027.
async fn institution(kit: &Kit, name: &str) -> String {
    let id = kit
        .institution(name, pb::InstitutionKind::ElderlyCare, true, 50, false)
        .await;
    kit.sign(&xlt_station(), &id, ("2026-01-01", "2027-12-31"), 20, 500)
        .await
        .unwrap();
    id
}

/// Waits until deadline row `id` has fired.
async fn wait_fired(kit: &Kit, id: &str) {
    wait_until(&format!("deadline {id} fired"), || async {
        kit.texts("SELECT state FROM deadlines WHERE id = $1", id)
            .await
            .first()
            .is_some_and(|state| state == "fired")
    })
    .await;
}

async fn get(kit: &Kit, id: &str) -> pb::Placement {
    kit.foster(&xlt_station())
        .await
        .get_placement(pb::GetPlacementRequest {
            placement_id: id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap()
}

fn end_request(id: &str, ended_at: DateTime<Utc>) -> pb::EndPlacementRequest {
    pb::EndPlacementRequest {
        request_id: request_id(),
        placement_id: id.to_owned(),
        kind: pb::PlacementEndKind::BackToStation as i32,
        ended_at: ts(ended_at),
        destination_division: String::new(),
        notes: String::new(),
    }
}

/// The months of the fees of `placement_id` and their (days in care, days in month, total).
async fn fees(kit: &Kit, placement_id: &str) -> Vec<(String, i32, i32, i64)> {
    let mut fees: Vec<_> = kit
        .foster(&city_finance())
        .await
        .list_fees(pb::ListFeesRequest {
            placement_id: placement_id.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .fees
        .into_iter()
        .map(|fee| {
            (
                fee.month,
                fee.days_in_care,
                fee.days_in_month,
                fee.total.unwrap().fen,
            )
        })
        .collect();
    fees.sort();
    fees
}

/// The VisitOverdue events of `placement_id` for `month`.
async fn overdue(kit: &Kit, placement_id: &str, month: &str) -> usize {
    kit.events::<pb::VisitOverdue>()
        .await
        .iter()
        .filter(|event| event.placement_id == placement_id && event.month == month)
        .count()
}

cluster_tests!(
    an_end_or_move_dated_in_a_closed_month_is_refused_and_march_is_charged_once,
    start = kit::at("2026-02-20T10:00:00+08:00"),
    |kit| {
        let home = institution(&kit, "兴隆台区社会福利院").await;
        let other = institution(&kit, "兴隆台区敬老院").await;
        let placed = kit
            .place_resident(
                &xlt_station(),
                &xlt_civil_affairs(),
                &home,
                pb::SelfCare::Partial,
                adult(),
            )
            .await;
        let id = placed.placement_id.clone();

        // March closes at 24:00 of March 31: its fee is assessed and, without a visit, its
        // visit is overdue.
        kit.set_clock(instant_at("2026-04-01T00:10:00+08:00"));
        for kind in ["fee", "visit"] {
            for month in ["2026-02", "2026-03"] {
                wait_fired(&kit, &format!("foster.{kind}:{id}:{month}")).await;
            }
        }
        wait_until("March's visit overdue", || async {
            overdue(&kit, &id, "2026-03").await == 1
        })
        .await;
        let before = fees(&kit, &id).await;
        let march: Vec<_> = before.iter().filter(|fee| fee.0 == "2026-03").collect();
        assert_eq!(march.len(), 1, "{before:?}");
        assert_eq!((march[0].1, march[0].2), (31, 31));
        let march_total = march[0].3;

        // An end dated in March, recorded on April 1: refused, nothing changed.
        let mut station = kit.foster(&xlt_station()).await;
        let error = station
            .end_placement(end_request(&id, instant_at("2026-03-31T23:30:00+08:00")))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
        assert_eq!(reason(&error), "END_IN_CLOSED_MONTH");
        // A move dated in March: refused the same way.
        let error = kit
            .foster(&xlt_civil_affairs())
            .await
            .move_resident(pb::MoveResidentRequest {
                request_id: request_id(),
                placement_id: id.clone(),
                institution_id: other.clone(),
                justification: String::new(),
                moved_at: ts(instant_at("2026-03-20T10:00:00+08:00")),
            })
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
        assert_eq!(reason(&error), "END_IN_CLOSED_MONTH");
        assert_eq!(get(&kit, &id).await, placed);
        assert!(kit.events::<pb::PlacementEnded>().await.is_empty());
        assert_eq!(fees(&kit, &id).await, before);

        // Dated from the first of April: ends.
        let ended_at = instant_at("2026-04-01T00:05:00+08:00");
        let ended = station
            .end_placement(end_request(&id, ended_at))
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(ended.status, pb::PlacementStatus::Ended as i32);
        assert_eq!(ended.ended_at, ts(ended_at));
        let events = kit.events::<pb::PlacementEnded>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].ended_at, ts(ended_at));

        // March is charged the full month exactly once, and overdue once.
        let after = fees(&kit, &id).await;
        let march: Vec<_> = after.iter().filter(|fee| fee.0 == "2026-03").collect();
        assert_eq!(march.len(), 1, "{after:?}");
        assert_eq!((march[0].1, march[0].2, march[0].3), (31, 31, march_total));
        assert!(
            after
                .iter()
                .all(|fee| fee.0 == "2026-02" || fee.0 == "2026-03" || fee.1 == 0),
            "{after:?}"
        );
        let assessed_march = kit
            .events::<pb::FeeAssessed>()
            .await
            .iter()
            .filter(|event| event.placement_id == id && event.month == "2026-03")
            .count();
        assert_eq!(assessed_march, 1);
        assert_eq!(overdue(&kit, &id, "2026-03").await, 1);

        kit.stop().await;
    }
);
