//! Filing a verification request through the gRPC API, on SQLite and PostgreSQL: every bad
//! field at once; only the station holding the file (NOT_FOUND for others, PERMISSION_DENIED
//! for the police); one unanswered request per method; a retry changes nothing; on time or late
//! against the 7 working days from admission; the event and the deemed-receipt deadline.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::identity::v1 as pb;
use tonic::Code;

cluster_tests!(
    a_station_files_one_request_per_method_and_a_retry_changes_nothing,
    start = kit::at("2026-03-02T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let stranded = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let mut station = kit.identity(&xlt_station()).await;

        // Every bad field in one answer.
        let refused = station
            .file_verification_request(pb::FileVerificationRequestRequest {
                request_id: request_id(),
                file_id: file.file_id.clone(),
                methods: vec![1, 1, 0],
                police_unit: "xlt-station".to_owned(),
                note: "注".repeat(1001),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        let mut bad = fields(&refused);
        bad.sort();
        bad.dedup();
        assert_eq!(bad, ["methods", "note", "police_unit"]);
        let refused = file_verification(&kit, &xlt_station(), &file.file_id, &[], "xlt-police")
            .await
            .unwrap_err();
        assert_eq!(fields(&refused), ["methods"]);

        // Another station's file does not exist for this one; the police may not file.
        let refused = file_verification(
            &kit,
            &sz_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna],
            "xlt-police",
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::NotFound);
        let refused = file_verification(
            &kit,
            &xlt_police(),
            &file.file_id,
            &[pb::VerificationMethod::Dna],
            "xlt-police",
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);

        // Filed, with a retry under the same request id.
        let filing = pb::FileVerificationRequestRequest {
            request_id: request_id(),
            file_id: file.file_id.clone(),
            methods: vec![pb::VerificationMethod::Dna as i32],
            police_unit: "city-police-forensics".to_owned(),
            note: "左臂有烫伤疤痕".to_owned(),
        };
        let first = station
            .file_verification_request(filing.clone())
            .await
            .unwrap()
            .into_inner();
        let retried = station
            .file_verification_request(filing)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried, first);
        let filed = first.verification.unwrap();
        assert_eq!(filed.file_id, file.file_id);
        assert_eq!(filed.case_id, file.case_id);
        assert_eq!(filed.station, "xlt-station");
        assert_eq!(filed.division, "211103");
        assert_eq!(filed.methods, [pb::VerificationMethod::Dna as i32]);
        assert_eq!(filed.police_unit, "city-police-forensics");
        assert_eq!(filed.note, "左臂有烫伤疤痕");
        assert_eq!(filed.status, pb::VerificationStatus::AwaitingReceipt as i32);
        assert!(filed.filed_on_time);
        assert!(filed.received_at.is_none() && filed.due_at.is_none());
        // Filed Mon 2026-03-02: deemed received at the end of Thu 2026-03-05.
        assert_eq!(
            instant(filed.acknowledge_by.as_ref()),
            kit::at("2026-03-05T16:00:00Z").unwrap()
        );
        assert_eq!(
            kit.count("SELECT COUNT(*) FROM verification_requests")
                .await,
            1
        );
        let requested = kit.events::<pb::VerificationRequested>().await;
        assert_eq!(requested.len(), 1);
        assert_eq!(requested[0].verification_id, filed.verification_id);
        assert_eq!(requested[0].methods, [pb::VerificationMethod::Dna as i32]);
        assert_eq!(requested[0].acknowledge_by, filed.acknowledge_by);
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'verification.deemed_receipt' \
                 AND state = 'pending'"
            )
            .await,
            1
        );

        // DNA is asked already; face may be asked of another unit. Late after 7 working days.
        let refused = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Face, pb::VerificationMethod::Dna],
            "xlt-police",
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "METHOD_ALREADY_REQUESTED");
        kit.set_clock(kit::at("2026-03-12T10:00:00+08:00").unwrap());
        let face = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Face],
            "city-police-face",
        )
        .await
        .unwrap();
        assert!(!face.filed_on_time);
        assert_eq!(kit.events::<pb::VerificationRequested>().await.len(), 2);

        // In the stranded register (over 3 months), asking for DNA and receiving a face result
        // are completed steps; before it, they were not events.
        kit.set_clock(kit::at("2026-06-03T10:00:00+08:00").unwrap());
        kit.wait_events::<pb::PersonStranded>(2).await;
        assert!(kit.events::<pb::StrandedStepCompleted>().await.is_empty());
        let both = file_verification(
            &kit,
            &xlt_station(),
            &stranded.file_id,
            &[pb::VerificationMethod::Face, pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap();
        assert_eq!(
            both.methods,
            [
                pb::VerificationMethod::Dna as i32,
                pb::VerificationMethod::Face as i32
            ]
        );
        submit_verification_result(
            &kit,
            &forensics(),
            &both.verification_id,
            pb::VerificationMethod::Face,
            pb::submit_verification_result_request::Outcome::NoMatch(pb::NoMatch::default()),
        )
        .await
        .unwrap();
        let steps = kit.events::<pb::StrandedStepCompleted>().await;
        assert_eq!(
            steps.iter().map(|step| step.step).collect::<Vec<_>>(),
            [
                pb::StrandedStep::DnaRequested as i32,
                pb::StrandedStep::FaceResultReceived as i32
            ]
        );
        assert!(steps.iter().all(|step| step.file_id == stranded.file_id));
        kit.stop().await;
    }
);
