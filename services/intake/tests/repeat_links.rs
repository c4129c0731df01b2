//! Splitting a wrong repeat-vagrancy link through the gRPC API with real mTLS callers, on SQLite
//! and PostgreSQL: who may split which link, the reason, a split only once (idempotently), the
//! `RepeatSplit` event, reads that show only unsplit links, and a split pair that no later
//! admission links again.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_runtime::{CallerKind, with_db};
use tonic::Code;

/// The ID number every admission of these tests states.
fn same_person() -> pb::Person {
    person("钱七", &id_number("211103", "19750505", "017"))
}

fn split_request(case_id: &str, earlier_case_id: &str, reason: &str) -> pb::SplitRepeatLinkRequest {
    pb::SplitRepeatLinkRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        earlier_case_id: earlier_case_id.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The link rows of `case_id` to `earlier_case_id`: (split_at, reason, kind, unit).
async fn link_rows(
    kit: &kit::Kit,
    case_id: &str,
    earlier_case_id: &str,
) -> Vec<(
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
    Option<String>,
)> {
    with_db!(&kit.db, |pool| {
        sqlx::query_as(
            "SELECT split_at, split_reason, split_by_kind, split_by_unit FROM case_links \
             WHERE case_id = $1 AND earlier_case_id = $2",
        )
        .bind(case_id)
        .bind(earlier_case_id)
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// The case as `GetCase` and as `ListCases` show it to the city bureau.
async fn read_back(kit: &kit::Kit, case_id: &str) -> (pb::Case, pb::Case) {
    let mut client = kit.intake(&city_civil_affairs()).await;
    let got = client
        .get_case(pb::GetCaseRequest {
            case_id: case_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let listed = client
        .list_cases(pb::ListCasesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .cases
        .into_iter()
        .find(|case| case.case_id == case_id)
        .unwrap();
    (got, listed)
}

cluster_tests!(a_split_link_is_never_linked_again, |kit| {
    let now = kit.now();
    let a = kit
        .admit(
            &xlt_station(),
            admission(same_person(), now - Duration::hours(5)),
        )
        .await;
    let b = kit
        .admit(
            &xlt_station(),
            admission(same_person(), now - Duration::hours(4)),
        )
        .await;
    assert_eq!(b.repeat_of_case_ids, [a.case_id.as_str()]);

    // The admitting station of B splits B–A.
    let split_at = kit.now();
    let request = split_request(&b.case_id, &a.case_id, "身份证号系录入错误，并非同一人");
    let mut station = kit.intake(&xlt_station()).await;
    let split = station
        .split_repeat_link(request.clone())
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(split.case_id, b.case_id);
    assert!(split.repeat_of_case_ids.is_empty());
    assert!(split.person.is_none() && split.person_omitted);
    // The row stays, split, with the reason and who split it.
    let rows = link_rows(&kit, &b.case_id, &a.case_id).await;
    assert_eq!(rows.len(), 1);
    let (at, reason_opt, kind, unit) = rows[0].clone();
    assert!(at.unwrap() >= split_at);
    assert_eq!(
        reason_opt.as_deref(),
        Some("身份证号系录入错误，并非同一人")
    );
    assert_eq!(kind.as_deref(), Some("station"));
    assert_eq!(unit.as_deref(), Some("xlt-station"));
    // One RepeatSplit, without the reason.
    let events = kit.events::<pb::RepeatSplit>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].case_id, b.case_id);
    assert_eq!(events[0].earlier_case_id, a.case_id);
    assert!(events[0].split_at.is_some());
    for payload in kit.raw_events().await {
        assert!(!String::from_utf8_lossy(&payload).contains("录入错误"));
    }

    // A retry with the same request id returns the same case and splits nothing more.
    let again = station
        .split_repeat_link(request.clone())
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(again, split);
    assert_eq!(kit.events::<pb::RepeatSplit>().await.len(), 1);
    // Splitting again with another request id: the link is already split.
    let status = station
        .split_repeat_link(split_request(&b.case_id, &a.case_id, "再拆一次"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "LINK_NOT_FOUND_OR_SPLIT");

    // C, the same ID number again (at another station), links to A and B; B–A stays split.
    let c = kit
        .admit(
            &sz_station(),
            admission(same_person(), now - Duration::hours(3)),
        )
        .await;
    assert_eq!(c.repeat_of_case_ids, [a.case_id.clone(), b.case_id.clone()]);
    let linked = kit.events::<pb::RepeatLinked>().await;
    assert_eq!(linked.len(), 3, "B–A, C–A, C–B");
    assert!(
        !linked[1..]
            .iter()
            .any(|l| l.case_id == b.case_id || l.case_id == a.case_id),
        "no later admission re-links B–A"
    );
    let rows = link_rows(&kit, &b.case_id, &a.case_id).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].0.is_some(), "B–A stays split");
    assert!(link_rows(&kit, &a.case_id, &b.case_id).await.is_empty());
    // D as well: still no path re-creates B–A.
    let d = kit
        .admit(
            &xlt_station(),
            admission(same_person(), now - Duration::hours(2)),
        )
        .await;
    assert_eq!(
        d.repeat_of_case_ids,
        [a.case_id.clone(), b.case_id.clone(), c.case_id.clone()]
    );
    assert!(link_rows(&kit, &b.case_id, &a.case_id).await[0].0.is_some());

    // GetCase and ListCases show only unsplit links.
    let (got, listed) = read_back(&kit, &b.case_id).await;
    assert!(got.repeat_of_case_ids.is_empty());
    assert!(listed.repeat_of_case_ids.is_empty());
    let (got, listed) = read_back(&kit, &c.case_id).await;
    assert_eq!(
        got.repeat_of_case_ids,
        [a.case_id.clone(), b.case_id.clone()]
    );
    assert_eq!(listed.repeat_of_case_ids, got.repeat_of_case_ids);

    // The county bureau of C's division splits C–B; C keeps its link to A.
    let c_split = kit
        .intake(&sz_civil_affairs())
        .await
        .split_repeat_link(split_request(&c.case_id, &b.case_id, "经核实不是同一人"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(c_split.repeat_of_case_ids, [a.case_id.as_str()]);
    // The city bureau splits D–C.
    let d_split = kit
        .intake(&city_civil_affairs())
        .await
        .split_repeat_link(split_request(&d.case_id, &c.case_id, "经核实不是同一人"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(
        d_split.repeat_of_case_ids,
        [a.case_id.clone(), b.case_id.clone()]
    );
    let rows = link_rows(&kit, &d.case_id, &c.case_id).await;
    assert_eq!(rows[0].2.as_deref(), Some("civil-affairs"));
    assert_eq!(rows[0].3.as_deref(), Some("city-civil-affairs"));
    assert_eq!(kit.events::<pb::RepeatSplit>().await.len(), 3);
    kit.stop().await;
});

cluster_tests!(only_the_later_cases_station_or_bureau_may_split, |kit| {
    let now = kit.now();
    let a = kit
        .admit(
            &sz_station(),
            admission(same_person(), now - Duration::hours(5)),
        )
        .await;
    let b = kit
        .admit(
            &xlt_station(),
            admission(same_person(), now - Duration::hours(4)),
        )
        .await;
    assert_eq!(b.repeat_of_case_ids, [a.case_id.as_str()]);

    // Kinds the RPC does not allow, and the read-only provincial department.
    for who in [
        xlt_police(),
        xlt_government(),
        unit(CallerKind::Grid, "211103", "xlt-grid"),
        unit(CallerKind::Hospital, "211100", "city-central-hospital"),
        identity_service(),
        province(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .split_repeat_link(split_request(&b.case_id, &a.case_id, "不是同一人"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{who}");
    }
    // Another station, even the one that admitted the earlier case, and another county's bureau
    // do not see B; nor does anyone see a case that does not exist.
    for who in [sz_station(), city_station(), sz_civil_affairs()] {
        let status = kit
            .intake(&who)
            .await
            .split_repeat_link(split_request(&b.case_id, &a.case_id, "不是同一人"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{who}");
    }
    let status = kit
        .intake(&xlt_station())
        .await
        .split_repeat_link(split_request(
            &uuid::Uuid::now_v7().to_string(),
            &a.case_id,
            "不是同一人",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    // Bad fields, all named.
    let mut bureau = kit.intake(&xlt_civil_affairs()).await;
    let status = bureau
        .split_repeat_link(pb::SplitRepeatLinkRequest {
            request_id: "nope".to_owned(),
            ..split_request("", "", " ")
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["case_id", "earlier_case_id", "reason"]);
    let status = bureau
        .split_repeat_link(split_request(&b.case_id, &a.case_id, &"因".repeat(1001)))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["reason"]);
    let status = bureau
        .split_repeat_link(pb::SplitRepeatLinkRequest {
            request_id: "nope".to_owned(),
            ..split_request(&b.case_id, &a.case_id, "不是同一人")
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["request_id"]);

    // A link that does not exist: the other direction, or an unrelated case.
    let other = kit
        .admit(
            &xlt_station(),
            admission(pb::Person::default(), now - Duration::hours(1)),
        )
        .await;
    for (case_id, earlier) in [
        (&b.case_id, &other.case_id),
        (&b.case_id, &b.case_id),
        (&other.case_id, &a.case_id),
    ] {
        let status = bureau
            .split_repeat_link(split_request(case_id, earlier, "不是同一人"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "LINK_NOT_FOUND_OR_SPLIT");
    }
    // A's station cannot split from A's side either: A is not linked to anything.
    let status = kit
        .intake(&sz_station())
        .await
        .split_repeat_link(split_request(&a.case_id, &b.case_id, "不是同一人"))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "LINK_NOT_FOUND_OR_SPLIT");
    assert!(kit.events::<pb::RepeatSplit>().await.is_empty());

    // The county bureau of B's division splits it, once, the reason at its longest.
    let split = bureau
        .split_repeat_link(split_request(&b.case_id, &a.case_id, &"因".repeat(1000)))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert!(split.repeat_of_case_ids.is_empty());
    let status = kit
        .intake(&xlt_station())
        .await
        .split_repeat_link(split_request(&b.case_id, &a.case_id, "不是同一人"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "LINK_NOT_FOUND_OR_SPLIT");
    assert_eq!(kit.events::<pb::RepeatSplit>().await.len(), 1);
    kit.stop().await;
});
