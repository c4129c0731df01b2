//! Placements through the real cluster: the station proposes for its own case in the station
//! (read from intake), civil affairs covering the case's division approves into an institution
//! that passes every rule (each refused alone, changing nothing) or declines, or the station
//! withdraws its proposal (until then intake refuses to discharge the person); a placement ends
//! with a kind or moves to another institution; every caller sees only its scope.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use prost::Name;
use relief_proto::foster::v1 as pb;
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;
use tonic::Code;

const UNKNOWN: &str = "01936f0e-0000-7000-8000-000000000000";

/// Placement `id` as `who` reads it.
async fn placement(kit: &Kit, who: &Caller, id: &str) -> Result<pb::Placement, tonic::Status> {
    kit.foster(who)
        .await
        .get_placement(pb::GetPlacementRequest {
            placement_id: id.to_owned(),
        })
        .await
        .map(|response| response.into_inner().placement.unwrap())
}

/// The placement ids `who` lists with `request`.
async fn placement_ids(kit: &Kit, who: &Caller, request: pb::ListPlacementsRequest) -> Vec<String> {
    kit.foster(who)
        .await
        .list_placements(request)
        .await
        .unwrap()
        .into_inner()
        .placements
        .into_iter()
        .map(|placement| placement.placement_id)
        .collect()
}

/// Admits a person with `flags` at `station` now and proposes the placement.
async fn proposed(kit: &Kit, station: &Caller, flags: intake::VulnerableFlags) -> pb::Placement {
    let case_id = kit.admit(station, flags, kit.cluster.clock.now()).await;
    kit.propose(station, &case_id, pb::SelfCare::Partial)
        .await
        .unwrap()
}

/// Closes case `case_id` in intake (the person left on their own).
async fn discharge(kit: &Kit, station: &Caller, case_id: &str) {
    try_discharge(kit, station, case_id).await.unwrap();
}

/// [`discharge`], answering intake's refusal.
async fn try_discharge(kit: &Kit, station: &Caller, case_id: &str) -> Result<(), tonic::Status> {
    kit.intake(station)
        .await
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.to_owned(),
            kind: intake::DepartureKind::SelfDeparture as i32,
            departed_at: Some(timestamp(kit.cluster.clock.now())),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

/// The withdrawal of placement `placement_id` for `reason`.
fn withdrawal(placement_id: &str, reason: &str) -> pb::WithdrawPlacementRequest {
    pb::WithdrawPlacementRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Registers an institution of `kind` in `division` as `civil_affairs` (documents valid through
/// `expires_on`); returns its id.
#[allow(
    clippy::too_many_arguments,
    reason = "a registration has that many facts"
)]
async fn register(
    kit: &Kit,
    civil_affairs: &Caller,
    division: &str,
    name: &str,
    kind: pb::InstitutionKind,
    government_run: bool,
    capacity: i32,
    expires_on: &str,
) -> String {
    let mut request = registration(name, qualification(expires_on, expires_on));
    request.division = division.to_owned();
    request.kind = kind as i32;
    request.government_run = government_run;
    request.capacity = capacity;
    kit.register(civil_affairs, request)
        .await
        .unwrap()
        .institution_id
}

/// Ends placement `id` as `who`.
async fn end(
    kit: &Kit,
    who: &Caller,
    request: pb::EndPlacementRequest,
) -> Result<pb::Placement, tonic::Status> {
    kit.foster(who)
        .await
        .end_placement(pb::EndPlacementRequest {
            request_id: request_id(),
            ..request
        })
        .await
        .map(|response| response.into_inner().placement.unwrap())
}

/// Moves placement `id` as `who`.
async fn move_resident(
    kit: &Kit,
    who: &Caller,
    request: pb::MoveResidentRequest,
) -> Result<pb::MoveResidentResponse, tonic::Status> {
    kit.foster(who)
        .await
        .move_resident(pb::MoveResidentRequest {
            request_id: request_id(),
            ..request
        })
        .await
        .map(|response| response.into_inner())
}

/// The type names of foster's outbox, in feed order.
async fn outbox_types(kit: &Kit) -> Vec<String> {
    relief_runtime::events::outbox::read_after(&kit.db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.type_url)
        .collect()
}

fn type_url<M: Name>() -> String {
    M::type_url()
}

/// The FAILED_PRECONDITION reason of `result`.
fn refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> String {
    let error = result.unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    reason(&error)
}

fn minor() -> intake::VulnerableFlags {
    intake::VulnerableFlags {
        minor: true,
        disabled: true,
        ..Default::default()
    }
}

cluster_tests!(
    a_station_proposes_and_civil_affairs_approves_or_declines,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let xlt = xlt_station();
        let now = kit.cluster.clock.now();
        let home = kit
            .institution(
                "盘锦市社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                20,
                true,
            )
            .await;
        kit.sign(&xlt, &home, ("2026-01-01", "2026-12-31"), 10, 500)
            .await
            .unwrap();

        // The station proposes for its own case in the station; the classification comes from
        // intake's flags.
        let case_id = kit.admit(&xlt, adult(), now).await;
        let error = kit
            .propose(&sz_station(), &case_id, pb::SelfCare::Full)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = kit
            .propose(&xlt, UNKNOWN, pb::SelfCare::Full)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = kit
            .foster(&xlt)
            .await
            .propose_placement(pb::ProposePlacementRequest {
                request_id: request_id(),
                case_id: case_id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(fields(&error), ["reason", "reason_details", "self_care"]);
        let first = kit
            .propose(&xlt, &case_id, pb::SelfCare::Partial)
            .await
            .unwrap();
        assert_eq!(first.status, pb::PlacementStatus::Proposed as i32);
        assert_eq!(
            (
                first.case_id.as_str(),
                first.station.as_str(),
                first.division.as_str(),
                first.proposed_by.as_str()
            ),
            (case_id.as_str(), "xlt-station", "211103", "xlt-station")
        );
        assert_eq!(first.age_group, pb::AgeGroup::Adult as i32);
        assert!(!first.special_group);
        assert_eq!(first.self_care, pb::SelfCare::Partial as i32);
        assert!(first.institution_id.is_empty());
        assert_eq!(
            kit.case(&xlt, &case_id).await.case_number,
            first.case_number
        );
        assert_eq!(
            refused(kit.propose(&xlt, &case_id, pb::SelfCare::Full).await),
            "PLACEMENT_ALREADY_OPEN"
        );
        let young = proposed(&kit, &xlt, minor()).await;
        assert_eq!(
            (young.age_group, young.special_group),
            (pb::AgeGroup::Minor as i32, true)
        );
        let old = proposed(
            &kit,
            &xlt,
            intake::VulnerableFlags {
                elderly: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            (old.age_group, old.special_group),
            (pb::AgeGroup::Elderly as i32, false)
        );
        // A closed case is not in the station.
        let gone = kit.admit(&xlt, adult(), now).await;
        discharge(&kit, &xlt, &gone).await;
        assert_eq!(
            refused(kit.propose(&xlt, &gone, pb::SelfCare::Full).await),
            "CASE_NOT_IN_STATION"
        );
        // Two proposals at once: one is refused, and one placement is stored.
        let raced = kit.admit(&xlt, adult(), now).await;
        let (one, two) = tokio::join!(
            kit.propose(&xlt, &raced, pb::SelfCare::Full),
            kit.propose(&xlt, &raced, pb::SelfCare::Full)
        );
        let (won, lost) = match (one, two) {
            (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
            other => panic!("one proposal must win: {other:?}"),
        };
        assert_eq!(reason(&lost), "PLACEMENT_ALREADY_OPEN");
        assert_eq!(
            placement_ids(
                &kit,
                &xlt,
                pb::ListPlacementsRequest {
                    case_id: raced.clone(),
                    ..Default::default()
                }
            )
            .await,
            [won.placement_id.as_str()]
        );
        let proposals = kit.events::<pb::PlacementProposed>().await;
        assert_eq!(
            proposals
                .iter()
                .map(|event| event.placement_id.as_str())
                .collect::<Vec<_>>(),
            [
                first.placement_id.as_str(),
                young.placement_id.as_str(),
                old.placement_id.as_str(),
                won.placement_id.as_str()
            ]
        );

        // Civil affairs covering the case's division decides; the province only reads; another
        // county does not see it.
        let error = kit
            .approve(&province(), &first.placement_id, &home, "")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let error = kit
            .approve(&sz_civil_affairs(), &first.placement_id, &home, "")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = kit
            .approve(&xlt_civil_affairs(), &first.placement_id, UNKNOWN, "")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        assert_eq!(
            placement(&kit, &xlt, &first.placement_id).await.unwrap(),
            first
        );

        // Approval places the resident at once; a retry answers the same, once.
        let approval = pb::ApprovePlacementRequest {
            request_id: request_id(),
            placement_id: first.placement_id.clone(),
            institution_id: home.clone(),
            justification: String::new(),
        };
        let mut client = kit.foster(&xlt_civil_affairs()).await;
        let placed = client
            .approve_placement(approval.clone())
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(placed.status, pb::PlacementStatus::Active as i32);
        assert_eq!(placed.institution_id, home);
        assert_eq!(placed.decided_by, "xlt-civil-affairs");
        assert!(placed.placed_at.is_some());
        assert_eq!(placed.placed_at, placed.decided_at);
        assert!(!placed.agreement_id.is_empty());
        let retried = client
            .approve_placement(approval)
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(retried, placed);
        assert_eq!(
            placement(&kit, &institution_caller(&home), &placed.placement_id)
                .await
                .unwrap(),
            placed
        );
        let approved = kit.events::<pb::PlacementApproved>().await;
        assert_eq!(approved.len(), 1);
        assert_eq!(
            (
                approved[0].placement_id.as_str(),
                approved[0].institution_id.as_str(),
                approved[0].government_run,
                approved[0].justified,
                approved[0].approved_by.as_str()
            ),
            (
                placed.placement_id.as_str(),
                home.as_str(),
                true,
                false,
                "xlt-civil-affairs"
            )
        );
        let resident = kit.events::<pb::ResidentPlaced>().await;
        assert_eq!(
            resident,
            [pb::ResidentPlaced {
                placement_id: placed.placement_id.clone(),
                case_id: case_id.clone(),
                station: "xlt-station".to_owned(),
                division: "211103".to_owned(),
                institution_id: home.clone(),
                institution_division: "211103".to_owned(),
                placed_at: placed.placed_at,
                previous_placement_id: String::new(),
                self_care: pb::SelfCare::Partial as i32,
                age_group: pb::AgeGroup::Adult as i32,
                special_group: false,
            }]
        );
        kit.wait_case_status(&xlt, &case_id, intake::CaseStatus::InFosterCare)
            .await;
        // Decided once.
        assert_eq!(
            refused(
                kit.approve(&city_civil_affairs(), &placed.placement_id, &home, "")
                    .await
            ),
            "PLACEMENT_NOT_PROPOSED"
        );

        // A person with a proposal cannot be discharged (foster could still place them): the
        // sending station withdraws it first, it alone, with a reason; a retry answers the
        // same, once. Intake then lets the case go; the withdrawn placement is decided no more.
        assert_eq!(
            refused(try_discharge(&kit, &xlt, &old.case_id).await),
            "CASE_PLACEMENT_PROPOSED"
        );
        let error = kit
            .foster(&xlt_civil_affairs())
            .await
            .withdraw_placement(withdrawal(&old.placement_id, "家属将接回"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let error = kit
            .foster(&sz_station())
            .await
            .withdraw_placement(withdrawal(&old.placement_id, "家属将接回"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let mut station = kit.foster(&xlt).await;
        let error = station
            .withdraw_placement(withdrawal(&old.placement_id, " "))
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["reason"]);
        assert_eq!(placement(&kit, &xlt, &old.placement_id).await.unwrap(), old);
        let request = withdrawal(&old.placement_id, "家属将接回");
        let withdrawn = station
            .withdraw_placement(request.clone())
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(withdrawn.status, pb::PlacementStatus::Withdrawn as i32);
        assert_eq!(
            (
                withdrawn.decided_by.as_str(),
                withdrawn.decline_reason.as_str()
            ),
            ("xlt-station", "家属将接回")
        );
        assert!(withdrawn.decided_at.is_some() && withdrawn.institution_id.is_empty());
        let retried = station
            .withdraw_placement(request)
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(retried, withdrawn);
        let events = kit.events::<pb::PlacementWithdrawn>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(
            (
                events[0].placement_id.as_str(),
                events[0].case_id.as_str(),
                events[0].withdrawn_by.as_str(),
                events[0].reason.as_str()
            ),
            (
                old.placement_id.as_str(),
                old.case_id.as_str(),
                "xlt-station",
                "家属将接回"
            )
        );
        assert_eq!(
            refused(
                station
                    .withdraw_placement(withdrawal(&old.placement_id, "家属将接回"))
                    .await
            ),
            "PLACEMENT_NOT_PROPOSED"
        );
        assert_eq!(
            refused(
                kit.approve(&xlt_civil_affairs(), &old.placement_id, &home, "")
                    .await
            ),
            "PLACEMENT_NOT_PROPOSED"
        );
        kit.wait_case(&xlt, &old.case_id, "intake clears the proposal", |case| {
            case.proposed_placement_id.is_empty()
        })
        .await;
        discharge(&kit, &xlt, &old.case_id).await;
        assert_eq!(
            placement(&kit, &xlt, &old.placement_id).await.unwrap(),
            withdrawn
        );

        // Declining: a reason is required; once declined, neither again nor approved; the case
        // may be proposed anew.
        let mut client = kit.foster(&xlt_civil_affairs()).await;
        let error = client
            .decline_placement(pb::DeclinePlacementRequest {
                request_id: request_id(),
                placement_id: young.placement_id.clone(),
                reason: " ".to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["reason"]);
        let error = kit
            .foster(&province())
            .await
            .decline_placement(pb::DeclinePlacementRequest {
                request_id: request_id(),
                placement_id: young.placement_id.clone(),
                reason: "不符合托养条件".to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let declined = client
            .decline_placement(pb::DeclinePlacementRequest {
                request_id: request_id(),
                placement_id: young.placement_id.clone(),
                reason: "站内可照料".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(declined.status, pb::PlacementStatus::Declined as i32);
        assert_eq!(declined.decline_reason, "站内可照料");
        assert!(declined.institution_id.is_empty() && declined.placed_at.is_none());
        let events = kit.events::<pb::PlacementDeclined>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].placement_id, young.placement_id);
        let error = client
            .decline_placement(pb::DeclinePlacementRequest {
                request_id: request_id(),
                placement_id: young.placement_id.clone(),
                reason: "站内可照料".to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "PLACEMENT_NOT_PROPOSED");
        assert_eq!(
            refused(
                kit.approve(&xlt_civil_affairs(), &young.placement_id, &home, "")
                    .await
            ),
            "PLACEMENT_NOT_PROPOSED"
        );
        let again = kit
            .propose(&xlt, &young.case_id, pb::SelfCare::None)
            .await
            .unwrap();
        assert_ne!(again.placement_id, young.placement_id);
        assert_eq!(kit.events::<pb::ResidentPlaced>().await.len(), 1);
        kit.stop().await;
    }
);

cluster_tests!(
    each_rule_of_the_choice_refuses_alone,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let xlt = xlt_station();
        let sz = sz_station();
        let civil = xlt_civil_affairs();
        let term = ("2026-01-01", "2026-12-31");
        // A government-run home of 2 beds; a private one approved for no minors.
        let public = register(
            &kit,
            &civil,
            "211103",
            "兴隆台区福利院",
            pb::InstitutionKind::SocialWelfare,
            true,
            2,
            "2030-12-31",
        )
        .await;
        let private = register(
            &kit,
            &civil,
            "211103",
            "兴隆台区康宁托养中心",
            pb::InstitutionKind::Other,
            false,
            10,
            "2030-12-31",
        )
        .await;

        // Each refusal leaves the proposal as it was and places nobody.
        let unchanged = async |before: &pb::Placement| {
            assert_eq!(
                placement(&kit, &city_civil_affairs(), &before.placement_id)
                    .await
                    .unwrap(),
                *before
            );
        };

        // No agreement yet.
        let first = proposed(&kit, &xlt, adult()).await;
        assert_eq!(
            refused(kit.approve(&civil, &first.placement_id, &public, "").await),
            "NO_AGREEMENT_IN_FORCE"
        );
        unchanged(&first).await;
        kit.sign(&xlt, &public, term, 1, 0).await.unwrap();
        kit.approve(&civil, &first.placement_id, &public, "")
            .await
            .unwrap();

        // The agreement's one bed is taken.
        let second = proposed(&kit, &xlt, adult()).await;
        assert_eq!(
            refused(kit.approve(&civil, &second.placement_id, &public, "").await),
            "AGREEMENT_BEDS_FULL"
        );
        unchanged(&second).await;

        // 双台子区's station takes the institution's last bed; then it is full even for a
        // station with beds left in its agreement.
        kit.sign(&sz, &public, term, 2, 0).await.unwrap();
        let sz_first = proposed(&kit, &sz, adult()).await;
        kit.approve(&sz_civil_affairs(), &sz_first.placement_id, &public, "")
            .await
            .unwrap();
        let sz_second = proposed(&kit, &sz, adult()).await;
        assert_eq!(
            refused(
                kit.approve(&sz_civil_affairs(), &sz_second.placement_id, &public, "")
                    .await
            ),
            "INSTITUTION_FULL"
        );
        unchanged(&sz_second).await;

        // A minor only where minors are approved.
        kit.sign(&xlt, &private, term, 10, 1000).await.unwrap();
        let child = proposed(&kit, &xlt, minor()).await;
        assert_eq!(
            refused(kit.approve(&civil, &child.placement_id, &private, "").await),
            "MINORS_NOT_APPROVED"
        );
        unchanged(&child).await;

        // No government-run institution has room for this station: a private one needs no
        // justification.
        let placed = kit
            .approve(&civil, &second.placement_id, &private, "")
            .await
            .unwrap();
        assert!(placed.justification.is_empty());

        // Once a government-run elderly home has room, a private choice needs a justification,
        // and the refusal names the home.
        let elderly = register(
            &kit,
            &civil,
            "211103",
            "兴隆台区敬老院",
            pb::InstitutionKind::ElderlyCare,
            true,
            10,
            "2030-12-31",
        )
        .await;
        kit.sign(&xlt, &elderly, term, 5, 0).await.unwrap();
        let third = proposed(&kit, &xlt, adult()).await;
        let error = kit
            .approve(&civil, &third.placement_id, &private, "  ")
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "JUSTIFICATION_REQUIRED");
        assert!(error.message().contains(&elderly), "{}", error.message());
        unchanged(&third).await;
        let placed = kit
            .approve(
                &civil,
                &third.placement_id,
                &private,
                "需要专业精神科护理，敬老院不具备条件",
            )
            .await
            .unwrap();
        assert_eq!(placed.justification, "需要专业精神科护理，敬老院不具备条件");
        let approved = kit.events::<pb::PlacementApproved>().await;
        let last = approved.last().unwrap();
        assert_eq!((last.government_run, last.justified), (false, true));

        // A suspended institution takes nobody.
        let fourth = proposed(&kit, &xlt, adult()).await;
        kit.foster(&civil)
            .await
            .suspend_institution(pb::SuspendInstitutionRequest {
                request_id: request_id(),
                institution_id: elderly.clone(),
                reason: "消防整改".to_owned(),
            })
            .await
            .unwrap();
        assert_eq!(
            refused(
                kit.approve(&civil, &fourth.placement_id, &elderly, "")
                    .await
            ),
            "INSTITUTION_SUSPENDED"
        );
        unchanged(&fourth).await;
        // ... and, suspended, it is no reason to justify a private choice.
        kit.approve(&civil, &fourth.placement_id, &private, "")
            .await
            .unwrap();

        // Documents expired at 24:00 of their last day: no new placement.
        let expiring = register(
            &kit,
            &civil,
            "211103",
            "兴隆台区养护院",
            pb::InstitutionKind::ElderlyCare,
            true,
            10,
            "2026-03-31",
        )
        .await;
        kit.sign(&xlt, &expiring, term, 5, 0).await.unwrap();
        let fifth = proposed(&kit, &xlt, adult()).await;
        kit.set_clock(instant_at("2026-04-01T00:00:00+08:00"));
        assert_eq!(
            refused(
                kit.approve(&civil, &fifth.placement_id, &expiring, "")
                    .await
            ),
            "INSTITUTION_DOCUMENTS_EXPIRED"
        );
        unchanged(&fifth).await;

        let placed = kit.events::<pb::ResidentPlaced>().await;
        assert_eq!(
            placed
                .iter()
                .map(|event| event.placement_id.as_str())
                .collect::<Vec<_>>(),
            [
                first.placement_id.as_str(),
                sz_first.placement_id.as_str(),
                second.placement_id.as_str(),
                third.placement_id.as_str(),
                fourth.placement_id.as_str()
            ]
        );
        kit.stop().await;
    }
);

cluster_tests!(
    a_placement_ends_or_moves_to_another_institution,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let xlt = xlt_station();
        let civil = xlt_civil_affairs();
        let first_home = kit
            .institution(
                "盘锦市社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                10,
                false,
            )
            .await;
        let second_home = kit
            .institution(
                "盘锦市精神康复医院托养部",
                pb::InstitutionKind::MentalRehabilitation,
                true,
                10,
                false,
            )
            .await;
        for home in [&first_home, &second_home] {
            kit.sign(&xlt, home, ("2026-01-01", "2026-12-31"), 5, 0)
                .await
                .unwrap();
        }
        let proposal = proposed(&kit, &xlt, adult()).await;
        let placed = kit
            .approve(&civil, &proposal.placement_id, &first_home, "")
            .await
            .unwrap();
        let id = placed.placement_id.clone();
        let placed_at =
            relief_runtime::time::instant("placed_at", placed.placed_at.as_ref()).unwrap();
        kit.set_clock(placed_at + chrono::Duration::days(20));
        // Stored to the microsecond.
        let now = chrono::SubsecRound::trunc_subsecs(kit.cluster.clock.now(), 6);

        // Malformed ends, each refused on its field.
        let ending = |kind: pb::PlacementEndKind| pb::EndPlacementRequest {
            placement_id: id.clone(),
            kind: kind as i32,
            ..Default::default()
        };
        let error = end(&kit, &xlt, ending(pb::PlacementEndKind::Moved))
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["kind"]);
        let error = end(&kit, &xlt, ending(pb::PlacementEndKind::ReturnedHome))
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["destination_division"]);
        let error = end(
            &kit,
            &xlt,
            pb::EndPlacementRequest {
                ended_at: Some(timestamp(now + chrono::Duration::hours(1))),
                ..ending(pb::PlacementEndKind::Death)
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&error), ["ended_at"]);
        let error = end(
            &kit,
            &xlt,
            pb::EndPlacementRequest {
                ended_at: Some(timestamp(placed_at - chrono::Duration::seconds(1))),
                ..ending(pb::PlacementEndKind::Death)
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&error), ["ended_at"]);
        // Out of scope or read only.
        let error = end(&kit, &sz_station(), ending(pb::PlacementEndKind::Missing))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        for who in [province(), institution_caller(&first_home)] {
            let error = end(&kit, &who, ending(pb::PlacementEndKind::Missing))
                .await
                .unwrap_err();
            assert_eq!(error.code(), Code::PermissionDenied, "{}", who.unit);
        }
        assert_eq!(placement(&kit, &xlt, &id).await.unwrap(), placed);

        // A move: to the same institution refused; to the other, ten days ago.
        let moving = |institution_id: &str| pb::MoveResidentRequest {
            placement_id: id.clone(),
            institution_id: institution_id.to_owned(),
            moved_at: Some(timestamp(now - chrono::Duration::days(10))),
            ..Default::default()
        };
        assert_eq!(
            refused(move_resident(&kit, &civil, moving(&first_home)).await),
            "SAME_INSTITUTION"
        );
        let error = move_resident(&kit, &sz_civil_affairs(), moving(&second_home))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let moved = move_resident(&kit, &civil, moving(&second_home))
            .await
            .unwrap();
        let ended = moved.ended.unwrap();
        let next = moved.placement.unwrap();
        assert_eq!(ended.status, pb::PlacementStatus::Ended as i32);
        assert_eq!(ended.end_kind, pb::PlacementEndKind::Moved as i32);
        assert_eq!(ended.next_placement_id, next.placement_id);
        assert_eq!(
            ended.ended_at,
            Some(timestamp(now - chrono::Duration::days(10)))
        );
        assert_eq!(next.status, pb::PlacementStatus::Active as i32);
        assert_eq!(next.previous_placement_id, id);
        assert_eq!(next.institution_id, second_home);
        assert_eq!(next.placed_at, ended.ended_at);
        assert_eq!(
            (
                next.case_id.as_str(),
                next.station.as_str(),
                next.self_care,
                next.age_group
            ),
            (
                placed.case_id.as_str(),
                "xlt-station",
                placed.self_care,
                placed.age_group
            )
        );
        assert_ne!(next.agreement_id, placed.agreement_id);
        // Outbox: the end (MOVED) before the new placement.
        let types = outbox_types(&kit).await;
        let ended_at = types
            .iter()
            .rposition(|t| *t == type_url::<pb::PlacementEnded>())
            .unwrap();
        let placed_again = types
            .iter()
            .rposition(|t| *t == type_url::<pb::ResidentPlaced>())
            .unwrap();
        assert!(ended_at < placed_again, "{types:?}");
        let ends = kit.events::<pb::PlacementEnded>().await;
        assert_eq!(
            ends,
            [pb::PlacementEnded {
                placement_id: id.clone(),
                case_id: placed.case_id.clone(),
                division: "211103".to_owned(),
                institution_id: first_home.clone(),
                kind: pb::PlacementEndKind::Moved as i32,
                ended_at: ended.ended_at,
                destination_division: String::new(),
                next_placement_id: next.placement_id.clone(),
                next_institution_id: second_home.clone(),
            }]
        );
        let resident = kit.events::<pb::ResidentPlaced>().await;
        assert_eq!(resident.len(), 2);
        assert_eq!(resident[1].previous_placement_id, id);
        assert_eq!(resident[1].placed_at, next.placed_at);
        // Each institution sees its own stay of the resident, the past one included.
        assert_eq!(
            placement_ids(&kit, &institution_caller(&first_home), Default::default()).await,
            [id.as_str()]
        );
        assert_eq!(
            placement_ids(&kit, &institution_caller(&second_home), Default::default()).await,
            [next.placement_id.as_str()]
        );
        // The ended placement moves no more.
        assert_eq!(
            refused(move_resident(&kit, &civil, moving(&second_home)).await),
            "PLACEMENT_NOT_ACTIVE"
        );

        // The sending station ends the new placement: returned home.
        let returned = end(
            &kit,
            &xlt,
            pb::EndPlacementRequest {
                placement_id: next.placement_id.clone(),
                kind: pb::PlacementEndKind::ReturnedHome as i32,
                destination_division: "110101".to_owned(),
                notes: "家属接回".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(returned.status, pb::PlacementStatus::Ended as i32);
        assert_eq!(returned.end_kind, pb::PlacementEndKind::ReturnedHome as i32);
        assert_eq!(returned.destination_division, "110101");
        assert_eq!(returned.end_notes, "家属接回");
        assert!(returned.ended_at.unwrap().seconds >= timestamp(now).seconds);
        let ends = kit.events::<pb::PlacementEnded>().await;
        assert_eq!(ends.len(), 2);
        assert_eq!(
            (
                ends[1].kind,
                ends[1].destination_division.as_str(),
                ends[1].institution_id.as_str()
            ),
            (
                pb::PlacementEndKind::ReturnedHome as i32,
                "110101",
                second_home.as_str()
            )
        );
        assert_eq!(
            refused(end(&kit, &civil, ending(pb::PlacementEndKind::Death)).await),
            "PLACEMENT_NOT_ACTIVE"
        );
        assert_eq!(
            refused(
                end(
                    &kit,
                    &xlt,
                    pb::EndPlacementRequest {
                        placement_id: next.placement_id.clone(),
                        kind: pb::PlacementEndKind::Death as i32,
                        ..Default::default()
                    }
                )
                .await
            ),
            "PLACEMENT_NOT_ACTIVE"
        );
        assert_eq!(kit.events::<pb::PlacementEnded>().await.len(), 2);
        kit.stop().await;
    }
);

cluster_tests!(
    placements_are_seen_only_in_scope,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let xlt = xlt_station();
        let sz = sz_station();
        let xlt_home = kit
            .institution(
                "兴隆台区福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                10,
                false,
            )
            .await;
        let sz_home = register(
            &kit,
            &sz_civil_affairs(),
            "211102",
            "双台子区福利院",
            pb::InstitutionKind::SocialWelfare,
            true,
            10,
            "2030-12-31",
        )
        .await;
        kit.sign(&xlt, &xlt_home, ("2026-01-01", "2026-12-31"), 5, 0)
            .await
            .unwrap();
        kit.sign(&sz, &sz_home, ("2026-01-01", "2026-12-31"), 5, 0)
            .await
            .unwrap();
        let xlt_placed = {
            let proposal = proposed(&kit, &xlt, adult()).await;
            kit.approve(&xlt_civil_affairs(), &proposal.placement_id, &xlt_home, "")
                .await
                .unwrap()
        };
        let sz_proposal = proposed(&kit, &sz, adult()).await;
        // Another county's civil affairs does not see the proposal; the province reads only.
        let error = kit
            .approve(
                &xlt_civil_affairs(),
                &sz_proposal.placement_id,
                &sz_home,
                "",
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = kit
            .approve(&province(), &sz_proposal.placement_id, &sz_home, "")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let sz_placed = kit
            .approve(&sz_civil_affairs(), &sz_proposal.placement_id, &sz_home, "")
            .await
            .unwrap();
        let xlt_waiting = proposed(&kit, &xlt, adult()).await;

        let xlt_id = xlt_placed.placement_id.as_str();
        let sz_id = sz_placed.placement_id.as_str();
        let waiting_id = xlt_waiting.placement_id.as_str();
        // Who reads what.
        let cases: [(Caller, Vec<&str>); 10] = [
            (xlt.clone(), vec![waiting_id, xlt_id]),
            (sz.clone(), vec![sz_id]),
            (institution_caller(&xlt_home), vec![xlt_id]),
            (institution_caller(&sz_home), vec![sz_id]),
            (xlt_civil_affairs(), vec![waiting_id, xlt_id]),
            (sz_civil_affairs(), vec![sz_id]),
            (city_civil_affairs(), vec![waiting_id, sz_id, xlt_id]),
            (province(), vec![waiting_id, sz_id, xlt_id]),
            (xlt_government(), vec![waiting_id, xlt_id]),
            (city_government(), vec![waiting_id, sz_id, xlt_id]),
        ];
        for (who, expected) in &cases {
            assert_eq!(
                placement_ids(&kit, who, Default::default()).await,
                *expected,
                "{}",
                who.unit
            );
            for id in [xlt_id, sz_id, waiting_id] {
                let read = placement(&kit, who, id).await;
                if expected.contains(&id) {
                    assert_eq!(read.unwrap().placement_id, id, "{}", who.unit);
                } else {
                    assert_eq!(
                        read.unwrap_err().code(),
                        Code::NotFound,
                        "{} {id}",
                        who.unit
                    );
                }
            }
        }
        let error = kit
            .foster(&xlt_police())
            .await
            .list_placements(pb::ListPlacementsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);

        // Filters and paging.
        let city = city_civil_affairs();
        let filtered = |status: pb::PlacementStatus, institution_id: &str, case_id: &str| {
            pb::ListPlacementsRequest {
                status: status as i32,
                institution_id: institution_id.to_owned(),
                case_id: case_id.to_owned(),
                ..Default::default()
            }
        };
        assert_eq!(
            placement_ids(&kit, &city, filtered(pb::PlacementStatus::Proposed, "", "")).await,
            [waiting_id]
        );
        assert_eq!(
            placement_ids(&kit, &city, filtered(pb::PlacementStatus::Active, "", "")).await,
            [sz_id, xlt_id]
        );
        assert_eq!(
            placement_ids(
                &kit,
                &city,
                filtered(pb::PlacementStatus::Unspecified, &sz_home, "")
            )
            .await,
            [sz_id]
        );
        assert_eq!(
            placement_ids(
                &kit,
                &city,
                filtered(pb::PlacementStatus::Unspecified, "", &xlt_placed.case_id)
            )
            .await,
            [xlt_id]
        );
        assert!(
            placement_ids(
                &kit,
                &institution_caller(&xlt_home),
                filtered(pb::PlacementStatus::Unspecified, &sz_home, "")
            )
            .await
            .is_empty()
        );
        assert!(
            placement_ids(
                &kit,
                &xlt,
                filtered(pb::PlacementStatus::Unspecified, &sz_home, "")
            )
            .await
            .is_empty()
        );
        let mut client = kit.foster(&city).await;
        let mut token = String::new();
        let mut paged = Vec::new();
        loop {
            let page = client
                .list_placements(pb::ListPlacementsRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert!(page.placements.len() <= 2);
            paged.extend(page.placements.into_iter().map(|p| p.placement_id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, [waiting_id, sz_id, xlt_id]);
        kit.stop().await;
    }
);

/// Intake unreachable: a proposal is UNAVAILABLE (retry later) and nothing is stored. The
/// foster service's intake peer points at a closed port (backend-independent: SQLite only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_while_intake_is_unreachable_is_retryable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("https://{}", listener.local_addr().unwrap())
    };
    let cluster = relief_testkit::Cluster::builder()
        .backend(relief_testkit::TestBackend::Sqlite)
        .configure(move |service, config| {
            if service == "foster" {
                config.peers.set("intake", closed.clone());
            }
        })
        .start()
        .await
        .unwrap();
    let xlt = xlt_station();
    let case_id = IntakeServiceClient::new(cluster.channel("intake", &xlt).await)
        .admit_person(intake::AdmitPersonRequest {
            request_id: request_id(),
            person: Some(intake::Person {
                estimated_age: 45,
                ..Default::default()
            }),
            admitted_at: Some(timestamp(cluster.clock.now())),
            referral: intake::Referral::WalkIn as i32,
            identity_status: intake::IdentityStatus::Unknown as i32,
            flags: Some(adult()),
            health_check: "体温正常".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap()
        .case_id;
    let mut foster = FosterSupervisionServiceClient::new(cluster.channel("foster", &xlt).await);
    let error = foster
        .propose_placement(pb::ProposePlacementRequest {
            request_id: request_id(),
            case_id,
            reason: pb::PlacementReason::LacksStaff as i32,
            reason_details: "本站无护理人员".to_owned(),
            self_care: pb::SelfCare::None as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Unavailable, "{error:?}");
    let listed = foster
        .list_placements(pb::ListPlacementsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.placements.is_empty());
    cluster.stop().await.unwrap();
}
