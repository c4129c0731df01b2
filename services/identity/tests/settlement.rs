//! Settlement (落户安置) through the real cluster: a person still unidentified 3 months after
//! admission is filed for once (一人一函) to civil affairs and finance; civil affairs covering the
//! case decides; an approval with state support closes the case in intake (STATE_SUPPORT) and,
//! with it, the identity file; a rejection allows a new application; each caller lists what its
//! remit covers. A filing or a decision queued behind a confirmation of the file sees the
//! person identified (PostgreSQL: the file is locked before it is read).

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::SubsecRound;
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_proto::notifications::v1 as notifications;
use relief_runtime::Caller;
use relief_testkit::wait_until;
use tonic::Code;

fn filing(file_id: &str) -> pb::FileSettlementApplicationRequest {
    pb::FileSettlementApplicationRequest {
        request_id: request_id(),
        file_id: file_id.to_owned(),
        note: "入站三个月仍无法查明身份，已发布寻亲公告并采集 DNA".to_owned(),
    }
}

fn approval(application_id: &str) -> pb::DecideSettlementRequest {
    pb::DecideSettlementRequest {
        request_id: request_id(),
        application_id: application_id.to_owned(),
        approve: true,
        collective_household: "盘锦市社会福利院集体户".to_owned(),
        meets_state_support_conditions: true,
        central_care_institution: "盘锦市社会福利院".to_owned(),
        reason: String::new(),
    }
}

fn rejection(application_id: &str) -> pb::DecideSettlementRequest {
    pb::DecideSettlementRequest {
        request_id: request_id(),
        application_id: application_id.to_owned(),
        approve: false,
        reason: "申请材料不全，请补充寻亲公告发布记录".to_owned(),
        ..Default::default()
    }
}

/// The notifications of `kind` addressed to `who`.
async fn notifications_of(kit: &Kit, who: &Caller, kind: &str) -> Vec<notifications::Notification> {
    kit.notifications(who)
        .await
        .list_notifications(notifications::ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
        .into_iter()
        .filter(|n| n.kind == kind)
        .collect()
}

/// The application ids `who` lists with `request`, or the refusal.
async fn listed(
    kit: &Kit,
    who: &Caller,
    request: pb::ListSettlementApplicationsRequest,
) -> Result<(Vec<String>, String), tonic::Status> {
    let page = kit
        .identity(who)
        .await
        .list_settlement_applications(request)
        .await?
        .into_inner();
    Ok((
        page.applications
            .into_iter()
            .map(|a| a.application_id)
            .collect(),
        page.next_page_token,
    ))
}

async fn ids(kit: &Kit, who: &Caller) -> Vec<String> {
    listed(kit, who, Default::default()).await.unwrap().0
}

cluster_tests!(
    a_stranded_person_is_settled_once_and_leaves_the_station,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        let station = xlt_station();
        let stranded = kit
            .admit_unknown(&station, instant_at("2026-01-15T09:00:00+08:00"))
            .await;
        // Still unidentified past 3 months: in the stranded register.
        kit.set_clock(instant_at("2026-04-17T10:00:00+08:00"));
        kit.wait_events::<pb::PersonStranded>(1).await;
        let fresh = kit
            .admit_unknown(&station, instant_at("2026-04-17T09:00:00+08:00"))
            .await;

        // Only the station holding the file files, only for a stranded person.
        let mut client = kit.identity(&station).await;
        let error = kit
            .identity(&sz_station())
            .await
            .file_settlement_application(filing(&stranded.file_id))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = client
            .file_settlement_application(filing(&fresh.file_id))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), reason(&error).as_str()),
            (Code::FailedPrecondition, "NOT_STRANDED")
        );

        // Filed to the county civil-affairs bureau and the city finance bureau; a retry
        // changes nothing; a second application is refused.
        let request = filing(&stranded.file_id);
        let first = client
            .file_settlement_application(request.clone())
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        assert_eq!(first.status, pb::SettlementStatus::Filed as i32);
        assert_eq!(first.addressed_to, ["xlt-civil-affairs", "city-finance"]);
        assert_eq!(
            (first.case_id.as_str(), first.division.as_str()),
            (stranded.case_id.as_str(), "211103")
        );
        let retried = client
            .file_settlement_application(request)
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        assert_eq!(retried, first);
        let error = client
            .file_settlement_application(filing(&stranded.file_id))
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "SETTLEMENT_ALREADY_FILED");
        let filed = kit.events::<pb::SettlementFiled>().await;
        assert_eq!(filed.len(), 1);
        assert_eq!(filed[0].application_id, first.application_id);
        for addressee in [xlt_civil_affairs(), city_finance()] {
            let notes = notifications_of(&kit, &addressee, "SETTLEMENT_FILED").await;
            assert_eq!(notes.len(), 1, "{}", addressee.unit);
            assert_eq!(
                notes[0].subject,
                format!("settlement/{}", first.application_id)
            );
        }

        // Civil affairs of another county does not see it; the province only reads.
        let error = kit
            .identity(&sz_civil_affairs())
            .await
            .decide_settlement(approval(&first.application_id))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let error = kit
            .identity(&province())
            .await
            .decide_settlement(approval(&first.application_id))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);

        // The county bureau rejects: decided once; a new application may be filed.
        let rejected = kit
            .identity(&xlt_civil_affairs())
            .await
            .decide_settlement(rejection(&first.application_id))
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        assert_eq!(rejected.status, pb::SettlementStatus::Rejected as i32);
        assert_eq!(rejected.decided_by, "xlt-civil-affairs");
        let error = kit
            .identity(&xlt_civil_affairs())
            .await
            .decide_settlement(approval(&first.application_id))
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "SETTLEMENT_ALREADY_DECIDED");
        let second = client
            .file_settlement_application(filing(&stranded.file_id))
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();

        // The city bureau approves with state support and central care.
        let approved = kit
            .identity(&city_civil_affairs())
            .await
            .decide_settlement(approval(&second.application_id))
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        assert_eq!(approved.status, pb::SettlementStatus::Approved as i32);
        assert!(approved.state_support);
        assert_eq!(approved.central_care_institution, "盘锦市社会福利院");
        let decided = kit.events::<pb::SettlementDecided>().await;
        assert_eq!(decided.len(), 2);
        assert!(!decided[0].approved);
        let last = &decided[1];
        assert!(last.approved && last.state_support && last.central_care);
        assert_eq!(last.case_id, stranded.case_id);
        assert_eq!(
            notifications_of(&kit, &station, "SETTLEMENT_DECIDED")
                .await
                .len(),
            2
        );

        // Intake closes the case in the station as taken into state support; the stay's end
        // closes the identity file.
        let intake_client = kit.intake(&station).await;
        let case_request = intake::GetCaseRequest {
            case_id: stranded.case_id.clone(),
        };
        wait_until("intake closes the settled case", || {
            let (mut client, request) = (intake_client.clone(), case_request.clone());
            async move {
                client
                    .get_case(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .case
                    .unwrap()
                    .status
                    == intake::CaseStatus::Closed as i32
            }
        })
        .await;
        let closed: Vec<_> = kit
            .intake_events::<intake::CaseClosed>()
            .await
            .into_iter()
            .filter(|closed| closed.case_id == stranded.case_id)
            .collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].kind, intake::DepartureKind::StateSupport as i32);
        // At the decision time (microseconds, as both backends store a departure).
        assert_eq!(
            instant(closed[0].departed_at.as_ref()),
            instant(approved.decided_at.as_ref()).trunc_subsecs(6)
        );
        wait_until("identity closes the file", || async {
            kit.file(&station, &stranded.file_id).await.status
                == pb::IdentityFileStatus::Closed as i32
        })
        .await;

        // Who lists what: the station its own, finance and audit all (the city's), civil
        // affairs its division, newest first; other supervisors have no remit.
        let newest_first = vec![second.application_id.clone(), first.application_id.clone()];
        assert_eq!(ids(&kit, &station).await, newest_first);
        assert!(ids(&kit, &sz_station()).await.is_empty());
        assert_eq!(ids(&kit, &city_finance()).await, newest_first);
        assert_eq!(ids(&kit, &city_audit()).await, newest_first);
        assert_eq!(ids(&kit, &xlt_civil_affairs()).await, newest_first);
        assert!(ids(&kit, &sz_civil_affairs()).await.is_empty());
        assert_eq!(ids(&kit, &province()).await, newest_first);
        let error = listed(&kit, &city_health(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let approved_only = pb::ListSettlementApplicationsRequest {
            status: pb::SettlementStatus::Approved as i32,
            ..Default::default()
        };
        assert_eq!(
            listed(&kit, &city_finance(), approved_only)
                .await
                .unwrap()
                .0,
            std::slice::from_ref(&second.application_id)
        );
        let in_xlt = pb::ListSettlementApplicationsRequest {
            division: "211103".to_owned(),
            page_size: 1,
            ..Default::default()
        };
        let (page, token) = listed(&kit, &city_civil_affairs(), in_xlt.clone())
            .await
            .unwrap();
        assert_eq!(page, std::slice::from_ref(&second.application_id));
        let (page, token) = listed(
            &kit,
            &city_civil_affairs(),
            pb::ListSettlementApplicationsRequest {
                page_token: token,
                ..in_xlt
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (page, token),
            (vec![first.application_id.clone()], String::new())
        );
        let error = listed(
            &kit,
            &xlt_civil_affairs(),
            pb::ListSettlementApplicationsRequest {
                division: "211102".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&error), ["division"]);
        kit.stop().await;
    }
);

/// The instant of an RFC 3339 text.
fn instant_at(text: &str) -> chrono::DateTime<chrono::Utc> {
    kit::at(text).unwrap()
}

// ---- review fix (F3): a filing or a decision waiting for the file's lock reads the file as
// ---- the mutation it waited for left it.

/// Holds file `file_id`'s row lock in a transaction of the test's own (PostgreSQL) until the
/// returned transaction ends, so the mutations of the file queue behind it in the order they
/// ask. A lock without a new row version (`FOR UPDATE`, not an update): waiters then take the
/// row strictly in turn.
async fn hold_file(
    pool: &sqlx::PgPool,
    file_id: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM identity_files WHERE id = $1 FOR UPDATE")
        .bind(file_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Waits until `n` sessions of the identity database wait for a lock.
async fn wait_for_waiters(pool: &sqlx::PgPool, n: i64) {
    wait_until(&format!("{n} session(s) waiting for the file"), || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        waiting == n
    })
    .await;
}

/// The station's confirmation of `file_id` by documents.
fn confirmation(file_id: &str) -> pb::ConfirmIdentityRequest {
    pb::ConfirmIdentityRequest {
        request_id: request_id(),
        file_id: file_id.to_owned(),
        method: pb::ConfirmationMethod::Documents as i32,
        identity: Some(pb::IdentityDetails {
            name: "赵六".to_owned(),
            ..Default::default()
        }),
        note: "亲属前来确认".to_owned(),
    }
}

cluster_tests!(
    a_filing_or_a_decision_queued_behind_a_confirmation_sees_the_person_identified,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        let station = xlt_station();
        let filed_first = kit
            .admit_unknown(&station, instant_at("2026-01-15T09:00:00+08:00"))
            .await;
        let unfiled = kit
            .admit_unknown(&station, instant_at("2026-01-15T09:00:00+08:00"))
            .await;
        kit.set_clock(instant_at("2026-04-17T10:00:00+08:00"));
        kit.wait_events::<pb::PersonStranded>(2).await;
        let mut client = kit.identity(&station).await;
        let application = client
            .file_settlement_application(filing(&filed_first.file_id))
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        let mut civil_affairs = kit.identity(&xlt_civil_affairs()).await;

        let relief_runtime::db::Db::Postgres(pool) = &kit.db else {
            // SQLite runs one writing transaction at a time, from its first read: a filing or a
            // decision after a confirmation simply sees it.
            client
                .confirm_identity(confirmation(&unfiled.file_id))
                .await
                .unwrap();
            let error = client
                .file_settlement_application(filing(&unfiled.file_id))
                .await
                .unwrap_err();
            assert_eq!(reason(&error), "NOT_STRANDED");
            client
                .confirm_identity(confirmation(&filed_first.file_id))
                .await
                .unwrap();
            let error = civil_affairs
                .decide_settlement(approval(&application.application_id))
                .await
                .unwrap_err();
            assert_eq!(reason(&error), "FILE_NOT_OPEN");
            assert!(kit.events::<pb::SettlementDecided>().await.is_empty());
            kit.stop().await;
            return;
        };
        // Nothing else is due: no sweeper will queue for a file.
        wait_until("every due deadline fired", || async {
            let due: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND run_at <= $1",
            )
            .bind(kit.now())
            .fetch_one(pool)
            .await
            .unwrap();
            due == 0
        })
        .await;

        // A confirmation queues for the file first, a filing second: the filing must see the
        // person identified, not the file as it was before it queued.
        let held = hold_file(pool, &unfiled.file_id).await;
        let confirming = tokio::spawn({
            let mut client = client.clone();
            let request = confirmation(&unfiled.file_id);
            async move { client.confirm_identity(request).await }
        });
        wait_for_waiters(pool, 1).await;
        let filing_late = tokio::spawn({
            let mut client = client.clone();
            let request = filing(&unfiled.file_id);
            async move { client.file_settlement_application(request).await }
        });
        wait_for_waiters(pool, 2).await;
        held.commit().await.unwrap();
        confirming.await.unwrap().unwrap();
        let error = filing_late.await.unwrap().unwrap_err();
        assert_eq!(
            (error.code(), reason(&error).as_str()),
            (Code::FailedPrecondition, "NOT_STRANDED")
        );

        // Likewise a confirmation, then an approval: it must see the person identified.
        let held = hold_file(pool, &filed_first.file_id).await;
        let confirming = tokio::spawn({
            let mut client = client.clone();
            let request = confirmation(&filed_first.file_id);
            async move { client.confirm_identity(request).await }
        });
        wait_for_waiters(pool, 1).await;
        let approving = tokio::spawn({
            let request = approval(&application.application_id);
            async move { civil_affairs.decide_settlement(request).await }
        });
        wait_for_waiters(pool, 2).await;
        held.commit().await.unwrap();
        confirming.await.unwrap().unwrap();
        let error = approving.await.unwrap().unwrap_err();
        assert_eq!(
            (error.code(), reason(&error).as_str()),
            (Code::FailedPrecondition, "FILE_NOT_OPEN")
        );
        assert!(kit.events::<pb::SettlementDecided>().await.is_empty());
        assert_eq!(
            ids(&kit, &station).await,
            std::slice::from_ref(&application.application_id)
        );
        kit.stop().await;
    }
);
