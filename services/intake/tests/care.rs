//! Services and their costs through the gRPC API, on SQLite and PostgreSQL: RecordService by the
//! admitting station on its open cases only (CASE_CLOSED otherwise), every field checked,
//! idempotent, a `ServiceRecorded` event in fen; ListServices as GetCase, oldest first, with the
//! totals of every service of the case on every page.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::common::v1::Money;
use relief_proto::intake::v1 as pb;
use relief_runtime::time::timestamp;
use relief_runtime::{CallerKind, with_db};
use tonic::Code;

async fn set_status(kit: &Kit, case_id: &str, status: pb::CaseStatus) {
    with_db!(&kit.db, |pool| {
        sqlx::query("UPDATE cases SET status = $2 WHERE id = $1")
            .bind(case_id)
            .bind(status as i32)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

fn service(
    case_id: &str,
    kind: pb::ServiceKind,
    given_at: DateTime<Utc>,
    fen: i64,
) -> pb::RecordServiceRequest {
    pb::RecordServiceRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        kind: kind as i32,
        given_at: Some(timestamp(given_at)),
        cost: Some(Money { fen }),
        description: "住宿一晚，含被褥".to_owned(),
    }
}

fn list(case_id: &str, page_size: i32, page_token: &str) -> pb::ListServicesRequest {
    pb::ListServicesRequest {
        case_id: case_id.to_owned(),
        page_size,
        page_token: page_token.to_owned(),
    }
}

async fn service_rows(kit: &Kit, case_id: &str) -> i64 {
    with_db!(&kit.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM case_services WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

cluster_tests!(a_station_records_services_on_its_open_cases, |kit| {
    let now = kit.now();
    let admitted_at = now - Duration::days(2);
    let case = kit
        .admit(&xlt_station(), admission(person("周九", ""), admitted_at))
        .await;
    let mut xlt = kit.intake(&xlt_station()).await;

    // Recorded, with its cost in fen, and told to reporting in fen.
    let request = service(
        &case.case_id,
        pb::ServiceKind::Treatment,
        now - Duration::hours(3),
        12_345,
    );
    let recorded = xlt
        .record_service(request.clone())
        .await
        .unwrap()
        .into_inner()
        .service
        .unwrap();
    assert_eq!(recorded.case_id, case.case_id);
    assert_eq!(recorded.kind, pb::ServiceKind::Treatment as i32);
    assert_eq!(recorded.cost, Some(Money { fen: 12_345 }));
    assert_eq!(recorded.description, "住宿一晚，含被褥");

    // A retry with the same request id: the first answer, one row, one event.
    let again = xlt
        .record_service(request)
        .await
        .unwrap()
        .into_inner()
        .service
        .unwrap();
    assert_eq!(again, recorded);
    assert_eq!(service_rows(&kit, &case.case_id).await, 1);
    let events = kit.events::<pb::ServiceRecorded>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].case_id, case.case_id);
    assert_eq!(events[0].division, "211103");
    assert_eq!(events[0].kind, pb::ServiceKind::Treatment as i32);
    assert_eq!(events[0].cost_fen, 12_345);
    assert_eq!(events[0].given_at, recorded.given_at);

    // Free: no cost at all is zero fen.
    let free = xlt
        .record_service(pb::RecordServiceRequest {
            cost: None,
            description: String::new(),
            ..service(&case.case_id, pb::ServiceKind::Meals, now, 0)
        })
        .await
        .unwrap()
        .into_inner()
        .service
        .unwrap();
    assert_eq!(free.cost, Some(Money { fen: 0 }));

    // In foster care the case is still open (the status as ResidentPlaced sets it).
    set_status(&kit, &case.case_id, pb::CaseStatus::InFosterCare).await;
    xlt.record_service(service(&case.case_id, pb::ServiceKind::Other, now, 800))
        .await
        .unwrap();

    // Closed by a departure: the rule is named.
    let left = kit
        .admit(
            &xlt_station(),
            admission(pb::Person::default(), admitted_at),
        )
        .await;
    xlt.discharge_case(pb::DischargeCaseRequest {
        request_id: request_id(),
        case_id: left.case_id.clone(),
        kind: pb::DepartureKind::SelfDeparture as i32,
        departed_at: Some(timestamp(now - Duration::hours(1))),
        ..pb::DischargeCaseRequest::default()
    })
    .await
    .unwrap();
    let status = xlt
        .record_service(service(&left.case_id, pb::ServiceKind::Lodging, now, 800))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "CASE_CLOSED");
    assert_eq!(service_rows(&kit, &left.case_id).await, 0);
    assert_eq!(service_rows(&kit, &case.case_id).await, 3);
    kit.stop().await;
});

cluster_tests!(recording_a_service_is_refused_outside_the_rules, |kit| {
    let now = kit.now();
    let admitted_at = now - Duration::days(1);
    let case = kit
        .admit(&xlt_station(), admission(person("周九", ""), admitted_at))
        .await;
    let valid = || service(&case.case_id, pb::ServiceKind::Lodging, now, 3_000);

    // Only stations record services.
    for who in [
        xlt_civil_affairs(),
        city_civil_affairs(),
        xlt_government(),
        xlt_police(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .record_service(valid())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{who}");
    }

    // Another station's case, or no such case: not found alike.
    let status = kit
        .intake(&sz_station())
        .await
        .record_service(valid())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let mut xlt = kit.intake(&xlt_station()).await;
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            case_id: "no-such-case".to_owned(),
            ..valid()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    // Every bad field at once.
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            case_id: String::new(),
            kind: pb::ServiceKind::Unspecified as i32,
            given_at: Some(timestamp(now + Duration::hours(1))),
            cost: Some(Money { fen: -1 }),
            description: "床".repeat(501),
            ..valid()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut bad = fields(&status);
    bad.sort_unstable();
    assert_eq!(
        bad,
        ["case_id", "cost.fen", "description", "given_at", "kind"]
    );

    // A negative cost alone names `cost.fen`; a missing time names `given_at`.
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            cost: Some(Money { fen: -100 }),
            ..valid()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["cost.fen"]);
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            given_at: None,
            ..valid()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["given_at"]);

    // Not before the admission.
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            given_at: Some(timestamp(admitted_at - Duration::minutes(1))),
            ..valid()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["given_at"]);

    // 500 characters is fine; a failed call left nothing behind and can be retried.
    let request = pb::RecordServiceRequest {
        description: "床".repeat(500),
        ..valid()
    };
    xlt.record_service(request.clone()).await.unwrap();
    assert_eq!(service_rows(&kit, &case.case_id).await, 1);
    assert_eq!(kit.events::<pb::ServiceRecorded>().await.len(), 1);

    // The same request id for a different request.
    let status = xlt
        .record_service(pb::RecordServiceRequest {
            cost: Some(Money { fen: 1 }),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
    kit.stop().await;
});

cluster_tests!(
    services_are_listed_oldest_first_with_the_totals_of_the_case,
    |kit| {
        let now = kit.now();
        let admitted_at = now - Duration::days(3);
        let case = kit
            .admit(&xlt_station(), admission(person("周九", ""), admitted_at))
            .await;
        let other = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), admitted_at),
            )
            .await;
        let mut xlt = kit.intake(&xlt_station()).await;
        // Recorded out of order; listed by when they were given.
        let given = [
            (pb::ServiceKind::Treatment, Duration::hours(20), 25_000),
            (pb::ServiceKind::Lodging, Duration::hours(70), 1_000),
            (pb::ServiceKind::Meals, Duration::hours(50), 500),
            (pb::ServiceKind::Treatment, Duration::hours(5), 12_345),
            (pb::ServiceKind::Other, Duration::hours(40), 0),
        ];
        for (kind, ago, fen) in given {
            xlt.record_service(service(&case.case_id, kind, now - ago, fen))
                .await
                .unwrap();
        }
        xlt.record_service(service(
            &other.case_id,
            pb::ServiceKind::Treatment,
            now,
            99_999,
        ))
        .await
        .unwrap();

        // Two per page: three pages, the totals of all five services (and only this case's) on each.
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = xlt
                .list_services(list(&case.case_id, 2, &token))
                .await
                .unwrap()
                .into_inner();
            pages += 1;
            assert!(page.services.len() <= 2);
            assert_eq!(page.total_cost, Some(Money { fen: 38_845 }));
            assert_eq!(page.medical_cost, Some(Money { fen: 37_345 }));
            seen.extend(page.services);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pages, 3);
        let fens: Vec<i64> = seen.iter().map(|s| s.cost.unwrap().fen).collect();
        assert_eq!(fens, [1_000, 500, 0, 25_000, 12_345]);
        assert!(
            seen.windows(2)
                .all(|w| w[0].given_at.unwrap().seconds <= w[1].given_at.unwrap().seconds)
        );

        // One page of everything: the default size.
        let all = xlt
            .list_services(list(&case.case_id, 0, ""))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.services, seen);
        assert!(all.next_page_token.is_empty());

        // No services: zero totals.
        let empty = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), admitted_at),
            )
            .await;
        let none = xlt
            .list_services(list(&empty.case_id, 0, ""))
            .await
            .unwrap()
            .into_inner();
        assert!(none.services.is_empty());
        assert_eq!(none.total_cost, Some(Money { fen: 0 }));
        assert_eq!(none.medical_cost, Some(Money { fen: 0 }));

        // Seen as GetCase sees it.
        for who in [
            xlt_civil_affairs(),
            city_civil_affairs(),
            province(),
            xlt_government(),
            identity_service(),
        ] {
            let page = kit
                .intake(&who)
                .await
                .list_services(list(&case.case_id, 0, ""))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(page.services.len(), 5, "{who}");
            assert_eq!(page.total_cost, Some(Money { fen: 38_845 }));
        }
        for who in [sz_station(), sz_civil_affairs()] {
            let status = kit
                .intake(&who)
                .await
                .list_services(list(&case.case_id, 0, ""))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::NotFound, "{who}");
        }
        let status = xlt
            .list_services(list("no-such-case", 0, ""))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        for who in [
            xlt_police(),
            unit(CallerKind::Hospital, "211103", "city-central-hospital"),
        ] {
            let status = kit
                .intake(&who)
                .await
                .list_services(list(&case.case_id, 0, ""))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{who}");
        }

        // Bad paging.
        let status = xlt
            .list_services(list(&case.case_id, -1, ""))
            .await
            .unwrap_err();
        assert_eq!(fields(&status), ["page_size"]);
        let status = xlt
            .list_services(list(&case.case_id, 0, "garbage!"))
            .await
            .unwrap_err();
        assert_eq!(fields(&status), ["page_token"]);
        let status = xlt.list_services(list("", 0, "")).await.unwrap_err();
        assert_eq!(fields(&status), ["case_id"]);
        kit.stop().await;
    }
);
