//! Household restoration (恢复户籍) through the real cluster: the station holding a case asks a
//! police unit (notified) to restore a cancelled registration, one open request per case; the
//! addressed unit records it done, once; each caller lists what it may see.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::notifications::v1 as notifications;
use relief_runtime::Caller;
use tonic::Code;

fn asking(case_id: &str, police_unit: &str) -> pb::RequestHouseholdRestorationRequest {
    pb::RequestHouseholdRestorationRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        police_unit: police_unit.to_owned(),
        note: "本人自述户籍因长期外出已被注销".to_owned(),
    }
}

fn done(restoration_id: &str, division: &str) -> pb::CompleteHouseholdRestorationRequest {
    pb::CompleteHouseholdRestorationRequest {
        request_id: request_id(),
        restoration_id: restoration_id.to_owned(),
        restored_division: division.to_owned(),
    }
}

/// The restoration ids `who` lists with `request`, and the next page token.
async fn listed(
    kit: &Kit,
    who: &Caller,
    request: pb::ListHouseholdRestorationsRequest,
) -> (Vec<String>, String) {
    let page = kit
        .identity(who)
        .await
        .list_household_restorations(request)
        .await
        .unwrap()
        .into_inner();
    (
        page.restorations
            .into_iter()
            .map(|r| r.restoration_id)
            .collect(),
        page.next_page_token,
    )
}

async fn ids(kit: &Kit, who: &Caller) -> Vec<String> {
    listed(kit, who, Default::default()).await.0
}

cluster_tests!(a_restoration_is_requested_once_and_done_once, |kit| {
    let station = xlt_station();
    let file = kit.admit_unknown(&station, kit.now()).await;
    let case_id = file.case_id.clone();
    let mut client = kit.identity(&station).await;

    // Bad fields at once; another station's case is unknown.
    let error = client
        .request_household_restoration(asking("", "xlt-station"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(fields(&error), ["case_id", "police_unit"]);
    let error = kit
        .identity(&sz_station())
        .await
        .request_household_restoration(asking(&case_id, "xlt-police"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);

    // Requested to the county police, which is notified; a retry changes nothing; a second
    // open request is refused.
    let request = asking(&case_id, "xlt-police");
    let first = client
        .request_household_restoration(request.clone())
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    assert_eq!(first.status, pb::RestorationStatus::Requested as i32);
    assert_eq!(
        (first.station.as_str(), first.division.as_str()),
        ("xlt-station", "211103")
    );
    let retried = client
        .request_household_restoration(request)
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    assert_eq!(retried, first);
    let error = client
        .request_household_restoration(asking(&case_id, "city-police"))
        .await
        .unwrap_err();
    assert_eq!(reason(&error), "RESTORATION_ALREADY_REQUESTED");
    let requested = kit.events::<pb::HouseholdRestorationRequested>().await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].police_unit, "xlt-police");
    let notes: Vec<notifications::Notification> = kit
        .notifications(&xlt_police())
        .await
        .list_notifications(notifications::ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
        .into_iter()
        .filter(|n| n.kind == "HOUSEHOLD_RESTORATION_REQUESTED")
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].subject,
        format!("restoration/{}", first.restoration_id)
    );

    // Only the addressed unit completes it, with a well-formed division; the same fact again
    // changes nothing; another division is refused.
    let error = kit
        .identity(&city_police())
        .await
        .complete_household_restoration(done(&first.restoration_id, "211103"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let mut police = kit.identity(&xlt_police()).await;
    let error = police
        .complete_household_restoration(done(&first.restoration_id, "2111"))
        .await
        .unwrap_err();
    assert_eq!(fields(&error), ["restored_division"]);
    let restored = police
        .complete_household_restoration(done(&first.restoration_id, "211103"))
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    assert_eq!(restored.status, pb::RestorationStatus::Restored as i32);
    assert_eq!(restored.restored_division, "211103");
    assert!(restored.restored_at.is_some() && restored.warnings.is_empty());
    let again = police
        .complete_household_restoration(done(&first.restoration_id, "211103"))
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    assert_eq!(again, restored);
    let error = police
        .complete_household_restoration(done(&first.restoration_id, "211102"))
        .await
        .unwrap_err();
    assert_eq!(reason(&error), "RESTORATION_ALREADY_DONE");
    let events = kit.events::<pb::HouseholdRestored>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].restoration_id.as_str(),
            events[0].restored_division.as_str()
        ),
        (first.restoration_id.as_str(), "211103")
    );

    // Once done, a new request may be made; an unknown division code is accepted with a
    // warning.
    let second = client
        .request_household_restoration(asking(&case_id, "city-police"))
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    let unknown = kit
        .identity(&city_police())
        .await
        .complete_household_restoration(done(&second.restoration_id, "211199"))
        .await
        .unwrap()
        .into_inner()
        .restoration
        .unwrap();
    assert_eq!(
        unknown.warnings,
        ["UNKNOWN_DIVISION_CODE: restored_division"]
    );

    // Who lists what, newest first.
    let newest_first = vec![second.restoration_id.clone(), first.restoration_id.clone()];
    assert_eq!(ids(&kit, &station).await, newest_first);
    assert!(ids(&kit, &sz_station()).await.is_empty());
    assert_eq!(
        ids(&kit, &xlt_police()).await,
        std::slice::from_ref(&first.restoration_id)
    );
    assert_eq!(
        ids(&kit, &city_police()).await,
        std::slice::from_ref(&second.restoration_id)
    );
    assert!(ids(&kit, &forensics()).await.is_empty());
    assert_eq!(ids(&kit, &xlt_civil_affairs()).await, newest_first);
    assert_eq!(ids(&kit, &xlt_government()).await, newest_first);
    assert!(ids(&kit, &sz_civil_affairs()).await.is_empty());
    let (page, token) = listed(
        &kit,
        &city_civil_affairs(),
        pb::ListHouseholdRestorationsRequest {
            page_size: 1,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(page, std::slice::from_ref(&second.restoration_id));
    let (page, token) = listed(
        &kit,
        &city_civil_affairs(),
        pb::ListHouseholdRestorationsRequest {
            page_size: 1,
            page_token: token,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        (page, token),
        (vec![first.restoration_id.clone()], String::new())
    );
    let requested_only = pb::ListHouseholdRestorationsRequest {
        status: pb::RestorationStatus::Requested as i32,
        ..Default::default()
    };
    assert!(listed(&kit, &station, requested_only).await.0.is_empty());
    let error = kit
        .identity(&city_finance())
        .await
        .list_household_restorations(pb::ListHouseholdRestorationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);
    kit.stop().await;
});
