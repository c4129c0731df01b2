//! Who sees a verification request after its file moved, through the gRPC API on SQLite and
//! PostgreSQL: a transfer moves the file, and with it the request's scope (the station holding
//! the file now and the civil affairs of its current division, no longer the filing station or
//! its county), as for the file itself; the events after the move carry the new division, those
//! before it the old one. The due-within window is bounded alike on both backends.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;
use relief_runtime::with_db;
use tonic::Code;

fn local(text: &str) -> DateTime<Utc> {
    kit::at(text).unwrap()
}

/// The ids `who` lists with `request`.
async fn listed(
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

/// Transfers the person of `case_id` from the Xinglongtai station to the Shuangtaizi station
/// through intake; returns the file as the receiving station reads it.
async fn transfer_to_sz(kit: &Kit, case_id: &str, at: DateTime<Utc>) -> pb::IdentityFile {
    kit.intake(&xlt_station())
        .await
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.to_owned(),
            kind: intake::DepartureKind::Transferred as i32,
            departed_at: Some(timestamp(at)),
            transfer_to_station: "sz-station".to_owned(),
            escorted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut admission = admission(intake::IdentityStatus::Unknown, at + Duration::minutes(30));
    admission.referral = intake::Referral::Transfer as i32;
    admission.transferred_from_case_id = case_id.to_owned();
    let received = kit
        .intake(&sz_station())
        .await
        .admit_person(admission)
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    kit.wait_file(&sz_station(), &received.case_id).await
}

/// The divisions of identity's notifications about `subject` (no RPC shows them).
async fn notification_divisions(kit: &Kit, subject: &str) -> Vec<String> {
    with_db!(&kit.db, |pool| sqlx::query_scalar(
        "SELECT DISTINCT division FROM notifications WHERE subject = $1"
    )
    .bind(subject)
    .fetch_all(pool)
    .await)
    .unwrap()
}

cluster_tests!(
    a_transfer_moves_the_request_with_its_file,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(2))
            .await;
        let filed = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap();
        let id = filed.verification_id.clone();
        let all = pb::ListVerificationRequestsRequest::default;

        // Before the move: the filing station and its county see it, Shuangtaizi does not.
        for who in [xlt_station(), xlt_civil_affairs()] {
            assert!(
                get_verification(&kit, &who, &id).await.is_ok(),
                "{}",
                who.unit
            );
            assert_eq!(listed(&kit, &who, all()).await.unwrap(), [id.as_str()]);
        }
        for who in [sz_station(), sz_civil_affairs()] {
            let refused = get_verification(&kit, &who, &id).await.unwrap_err();
            assert_eq!(refused.code(), Code::NotFound, "{}", who.unit);
            assert!(listed(&kit, &who, all()).await.unwrap().is_empty());
        }

        // The person is transferred to the Shuangtaizi station: the file moves.
        let moved = transfer_to_sz(&kit, &file.case_id, kit.now() - Duration::hours(1)).await;
        assert_eq!(moved.file_id, file.file_id);
        assert_eq!(moved.division, "211102");

        // The station holding the file and the civil affairs of its division now see the
        // request; the filing station and its county no longer do (as for the file itself).
        for who in [
            sz_station(),
            sz_civil_affairs(),
            city_civil_affairs(),
            forensics(),
        ] {
            let read = get_verification(&kit, &who, &id).await.unwrap();
            assert_eq!(read.file_id, file.file_id, "{}", who.unit);
        }
        for who in [sz_station(), sz_civil_affairs()] {
            assert_eq!(
                listed(&kit, &who, all()).await.unwrap(),
                [id.as_str()],
                "{}",
                who.unit
            );
        }
        for who in [xlt_station(), xlt_civil_affairs(), xlt_government()] {
            let refused = get_verification(&kit, &who, &id).await.unwrap_err();
            assert_eq!(refused.code(), Code::NotFound, "{}", who.unit);
            assert!(
                listed(&kit, &who, all()).await.unwrap().is_empty(),
                "{}",
                who.unit
            );
        }
        // The city lists it under the file's current division.
        let in_division = |division: &str| pb::ListVerificationRequestsRequest {
            division: division.to_owned(),
            ..Default::default()
        };
        assert_eq!(
            listed(&kit, &city_civil_affairs(), in_division("211102"))
                .await
                .unwrap(),
            [id.as_str()]
        );
        assert!(
            listed(&kit, &city_civil_affairs(), in_division("211103"))
                .await
                .unwrap()
                .is_empty()
        );

        // Deemed received after the move: the event and the escalation carry the division the
        // file is in now; the filing event keeps the one it was filed in.
        let acknowledge_by = local("2026-03-13T16:00:00Z");
        kit.set_clock(acknowledge_by + Duration::minutes(1));
        let deemed = kit.wait_events::<pb::VerificationDeemedReceived>(1).await;
        assert_eq!(deemed[0].division, "211102");
        assert_eq!(
            notification_divisions(&kit, &format!("verification/{id}")).await,
            ["211102"]
        );
        let requested = kit.events::<pb::VerificationRequested>().await;
        assert_eq!(requested[0].division, "211103");
        let forwarded = kit
            .identity(&forensics())
            .await
            .forward_verification_request(pb::ForwardVerificationRequestRequest {
                request_id: request_id(),
                verification_id: id.clone(),
                to_unit: "city-police-face".to_owned(),
                reason: String::new(),
            })
            .await;
        assert!(forwarded.is_ok());
        let forwarded = kit.events::<pb::VerificationForwarded>().await;
        assert_eq!(forwarded[0].division, "211102");

        // Due within a window: the widest accepted one finds the request on both backends; a
        // wider one is refused by field, not failed by the database.
        let within = |days: i32| pb::ListVerificationRequestsRequest {
            due_within_days: days,
            ..Default::default()
        };
        assert_eq!(
            listed(&kit, &sz_station(), within(3660)).await.unwrap(),
            [id.as_str()]
        );
        for days in [3661, i32::MAX] {
            let refused = listed(&kit, &sz_station(), within(days)).await.unwrap_err();
            assert_eq!(refused.code(), Code::InvalidArgument, "{days}");
            assert_eq!(fields(&refused), ["due_within_days"]);
        }
        kit.stop().await;
    }
);
