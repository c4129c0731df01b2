//! No personal data of a case in the logs, at any level: every span and event of this test
//! binary, TRACE included, with every field value, is captured while people are admitted (one
//! refused for a bad ID number, one a repeat), read with and without a purpose, listed,
//! flagged after 10 days and justified, and none of the names, ID numbers or other personal
//! fields appear.
//!
//! Its own binary, because it installs the process-wide tracing subscriber.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_testkit::wait_until;

const NAME: &str = "周九-LOGNAME-7c1e";
const OTHER_NAME: &str = "吴十-LOGNAME-90af";
const ADDRESS: &str = "LOGADDRESS-石油大街-55";
const RELATIVES: &str = "LOGRELATIVES-13912345678";

use relief_testkit::logs::captured;
use std::sync::{Arc, Mutex};

/// Installs the capture before the cluster starts, then runs the case's whole life.
macro_rules! logged_cluster_tests {
    ($name:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let log = captured();
                if let Some(kit) = Kit::start(relief_testkit::TestBackend::Sqlite, None).await {
                    run(kit, log).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let log = captured();
                if let Some(kit) = Kit::start(relief_testkit::TestBackend::Postgres, None).await {
                    run(kit, log).await;
                }
            }
        }
    };
}

logged_cluster_tests!(no_personal_data_of_a_case_reaches_the_logs);

async fn run(kit: Kit, log: Arc<Mutex<String>>) {
    let id = id_number("211103", "19850315", "077");
    let other_id = id_number("211122", "19900101", "088");
    let bad_id = with_bad_check(&id_number("211103", "19850315", "099"));
    let stated = |name: &str, id: &str| pb::Person {
        household_address: ADDRESS.to_owned(),
        relatives: RELATIVES.to_owned(),
        birth_date: "1985-03-15".to_owned(),
        ..person(name, id)
    };
    let admitted_at = kit.now() - Duration::hours(1);
    let mut station = kit.intake(&xlt_station()).await;

    // Refused: a bad ID number, and a field error alongside the person.
    station
        .admit_person(admission(stated(NAME, &bad_id), admitted_at))
        .await
        .unwrap_err();
    let mut refused = admission(stated(NAME, &id), admitted_at);
    refused.identity_status = 0;
    station.admit_person(refused).await.unwrap_err();

    // Admitted, retried, and a repeat at another station.
    let request = admission(stated(NAME, &id), admitted_at);
    let case = station
        .admit_person(request.clone())
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    station.admit_person(request).await.unwrap();
    let repeat = kit
        .admit(&sz_station(), admission(stated(NAME, &id), admitted_at))
        .await;
    assert_eq!(
        repeat.repeat_of_case_ids,
        std::slice::from_ref(&case.case_id)
    );
    kit.admit(
        &xlt_station(),
        admission(stated(OTHER_NAME, &other_id), admitted_at),
    )
    .await;

    // Read with and without a purpose, out of scope, and listed.
    let get = || pb::GetCaseRequest {
        case_id: case.case_id.clone(),
    };
    let mut county = kit.intake(&xlt_civil_affairs()).await;
    county.get_case(get()).await.unwrap();
    let read = county
        .get_case(with_purpose(get(), "log test"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(read.person.unwrap().name, NAME);
    kit.intake(&sz_civil_affairs())
        .await
        .get_case(with_purpose(get(), "log test"))
        .await
        .unwrap_err();
    county
        .list_cases(pb::ListCasesRequest::default())
        .await
        .unwrap();

    // Flagged after 10 days, then justified.
    let over_since = relief_legal::status_days(admitted_at, 10);
    kit.cluster
        .clock
        .set(over_since + Duration::minutes(1))
        .unwrap();
    wait_until("the stay is flagged", || async {
        kit.count(
            "SELECT COUNT(*) FROM deadlines WHERE kind = 'intake.stay_over_10_days' \
             AND state = 'pending'",
        )
        .await
            == 0
    })
    .await;
    station
        .justify_long_stay(pb::JustifyLongStayRequest {
            request_id: request_id(),
            case_id: case.case_id.clone(),
            reason: "等待家属".to_owned(),
        })
        .await
        .unwrap();
    kit.stop().await;

    let log = log.lock().unwrap().clone();
    // The capture works: the services' own lines and TRACE lines from below are there.
    assert!(log.contains("serving"), "nothing captured");
    assert!(log.contains("TRACE "), "no TRACE line captured");
    assert!(
        log.contains("AdmitPerson"),
        "the calls are not in the capture"
    );
    for needle in [
        NAME,
        OTHER_NAME,
        "LOGNAME",
        id.as_str(),
        other_id.as_str(),
        bad_id.as_str(),
        // The body and birth date of the numbers, in case of a reformatted copy.
        &id[..17],
        &other_id[..17],
        ADDRESS,
        RELATIVES,
        "13912345678",
    ] {
        assert!(!log.contains(needle), "the log contains {needle:?}");
    }
}
