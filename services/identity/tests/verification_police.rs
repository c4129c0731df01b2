//! What the police do with a verification request, through the gRPC API on SQLite and
//! PostgreSQL: only the addressed unit sees, acknowledges, forwards and answers it (any other
//! unit gets NOT_FOUND, as if it did not exist); forwarding moves it with its receipt and due
//! time; results per method answer it when every method has one, or at once when one identifies
//! the person, which confirms the identity file; a retry changes nothing, a different second
//! result is refused; personal parts of results only with a purpose, audited.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::submit_verification_result_request::Outcome;
use relief_runtime::personal_data::reads_of;
use tonic::Code;

fn forward_request(id: &str, to_unit: &str) -> pb::ForwardVerificationRequestRequest {
    pb::ForwardVerificationRequestRequest {
        request_id: request_id(),
        verification_id: id.to_owned(),
        to_unit: to_unit.to_owned(),
        reason: "由人像比对中心办理".to_owned(),
    }
}

fn no_match(sample: &str) -> Outcome {
    Outcome::NoMatch(pb::NoMatch {
        sample_reference: sample.to_owned(),
    })
}

fn identified(name: &str, id_number: &str) -> Outcome {
    Outcome::Identified(pb::Identified {
        identity: Some(pb::IdentityDetails {
            name: name.to_owned(),
            id_number: id_number.to_owned(),
            ..Default::default()
        }),
    })
}

cluster_tests!(
    only_the_addressed_unit_acts_and_forwarding_moves_the_request,
    start = kit::at("2026-03-02T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let filed = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna, pb::VerificationMethod::Face],
            "city-police-forensics",
        )
        .await
        .unwrap();
        let id = filed.verification_id.clone();

        // Another police unit: the request does not exist for it.
        let xlt = xlt_police();
        assert_eq!(
            get_verification(&kit, &xlt, &id).await.unwrap_err().code(),
            Code::NotFound
        );
        assert_eq!(
            acknowledge_verification(&kit, &xlt, &id)
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        let refused = kit
            .identity(&xlt)
            .await
            .forward_verification_request(forward_request(&id, "city-police-face"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::NotFound);
        let refused =
            submit_verification_result(&kit, &xlt, &id, pb::VerificationMethod::Dna, no_match(""))
                .await
                .unwrap_err();
        assert_eq!(refused.code(), Code::NotFound);
        let pending = kit
            .identity(&xlt)
            .await
            .list_pending_verification_requests(
                pb::ListPendingVerificationRequestsRequest::default(),
            )
            .await
            .unwrap()
            .into_inner();
        assert!(pending.verifications.is_empty());
        // A station may not answer at all.
        let refused = submit_verification_result(
            &kit,
            &xlt_station(),
            &id,
            pb::VerificationMethod::Dna,
            no_match(""),
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);

        // The addressed unit acknowledges, then forwards to the face-recognition unit.
        let received = acknowledge_verification(&kit, &forensics(), &id)
            .await
            .unwrap();
        let mut forensics_client = kit.identity(&forensics()).await;
        let refused = forensics_client
            .forward_verification_request(forward_request(&id, "xlt-station"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(fields(&refused), ["to_unit"]);
        let refused = forensics_client
            .forward_verification_request(forward_request(&id, "city-police-forensics"))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "FORWARD_TO_SAME_UNIT");
        kit.advance(Duration::hours(2));
        let forward = forward_request(&id, "city-police-face");
        let forwarded = forensics_client
            .forward_verification_request(forward.clone())
            .await
            .unwrap()
            .into_inner();
        // A retry (same request id) changes nothing.
        let retried = forensics_client
            .forward_verification_request(forward)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried, forwarded);
        let forwarded = forwarded.verification.unwrap();
        assert_eq!(forwarded.police_unit, "city-police-face");
        assert_eq!(forwarded.forwardings.len(), 1);
        assert_eq!(forwarded.forwardings[0].from_unit, "city-police-forensics");
        assert_eq!(forwarded.forwardings[0].to_unit, "city-police-face");
        assert_eq!(forwarded.received_at, received.received_at);
        assert_eq!(forwarded.due_at, received.due_at);
        assert_eq!(forwarded.receipt, pb::ReceiptKind::Acknowledged as i32);
        let events = kit.events::<pb::VerificationForwarded>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].from_unit, "city-police-forensics");

        // The old unit no longer sees it; the new one does.
        assert_eq!(
            get_verification(&kit, &forensics(), &id)
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        let pending = kit
            .identity(&face_unit())
            .await
            .list_pending_verification_requests(
                pb::ListPendingVerificationRequestsRequest::default(),
            )
            .await
            .unwrap()
            .into_inner()
            .verifications;
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].verification_id, id);

        // One result per method: DNA no match (the request stays open), then face could not
        // be collected (answered, on time).
        let after_dna = submit_verification_result(
            &kit,
            &face_unit(),
            &id,
            pb::VerificationMethod::Dna,
            no_match("DNA-LN-2026-000123"),
        )
        .await
        .unwrap();
        assert_eq!(after_dna.status, pb::VerificationStatus::Received as i32);
        assert_eq!(after_dna.results.len(), 1);
        assert!(after_dna.results[0].details_omitted);
        assert!(after_dna.results[0].on_time);
        assert_eq!(
            after_dna.results[0].submitted_by.as_ref().unwrap().unit,
            "city-police-face"
        );
        let answered = submit_verification_result(
            &kit,
            &face_unit(),
            &id,
            pb::VerificationMethod::Face,
            Outcome::CouldNotCollect(pb::CouldNotCollect {
                reason: "本人拒绝配合拍照".to_owned(),
            }),
        )
        .await
        .unwrap();
        assert_eq!(answered.status, pb::VerificationStatus::Answered as i32);
        assert!(answered.answered_on_time);
        assert_eq!(answered.results.len(), 2);
        let answers = kit.events::<pb::VerificationAnswered>().await;
        assert_eq!(
            answers
                .iter()
                .map(|event| (event.method, event.request_answered, event.on_time))
                .collect::<Vec<_>>(),
            [
                (pb::VerificationMethod::Dna as i32, false, true),
                (pb::VerificationMethod::Face as i32, true, true),
            ]
        );
        assert_eq!(answers[1].received_at, received.received_at);
        // Answered: no reminder or overdue remains.
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE subject LIKE 'verification/%' \
                 AND state = 'pending'"
            )
            .await,
            0
        );
        // Closed to forwarding; an acknowledgement returns it unchanged.
        let refused = kit
            .identity(&face_unit())
            .await
            .forward_verification_request(forward_request(&id, "city-police-forensics"))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "VERIFICATION_CLOSED");
        let unchanged = acknowledge_verification(&kit, &face_unit(), &id)
            .await
            .unwrap();
        assert_eq!(unchanged.status, pb::VerificationStatus::Answered as i32);
        assert_eq!(unchanged.acknowledged_at, received.acknowledged_at);

        // The filing station reads the sample reference only with a purpose, audited.
        let plain = get_verification(&kit, &xlt_station(), &id).await.unwrap();
        let dna = &plain.results[0];
        assert!(dna.details_omitted);
        assert_eq!(
            dna.detail,
            Some(pb::method_result::Detail::NoMatch(pb::NoMatch::default()))
        );
        assert!(
            reads_of(&kit.db, &format!("verification/{id}"))
                .await
                .unwrap()
                .is_empty()
        );
        let read = kit
            .identity(&xlt_station())
            .await
            .get_verification_request(with_purpose(
                pb::GetVerificationRequestRequest {
                    verification_id: id.clone(),
                },
                "核对DNA入库编号",
            ))
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        assert!(!read.results[0].details_omitted);
        assert_eq!(
            read.results[0].detail,
            Some(pb::method_result::Detail::NoMatch(pb::NoMatch {
                sample_reference: "DNA-LN-2026-000123".to_owned()
            }))
        );
        assert_eq!(
            read.results[1].detail,
            Some(pb::method_result::Detail::CouldNotCollect(
                pb::CouldNotCollect {
                    reason: "本人拒绝配合拍照".to_owned()
                }
            ))
        );
        let audit = reads_of(&kit.db, &format!("verification/{id}"))
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].field, "results.dna.no_match.sample_reference");
        assert_eq!(audit[0].purpose, "核对DNA入库编号");
        // No event carries the sample reference.
        assert!(
            kit.raw_events()
                .await
                .iter()
                .all(|payload| !String::from_utf8_lossy(payload).contains("DNA-LN-2026"))
        );
        kit.stop().await;
    }
);

cluster_tests!(
    an_identifying_result_answers_at_once_and_confirms_the_file,
    start = kit::at("2026-03-02T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let dna = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap();
        let face = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Face],
            "city-police-face",
        )
        .await
        .unwrap();
        let id = dna.verification_id.clone();

        // A method the request did not ask for.
        let refused = submit_verification_result(
            &kit,
            &forensics(),
            &id,
            pb::VerificationMethod::Face,
            no_match(""),
        )
        .await
        .unwrap_err();
        assert_eq!(reason(&refused), "METHOD_NOT_REQUESTED");
        // A bad ID number: refused by field, nothing changed (not even the receipt).
        let person = id_number("211103", "19800101", "123");
        let refused = submit_verification_result(
            &kit,
            &forensics(),
            &id,
            pb::VerificationMethod::Dna,
            identified("赵六", &with_bad_check(&person)),
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(fields(&refused), ["identified.identity.id_number"]);
        let unchanged = get_verification(&kit, &forensics(), &id).await.unwrap();
        assert_eq!(
            unchanged.status,
            pb::VerificationStatus::AwaitingReceipt as i32
        );
        assert!(unchanged.results.is_empty());
        assert_eq!(
            kit.count("SELECT COUNT(*) FROM verification_results").await,
            0
        );

        // Identified before any acknowledgement: received and answered at once.
        kit.advance(Duration::hours(3));
        let submit = pb::SubmitVerificationResultRequest {
            request_id: request_id(),
            verification_id: id.clone(),
            method: pb::VerificationMethod::Dna as i32,
            outcome: Some(identified("赵六", &person)),
        };
        let mut client = kit.identity(&forensics()).await;
        let first = client
            .submit_verification_result(submit.clone())
            .await
            .unwrap()
            .into_inner();
        let answered = first.verification.clone().unwrap();
        assert_eq!(answered.status, pb::VerificationStatus::Answered as i32);
        assert_eq!(answered.receipt, pb::ReceiptKind::Acknowledged as i32);
        assert_eq!(answered.received_at, answered.answered_at);
        assert!(answered.answered_on_time);
        assert!(answered.results[0].details_omitted);
        assert_eq!(
            answered.results[0].detail,
            Some(pb::method_result::Detail::Identified(pb::Identified {
                identity: None
            }))
        );
        assert_eq!(kit.events::<pb::VerificationAcknowledged>().await.len(), 1);

        // The file is confirmed by the police DNA result; the other request is withdrawn.
        let confirmed = kit.wait_events::<pb::IdentityConfirmed>(1).await;
        assert_eq!(confirmed[0].file_id, file.file_id);
        assert_eq!(
            confirmed[0].method,
            pb::ConfirmationMethod::PoliceDna as i32
        );
        assert!(!confirmed[0].person_key.is_empty());
        assert_eq!(confirmed[0].origin_division, "211103");
        assert_eq!(
            kit.file(&xlt_station(), &file.file_id).await.status,
            pb::IdentityFileStatus::Confirmed as i32
        );
        let withdrawn = get_verification(&kit, &face_unit(), &face.verification_id)
            .await
            .unwrap();
        assert_eq!(withdrawn.status, pb::VerificationStatus::Withdrawn as i32);
        let refused = acknowledge_verification(&kit, &face_unit(), &face.verification_id)
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "VERIFICATION_CLOSED");
        let refused = submit_verification_result(
            &kit,
            &face_unit(),
            &face.verification_id,
            pb::VerificationMethod::Face,
            no_match(""),
        )
        .await
        .unwrap_err();
        assert_eq!(reason(&refused), "VERIFICATION_CLOSED");
        let refused = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Face],
            "city-police-face",
        )
        .await
        .unwrap_err();
        assert_eq!(reason(&refused), "FILE_NOT_OPEN");

        // A retry with the same request id returns the same response; the same result under a
        // new request id changes nothing; a different one is refused.
        kit.advance(Duration::hours(1));
        let retried = client
            .submit_verification_result(submit)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried, first);
        let same = submit_verification_result(
            &kit,
            &forensics(),
            &id,
            pb::VerificationMethod::Dna,
            identified(" 赵六 ", &person.to_lowercase()),
        )
        .await
        .unwrap();
        assert_eq!(same, answered);
        let refused = submit_verification_result(
            &kit,
            &forensics(),
            &id,
            pb::VerificationMethod::Dna,
            no_match("DNA-1"),
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "RESULT_CONFLICT");
        assert_eq!(
            kit.count("SELECT COUNT(*) FROM verification_results").await,
            1
        );
        assert_eq!(kit.events::<pb::VerificationAnswered>().await.len(), 1);
        assert_eq!(kit.events::<pb::IdentityConfirmed>().await.len(), 1);

        // City civil affairs reads the identity with a purpose; the read is audited.
        let read = kit
            .identity(&city_civil_affairs())
            .await
            .get_verification_request(with_purpose(
                pb::GetVerificationRequestRequest {
                    verification_id: id.clone(),
                },
                "落实返乡",
            ))
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        let Some(pb::method_result::Detail::Identified(pb::Identified {
            identity: Some(identity),
        })) = &read.results[0].detail
        else {
            panic!("the identity is returned with a purpose");
        };
        assert_eq!(identity.name, "赵六");
        assert_eq!(identity.id_number, person);
        let audit = reads_of(&kit.db, &format!("verification/{id}"))
            .await
            .unwrap();
        let mut audited: Vec<&str> = audit.iter().map(|entry| entry.field.as_str()).collect();
        audited.sort_unstable();
        assert_eq!(
            audited,
            [
                "results.dna.identified.identity.household_division",
                "results.dna.identified.identity.id_number",
                "results.dna.identified.identity.name",
            ]
        );
        // Neither the name nor the ID number is in any event or in the stored results.
        assert!(kit.raw_events().await.iter().all(|payload| {
            let text = String::from_utf8_lossy(payload);
            !text.contains(&person) && !text.contains("赵六")
        }));
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM verification_results WHERE identity LIKE '%赵六%' \
                 OR fingerprint LIKE '%赵六%'"
            )
            .await,
            0
        );
        kit.stop().await;
    }
);
