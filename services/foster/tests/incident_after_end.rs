//! An incident reported after the placement ended, through the real cluster: the station may
//! record a death (or a disappearance) with EndPlacement before the institution files its
//! mandatory report; the report of what befell the resident before the end is accepted and
//! notified, one dated at or after the end is refused PLACEMENT_NOT_ACTIVE. The civil-affairs
//! bureau of the institution's county, notified of the incident, lists it even when the resident
//! was sent by another county's station; an uninvolved county's bureau does not.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::foster::v1 as pb;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_db};
use tonic::Code;

const DESCRIPTION: &str = "凌晨查房时发现已无生命体征，急救人员到场确认死亡";

fn death(placement_id: &str, at: chrono::DateTime<chrono::Utc>) -> pb::ReportFosterIncidentRequest {
    pb::ReportFosterIncidentRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        kind: pb::IncidentKind::Death as i32,
        occurred_at: Some(timestamp(at)),
        description: DESCRIPTION.to_owned(),
    }
}

async fn report(
    kit: &kit::Kit,
    who: &Caller,
    request: pb::ReportFosterIncidentRequest,
) -> Result<pb::Incident, tonic::Status> {
    kit.foster(who)
        .await
        .report_foster_incident(request)
        .await
        .map(|r| r.into_inner().incident.unwrap())
}

async fn listed(kit: &kit::Kit, who: &Caller) -> Vec<pb::Incident> {
    kit.foster(who)
        .await
        .list_foster_incidents(pb::ListFosterIncidentsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .incidents
}

async fn stored(kit: &kit::Kit) -> i64 {
    with_db!(&kit.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM incidents"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

cluster_tests!(
    a_death_the_station_recorded_first_is_still_reported_and_read_by_the_institutions_county,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        // A 兴隆台区 (211103) home holding a resident sent by the 双台子区 (211102) station.
        let home = kit
            .institution(
                "盘锦市兴隆台区社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                100,
                false,
            )
            .await;
        kit.sign(&sz_station(), &home, ("2026-03-01", "2027-02-28"), 10, 500)
            .await
            .unwrap();
        let placement = kit
            .place_resident(
                &sz_station(),
                &city_civil_affairs(),
                &home,
                pb::SelfCare::Partial,
                adult(),
            )
            .await;
        let id = placement.placement_id.clone();
        assert_eq!(placement.division, "211102");

        // The station records the death first.
        kit.set_clock(instant_at("2026-03-12T10:00:00+08:00"));
        let ended_at = instant_at("2026-03-12T06:00:00+08:00");
        kit.foster(&sz_station())
            .await
            .end_placement(pb::EndPlacementRequest {
                request_id: request_id(),
                placement_id: id.clone(),
                kind: pb::PlacementEndKind::Death as i32,
                ended_at: Some(timestamp(ended_at)),
                ..Default::default()
            })
            .await
            .unwrap();

        // Dated at or after the end: the resident had left; nothing stored, nobody told.
        for at in [ended_at, instant_at("2026-03-12T08:00:00+08:00")] {
            let error = report(&kit, &institution_caller(&home), death(&id, at))
                .await
                .unwrap_err();
            assert_eq!(error.code(), Code::FailedPrecondition);
            assert_eq!(reason(&error), "PLACEMENT_NOT_ACTIVE");
            assert!(error.message().contains("had left"), "{}", error.message());
        }
        assert_eq!(stored(&kit).await, 0);
        assert!(kit.events::<pb::IncidentReported>().await.is_empty());
        assert!(
            kit.notifications(&xlt_civil_affairs(), "INCIDENT_REPORTED")
                .await
                .is_empty()
        );

        // The institution's report of the death before the end is accepted and notified.
        let occurred_at = instant_at("2026-03-12T05:30:00+08:00");
        let reported = report(&kit, &institution_caller(&home), death(&id, occurred_at))
            .await
            .unwrap();
        assert_eq!(reported.placement_id, id);
        assert_eq!(reported.division, "211103");
        assert_eq!(reported.station, "sz-station");
        assert_eq!(reported.kind, pb::IncidentKind::Death as i32);
        assert_eq!(reported.occurred_at, Some(timestamp(occurred_at)));
        assert_eq!(reported.notification_ids.len(), 4);
        let subject = format!("incident/{}", reported.incident_id);
        for who in [
            sz_station(),
            xlt_civil_affairs(),
            xlt_government(),
            city_civil_affairs(),
        ] {
            let mine: Vec<_> = kit
                .notifications(&who, "INCIDENT_REPORTED")
                .await
                .into_iter()
                .filter(|n| n.subject == subject)
                .collect();
            assert_eq!(mine.len(), 1, "{who}");
            assert!(reported.notification_ids.contains(&mine[0].notification_id));
        }
        assert_eq!(stored(&kit).await, 1);
        assert_eq!(kit.wait_events::<pb::IncidentReported>(1).await.len(), 1);

        // The sending station may report an earlier incident of the ended stay too.
        let by_station = report(
            &kit,
            &sz_station(),
            pb::ReportFosterIncidentRequest {
                kind: pb::IncidentKind::Injury as i32,
                ..death(&id, instant_at("2026-03-11T15:00:00+08:00"))
            },
        )
        .await
        .unwrap();
        assert_eq!(by_station.reported_by, "sz-station");
        assert_eq!(stored(&kit).await, 2);

        // Read by the bureau and government of the institution's county and of the case's; not
        // by 大洼区's bureau.
        for who in [
            xlt_civil_affairs(),
            xlt_government(),
            sz_civil_affairs(),
            sz_station(),
            institution_caller(&home),
            city_civil_affairs(),
        ] {
            let ids: Vec<String> = listed(&kit, &who)
                .await
                .into_iter()
                .map(|i| i.incident_id)
                .collect();
            assert_eq!(
                ids,
                [by_station.incident_id.clone(), reported.incident_id.clone()],
                "{who}"
            );
        }
        for who in [dw_civil_affairs(), xlt_station()] {
            assert!(listed(&kit, &who).await.is_empty(), "{who}");
        }
        kit.stop().await;
    }
);
