//! AdmitPerson through the gRPC API with real mTLS callers, on SQLite and PostgreSQL: the case
//! belongs to the admitting station, its number counts per station and year, the person is
//! encrypted at rest and absent from events, ID numbers and referrals are checked, a retry
//! changes nothing, and a repeat admission is linked to the earlier cases.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{Datelike, Duration};
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_runtime::with_db;
use tonic::Code;

const NAME: &str = "赵六";

cluster_tests!(a_station_admits_a_person_into_its_own_case, |kit| {
    let id = id_number("211103", "19800101", "003");
    let admitted_at = kit.now() - Duration::hours(2);
    let request = admission(person(NAME, &id), admitted_at);
    let case = kit.admit(&xlt_station(), request.clone()).await;

    let year = admitted_at.with_timezone(&relief_legal::china()).year();
    assert_eq!(case.case_number, format!("211103-{year}-000001"));
    assert_eq!(case.station, "xlt-station");
    assert_eq!(case.division, "211103");
    assert_eq!(case.status, pb::CaseStatus::InStation as i32);
    assert_eq!(case.origin_division, "211103", "from the ID number");
    assert!(case.ten_day_rule_applies);
    assert!(case.warnings.is_empty(), "{:?}", case.warnings);
    assert!(case.repeat_of_case_ids.is_empty());
    assert_eq!(case.belongings, ["棉被一条", "身份证复印件"]);
    let returned = case.person.clone().unwrap();
    assert_eq!(
        (returned.name.as_str(), returned.id_number.as_str()),
        (NAME, id.as_str())
    );
    assert!(!case.person_omitted);

    // The next admission of the station that year takes the next number; another station
    // counts on its own.
    let second = kit
        .admit(
            &xlt_station(),
            admission(pb::Person::default(), admitted_at),
        )
        .await;
    assert_eq!(second.case_number, format!("211103-{year}-000002"));
    let city = kit
        .admit(
            &city_station(),
            admission(pb::Person::default(), admitted_at),
        )
        .await;
    assert_eq!(city.case_number, format!("211100-{year}-000001"));
    assert_eq!(city.division, "211100");
    assert_eq!(city.origin_division, "", "nothing known");

    // At rest: one ciphertext and a blind index, no plaintext anywhere in the row.
    let (stored, index): (String, Option<String>) = with_db!(&kit.db, |pool| {
        sqlx::query_as("SELECT person, id_number_index FROM cases WHERE id = $1")
            .bind(&case.case_id)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert!(stored.starts_with("v1:k1:"), "not a ciphertext");
    assert!(!stored.contains(NAME) && !stored.contains(&id));
    let index = index.unwrap();
    assert_eq!(index.len(), 64);
    assert_ne!(index, id);

    // One PersonAdmitted per case, in the same transaction, with ids, divisions and flags only.
    let admitted = kit.events::<pb::PersonAdmitted>().await;
    assert_eq!(admitted.len(), 3);
    assert_eq!(admitted[0].case_id, case.case_id);
    assert_eq!(admitted[0].station, "xlt-station");
    assert_eq!(admitted[0].division, "211103");
    assert_eq!(admitted[0].origin_division, "211103");
    assert_eq!(
        admitted[0].identity_status,
        pb::IdentityStatus::StatedUnverified as i32
    );
    assert!(admitted[0].ten_day_rule_applies);
    for payload in kit.raw_events().await {
        let text = String::from_utf8_lossy(&payload);
        assert!(
            !text.contains(NAME) && !text.contains(&id),
            "personal data in an event"
        );
        assert!(!text.contains("石油大街") && !text.contains("13800000000"));
    }
    // The idempotency key's stored response holds no personal data either.
    let responses: Vec<Vec<u8>> = with_db!(&kit.db, |pool| {
        sqlx::query_scalar("SELECT response FROM idempotency_keys")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    assert_eq!(responses.len(), 3);
    for response in responses {
        let text = String::from_utf8_lossy(&response);
        assert!(
            !text.contains(NAME) && !text.contains(&id),
            "personal data in a stored response"
        );
    }
    kit.stop().await;
});

cluster_tests!(only_a_station_may_admit, |kit| {
    let request = admission(person(NAME, ""), kit.now());
    for who in [
        xlt_police(),
        xlt_civil_affairs(),
        xlt_government(),
        identity_service(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .admit_person(request.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{who}");
    }
    assert_eq!(kit.count("SELECT COUNT(*) FROM cases").await, 0);
    kit.stop().await;
});

cluster_tests!(a_bad_id_number_or_field_is_invalid_naming_it, |kit| {
    let now = kit.now();
    let today = now.with_timezone(&relief_legal::china()).date_naive();
    let good = id_number("211103", "19800101", "005");
    let tomorrow = (today + Duration::days(1)).format("%Y%m%d").to_string();
    let bad_ids = [
        with_bad_check(&good),
        id_number("211103", &tomorrow, "005"),
        id_number("211103", "19800230", "005"),
        "21110319800101005".to_owned(),
    ];
    let mut client = kit.intake(&xlt_station()).await;
    for bad in &bad_ids {
        let status = client
            .admit_person(admission(person(NAME, bad), now))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["person.id_number"]);
        assert!(
            !status.message().contains(bad.as_str()),
            "the message repeats the number"
        );
    }

    // Every bad field at once, each named as in the proto.
    let mut request = admission(
        pb::Person {
            birth_date: "1980-02-30".to_owned(),
            estimated_age: -1,
            ..person(NAME, &with_bad_check(&good))
        },
        now + Duration::days(1),
    );
    request.identity_status = 0;
    request.referral = pb::Referral::Handover as i32;
    let status = client.admit_person(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut named = fields(&status);
    named.sort();
    assert_eq!(
        named,
        [
            "admitted_at",
            "identity_status",
            "person.birth_date",
            "person.estimated_age",
            "person.id_number",
            "referral_encounter_id",
        ]
    );
    let mut request = admission(
        pb::Person {
            birth_date: (today + Duration::days(1)).to_string(),
            ..pb::Person::default()
        },
        now,
    );
    request.referral = 0;
    let status = client.admit_person(request).await.unwrap_err();
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["person.birth_date", "referral"]);
    assert_eq!(kit.count("SELECT COUNT(*) FROM cases").await, 0);
    kit.stop().await;
});

cluster_tests!(an_unknown_division_is_accepted_with_a_warning, |kit| {
    let now = kit.now();
    // 211199 is no division in the national table; 211121 is the historical 大洼县.
    let unknown = id_number("211199", "19750505", "011");
    let request = admission(
        pb::Person {
            household_division: "219999".to_owned(),
            ..person(NAME, &unknown)
        },
        now,
    );
    let case = kit.admit(&xlt_station(), request).await;
    assert_eq!(
        case.warnings,
        [
            "UNKNOWN_DIVISION_CODE: person.id_number",
            "UNKNOWN_DIVISION_CODE: person.household_division",
        ]
    );
    assert_eq!(
        case.origin_division, "219999",
        "the household division wins"
    );

    let historical = id_number("211121", "19750505", "013");
    let case = kit
        .admit(&xlt_station(), admission(person(NAME, &historical), now))
        .await;
    assert!(case.warnings.is_empty(), "{:?}", case.warnings);
    assert_eq!(case.origin_division, "211121");

    // A household division that is not six digits is refused.
    let status = kit
        .intake(&xlt_station())
        .await
        .admit_person(admission(
            pb::Person {
                household_division: "2111".to_owned(),
                ..pb::Person::default()
            },
            now,
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["person.household_division"]);
    kit.stop().await;
});

cluster_tests!(
    a_retry_with_the_same_request_id_returns_the_same_case,
    |kit| {
        let id = id_number("211103", "19800101", "007");
        let request = admission(person(NAME, &id), kit.now());
        let mut client = kit.intake(&xlt_station()).await;
        let first = client
            .admit_person(request.clone())
            .await
            .unwrap()
            .into_inner();
        let retry = client
            .admit_person(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retry, first, "the same response, the person included");
        assert_eq!(kit.count("SELECT COUNT(*) FROM cases").await, 1);
        assert_eq!(kit.count("SELECT COUNT(*) FROM deadlines").await, 1);
        assert_eq!(kit.events::<pb::PersonAdmitted>().await.len(), 1);

        // The same id for a different request is refused and changes nothing.
        let mut changed = request.clone();
        changed.health_check = "发热".to_owned();
        let status = client.admit_person(changed).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason(&status), "REQUEST_ID_REUSED");
        assert_eq!(kit.count("SELECT COUNT(*) FROM cases").await, 1);
        kit.stop().await;
    }
);

cluster_tests!(concurrent_admissions_get_distinct_numbers, |kit| {
    let now = kit.now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut client = kit.intake(&sz_station()).await;
        let request = admission(pb::Person::default(), now);
        tasks.spawn(async move { client.admit_person(request).await.unwrap().into_inner() });
    }
    let mut numbers: Vec<String> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|response| response.case.unwrap().case_number)
        .collect();
    numbers.sort();
    let year = now.with_timezone(&relief_legal::china()).year();
    let expected: Vec<String> = (1..=8).map(|n| format!("211102-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    kit.stop().await;
});

cluster_tests!(the_ten_day_rule_follows_age_and_condition, |kit| {
    let now = kit.now();
    let today = now.with_timezone(&relief_legal::china()).date_naive();
    let years_ago = |years: i32| today.with_year(today.year() - years).unwrap();
    let child_birth = years_ago(12);
    let cases = [
        // (birth date, estimated age, ID birth date, flags, applies)
        (
            Some(years_ago(16)),
            0,
            None,
            pb::VulnerableFlags::default(),
            true,
        ),
        (
            Some(child_birth),
            40,
            None,
            pb::VulnerableFlags::default(),
            false,
        ),
        (None, 15, None, pb::VulnerableFlags::default(), false),
        (
            None,
            0,
            Some(child_birth),
            pb::VulnerableFlags::default(),
            false,
        ),
        (None, 0, None, pb::VulnerableFlags::default(), true),
        (
            None,
            40,
            None,
            pb::VulnerableFlags {
                mental_disorder: true,
                ..Default::default()
            },
            false,
        ),
        (
            None,
            0,
            None,
            pb::VulnerableFlags {
                intellectual_disability: true,
                ..Default::default()
            },
            false,
        ),
    ];
    for (n, (birth, age, id_birth, flags, applies)) in cases.into_iter().enumerate() {
        let id = id_birth
            .map(|birth| id_number("211103", &birth.format("%Y%m%d").to_string(), "021"))
            .unwrap_or_default();
        let mut request = admission(
            pb::Person {
                birth_date: birth.map(|b| b.to_string()).unwrap_or_default(),
                estimated_age: age,
                ..person(NAME, &id)
            },
            now,
        );
        request.flags = Some(flags);
        let case = kit.admit(&xlt_station(), request).await;
        assert_eq!(case.ten_day_rule_applies, applies, "case {n}");
    }
    // A deadline only where the rule applies.
    assert_eq!(
        kit.count("SELECT COUNT(*) FROM deadlines WHERE kind = 'intake.stay_over_10_days'")
            .await,
        2
    );
    kit.stop().await;
});

cluster_tests!(a_referral_needs_a_matching_encounter, |kit| {
    let now = kit.now();
    let mut police = kit.intake(&xlt_police()).await;
    let escort = |station: &str| pb::RecordEncounterRequest {
        request_id: request_id(),
        division: "211103".to_owned(),
        occurred_at: Some(relief_runtime::time::timestamp(now - Duration::hours(1))),
        outcome: pb::EncounterOutcome::Escorted as i32,
        estimated_age: 45,
        consent_recorded: true,
        handover: Some(pb::Handover {
            handing_officer: "警号 012345".to_owned(),
            receiving_station: station.to_owned(),
            handed_over_at: Some(relief_runtime::time::timestamp(now - Duration::minutes(30))),
            belongings: vec!["背包".to_owned()],
        }),
        ..Default::default()
    };
    let to_xlt = police
        .record_encounter(escort("xlt-station"))
        .await
        .unwrap()
        .into_inner();
    let to_sz = police
        .record_encounter(escort("sz-station"))
        .await
        .unwrap()
        .into_inner();
    let illness = police
        .record_encounter(pb::RecordEncounterRequest {
            request_id: request_id(),
            division: "211103".to_owned(),
            occurred_at: Some(relief_runtime::time::timestamp(now - Duration::hours(1))),
            outcome: pb::EncounterOutcome::AcuteIllness as i32,
            estimated_age: 45,
            acute_illness: Some(pb::AcuteIllness {
                hospital: "city-central-hospital".to_owned(),
                taken_to_hospital: true,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let id_of = |response: &pb::RecordEncounterResponse| {
        response.encounter.as_ref().unwrap().encounter_id.clone()
    };
    let referred = |referral: pb::Referral, encounter_id: &str| {
        let mut request = admission(pb::Person::default(), now);
        request.referral = referral as i32;
        request.referral_encounter_id = encounter_id.to_owned();
        request
    };
    let mut xlt = kit.intake(&xlt_station()).await;

    // A handover to this station, and a hospital referral in its division, are accepted.
    let case = xlt
        .admit_person(referred(pb::Referral::Handover, &id_of(&to_xlt)))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(case.referral, pb::Referral::Handover as i32);
    assert_eq!(case.referral_encounter_id, id_of(&to_xlt));
    xlt.admit_person(referred(pb::Referral::Hospital, &id_of(&illness)))
        .await
        .unwrap();

    // An encounter the station holds but of the wrong kind names the rule; another station's
    // handover or an illness in another division does not exist for the caller.
    for (station, referral, encounter, expected) in [
        (
            xlt_station(),
            pb::Referral::Handover,
            id_of(&to_sz),
            Code::NotFound,
        ),
        (
            xlt_station(),
            pb::Referral::Handover,
            id_of(&illness),
            Code::FailedPrecondition,
        ),
        (
            xlt_station(),
            pb::Referral::Hospital,
            id_of(&to_xlt),
            Code::FailedPrecondition,
        ),
        (
            sz_station(),
            pb::Referral::Hospital,
            id_of(&illness),
            Code::NotFound,
        ),
    ] {
        let status = kit
            .intake(&station)
            .await
            .admit_person(referred(referral, &encounter))
            .await
            .unwrap_err();
        assert_eq!(status.code(), expected, "{referral:?}");
        if expected == Code::FailedPrecondition {
            assert_eq!(reason(&status), "REFERRAL_ENCOUNTER_MISMATCH");
        }
    }
    // An encounter that does not exist.
    let status = xlt
        .admit_person(referred(
            pb::Referral::Handover,
            &uuid::Uuid::now_v7().to_string(),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // A walk-in names no encounter.
    let status = xlt
        .admit_person(referred(pb::Referral::WalkIn, &id_of(&to_xlt)))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["referral_encounter_id"]);
    assert_eq!(kit.count("SELECT COUNT(*) FROM cases").await, 2);
    kit.stop().await;
});

cluster_tests!(a_repeat_admission_is_linked_to_the_earlier_cases, |kit| {
    let now = kit.now();
    let id = id_number("211104", "19700707", "031");
    let first = kit
        .admit(
            &xlt_station(),
            admission(person(NAME, &id), now - Duration::days(40)),
        )
        .await;
    // Someone else in between.
    kit.admit(
        &xlt_station(),
        admission(
            person("其他人", &id_number("211104", "19700707", "033")),
            now,
        ),
    )
    .await;
    // The same number, written with surrounding spaces, in another county.
    let second = kit
        .admit(
            &sz_station(),
            admission(person(NAME, &format!(" {id} ")), now - Duration::days(5)),
        )
        .await;
    assert_eq!(
        second.repeat_of_case_ids,
        std::slice::from_ref(&first.case_id)
    );
    let third = kit
        .admit(&city_station(), admission(person(NAME, &id), now))
        .await;
    assert_eq!(
        third.repeat_of_case_ids,
        [first.case_id.clone(), second.case_id.clone()]
    );
    assert!(first.repeat_of_case_ids.is_empty());

    let links = kit.events::<pb::RepeatLinked>().await;
    let pairs: Vec<(&str, &str, &str)> = links
        .iter()
        .map(|l| {
            (
                l.case_id.as_str(),
                l.earlier_case_id.as_str(),
                l.origin_division.as_str(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (second.case_id.as_str(), first.case_id.as_str(), "211104"),
            (third.case_id.as_str(), first.case_id.as_str(), "211104"),
            (third.case_id.as_str(), second.case_id.as_str(), "211104"),
        ]
    );
    assert!(links.iter().all(|l| l.linked_at.is_some()));
    let admitted = kit.events::<pb::PersonAdmitted>().await;
    assert_eq!(
        admitted.last().unwrap().repeat_of_case_ids,
        third.repeat_of_case_ids
    );
    assert_eq!(
        kit.count("SELECT COUNT(*) FROM case_links WHERE split_at IS NULL")
            .await,
        3
    );

    // The links are read back with the case.
    let read = kit
        .intake(&city_civil_affairs())
        .await
        .get_case(pb::GetCaseRequest {
            case_id: third.case_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(read.repeat_of_case_ids, third.repeat_of_case_ids);
    kit.stop().await;
});
