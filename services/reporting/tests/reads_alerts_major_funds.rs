//! ListAlerts, ListMajorSituations and GetFundsReport through the real cluster (both backends),
//! answered from the read models only. The read models are seeded by writing rows into the
//! reporting database exactly as ingestion writes them (the contract of issue #7: `r_notifications`
//! and `r_major_situations` rows, period figures through `facts::put`), so these tests do not depend
//! on the ingestion handlers.
//!
//! Alerts: a unit's notifications newest first, paged without loss or duplicates, the
//! UNACKNOWLEDGED and OVERDUE filters ("overdue" moves with the clock), the plan task (an escalation
//! takes its original's), a unit reads only its own alerts, civil affairs and governments read the
//! units of their divisions and get NOT_FOUND for others. Major situations: by period (unset = the
//! current month, local days) and kind, oldest first, paged; an escalation not acknowledged by
//! every recipient becomes ESCALATION_UNRESOLVED 7 days after it was issued (dev clock) and not
//! before, and leaves the list once all acknowledged. Funds: sums per row and the city total,
//! scope, the funds role, a bad period.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use chrono::{DateTime, Utc};
use relief_proto::common::v1::CallerKind as ProtoKind;
use relief_proto::reporting::v1 as pb;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_reporting::facts::{self, Contribution};
use relief_runtime::db::Db;
use relief_runtime::notifications::unit_ref;
use relief_runtime::{Caller, with_db};
use relief_testkit::fixtures::units::*;
use relief_testkit::scene::start_with_pools;
use relief_testkit::{Cluster, TestBackend};
use tonic::Code;
use tonic::transport::Channel;

/// Runs `$body` once per backend with a fresh [`Kit`].
macro_rules! cluster_tests {
    ($($args:tt)*) => {
        relief_testkit::cluster_tests!(Kit; $($args)*);
    };
}

/// A running cluster and a pool on its reporting database.
#[derive(Debug)]
struct Kit {
    cluster: Cluster,
    /// The reporting database.
    db: Db,
}

impl Kit {
    async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let (cluster, mut pools) =
            start_with_pools(backend, start, &["reporting"], |_, _| {}).await?;
        let db = pools.remove(0);
        Some(Kit { cluster, db })
    }

    /// Moves the shared dev clock forward to `to`.
    fn set_clock(&self, to: &str) {
        self.cluster.clock.set(at(to)).unwrap();
    }

    async fn reporting(&self, who: &Caller) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.cluster.channel("reporting", who).await)
    }

    async fn alerts(
        &self,
        who: &Caller,
        request: pb::ListAlertsRequest,
    ) -> Result<pb::ListAlertsResponse, tonic::Status> {
        self.reporting(who)
            .await
            .list_alerts(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every alert of `unit` (empty: the caller's) under `filter`, paging by `page_size`; the
    /// pages' lengths too.
    async fn all_alerts(
        &self,
        who: &Caller,
        unit: &str,
        filter: pb::AlertFilter,
        page_size: i32,
    ) -> (Vec<pb::Alert>, Vec<usize>) {
        let (mut alerts, mut pages, mut token) = (Vec::new(), Vec::new(), String::new());
        loop {
            let page = self
                .alerts(
                    who,
                    pb::ListAlertsRequest {
                        page_size,
                        page_token: token,
                        unit: unit.to_owned(),
                        filter: filter as i32,
                    },
                )
                .await
                .unwrap();
            pages.push(page.alerts.len());
            alerts.extend(page.alerts);
            if page.next_page_token.is_empty() {
                return (alerts, pages);
            }
            assert!(pages.len() < 20, "paging does not end");
            token = page.next_page_token;
        }
    }

    async fn situations(
        &self,
        who: &Caller,
        request: pb::ListMajorSituationsRequest,
    ) -> Result<pb::ListMajorSituationsResponse, tonic::Status> {
        self.reporting(who)
            .await
            .list_major_situations(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// The ids of every situation of `period` (unset: the current month), `division` and
    /// `kind`, paging by `page_size`; the pages' lengths too.
    async fn all_situations(
        &self,
        who: &Caller,
        period: Option<pb::Period>,
        division: &str,
        kind: pb::MajorSituationKind,
        page_size: i32,
    ) -> (Vec<pb::MajorSituation>, Vec<usize>) {
        let (mut situations, mut pages, mut token) = (Vec::new(), Vec::new(), String::new());
        loop {
            let page = self
                .situations(
                    who,
                    pb::ListMajorSituationsRequest {
                        page_size,
                        page_token: token,
                        period,
                        division: division.to_owned(),
                        kind: kind as i32,
                    },
                )
                .await
                .unwrap();
            pages.push(page.situations.len());
            situations.extend(page.situations);
            if page.next_page_token.is_empty() {
                return (situations, pages);
            }
            assert!(pages.len() < 20, "paging does not end");
            token = page.next_page_token;
        }
    }

    async fn funds(
        &self,
        who: &Caller,
        period: Option<pb::Period>,
        division: &str,
    ) -> Result<pb::GetFundsReportResponse, tonic::Status> {
        self.reporting(who)
            .await
            .get_funds_report(pb::GetFundsReportRequest {
                period,
                division: division.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Writes `note` as the notification ingestion stores for a NotificationIssued (and a
    /// NotificationAcknowledged when `acknowledged` is set).
    async fn notification(&self, note: Note<'_>) {
        let recipient = unit_ref(note.to);
        let micros = |text: &str| at(text).timestamp_micros();
        let acknowledged_at = note.acknowledged.map(micros);
        let ack_on_time = acknowledged_at.map(|acked| i32::from(acked <= micros(note.due)));
        with_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO r_notifications (notification_id, source_service, kind, subject, \
                   division, recipient_kind, recipient_division, recipient_unit, issued_at, \
                   acknowledge_by, escalation_of, acknowledged_at, ack_on_time, escalated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL)",
            )
            .bind(note.id)
            .bind(note.source)
            .bind(note.kind)
            .bind(note.subject)
            .bind(note.division)
            .bind(recipient.kind)
            .bind(&recipient.division)
            .bind(&recipient.unit)
            .bind(micros(note.issued))
            .bind(micros(note.due))
            .bind(note.escalation_of)
            .bind(acknowledged_at)
            .bind(ack_on_time)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
    }

    /// Records that `id` was acknowledged at `when` (NotificationAcknowledged).
    async fn acknowledge(&self, id: &str, when: &str) {
        with_db!(&self.db, |pool| {
            sqlx::query(
                "UPDATE r_notifications SET acknowledged_at = $1, \
                   ack_on_time = CASE WHEN $1 <= acknowledge_by THEN 1 ELSE 0 END \
                 WHERE notification_id = $2",
            )
            .bind(at(when).timestamp_micros())
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
    }

    /// Writes a death, abuse or missing situation as ingestion stores it.
    async fn situation(&self, row: Situation<'_>) {
        let occurred = at(row.occurred);
        with_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO r_major_situations (situation_id, kind, division, case_id, subject, \
                   occurred_at, occurred_day, sources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(row.id)
            .bind(row.kind as i32)
            .bind(row.division)
            .bind(row.case_id)
            .bind(row.subject)
            .bind(occurred.timestamp_micros())
            .bind(relief_reporting::time::day(occurred))
            .bind(row.sources)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
    }

    /// Records facts through `facts::put`, as ingestion does: (metric, subject, day, division,
    /// dim, value).
    async fn facts(&self, rows: &[(&str, &str, &str, &str, &str, i64)]) {
        let mut tx = self.db.begin().await.unwrap();
        for (metric, subject, day, division, dim, value) in rows {
            let contribution = Contribution {
                day: (*day).to_owned(),
                division: (*division).to_owned(),
                dim: (*dim).to_owned(),
                value: *value,
            };
            facts::put(&mut tx, metric, subject, Some(contribution))
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// A notification row to seed.
#[derive(Debug, Clone, Copy)]
struct Note<'a> {
    id: &'a str,
    source: &'a str,
    kind: &'a str,
    subject: &'a str,
    division: &'a str,
    to: &'a Caller,
    issued: &'a str,
    due: &'a str,
    escalation_of: Option<&'a str>,
    acknowledged: Option<&'a str>,
}

/// A stored major situation to seed.
#[derive(Debug, Clone, Copy)]
struct Situation<'a> {
    id: &'a str,
    kind: pb::MajorSituationKind,
    division: &'a str,
    case_id: Option<&'a str>,
    subject: &'a str,
    occurred: &'a str,
    sources: &'a str,
}

/// The RFC 3339 instant `text`.
fn at(text: &str) -> DateTime<Utc> {
    relief_testkit::fixtures::instant(text)
}

fn start(text: &str) -> Option<DateTime<Utc>> {
    Some(at(text))
}

fn month(year: i32, number: i32) -> Option<pb::Period> {
    Some(pb::Period {
        kind: pb::PeriodKind::Month as i32,
        year,
        number,
    })
}

fn quarter(year: i32, number: i32) -> Option<pb::Period> {
    Some(pb::Period {
        kind: pb::PeriodKind::Quarter as i32,
        year,
        number,
    })
}

fn ids_of_alerts(alerts: &[pb::Alert]) -> Vec<&str> {
    alerts
        .iter()
        .map(|alert| alert.notification_id.as_str())
        .collect()
}

fn ids_of_situations(situations: &[pb::MajorSituation]) -> Vec<&str> {
    situations
        .iter()
        .map(|situation| situation.situation_id.as_str())
        .collect()
}

/// Seven VERIFICATION_OVERDUE notifications to 兴隆台分局 (two issued at the same instant), one
/// to 双台子分局, an incident notice to 兴隆台区民政局 and its escalation to the city police bureau.
/// Now is 2026-03-20 10:00 local.
async fn seed_alerts(kit: &Kit) {
    let (xlt, sz, city) = (xlt_police(), sz_police(), city_police());
    let xlt_ca = xlt_civil_affairs();
    let to_xlt = |id, issued, due, acknowledged| Note {
        id,
        source: "identity",
        kind: "VERIFICATION_OVERDUE",
        subject: "verification/v-1",
        division: "211103",
        to: &xlt,
        issued,
        due,
        escalation_of: None,
        acknowledged,
    };
    for note in [
        to_xlt(
            "alert-01",
            "2026-03-01T09:00:00+08:00",
            "2026-03-02T09:00:00+08:00",
            Some("2026-03-01T12:00:00+08:00"),
        ),
        to_xlt(
            "alert-02",
            "2026-03-02T09:00:00+08:00",
            "2026-03-03T09:00:00+08:00",
            None,
        ),
        to_xlt(
            "alert-03",
            "2026-03-03T09:00:00+08:00",
            "2026-03-04T09:00:00+08:00",
            None,
        ),
        to_xlt(
            "alert-04",
            "2026-03-05T09:00:00+08:00",
            "2026-03-25T09:00:00+08:00",
            None,
        ),
        to_xlt(
            "alert-05",
            "2026-03-05T09:00:00+08:00",
            "2026-03-25T09:00:00+08:00",
            Some("2026-03-06T09:00:00+08:00"),
        ),
        to_xlt(
            "alert-06",
            "2026-03-10T09:00:00+08:00",
            "2026-03-11T09:00:00+08:00",
            Some("2026-03-12T09:00:00+08:00"),
        ),
        to_xlt(
            "alert-07",
            "2026-03-15T09:00:00+08:00",
            "2026-03-30T09:00:00+08:00",
            None,
        ),
    ] {
        kit.notification(note).await;
    }
    kit.notification(Note {
        id: "alert-sz",
        division: "211102",
        to: &sz,
        ..to_xlt(
            "",
            "2026-03-16T09:00:00+08:00",
            "2026-03-17T09:00:00+08:00",
            None,
        )
    })
    .await;
    kit.notification(Note {
        id: "incident-1",
        source: "intake",
        kind: "INCIDENT_REPORTED",
        subject: "incident/i-1",
        division: "211103",
        to: &xlt_ca,
        issued: "2026-03-08T09:00:00+08:00",
        due: "2026-03-09T09:00:00+08:00",
        escalation_of: None,
        acknowledged: None,
    })
    .await;
    kit.notification(Note {
        id: "escalation-1",
        source: "intake",
        kind: "NOTIFICATION_UNACKNOWLEDGED",
        subject: "incident/i-1",
        division: "211103",
        to: &city,
        issued: "2026-03-09T09:00:00+08:00",
        due: "2026-03-10T09:00:00+08:00",
        escalation_of: Some("incident-1"),
        acknowledged: None,
    })
    .await;
}

cluster_tests!(
    alerts_are_paged_filtered_and_scoped_to_the_unit,
    start = start("2026-03-20T10:00:00+08:00"),
    |kit| {
        seed_alerts(&kit).await;
        let police = xlt_police();
        let newest_first = [
            "alert-07", "alert-06", "alert-05", "alert-04", "alert-03", "alert-02", "alert-01",
        ];

        // Three pages of 3, 3 and 1: every alert once, newest first (ties by id).
        let (all, pages) = kit
            .all_alerts(&police, "", pb::AlertFilter::Unspecified, 3)
            .await;
        assert_eq!(pages, vec![3, 3, 1]);
        assert_eq!(ids_of_alerts(&all), newest_first);

        // Naming its own unit is the same list; one page of 50 by default.
        let (own, pages) = kit
            .all_alerts(&police, "xlt-police", pb::AlertFilter::Unspecified, 0)
            .await;
        assert_eq!(pages, vec![7]);
        assert_eq!(ids_of_alerts(&own), newest_first);

        let overdue = all
            .iter()
            .find(|alert| alert.notification_id == "alert-02")
            .unwrap();
        assert_eq!(overdue.source_service, "identity");
        assert_eq!(overdue.kind, "VERIFICATION_OVERDUE");
        assert_eq!(overdue.subject, "verification/v-1");
        assert_eq!(overdue.division, "211103");
        let recipient = overdue.recipient.as_ref().unwrap();
        assert_eq!(
            (
                recipient.kind,
                recipient.division.as_str(),
                recipient.unit.as_str()
            ),
            (ProtoKind::Police as i32, "211103", "xlt-police")
        );
        assert_eq!(
            overdue.issued_at.unwrap().seconds,
            at("2026-03-02T09:00:00+08:00").timestamp()
        );
        assert_eq!(
            overdue.acknowledge_by.unwrap().seconds,
            at("2026-03-03T09:00:00+08:00").timestamp()
        );
        assert!(overdue.acknowledged_at.is_none());
        assert!(overdue.overdue);
        assert_eq!(overdue.task_id, "2.4.3");
        let acknowledged = all
            .iter()
            .find(|alert| alert.notification_id == "alert-06")
            .unwrap();
        assert_eq!(
            acknowledged.acknowledged_at.unwrap().seconds,
            at("2026-03-12T09:00:00+08:00").timestamp()
        );
        assert!(!acknowledged.overdue, "acknowledged (late) is not overdue");

        // Filters.
        let (open, _) = kit
            .all_alerts(&police, "", pb::AlertFilter::Unacknowledged, 2)
            .await;
        assert_eq!(
            ids_of_alerts(&open),
            ["alert-07", "alert-04", "alert-03", "alert-02"]
        );
        let (late, _) = kit
            .all_alerts(&police, "", pb::AlertFilter::Overdue, 0)
            .await;
        assert_eq!(ids_of_alerts(&late), ["alert-03", "alert-02"]);
        assert!(late.iter().all(|alert| alert.overdue));
        assert!(!open[0].overdue, "alert-07 is due on 2026-03-30");

        // A police unit reads its own alerts only.
        let other = kit
            .alerts(
                &police,
                pb::ListAlertsRequest {
                    unit: "sz-police".to_owned(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::NotFound);
        let (sz_own, _) = kit
            .all_alerts(&sz_police(), "", pb::AlertFilter::Unspecified, 0)
            .await;
        assert_eq!(ids_of_alerts(&sz_own), ["alert-sz"]);

        // Civil affairs and governments read the units of their division; a county's bureau
        // asking for another county's unit (or an unknown one) gets NOT_FOUND.
        for reader in [xlt_civil_affairs(), xlt_government(), city_civil_affairs()] {
            let (read, _) = kit
                .all_alerts(&reader, "xlt-police", pb::AlertFilter::Unspecified, 0)
                .await;
            assert_eq!(ids_of_alerts(&read), newest_first, "{reader:?}");
        }
        for unit in ["sz-police", "sz-civil-affairs", "no-such-unit"] {
            let refused = kit
                .alerts(
                    &xlt_civil_affairs(),
                    pb::ListAlertsRequest {
                        unit: unit.to_owned(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(refused.code(), Code::NotFound, "{unit}");
        }
        let (city_reads_sz, _) = kit
            .all_alerts(
                &city_civil_affairs(),
                "sz-police",
                pb::AlertFilter::Unspecified,
                0,
            )
            .await;
        assert_eq!(ids_of_alerts(&city_reads_sz), ["alert-sz"]);

        // An escalation carries what it escalates and takes its task (INCIDENT_REPORTED: 2.2.2).
        let (escalations, _) = kit
            .all_alerts(&city_police(), "", pb::AlertFilter::Unspecified, 0)
            .await;
        assert_eq!(ids_of_alerts(&escalations), ["escalation-1"]);
        assert_eq!(escalations[0].escalation_of, "incident-1");
        assert_eq!(escalations[0].task_id, "2.2.2");
        let (incident, _) = kit
            .all_alerts(&xlt_civil_affairs(), "", pb::AlertFilter::Unspecified, 0)
            .await;
        assert_eq!(ids_of_alerts(&incident), ["incident-1"]);
        assert_eq!(incident[0].task_id, "2.2.2");

        // Overdue is worked out at query time: past 2026-03-25 09:00 alert-04 is overdue too, and
        // past 2026-03-30 09:00 alert-07.
        kit.set_clock("2026-03-25T09:00:01+08:00");
        let (late, _) = kit
            .all_alerts(&police, "", pb::AlertFilter::Overdue, 0)
            .await;
        assert_eq!(ids_of_alerts(&late), ["alert-04", "alert-03", "alert-02"]);
        kit.set_clock("2026-03-30T09:00:01+08:00");
        let (late, _) = kit
            .all_alerts(&police, "", pb::AlertFilter::Overdue, 0)
            .await;
        assert_eq!(
            ids_of_alerts(&late),
            ["alert-07", "alert-04", "alert-03", "alert-02"]
        );

        // Malformed paging.
        for request in [
            pb::ListAlertsRequest {
                page_token: "not a token".to_owned(),
                ..Default::default()
            },
            pb::ListAlertsRequest {
                page_size: -1,
                ..Default::default()
            },
        ] {
            let refused = kit.alerts(&police, request).await.unwrap_err();
            assert_eq!(refused.code(), Code::InvalidArgument);
        }
    }
);

/// Deaths, abuse and missing persons as ingestion stores them, and escalation groups (of a
/// reminder, a kind that is no missed obligation itself, so its escalations count): one of
/// 2026-03-15 09:00 (211103) of which one of two recipients acknowledged, one all acknowledged,
/// one of February about a case (211102). Now is 2026-03-20 10:00 local.
async fn seed_situations(kit: &Kit) {
    for row in [
        Situation {
            id: "DEATH:case-a",
            kind: pb::MajorSituationKind::Death,
            division: "211103",
            case_id: Some("case-a"),
            subject: "case/case-a",
            occurred: "2026-03-05T08:00:00+08:00",
            sources: "relief.intake.v1.CaseClosed,relief.intake.v1.IncidentReported",
        },
        Situation {
            id: "ABUSE:report-1",
            kind: pb::MajorSituationKind::Abuse,
            division: "211102",
            case_id: Some("case-b"),
            subject: "abuse-report/report-1",
            occurred: "2026-03-12T14:00:00+08:00",
            sources: "relief.intake.v1.AbuseSuspected",
        },
        Situation {
            id: "MISSING:case-c",
            kind: pb::MajorSituationKind::Missing,
            division: "211103",
            case_id: Some("case-c"),
            subject: "case/case-c",
            occurred: "2026-02-20T10:00:00+08:00",
            sources: "relief.foster.v1.IncidentReported",
        },
        // 00:30 local on March 1 is still February 28 in UTC: a March situation.
        Situation {
            id: "DEATH:case-d",
            kind: pb::MajorSituationKind::Death,
            division: "211100",
            case_id: Some("case-d"),
            subject: "case/case-d",
            occurred: "2026-03-01T00:30:00+08:00",
            sources: "relief.intake.v1.CaseClosed",
        },
    ] {
        kit.situation(row).await;
    }
    let (city, city_ca, xlt) = (city_police(), city_civil_affairs(), xlt_police());
    let escalation = |id, to, subject, division, issued, acknowledged| Note {
        id,
        source: "identity",
        kind: "NOTIFICATION_UNACKNOWLEDGED",
        subject,
        division,
        to,
        issued,
        due: issued,
        escalation_of: Some("original-1"),
        acknowledged,
    };
    kit.notification(Note {
        id: "original-1",
        source: "identity",
        kind: "VERIFICATION_ANSWER_DUE",
        subject: "verification/v-1",
        division: "211103",
        to: &xlt,
        issued: "2026-03-10T09:00:00+08:00",
        due: "2026-03-14T09:00:00+08:00",
        escalation_of: None,
        acknowledged: None,
    })
    .await;
    for note in [
        escalation(
            "esc-1a",
            &city,
            "verification/v-1",
            "211103",
            "2026-03-15T09:00:00+08:00",
            Some("2026-03-15T10:00:00+08:00"),
        ),
        escalation(
            "esc-1b",
            &city_ca,
            "verification/v-1",
            "211103",
            "2026-03-15T09:00:00+08:00",
            None,
        ),
        escalation(
            "esc-2a",
            &city,
            "verification/v-2",
            "211103",
            "2026-03-11T09:00:00+08:00",
            Some("2026-03-11T10:00:00+08:00"),
        ),
        escalation(
            "esc-2b",
            &city_ca,
            "verification/v-2",
            "211103",
            "2026-03-11T09:00:00+08:00",
            Some("2026-03-12T10:00:00+08:00"),
        ),
        escalation(
            "esc-3a",
            &city_ca,
            "case/case-x",
            "211102",
            "2026-02-25T09:00:00+08:00",
            None,
        ),
    ] {
        kit.notification(note).await;
    }
}

cluster_tests!(
    major_situations_by_period_and_kind_with_escalations_unresolved_after_7_days,
    start = start("2026-03-20T10:00:00+08:00"),
    |kit| {
        seed_situations(&kit).await;
        let city = city_civil_affairs();
        let all = pb::MajorSituationKind::Unspecified;
        let escalations = pb::MajorSituationKind::EscalationUnresolved;

        // The current month (unset period), oldest first; the March escalation is 5 days old.
        let (march, _) = kit.all_situations(&city, None, "", all, 0).await;
        assert_eq!(
            ids_of_situations(&march),
            ["DEATH:case-d", "DEATH:case-a", "ABUSE:report-1"]
        );
        let death = &march[1];
        assert_eq!(death.kind, pb::MajorSituationKind::Death as i32);
        assert_eq!(
            (
                death.division.as_str(),
                death.case_id.as_str(),
                death.subject.as_str()
            ),
            ("211103", "case-a", "case/case-a")
        );
        assert_eq!(
            death.occurred_at.unwrap().seconds,
            at("2026-03-05T08:00:00+08:00").timestamp()
        );
        assert_eq!(
            death.sources,
            [
                "relief.intake.v1.CaseClosed",
                "relief.intake.v1.IncidentReported"
            ]
        );

        // Not before 7 days...
        kit.set_clock("2026-03-22T08:59:00+08:00");
        let (none, _) = kit.all_situations(&city, None, "", escalations, 0).await;
        assert_eq!(ids_of_situations(&none), Vec::<&str>::new());

        // ...but from then on: one situation for the group, named by its first notification.
        kit.set_clock("2026-03-22T09:00:01+08:00");
        let (unresolved, _) = kit.all_situations(&city, None, "", escalations, 0).await;
        assert_eq!(ids_of_situations(&unresolved), ["ESCALATION:esc-1a"]);
        let escalation = &unresolved[0];
        assert_eq!(
            escalation.kind,
            pb::MajorSituationKind::EscalationUnresolved as i32
        );
        assert_eq!(
            (escalation.division.as_str(), escalation.subject.as_str()),
            ("211103", "verification/v-1")
        );
        assert_eq!(escalation.case_id, "");
        assert_eq!(
            escalation.occurred_at.unwrap().seconds,
            at("2026-03-15T09:00:00+08:00").timestamp()
        );
        assert_eq!(
            escalation.sources,
            ["relief.notifications.v1.NotificationIssued"]
        );

        let (march, _) = kit.all_situations(&city, month(2026, 3), "", all, 0).await;
        assert_eq!(
            ids_of_situations(&march),
            [
                "DEATH:case-d",
                "DEATH:case-a",
                "ABUSE:report-1",
                "ESCALATION:esc-1a"
            ]
        );
        let (february, _) = kit.all_situations(&city, month(2026, 2), "", all, 0).await;
        assert_eq!(
            ids_of_situations(&february),
            ["MISSING:case-c", "ESCALATION:esc-3a"]
        );
        assert_eq!(february[1].case_id, "case-x");

        // The quarter in three pages of 2, without loss or duplicates.
        let (q1, pages) = kit
            .all_situations(&city, quarter(2026, 1), "", all, 2)
            .await;
        assert_eq!(pages, vec![2, 2, 2]);
        assert_eq!(
            ids_of_situations(&q1),
            [
                "MISSING:case-c",
                "ESCALATION:esc-3a",
                "DEATH:case-d",
                "DEATH:case-a",
                "ABUSE:report-1",
                "ESCALATION:esc-1a"
            ]
        );
        let (deaths, _) = kit
            .all_situations(
                &city,
                quarter(2026, 1),
                "",
                pb::MajorSituationKind::Death,
                1,
            )
            .await;
        assert_eq!(ids_of_situations(&deaths), ["DEATH:case-d", "DEATH:case-a"]);

        // Scope: a county sees its division; another division is NOT_FOUND.
        let xlt = xlt_civil_affairs();
        let (county, _) = kit.all_situations(&xlt, month(2026, 3), "", all, 0).await;
        assert_eq!(
            ids_of_situations(&county),
            ["DEATH:case-a", "ESCALATION:esc-1a"]
        );
        let refused = kit
            .situations(
                &xlt,
                pb::ListMajorSituationsRequest {
                    division: "211102".to_owned(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::NotFound);
        let (sz, _) = kit
            .all_situations(&city_government(), quarter(2026, 1), "211102", all, 0)
            .await;
        assert_eq!(
            ids_of_situations(&sz),
            ["ESCALATION:esc-3a", "ABUSE:report-1"]
        );

        // Once every recipient acknowledged, the escalation is resolved.
        kit.acknowledge("esc-1b", "2026-03-22T09:30:00+08:00").await;
        let (resolved, _) = kit.all_situations(&city, None, "", escalations, 0).await;
        assert_eq!(ids_of_situations(&resolved), Vec::<&str>::new());

        // A malformed period, a police caller.
        let bad = kit
            .situations(
                &city,
                pb::ListMajorSituationsRequest {
                    period: month(2026, 13),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let police = kit
            .situations(&xlt_police(), pb::ListMajorSituationsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(police.code(), Code::PermissionDenied);
    }
);

/// The funds of one row: (division, medical, other, foster fees, days in care).
fn funds_row(row: &pb::FundsRow) -> (String, i64, i64, i64, i32) {
    let fen = |money: &Option<relief_proto::common::v1::Money>| money.as_ref().unwrap().fen;
    (
        row.area.as_ref().unwrap().division.clone(),
        fen(&row.medical_costs),
        fen(&row.other_service_costs),
        fen(&row.foster_fees),
        row.foster_days_in_care,
    )
}

cluster_tests!(
    funds_sum_per_row_and_city_total_for_callers_with_funds,
    start = start("2026-04-10T10:00:00+08:00"),
    |kit| {
        kit.facts(&[
            (
                "cost_fen",
                "service-1",
                "2026-03-03",
                "211103",
                "SERVICE_KIND_TREATMENT",
                12_000,
            ),
            (
                "cost_fen",
                "service-2",
                "2026-03-04",
                "211103",
                "SERVICE_KIND_MEALS",
                800,
            ),
            (
                "cost_fen",
                "service-3",
                "2026-03-20",
                "211103",
                "SERVICE_KIND_LODGING",
                1_500,
            ),
            (
                "cost_fen",
                "service-4",
                "2026-03-10",
                "211102",
                "SERVICE_KIND_OTHER",
                500,
            ),
            (
                "cost_fen",
                "service-5",
                "2026-03-31",
                "211100",
                "SERVICE_KIND_TREATMENT",
                3_000,
            ),
            (
                "cost_fen",
                "service-6",
                "2026-04-01",
                "211103",
                "SERVICE_KIND_TREATMENT",
                99_999,
            ),
            (
                "foster_fee_fen",
                "placement-1|2026-03",
                "2026-03-31",
                "211103",
                "inst-1",
                150_000,
            ),
            (
                "foster_days",
                "placement-1|2026-03",
                "2026-03-31",
                "211103",
                "",
                31,
            ),
            (
                "foster_fee_fen",
                "placement-2|2026-03",
                "2026-03-31",
                "211104",
                "inst-2",
                40_000,
            ),
            (
                "foster_days",
                "placement-2|2026-03",
                "2026-03-31",
                "211104",
                "",
                8,
            ),
            (
                "foster_fee_fen",
                "placement-1|2026-02",
                "2026-02-28",
                "211103",
                "inst-1",
                140_000,
            ),
            (
                "foster_days",
                "placement-1|2026-02",
                "2026-02-28",
                "211103",
                "",
                28,
            ),
            // Not funds: never in the report.
            ("admission", "case-1", "2026-03-03", "211103", "NEW", 1),
        ])
        .await;

        let march = kit
            .funds(&city_finance(), month(2026, 3), "")
            .await
            .unwrap();
        assert_eq!(march.period, month(2026, 3));
        let rows: Vec<_> = march.rows.iter().map(funds_row).collect();
        assert_eq!(
            rows,
            vec![
                ("211102".to_owned(), 0, 500, 0, 0),
                ("211103".to_owned(), 12_000, 2_300, 150_000, 31),
                ("211104".to_owned(), 0, 0, 40_000, 8),
                ("211122".to_owned(), 0, 0, 0, 0),
                ("211100".to_owned(), 3_000, 0, 0, 0),
                ("211100".to_owned(), 15_000, 2_800, 190_000, 39),
            ]
        );
        let kinds: Vec<i32> = march
            .rows
            .iter()
            .map(|row| row.area.as_ref().unwrap().kind)
            .collect();
        assert_eq!(kinds[4], pb::AreaKind::CityStation as i32);
        assert_eq!(kinds[5], pb::AreaKind::City as i32);

        // A quarter takes February's fee too; April's treatment stays out of it.
        let q1 = kit
            .funds(&city_audit(), quarter(2026, 1), "")
            .await
            .unwrap();
        let total = funds_row(q1.rows.last().unwrap());
        assert_eq!(total, ("211100".to_owned(), 15_000, 2_800, 330_000, 67));

        // Scope: a county sees its own row only (no total); the city may ask for one row.
        let county = kit
            .funds(&xlt_civil_affairs(), month(2026, 3), "")
            .await
            .unwrap();
        let rows: Vec<_> = county.rows.iter().map(funds_row).collect();
        assert_eq!(
            rows,
            vec![("211103".to_owned(), 12_000, 2_300, 150_000, 31)]
        );
        let one = kit
            .funds(&city_government(), month(2026, 3), "211104")
            .await
            .unwrap();
        let rows: Vec<_> = one.rows.iter().map(funds_row).collect();
        assert_eq!(rows, vec![("211104".to_owned(), 0, 0, 40_000, 8)]);
        let other_county = kit
            .funds(&xlt_civil_affairs(), month(2026, 3), "211102")
            .await
            .unwrap_err();
        assert_eq!(other_county.code(), Code::NotFound);

        // A supervisor without the funds role, a police unit, a bad or missing period.
        let health = kit
            .funds(&city_health(), month(2026, 3), "")
            .await
            .unwrap_err();
        assert_eq!(health.code(), Code::PermissionDenied);
        let police = kit
            .funds(&xlt_police(), month(2026, 3), "")
            .await
            .unwrap_err();
        assert_eq!(police.code(), Code::PermissionDenied);
        for period in [month(2026, 13), quarter(2026, 5), None] {
            let bad = kit.funds(&city_finance(), period, "").await.unwrap_err();
            assert_eq!(bad.code(), Code::InvalidArgument, "{period:?}");
            assert_eq!(relief_testkit::fixtures::fields(&bad), ["period"]);
        }
    }
);
