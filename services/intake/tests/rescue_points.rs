//! The rescue point registry through the gRPC API with real mTLS callers, on SQLite and
//! PostgreSQL: civil affairs registers within its divisions (idempotently), the id is one a
//! certificate can name, and every caller kind but a service lists the registry newest first,
//! page by page, optionally by division.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_runtime::{Caller, CallerKind};
use tonic::Code;

fn registration(division: &str, name: &str) -> pb::RegisterRescuePointRequest {
    pb::RegisterRescuePointRequest {
        request_id: request_id(),
        division: division.to_owned(),
        street: "振兴街道".to_owned(),
        name: name.to_owned(),
        address: "兴隆台区 振兴街道 社区服务中心 一楼".to_owned(),
    }
}

fn list_request(page_size: i32, page_token: &str, division: &str) -> pb::ListRescuePointsRequest {
    pb::ListRescuePointsRequest {
        page_size,
        page_token: page_token.to_owned(),
        division: division.to_owned(),
    }
}

/// Every rescue point of `who`'s view of the list, following the pages.
async fn list_all(
    kit: &kit::Kit,
    who: &Caller,
    page_size: i32,
    division: &str,
) -> Vec<Vec<String>> {
    let mut client = kit.intake(who).await;
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_rescue_points(list_request(page_size, &token, division))
            .await
            .unwrap()
            .into_inner();
        pages.push(
            page.rescue_points
                .iter()
                .map(|point| point.name.clone())
                .collect(),
        );
        if page.next_page_token.is_empty() {
            return pages;
        }
        token = page.next_page_token;
    }
}

cluster_tests!(a_county_bureau_registers_and_a_grid_caller_lists, |kit| {
    let mut bureau = kit.intake(&xlt_civil_affairs()).await;
    let request = registration("211103", "振兴街道救助点");
    let point = bureau
        .register_rescue_point(request.clone())
        .await
        .unwrap()
        .into_inner()
        .rescue_point
        .unwrap();
    assert_eq!(point.division, "211103");
    assert_eq!(point.street, "振兴街道");
    assert_eq!(point.name, "振兴街道救助点");
    assert!(point.registered_at.is_some());
    // The id is the unit id of the rescue point's certificate.
    let id = point.rescue_point_id.clone();
    assert!(id.starts_with("rp-211103-") && id.len() <= 64, "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
        "{id}"
    );

    // A retry with the same request id returns the first rescue point and registers nothing.
    let again = bureau
        .register_rescue_point(request.clone())
        .await
        .unwrap()
        .into_inner()
        .rescue_point
        .unwrap();
    assert_eq!(again, point);
    assert_eq!(kit.count("SELECT COUNT(*) FROM rescue_points").await, 1);
    // The same id with another request is refused.
    let mut changed = request.clone();
    changed.name = "另一个救助点".to_owned();
    let status = bureau.register_rescue_point(changed).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");

    // The rescue point, holding a certificate naming its id, lists the registry.
    let rescue_point = Caller::new(CallerKind::Grid, "211103", id.clone()).unwrap();
    let listed = kit
        .intake(&rescue_point)
        .await
        .list_rescue_points(list_request(0, "", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.rescue_points, [point]);
    assert!(listed.next_page_token.is_empty());
    // It may report a sighting as the grid caller it is.
    kit.intake(&rescue_point)
        .await
        .report_sighting(pb::ReportSightingRequest {
            request_id: request_id(),
            division: "211103".to_owned(),
            address: "振兴街道 菜市场门口".to_owned(),
            found_at: Some(relief_runtime::time::timestamp(kit.now())),
            description: "老年男性，衣着单薄".to_owned(),
            flags: None,
        })
        .await
        .unwrap();

    // The city bureau registers in any county of the city, and for the city itself.
    let mut city = kit.intake(&city_civil_affairs()).await;
    for division in ["211102", "211100"] {
        city.register_rescue_point(registration(division, &format!("{division} 救助点")))
            .await
            .unwrap();
    }
    // Every allowed kind sees the whole registry, whatever its division.
    let grid_of_another_county = unit(CallerKind::Grid, "211122", "ps-grid");
    for who in [
        grid_of_another_county,
        sz_station(),
        xlt_police(),
        xlt_government(),
        sz_civil_affairs(),
        province(),
        unit(CallerKind::Hospital, "211100", "city-central-hospital"),
        unit(CallerKind::Relay, "211100", "city-12345-hotline"),
        unit(CallerKind::Patrol, "211100", "city-urban-management"),
        unit(CallerKind::Foster, "211103", "some-foster-home"),
        unit(CallerKind::Supervisor, "211100", "city-finance"),
    ] {
        let all = list_all(&kit, &who, 0, "").await;
        assert_eq!(all.concat().len(), 3, "{who}");
    }
    kit.stop().await;
});

cluster_tests!(only_civil_affairs_registers_within_its_divisions, |kit| {
    // Wrong caller kinds, the read-only provincial department among them.
    for who in [
        xlt_station(),
        xlt_police(),
        xlt_government(),
        unit(CallerKind::Grid, "211103", "xlt-grid"),
        identity_service(),
        province(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .register_rescue_point(registration("211103", "救助点"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{who}");
    }

    // A county bureau registers only in its own division.
    let mut bureau = kit.intake(&xlt_civil_affairs()).await;
    for division in ["211102", "211100"] {
        let status = bureau
            .register_rescue_point(registration(division, "救助点"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{division}");
        assert_eq!(fields(&status), ["division"]);
        assert!(status.message().contains("outside this bureau's divisions"));
    }

    // Every bad field at once.
    let status = bureau
        .register_rescue_point(pb::RegisterRescuePointRequest {
            request_id: request_id(),
            division: "21110".to_owned(),
            street: " ".to_owned(),
            name: String::new(),
            address: "x".repeat(501),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["address", "division", "name", "street"]);
    let status = bureau
        .register_rescue_point(pb::RegisterRescuePointRequest {
            street: "街".repeat(201),
            name: "点".repeat(201),
            ..registration("211103", "")
        })
        .await
        .unwrap_err();
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["name", "street"]);
    // The longest accepted values pass.
    bureau
        .register_rescue_point(pb::RegisterRescuePointRequest {
            street: "街".repeat(200),
            name: "点".repeat(200),
            address: "址".repeat(500),
            ..registration("211103", "")
        })
        .await
        .unwrap();
    let status = bureau
        .register_rescue_point(pb::RegisterRescuePointRequest {
            request_id: "not a uuid".to_owned(),
            ..registration("211103", "救助点")
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["request_id"]);

    // A well-formed code outside the national table, inside the caller's divisions, is accepted.
    let unknown = kit
        .intake(&city_civil_affairs())
        .await
        .register_rescue_point(registration("211199", "未知区划救助点"))
        .await
        .unwrap()
        .into_inner()
        .rescue_point
        .unwrap();
    assert!(unknown.rescue_point_id.starts_with("rp-211199-"));
    assert_eq!(kit.count("SELECT COUNT(*) FROM rescue_points").await, 2);
    kit.stop().await;
});

cluster_tests!(rescue_points_list_newest_first_in_pages, |kit| {
    let mut city = kit.intake(&city_civil_affairs()).await;
    for (n, division) in ["211103", "211102", "211103", "211103", "211102"]
        .into_iter()
        .enumerate()
    {
        city.register_rescue_point(registration(division, &format!("{n}")))
            .await
            .unwrap();
        kit.cluster.clock.advance(Duration::minutes(1)).unwrap();
    }
    let grid = unit(CallerKind::Grid, "211100", "city-grid-center");
    assert_eq!(
        list_all(&kit, &grid, 2, "").await,
        [vec!["4", "3"], vec!["2", "1"], vec!["0"]]
    );
    assert_eq!(
        list_all(&kit, &grid, 0, "").await,
        [vec!["4", "3", "2", "1", "0"]]
    );
    // A page exactly as long as what is left ends the list.
    assert_eq!(
        list_all(&kit, &grid, 5, "").await,
        [vec!["4", "3", "2", "1", "0"]]
    );
    assert_eq!(
        list_all(&kit, &grid, 2, "211103").await,
        [vec!["3", "2"], vec!["0"]]
    );
    assert_eq!(
        list_all(&kit, &grid, 0, "211122").await,
        [Vec::<String>::new()]
    );

    // Bad arguments are named; a service may not list.
    let mut client = kit.intake(&grid).await;
    let status = client
        .list_rescue_points(list_request(-1, "not a token", "2111"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["division", "page_size", "page_token"]);
    let status = kit
        .intake(&identity_service())
        .await
        .list_rescue_points(list_request(0, "", ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    kit.stop().await;
});
