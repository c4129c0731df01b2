//! Listing verification requests through the gRPC API, on SQLite and PostgreSQL: the filters
//! (overdue, due within N days, police unit, status, division), newest first and paged; the
//! scope of each caller (a station its own, a police unit what is addressed to it, a county
//! bureau its county, the city all); a police unit's pending requests oldest first; `overdue`
//! computed at the read.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_runtime::Caller;
use tonic::Code;

async fn list(
    kit: &Kit,
    who: &Caller,
    request: pb::ListVerificationRequestsRequest,
) -> Result<Vec<String>, tonic::Status> {
    Ok(kit
        .identity(who)
        .await
        .list_verification_requests(request)
        .await?
        .into_inner()
        .verifications
        .into_iter()
        .map(|request| request.verification_id)
        .collect())
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn ids(requests: &[&pb::VerificationRequest]) -> Vec<String> {
    sorted(
        requests
            .iter()
            .map(|request| request.verification_id.clone())
            .collect(),
    )
}

async fn filed(
    kit: &Kit,
    station: &Caller,
    file_id: &str,
    method: pb::VerificationMethod,
    unit: &str,
) -> pb::VerificationRequest {
    file_verification(kit, station, file_id, &[method], unit)
        .await
        .unwrap()
}

cluster_tests!(
    lists_filter_by_due_time_unit_status_and_division_within_scope,
    start = kit::at("2026-03-02T10:00:00+08:00"),
    |kit| {
        use pb::VerificationMethod::{Dna, Face};
        let admitted_at = kit.now() - Duration::hours(1);
        let a = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let b = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let c = kit.admit_unknown(&sz_station(), admitted_at).await.file_id;
        let d = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let e = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;

        // Mon 2026-03-02: r1 (xlt) and r3 (sz) acknowledged, due Thu Apr 2 24:00; r2 to the
        // face unit never acknowledged: deemed at the end of Thu Mar 5, due Tue Apr 7 24:00
        // (Apr 5 is in the Qingming holiday).
        let r1 = filed(&kit, &xlt_station(), &a, Dna, "city-police-forensics").await;
        let r2 = filed(&kit, &xlt_station(), &b, Face, "city-police-face").await;
        let r3 = filed(&kit, &sz_station(), &c, Dna, "city-police-forensics").await;
        for request in [&r1, &r3] {
            acknowledge_verification(&kit, &forensics(), &request.verification_id)
                .await
                .unwrap();
        }
        // Fri 2026-03-20: r4 acknowledged, due Mon Apr 20 24:00.
        kit.set_clock(kit::at("2026-03-20T10:00:00+08:00").unwrap());
        let r4 = filed(&kit, &xlt_station(), &d, Dna, "city-police-forensics").await;
        let r4 = acknowledge_verification(&kit, &forensics(), &r4.verification_id)
            .await
            .unwrap();
        assert_eq!(
            instant(r4.due_at.as_ref()),
            kit::at("2026-04-20T16:00:00Z").unwrap()
        );
        // Fri 2026-04-03: r6 filed to xlt-police, awaiting receipt.
        kit.set_clock(kit::at("2026-04-03T10:00:00+08:00").unwrap());
        let r6 = filed(&kit, &xlt_station(), &e, Face, "xlt-police").await;
        kit.wait_events::<pb::VerificationOverdue>(2).await;

        let city = city_civil_affairs();
        let all = |request: pb::ListVerificationRequestsRequest| list(&kit, &city, request);
        let everything = all(Default::default()).await.unwrap();
        assert_eq!(everything.len(), 5);
        assert_eq!(everything[0], r6.verification_id, "newest first");
        assert_eq!(everything[1], r4.verification_id);

        assert_eq!(
            sorted(
                all(pb::ListVerificationRequestsRequest {
                    overdue: true,
                    ..Default::default()
                })
                .await
                .unwrap()
            ),
            ids(&[&r1, &r3])
        );
        assert_eq!(
            all(pb::ListVerificationRequestsRequest {
                due_within_days: 5,
                ..Default::default()
            })
            .await
            .unwrap(),
            ids(&[&r2])
        );
        assert_eq!(
            sorted(
                all(pb::ListVerificationRequestsRequest {
                    due_within_days: 30,
                    ..Default::default()
                })
                .await
                .unwrap()
            ),
            ids(&[&r2, &r4])
        );
        let refused = all(pb::ListVerificationRequestsRequest {
            due_within_days: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert_eq!(fields(&refused), ["due_within_days"]);
        assert_eq!(
            all(pb::ListVerificationRequestsRequest {
                police_unit: "city-police-face".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap(),
            ids(&[&r2])
        );
        assert_eq!(
            all(pb::ListVerificationRequestsRequest {
                status: pb::VerificationStatus::AwaitingReceipt as i32,
                ..Default::default()
            })
            .await
            .unwrap(),
            ids(&[&r6])
        );
        assert_eq!(
            all(pb::ListVerificationRequestsRequest {
                division: "211102".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap(),
            ids(&[&r3])
        );

        // Pages of 2 give the same list.
        let mut paged = Vec::new();
        let mut token = String::new();
        loop {
            let page = kit
                .identity(&city)
                .await
                .list_verification_requests(pb::ListVerificationRequestsRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert!(page.verifications.len() <= 2);
            paged.extend(page.verifications.into_iter().map(|r| r.verification_id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, everything);

        // `overdue` is computed at the read.
        let listed = kit
            .identity(&city)
            .await
            .list_verification_requests(pb::ListVerificationRequestsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .verifications;
        let overdue: Vec<&pb::VerificationRequest> =
            listed.iter().filter(|request| request.overdue).collect();
        assert_eq!(ids(&overdue), ids(&[&r1, &r3]));

        // Scope: a county bureau sees its county only; stations their own; police theirs.
        assert_eq!(
            list(&kit, &sz_civil_affairs(), Default::default())
                .await
                .unwrap(),
            ids(&[&r3])
        );
        let refused = list(
            &kit,
            &sz_civil_affairs(),
            pb::ListVerificationRequestsRequest {
                division: "211103".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&refused), ["division"]);
        assert_eq!(
            sorted(
                list(&kit, &xlt_civil_affairs(), Default::default())
                    .await
                    .unwrap()
            ),
            ids(&[&r1, &r2, &r4, &r6])
        );
        assert_eq!(
            sorted(
                list(&kit, &xlt_station(), Default::default())
                    .await
                    .unwrap()
            ),
            ids(&[&r1, &r2, &r4, &r6])
        );
        assert_eq!(
            list(&kit, &sz_station(), Default::default()).await.unwrap(),
            ids(&[&r3])
        );
        assert_eq!(
            sorted(list(&kit, &forensics(), Default::default()).await.unwrap()),
            ids(&[&r1, &r3, &r4])
        );
        let refused = list(
            &kit,
            &forensics(),
            pb::ListVerificationRequestsRequest {
                police_unit: "city-police-face".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&refused), ["police_unit"]);
        for outsider in [
            sz_civil_affairs(),
            sz_station(),
            city_station(),
            xlt_police(),
        ] {
            let refused = get_verification(&kit, &outsider, &r1.verification_id)
                .await
                .unwrap_err();
            assert_eq!(refused.code(), Code::NotFound, "{}", outsider.unit);
        }
        get_verification(&kit, &xlt_government(), &r1.verification_id)
            .await
            .unwrap();

        // Pending, oldest first, page by page; listing is not receipt.
        let mut pending = Vec::new();
        let mut token = String::new();
        loop {
            let page = kit
                .identity(&forensics())
                .await
                .list_pending_verification_requests(pb::ListPendingVerificationRequestsRequest {
                    page_size: 2,
                    page_token: token.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            pending.extend(page.verifications);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pending.len(), 3);
        assert!(
            pending
                .windows(2)
                .all(|pair| pair[0].filed_at.as_ref().unwrap().seconds
                    <= pair[1].filed_at.as_ref().unwrap().seconds)
        );
        assert_eq!(pending[2].verification_id, r4.verification_id);
        let xlt_pending = kit
            .identity(&xlt_police())
            .await
            .list_pending_verification_requests(
                pb::ListPendingVerificationRequestsRequest::default(),
            )
            .await
            .unwrap()
            .into_inner()
            .verifications;
        assert_eq!(xlt_pending.len(), 1);
        assert_eq!(
            xlt_pending[0].status,
            pb::VerificationStatus::AwaitingReceipt as i32
        );
        assert!(
            get_verification(&kit, &xlt_police(), &r6.verification_id)
                .await
                .unwrap()
                .received_at
                .is_none()
        );
        kit.stop().await;
    }
);
