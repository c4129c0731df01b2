//! Family-search notices through the gRPC API, on SQLite and PostgreSQL, with the cluster's dev
//! clock: RecordNoticePublication (the holding station only, validated, idempotent, the first
//! notice initial and on time within 24 hours, FILE_NOT_OPEN once the stay ended) and the
//! monthly refresh (a status month without a notice is overdue once, the station notified; a
//! notice inside the next month prevents the next overdue).
//!
//! The stay begins 2026-03-02 09:00 +08:00, so its status months start (`status_months`: the
//! start day not counted, 24:00 local of the corresponding day) at D_1 = 2026-04-03 00:00,
//! D_2 = 2026-05-03 00:00 and D_3 = 2026-06-03 00:00 (+08:00).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_db};
use relief_testkit::wait_until;
use tonic::Code;

/// The instant of an RFC 3339 text.
fn t(text: &str) -> DateTime<Utc> {
    kit::at(text).unwrap()
}

/// A notice of `file_id` published at `published_at`.
fn notice(file_id: &str, published_at: DateTime<Utc>) -> pb::RecordNoticePublicationRequest {
    pb::RecordNoticePublicationRequest {
        request_id: request_id(),
        file_id: file_id.to_owned(),
        platform: "全国救助寻亲网".to_owned(),
        reference: "https://www.zhuzhou.gov.cn/xunqin/2026-0001".to_owned(),
        published_at: Some(timestamp(published_at)),
    }
}

async fn record(
    kit: &Kit,
    who: &Caller,
    request: pb::RecordNoticePublicationRequest,
) -> Result<pb::Notice, tonic::Status> {
    kit.identity(who)
        .await
        .record_notice_publication(request)
        .await
        .map(|response| response.into_inner().notice.unwrap())
}

/// The refresh overdue events of `file_id`.
async fn refresh_overdue(kit: &Kit, file_id: &str) -> Vec<pb::NoticeOverdue> {
    kit.events::<pb::NoticeOverdue>()
        .await
        .into_iter()
        .filter(|event| event.refresh && event.file_id == file_id)
        .collect()
}

/// The state of deadline `id` ('pending', 'fired', 'cancelled'), if there is one.
async fn deadline_state(kit: &Kit, id: &str) -> Option<(String, DateTime<Utc>)> {
    with_db!(&kit.db, |pool| sqlx::query_as(
        "SELECT state, due_at FROM deadlines WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
    .unwrap()
}

async fn notice_rows(kit: &Kit) -> i64 {
    kit.count("SELECT COUNT(*) FROM notices").await
}

cluster_tests!(
    the_holding_station_records_notices_of_its_open_files,
    start = kit::at("2026-03-02T09:00:00+08:00"),
    |kit| {
        let start = t("2026-03-02T09:00:00+08:00");
        let file = kit.admit_unknown(&xlt_station(), start).await;
        let late = kit.admit_unknown(&xlt_station(), start).await;
        assert_eq!(
            instant(file.notice_due_at.as_ref()),
            t("2026-03-03T09:00:00+08:00")
        );

        // Three hours after admission: the first notice, on time.
        kit.set_clock(start + Duration::hours(3));
        let first_request = notice(&file.file_id, start + Duration::hours(3));
        let first = record(&kit, &xlt_station(), first_request.clone())
            .await
            .unwrap();
        assert!(first.initial);
        assert!(first.on_time);
        assert_eq!(
            instant(first.published_at.as_ref()),
            start + Duration::hours(3)
        );
        // The dev clock runs on from where it was set.
        let recorded_at = instant(first.recorded_at.as_ref());
        assert!(recorded_at >= start + Duration::hours(3) && recorded_at <= kit.now());
        assert_eq!(first.platform, "全国救助寻亲网");
        // A retry returns the same notice and records nothing more.
        let again = record(&kit, &xlt_station(), first_request).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(notice_rows(&kit).await, 1);

        // A later notice refreshes it: not initial.
        kit.set_clock(start + Duration::hours(5));
        let second = record(
            &kit,
            &xlt_station(),
            notice(&file.file_id, start + Duration::hours(4)),
        )
        .await
        .unwrap();
        assert!(!second.initial);
        assert!(second.on_time);
        let published = kit.wait_events::<pb::NoticePublished>(2).await;
        assert_eq!(published.len(), 2);
        assert_eq!(published[0].file_id, file.file_id);
        assert_eq!(published[0].notice_id, first.notice_id);
        assert_eq!(published[0].division, "211103");
        assert!(published[0].initial && published[0].on_time);
        assert_eq!(
            instant(published[0].published_at.as_ref()),
            start + Duration::hours(3)
        );
        assert_eq!(published[1].notice_id, second.notice_id);
        assert!(!published[1].initial);
        // The file lists them, oldest first.
        let notices = kit.file(&xlt_station(), &file.file_id).await.notices;
        assert_eq!(notices, [first.clone(), second.clone()]);

        // Another station, even the city station, does not see the file.
        for other in [sz_station(), city_station()] {
            let status = record(
                &kit,
                &other,
                notice(&file.file_id, start + Duration::hours(4)),
            )
            .await
            .unwrap_err();
            assert_eq!(status.code(), Code::NotFound, "{other:?}");
        }
        // In the future, without a platform, before the stay: nothing is recorded.
        let mut bad = notice(&file.file_id, kit.now() + Duration::hours(1));
        bad.platform = "  ".to_owned();
        let status = record(&kit, &xlt_station(), bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut bad_fields = fields(&status);
        bad_fields.sort();
        assert_eq!(bad_fields, ["platform", "published_at"]);
        let status = record(
            &kit,
            &xlt_station(),
            notice(&file.file_id, start - Duration::minutes(1)),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["published_at"]);
        let mut unreferenced = notice(&file.file_id, start + Duration::hours(4));
        unreferenced.reference = "x".repeat(501);
        let status = record(&kit, &xlt_station(), unreferenced)
            .await
            .unwrap_err();
        assert_eq!(fields(&status), ["reference"]);
        assert_eq!(notice_rows(&kit).await, 2);

        // Published 26 hours after admission: the first notice of that file, late.
        kit.set_clock(start + Duration::hours(30));
        let overdue = record(
            &kit,
            &xlt_station(),
            notice(&late.file_id, start + Duration::hours(26)),
        )
        .await
        .unwrap();
        assert!(overdue.initial);
        assert!(!overdue.on_time);

        // Once the stay ended the file takes no notice.
        kit.intake(&xlt_station())
            .await
            .discharge_case(intake::DischargeCaseRequest {
                request_id: request_id(),
                case_id: late.case_id.clone(),
                kind: intake::DepartureKind::SelfDeparture as i32,
                departed_at: Some(timestamp(kit.now())),
                ..Default::default()
            })
            .await
            .unwrap();
        wait_until("identity closes the file", || async {
            kit.file(&xlt_station(), &late.file_id).await.status
                == pb::IdentityFileStatus::Closed as i32
        })
        .await;
        let status = record(&kit, &xlt_station(), notice(&late.file_id, kit.now()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "FILE_NOT_OPEN");
        assert_eq!(notice_rows(&kit).await, 3);
        kit.stop().await;
    }
);

cluster_tests!(
    a_status_month_without_a_notice_is_overdue_once,
    start = kit::at("2026-03-02T09:00:00+08:00"),
    |kit| {
        let start = t("2026-03-02T09:00:00+08:00");
        let file = kit.admit_unknown(&xlt_station(), start).await;
        let d2 = t("2026-05-03T00:00:00+08:00");
        let d3 = t("2026-06-03T00:00:00+08:00");
        // The first window of an UNKNOWN identity is month 1, [D_1, D_2).
        let window = |k: u32| format!("identity.notice_refresh:{}:{k}", file.file_id);
        assert_eq!(
            deadline_state(&kit, &window(1)).await,
            Some(("pending".to_owned(), d2))
        );

        // A notice in month 0 only.
        kit.set_clock(start + Duration::hours(3));
        record(
            &kit,
            &xlt_station(),
            notice(&file.file_id, start + Duration::hours(3)),
        )
        .await
        .unwrap();

        // Month 1 passes without a notice: one overdue, due at D_2, the station notified.
        kit.set_clock(d2 + Duration::minutes(1));
        wait_until("the month-1 refresh fires", || async {
            deadline_state(&kit, &window(1)).await.unwrap().0 == "fired"
        })
        .await;
        let overdue = refresh_overdue(&kit, &file.file_id).await;
        assert_eq!(overdue.len(), 1);
        assert_eq!(instant(overdue[0].due_at.as_ref()), d2);
        assert_eq!(overdue[0].case_id, file.case_id);
        assert_eq!(overdue[0].division, "211103");
        let notified = notifications_of_kind(&kit, &xlt_station(), "NOTICE_REFRESH_OVERDUE").await;
        assert_eq!(notified.len(), 1);
        assert_eq!(
            notified[0].subject,
            format!("identity-file/{}", file.file_id)
        );
        let acknowledge_by = instant(notified[0].acknowledge_by.as_ref());
        assert!(acknowledge_by >= d2 + Duration::minutes(1) + Duration::hours(24));
        assert!(acknowledge_by <= kit.now() + Duration::hours(24));
        assert!(
            notifications_of_kind(&kit, &xlt_civil_affairs(), "NOTICE_REFRESH_OVERDUE")
                .await
                .is_empty()
        );
        // The next window is watched.
        assert_eq!(
            deadline_state(&kit, &window(2)).await,
            Some(("pending".to_owned(), d3))
        );

        // A notice inside month 2 keeps that window on time.
        kit.set_clock(t("2026-05-10T10:00:00+08:00"));
        let refreshed = record(
            &kit,
            &xlt_station(),
            notice(&file.file_id, t("2026-05-10T09:00:00+08:00")),
        )
        .await
        .unwrap();
        assert!(!refreshed.initial);
        assert!(refreshed.on_time);
        kit.set_clock(d3 + Duration::minutes(1));
        wait_until("the month-2 refresh fires", || async {
            deadline_state(&kit, &window(2)).await.unwrap().0 == "fired"
        })
        .await;
        assert_eq!(refresh_overdue(&kit, &file.file_id).await.len(), 1);
        assert_eq!(
            notifications_of_kind(&kit, &xlt_station(), "NOTICE_REFRESH_OVERDUE")
                .await
                .len(),
            1
        );
        assert_eq!(
            deadline_state(&kit, &window(3)).await,
            Some(("pending".to_owned(), t("2026-07-03T00:00:00+08:00")))
        );

        // A notice of month 2 recorded only after the month ended is late: it did not keep
        // that window.
        let belated = record(
            &kit,
            &xlt_station(),
            notice(&file.file_id, t("2026-06-01T10:00:00+08:00")),
        )
        .await
        .unwrap();
        assert!(!belated.on_time);
        kit.stop().await;
    }
);
