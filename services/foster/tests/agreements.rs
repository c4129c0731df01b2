//! Agreements through the real cluster: a station records versions of its agreement with an
//! institution (beds within the institution's capacity, or nothing is stored); a day is governed
//! by the highest version whose term covers it, and an approval takes that version; each caller
//! lists the agreements of its scope.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::foster::v1 as pb;
use relief_runtime::Caller;
use tonic::Code;

/// The agreements `who` lists with `request`.
async fn agreements(
    kit: &Kit,
    who: &Caller,
    request: pb::ListAgreementsRequest,
) -> Vec<pb::Agreement> {
    kit.foster(who)
        .await
        .list_agreements(request)
        .await
        .unwrap()
        .into_inner()
        .agreements
}

/// The ids of the agreements `who` lists without filters.
async fn agreement_ids(kit: &Kit, who: &Caller) -> Vec<String> {
    agreements(kit, who, Default::default())
        .await
        .into_iter()
        .map(|agreement| agreement.agreement_id)
        .collect()
}

/// An institution of 双台子区 registered by its county bureau.
async fn sz_institution(kit: &Kit, name: &str) -> String {
    let mut request = registration(name, qualification("2030-12-31", "2030-12-31"));
    request.division = "211102".to_owned();
    request.capacity = 20;
    kit.register(&sz_civil_affairs(), request)
        .await
        .unwrap()
        .institution_id
}

/// Admits an adult at `station`, proposes and approves (as `civil_affairs`) the placement into
/// `institution_id`; returns the ACTIVE placement.
async fn place(
    kit: &Kit,
    station: &Caller,
    civil_affairs: &Caller,
    institution_id: &str,
) -> pb::Placement {
    let case_id = kit.admit(station, adult(), kit.cluster.clock.now()).await;
    let proposed = kit
        .propose(station, &case_id, pb::SelfCare::Partial)
        .await
        .unwrap();
    kit.approve(civil_affairs, &proposed.placement_id, institution_id, "")
        .await
        .unwrap()
}

cluster_tests!(
    agreements_are_versioned_and_read_in_scope,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let xlt = xlt_station();
        let home = kit
            .institution(
                "盘锦市社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                10,
                false,
            )
            .await;
        let sz_home = sz_institution(&kit, "双台子区养老院").await;

        // Version 1, then version 2 from June on.
        let first = kit
            .sign(&xlt, &home, ("2026-01-01", "2026-12-31"), 3, 500)
            .await
            .unwrap();
        assert_eq!(first.version, 1);
        assert_eq!(first.station, "xlt-station");
        assert_eq!(first.station_division, "211103");
        assert_eq!(first.signed_by, "xlt-station");
        assert_eq!((first.beds, first.margin_bps), (3, 500));
        assert!(first.superseded_by.is_empty());
        let second = kit
            .sign(&xlt, &home, ("2026-06-01", "2027-05-31"), 5, 800)
            .await
            .unwrap();
        assert_eq!(second.version, 2);
        let listed = agreements(&kit, &xlt, Default::default()).await;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].agreement_id, second.agreement_id);
        assert!(listed[0].superseded_by.is_empty());
        assert_eq!(
            listed[1],
            pb::Agreement {
                superseded_by: second.agreement_id.clone(),
                ..first.clone()
            }
        );
        let signed = kit.events::<pb::AgreementSigned>().await;
        assert_eq!(
            signed
                .iter()
                .map(|event| (event.agreement_id.as_str(), event.version, event.beds))
                .collect::<Vec<_>>(),
            [
                (first.agreement_id.as_str(), 1, 3),
                (second.agreement_id.as_str(), 2, 5)
            ]
        );

        // More beds than the institution has: refused, nothing stored.
        let error = kit
            .sign(&xlt, &home, ("2026-01-01", "2026-12-31"), 11, 500)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition);
        assert_eq!(reason(&error), "AGREEMENT_BEDS_OVER_CAPACITY");
        // Malformed: every bad field at once.
        let error = kit
            .foster(&xlt)
            .await
            .sign_agreement(pb::SignAgreementRequest {
                request_id: request_id(),
                institution_id: home.clone(),
                starts_on: "2026-06-01".to_owned(),
                ends_on: "2026-05-31".to_owned(),
                beds: 0,
                margin_bps: 3001,
                reference: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(
            fields(&error),
            ["ends_on", "beds", "margin_bps", "reference"]
        );
        let error = kit
            .sign(
                &xlt,
                "01936f0e-0000-7000-8000-000000000000",
                ("2026-01-01", "2026-12-31"),
                1,
                0,
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        assert_eq!(agreement_ids(&kit, &xlt).await.len(), 2);
        assert_eq!(kit.events::<pb::AgreementSigned>().await.len(), 2);

        // Another station's agreement with the same institution starts at version 1.
        let sz = kit
            .sign(&sz_station(), &home, ("2026-01-01", "2026-12-31"), 2, 0)
            .await
            .unwrap();
        assert_eq!((sz.version, sz.station_division.as_str()), (1, "211102"));
        let xlt_in_sz = kit
            .sign(&xlt, &sz_home, ("2026-01-01", "2026-12-31"), 2, 1000)
            .await
            .unwrap();

        // Scope: a station its own; an institution its own; civil affairs and governments the
        // agreements whose station or institution is in their divisions.
        let all = vec![
            xlt_in_sz.agreement_id.clone(),
            sz.agreement_id.clone(),
            second.agreement_id.clone(),
            first.agreement_id.clone(),
        ];
        assert_eq!(
            agreement_ids(&kit, &xlt).await,
            [
                xlt_in_sz.agreement_id.clone(),
                second.agreement_id.clone(),
                first.agreement_id.clone()
            ]
        );
        assert_eq!(
            agreement_ids(&kit, &sz_station()).await,
            [sz.agreement_id.as_str()]
        );
        assert_eq!(
            agreement_ids(&kit, &institution_caller(&home)).await,
            [
                sz.agreement_id.clone(),
                second.agreement_id.clone(),
                first.agreement_id.clone()
            ]
        );
        assert!(
            agreement_ids(
                &kit,
                &institution_caller("01936f0e-0000-7000-8000-000000000000")
            )
            .await
            .is_empty()
        );
        for who in [
            city_civil_affairs(),
            province(),
            city_government(),
            xlt_civil_affairs(),
            xlt_government(),
        ] {
            assert_eq!(agreement_ids(&kit, &who).await, all, "{}", who.unit);
        }
        // 双台子区 sees its station's agreement and the one with its institution.
        assert_eq!(
            agreement_ids(&kit, &sz_civil_affairs()).await,
            [xlt_in_sz.agreement_id.clone(), sz.agreement_id.clone()]
        );
        // Filters, and a station asking for another's gets nothing.
        let by_institution = agreements(
            &kit,
            &city_civil_affairs(),
            pb::ListAgreementsRequest {
                institution_id: sz_home.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(by_institution, std::slice::from_ref(&xlt_in_sz));
        let by_station = agreements(
            &kit,
            &city_civil_affairs(),
            pb::ListAgreementsRequest {
                station: "sz-station".to_owned(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(by_station, std::slice::from_ref(&sz));
        assert!(
            agreements(
                &kit,
                &xlt,
                pb::ListAgreementsRequest {
                    station: "sz-station".to_owned(),
                    ..Default::default()
                },
            )
            .await
            .is_empty()
        );
        // Paging, newest first.
        let mut client = kit.foster(&city_civil_affairs()).await;
        let mut token = String::new();
        let mut paged = Vec::new();
        loop {
            let page = client
                .list_agreements(pb::ListAgreementsRequest {
                    page_size: 3,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            paged.extend(page.agreements.into_iter().map(|a| a.agreement_id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, all);

        // The version in force today (March: version 1) is the one an approval takes; from
        // June version 2 governs.
        let placed = place(&kit, &xlt, &xlt_civil_affairs(), &home).await;
        assert_eq!(placed.agreement_id, first.agreement_id);
        kit.set_clock(instant_at("2026-06-01T00:00:00+08:00"));
        let placed = place(&kit, &xlt, &xlt_civil_affairs(), &home).await;
        assert_eq!(placed.agreement_id, second.agreement_id);
        // A term that no longer covers today governs nothing: 双台子区's home from 2027.
        kit.set_clock(instant_at("2027-01-01T00:00:00+08:00"));
        let case_id = kit.admit(&xlt, adult(), kit.cluster.clock.now()).await;
        let proposed = kit
            .propose(&xlt, &case_id, pb::SelfCare::Full)
            .await
            .unwrap();
        let error = kit
            .approve(&city_civil_affairs(), &proposed.placement_id, &sz_home, "")
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "NO_AGREEMENT_IN_FORCE");

        // Two signings at once get two versions.
        let term = ("2027-01-01", "2027-12-31");
        let sz_caller = sz_station();
        let (one, two) = tokio::join!(
            kit.sign(&sz_caller, &sz_home, term, 1, 0),
            kit.sign(&sz_caller, &sz_home, term, 2, 0)
        );
        let mut versions = [one.unwrap().version, two.unwrap().version];
        versions.sort_unstable();
        assert_eq!(versions, [1, 2]);
        kit.stop().await;
    }
);
