//! Concurrent changes of one identity file through the gRPC API, on SQLite and PostgreSQL (where
//! they really run side by side, each transaction holding row locks): a station's own
//! confirmation against an identifying police result, and a new verification request against
//! a confirmation. Every call ends in a clear answer (done, or the rule it ran into) — never a
//! deadlock abort or an internal error — and the file ends consistent: confirmed once, no
//! request left waiting on a confirmed file.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::identity::v1 as pb;
use tonic::Code;

/// How many fresh files each race is run on.
const ROUNDS: usize = 10;

/// A station's confirmation of `file_id` by documents, as person number `n`.
fn confirmation(file_id: &str, n: usize) -> pb::ConfirmIdentityRequest {
    pb::ConfirmIdentityRequest {
        request_id: request_id(),
        file_id: file_id.to_owned(),
        method: pb::ConfirmationMethod::Documents as i32,
        identity: Some(pb::IdentityDetails {
            name: "张三".to_owned(),
            id_number: id_number("211103", "19700101", &format!("{:03}", 100 + n)),
            ..Default::default()
        }),
        note: "居民身份证核验".to_owned(),
    }
}

/// A police DNA result identifying person number `n`.
fn identified(verification_id: &str, n: usize) -> pb::SubmitVerificationResultRequest {
    pb::SubmitVerificationResultRequest {
        request_id: request_id(),
        verification_id: verification_id.to_owned(),
        method: pb::VerificationMethod::Dna as i32,
        outcome: Some(pb::submit_verification_result_request::Outcome::Identified(
            pb::Identified {
                identity: Some(pb::IdentityDetails {
                    name: "李四".to_owned(),
                    id_number: id_number("211103", "19750101", &format!("{:03}", 100 + n)),
                    ..Default::default()
                }),
            },
        )),
    }
}

/// Whether `result` is done, or refused by one of `rules`; panics on anything else (an internal
/// error, a deadlock abort, an unknown status).
fn settled<T>(result: &Result<T, tonic::Status>, rules: &[&str]) -> bool {
    match result {
        Ok(_) => true,
        Err(status) => {
            assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
            assert!(rules.contains(&reason(status).as_str()), "{status:?}");
            false
        }
    }
}

cluster_tests!(concurrent_changes_of_one_file_settle_cleanly, |kit| {
    let admitted_at = kit.now() - Duration::hours(1);
    let station = xlt_station();
    let mut confirming = kit.identity(&station).await;
    let mut filing = kit.identity(&station).await;
    let mut police = kit.identity(&forensics()).await;

    // A station's confirmation against the police's identifying result.
    let mut raced_files = Vec::new();
    for n in 0..ROUNDS {
        let file = kit.admit_unknown(&station, admitted_at).await.file_id;
        let request = file_verification(
            &kit,
            &station,
            &file,
            &[pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap()
        .verification_id;
        let (by_station, by_police) = tokio::join!(
            confirming.confirm_identity(confirmation(&file, n)),
            police.submit_verification_result(identified(&request, n)),
        );
        let station_won = settled(&by_station, &["FILE_NOT_OPEN"]);
        let police_won = settled(&by_police, &["FILE_NOT_OPEN", "VERIFICATION_CLOSED"]);
        assert!(station_won != police_won, "round {n}: exactly one confirms");
        let read = get_verification(&kit, &station, &request).await.unwrap();
        let expected = if police_won {
            pb::VerificationStatus::Answered
        } else {
            pb::VerificationStatus::Withdrawn
        };
        assert_eq!(read.status, expected as i32, "round {n}");
        raced_files.push(file);
    }
    let confirmed = kit.wait_events::<pb::IdentityConfirmed>(ROUNDS).await;
    for file in &raced_files {
        assert_eq!(
            confirmed.iter().filter(|e| &e.file_id == file).count(),
            1,
            "{file}"
        );
    }

    // A new request against a confirmation: filed before it (then withdrawn by it) or
    // refused after it, never left awaiting receipt on the confirmed file.
    for n in 0..ROUNDS {
        let file = kit.admit_unknown(&station, admitted_at).await.file_id;
        let (filed, confirmed) = tokio::join!(
            filing.file_verification_request(pb::FileVerificationRequestRequest {
                request_id: request_id(),
                file_id: file.clone(),
                methods: vec![pb::VerificationMethod::Face as i32],
                police_unit: "city-police-face".to_owned(),
                note: String::new(),
            }),
            confirming.confirm_identity(confirmation(&file, ROUNDS + n)),
        );
        assert!(confirmed.is_ok(), "round {n}: {confirmed:?}");
        if settled(&filed, &["FILE_NOT_OPEN"]) {
            let id = filed
                .unwrap()
                .into_inner()
                .verification
                .unwrap()
                .verification_id;
            let read = get_verification(&kit, &station, &id).await.unwrap();
            assert_eq!(
                read.status,
                pb::VerificationStatus::Withdrawn as i32,
                "round {n}"
            );
        }
        assert_eq!(
            kit.file(&station, &file).await.status,
            pb::IdentityFileStatus::Confirmed as i32
        );
    }
    assert_eq!(
        kit.count(
            "SELECT COUNT(*) FROM verification_requests r \
                 JOIN identity_files f ON f.id = r.file_id \
                 WHERE f.status = 2 AND r.status = 1"
        )
        .await,
        0
    );
    kit.stop().await;
});
