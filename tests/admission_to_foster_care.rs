//! From admission to foster care, across the four services (issue #6, "Who owns a stay"), on
//! both backends. Intake owns the case, foster the placement, identity the identification:
//!
//! 1. a person admitted UNKNOWN in 兴隆台区 is placed (an institution registered, an agreement
//!    signed, a placement proposed and approved): intake's case is IN_FOSTER_CARE with the
//!    placement and the institution, identity's file shows where the person is; the station
//!    cannot discharge the case; the institution reads its resident's case and reports abuse for
//!    it through intake, another institution gets NOT_FOUND; the 10-day instant passes in foster
//!    care without a flag; the placement ends RETURNED_HOME: intake closes the case with a
//!    follow-up for the destination county, identity closes the file;
//! 2. a move keeps the case in foster care under the new institution (the old one loses sight of
//!    it; abuse is reported to the police where the person now is); back to the station, the case
//!    is in the station again, flagged at its return as a stay past 10 days, and the station
//!    discharges it;
//! 3. identity's news reaches residents: a confirmed identity is recorded on the placement and
//!    the station told to arrange the return home; an approved settlement ends the placement as
//!    SETTLED and intake closes the case as SETTLED; one approved while a placement is only
//!    proposed withdraws the proposal, and intake closes the case from the station;
//! 4. the feeds between the services around placements (foster's, applied by intake and
//!    identity; identity's, applied by foster) applied a second time from the beginning, each
//!    consumer's applied ids and cursor forgotten and its service restarted, change nothing:
//!    every handler is idempotent, and an event about a placement that is no longer the case's
//!    current one (or a proposal since placed, withdrawn or declined) changes nothing.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/mod.rs"]
mod common;

use chrono::{DateTime, SubsecRound, Utc};
use common::care::institution;
use common::{Scene, events, instant_of, timestamp};
use relief_proto::foster::v1 as foster;
use relief_proto::identity::v1 as identity;
use relief_proto::intake::v1 as intake;
use relief_proto::notifications::v1 as notifications;
use relief_runtime::{Caller, with_db};
use relief_testkit::fixtures::units::{
    dw_civil_affairs, dw_police, sz_civil_affairs, xlt_civil_affairs, xlt_police, xlt_station,
};
use relief_testkit::fixtures::{instant, reason, request_id};
use relief_testkit::{TestBackend, wait_until};
use tonic::Code;

on_both_backends!(
    a_resident_is_read_by_its_institution_only_and_returns_home,
    super::a_resident_returns_home
);
on_both_backends!(
    a_moved_resident_stays_in_foster_care_and_comes_back_to_the_station,
    super::a_resident_moves_and_comes_back
);
on_both_backends!(
    a_confirmed_identity_and_an_approved_settlement_reach_the_residents,
    super::identity_news_reach_the_residents
);
on_both_backends!(
    replaying_the_feeds_between_the_services_changes_nothing,
    super::replaying_the_feeds_changes_nothing
);

/// What the foster-care scenarios do through the services, and read in their databases.
impl Scene {
    /// Admits a person UNKNOWN at the Xinglongtai station at `admitted_at`; waits until identity
    /// opened the file. Returns the case id.
    async fn admit_unknown(&self, admitted_at: DateTime<Utc>) -> String {
        let case_id = self.walk_in_unknown(admitted_at).await;
        self.wait_file(&case_id, "identity opens the file", |_| true)
            .await;
        case_id
    }

    /// The placement `placement_id`, read by the station.
    async fn placement(&self, placement_id: &str) -> foster::Placement {
        self.foster(&xlt_station())
            .await
            .get_placement(foster::GetPlacementRequest {
                placement_id: placement_id.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap()
    }

    /// Waits (60 s ceiling) until the placement `placement_id` satisfies `ready`; returns it.
    async fn wait_placement(
        &self,
        placement_id: &str,
        what: &str,
        ready: impl Fn(&foster::Placement) -> bool,
    ) -> foster::Placement {
        let ready = &ready;
        wait_until(what, || async move {
            ready(&self.placement(placement_id).await)
        })
        .await;
        self.placement(placement_id).await
    }

    /// The county bureau moves the resident of `placement_id` to `institution_id`, now; returns
    /// the new placement.
    async fn move_resident(&self, placement_id: &str, institution_id: &str) -> foster::Placement {
        self.foster(&xlt_civil_affairs())
            .await
            .move_resident(foster::MoveResidentRequest {
                request_id: request_id(),
                placement_id: placement_id.to_owned(),
                institution_id: institution_id.to_owned(),
                justification: String::new(),
                moved_at: None,
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap()
    }

    /// What foster told the station of identities confirmed in foster care.
    async fn identity_confirmed_notices(&self) -> Vec<notifications::Notification> {
        self.notifications(
            "foster",
            &xlt_station(),
            "IDENTITY_CONFIRMED_IN_FOSTER_CARE",
        )
        .await
    }

    /// Ends placement `placement_id` as the station, now.
    async fn end(
        &self,
        placement_id: &str,
        kind: foster::PlacementEndKind,
        destination_division: &str,
    ) -> foster::Placement {
        self.foster(&xlt_station())
            .await
            .end_placement(foster::EndPlacementRequest {
                request_id: request_id(),
                placement_id: placement_id.to_owned(),
                kind: kind as i32,
                ended_at: None,
                destination_division: destination_division.to_owned(),
                notes: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap()
    }

    /// The identity file of case `case_id`, read by the station.
    async fn file(&self, case_id: &str) -> Result<identity::IdentityFile, tonic::Status> {
        self.identity(&xlt_station())
            .await
            .get_identity_file(identity::GetIdentityFileRequest {
                case_id: case_id.to_owned(),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().file.unwrap())
    }

    /// Waits (60 s ceiling) until the file of case `case_id` satisfies `ready`; returns it.
    async fn wait_file(
        &self,
        case_id: &str,
        what: &str,
        ready: impl Fn(&identity::IdentityFile) -> bool,
    ) -> identity::IdentityFile {
        let ready = &ready;
        wait_until(what, || async move {
            self.file(case_id).await.is_ok_and(|file| ready(&file))
        })
        .await;
        self.file(case_id).await.unwrap()
    }

    /// The station's view of case `case_id`, its file and its placements `placements`: what a
    /// replay of the feeds must leave as it is.
    async fn snapshot(
        &self,
        case_id: &str,
        placements: &[&str],
    ) -> (intake::Case, identity::IdentityFile, Vec<foster::Placement>) {
        let mut found = Vec::new();
        for placement_id in placements {
            found.push(self.placement(placement_id).await);
        }
        (
            self.case(&xlt_station(), case_id).await.unwrap(),
            self.file(case_id).await.unwrap(),
            found,
        )
    }

    /// The follow-ups 双台子区's bureau sees (where a return home goes).
    async fn follow_ups(&self) -> Vec<intake::FollowUp> {
        self.intake(&sz_civil_affairs())
            .await
            .list_follow_ups(intake::ListFollowUpsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .follow_ups
    }

    /// Waits (60 s ceiling) until intake's 10-day deadline of case `case_id` has fired.
    async fn wait_stay_deadline_fired(&self, case_id: &str) {
        let id = format!("intake.stay_over_10_days:{case_id}");
        let id = &id;
        wait_until("the 10-day deadline fires", || async move {
            let state: String = with_db!(&self.intake_db, |pool| sqlx::query_scalar(
                "SELECT state FROM deadlines WHERE id = $1"
            )
            .bind(id)
            .fetch_one(pool)
            .await)
            .unwrap();
            state != "pending"
        })
        .await;
    }

    /// Waits (60 s ceiling) until intake knows the division of case `case_id`'s institution.
    async fn wait_institution_division(&self, case_id: &str, division: &str) {
        wait_until("intake knows the institution's division", || async move {
            let stored: Option<String> = with_db!(&self.intake_db, |pool| sqlx::query_scalar(
                "SELECT institution_division FROM cases WHERE id = $1"
            )
            .bind(case_id)
            .fetch_one(pool)
            .await)
            .unwrap();
            stored.as_deref() == Some(division)
        })
        .await;
    }

    /// `who` reports suspected abuse of the person of `case_id`.
    async fn report_abuse(
        &self,
        who: &Caller,
        case_id: &str,
    ) -> Result<intake::AbuseReport, tonic::Status> {
        self.intake(who)
            .await
            .report_abuse_suspicion(intake::ReportAbuseSuspicionRequest {
                request_id: request_id(),
                case_id: case_id.to_owned(),
                division: String::new(),
                description: "护理员发现老人手臂有多处淤青，疑似被他人殴打".to_owned(),
            })
            .await
            .map(|r| r.into_inner().report.unwrap())
    }

    /// The station's discharge of `case_id` now, as `kind` (a return home goes to 双台子区).
    async fn discharge(
        &self,
        case_id: &str,
        kind: intake::DepartureKind,
    ) -> Result<intake::Case, tonic::Status> {
        let return_home =
            (kind == intake::DepartureKind::ReturnedHome).then(|| intake::ReturnHome {
                mode: intake::ReturnMode::EscortedByStaff as i32,
                relative_id_checked: false,
                destination_division: "211102".to_owned(),
            });
        self.intake(&xlt_station())
            .await
            .discharge_case(intake::DischargeCaseRequest {
                request_id: request_id(),
                case_id: case_id.to_owned(),
                kind: kind as i32,
                departed_at: timestamp(self.cluster.clock.now()),
                return_home,
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().case.unwrap())
    }
}

/// Scenario 1: placed, read and reported on by its institution only, home again.
async fn a_resident_returns_home(backend: TestBackend) {
    let Some(scene) = Scene::start(backend, Some(instant("2026-03-10T10:00:00+08:00"))).await
    else {
        return;
    };
    let case_id = scene
        .admit_unknown(instant("2026-03-10T09:00:00+08:00"))
        .await;
    let home = scene
        .institution(&xlt_civil_affairs(), "211103", "盘锦市兴隆台区社会福利中心")
        .await;
    let other = scene
        .institution(&xlt_civil_affairs(), "211103", "盘锦市兴隆台区第二养老院")
        .await;
    scene.sign(&home).await;
    let placement = scene.place(&case_id, &home).await;

    // Intake: in foster care, under the placement, in the institution.
    let case = scene.case(&xlt_station(), &case_id).await.unwrap();
    assert_eq!(
        (case.placement_id.as_str(), case.institution_id.as_str()),
        (placement.placement_id.as_str(), home.as_str())
    );
    // Identity: the file shows where the person is now.
    let file = scene
        .wait_file(&case_id, "identity records the institution", |file| {
            file.foster_stay.is_some()
        })
        .await;
    let stay = file.foster_stay.unwrap();
    assert_eq!(
        (stay.institution_id.as_str(), stay.placement_id.as_str()),
        (home.as_str(), placement.placement_id.as_str())
    );
    assert_eq!(stay.since, placement.placed_at);
    assert_eq!(file.status, identity::IdentityFileStatus::Open as i32);

    // The station cannot discharge a person in foster care: nothing changes.
    let error = scene
        .discharge(&case_id, intake::DepartureKind::SelfDeparture)
        .await
        .unwrap_err();
    assert_eq!(
        (error.code(), reason(&error).as_str()),
        (Code::FailedPrecondition, "CASE_IN_FOSTER_CARE")
    );
    let unchanged = scene.case(&xlt_station(), &case_id).await.unwrap();
    assert_eq!(unchanged.status, intake::CaseStatus::InFosterCare as i32);
    assert!(scene.intake_events::<intake::CaseClosed>().await.is_empty());

    // The institution reads its resident's case and reports abuse for it; another institution
    // gets NOT_FOUND for both.
    let resident = institution(&home, "211103");
    let read = scene.case(&resident, &case_id).await.unwrap();
    assert_eq!(read.case_id, case_id);
    let report = scene.report_abuse(&resident, &case_id).await.unwrap();
    assert_eq!(
        (report.case_id.as_str(), report.division.as_str()),
        (case_id.as_str(), "211103")
    );
    assert_eq!(report.notification_ids.len(), 1);
    let police = xlt_police();
    let told = scene
        .notifications("intake", &police, "ABUSE_SUSPECTED")
        .await;
    assert_eq!(told.len(), 1);
    let stranger = institution(&other, "211103");
    let error = scene.case(&stranger, &case_id).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let error = scene.report_abuse(&stranger, &case_id).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    assert_eq!(
        scene.intake_events::<intake::AbuseSuspected>().await.len(),
        1
    );

    // The 10-day instant (03-20 24:00) passes in foster care: no flag.
    scene.set_clock(instant("2026-03-25T10:00:00+08:00"));
    scene.wait_stay_deadline_fired(&case_id).await;
    let case = scene.case(&xlt_station(), &case_id).await.unwrap();
    assert_eq!(case.over_ten_days_since, None);
    assert!(
        scene
            .intake_events::<intake::StayFlagged>()
            .await
            .is_empty()
    );

    // Home to 双台子区: intake closes the case with a follow-up there, identity the file.
    let ended = scene
        .end(
            &placement.placement_id,
            foster::PlacementEndKind::ReturnedHome,
            "211102",
        )
        .await;
    let closed = scene
        .wait_status(
            &case_id,
            "intake closes the case",
            intake::CaseStatus::Closed,
        )
        .await;
    assert_eq!(
        (closed.placement_id.as_str(), closed.institution_id.as_str()),
        ("", "")
    );
    let events = scene.intake_events::<intake::CaseClosed>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].case_id, case_id);
    assert_eq!(events[0].kind, intake::DepartureKind::ReturnedHome as i32);
    assert_eq!(events[0].destination_division, "211102");
    assert_eq!(events[0].departed_at, ended.ended_at);
    let follow_ups = scene.follow_ups().await;
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(
        (
            follow_ups[0].case_id.as_str(),
            follow_ups[0].division.as_str()
        ),
        (case_id.as_str(), "211102")
    );
    // A former resident's case is NOT_FOUND to the institution.
    let error = scene.case(&resident, &case_id).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let file = scene
        .wait_file(&case_id, "identity closes the file", |file| {
            file.status == identity::IdentityFileStatus::Closed as i32
        })
        .await;
    assert_eq!(file.foster_stay, None);
    scene.stop().await;
}

/// Scenario 2: moved to 大洼区, then back to the station past the 10th day, then discharged.
async fn a_resident_moves_and_comes_back(backend: TestBackend) {
    let Some(scene) = Scene::start(backend, Some(instant("2026-03-10T10:00:00+08:00"))).await
    else {
        return;
    };
    let case_id = scene
        .admit_unknown(instant("2026-03-10T09:00:00+08:00"))
        .await;
    let first = scene
        .institution(&xlt_civil_affairs(), "211103", "盘锦市兴隆台区社会福利中心")
        .await;
    let second = scene
        .institution(&dw_civil_affairs(), "211104", "盘锦市大洼区社会福利院")
        .await;
    scene.sign(&first).await;
    scene.sign(&second).await;
    let placement = scene.place(&case_id, &first).await;

    let next = scene.move_resident(&placement.placement_id, &second).await;
    let case = scene
        .wait_case(&case_id, "the case follows the move", |case| {
            case.institution_id == second
        })
        .await;
    assert_eq!(case.status, intake::CaseStatus::InFosterCare as i32);
    assert_eq!(case.placement_id, next.placement_id);
    // The old institution lost sight of the case; the new one reads it and reports abuse, to
    // the police where the person now is.
    let error = scene
        .case(&institution(&first, "211103"), &case_id)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let resident = institution(&second, "211104");
    assert_eq!(
        scene.case(&resident, &case_id).await.unwrap().case_id,
        case_id
    );
    // Intake learns the new institution's division from its ResidentPlaced, which follows.
    scene.wait_institution_division(&case_id, "211104").await;
    let report = scene.report_abuse(&resident, &case_id).await.unwrap();
    assert_eq!(report.division, "211104");
    let police = dw_police();
    let told = scene
        .notifications("intake", &police, "ABUSE_SUSPECTED")
        .await;
    assert_eq!(told.len(), 1);
    let file = scene
        .wait_file(&case_id, "identity follows the move", |file| {
            file.foster_stay
                .as_ref()
                .is_some_and(|stay| stay.institution_id == second)
        })
        .await;
    let stay = file.foster_stay.unwrap();
    assert_eq!(stay.placement_id, next.placement_id);
    assert_eq!(stay.since, next.placed_at);

    // The 10th day passes in foster care; the person comes back to the station after it.
    scene.set_clock(instant("2026-03-25T10:00:00+08:00"));
    scene.wait_stay_deadline_fired(&case_id).await;
    assert_eq!(
        scene
            .case(&xlt_station(), &case_id)
            .await
            .unwrap()
            .over_ten_days_since,
        None
    );
    let back = scene
        .end(
            &next.placement_id,
            foster::PlacementEndKind::BackToStation,
            "",
        )
        .await;
    let case = scene
        .wait_status(
            &case_id,
            "the case is in the station again",
            intake::CaseStatus::InStation,
        )
        .await;
    assert_eq!(
        (case.placement_id.as_str(), case.institution_id.as_str()),
        ("", "")
    );
    let error = scene.case(&resident, &case_id).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let file = scene
        .wait_file(&case_id, "identity clears the institution", |file| {
            file.foster_stay.is_none()
        })
        .await;
    assert_eq!(file.status, identity::IdentityFileStatus::Open as i32);
    // Back in the station past the 10th day: flagged at the return.
    let case = scene
        .wait_case(&case_id, "the stay is flagged at the return", |case| {
            case.over_ten_days_since.is_some()
        })
        .await;
    assert_eq!(case.over_ten_days_since, back.ended_at);
    assert_eq!(scene.intake_events::<intake::StayFlagged>().await.len(), 1);

    // In the station, the station discharges the case itself.
    let closed = scene
        .discharge(&case_id, intake::DepartureKind::SelfDeparture)
        .await
        .unwrap();
    assert_eq!(closed.status, intake::CaseStatus::Closed as i32);
    let events = scene.intake_events::<intake::CaseClosed>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, intake::DepartureKind::SelfDeparture as i32);
    scene
        .wait_file(&case_id, "identity closes the file", |file| {
            file.status == identity::IdentityFileStatus::Closed as i32
        })
        .await;
    scene.stop().await;
}

/// Scenario 3: an identity confirmed, and a settlement approved, while in foster care.
async fn identity_news_reach_the_residents(backend: TestBackend) {
    let Some(scene) = Scene::start(backend, Some(instant("2026-04-17T10:00:00+08:00"))).await
    else {
        return;
    };
    let home = scene
        .institution(&xlt_civil_affairs(), "211103", "盘锦市兴隆台区社会福利中心")
        .await;
    scene.sign(&home).await;
    let recent = scene
        .admit_unknown(instant("2026-04-16T09:00:00+08:00"))
        .await;
    // Admitted three months ago, still unidentified: in the stranded register.
    let stranded = scene
        .admit_unknown(instant("2026-01-15T09:00:00+08:00"))
        .await;
    let recent_placement = scene.place(&recent, &home).await;
    let stranded_placement = scene.place(&stranded, &home).await;
    // Admitted three months ago too, proposed for foster care, not placed yet.
    let waiting = scene
        .admit_unknown(instant("2026-01-16T09:00:00+08:00"))
        .await;
    let waiting_proposal = scene.propose(&waiting).await;

    // The station confirms the identity of the recent resident: foster records it on the
    // placement and tells the station to arrange the return home.
    let confirmed = confirm(&scene, &recent).await;
    let placement_id = recent_placement.placement_id.clone();
    let placement = scene
        .wait_placement(
            &placement_id,
            "foster records the confirmation",
            |placement| placement.identity_confirmed_at.is_some(),
        )
        .await;
    assert_eq!(placement.identity_confirmed_at, confirmed.confirmed_at);
    assert_eq!(placement.status, foster::PlacementStatus::Active as i32);
    let told = scene.identity_confirmed_notices().await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].subject, format!("placement/{placement_id}"));
    assert!(!told[0].summary.contains("王五"));
    scene
        .wait_case(&recent, "intake takes the confirmed identity", |case| {
            case.identity_status == intake::IdentityStatus::Confirmed as i32
        })
        .await;
    assert_eq!(
        scene.case(&xlt_station(), &recent).await.unwrap().status,
        intake::CaseStatus::InFosterCare as i32
    );

    // The stranded resident: the register shows the institution; the settlement is filed and
    // approved; foster ends the placement as SETTLED at the decision; intake closes the case.
    let stranded_file = scene
        .wait_file(
            &stranded,
            "the person enters the stranded register",
            |file| file.stranded_since.is_some(),
        )
        .await;
    let register = scene
        .identity(&xlt_station())
        .await
        .list_stranded_persons(identity::ListStrandedPersonsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .persons;
    let entry = register
        .iter()
        .find(|person| person.case_id == stranded)
        .unwrap();
    assert_eq!(
        entry
            .foster_stay
            .as_ref()
            .map(|stay| stay.institution_id.as_str()),
        Some(home.as_str())
    );
    let decided = approve_settlement(&scene, stranded_file.file_id).await;
    let decided_at = instant_of(decided.decided_at.as_ref()).trunc_subsecs(6);
    let stranded_id = stranded_placement.placement_id.clone();
    let ended = scene
        .wait_placement(&stranded_id, "foster ends the placement", |placement| {
            placement.status == foster::PlacementStatus::Ended as i32
        })
        .await;
    assert_eq!(ended.end_kind, foster::PlacementEndKind::Settled as i32);
    assert_eq!(instant_of(ended.ended_at.as_ref()), decided_at);
    scene
        .wait_status(
            &stranded,
            "intake closes the settled case",
            intake::CaseStatus::Closed,
        )
        .await;
    let closed = scene.intake_events::<intake::CaseClosed>().await;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].case_id, stranded);
    assert_eq!(closed[0].kind, intake::DepartureKind::Settled as i32);
    assert_eq!(instant_of(closed[0].departed_at.as_ref()), decided_at);
    let file = scene
        .wait_file(&stranded, "identity clears the institution", |file| {
            file.foster_stay.is_none()
        })
        .await;
    assert_ne!(file.status, identity::IdentityFileStatus::Open as i32);

    // Settled from the station: the proposal is withdrawn (by no station: the settlement), and
    // intake closes the case itself.
    let decided = settle(&scene, &waiting).await;
    let withdrawn = scene
        .wait_placement(
            &waiting_proposal.placement_id,
            "foster withdraws the proposal",
            |placement| placement.status == foster::PlacementStatus::Withdrawn as i32,
        )
        .await;
    assert!(withdrawn.decided_by.is_empty() && withdrawn.institution_id.is_empty());
    assert!(
        withdrawn
            .decline_reason
            .contains(decided.application_id.as_str()),
        "{withdrawn:?}"
    );
    let case = scene
        .wait_status(
            &waiting,
            "intake closes the case settled from the station",
            intake::CaseStatus::Closed,
        )
        .await;
    assert!(case.proposed_placement_id.is_empty());
    let closed = scene.intake_events::<intake::CaseClosed>().await;
    assert!(
        closed.iter().any(|closed| closed.case_id == waiting
            && closed.kind == intake::DepartureKind::Settled as i32)
    );

    // The other resident stays; the station was told once.
    assert_eq!(
        scene.placement(&placement_id).await.status,
        foster::PlacementStatus::Active as i32
    );
    assert_eq!(scene.identity_confirmed_notices().await.len(), 1);
    scene.stop().await;
}

/// Confirms the identity of the person of `case_id` as the station (relatives came); returns
/// the confirmed file.
async fn confirm(scene: &Scene, case_id: &str) -> identity::IdentityFile {
    let file = scene.file(case_id).await.unwrap();
    scene
        .identity(&xlt_station())
        .await
        .confirm_identity(identity::ConfirmIdentityRequest {
            request_id: request_id(),
            file_id: file.file_id,
            method: identity::ConfirmationMethod::Relatives as i32,
            identity: Some(identity::IdentityDetails {
                name: "王五".to_owned(),
                household_division: "211102".to_owned(),
                ..Default::default()
            }),
            note: "亲属前来确认".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap()
}

/// Waits until the person of `case_id` is in the stranded register, then files the settlement
/// and approves it ([`approve_settlement`]); returns the decided application.
async fn settle(scene: &Scene, case_id: &str) -> identity::SettlementApplication {
    let file = scene
        .wait_file(case_id, "the person enters the stranded register", |file| {
            file.stranded_since.is_some()
        })
        .await;
    approve_settlement(scene, file.file_id).await
}

/// Files the settlement of the stranded person of `file_id` and approves it (no state support);
/// returns the decided application.
async fn approve_settlement(scene: &Scene, file_id: String) -> identity::SettlementApplication {
    let application = scene
        .identity(&xlt_station())
        .await
        .file_settlement_application(identity::FileSettlementApplicationRequest {
            request_id: request_id(),
            file_id,
            note: "入站三个月仍无法查明身份，已发布寻亲公告并采集 DNA".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    scene
        .identity(&xlt_civil_affairs())
        .await
        .decide_settlement(identity::DecideSettlementRequest {
            request_id: request_id(),
            application_id: application.application_id,
            approve: true,
            collective_household: "盘锦市社会福利院集体户".to_owned(),
            meets_state_support_conditions: false,
            central_care_institution: String::new(),
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
}

/// Scenario 4: every kind of change, then the feeds applied again from the beginning.
async fn replaying_the_feeds_changes_nothing(backend: TestBackend) {
    let Some(mut scene) = Scene::start(backend, Some(instant("2026-03-10T10:00:00+08:00"))).await
    else {
        return;
    };
    let first = scene
        .institution(&xlt_civil_affairs(), "211103", "盘锦市兴隆台区社会福利中心")
        .await;
    let second = scene
        .institution(&dw_civil_affairs(), "211104", "盘锦市大洼区社会福利院")
        .await;
    scene.sign(&first).await;
    scene.sign(&second).await;

    // One stay: placed, moved, back in the station after its 10th day, placed again, home.
    let wanderer = scene
        .admit_unknown(instant("2026-03-10T09:00:00+08:00"))
        .await;
    let p1 = scene.place(&wanderer, &first).await.placement_id;
    let p2 = scene.move_resident(&p1, &second).await.placement_id;
    scene
        .wait_case(&wanderer, "the case follows the move", |case| {
            case.placement_id == p2
        })
        .await;
    scene.set_clock(instant("2026-03-25T10:00:00+08:00"));
    scene
        .end(&p2, foster::PlacementEndKind::BackToStation, "")
        .await;
    scene
        .wait_case(&wanderer, "back in the station, flagged", |case| {
            case.status == intake::CaseStatus::InStation as i32
                && case.over_ten_days_since.is_some()
        })
        .await;
    let p3 = scene.place(&wanderer, &first).await.placement_id;
    scene
        .end(&p3, foster::PlacementEndKind::ReturnedHome, "211102")
        .await;

    // A resident identified, who then dies; a stranded resident settled.
    let identified = scene
        .admit_unknown(instant("2026-03-24T09:00:00+08:00"))
        .await;
    let p4 = scene.place(&identified, &first).await.placement_id;
    confirm(&scene, &identified).await;
    scene
        .wait_placement(&p4, "foster records the confirmation", |placement| {
            placement.identity_confirmed_at.is_some()
        })
        .await;
    scene.end(&p4, foster::PlacementEndKind::Death, "").await;
    let settled = scene
        .admit_unknown(instant("2025-12-20T09:00:00+08:00"))
        .await;
    let p5 = scene.place(&settled, &first).await.placement_id;
    settle(&scene, &settled).await;
    // And one placed, then back in the station, where it stays.
    let returned = scene
        .admit_unknown(instant("2026-03-25T08:00:00+08:00"))
        .await;
    let p6 = scene.place(&returned, &second).await.placement_id;
    scene
        .end(&p6, foster::PlacementEndKind::BackToStation, "")
        .await;
    scene
        .wait_status(
            &returned,
            "back in the station",
            intake::CaseStatus::InStation,
        )
        .await;
    // Proposed again and withdrawn; proposed once more, pending.
    let p7 = scene.propose(&returned).await.placement_id;
    scene
        .foster(&xlt_station())
        .await
        .withdraw_placement(foster::WithdrawPlacementRequest {
            request_id: request_id(),
            placement_id: p7.clone(),
            reason: "站内可照料".to_owned(),
        })
        .await
        .unwrap();
    scene
        .wait_case(&returned, "intake clears the withdrawn proposal", |case| {
            case.proposed_placement_id.is_empty()
        })
        .await;
    let p8 = scene.propose(&returned).await.placement_id;
    for case_id in [&wanderer, &identified, &settled] {
        scene
            .wait_status(
                case_id,
                "intake closes the case",
                intake::CaseStatus::Closed,
            )
            .await;
    }

    let feeds = [
        ("intake", "foster"),
        ("identity", "foster"),
        ("foster", "identity"),
    ];
    for (consumer, source) in feeds {
        scene.caught_up(consumer, source).await;
    }
    let snapshot = async |scene: &Scene| {
        (
            scene.snapshot(&wanderer, &[&p1, &p2, &p3]).await,
            scene.snapshot(&identified, &[&p4]).await,
            scene.snapshot(&settled, &[&p5]).await,
            scene.snapshot(&returned, &[&p6, &p7, &p8]).await,
        )
    };
    let outcomes = async |scene: &Scene| {
        (
            scene
                .intake_events::<intake::CaseClosed>()
                .await
                .into_iter()
                .map(|closed| (closed.case_id, closed.kind, closed.departed_at))
                .collect::<Vec<_>>(),
            scene.intake_events::<intake::StayFlagged>().await.len(),
            scene.follow_ups().await,
            events::<foster::PlacementEnded>(&scene.foster_db)
                .await
                .len(),
            scene.identity_confirmed_notices().await.len(),
        )
    };
    let before = snapshot(&scene).await;
    assert_eq!(before.3.0.proposed_placement_id, p8);
    let done = outcomes(&scene).await;
    assert_eq!(done.0.len(), 3);
    // Flagged: the wanderer at the return, the settled person in the station long ago.
    assert_eq!((done.1, done.2.len(), done.3, done.4), (2, 1, 6, 1));

    // Every feed forgotten, every service restarted: each applies its feed again.
    for (consumer, source) in feeds {
        scene.forget_feed(consumer, source).await;
    }
    for service in ["intake", "identity", "foster"] {
        scene.cluster.restart(service).await;
    }
    for (consumer, source) in feeds {
        scene.caught_up(consumer, source).await;
    }
    assert_eq!(snapshot(&scene).await, before);
    assert_eq!(outcomes(&scene).await, done);
    scene.stop().await;
}
