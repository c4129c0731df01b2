//! Monthly visits and reports through the real cluster: a visit counts for its month only if
//! recorded before the month's end; a month without one is overdue exactly once (restarts,
//! repeated and late sweeps included), notifying the sending station and the county bureau; a
//! month's report is due at 24:00 of the 5th working day of the next month, once overdue
//! otherwise (institution and station notified); a placement ended mid-month owes nothing for
//! that month, while an earlier month's report stays owed.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Utc};
use kit::*;
use relief_proto::foster::v1 as pb;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;
use relief_runtime::with_db;
use relief_testkit::wait_until;
use tonic::Code;

/// A government-run elderly-care institution of 兴隆台区 with an agreement with its station;
/// returns its id.
async fn institution(kit: &Kit, name: &str) -> String {
    let id = kit
        .institution(name, pb::InstitutionKind::ElderlyCare, true, 50, false)
        .await;
    kit.sign(&xlt_station(), &id, ("2026-01-01", "2027-12-31"), 20, 500)
        .await
        .unwrap();
    id
}

/// Places a resident of 兴隆台区's station into `institution_id` now.
async fn place(kit: &Kit, institution_id: &str) -> pb::Placement {
    kit.place_resident(
        &xlt_station(),
        &xlt_civil_affairs(),
        institution_id,
        pb::SelfCare::Partial,
        adult(),
    )
    .await
}

fn visit_request(placement_id: &str, visited_at: DateTime<Utc>) -> pb::RecordVisitRequest {
    pb::RecordVisitRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        visited_at: Some(timestamp(visited_at)),
        care_conditions: "精神状态良好，床铺整洁".to_owned(),
        identity_inquiry: "询问口音与家乡，已比对寻亲公告".to_owned(),
    }
}

async fn record_visit(
    kit: &Kit,
    who: &Caller,
    request: pb::RecordVisitRequest,
) -> Result<pb::Visit, tonic::Status> {
    kit.foster(who)
        .await
        .record_visit(request)
        .await
        .map(|r| r.into_inner().visit.unwrap())
}

async fn visits(
    kit: &Kit,
    who: &Caller,
    request: pb::ListVisitsRequest,
) -> Result<pb::ListVisitsResponse, tonic::Status> {
    kit.foster(who)
        .await
        .list_visits(request)
        .await
        .map(|r| r.into_inner())
}

fn report_request(placement_id: &str, month: &str) -> pb::FileReportRequest {
    pb::FileReportRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        month: month.to_owned(),
        condition: "饮食睡眠正常，无外伤".to_owned(),
    }
}

async fn file_report(
    kit: &Kit,
    who: &Caller,
    request: pb::FileReportRequest,
) -> Result<pb::PeriodicReport, tonic::Status> {
    kit.foster(who)
        .await
        .file_report(request)
        .await
        .map(|r| r.into_inner().report.unwrap())
}

async fn reports(
    kit: &Kit,
    who: &Caller,
    request: pb::ListReportsRequest,
) -> Result<Vec<pb::PeriodicReport>, tonic::Status> {
    kit.foster(who)
        .await
        .list_reports(request)
        .await
        .map(|r| r.into_inner().reports)
}

fn of_placement(placement_id: &str) -> pb::ListReportsRequest {
    pb::ListReportsRequest {
        placement_id: placement_id.to_owned(),
        ..Default::default()
    }
}

fn deadline_id(kind: &str, placement_id: &str, month: &str) -> String {
    format!("foster.{kind}:{placement_id}:{month}")
}

/// The state of deadline row `id` (empty if there is none).
async fn deadline_state(kit: &Kit, id: &str) -> String {
    kit.texts("SELECT state FROM deadlines WHERE id = $1", id)
        .await
        .pop()
        .unwrap_or_default()
}

/// Waits until deadline row `id` has fired.
async fn wait_fired(kit: &Kit, id: &str) {
    wait_until(&format!("deadline {id} fired"), || async {
        deadline_state(kit, id).await == "fired"
    })
    .await;
}

/// Holds the sweeper off deadline row `id` (a sweeper that is late for it).
async fn hold(kit: &Kit, id: &str) {
    let far = instant_at("2099-01-01T00:00:00Z");
    with_db!(&kit.db, |pool| sqlx::query(
        "UPDATE deadlines SET run_at = $2 WHERE id = $1 AND state = 'pending'"
    )
    .bind(id)
    .bind(far)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

/// Lets the sweeper take deadline row `id` again (from its due instant).
async fn release(kit: &Kit, id: &str) {
    with_db!(&kit.db, |pool| sqlx::query(
        "UPDATE deadlines SET run_at = due_at WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

fn months<T>(events: &[T], month: impl Fn(&T) -> &str) -> Vec<String> {
    events.iter().map(|e| month(e).to_owned()).collect()
}

cluster_tests!(
    a_month_without_a_counted_visit_is_overdue_exactly_once,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let institution_id = institution(&kit, "盘锦市兴隆台区社会福利院").await;
        let placement = place(&kit, &institution_id).await;
        let id = placement.placement_id.clone();
        let placed_at = instant_at("2026-03-10T10:00:00+08:00");

        // Refused visits change nothing: another station (NOT_FOUND), before the placement,
        // in the future, without care conditions.
        let error = record_visit(&kit, &sz_station(), visit_request(&id, placed_at))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let before = visit_request(&id, instant_at("2026-03-01T10:00:00+08:00"));
        let error = record_visit(&kit, &xlt_station(), before)
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), fields(&error)),
            (Code::InvalidArgument, vec!["visited_at".to_owned()])
        );
        let mut bad = visit_request(&id, instant_at("2026-03-20T10:00:00+08:00"));
        bad.care_conditions = "  ".to_owned();
        let error = record_visit(&kit, &xlt_station(), bad).await.unwrap_err();
        assert_eq!(
            (error.code(), fields(&error)),
            (
                Code::InvalidArgument,
                vec!["visited_at".to_owned(), "care_conditions".to_owned()]
            )
        );
        assert!(kit.events::<pb::VisitRecorded>().await.is_empty());

        // A visit at 23:59 local of March 31, recorded then, counts for March.
        kit.set_clock(instant_at("2026-03-31T23:59:00+08:00"));
        let last_minute = visit_request(&id, instant_at("2026-03-31T23:59:00+08:00"));
        let visit = record_visit(&kit, &xlt_station(), last_minute.clone())
            .await
            .unwrap();
        assert_eq!(visit.month, "2026-03");
        assert!(visit.counted);
        assert_eq!(visit.station, "xlt-station");
        assert_eq!(visit.institution_id, institution_id);
        // A retry answers the same, once.
        assert_eq!(
            record_visit(&kit, &xlt_station(), last_minute)
                .await
                .unwrap(),
            visit
        );
        let recorded = kit.events::<pb::VisitRecorded>().await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(
            (
                recorded[0].visit_id.as_str(),
                recorded[0].month.as_str(),
                recorded[0].division.as_str(),
                recorded[0].counted
            ),
            (visit.visit_id.as_str(), "2026-03", "211103", true)
        );

        // March ends: no overdue; April's clock starts.
        kit.set_clock(instant_at("2026-04-01T00:00:00+08:00"));
        wait_fired(&kit, &deadline_id("visit", &id, "2026-03")).await;
        assert!(kit.events::<pb::VisitOverdue>().await.is_empty());
        let april = deadline_id("visit", &id, "2026-04");
        assert_eq!(deadline_state(&kit, &april).await, "pending");

        // April passes without a visit, and the sweeper is late: a visit made in April but
        // recorded on May 1 lands first. It does not count, and April is overdue all the same.
        hold(&kit, &april).await;
        kit.set_clock(instant_at("2026-05-01T09:00:00+08:00"));
        let late = record_visit(
            &kit,
            &xlt_station(),
            visit_request(&id, instant_at("2026-04-30T15:00:00+08:00")),
        )
        .await
        .unwrap();
        assert_eq!(late.month, "2026-04");
        assert!(!late.counted);
        assert!(kit.events::<pb::VisitOverdue>().await.is_empty());
        release(&kit, &april).await;
        kit.set_clock(instant_at("2026-05-01T09:00:01+08:00"));
        let overdue = kit.wait_events::<pb::VisitOverdue>(1).await;
        assert_eq!(
            overdue[0],
            pb::VisitOverdue {
                placement_id: id.clone(),
                institution_id: institution_id.clone(),
                station: "xlt-station".to_owned(),
                division: "211103".to_owned(),
                month: "2026-04".to_owned(),
                due_at: Some(timestamp(instant_at("2026-05-01T00:00:00+08:00"))),
            }
        );
        for who in [xlt_station(), xlt_civil_affairs()] {
            let notified = kit.notifications(&who, "VISIT_OVERDUE").await;
            assert_eq!(notified.len(), 1, "{}", who.unit);
            assert_eq!(notified[0].subject, format!("placement/{id}"));
        }

        // A restart and further sweeps: still one for April; May (no visit in May) gets its own.
        kit.cluster.restart("foster").await;
        kit.set_clock(instant_at("2026-05-20T10:00:00+08:00"));
        kit.set_clock(instant_at("2026-06-01T00:00:00+08:00"));
        let overdue = kit.wait_events::<pb::VisitOverdue>(2).await;
        wait_fired(&kit, &deadline_id("visit", &id, "2026-05")).await;
        let overdue_months = months(&kit.events::<pb::VisitOverdue>().await, |e| &e.month);
        assert_eq!(overdue_months, ["2026-04", "2026-05"]);
        assert_eq!(overdue.len(), 2);
        for who in [xlt_station(), xlt_civil_affairs()] {
            assert_eq!(
                kit.notifications(&who, "VISIT_OVERDUE").await.len(),
                2,
                "{}",
                who.unit
            );
        }

        // Reads: latest visit first, in scope; another station or county sees none, and asking
        // for the placement is NOT_FOUND.
        for who in [
            xlt_station(),
            xlt_civil_affairs(),
            city_civil_affairs(),
            institution_caller(&institution_id),
        ] {
            let listed = visits(&kit, &who, Default::default()).await.unwrap();
            assert_eq!(
                listed.visits,
                vec![late.clone(), visit.clone()],
                "{}",
                who.unit
            );
        }
        let page = visits(
            &kit,
            &xlt_station(),
            pb::ListVisitsRequest {
                page_size: 1,
                placement_id: id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.visits, vec![late.clone()]);
        let rest = visits(
            &kit,
            &xlt_station(),
            pb::ListVisitsRequest {
                page_size: 1,
                placement_id: id.clone(),
                page_token: page.next_page_token,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rest.visits, vec![visit.clone()]);
        assert!(rest.next_page_token.is_empty());
        let march = visits(
            &kit,
            &xlt_station(),
            pb::ListVisitsRequest {
                month: "2026-03".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(march.visits, vec![visit.clone()]);
        for who in [sz_station(), sz_civil_affairs()] {
            assert!(
                visits(&kit, &who, Default::default())
                    .await
                    .unwrap()
                    .visits
                    .is_empty()
            );
            let error = visits(
                &kit,
                &who,
                pb::ListVisitsRequest {
                    placement_id: id.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
            assert_eq!(error.code(), Code::NotFound, "{}", who.unit);
        }
        kit.stop().await;
    }
);

cluster_tests!(
    a_report_is_due_at_the_end_of_the_fifth_working_day_of_the_next_month,
    start = kit::at("2026-09-10T10:00:00+08:00"),
    |kit| {
        let institution_id = institution(&kit, "盘锦市兴隆台区社会福利院").await;
        let filer = place(&kit, &institution_id).await.placement_id;
        let silent = place(&kit, &institution_id).await.placement_id;
        let other_id = institution(&kit, "盘锦市兴隆台区精神康复中心").await;
        let me = institution_caller(&institution_id);
        let other = institution_caller(&other_id);

        // Refused reports change nothing: another institution's resident (NOT_FOUND), a
        // malformed or future month, a month before the placement.
        let error = file_report(&kit, &other, report_request(&filer, "2026-09"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        for month in ["2026-9", "2026-10", ""] {
            let error = file_report(&kit, &me, report_request(&filer, month))
                .await
                .unwrap_err();
            assert_eq!(
                (error.code(), fields(&error)),
                (Code::InvalidArgument, vec!["month".to_owned()]),
                "{month:?}"
            );
        }
        let error = file_report(&kit, &me, report_request(&filer, "2026-08"))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), reason(&error)),
            (
                Code::FailedPrecondition,
                "MONTH_NOT_IN_PLACEMENT".to_owned()
            )
        );
        assert!(kit.events::<pb::ReportFiled>().await.is_empty());
        assert!(
            reports(&kit, &me, Default::default())
                .await
                .unwrap()
                .is_empty()
        );

        // September's report is due after the National Day holiday: 24:00 of October 13.
        // Filed on its last minute, it is on time.
        kit.set_clock(instant_at("2026-10-13T23:59:00+08:00"));
        let request = report_request(&filer, "2026-09");
        let report = file_report(&kit, &me, request.clone()).await.unwrap();
        assert_eq!(report.month, "2026-09");
        assert_eq!(
            report.due_at,
            Some(timestamp(instant_at("2026-10-14T00:00:00+08:00")))
        );
        assert!(!report.late);
        assert_eq!(report.institution_id, institution_id);
        // The retry answers the same; a second report for September is refused.
        assert_eq!(file_report(&kit, &me, request).await.unwrap(), report);
        let mut second = report_request(&filer, "2026-09");
        second.condition = "另一份报告".to_owned();
        let error = file_report(&kit, &me, second).await.unwrap_err();
        assert_eq!(
            (error.code(), reason(&error)),
            (Code::FailedPrecondition, "REPORT_ALREADY_FILED".to_owned())
        );
        let filed = kit.events::<pb::ReportFiled>().await;
        assert_eq!(filed.len(), 1);
        assert_eq!(
            (
                filed[0].report_id.as_str(),
                filed[0].month.as_str(),
                filed[0].late
            ),
            (report.report_id.as_str(), "2026-09", false)
        );
        assert_eq!(
            reports(&kit, &me, of_placement(&filer)).await.unwrap(),
            vec![report.clone()]
        );

        // The due instant passes: the resident without a report is overdue, once; the
        // institution and the station are told.
        kit.set_clock(instant_at("2026-10-14T00:00:00+08:00"));
        let overdue = kit.wait_events::<pb::ReportOverdue>(1).await;
        wait_fired(&kit, &deadline_id("report", &filer, "2026-09")).await;
        assert_eq!(
            overdue[0],
            pb::ReportOverdue {
                placement_id: silent.clone(),
                institution_id: institution_id.clone(),
                station: "xlt-station".to_owned(),
                division: "211103".to_owned(),
                month: "2026-09".to_owned(),
                due_at: Some(timestamp(instant_at("2026-10-14T00:00:00+08:00"))),
            }
        );
        for who in [me.clone(), xlt_station()] {
            let notified = kit.notifications(&who, "REPORT_OVERDUE").await;
            assert_eq!(notified.len(), 1, "{}", who.unit);
            assert_eq!(notified[0].subject, format!("placement/{silent}"));
        }
        assert!(kit.notifications(&other, "REPORT_OVERDUE").await.is_empty());

        // Filed afterwards, it is late and overdue stays once.
        kit.set_clock(instant_at("2026-10-14T09:00:00+08:00"));
        let late = file_report(&kit, &me, report_request(&silent, "2026-09"))
            .await
            .unwrap();
        assert!(late.late);
        kit.set_clock(instant_at("2026-10-20T09:00:00+08:00"));
        // October's report (not yet due) may be filed for the current month.
        let october = file_report(&kit, &me, report_request(&silent, "2026-10"))
            .await
            .unwrap();
        assert!(!october.late);
        assert_eq!(kit.events::<pb::ReportOverdue>().await.len(), 1);

        // Reads: latest month first; another institution sees none.
        assert_eq!(
            reports(&kit, &me, of_placement(&silent)).await.unwrap(),
            vec![october.clone(), late.clone()]
        );
        for who in [xlt_station(), xlt_civil_affairs(), me.clone()] {
            assert_eq!(
                reports(&kit, &who, Default::default()).await.unwrap().len(),
                3,
                "{}",
                who.unit
            );
        }
        assert!(
            reports(&kit, &other, Default::default())
                .await
                .unwrap()
                .is_empty()
        );
        let error = reports(&kit, &other, of_placement(&filer))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        kit.stop().await;
    }
);

cluster_tests!(
    a_placement_ended_mid_month_owes_nothing_for_that_month,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let institution_id = institution(&kit, "盘锦市兴隆台区社会福利院").await;
        let next_institution = institution(&kit, "盘锦市兴隆台区老年公寓").await;
        let id = place(&kit, &institution_id).await.placement_id;
        let moving = place(&kit, &institution_id).await.placement_id;
        kit.set_clock(instant_at("2026-03-20T10:00:00+08:00"));
        for placement in [&id, &moving] {
            record_visit(
                &kit,
                &xlt_station(),
                visit_request(placement, instant_at("2026-03-20T09:00:00+08:00")),
            )
            .await
            .unwrap();
        }
        kit.set_clock(instant_at("2026-04-01T00:00:00+08:00"));
        wait_fired(&kit, &deadline_id("visit", &id, "2026-03")).await;
        wait_fired(&kit, &deadline_id("visit", &moving, "2026-03")).await;

        // Ended on April 2, before March's report is due.
        kit.set_clock(instant_at("2026-04-02T10:00:00+08:00"));
        kit.foster(&xlt_station())
            .await
            .end_placement(pb::EndPlacementRequest {
                request_id: request_id(),
                placement_id: id.clone(),
                kind: pb::PlacementEndKind::StateSupport as i32,
                notes: "转入特困供养".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        for kind in ["visit", "report"] {
            assert_eq!(
                deadline_state(&kit, &deadline_id(kind, &id, "2026-04")).await,
                "cancelled",
                "{kind}"
            );
        }
        assert_eq!(
            deadline_state(&kit, &deadline_id("report", &id, "2026-03")).await,
            "pending"
        );
        // No more visits.
        let error = record_visit(
            &kit,
            &xlt_station(),
            visit_request(&id, instant_at("2026-04-02T09:00:00+08:00")),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (error.code(), reason(&error)),
            (Code::FailedPrecondition, "PLACEMENT_NOT_ACTIVE".to_owned())
        );

        // The other resident is visited on April 10, then moved on April 15: the new
        // placement owes April, and the visit before the move counts for it.
        kit.set_clock(instant_at("2026-04-10T10:00:00+08:00"));
        record_visit(
            &kit,
            &xlt_station(),
            visit_request(&moving, instant_at("2026-04-10T09:00:00+08:00")),
        )
        .await
        .unwrap();
        kit.set_clock(instant_at("2026-04-15T10:00:00+08:00"));
        let moved = kit
            .foster(&xlt_civil_affairs())
            .await
            .move_resident(pb::MoveResidentRequest {
                request_id: request_id(),
                placement_id: moving.clone(),
                institution_id: next_institution.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap()
            .placement_id;
        assert_eq!(
            deadline_state(&kit, &deadline_id("visit", &moving, "2026-04")).await,
            "cancelled"
        );
        assert_eq!(
            deadline_state(&kit, &deadline_id("visit", &moved, "2026-04")).await,
            "pending"
        );

        // March's reports stay owed (neither was filed); April owes nothing for the ended
        // placement, and no visit is overdue.
        kit.set_clock(instant_at("2026-04-20T10:00:00+08:00"));
        let overdue = kit.wait_events::<pb::ReportOverdue>(2).await;
        let mut owed: Vec<_> = overdue
            .iter()
            .map(|e| (e.placement_id.clone(), e.month.clone()))
            .collect();
        owed.sort();
        let mut expected = vec![
            (id.clone(), "2026-03".to_owned()),
            (moving.clone(), "2026-03".to_owned()),
        ];
        expected.sort();
        assert_eq!(owed, expected);
        kit.set_clock(instant_at("2026-05-01T10:00:00+08:00"));
        wait_fired(&kit, &deadline_id("visit", &moved, "2026-04")).await;
        assert_eq!(
            deadline_state(&kit, &deadline_id("visit", &id, "2026-05")).await,
            ""
        );
        assert_eq!(
            deadline_state(&kit, &deadline_id("visit", &moved, "2026-05")).await,
            "pending"
        );
        assert!(kit.events::<pb::VisitOverdue>().await.is_empty());
        assert_eq!(kit.events::<pb::ReportOverdue>().await.len(), 2);
        // The institution may still report on April (the resident was in its care then), not
        // on May.
        let april = file_report(
            &kit,
            &institution_caller(&institution_id),
            report_request(&id, "2026-04"),
        )
        .await
        .unwrap();
        assert!(!april.late);
        let error = file_report(
            &kit,
            &institution_caller(&institution_id),
            report_request(&id, "2026-05"),
        )
        .await
        .unwrap_err();
        assert_eq!(reason(&error), "MONTH_NOT_IN_PLACEMENT");
        kit.stop().await;
    }
);
