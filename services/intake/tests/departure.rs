//! Departures through the gRPC API, on SQLite and PostgreSQL: DischargeCase closes the station's
//! own case in the station (idempotent; another station's case is NOT_FOUND; a case in foster
//! care or already closed is refused), cancels its deadlines and emits `CaseClosed`; a person
//! under 16 leaves only with a guardian or an escort; relatives need their ID checked; a
//! transfer is continued by the receiving station's TRANSFER admission; a discharge racing the
//! 10-day flag of the same case never fails (one lock order).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_db};
use relief_testkit::wait_until;
use tonic::Code;

fn instant(timestamp: &prost_types::Timestamp) -> DateTime<Utc> {
    Utc.timestamp_opt(timestamp.seconds, u32::try_from(timestamp.nanos).unwrap())
        .single()
        .unwrap()
}

/// A departure of `case_id` of `kind` at `at`, nothing else set.
fn departure(
    case_id: &str,
    kind: pb::DepartureKind,
    at: DateTime<Utc>,
) -> pb::DischargeCaseRequest {
    pb::DischargeCaseRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        kind: kind as i32,
        departed_at: Some(timestamp(at)),
        ..pb::DischargeCaseRequest::default()
    }
}

/// A return home to `division` escorted by staff.
fn return_home(case_id: &str, division: &str, at: DateTime<Utc>) -> pb::DischargeCaseRequest {
    pb::DischargeCaseRequest {
        return_home: Some(pb::ReturnHome {
            mode: pb::ReturnMode::EscortedByStaff as i32,
            relative_id_checked: false,
            destination_division: division.to_owned(),
        }),
        ..departure(case_id, pb::DepartureKind::ReturnedHome, at)
    }
}

/// A date `years` years and `days` days before `now`, written YYYY-MM-DD.
fn born(now: DateTime<Utc>, years: i64, days: i64) -> String {
    (now - Duration::days(years * 365 + years / 4 + days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn discharge(
    kit: &Kit,
    who: &Caller,
    request: pb::DischargeCaseRequest,
) -> Result<pb::DischargeCaseResponse, tonic::Status> {
    kit.intake(who)
        .await
        .discharge_case(request)
        .await
        .map(tonic::Response::into_inner)
}

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

async fn pending_deadlines_of(kit: &Kit, subject: &str) -> i64 {
    with_db!(&kit.db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM deadlines WHERE subject = $1 AND state = 'pending'",
        )
        .bind(subject)
        .fetch_one(pool)
        .await
    })
    .unwrap()
}

fn assert_failed(status: &tonic::Status, expected_reason: &str) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(status), expected_reason);
}

fn assert_invalid(status: &tonic::Status, expected_fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut got = fields(status);
    got.sort_unstable();
    let mut expected: Vec<String> = expected_fields.iter().map(|f| (*f).to_owned()).collect();
    expected.sort_unstable();
    assert_eq!(got, expected);
}

cluster_tests!(
    a_discharge_closes_the_case_once_and_cancels_its_deadlines,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(
                    person("周九", &id_number("211102", "19800101", "013")),
                    now - Duration::hours(3),
                ),
            )
            .await;
        assert_eq!(case.origin_division, "211102");
        assert_eq!(
            pending_deadlines_of(&kit, &format!("case/{}", case.case_id)).await,
            1
        );

        let mut request = departure(&case.case_id, pb::DepartureKind::SelfDeparture, now);
        request.notes = "本人签署自行离站声明".to_owned();
        let closed = discharge(&kit, &xlt_station(), request.clone())
            .await
            .unwrap();
        let closed_case = closed.case.clone().unwrap();
        assert_eq!(closed_case.status, pb::CaseStatus::Closed as i32);
        assert!(closed_case.person.is_none() && closed_case.person_omitted);
        assert!(closed.follow_up_id.is_empty());
        // The retry answers the same and changes nothing.
        let retry = discharge(&kit, &xlt_station(), request).await.unwrap();
        assert_eq!(retry, closed);

        let events = kit.events::<pb::CaseClosed>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].case_id, case.case_id);
        assert_eq!(events[0].division, "211103");
        assert_eq!(events[0].origin_division, "211102");
        assert_eq!(events[0].kind, pb::DepartureKind::SelfDeparture as i32);
        assert_eq!(
            instant(&events[0].departed_at.unwrap()),
            now.trunc_subsecs(6)
        );
        assert_eq!(
            pending_deadlines_of(&kit, &format!("case/{}", case.case_id)).await,
            0
        );
        assert_eq!(kit.count("SELECT COUNT(*) FROM departures").await, 1);
        // Nothing personal in the event.
        for payload in kit.raw_events().await {
            let text = String::from_utf8_lossy(&payload);
            assert!(!text.contains("周九") && !text.contains("19800101"));
        }

        // A second departure, with a new request id, is refused.
        let again = discharge(
            &kit,
            &xlt_station(),
            departure(&case.case_id, pb::DepartureKind::Death, now),
        )
        .await
        .unwrap_err();
        assert_failed(&again, "CASE_ALREADY_CLOSED");
        let read = kit
            .intake(&xlt_station())
            .await
            .get_case(pb::GetCaseRequest {
                case_id: case.case_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        assert_eq!(read.status, pb::CaseStatus::Closed as i32);
        kit.stop().await;
    }
);

cluster_tests!(
    a_discharge_is_refused_outside_scope_and_for_bad_fields,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(person("吴十", ""), now - Duration::hours(2)),
            )
            .await;
        let self_departure = departure(&case.case_id, pb::DepartureKind::SelfDeparture, now);

        // Only stations; another station's case and a missing one are NOT_FOUND alike.
        for who in [xlt_civil_affairs(), xlt_police(), xlt_government()] {
            let status = discharge(&kit, &who, self_departure.clone())
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{who:?}");
        }
        for who in [sz_station(), city_station()] {
            let status = discharge(
                &kit,
                &who,
                departure(&case.case_id, pb::DepartureKind::SelfDeparture, now),
            )
            .await
            .unwrap_err();
            assert_eq!(status.code(), Code::NotFound);
        }
        let status = discharge(
            &kit,
            &xlt_station(),
            departure(
                "0190a0f4-0000-7000-8000-000000000000",
                pb::DepartureKind::SelfDeparture,
                now,
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);

        // Bad fields, all at once.
        let empty = pb::DischargeCaseRequest {
            request_id: request_id(),
            ..pb::DischargeCaseRequest::default()
        };
        let status = discharge(&kit, &xlt_station(), empty).await.unwrap_err();
        assert_invalid(&status, &["case_id", "kind", "departed_at"]);
        let mut unknown_kind = self_departure.clone();
        unknown_kind.request_id = request_id();
        unknown_kind.kind = 99;
        unknown_kind.notes = "字".repeat(2001);
        let status = discharge(&kit, &xlt_station(), unknown_kind)
            .await
            .unwrap_err();
        assert_invalid(&status, &["kind", "notes"]);
        let future = departure(
            &case.case_id,
            pb::DepartureKind::SelfDeparture,
            now + Duration::hours(1),
        );
        let status = discharge(&kit, &xlt_station(), future).await.unwrap_err();
        assert_invalid(&status, &["departed_at"]);
        let before_admission = departure(
            &case.case_id,
            pb::DepartureKind::SelfDeparture,
            now - Duration::hours(3),
        );
        let status = discharge(&kit, &xlt_station(), before_admission)
            .await
            .unwrap_err();
        assert_invalid(&status, &["departed_at"]);

        // A return home needs its details: a mode and a six-digit destination.
        let status = discharge(
            &kit,
            &xlt_station(),
            departure(&case.case_id, pb::DepartureKind::ReturnedHome, now),
        )
        .await
        .unwrap_err();
        assert_invalid(&status, &["return_home"]);
        let mut bad_home = return_home(&case.case_id, "2111", now);
        bad_home.return_home.as_mut().unwrap().mode = 0;
        let status = discharge(&kit, &xlt_station(), bad_home).await.unwrap_err();
        assert_invalid(
            &status,
            &["return_home.mode", "return_home.destination_division"],
        );
        // A transfer needs another station.
        let transfer = |to: &str| pb::DischargeCaseRequest {
            transfer_to_station: to.to_owned(),
            ..departure(&case.case_id, pb::DepartureKind::Transferred, now)
        };
        for to in ["", "xlt-station", "xlt-police", "no-such-unit"] {
            let status = discharge(&kit, &xlt_station(), transfer(to))
                .await
                .unwrap_err();
            assert_invalid(&status, &["transfer_to_station"]);
        }
        // Details of another kind are refused, not ignored.
        let mut stray = return_home(&case.case_id, "211103", now);
        stray.kind = pb::DepartureKind::Death as i32;
        stray.transfer_to_station = "sz-station".to_owned();
        let status = discharge(&kit, &xlt_station(), stray).await.unwrap_err();
        assert_invalid(&status, &["return_home", "transfer_to_station"]);

        // A case in foster care is closed by the end of its placement, not here.
        set_status(&kit, &case.case_id, pb::CaseStatus::InFosterCare).await;
        let status = discharge(&kit, &xlt_station(), self_departure.clone())
            .await
            .unwrap_err();
        assert_failed(&status, "CASE_IN_FOSTER_CARE");
        set_status(&kit, &case.case_id, pb::CaseStatus::InStation).await;

        // None of the refusals closed anything; the original request still works.
        assert_eq!(kit.count("SELECT COUNT(*) FROM departures").await, 0);
        assert!(kit.events::<pb::CaseClosed>().await.is_empty());
        discharge(&kit, &xlt_station(), self_departure)
            .await
            .unwrap();
        kit.stop().await;
    }
);

cluster_tests!(
    a_person_under_16_leaves_only_with_a_guardian_or_an_escort,
    |kit| {
        let now = kit.now();
        let admitted_at = now - Duration::hours(5);
        let admit = |person: pb::Person, minor: bool| {
            let mut request = admission(person, admitted_at);
            request.flags = Some(pb::VulnerableFlags {
                minor,
                ..pb::VulnerableFlags::default()
            });
            request
        };
        let twelve = kit
            .admit(
                &xlt_station(),
                admit(
                    pb::Person {
                        birth_date: born(now, 12, 10),
                        ..pb::Person::default()
                    },
                    true,
                ),
            )
            .await;
        let estimated_ten = kit
            .admit(
                &xlt_station(),
                admit(
                    pb::Person {
                        estimated_age: 10,
                        ..pb::Person::default()
                    },
                    false,
                ),
            )
            .await;
        let id_birth = (now - Duration::days(14 * 365))
            .format("%Y%m%d")
            .to_string();
        let from_id_number = kit
            .admit(
                &xlt_station(),
                admit(person("", &id_number("211103", &id_birth, "024")), false),
            )
            .await;
        let unknown_flagged = kit
            .admit(&xlt_station(), admit(pb::Person::default(), true))
            .await;
        let unknown = kit
            .admit(&xlt_station(), admit(pb::Person::default(), false))
            .await;
        let seventeen_flagged = kit
            .admit(
                &xlt_station(),
                admit(
                    pb::Person {
                        birth_date: born(now, 17, 30),
                        ..pb::Person::default()
                    },
                    true,
                ),
            )
            .await;

        // Alone: refused for everyone known or flagged to be under 16, whatever the kind of release.
        for (case, kind) in [
            (&twelve, pb::DepartureKind::SelfDeparture),
            (&estimated_ten, pb::DepartureKind::LeftWithoutFormalities),
            (&from_id_number, pb::DepartureKind::Terminated),
            (&unknown_flagged, pb::DepartureKind::SelfDeparture),
        ] {
            let status = discharge(&kit, &xlt_station(), departure(&case.case_id, kind, now))
                .await
                .unwrap_err();
            assert_failed(&status, "MINOR_NEEDS_GUARDIAN_OR_ESCORT");
        }
        let status = discharge(
            &kit,
            &xlt_station(),
            return_home(&twelve.case_id, "211103", now),
        )
        .await
        .unwrap_err();
        assert_failed(&status, "MINOR_NEEDS_GUARDIAN_OR_ESCORT");
        assert!(kit.events::<pb::CaseClosed>().await.is_empty());

        // With a guardian, or escorted: allowed.
        let mut with_guardian = return_home(&twelve.case_id, "211103", now);
        with_guardian.guardian_present = true;
        discharge(&kit, &xlt_station(), with_guardian)
            .await
            .unwrap();
        let mut escorted = departure(&estimated_ten.case_id, pb::DepartureKind::Transferred, now);
        escorted.transfer_to_station = "sz-station".to_owned();
        escorted.escorted = true;
        discharge(&kit, &xlt_station(), escorted).await.unwrap();
        // Going missing is not a release: it is recorded whatever the age.
        discharge(
            &kit,
            &xlt_station(),
            departure(&from_id_number.case_id, pb::DepartureKind::Missing, now),
        )
        .await
        .unwrap();
        let mut flagged_escorted = departure(
            &unknown_flagged.case_id,
            pb::DepartureKind::SelfDeparture,
            now,
        );
        flagged_escorted.escorted = true;
        discharge(&kit, &xlt_station(), flagged_escorted)
            .await
            .unwrap();

        // Unknown age without the flag, and a known 17-year-old even with it: they leave alone.
        discharge(
            &kit,
            &xlt_station(),
            departure(&unknown.case_id, pb::DepartureKind::SelfDeparture, now),
        )
        .await
        .unwrap();
        discharge(
            &kit,
            &xlt_station(),
            departure(
                &seventeen_flagged.case_id,
                pb::DepartureKind::SelfDeparture,
                now,
            ),
        )
        .await
        .unwrap();
        assert_eq!(kit.events::<pb::CaseClosed>().await.len(), 6);

        // The age is kept as "16 from", never as a birth date for an adult.
        let adult_column: Option<DateTime<Utc>> = with_db!(&kit.db, |pool| {
            sqlx::query_scalar("SELECT turns_16_at FROM cases WHERE id = $1")
                .bind(&seventeen_flagged.case_id)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(
            adult_column,
            Some(instant(&seventeen_flagged.admitted_at.unwrap()))
        );
        kit.stop().await;
    }
);

cluster_tests!(
    relatives_collecting_a_person_must_have_their_id_checked,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(person("郑一", ""), now - Duration::hours(1)),
            )
            .await;
        let collected = |checked: bool| {
            let mut request = return_home(&case.case_id, "211102", now);
            let home = request.return_home.as_mut().unwrap();
            home.mode = pb::ReturnMode::CollectedByRelatives as i32;
            home.relative_id_checked = checked;
            request
        };
        let status = discharge(&kit, &xlt_station(), collected(false))
            .await
            .unwrap_err();
        assert_failed(&status, "RELATIVE_ID_NOT_CHECKED");
        let done = discharge(&kit, &xlt_station(), collected(true))
            .await
            .unwrap();
        assert!(!done.follow_up_id.is_empty());
        let events = kit.events::<pb::CaseClosed>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].destination_division, "211102");
        assert_eq!(events[0].kind, pb::DepartureKind::ReturnedHome as i32);
        kit.stop().await;
    }
);

cluster_tests!(
    an_unknown_destination_division_is_accepted_with_a_warning,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(person("王二", ""), now - Duration::hours(1)),
            )
            .await;
        let done = discharge(
            &kit,
            &xlt_station(),
            return_home(&case.case_id, "219999", now),
        )
        .await
        .unwrap();
        assert_eq!(
            done.case.unwrap().warnings,
            ["UNKNOWN_DIVISION_CODE: return_home.destination_division"]
        );
        assert!(!done.follow_up_id.is_empty());
        kit.stop().await;
    }
);

/// A TRANSFER admission of a person continuing `from`.
fn transfer_admission(from: &str, now: DateTime<Utc>) -> pb::AdmitPersonRequest {
    let mut request = admission(person("冯三", &id_number("211102", "19750505", "031")), now);
    request.referral = pb::Referral::Transfer as i32;
    request.transferred_from_case_id = from.to_owned();
    request
}

cluster_tests!(
    a_transfer_is_continued_by_the_receiving_station_only,
    |kit| {
        let now = kit.now();
        let id = id_number("211102", "19750505", "031");
        let first = kit
            .admit(
                &xlt_station(),
                admission(person("冯三", &id), now - Duration::hours(30)),
            )
            .await;
        let mut transfer = departure(
            &first.case_id,
            pb::DepartureKind::Transferred,
            now - Duration::hours(2),
        );
        transfer.transfer_to_station = "sz-station".to_owned();
        transfer.escorted = true;
        let closed = discharge(&kit, &xlt_station(), transfer).await.unwrap();
        assert!(closed.follow_up_id.is_empty());
        assert_eq!(
            kit.events::<pb::CaseClosed>().await[0].transfer_to_station,
            "sz-station"
        );

        // Not the receiving station, an open case, another kind of departure: not the caller's
        // to see, so NOT_FOUND, as for a missing case.
        let status = kit
            .intake(&city_station())
            .await
            .admit_person(transfer_admission(&first.case_id, now))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        let open = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), now - Duration::hours(1)),
            )
            .await;
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(transfer_admission(&open.case_id, now))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        discharge(
            &kit,
            &xlt_station(),
            departure(&open.case_id, pb::DepartureKind::SelfDeparture, now),
        )
        .await
        .unwrap();
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(transfer_admission(&open.case_id, now))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        // A missing case is NOT_FOUND.
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(transfer_admission(
                "0190a0f4-0000-7000-8000-000000000000",
                now,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        // The referral and the case go together.
        let mut without_case = transfer_admission("", now);
        without_case.referral_encounter_id = "0190a0f4-0000-7000-8000-000000000001".to_owned();
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(without_case)
            .await
            .unwrap_err();
        assert_invalid(
            &status,
            &["referral_encounter_id", "transferred_from_case_id"],
        );
        let mut walk_in_with_case = transfer_admission(&first.case_id, now);
        walk_in_with_case.referral = pb::Referral::WalkIn as i32;
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(walk_in_with_case)
            .await
            .unwrap_err();
        assert_invalid(&status, &["transferred_from_case_id"]);

        // The receiving station continues the stay: the case names the one it continues and is not
        // a repeat of it, though the ID number is the same.
        let continued = kit
            .admit(&sz_station(), transfer_admission(&first.case_id, now))
            .await;
        assert_eq!(continued.transferred_from_case_id, first.case_id);
        assert_eq!(continued.referral, pb::Referral::Transfer as i32);
        assert!(continued.repeat_of_case_ids.is_empty());
        assert_eq!(continued.division, "211102");
        let admitted = kit.events::<pb::PersonAdmitted>().await;
        let event = admitted
            .iter()
            .find(|event| event.case_id == continued.case_id)
            .unwrap();
        assert_eq!(event.continues_case_id, first.case_id);
        assert!(event.repeat_of_case_ids.is_empty());
        assert!(
            admitted
                .iter()
                .filter(|event| event.case_id != continued.case_id)
                .all(|event| event.continues_case_id.is_empty())
        );
        let read = kit
            .intake(&sz_station())
            .await
            .get_case(pb::GetCaseRequest {
                case_id: continued.case_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        assert_eq!(read.transferred_from_case_id, first.case_id);

        // A transfer is continued once.
        let status = kit
            .intake(&sz_station())
            .await
            .admit_person(transfer_admission(&first.case_id, now))
            .await
            .unwrap_err();
        assert_failed(&status, "TRANSFER_ALREADY_CONTINUED");

        // A later stay of the same person is a repeat of both earlier cases of the one stay.
        let mut onward = departure(&continued.case_id, pb::DepartureKind::SelfDeparture, now);
        onward.request_id = request_id();
        discharge(&kit, &sz_station(), onward).await.unwrap();
        let later = kit
            .admit(&city_station(), admission(person("冯三", &id), now))
            .await;
        let mut repeats = later.repeat_of_case_ids.clone();
        repeats.sort_unstable();
        let mut expected = vec![first.case_id.clone(), continued.case_id.clone()];
        expected.sort_unstable();
        assert_eq!(repeats, expected);
        kit.stop().await;
    }
);

/// The states of the stay deadlines of `case_ids`: (fired, cancelled, pending).
async fn stay_deadline_states(kit: &Kit, case_ids: &[String]) -> (usize, usize, usize) {
    let mut states = (0, 0, 0);
    for case_id in case_ids {
        let state: String = with_db!(&kit.db, |pool| {
            sqlx::query_scalar(
                "SELECT state FROM deadlines WHERE subject = $1 \
                 AND kind = 'intake.stay_over_10_days'",
            )
            .bind(format!("case/{case_id}"))
            .fetch_one(pool)
            .await
        })
        .unwrap();
        match state.as_str() {
            "fired" => states.0 += 1,
            "cancelled" => states.1 += 1,
            _ => states.2 += 1,
        }
    }
    states
}

cluster_tests!(
    a_discharge_racing_the_ten_day_flag_of_its_case_never_fails,
    |kit| {
        // Rounds of cases whose 10-day deadlines fall due at one instant: the clock moves there
        // and every case is discharged at once while the sweeper flags them one by one. Each
        // side locks the case's deadline before the case row, so they wait for each other
        // instead of deadlocking (on PostgreSQL one of a deadlocked pair is aborted: a
        // DischargeCase answered INTERNAL).
        const CASES: usize = 8;
        const ROUNDS: usize = 3;
        let client = kit.intake(&xlt_station()).await;
        for round in 0..ROUNDS {
            let admitted_at = kit.now() - Duration::hours(1);
            let mut case_ids = Vec::new();
            for n in 0..CASES {
                let id = id_number("211103", "19700101", &format!("{:03}", round * CASES + n));
                let case = kit
                    .admit(&xlt_station(), admission(person("钱七", &id), admitted_at))
                    .await;
                case_ids.push(case.case_id);
            }
            let due = relief_legal::status_days(admitted_at, 10);
            kit.cluster.clock.set(due).unwrap();
            let mut discharges = tokio::task::JoinSet::new();
            for case_id in &case_ids {
                let mut client = client.clone();
                let request = departure(case_id, pb::DepartureKind::SelfDeparture, due);
                discharges.spawn(async move { client.discharge_case(request).await });
            }
            while let Some(done) = discharges.join_next().await {
                let closed = done.unwrap().unwrap().into_inner().case.unwrap();
                assert_eq!(closed.status, pb::CaseStatus::Closed as i32);
            }

            // Each deadline fired before its discharge (the stay was flagged, then closed) or
            // was cancelled by it (never flagged).
            wait_until("the sweeper is done with the round", || async {
                stay_deadline_states(&kit, &case_ids).await.2 == 0
            })
            .await;
            let (fired, cancelled, _) = stay_deadline_states(&kit, &case_ids).await;
            assert_eq!(fired + cancelled, CASES);
            let flagged = kit
                .events::<pb::StayFlagged>()
                .await
                .into_iter()
                .filter(|flag| case_ids.contains(&flag.case_id))
                .count();
            assert_eq!(flagged, fired);
        }
        kit.stop().await;
    }
);
