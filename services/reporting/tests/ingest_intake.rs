//! Ingestion of the intake feed and of the notification events (every feed carries them), through
//! the real `Ingest` handler on a migrated reporting database (both backends):
//!
//! - each figure from a small event sequence: sightings and encounters on their local day,
//!   admissions NEW / TRANSFER with vulnerable groups and identities confirmed at admission (NEW
//!   only), departures by kind, service costs by kind, repeat cases per current origin county;
//! - revisions: an origin learned later moves the repeat fact, a split removes it (or moves it to
//!   the other link's day), a link seen before its admission counts once the case arrives;
//! - late items of intake's deadline kinds (stay over 10 days, hospital identification,
//!   follow-up), raised and done, and withdrawn when the events show the obligation met;
//! - major situations: one death or disappearance per case however many events report it, abuse
//!   reports and guardian abuse found at a follow-up;
//! - notifications issued, acknowledged (the first acknowledgement stands), escalated (the
//!   `notification.ack` late item), owned by the feed's service;
//! - idempotency: applying every event twice, or the whole sequence twice, leaves exactly the
//!   read models of applying it once.
//!
//! Times are written `"MM-DD HH:MM"`, local (Asia/Shanghai) in 2026, see [`at`].

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod support;

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use prost_types::Timestamp;
use relief_proto::common::v1::{CallerKind as ProtoKind, UnitRef};
use relief_proto::intake::v1 as pb;
use relief_proto::notifications::v1 as notifications;
use relief_proto::reporting::v1::MajorSituationKind;
use relief_reporting::facts::Contribution;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::time::timestamp;
use support::{
    Feed, LateRow, Reporting, apply_event, count, daily, fact, late_item, major_situation, rows,
    snapshot,
};

/// 兴隆台区: the admitting station's division in these tests.
const XLT: &str = "211103";
/// 大洼区.
const DAWA: &str = "211104";
/// 大洼县, 大洼区's code until 2015 (old ID numbers carry it).
const DAWA_FORMER: &str = "211121";
/// 盘山县.
const PANSHAN: &str = "211122";
/// The 兴隆台 station.
const STATION: &str = "xlt-station";
/// Full names of the events that report major situations.
const CASE_CLOSED: &str = "relief.intake.v1.CaseClosed";
const INCIDENT_REPORTED: &str = "relief.intake.v1.IncidentReported";

/// The instant of `"MM-DD HH:MM"` (or `"MM-DD HH:MM:SS"`) local time in 2026.
fn at(local: &str) -> DateTime<Utc> {
    let (date, time) = local.split_once(' ').unwrap();
    let time = if time.len() == 5 {
        format!("{time}:00")
    } else {
        time.to_owned()
    };
    support::instant(&format!("2026-{date}T{time}+08:00"))
}

fn ts(local: &str) -> Option<Timestamp> {
    Some(timestamp(at(local)))
}

/// `at(local)` in stored microseconds.
fn micros(local: &str) -> i64 {
    at(local).timestamp_micros()
}

// ---- event constructors ----------------------------------------------------------------------

/// A walk-in admission at the 兴隆台 station, identity unknown, no flags, origin unknown.
fn admitted(case_id: &str, when: &str) -> pb::PersonAdmitted {
    pb::PersonAdmitted {
        case_id: case_id.to_owned(),
        station: STATION.to_owned(),
        division: XLT.to_owned(),
        admitted_at: ts(when),
        referral: pb::Referral::WalkIn as i32,
        identity_status: pb::IdentityStatus::Unknown as i32,
        flags: None,
        origin_division: String::new(),
        ten_day_rule_applies: true,
        repeat_of_case_ids: Vec::new(),
        continues_case_id: String::new(),
    }
}

fn closed(case_id: &str, kind: pb::DepartureKind, when: &str, origin: &str) -> pb::CaseClosed {
    pb::CaseClosed {
        case_id: case_id.to_owned(),
        division: XLT.to_owned(),
        kind: kind as i32,
        departed_at: ts(when),
        destination_division: String::new(),
        transfer_to_station: String::new(),
        origin_division: origin.to_owned(),
    }
}

fn linked(case_id: &str, earlier: &str, origin: &str, when: &str) -> pb::RepeatLinked {
    pb::RepeatLinked {
        case_id: case_id.to_owned(),
        earlier_case_id: earlier.to_owned(),
        origin_division: origin.to_owned(),
        linked_at: ts(when),
    }
}

fn split(case_id: &str, earlier: &str, origin: &str, when: &str) -> pb::RepeatSplit {
    pb::RepeatSplit {
        case_id: case_id.to_owned(),
        earlier_case_id: earlier.to_owned(),
        split_at: ts(when),
        origin_division: origin.to_owned(),
    }
}

fn sighting(sighting_id: &str, division: &str, when: &str) -> pb::SightingReported {
    pb::SightingReported {
        sighting_id: sighting_id.to_owned(),
        division: division.to_owned(),
        found_at: ts(when),
        flags: None,
        reported_by: None,
    }
}

fn encounter(
    encounter_id: &str,
    outcome: pb::EncounterOutcome,
    when: &str,
) -> pb::EncounterRecorded {
    pb::EncounterRecorded {
        encounter_id: encounter_id.to_owned(),
        division: XLT.to_owned(),
        occurred_at: ts(when),
        outcome: outcome as i32,
        ..pb::EncounterRecorded::default()
    }
}

fn service(kind: pb::ServiceKind, when: &str, cost_fen: i64) -> pb::ServiceRecorded {
    pb::ServiceRecorded {
        case_id: "c1".to_owned(),
        division: XLT.to_owned(),
        kind: kind as i32,
        given_at: ts(when),
        cost_fen,
    }
}

fn incident(id: &str, case_id: &str, kind: pb::IncidentKind, when: &str) -> pb::IncidentReported {
    pb::IncidentReported {
        incident_id: id.to_owned(),
        case_id: case_id.to_owned(),
        division: XLT.to_owned(),
        kind: kind as i32,
        occurred_at: ts(when),
    }
}

fn abuse(report_id: &str, case_id: &str, division: &str, when: &str) -> pb::AbuseSuspected {
    pb::AbuseSuspected {
        report_id: report_id.to_owned(),
        case_id: case_id.to_owned(),
        division: division.to_owned(),
        reported_by: None,
        reported_at: ts(when),
    }
}

fn stay_flagged(case_id: &str, over_since: &str) -> pb::StayFlagged {
    pb::StayFlagged {
        case_id: case_id.to_owned(),
        division: XLT.to_owned(),
        over_since: ts(over_since),
    }
}

fn stay_justified(case_id: &str, when: &str) -> pb::StayJustified {
    pb::StayJustified {
        case_id: case_id.to_owned(),
        division: XLT.to_owned(),
        justified_at: ts(when),
    }
}

fn identification_overdue(encounter_id: &str, due: &str) -> pb::HospitalIdentificationOverdue {
    pb::HospitalIdentificationOverdue {
        encounter_id: encounter_id.to_owned(),
        division: XLT.to_owned(),
        due_at: ts(due),
    }
}

fn identified(
    encounter_id: &str,
    when: &str,
    on_time: bool,
) -> pb::HospitalIdentificationCompleted {
    pb::HospitalIdentificationCompleted {
        encounter_id: encounter_id.to_owned(),
        division: XLT.to_owned(),
        identified_at: ts(when),
        on_time,
        needs_relief: true,
    }
}

/// A follow-up of case c1, owed by 大洼区 (the destination county).
fn follow_up_overdue(follow_up_id: &str, due: &str) -> pb::FollowUpOverdue {
    pb::FollowUpOverdue {
        follow_up_id: follow_up_id.to_owned(),
        division: DAWA.to_owned(),
        due_at: ts(due),
        case_id: "c1".to_owned(),
    }
}

/// A follow-up of case c1 recorded by 大洼区, late or not, with guardian abuse found or not.
fn follow_up(follow_up_id: &str, when: &str, on_time: bool, abuse: bool) -> pb::FollowUpRecorded {
    pb::FollowUpRecorded {
        follow_up_id: follow_up_id.to_owned(),
        case_id: "c1".to_owned(),
        division: DAWA.to_owned(),
        recorded_at: ts(when),
        on_time,
        guardian_abuse_found: abuse,
    }
}

fn unit(kind: ProtoKind, division: &str, unit: &str) -> UnitRef {
    UnitRef {
        kind: kind as i32,
        division: division.to_owned(),
        unit: unit.to_owned(),
    }
}

fn city_civil_affairs() -> UnitRef {
    unit(ProtoKind::CivilAffairs, "211100", "city-civil-affairs")
}

/// A notification of `kind` to the 兴隆台 station, issued at `when`, due by `by`.
fn issued(id: &str, kind: &str, when: &str, by: &str) -> notifications::NotificationIssued {
    notifications::NotificationIssued {
        notification_id: id.to_owned(),
        kind: kind.to_owned(),
        subject: "incident/i1".to_owned(),
        recipient: Some(unit(ProtoKind::Station, XLT, STATION)),
        issued_at: ts(when),
        acknowledge_by: ts(by),
        escalation_of: String::new(),
        division: XLT.to_owned(),
    }
}

fn acknowledged(id: &str, when: &str, on_time: bool) -> notifications::NotificationAcknowledged {
    notifications::NotificationAcknowledged {
        notification_id: id.to_owned(),
        acknowledged_at: ts(when),
        on_time,
    }
}

fn escalated(id: &str, when: &str) -> notifications::NotificationEscalated {
    notifications::NotificationEscalated {
        notification_id: id.to_owned(),
        escalated_at: ts(when),
        escalated_to: vec![city_civil_affairs()],
    }
}

/// A count of one on `day` in `division` under `dim`.
fn one(day: &str, division: &str, dim: &str) -> Option<Contribution> {
    Some(Contribution::one(day.to_owned(), division, dim))
}

/// A daily counter row.
fn counter(day: &str, division: &str, dim: &str, value: i64) -> (String, String, String, i64) {
    (day.to_owned(), division.to_owned(), dim.to_owned(), value)
}

// ---- figures ---------------------------------------------------------------------------------

support::reporting_tests!(
    sightings_and_encounters_count_on_their_local_day,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        // 23:30 in Panjin is still March 31 there; 00:10 is April 1 (March 31 in UTC).
        intake
            .send(at("03-31 23:30"), &sighting("s1", XLT, "03-31 23:30"))
            .await;
        intake
            .send(at("04-01 00:10"), &sighting("s2", PANSHAN, "04-01 00:10"))
            .await;
        let (escorted, refused) = (
            pb::EncounterOutcome::Escorted,
            pb::EncounterOutcome::Refused,
        );
        intake
            .send(at("04-01 00:40"), &encounter("e1", escorted, "04-01 00:40"))
            .await;
        intake
            .send(at("04-01 09:00"), &encounter("e2", refused, "04-01 09:00"))
            .await;
        intake
            .send(at("04-01 10:00"), &encounter("e3", escorted, "04-01 10:00"))
            .await;

        assert_eq!(fact(db, "sighting", "s1").await, one("2026-03-31", XLT, ""));
        assert_eq!(
            fact(db, "sighting", "s2").await,
            one("2026-04-01", PANSHAN, "")
        );
        assert_eq!(
            daily(db, "encounter").await,
            [
                counter("2026-04-01", XLT, "ENCOUNTER_OUTCOME_ESCORTED", 2),
                counter("2026-04-01", XLT, "ENCOUNTER_OUTCOME_REFUSED", 1),
            ]
        );
    }
);

support::reporting_tests!(
    admissions_count_new_and_transfers_and_the_groups_of_new_ones_only,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        let flags = pb::VulnerableFlags {
            minor: true,
            disabled: true,
            ..pb::VulnerableFlags::default()
        };
        let new = pb::PersonAdmitted {
            identity_status: pb::IdentityStatus::Confirmed as i32,
            flags: Some(flags),
            origin_division: DAWA_FORMER.to_owned(),
            ..admitted("c1", "03-02 09:00")
        };
        intake.send(at("03-02 09:00"), &new).await;
        // The same person transferred on to 双台子 continues the same stay.
        let transfer = pb::PersonAdmitted {
            case_id: "c2".to_owned(),
            station: "sz-station".to_owned(),
            division: "211102".to_owned(),
            admitted_at: ts("03-05 15:00"),
            referral: pb::Referral::Transfer as i32,
            continues_case_id: "c1".to_owned(),
            ..new.clone()
        };
        intake.send(at("03-05 15:00"), &transfer).await;

        assert_eq!(
            fact(db, "admission", "c1").await,
            one("2026-03-02", XLT, "NEW")
        );
        assert_eq!(
            fact(db, "admission.minor", "c1").await,
            one("2026-03-02", XLT, "")
        );
        assert_eq!(
            fact(db, "admission.disabled", "c1").await,
            one("2026-03-02", XLT, "")
        );
        assert_eq!(fact(db, "admission.elderly", "c1").await, None);
        let at_admission = one("2026-03-02", XLT, "AT_ADMISSION");
        assert_eq!(fact(db, "identification", "case:c1").await, at_admission);
        let transferred = one("2026-03-05", "211102", "TRANSFER");
        assert_eq!(fact(db, "admission", "c2").await, transferred);
        assert_eq!(fact(db, "admission.minor", "c2").await, None);
        assert_eq!(fact(db, "identification", "case:c2").await, None);
        let unset = "over_10_since=NULL|justified_at=NULL|closed_at=NULL|departure_kind=NULL|\
                     destination_division=NULL";
        assert_eq!(
            rows(db, "r_cases").await,
            [
                format!(
                    "case_id=c1|station={STATION}|division={XLT}|admitted_at={}|\
                     admitted_day=2026-03-02|referral=1|identity_status=1|flags=9|\
                     origin_division={DAWA}|origin_confirmed=0|continues_case_id=NULL|{unset}",
                    micros("03-02 09:00")
                ),
                format!(
                    "case_id=c2|station=sz-station|division=211102|admitted_at={}|\
                     admitted_day=2026-03-05|referral=4|identity_status=1|flags=9|\
                     origin_division={DAWA}|origin_confirmed=0|continues_case_id=c1|{unset}",
                    micros("03-05 15:00")
                ),
            ]
        );
    }
);

support::reporting_tests!(
    departures_count_by_kind_and_a_death_is_one_situation_per_case,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        for case_id in ["c1", "c2", "c3", "c4"] {
            intake
                .send(at("03-01 10:00"), &admitted(case_id, "03-01 10:00"))
                .await;
        }
        let home = pb::CaseClosed {
            destination_division: DAWA.to_owned(),
            ..closed("c1", pb::DepartureKind::ReturnedHome, "03-04 10:00", "")
        };
        intake.send(at("03-04 10:00"), &home).await;
        // The death is reported as an incident first, then the case closes with it.
        let death = pb::IncidentKind::Death;
        intake
            .send(
                at("03-05 08:00"),
                &incident("i1", "c2", death, "03-05 06:30"),
            )
            .await;
        let died = closed("c2", pb::DepartureKind::Death, "03-05 07:00", "");
        intake.send(at("03-05 09:00"), &died).await;
        // Missing: the incident, then the case closed as missing two days later.
        let missing = pb::IncidentKind::Missing;
        intake
            .send(
                at("03-06 20:00"),
                &incident("i2", "c3", missing, "03-06 19:00"),
            )
            .await;
        let gone = closed("c3", pb::DepartureKind::Missing, "03-08 19:00", "");
        intake.send(at("03-08 20:00"), &gone).await;
        // An injury is no major situation.
        let injury = pb::IncidentKind::Injury;
        intake
            .send(
                at("03-07 12:00"),
                &incident("i3", "c4", injury, "03-07 11:00"),
            )
            .await;

        let returned = one("2026-03-04", XLT, "DEPARTURE_KIND_RETURNED_HOME");
        assert_eq!(fact(db, "departure", "c1").await, returned);
        assert_eq!(
            daily(db, "departure").await,
            [
                counter("2026-03-04", XLT, "DEPARTURE_KIND_RETURNED_HOME", 1),
                counter("2026-03-05", XLT, "DEPARTURE_KIND_DEATH", 1),
                counter("2026-03-08", XLT, "DEPARTURE_KIND_MISSING", 1),
            ]
        );
        assert_eq!(count(db, "r_major_situations").await, 2);
        // One situation per case, at the earliest reported instant, from both events.
        let both = format!("{CASE_CLOSED},{INCIDENT_REPORTED}");
        assert_eq!(
            major_situation(db, "DEATH:c2").await,
            Some(support::MajorRow {
                kind: MajorSituationKind::Death as i32,
                division: XLT.to_owned(),
                case_id: Some("c2".to_owned()),
                subject: "case/c2".to_owned(),
                occurred_at: at("03-05 06:30"),
                occurred_day: "2026-03-05".to_owned(),
                sources: both.clone(),
            })
        );
        let missing = major_situation(db, "MISSING:c3").await.unwrap();
        assert_eq!(missing.kind, MajorSituationKind::Missing as i32);
        assert_eq!(
            (missing.occurred_at, missing.sources),
            (at("03-06 19:00"), both)
        );
    }
);

support::reporting_tests!(
    abuse_reports_and_guardian_abuse_found_are_situations_of_their_own,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        intake
            .send(at("03-01 10:00"), &admitted("c1", "03-01 10:00"))
            .await;
        intake
            .send(at("03-02 10:00"), &abuse("r1", "c1", XLT, "03-02 10:00"))
            .await;
        intake
            .send(at("03-03 10:00"), &abuse("r2", "", PANSHAN, "03-03 10:00"))
            .await;
        intake
            .send(
                at("04-01 10:00"),
                &follow_up("f1", "04-01 10:00", true, true),
            )
            .await;
        intake
            .send(
                at("04-02 10:00"),
                &follow_up("f2", "04-02 10:00", true, false),
            )
            .await;

        assert_eq!(count(db, "r_major_situations").await, 3);
        let r1 = major_situation(db, "ABUSE:r1").await.unwrap();
        assert_eq!(r1.kind, MajorSituationKind::Abuse as i32);
        assert_eq!(
            (
                r1.division.as_str(),
                r1.case_id.as_deref(),
                r1.subject.as_str()
            ),
            (XLT, Some("c1"), "abuse-report/r1")
        );
        let r2 = major_situation(db, "ABUSE:r2").await.unwrap();
        assert_eq!((r2.division.as_str(), r2.case_id), (PANSHAN, None));
        // Found at the follow-up: in the county that owes it.
        let f1 = major_situation(db, "ABUSE:f1").await.unwrap();
        assert_eq!(
            (
                f1.division.as_str(),
                f1.case_id.as_deref(),
                f1.subject.as_str()
            ),
            (DAWA, Some("c1"), "follow-up/f1")
        );
        assert_eq!(f1.sources, "relief.intake.v1.FollowUpRecorded");
    }
);

support::reporting_tests!(
    service_costs_sum_by_kind_on_the_day_given,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        intake
            .send(at("03-01 10:00"), &admitted("c1", "03-01 10:00"))
            .await;
        let (treatment, meals) = (pb::ServiceKind::Treatment, pb::ServiceKind::Meals);
        intake
            .send(
                at("03-02 10:00"),
                &service(treatment, "03-02 08:00", 12_050),
            )
            .await;
        intake
            .send(at("03-02 11:00"), &service(treatment, "03-02 09:00", 3_000))
            .await;
        intake
            .send(at("03-03 11:00"), &service(meals, "03-02 12:00", 1_500))
            .await;

        // Keyed by the envelope's event id (the second event of the feed).
        assert_eq!(
            fact(db, "cost_fen", "intake:2").await,
            Some(Contribution {
                day: "2026-03-02".to_owned(),
                division: XLT.to_owned(),
                dim: "SERVICE_KIND_TREATMENT".to_owned(),
                value: 12_050,
            })
        );
        assert_eq!(
            daily(db, "cost_fen").await,
            [
                counter("2026-03-02", XLT, "SERVICE_KIND_MEALS", 1_500),
                counter("2026-03-02", XLT, "SERVICE_KIND_TREATMENT", 15_050),
            ]
        );
    }
);

// ---- repeat vagrancy and its revisions ---------------------------------------------------------

support::reporting_tests!(
    repeats_count_per_current_origin_county_and_follow_revisions,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        intake
            .send(at("01-05 10:00"), &admitted("c1", "01-05 10:00"))
            .await;
        // c2: an old ID number with 大洼县's code, counted under 大洼区.
        let c2 = pb::PersonAdmitted {
            origin_division: DAWA_FORMER.to_owned(),
            repeat_of_case_ids: vec!["c1".to_owned()],
            ..admitted("c2", "03-02 10:00")
        };
        intake.send(at("03-02 10:00"), &c2).await;
        intake
            .send(
                at("03-02 10:00"),
                &linked("c2", "c1", DAWA_FORMER, "03-02 10:00"),
            )
            .await;
        assert_eq!(fact(db, "repeat", "c2").await, one("2026-03-02", XLT, DAWA));

        // c3: origin unknown at admission; learnt later, carried by its closing.
        intake
            .send(at("03-03 10:00"), &admitted("c3", "03-03 10:00"))
            .await;
        intake
            .send(at("03-03 10:00"), &linked("c3", "c1", "", "03-03 10:00"))
            .await;
        assert_eq!(fact(db, "repeat", "c3").await, one("2026-03-03", XLT, ""));
        let home = closed(
            "c3",
            pb::DepartureKind::ReturnedHome,
            "03-20 10:00",
            PANSHAN,
        );
        intake.send(at("03-20 10:00"), &home).await;
        assert_eq!(
            fact(db, "repeat", "c3").await,
            one("2026-03-03", XLT, PANSHAN)
        );
        assert_eq!(
            daily(db, "repeat").await,
            [
                counter("2026-03-02", XLT, DAWA, 1),
                counter("2026-03-03", XLT, PANSHAN, 1),
            ]
        );

        // A wrong link split: c2 is no repeat any more.
        intake
            .send(
                at("03-25 10:00"),
                &split("c2", "c1", DAWA_FORMER, "03-25 10:00"),
            )
            .await;
        assert_eq!(fact(db, "repeat", "c2").await, None);
        assert_eq!(
            daily(db, "repeat").await,
            [counter("2026-03-03", XLT, PANSHAN, 1)]
        );
        assert_eq!(
            rows(db, "r_repeat_links").await[0],
            format!(
                "case_id=c2|earlier_case_id=c1|origin_division={DAWA}|linked_at={}|split_at={}",
                micros("03-02 10:00"),
                micros("03-25 10:00")
            )
        );
    }
);

support::reporting_tests!(
    a_split_of_the_first_of_two_links_moves_the_repeat_to_the_other,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        for case_id in ["c1", "c2"] {
            intake
                .send(at("01-05 10:00"), &admitted(case_id, "01-05 10:00"))
                .await;
        }
        intake
            .send(at("03-02 10:00"), &admitted("c3", "03-02 10:00"))
            .await;
        intake
            .send(at("03-02 10:00"), &linked("c3", "c1", DAWA, "03-02 10:00"))
            .await;
        // The second link is made when an identity is confirmed, a week later.
        intake
            .send(at("03-09 10:00"), &linked("c3", "c2", DAWA, "03-09 10:00"))
            .await;
        assert_eq!(fact(db, "repeat", "c3").await, one("2026-03-02", XLT, DAWA));
        intake
            .send(at("03-10 10:00"), &split("c3", "c1", DAWA, "03-10 10:00"))
            .await;
        assert_eq!(fact(db, "repeat", "c3").await, one("2026-03-09", XLT, DAWA));
        intake
            .send(at("03-11 10:00"), &split("c3", "c2", DAWA, "03-11 10:00"))
            .await;
        assert_eq!(fact(db, "repeat", "c3").await, None);
        assert_eq!(daily(db, "repeat").await, []);
    }
);

support::reporting_tests!(
    a_link_seen_before_its_admission_counts_once_the_case_arrives,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        // Only another feed's order could do this; the figure must not depend on it.
        let link = linked("c2", "c1", PANSHAN, "03-02 10:00");
        apply_event(db, &support::event("intake", 7, at("03-02 10:00"), &link)).await;
        assert_eq!(fact(db, "repeat", "c2").await, None);
        let admission = admitted("c2", "03-02 10:00");
        apply_event(
            db,
            &support::event("intake", 6, at("03-02 10:00"), &admission),
        )
        .await;
        assert_eq!(
            fact(db, "repeat", "c2").await,
            one("2026-03-02", XLT, PANSHAN)
        );
    }
);

support::reporting_tests!(
    a_transfer_linked_to_the_same_earlier_stay_counts_once,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        // c2 is a repeat of c1 and counts; c3 continues c2 at another station (a transfer) and
        // intake links it to c1 too: the same stay, not a second repeat.
        let mut transfer = admitted("c3", "03-04 10:00");
        transfer.referral = pb::Referral::Transfer as i32;
        transfer.continues_case_id = "c2".to_owned();
        let when = at("03-02 10:00");
        apply_event(
            db,
            &support::event("intake", 1, when, &admitted("c2", "03-02 10:00")),
        )
        .await;
        let link = linked("c2", "c1", PANSHAN, "03-02 10:00");
        apply_event(db, &support::event("intake", 2, when, &link)).await;
        apply_event(db, &support::event("intake", 3, when, &transfer)).await;
        let link = linked("c3", "c1", PANSHAN, "03-04 10:00");
        apply_event(db, &support::event("intake", 4, when, &link)).await;
        assert_eq!(
            fact(db, "repeat", "c2").await,
            one("2026-03-02", XLT, PANSHAN)
        );
        assert_eq!(fact(db, "repeat", "c3").await, None);
    }
);

support::reporting_tests!(
    the_confirmed_origin_stands_whichever_feed_comes_first,
    |reporting: Reporting| async move {
        // Intake linked c2 to c1 under the origin the person stated (Panshan); identity confirmed
        // Dawa. Whether identity's event is applied before or after intake's, the repeat counts
        // under Dawa.
        let confirmed = relief_proto::identity::v1::IdentityConfirmed {
            file_id: "f-2".to_owned(),
            case_id: "c2".to_owned(),
            division: XLT.to_owned(),
            confirmed_at: ts("03-03 10:00"),
            method: relief_proto::identity::v1::ConfirmationMethod::Relatives as i32,
            person_key: String::new(),
            origin_division: DAWA.to_owned(),
        };
        let when = at("03-02 10:00");
        let identity_first = reporting.another().await;
        for (db, identity_seq) in [(&reporting.db, 3), (&identity_first.db, 0)] {
            if identity_seq == 0 {
                apply_event(db, &support::event("identity", 1, when, &confirmed)).await;
            }
            let admission = admitted("c2", "03-02 10:00");
            apply_event(db, &support::event("intake", 1, when, &admission)).await;
            let link = linked("c2", "c1", PANSHAN, "03-02 10:00");
            apply_event(db, &support::event("intake", 2, when, &link)).await;
            if identity_seq != 0 {
                apply_event(db, &support::event("identity", 1, when, &confirmed)).await;
            }
            assert_eq!(fact(db, "repeat", "c2").await, one("2026-03-02", XLT, DAWA));
        }
    }
);

// ---- late items ------------------------------------------------------------------------------

#[test]
fn the_late_item_kinds_are_the_deadline_kinds_intake_schedules() {
    use relief_reporting::ingest::late;
    let kinds = relief_intake::deadline_kinds();
    for kind in [
        late::HOSPITAL_IDENTIFICATION,
        late::STAY_OVER_10_DAYS,
        late::FOLLOW_UP,
    ] {
        assert!(kinds.contains(&kind), "{kind} is not scheduled by intake");
    }
    assert_eq!(
        relief_reporting::ingest::notifications::ACK_DEADLINE,
        relief_runtime::notifications::ACK_DEADLINE_KIND
    );
}

support::reporting_tests!(
    a_stay_over_ten_days_is_late_until_justified_or_ended,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        for case_id in ["c1", "c2", "c3"] {
            intake
                .send(at("03-01 10:00"), &admitted(case_id, "03-01 10:00"))
                .await;
        }
        // c1 flagged at its 10-day instant (the sweeper ran a minute later), justified after.
        let over_since = "03-12 00:00";
        intake
            .send(at("03-12 00:01"), &stay_flagged("c1", over_since))
            .await;
        let raised = LateRow {
            kind: "intake.stay_over_10_days".to_owned(),
            division: XLT.to_owned(),
            responsible_unit: Some(STATION.to_owned()),
            due_at: at(over_since),
            late_at: at("03-12 00:01"),
            done_at: None,
            done_day: None,
        };
        let c1 = "intake.stay_over_10_days:c1";
        assert_eq!(late_item(db, c1).await, Some(raised.clone()));
        intake
            .send(at("03-14 09:00"), &stay_justified("c1", "03-14 09:00"))
            .await;
        let done = LateRow {
            done_at: Some(at("03-14 09:00")),
            done_day: Some("2026-03-14".to_owned()),
            ..raised
        };
        assert_eq!(late_item(db, c1).await, Some(done));
        // c2 justified in advance: no lateness.
        intake
            .send(at("03-10 09:00"), &stay_justified("c2", "03-10 09:00"))
            .await;
        intake
            .send(at("03-12 00:01"), &stay_flagged("c2", over_since))
            .await;
        assert_eq!(late_item(db, "intake.stay_over_10_days:c2").await, None);
        // c3 flagged, then the person returned home: done at the departure.
        intake
            .send(at("03-12 00:01"), &stay_flagged("c3", over_since))
            .await;
        let home = closed("c3", pb::DepartureKind::ReturnedHome, "03-13 08:00", "");
        intake.send(at("03-13 09:00"), &home).await;
        let c3 = late_item(db, "intake.stay_over_10_days:c3").await.unwrap();
        assert_eq!(c3.done_at, Some(at("03-13 08:00")));
        assert_eq!(count(db, "r_late_items").await, 2);
    }
);

support::reporting_tests!(
    hospital_identifications_and_follow_ups_late_then_done,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        let illness = pb::EncounterOutcome::AcuteIllness;
        intake
            .send(at("03-01 10:00"), &encounter("e1", illness, "03-01 10:00"))
            .await;
        intake
            .send(at("03-01 10:00"), &encounter("e2", illness, "03-01 10:00"))
            .await;
        let due = "03-02 10:00";
        intake
            .send(at("03-02 10:00:05"), &identification_overdue("e1", due))
            .await;
        intake
            .send(at("03-02 10:00:05"), &identification_overdue("e2", due))
            .await;
        let e1 = late_item(db, "intake.hospital_identification:e1")
            .await
            .unwrap();
        assert_eq!((e1.division.as_str(), e1.responsible_unit), (XLT, None));
        assert_eq!(
            (e1.due_at, e1.late_at, e1.done_at),
            (at(due), at("03-02 10:00:05"), None)
        );
        // e1 identified late; e2 identified in time, only recorded after the overdue event.
        intake
            .send(at("03-02 15:00"), &identified("e1", "03-02 14:00", false))
            .await;
        intake
            .send(at("03-02 15:00"), &identified("e2", "03-02 09:00", true))
            .await;
        let e1 = late_item(db, "intake.hospital_identification:e1")
            .await
            .unwrap();
        assert_eq!(e1.done_at, Some(at("03-02 14:00")));
        assert_eq!(
            late_item(db, "intake.hospital_identification:e2").await,
            None
        );

        // A follow-up owed by 大洼区, overdue, then recorded.
        intake
            .send(
                at("04-04 00:00:10"),
                &follow_up_overdue("f1", "04-04 00:00"),
            )
            .await;
        let f1 = late_item(db, "intake.follow_up:f1").await.unwrap();
        assert_eq!(
            (f1.kind.as_str(), f1.division.as_str()),
            ("intake.follow_up", DAWA)
        );
        assert_eq!(
            (f1.due_at, f1.late_at),
            (at("04-04 00:00"), at("04-04 00:00:10"))
        );
        intake
            .send(
                at("04-06 11:00"),
                &follow_up("f1", "04-06 11:00", false, false),
            )
            .await;
        let f1 = late_item(db, "intake.follow_up:f1").await.unwrap();
        assert_eq!(f1.done_at, Some(at("04-06 11:00")));
        assert_eq!(f1.done_day.as_deref(), Some("2026-04-06"));
    }
);

// ---- notifications ---------------------------------------------------------------------------

support::reporting_tests!(
    a_notification_issued_then_acknowledged,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        // Identity's notification travels on identity's feed: identity owns it.
        let mut identity = Feed::new(db, "identity");
        let notice = notifications::NotificationIssued {
            subject: "file/f1".to_owned(),
            ..issued("n1", "NOTICE_OVERDUE", "03-02 10:00", "03-03 10:00")
        };
        identity.send(at("03-02 10:00"), &notice).await;
        let issued_row = format!(
            "notification_id=n1|source_service=identity|kind=NOTICE_OVERDUE|subject=file/f1|\
             division={XLT}|recipient_kind={}|recipient_division={XLT}|recipient_unit={STATION}|\
             issued_at={}|acknowledge_by={}|escalation_of=NULL",
            ProtoKind::Station as i32,
            micros("03-02 10:00"),
            micros("03-03 10:00"),
        );
        assert_eq!(
            rows(db, "r_notifications").await,
            [format!(
                "{issued_row}|acknowledged_at=NULL|ack_on_time=NULL|escalated_at=NULL"
            )]
        );
        identity
            .send(at("03-02 16:00"), &acknowledged("n1", "03-02 16:00", true))
            .await;
        // A second acknowledgement (the runtime never sends one) changes nothing.
        identity
            .send(at("03-04 16:00"), &acknowledged("n1", "03-04 16:00", false))
            .await;
        assert_eq!(
            rows(db, "r_notifications").await,
            [format!(
                "{issued_row}|acknowledged_at={}|ack_on_time=1|escalated_at=NULL",
                micros("03-02 16:00")
            )]
        );
        assert_eq!(count(db, "r_late_items").await, 0);
    }
);

support::reporting_tests!(
    an_escalated_notification_is_a_late_acknowledgement_until_acknowledged,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut intake = Feed::new(db, "intake");
        intake
            .send(
                at("03-02 10:00"),
                &issued("n1", "INCIDENT_REPORTED", "03-02 10:00", "03-03 10:00"),
            )
            .await;
        // The runtime issues the escalation, then records the escalation, in one transaction.
        let escalation = notifications::NotificationIssued {
            recipient: Some(city_civil_affairs()),
            escalation_of: "n1".to_owned(),
            ..issued(
                "n2",
                "NOTIFICATION_UNACKNOWLEDGED",
                "03-03 10:00:30",
                "03-04 10:00:30",
            )
        };
        intake.send(at("03-03 10:00:30"), &escalation).await;
        intake
            .send(at("03-03 10:00:30"), &escalated("n1", "03-03 10:00:30"))
            .await;
        let raised = LateRow {
            kind: "notification.ack".to_owned(),
            division: XLT.to_owned(),
            responsible_unit: Some(STATION.to_owned()),
            due_at: at("03-03 10:00"),
            late_at: at("03-03 10:00:30"),
            done_at: None,
            done_day: None,
        };
        assert_eq!(late_item(db, "notification.ack:n1").await, Some(raised));
        intake
            .send(at("03-03 18:00"), &acknowledged("n1", "03-03 18:00", false))
            .await;
        let item = late_item(db, "notification.ack:n1").await.unwrap();
        assert_eq!(item.done_at, Some(at("03-03 18:00")));

        let rows = rows(db, "r_notifications").await;
        let escalated_at = format!("escalated_at={}", micros("03-03 10:00:30"));
        assert!(rows[0].contains("|ack_on_time=0|"), "{}", rows[0]);
        assert!(rows[0].ends_with(&escalated_at), "{}", rows[0]);
        assert!(rows[1].contains("|escalation_of=n1|"), "{}", rows[1]);
        assert!(
            rows.iter()
                .all(|row| row.contains("|source_service=intake|"))
        );
    }
);

// ---- idempotency -----------------------------------------------------------------------------

/// The events of one intake feed, numbered from 1, not applied yet.
#[derive(Debug, Default)]
struct Story(Vec<ReceivedEvent>);

impl Story {
    fn send<M: Message + Name>(&mut self, when: &str, message: &M) {
        let seq = i64::try_from(self.0.len()).unwrap() + 1;
        self.0
            .push(support::event("intake", seq, at(when), message));
    }
}

/// A story touching every handler of this feed, with revisions, as one ordered intake feed.
fn story() -> Vec<ReceivedEvent> {
    use pb::DepartureKind::{Death, Missing, ReturnedHome};
    let mut story = Story::default();
    story.send("03-01 08:00", &sighting("s1", XLT, "03-01 08:00"));
    let illness = pb::EncounterOutcome::AcuteIllness;
    story.send("03-01 09:00", &encounter("e1", illness, "03-01 09:00"));
    story.send("03-01 10:00", &admitted("c1", "03-01 10:00"));
    let c2 = pb::PersonAdmitted {
        flags: Some(pb::VulnerableFlags {
            elderly: true,
            ..pb::VulnerableFlags::default()
        }),
        identity_status: pb::IdentityStatus::Confirmed as i32,
        origin_division: DAWA_FORMER.to_owned(),
        repeat_of_case_ids: vec!["c1".to_owned()],
        ..admitted("c2", "03-02 10:00")
    };
    story.send("03-02 10:00", &c2);
    story.send(
        "03-02 10:00",
        &linked("c2", "c1", DAWA_FORMER, "03-02 10:00"),
    );
    story.send("03-02 10:30", &admitted("c3", "03-02 10:30"));
    story.send("03-02 10:30", &linked("c3", "c1", "", "03-02 10:30"));
    story.send(
        "03-02 09:00:05",
        &identification_overdue("e1", "03-02 09:00"),
    );
    story.send("03-02 11:00", &identified("e1", "03-02 10:30", false));
    story.send(
        "03-03 09:00",
        &service(pb::ServiceKind::Treatment, "03-03 08:00", 8_800),
    );
    story.send(
        "03-03 09:30",
        &issued("n1", "INCIDENT_REPORTED", "03-03 09:30", "03-04 09:30"),
    );
    story.send(
        "03-03 09:30",
        &incident("i1", "c1", pb::IncidentKind::Missing, "03-03 09:00"),
    );
    story.send("03-04 09:30:10", &escalated("n1", "03-04 09:30:10"));
    story.send("03-04 12:00", &acknowledged("n1", "03-04 12:00", false));
    story.send("03-05 09:00", &closed("c1", Missing, "03-05 08:00", ""));
    story.send("03-12 00:00:30", &stay_flagged("c2", "03-12 00:00"));
    story.send("03-13 09:00", &stay_justified("c2", "03-13 09:00"));
    story.send("03-14 09:00", &abuse("r1", "c2", XLT, "03-14 09:00"));
    story.send(
        "03-20 09:00",
        &split("c2", "c1", DAWA_FORMER, "03-20 09:00"),
    );
    story.send(
        "03-21 09:00",
        &closed("c3", ReturnedHome, "03-21 08:00", PANSHAN),
    );
    story.send(
        "03-22 09:00",
        &closed("c2", Death, "03-22 08:00", DAWA_FORMER),
    );
    story.send("04-21 00:00:10", &follow_up_overdue("f1", "04-21 00:00"));
    story.send("04-22 09:00", &follow_up("f1", "04-22 09:00", false, true));
    story.0
}

support::reporting_tests!(
    applying_every_event_twice_changes_nothing,
    |once: Reporting| async move {
        let events = story();
        for event in &events {
            apply_event(&once.db, event).await;
        }
        let expected = snapshot(&once.db).await;
        assert!(
            expected["r_facts"].len() >= 12,
            "{:#?}",
            expected["r_facts"]
        );
        assert_eq!(
            expected["r_late_items"].len(),
            4,
            "{:#?}",
            expected["r_late_items"]
        );
        let situations = &expected["r_major_situations"];
        assert_eq!(situations.len(), 4, "{situations:#?}");

        // Each event delivered twice in a row (a retry after a lost commit acknowledgement).
        let doubled = once.another().await;
        for event in &events {
            apply_event(&doubled.db, event).await;
            apply_event(&doubled.db, event).await;
        }
        assert_eq!(snapshot(&doubled.db).await, expected);

        // The whole feed again from seq 1 (a cursor lost after `consumer_applied` was pruned).
        let replayed = once.another().await;
        for event in events.iter().chain(&events) {
            apply_event(&replayed.db, event).await;
        }
        assert_eq!(snapshot(&replayed.db).await, expected);
    }
);
