//! Inspections (监督检查) through the real cluster: each department records inspections only
//! for its own authority (a station only of institutions it has an agreement with; the
//! supervisors by their role in units.toml); a refused request stores nothing; findings with a
//! last day to rectify become overdue at 24:00 local of that day unless rectified before it
//! (RectificationOverdue once, notifying the inspected unit, the inspecting unit and the county
//! civil-affairs bureau); ListInspections shows each caller its scope.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::foster::v1 as pb;
use relief_runtime::{Caller, with_db};
use tonic::Code;

use pb::InspectionAuthority as A;
use pb::inspection_target::Target;

fn institution(id: &str) -> Option<pb::InspectionTarget> {
    Some(pb::InspectionTarget {
        target: Some(Target::InstitutionId(id.to_owned())),
    })
}

fn station(id: &str) -> Option<pb::InspectionTarget> {
    Some(pb::InspectionTarget {
        target: Some(Target::Station(id.to_owned())),
    })
}

fn finding(description: &str, breach: bool, rectify_by: &str) -> pb::Finding {
    pb::Finding {
        description: description.to_owned(),
        breach,
        rectify_by: rectify_by.to_owned(),
        ..Default::default()
    }
}

fn inspection(
    target: Option<pb::InspectionTarget>,
    authority: A,
    findings: Vec<pb::Finding>,
) -> pb::RecordInspectionRequest {
    pb::RecordInspectionRequest {
        request_id: request_id(),
        target,
        authority: authority as i32,
        inspected_on: "2026-03-10".to_owned(),
        summary: "检查住养人员生活照料、消防设施和食品安全台账".to_owned(),
        findings,
    }
}

async fn record(
    kit: &kit::Kit,
    who: &Caller,
    request: pb::RecordInspectionRequest,
) -> Result<pb::Inspection, tonic::Status> {
    kit.foster(who)
        .await
        .record_inspection(request)
        .await
        .map(|r| r.into_inner().inspection.unwrap())
}

async fn rectify(
    kit: &kit::Kit,
    who: &Caller,
    inspection_id: &str,
    finding_number: i32,
) -> Result<pb::Inspection, tonic::Status> {
    kit.foster(who)
        .await
        .record_rectification(pb::RecordRectificationRequest {
            request_id: request_id(),
            inspection_id: inspection_id.to_owned(),
            finding_number,
            rectification: "已更换灭火器并建立月检制度".to_owned(),
        })
        .await
        .map(|r| r.into_inner().inspection.unwrap())
}

/// The inspection ids `who` lists (optionally only of `target`), latest first.
async fn listed(kit: &kit::Kit, who: &Caller, target: Option<pb::InspectionTarget>) -> Vec<String> {
    kit.foster(who)
        .await
        .list_inspections(pb::ListInspectionsRequest {
            target,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .inspections
        .into_iter()
        .map(|i| i.inspection_id)
        .collect()
}

async fn count(kit: &kit::Kit, sql: &'static str) -> i64 {
    with_db!(&kit.db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn stored(kit: &kit::Kit) -> (i64, i64) {
    (
        count(kit, "SELECT COUNT(*) FROM inspections").await,
        count(kit, "SELECT COUNT(*) FROM inspection_findings").await,
    )
}

cluster_tests!(
    each_department_inspects_for_its_own_authority_and_sees_its_scope,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let home = kit
            .institution(
                "盘锦市兴隆台区社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                100,
                false,
            )
            .await;
        kit.sign(&xlt_station(), &home, ("2026-03-01", "2027-02-28"), 10, 500)
            .await
            .unwrap();
        let one = || vec![finding("厨房留样记录不全", false, "")];

        // Mismatched authorities: INVALID_ARGUMENT on `authority`, nothing stored.
        for (who, authority) in [
            (xlt_civil_affairs(), A::Health),
            (xlt_police(), A::CivilAffairs),
            (city_health(), A::MarketSupervision),
            (city_market_supervision(), A::Health),
            (city_emergency(), A::Registration),
            (city_finance(), A::Health),
            (xlt_station(), A::CivilAffairs),
            (xlt_civil_affairs(), A::Unspecified),
        ] {
            let error = record(&kit, &who, inspection(institution(&home), authority, one()))
                .await
                .unwrap_err();
            assert_eq!(error.code(), Code::InvalidArgument, "{who} {authority:?}");
            assert_eq!(fields(&error), ["authority"], "{who} {authority:?}");
        }
        // A station without an agreement; a station inspecting a station.
        let error = record(
            &kit,
            &sz_station(),
            inspection(institution(&home), A::SendingStation, one()),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition);
        assert_eq!(reason(&error), "NO_AGREEMENT_WITH_INSTITUTION");
        let error = record(
            &kit,
            &xlt_station(),
            inspection(station("sz-station"), A::SendingStation, one()),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(fields(&error), ["target.station"]);
        // Outside the caller's division, or not existing: NOT_FOUND.
        for (who, target, authority) in [
            (sz_civil_affairs(), institution(&home), A::CivilAffairs),
            (sz_police(), institution(&home), A::PublicSecurity),
            (
                xlt_civil_affairs(),
                institution("01936f0e-0000-7000-8000-000000000000"),
                A::CivilAffairs,
            ),
            (xlt_civil_affairs(), station("sz-station"), A::CivilAffairs),
            (city_health(), station("nowhere-station"), A::Health),
            (city_health(), station("city-police"), A::Health),
        ] {
            let error = record(&kit, &who, inspection(target, authority, one()))
                .await
                .unwrap_err();
            assert_eq!(error.code(), Code::NotFound, "{who}");
        }
        // The province reads only.
        let error = record(
            &kit,
            &province(),
            inspection(institution(&home), A::CivilAffairs, one()),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        // Malformed: every bad field at once.
        let mut bad = inspection(
            institution(&home),
            A::CivilAffairs,
            vec![
                finding("", false, ""),
                finding("消防通道堵塞", true, "2026-03-09"),
                finding("台账缺失", false, "2026/03/20"),
            ],
        );
        bad.inspected_on = "2026-03-11".to_owned();
        bad.summary = " ".to_owned();
        let error = record(&kit, &xlt_civil_affairs(), bad).await.unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(
            fields(&error),
            [
                "inspected_on",
                "summary",
                "findings[0].description",
                "findings[1].rectify_by",
                "findings[2].rectify_by"
            ]
        );
        let mut bad = inspection(institution(&home), A::CivilAffairs, Vec::new());
        bad.findings = (0..101).map(|_| finding("问题", false, "")).collect();
        let error = record(&kit, &xlt_civil_affairs(), bad).await.unwrap_err();
        assert_eq!(fields(&error), ["findings"]);
        let mut bad = inspection(institution(&home), A::CivilAffairs, one());
        bad.findings = vec![finding("消防通道堵塞", true, "2026-03-09")];
        let error = record(&kit, &xlt_civil_affairs(), bad).await.unwrap_err();
        assert_eq!(fields(&error), ["findings[0].rectify_by"]);
        assert_eq!(stored(&kit).await, (0, 0));
        assert!(kit.events::<pb::InspectionRecorded>().await.is_empty());

        // Each department for its own authority.
        let by_health = record(
            &kit,
            &city_health(),
            inspection(
                institution(&home),
                A::Health,
                vec![
                    finding("医护人员配备不足", true, "2026-04-30"),
                    finding("药品台账不规范", false, ""),
                ],
            ),
        )
        .await
        .unwrap();
        assert_eq!(by_health.authority, A::Health as i32);
        assert_eq!(by_health.inspected_by, "city-health");
        assert_eq!(by_health.division, "211103");
        assert_eq!(by_health.target, institution(&home));
        assert_eq!(
            by_health
                .findings
                .iter()
                .map(|f| (f.finding_number, f.rectify_by.as_str(), f.overdue))
                .collect::<Vec<_>>(),
            [(1, "2026-04-30", false), (2, "", false)]
        );
        let mut made = vec![by_health.inspection_id.clone()];
        for (who, target, authority) in [
            (
                city_market_supervision(),
                institution(&home),
                A::Registration,
            ),
            (
                city_market_supervision(),
                institution(&home),
                A::MarketSupervision,
            ),
            (city_emergency(), institution(&home), A::EmergencyManagement),
            (xlt_police(), institution(&home), A::PublicSecurity),
            (xlt_station(), institution(&home), A::SendingStation),
            (xlt_civil_affairs(), institution(&home), A::Registration),
            (xlt_civil_affairs(), station("xlt-station"), A::CivilAffairs),
            (
                city_emergency(),
                station("sz-station"),
                A::EmergencyManagement,
            ),
        ] {
            let recorded = record(&kit, &who, inspection(target, authority, one()))
                .await
                .unwrap_or_else(|e| panic!("{who} {authority:?}: {e}"));
            assert_eq!(recorded.authority, authority as i32);
            made.push(recorded.inspection_id);
        }
        let [
            health,
            registration,
            market,
            emergency,
            police,
            by_station,
            by_bureau,
            of_xlt_station,
            of_sz_station,
        ] = made.as_slice()
        else {
            panic!("nine inspections");
        };
        assert_eq!(stored(&kit).await, (9, 10));
        let events = kit.events::<pb::InspectionRecorded>().await;
        assert_eq!(events.len(), 9);
        assert_eq!(&events[0].inspection_id, health);
        assert_eq!(events[0].findings, 2);
        assert_eq!(events[0].breaches, 1);
        assert_eq!(events[0].authority, A::Health as i32);
        assert_eq!(events[0].inspected_by.as_ref().unwrap().unit, "city-health");
        assert_eq!(events[0].inspected_on, "2026-03-10");
        assert_eq!(events[8].division, "211102");
        assert_eq!(events[8].target, station("sz-station"));
        // Only the finding with a last day has a deadline.
        assert_eq!(
            count(
                &kit,
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'foster.rectification'"
            )
            .await,
            1
        );

        // Scope, latest first.
        let rev = |ids: &[&String]| ids.iter().rev().map(|id| (*id).clone()).collect::<Vec<_>>();
        let of_home = rev(&[
            health,
            registration,
            market,
            emergency,
            police,
            by_station,
            by_bureau,
        ]);
        assert_eq!(
            listed(&kit, &institution_caller(&home), None).await,
            of_home
        );
        assert_eq!(
            listed(&kit, &xlt_station(), None).await,
            rev(&[by_station, of_xlt_station])
        );
        assert_eq!(
            listed(&kit, &sz_station(), None).await,
            rev(&[of_sz_station])
        );
        assert_eq!(listed(&kit, &city_health(), None).await, rev(&[health]));
        assert_eq!(
            listed(&kit, &city_market_supervision(), None).await,
            rev(&[registration, market])
        );
        assert_eq!(
            listed(&kit, &city_emergency(), None).await,
            rev(&[emergency, of_sz_station])
        );
        assert_eq!(listed(&kit, &xlt_police(), None).await, rev(&[police]));
        assert!(listed(&kit, &sz_police(), None).await.is_empty());
        let mut in_xlt = of_home.clone();
        in_xlt.insert(0, of_xlt_station.clone());
        assert_eq!(listed(&kit, &xlt_civil_affairs(), None).await, in_xlt);
        assert_eq!(listed(&kit, &xlt_government(), None).await, in_xlt);
        assert_eq!(
            listed(&kit, &sz_civil_affairs(), None).await,
            rev(&[of_sz_station])
        );
        assert_eq!(
            listed(&kit, &sz_government(), None).await,
            rev(&[of_sz_station])
        );
        assert_eq!(
            listed(&kit, &city_government(), None).await,
            made.iter().rev().cloned().collect::<Vec<_>>()
        );
        assert_eq!(listed(&kit, &province(), None).await.len(), 9);
        assert_eq!(
            listed(&kit, &city_civil_affairs(), station("xlt-station")).await,
            rev(&[of_xlt_station])
        );
        assert_eq!(
            listed(&kit, &xlt_station(), institution(&home)).await,
            rev(&[by_station])
        );
        // Another institution sees nothing.
        let other = institution_caller("01936f0e-0000-7000-8000-000000000000");
        assert!(listed(&kit, &other, None).await.is_empty());
        // Paging.
        let first = kit
            .foster(&city_civil_affairs())
            .await
            .list_inspections(pb::ListInspectionsRequest {
                page_size: 5,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.inspections.len(), 5);
        let second = kit
            .foster(&city_civil_affairs())
            .await
            .list_inspections(pb::ListInspectionsRequest {
                page_size: 5,
                page_token: first.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(second.inspections.len(), 4);
        assert!(second.next_page_token.is_empty());
        kit.stop().await;
    }
);

cluster_tests!(
    a_finding_not_rectified_by_its_last_day_is_overdue_once,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let home = kit
            .institution(
                "盘锦市兴隆台区社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                100,
                false,
            )
            .await;
        let recorded = record(
            &kit,
            &xlt_police(),
            inspection(
                institution(&home),
                A::PublicSecurity,
                vec![
                    finding("门卫登记制度未落实", false, ""),
                    finding("监控录像保存不足30天", false, "2026-03-20"),
                    finding("消防通道堵塞", true, "2026-03-20"),
                ],
            ),
        )
        .await
        .unwrap();
        let id = recorded.inspection_id.clone();

        // Nothing to rectify; no such finding; not the inspected or inspecting unit.
        let error = rectify(&kit, &institution_caller(&home), &id, 1)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition);
        assert_eq!(reason(&error), "NOTHING_TO_RECTIFY");
        let error = rectify(&kit, &institution_caller(&home), &id, 4)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(fields(&error), ["finding_number"]);
        for who in [
            xlt_civil_affairs(),
            xlt_station(),
            sz_police(),
            institution_caller("01936f0e-0000-7000-8000-000000000000"),
        ] {
            let error = rectify(&kit, &who, &id, 2).await.unwrap_err();
            assert_eq!(error.code(), Code::NotFound, "{who}");
        }
        let error = rectify(
            &kit,
            &institution_caller(&home),
            "01936f0e-0000-7000-8000-000000000001",
            2,
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        assert!(kit.events::<pb::RectificationRecorded>().await.is_empty());

        // Finding 2 is rectified in the last minute of its last day: in time.
        kit.set_clock(instant_at("2026-03-20T23:59:00+08:00"));
        let after = rectify(&kit, &institution_caller(&home), &id, 2)
            .await
            .unwrap();
        let second = &after.findings[1];
        assert_eq!(second.rectification, "已更换灭火器并建立月检制度");
        assert!(second.rectified_at.is_some());
        assert!(!second.overdue);
        let error = rectify(&kit, &xlt_police(), &id, 2).await.unwrap_err();
        assert_eq!(reason(&error), "ALREADY_RECTIFIED");

        // At 24:00 finding 3 is overdue: one event, one notification to each of the three units.
        kit.set_clock(instant_at("2026-03-21T00:00:00+08:00"));
        let overdue = kit.wait_events::<pb::RectificationOverdue>(1).await;
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].inspection_id, id);
        assert_eq!(overdue[0].finding_number, 3);
        assert_eq!(overdue[0].division, "211103");
        assert_eq!(overdue[0].target, institution(&home));
        assert_eq!(
            overdue[0].due_at,
            Some(relief_runtime::time::timestamp(instant_at(
                "2026-03-21T00:00:00+08:00"
            )))
        );
        for who in [institution_caller(&home), xlt_police(), xlt_civil_affairs()] {
            let mine = kit.notifications(&who, "RECTIFICATION_OVERDUE").await;
            assert_eq!(mine.len(), 1, "{who}");
            assert_eq!(mine[0].subject, format!("inspection/{id}"));
            assert!(!mine[0].summary.contains("消防"));
        }
        for who in [city_civil_affairs(), xlt_station()] {
            assert!(
                kit.notifications(&who, "RECTIFICATION_OVERDUE")
                    .await
                    .is_empty()
            );
        }

        // A late rectification is recorded as late and raises nothing more.
        kit.set_clock(instant_at("2026-03-22T09:00:00+08:00"));
        let after = rectify(&kit, &xlt_police(), &id, 3).await.unwrap();
        assert!(after.findings[2].overdue);
        assert!(after.findings[2].rectified_at.is_some());
        let rectified = kit.events::<pb::RectificationRecorded>().await;
        assert_eq!(
            rectified
                .iter()
                .map(|e| (e.finding_number, e.late))
                .collect::<Vec<_>>(),
            [(2, false), (3, true)]
        );
        kit.set_clock(instant_at("2026-04-30T09:00:00+08:00"));
        assert_eq!(
            count(
                &kit,
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'foster.rectification' \
                 AND state = 'pending'"
            )
            .await,
            0
        );
        assert_eq!(kit.events::<pb::RectificationOverdue>().await.len(), 1);
        let listed = kit
            .foster(&institution_caller(&home))
            .await
            .list_inspections(pb::ListInspectionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .inspections;
        assert_eq!(
            listed[0]
                .findings
                .iter()
                .map(|f| (f.finding_number, f.overdue, f.rectified_at.is_some()))
                .collect::<Vec<_>>(),
            [(1, false, false), (2, false, true), (3, true, true)]
        );
        kit.stop().await;
    }
);

cluster_tests!(
    a_station_is_told_of_its_own_overdue_rectification,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        // The city station, inspected by the health commission: the city bureau is the civil
        // affairs of the city's own division.
        let recorded = record(
            &kit,
            &city_health(),
            inspection(
                station("city-station"),
                A::Health,
                vec![finding("医务室药品过期", true, "2026-03-12")],
            ),
        )
        .await
        .unwrap();
        assert_eq!(recorded.division, "211100");
        kit.set_clock(instant_at("2026-03-13T00:00:00+08:00"));
        kit.wait_events::<pb::RectificationOverdue>(1).await;
        for who in [city_station(), city_health(), city_civil_affairs()] {
            assert_eq!(
                kit.notifications(&who, "RECTIFICATION_OVERDUE").await.len(),
                1,
                "{who}"
            );
        }
        // The station records it late.
        let after = rectify(&kit, &city_station(), &recorded.inspection_id, 1)
            .await
            .unwrap();
        assert!(after.findings[0].overdue);
        kit.stop().await;
    }
);
