//! GetCase and ListCases through the gRPC API with real mTLS callers, on SQLite and PostgreSQL:
//! who sees which case (NOT_FOUND outside scope, exactly as for a missing id), the person only
//! with a purpose and every such read audited, and lists in scope, newest admission first,
//! page by page, never with the person.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_runtime::personal_data::reads_of;
use relief_runtime::{Caller, with_db};
use tonic::Code;

const NAME: &str = "钱七";

async fn get(kit: &Kit, who: &Caller, case_id: &str) -> Result<pb::Case, tonic::Status> {
    kit.intake(who)
        .await
        .get_case(pb::GetCaseRequest {
            case_id: case_id.to_owned(),
        })
        .await
        .map(|response| response.into_inner().case.unwrap())
}

/// Every case `who` lists with `request`, following the pages.
async fn list_all(kit: &Kit, who: &Caller, request: pb::ListCasesRequest) -> Vec<pb::Case> {
    let mut client = kit.intake(who).await;
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_cases(pb::ListCasesRequest {
                page_token: page_token.clone(),
                ..request.clone()
            })
            .await
            .unwrap()
            .into_inner();
        if request.page_size > 0 {
            assert!(page.cases.len() <= usize::try_from(request.page_size).unwrap());
        }
        all.extend(page.cases);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

fn ids(cases: &[pb::Case]) -> Vec<String> {
    cases.iter().map(|case| case.case_id.clone()).collect()
}

cluster_tests!(
    a_case_is_seen_by_its_station_and_the_bodies_covering_it,
    |kit| {
        let case = kit
            .admit(&xlt_station(), admission(person(NAME, ""), kit.now()))
            .await;
        for who in [
            xlt_station(),
            xlt_civil_affairs(),
            city_civil_affairs(),
            province(),
            xlt_government(),
            identity_service(),
        ] {
            let read = get(&kit, &who, &case.case_id).await.unwrap();
            assert_eq!(read.case_id, case.case_id, "{who}");
            assert_eq!(read.case_number, case.case_number);
            assert!(read.person.is_none() && read.person_omitted, "{who}");
        }
        // Another county's bureau, another station (the city station included), and a missing id
        // answer alike.
        for who in [sz_civil_affairs(), sz_station(), city_station()] {
            let status = get(&kit, &who, &case.case_id).await.unwrap_err();
            assert_eq!(status.code(), Code::NotFound, "{who}");
            let missing = get(&kit, &who, &uuid::Uuid::now_v7().to_string())
                .await
                .unwrap_err();
            assert_eq!(missing.code(), status.code());
            assert_eq!(missing.message(), status.message());
        }
        // A caller kind the RPC does not allow is refused before anything is looked up.
        let status = get(&kit, &xlt_police(), &case.case_id).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        kit.stop().await;
    }
);

cluster_tests!(
    the_person_is_returned_and_audited_only_with_a_purpose,
    |kit| {
        let id = id_number("211102", "19661212", "041");
        let stated = pb::Person {
            birth_date: "1966-12-12".to_owned(),
            household_division: "211102".to_owned(),
            ..person(NAME, &id)
        };
        let case = kit
            .admit(&xlt_station(), admission(stated.clone(), kit.now()))
            .await;

        // Without a purpose: omitted, nothing audited.
        let read = get(&kit, &xlt_civil_affairs(), &case.case_id)
            .await
            .unwrap();
        assert!(read.person.is_none());
        assert!(read.person_omitted);
        assert!(reads_of(&kit.db, &case.case_id).await.unwrap().is_empty());

        // With one: the person as stated, one audit row per field returned.
        let read = kit
            .intake(&xlt_civil_affairs())
            .await
            .get_case(with_purpose(
                pb::GetCaseRequest {
                    case_id: case.case_id.clone(),
                },
                "family search",
            ))
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        assert!(!read.person_omitted);
        assert_eq!(read.person.unwrap(), stated);
        let audit = reads_of(&kit.db, &case.case_id).await.unwrap();
        let mut audited: Vec<&str> = audit.iter().map(|entry| entry.field.as_str()).collect();
        audited.sort_unstable();
        assert_eq!(
            audited,
            [
                "person.birth_date",
                "person.cause",
                "person.household_address",
                "person.household_division",
                "person.id_number",
                "person.name",
                "person.relatives",
                "person.sex",
            ]
        );
        for entry in &audit {
            assert_eq!(entry.purpose, "family search");
            assert_eq!(entry.caller_kind, "civil-affairs");
            assert_eq!(entry.caller_unit, "xlt-civil-affairs");
            assert_eq!(entry.subject, case.case_id);
        }

        // A blank purpose is refused, naming the header, and records nothing; so is a read out of
        // scope, purpose or not.
        let status = kit
            .intake(&xlt_civil_affairs())
            .await
            .get_case(with_purpose(
                pb::GetCaseRequest {
                    case_id: case.case_id.clone(),
                },
                "  ",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["x-relief-purpose"]);
        let status = kit
            .intake(&sz_civil_affairs())
            .await
            .get_case(with_purpose(
                pb::GetCaseRequest {
                    case_id: case.case_id.clone(),
                },
                "curiosity",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(
            reads_of(&kit.db, &case.case_id).await.unwrap().len(),
            audit.len()
        );

        // An unknown person has nothing to return and nothing to audit.
        let unknown = kit
            .admit(&xlt_station(), admission(pb::Person::default(), kit.now()))
            .await;
        let read = kit
            .intake(&xlt_station())
            .await
            .get_case(with_purpose(
                pb::GetCaseRequest {
                    case_id: unknown.case_id.clone(),
                },
                "care",
            ))
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        assert_eq!(read.person.unwrap(), pb::Person::default());
        assert!(
            reads_of(&kit.db, &unknown.case_id)
                .await
                .unwrap()
                .is_empty()
        );
        kit.stop().await;
    }
);

cluster_tests!(cases_are_listed_in_scope_newest_admission_first, |kit| {
    let now = kit.now();
    let mut xlt_cases = Vec::new();
    for hours in [5, 1, 3] {
        xlt_cases.push(
            kit.admit(
                &xlt_station(),
                admission(person(NAME, ""), now - Duration::hours(hours)),
            )
            .await,
        );
    }
    // Two admitted at the same instant: the id breaks the tie, and paging loses neither.
    let same = now - Duration::hours(2);
    for _ in 0..2 {
        xlt_cases.push(
            kit.admit(&xlt_station(), admission(pb::Person::default(), same))
                .await,
        );
    }
    // A minor of unknown identity, so the group and identity filters have something to find.
    let sz_case = kit
        .admit(
            &sz_station(),
            pb::AdmitPersonRequest {
                flags: Some(pb::VulnerableFlags {
                    minor: true,
                    ..Default::default()
                }),
                identity_status: pb::IdentityStatus::Unknown as i32,
                ..admission(person(NAME, ""), now - Duration::hours(4))
            },
        )
        .await;
    let city_case = kit
        .admit(&city_station(), admission(person(NAME, ""), now))
        .await;
    let position = |case: &pb::Case| {
        let at = case.admitted_at.unwrap();
        (at.seconds, at.nanos, case.case_id.clone())
    };
    xlt_cases.sort_by_key(|case| std::cmp::Reverse(position(case)));
    let page = |size: i32| pb::ListCasesRequest {
        page_size: size,
        ..Default::default()
    };

    // A station lists its own cases only, newest first, page by page.
    let listed = list_all(&kit, &xlt_station(), page(2)).await;
    assert_eq!(ids(&listed), ids(&xlt_cases));
    assert!(
        listed
            .iter()
            .all(|case| case.person.is_none() && case.person_omitted)
    );
    assert_eq!(
        ids(&list_all(&kit, &sz_station(), page(0)).await),
        std::slice::from_ref(&sz_case.case_id)
    );
    assert_eq!(
        ids(&list_all(&kit, &city_station(), page(0)).await),
        std::slice::from_ref(&city_case.case_id)
    );

    // A county bureau lists its division; the city bureau and a service all, newest first.
    assert_eq!(
        ids(&list_all(&kit, &xlt_civil_affairs(), page(1)).await),
        ids(&xlt_cases)
    );
    assert_eq!(
        ids(&list_all(&kit, &xlt_government(), page(0)).await),
        ids(&xlt_cases)
    );
    let everything = list_all(&kit, &city_civil_affairs(), page(3)).await;
    assert_eq!(everything.len(), 7);
    assert_eq!(everything[0].case_id, city_case.case_id);
    assert!(
        everything
            .windows(2)
            .all(|pair| position(&pair[0]) > position(&pair[1]))
    );
    assert_eq!(list_all(&kit, &identity_service(), page(0)).await.len(), 7);

    // The division filter, within scope only.
    let filtered = list_all(
        &kit,
        &city_civil_affairs(),
        pb::ListCasesRequest {
            division: "211102".to_owned(),
            ..page(0)
        },
    )
    .await;
    assert_eq!(ids(&filtered), std::slice::from_ref(&sz_case.case_id));
    for (who, division) in [(xlt_civil_affairs(), "211102"), (xlt_station(), "211100")] {
        let status = kit
            .intake(&who)
            .await
            .list_cases(pb::ListCasesRequest {
                division: division.to_owned(),
                ..page(0)
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["division"]);
    }

    // The status filter.
    with_db!(&kit.db, |pool| {
        sqlx::query("UPDATE cases SET status = 3 WHERE id = $1")
            .bind(&xlt_cases[0].case_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let open = list_all(
        &kit,
        &xlt_station(),
        pb::ListCasesRequest {
            status: pb::CaseStatus::InStation as i32,
            ..page(0)
        },
    )
    .await;
    assert_eq!(ids(&open), ids(&xlt_cases[1..]));
    let closed = list_all(
        &kit,
        &xlt_station(),
        pb::ListCasesRequest {
            status: pb::CaseStatus::Closed as i32,
            ..page(0)
        },
    )
    .await;
    assert_eq!(ids(&closed), ids(&xlt_cases[..1]));

    // The station, time, vulnerable-group and identity filters agree with the full list.
    let by_station = list_all(
        &kit,
        &city_civil_affairs(),
        pb::ListCasesRequest {
            station: "sz-station".to_owned(),
            ..page(0)
        },
    )
    .await;
    assert_eq!(ids(&by_station), std::slice::from_ref(&sz_case.case_id));
    let status = kit
        .intake(&xlt_station())
        .await
        .list_cases(pb::ListCasesRequest {
            station: "sz-station".to_owned(),
            ..page(0)
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["station"]);
    // Half-hour bounds, so no admission sits on a boundary.
    let (from, until) = (
        now - Duration::minutes(4 * 60 + 30),
        now - Duration::minutes(3 * 60 + 30),
    );
    let window = list_all(
        &kit,
        &city_civil_affairs(),
        pb::ListCasesRequest {
            admitted_after: Some(relief_runtime::time::timestamp(from)),
            admitted_before: Some(relief_runtime::time::timestamp(until)),
            ..page(0)
        },
    )
    .await;
    let in_window = |case: &pb::Case| {
        let at = relief_runtime::time::instant("admitted_at", case.admitted_at.as_ref()).unwrap();
        at >= from && at < until
    };
    let expected: Vec<pb::Case> = everything
        .iter()
        .filter(|c| in_window(c))
        .cloned()
        .collect();
    assert!(ids(&window).contains(&sz_case.case_id));
    assert_eq!(ids(&window), ids(&expected));
    let unknown = list_all(
        &kit,
        &city_civil_affairs(),
        pb::ListCasesRequest {
            identity_status: pb::IdentityStatus::Unknown as i32,
            ..page(0)
        },
    )
    .await;
    let expected: Vec<pb::Case> = everything
        .iter()
        .filter(|c| c.identity_status == pb::IdentityStatus::Unknown as i32)
        .cloned()
        .collect();
    assert_eq!(ids(&unknown), ids(&expected));
    assert_eq!(ids(&unknown), std::slice::from_ref(&sz_case.case_id));
    let minors = list_all(
        &kit,
        &city_civil_affairs(),
        pb::ListCasesRequest {
            vulnerable: Some(pb::VulnerableFlags {
                minor: true,
                elderly: true,
                ..Default::default()
            }),
            ..page(0)
        },
    )
    .await;
    let expected: Vec<pb::Case> = everything
        .iter()
        .filter(|c| c.flags.is_some_and(|f| f.minor || f.elderly))
        .cloned()
        .collect();
    assert_eq!(ids(&minors), ids(&expected));
    assert!(ids(&minors).contains(&sz_case.case_id));

    // Bad paging.
    let mut client = kit.intake(&xlt_station()).await;
    let status = client.list_cases(page(-1)).await.unwrap_err();
    assert_eq!(fields(&status), ["page_size"]);
    let status = client
        .list_cases(pb::ListCasesRequest {
            page_token: "garbage!".to_owned(),
            ..page(0)
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["page_token"]);
    let status = kit
        .intake(&xlt_police())
        .await
        .list_cases(page(0))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    kit.stop().await;
});
