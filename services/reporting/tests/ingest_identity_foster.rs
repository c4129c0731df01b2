//! Ingestion of the identity and foster feeds (issue #7), on both backends: small event
//! sequences applied through `ingest::Ingest` exactly as the runtime's consumer applies them (one
//! transaction per event, `support::apply_event`), and the read models they leave: identity
//! files, verification requests, placements, institutions, visits, late items, major situations
//! and the period facts.
//!
//! Every event applied twice, and every sequence applied again, leaves identical tables; the
//! order between the feeds does not matter either.

mod support;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use prost::{Message, Name};
use prost_types::Timestamp;
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as fpb;
use relief_proto::identity::v1 as ipb;
use relief_proto::intake::v1 as inpb;
use relief_reporting::facts::Contribution;
use relief_runtime::db::Db;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::with_db;
use sqlx::Row;
use support::{LateRow, Reporting, fact, late_item, snapshot};

// ---- helpers --------------------------------------------------------------------------------

const XLT: &str = "211103";
const SZ: &str = "211102";
const DW: &str = "211104";
const PS: &str = "211122";

/// The instant of a local (Asia/Shanghai) time `YYYY-MM-DD HH:MM[:SS]`.
fn t(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M"))
        .expect("a local time");
    relief_legal::china()
        .from_local_datetime(&naive)
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The protobuf timestamp of local time `local`.
fn ts(local: &str) -> Option<Timestamp> {
    Some(relief_runtime::time::timestamp(t(local)))
}

/// Local time `local` as stored (µs since the epoch), as the text [`rows`] renders it.
fn us(local: &str) -> String {
    t(local).timestamp_micros().to_string()
}

/// Event sequences, numbered per feed, to apply once, twice or in another order.
#[derive(Debug, Clone, Default)]
struct Events(Vec<ReceivedEvent>);

impl Events {
    /// The seq the next event of `source` gets.
    fn next_seq(&self, source: &str) -> i64 {
        let sent = self.0.iter().filter(|e| e.source == source).count();
        i64::try_from(sent).expect("a test sends few events") + 1
    }

    fn push<M: Message + Name>(&mut self, source: &'static str, at: &str, message: &M) {
        let seq = self.next_seq(source);
        self.0.push(support::event(source, seq, t(at), message));
    }

    fn identity<M: Message + Name>(&mut self, at: &str, message: M) {
        self.push("identity", at, &message);
    }

    fn foster<M: Message + Name>(&mut self, at: &str, message: M) {
        self.push("foster", at, &message);
    }

    fn intake<M: Message + Name>(&mut self, at: &str, message: M) {
        self.push("intake", at, &message);
    }

    /// Appends `other`'s events, numbered after this sequence's.
    fn extend(&mut self, other: Events) {
        for event in other.0 {
            let seq = self.next_seq(&event.source);
            self.0.push(ReceivedEvent {
                seq,
                event_id: format!("{}:{seq}", event.source),
                ..event
            });
        }
    }

    /// The events of `source` only, in their order.
    fn of(&self, source: &str) -> Events {
        Events(
            self.0
                .iter()
                .filter(|e| e.source == source)
                .cloned()
                .collect(),
        )
    }
}

/// Applies every event of `events` in order, each in its own transaction.
async fn apply_all(db: &Db, events: &Events) {
    for event in &events.0 {
        support::apply_event(db, event).await;
    }
}

/// The rows of `sql`, every value as text (`NULL` for null), in the order the query gives.
async fn rows(db: &Db, sql: &str) -> Vec<Vec<String>> {
    with_db!(db, |pool| {
        let found = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(pool)
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
        found
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
                            return value.map_or_else(|| "NULL".to_owned(), |v| v.to_string());
                        }
                        if let Ok(value) = row.try_get::<Option<i32>, _>(i) {
                            return value.map_or_else(|| "NULL".to_owned(), |v| v.to_string());
                        }
                        row.try_get::<Option<String>, _>(i)
                            .unwrap_or_else(|error| panic!("{sql}: column {i}: {error}"))
                            .unwrap_or_else(|| "NULL".to_owned())
                    })
                    .collect::<Vec<String>>()
            })
            .collect::<Vec<_>>()
    })
}

/// The one row of `sql` (panics unless exactly one).
async fn row(db: &Db, sql: &str) -> Vec<String> {
    let mut found = rows(db, sql).await;
    assert_eq!(found.len(), 1, "{sql}: {found:?}");
    found.remove(0)
}

/// A count of one (or an amount) under `dim`, as [`fact`] gives it.
fn contribution(day: &str, division: &str, dim: &str, value: i64) -> Option<Contribution> {
    Some(Contribution {
        day: day.to_owned(),
        division: division.to_owned(),
        dim: dim.to_owned(),
        value,
    })
}

/// The daily counter of `metric` on `day` in `division` under `dim` (0 when none).
async fn counter(db: &Db, metric: &str, day: &str, division: &str, dim: &str) -> i64 {
    rows(
        db,
        &format!(
            "SELECT value FROM r_daily WHERE metric = '{metric}' AND day = '{day}' \
             AND division = '{division}' AND dim = '{dim}'"
        ),
    )
    .await
    .pop()
    .map_or(0, |row| row[0].parse().expect("a number"))
}

/// A late item of `kind` in `division` for `unit`, due at local `due`, seen late at `late`,
/// done at `done` (as [`late_item`] gives it).
fn late(
    kind: &str,
    division: &str,
    unit: &str,
    due: &str,
    late: &str,
    done: Option<&str>,
) -> Option<LateRow> {
    Some(LateRow {
        kind: kind.to_owned(),
        division: division.to_owned(),
        responsible_unit: Some(unit.to_owned()),
        due_at: t(due),
        late_at: t(late),
        done_at: done.map(t),
        done_day: done.map(|done| done[..10].to_owned()),
    })
}

// ---- event sequences ------------------------------------------------------------------------

/// File f-1 (unknown identity, xlt): notice and request on time, stranded with steps, moved by
/// two transfers, settled and confirmed. Confirmation and approval are sent again after the
/// second transfer, as identity does.
fn file_lifecycle() -> Events {
    let mut e = Events::default();
    e.identity(
        "2026-03-02 10:00",
        ipb::IdentityFileOpened {
            file_id: "f-1".into(),
            case_id: "c-1".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            stay_began_at: ts("2026-03-02 10:00"),
            admitted_as: inpb::IdentityStatus::Unknown as i32,
            notice_due_at: ts("2026-03-03 10:00"),
            request_due_at: ts("2026-03-12 00:00"),
        },
    );
    e.identity(
        "2026-03-02 20:00",
        ipb::NoticePublished {
            file_id: "f-1".into(),
            notice_id: "n-1".into(),
            division: XLT.into(),
            published_at: ts("2026-03-02 19:00"),
            initial: true,
            on_time: true,
        },
    );
    e.identity(
        "2026-03-05 09:00",
        ipb::VerificationRequested {
            verification_id: "v-1".into(),
            file_id: "f-1".into(),
            case_id: "c-1".into(),
            division: XLT.into(),
            station: "xlt-station".into(),
            police_unit: "xlt-police".into(),
            methods: vec![ipb::VerificationMethod::Dna as i32],
            filed_at: ts("2026-03-05 09:00"),
            filed_on_time: true,
            acknowledge_by: ts("2026-03-10 00:00"),
        },
    );
    e.identity(
        "2026-06-03 00:00",
        ipb::PersonStranded {
            file_id: "f-1".into(),
            case_id: "c-1".into(),
            division: XLT.into(),
            stranded_since: ts("2026-06-03 00:00"),
            missing: vec![
                ipb::StrandedStep::DnaRequested as i32,
                ipb::StrandedStep::FaceResultReceived as i32,
            ],
        },
    );
    e.identity(
        "2026-06-05 11:00",
        ipb::StrandedStepCompleted {
            file_id: "f-1".into(),
            division: XLT.into(),
            step: ipb::StrandedStep::DnaRequested as i32,
            completed_at: ts("2026-06-05 11:00"),
        },
    );
    e.identity(
        "2026-06-10 09:00",
        ipb::IdentityFileContinued {
            file_id: "f-1".into(),
            case_id: "c-2".into(),
            previous_case_id: "c-1".into(),
            station: "sz-station".into(),
            division: SZ.into(),
            continued_at: ts("2026-06-10 09:00"),
        },
    );
    e.identity(
        "2026-06-12 10:00",
        ipb::SettlementFiled {
            application_id: "a-1".into(),
            file_id: "f-1".into(),
            case_id: "c-2".into(),
            division: SZ.into(),
            filed_at: ts("2026-06-12 10:00"),
        },
    );
    let decided = ipb::SettlementDecided {
        application_id: "a-1".into(),
        file_id: "f-1".into(),
        case_id: "c-2".into(),
        division: SZ.into(),
        approved: true,
        state_support: true,
        central_care: false,
        decided_at: ts("2026-06-18 15:00"),
    };
    e.identity("2026-06-18 15:00", decided.clone());
    let confirmed = ipb::IdentityConfirmed {
        file_id: "f-1".into(),
        case_id: "c-2".into(),
        division: SZ.into(),
        confirmed_at: ts("2026-06-20 10:00"),
        method: ipb::ConfirmationMethod::Documents as i32,
        person_key: String::new(),
        origin_division: String::new(),
    };
    e.identity("2026-06-20 10:00", confirmed.clone());
    e.identity(
        "2026-06-25 09:00",
        ipb::IdentityFileContinued {
            file_id: "f-1".into(),
            case_id: "c-3".into(),
            previous_case_id: "c-2".into(),
            station: "ps-station".into(),
            division: PS.into(),
            continued_at: ts("2026-06-25 09:00"),
        },
    );
    e.identity(
        "2026-06-25 09:00",
        ipb::IdentityConfirmed {
            case_id: "c-3".into(),
            division: PS.into(),
            ..confirmed
        },
    );
    e.identity(
        "2026-06-25 09:00",
        ipb::SettlementDecided {
            case_id: "c-3".into(),
            division: PS.into(),
            ..decided
        },
    );
    e
}

/// The opening of file `file_id` in xlt on 2026-03-02 10:00 (`unknown`: with a notice due).
fn opened(file_id: &str, unknown: bool) -> ipb::IdentityFileOpened {
    ipb::IdentityFileOpened {
        file_id: file_id.into(),
        case_id: format!("case-of-{file_id}"),
        station: "xlt-station".into(),
        division: XLT.into(),
        stay_began_at: ts("2026-03-02 10:00"),
        admitted_as: if unknown {
            inpb::IdentityStatus::Unknown as i32
        } else {
            inpb::IdentityStatus::StatedUnverified as i32
        },
        notice_due_at: if unknown {
            ts("2026-03-03 10:00")
        } else {
            None
        },
        request_due_at: ts("2026-03-12 00:00"),
    }
}

/// Request `id` of file `file_id` to `unit`, filed at `at`.
fn requested(
    id: &str,
    file_id: &str,
    unit: &str,
    at: &str,
    on_time: bool,
) -> ipb::VerificationRequested {
    ipb::VerificationRequested {
        verification_id: id.into(),
        file_id: file_id.into(),
        case_id: format!("case-of-{file_id}"),
        division: XLT.into(),
        station: "xlt-station".into(),
        police_unit: unit.into(),
        methods: vec![ipb::VerificationMethod::Face as i32],
        filed_at: ts(at),
        filed_on_time: on_time,
        acknowledge_by: ts("2026-03-20 00:00"),
    }
}

/// The answer to request `id` at `at` (the whole request when `whole`).
fn answered(
    id: &str,
    file_id: &str,
    at: &str,
    on_time: bool,
    whole: bool,
    received: &str,
) -> ipb::VerificationAnswered {
    ipb::VerificationAnswered {
        verification_id: id.into(),
        file_id: file_id.into(),
        division: XLT.into(),
        police_unit: "xlt-police".into(),
        method: ipb::VerificationMethod::Face as i32,
        outcome: 0,
        answered_at: ts(at),
        on_time,
        request_answered: whole,
        received_at: ts(received),
    }
}

/// File f-2: the first notice seen overdue then published late; the request filed late before
/// identity's sweeper raised the filing overdue; a monthly refresh overdue, then a notice.
fn late_obligations() -> Events {
    let mut e = Events::default();
    e.identity("2026-03-02 10:00", opened("f-2", true));
    e.identity(
        "2026-03-03 10:00:05",
        ipb::NoticeOverdue {
            file_id: "f-2".into(),
            case_id: "case-of-f-2".into(),
            division: XLT.into(),
            due_at: ts("2026-03-03 10:00"),
            refresh: false,
        },
    );
    e.identity(
        "2026-03-04 09:00",
        ipb::NoticePublished {
            file_id: "f-2".into(),
            notice_id: "n-2".into(),
            division: XLT.into(),
            published_at: ts("2026-03-04 08:00"),
            initial: true,
            on_time: false,
        },
    );
    e.identity(
        "2026-03-13 09:00",
        requested("v-2", "f-2", "xlt-police", "2026-03-13 09:00", false),
    );
    e.identity(
        "2026-03-13 09:00:30",
        ipb::VerificationFilingOverdue {
            file_id: "f-2".into(),
            case_id: "case-of-f-2".into(),
            division: XLT.into(),
            due_at: ts("2026-03-12 00:00"),
        },
    );
    e.identity(
        "2026-04-03 00:00:10",
        ipb::NoticeOverdue {
            file_id: "f-2".into(),
            case_id: "case-of-f-2".into(),
            division: XLT.into(),
            due_at: ts("2026-04-03 00:00"),
            refresh: true,
        },
    );
    e.identity(
        "2026-04-10 10:00",
        ipb::NoticePublished {
            file_id: "f-2".into(),
            notice_id: "n-3".into(),
            division: XLT.into(),
            published_at: ts("2026-04-10 09:00"),
            initial: false,
            on_time: true,
        },
    );
    e
}

/// File f-3 (a stated identity: no notice due) publishes a first notice; file f-4 (unknown) is
/// confirmed before its notice was due, without one.
fn nothing_owed() -> Events {
    let mut e = Events::default();
    e.identity("2026-03-02 10:00", opened("f-3", false));
    e.identity(
        "2026-03-02 12:00",
        ipb::NoticePublished {
            file_id: "f-3".into(),
            notice_id: "n-30".into(),
            division: XLT.into(),
            published_at: ts("2026-03-02 11:00"),
            initial: true,
            on_time: true,
        },
    );
    e.identity("2026-03-02 10:00", opened("f-4", true));
    e.identity(
        "2026-03-02 15:00",
        ipb::IdentityConfirmed {
            file_id: "f-4".into(),
            case_id: "case-of-f-4".into(),
            division: XLT.into(),
            confirmed_at: ts("2026-03-02 15:00"),
            method: ipb::ConfirmationMethod::Relatives as i32,
            person_key: String::new(),
            origin_division: String::new(),
        },
    );
    e
}

/// File f-5's three requests: answered on time (v-on); deemed received, forwarded, answered late
/// before the overdue event (v-late); seen overdue, then answered (v-over).
fn police_answers() -> Events {
    let mut e = Events::default();
    e.identity("2026-03-02 10:00", opened("f-5", true));
    // On time; a result for one method first, which does not answer the request.
    e.identity(
        "2026-03-03 09:00",
        requested("v-on", "f-5", "xlt-police", "2026-03-03 09:00", true),
    );
    e.identity(
        "2026-03-04 10:00",
        ipb::VerificationAcknowledged {
            verification_id: "v-on".into(),
            division: XLT.into(),
            police_unit: "xlt-police".into(),
            received_at: ts("2026-03-04 10:00"),
            due_at: ts("2026-04-05 00:00"),
        },
    );
    e.identity(
        "2026-03-20 10:00",
        answered(
            "v-on",
            "f-5",
            "2026-03-20 10:00",
            true,
            false,
            "2026-03-04 10:00",
        ),
    );
    e.identity(
        "2026-03-25 10:00",
        answered(
            "v-on",
            "f-5",
            "2026-03-25 10:00",
            true,
            true,
            "2026-03-04 10:00",
        ),
    );
    // Forwarded, deemed received at 24:00 of 03-06, answered late before the overdue event.
    e.identity(
        "2026-03-03 09:05",
        requested("v-late", "f-5", "city-police", "2026-03-03 09:05", true),
    );
    e.identity(
        "2026-03-05 11:00",
        ipb::VerificationForwarded {
            verification_id: "v-late".into(),
            division: XLT.into(),
            from_unit: "city-police".into(),
            to_unit: "xlt-police".into(),
            forwarded_at: ts("2026-03-05 11:00"),
        },
    );
    e.identity(
        "2026-03-07 00:00:02",
        ipb::VerificationDeemedReceived {
            verification_id: "v-late".into(),
            division: XLT.into(),
            police_unit: "xlt-police".into(),
            received_at: ts("2026-03-07 00:00"),
            due_at: ts("2026-04-07 00:00"),
        },
    );
    e.identity(
        "2026-04-08 10:00",
        answered(
            "v-late",
            "f-5",
            "2026-04-08 10:00",
            false,
            true,
            "2026-03-07 00:00",
        ),
    );
    e.identity(
        "2026-04-08 10:00:20",
        ipb::VerificationOverdue {
            verification_id: "v-late".into(),
            division: XLT.into(),
            police_unit: "xlt-police".into(),
            due_at: ts("2026-04-07 00:00"),
        },
    );
    // Overdue, answered afterwards.
    e.identity(
        "2026-03-03 09:10",
        requested("v-over", "f-5", "xlt-police", "2026-03-03 09:10", true),
    );
    e.identity(
        "2026-03-04 11:00",
        ipb::VerificationAcknowledged {
            verification_id: "v-over".into(),
            division: XLT.into(),
            police_unit: "xlt-police".into(),
            received_at: ts("2026-03-04 11:00"),
            due_at: ts("2026-04-05 00:00"),
        },
    );
    e.identity(
        "2026-04-05 00:00:10",
        ipb::VerificationOverdue {
            verification_id: "v-over".into(),
            division: XLT.into(),
            police_unit: "xlt-police".into(),
            due_at: ts("2026-04-05 00:00"),
        },
    );
    e.identity(
        "2026-04-09 10:00",
        answered(
            "v-over",
            "f-5",
            "2026-04-09 10:00",
            false,
            true,
            "2026-03-04 11:00",
        ),
    );
    e
}

/// File f-6 confirmed with one request open (v-open) and one answered (v-done); file f-7
/// closed with one open (v-7).
fn withdrawals() -> Events {
    let mut e = Events::default();
    e.identity("2026-03-02 10:00", opened("f-6", false));
    for id in ["v-open", "v-done"] {
        e.identity(
            "2026-03-03 09:00",
            requested(id, "f-6", "xlt-police", "2026-03-03 09:00", true),
        );
        e.identity(
            "2026-03-04 10:00",
            ipb::VerificationAcknowledged {
                verification_id: id.into(),
                division: XLT.into(),
                police_unit: "xlt-police".into(),
                received_at: ts("2026-03-04 10:00"),
                due_at: ts("2026-04-05 00:00"),
            },
        );
    }
    e.identity(
        "2026-03-10 10:00",
        answered(
            "v-done",
            "f-6",
            "2026-03-10 10:00",
            true,
            true,
            "2026-03-04 10:00",
        ),
    );
    e.identity(
        "2026-03-20 10:00",
        ipb::IdentityConfirmed {
            file_id: "f-6".into(),
            case_id: "case-of-f-6".into(),
            division: XLT.into(),
            confirmed_at: ts("2026-03-20 10:00"),
            method: ipb::ConfirmationMethod::PoliceFace as i32,
            person_key: String::new(),
            origin_division: String::new(),
        },
    );
    e.identity("2026-03-02 10:00", opened("f-7", false));
    e.identity(
        "2026-03-03 09:00",
        requested("v-7", "f-7", "xlt-police", "2026-03-03 09:00", true),
    );
    e.identity(
        "2026-03-21 08:00",
        ipb::IdentityFileClosed {
            file_id: "f-7".into(),
            case_id: "case-of-f-7".into(),
            division: XLT.into(),
            closed_at: ts("2026-03-21 08:00"),
        },
    );
    e
}

/// Case c-10 (xlt) placed at inst-a, visited there in April, moved to inst-b on April 15, not
/// visited in May; fees; a declined and a withdrawn proposal.
fn placements_and_visits() -> Events {
    let mut e = Events::default();
    e.foster(
        "2026-03-01 09:00",
        fpb::PlacementProposed {
            placement_id: "p-1".into(),
            case_id: "c-10".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            reason: fpb::PlacementReason::LacksFacilities as i32,
            proposed_at: ts("2026-03-01 09:00"),
        },
    );
    e.foster(
        "2026-03-02 10:00",
        fpb::PlacementApproved {
            placement_id: "p-1".into(),
            case_id: "c-10".into(),
            division: XLT.into(),
            institution_id: "inst-a".into(),
            government_run: true,
            justified: false,
            approved_by: "city-civil-affairs".into(),
            approved_at: ts("2026-03-02 10:00"),
        },
    );
    e.foster(
        "2026-03-02 10:00",
        fpb::ResidentPlaced {
            placement_id: "p-1".into(),
            case_id: "c-10".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            institution_id: "inst-a".into(),
            institution_division: DW.into(),
            placed_at: ts("2026-03-02 10:00"),
            ..Default::default()
        },
    );
    for (id, withdrawn) in [("p-x", false), ("p-y", true)] {
        e.foster(
            "2026-03-03 09:00",
            fpb::PlacementProposed {
                placement_id: id.into(),
                case_id: format!("case-of-{id}"),
                station: "xlt-station".into(),
                division: XLT.into(),
                reason: fpb::PlacementReason::LacksStaff as i32,
                proposed_at: ts("2026-03-03 09:00"),
            },
        );
        if withdrawn {
            e.foster(
                "2026-03-04 09:00",
                fpb::PlacementWithdrawn {
                    placement_id: id.into(),
                    case_id: format!("case-of-{id}"),
                    division: XLT.into(),
                    withdrawn_by: "xlt-station".into(),
                    reason: "family found".into(),
                    withdrawn_at: ts("2026-03-04 09:00"),
                },
            );
        } else {
            e.foster(
                "2026-03-04 09:00",
                fpb::PlacementDeclined {
                    placement_id: id.into(),
                    case_id: format!("case-of-{id}"),
                    division: XLT.into(),
                    declined_at: ts("2026-03-04 09:00"),
                },
            );
        }
    }
    e.foster(
        "2026-04-03 15:00",
        fpb::VisitRecorded {
            visit_id: "visit-1".into(),
            placement_id: "p-1".into(),
            institution_id: "inst-a".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            month: "2026-04".into(),
            visited_at: ts("2026-04-03 14:00"),
            counted: true,
        },
    );
    e.foster(
        "2026-04-15 10:00",
        fpb::PlacementEnded {
            placement_id: "p-1".into(),
            case_id: "c-10".into(),
            division: XLT.into(),
            institution_id: "inst-a".into(),
            kind: fpb::PlacementEndKind::Moved as i32,
            ended_at: ts("2026-04-15 10:00"),
            destination_division: String::new(),
            next_placement_id: "p-2".into(),
            next_institution_id: "inst-b".into(),
        },
    );
    e.foster(
        "2026-04-15 10:00",
        fpb::ResidentPlaced {
            placement_id: "p-2".into(),
            case_id: "c-10".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            institution_id: "inst-b".into(),
            institution_division: XLT.into(),
            placed_at: ts("2026-04-15 10:00"),
            previous_placement_id: "p-1".into(),
            ..Default::default()
        },
    );
    e.foster(
        "2026-06-01 00:00:05",
        fpb::VisitOverdue {
            placement_id: "p-2".into(),
            institution_id: "inst-b".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            month: "2026-05".into(),
            due_at: ts("2026-06-01 00:00"),
        },
    );
    e.foster(
        "2026-06-02 10:00",
        fpb::VisitRecorded {
            visit_id: "visit-2".into(),
            placement_id: "p-2".into(),
            institution_id: "inst-b".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            month: "2026-05".into(),
            visited_at: ts("2026-05-30 10:00"),
            counted: false,
        },
    );
    for (placement, institution, month, days, fen) in [
        ("p-1", "inst-a", "2026-03", 30, 90_000),
        ("p-2", "inst-b", "2026-04", 16, 48_000),
    ] {
        e.foster(
            "2026-05-01 01:00",
            fpb::FeeAssessed {
                placement_id: placement.into(),
                institution_id: institution.into(),
                station: "xlt-station".into(),
                division: XLT.into(),
                month: month.into(),
                days_in_care: days,
                total: Some(Money { fen }),
                assessed_at: ts("2026-05-01 01:00"),
            },
        );
    }
    e
}

/// inst-a (dw): a document warned about, expired, renewed for years; suspended and reinstated.
/// inst-b (xlt): warned, then another document renewed while the first is still in the window.
fn institutions() -> Events {
    let mut e = Events::default();
    for (id, division, expire) in [("inst-a", DW, "2026-12-31"), ("inst-b", XLT, "2026-05-10")] {
        e.foster(
            "2026-01-05 10:00",
            fpb::InstitutionRegistered {
                institution_id: id.into(),
                division: division.into(),
                kind: 1,
                government_run: true,
                approved_for_minors: false,
                capacity: 40,
                documents_expire_on: expire.into(),
                registered_at: ts("2026-01-05 10:00"),
            },
        );
    }
    let qualification = fpb::DocumentKind::ServiceQualification as i32;
    e.foster(
        "2026-12-02 00:00:03",
        fpb::InstitutionDocumentExpiring {
            institution_id: "inst-a".into(),
            division: DW.into(),
            document: qualification,
            expires_on: "2026-12-31".into(),
            warned_at: ts("2026-12-02 00:00"),
        },
    );
    e.foster(
        "2027-01-01 00:00:04",
        fpb::InstitutionDocumentExpired {
            institution_id: "inst-a".into(),
            division: DW.into(),
            document: qualification,
            expires_on: "2026-12-31".into(),
            expired_at: ts("2027-01-01 00:00"),
        },
    );
    e.foster(
        "2027-01-03 10:00",
        fpb::InstitutionDocumentRenewed {
            institution_id: "inst-a".into(),
            division: DW.into(),
            document: qualification,
            previous_expires_on: "2026-12-31".into(),
            expires_on: "2029-12-31".into(),
            documents_expire_on: "2029-12-31".into(),
            renewed_at: ts("2027-01-03 10:00"),
        },
    );
    e.foster(
        "2027-02-01 10:00",
        fpb::InstitutionSuspended {
            institution_id: "inst-a".into(),
            division: DW.into(),
            suspended_by: "dw-civil-affairs".into(),
            suspended_at: ts("2027-02-01 10:00"),
        },
    );
    e.foster(
        "2027-03-01 10:00",
        fpb::InstitutionReinstated {
            institution_id: "inst-a".into(),
            division: DW.into(),
            reinstated_by: "dw-civil-affairs".into(),
            reinstated_at: ts("2027-03-01 10:00"),
        },
    );
    e.foster(
        "2026-04-11 00:00:03",
        fpb::InstitutionDocumentExpiring {
            institution_id: "inst-b".into(),
            division: XLT.into(),
            document: fpb::DocumentKind::FoodBusinessLicence as i32,
            expires_on: "2026-05-10".into(),
            warned_at: ts("2026-04-11 00:00"),
        },
    );
    e.foster(
        "2026-04-20 10:00",
        fpb::InstitutionDocumentRenewed {
            institution_id: "inst-b".into(),
            division: XLT.into(),
            document: qualification,
            previous_expires_on: "2026-06-30".into(),
            expires_on: "2028-06-30".into(),
            documents_expire_on: "2026-05-10".into(),
            renewed_at: ts("2026-04-20 10:00"),
        },
    );
    e
}

/// Case c-20 (xlt), placed at an institution in dw: gone missing, then dead (the end of the
/// placement recorded first, the incident that happened earlier reported after it).
fn deaths_and_disappearances() -> Events {
    let mut e = Events::default();
    e.foster(
        "2026-04-01 10:00",
        fpb::ResidentPlaced {
            placement_id: "p-20".into(),
            case_id: "c-20".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            institution_id: "inst-a".into(),
            institution_division: DW.into(),
            placed_at: ts("2026-04-01 10:00"),
            ..Default::default()
        },
    );
    e.foster(
        "2026-05-02 12:00",
        fpb::IncidentReported {
            incident_id: "i-1".into(),
            placement_id: "p-20".into(),
            institution_id: "inst-a".into(),
            division: DW.into(),
            kind: fpb::IncidentKind::Missing as i32,
            occurred_at: ts("2026-05-02 08:00"),
            reported_at: ts("2026-05-02 12:00"),
        },
    );
    e.foster(
        "2026-05-10 09:00",
        fpb::PlacementEnded {
            placement_id: "p-20".into(),
            case_id: "c-20".into(),
            division: XLT.into(),
            institution_id: "inst-a".into(),
            kind: fpb::PlacementEndKind::Death as i32,
            ended_at: ts("2026-05-10 07:00"),
            ..Default::default()
        },
    );
    e.foster(
        "2026-05-10 11:00",
        fpb::IncidentReported {
            incident_id: "i-2".into(),
            placement_id: "p-20".into(),
            institution_id: "inst-a".into(),
            division: DW.into(),
            kind: fpb::IncidentKind::Death as i32,
            occurred_at: ts("2026-05-09 22:00"),
            reported_at: ts("2026-05-10 11:00"),
        },
    );
    e.foster(
        "2026-05-11 11:00",
        fpb::IncidentReported {
            incident_id: "i-3".into(),
            placement_id: "p-20".into(),
            institution_id: "inst-a".into(),
            division: DW.into(),
            kind: fpb::IncidentKind::Injury as i32,
            occurred_at: ts("2026-05-09 20:00"),
            reported_at: ts("2026-05-11 11:00"),
        },
    );
    e
}

/// Intake's closing of case c-20 as a death (what intake does on foster's PlacementEnded).
fn intake_death() -> Events {
    let mut e = Events::default();
    e.intake(
        "2026-05-10 09:00:02",
        inpb::CaseClosed {
            case_id: "c-20".into(),
            division: XLT.into(),
            kind: inpb::DepartureKind::Death as i32,
            departed_at: ts("2026-05-10 07:00"),
            ..Default::default()
        },
    );
    e
}

/// Foster's other deadlines: a report overdue then filed, a rectification overdue then recorded,
/// an open day missed.
fn foster_obligations() -> Events {
    let mut e = Events::default();
    e.foster(
        "2026-04-08 00:00:05",
        fpb::ReportOverdue {
            placement_id: "p-1".into(),
            institution_id: "inst-a".into(),
            station: "xlt-station".into(),
            division: XLT.into(),
            month: "2026-03".into(),
            due_at: ts("2026-04-08 00:00"),
        },
    );
    e.foster(
        "2026-04-09 10:00",
        fpb::ReportFiled {
            report_id: "r-1".into(),
            placement_id: "p-1".into(),
            institution_id: "inst-a".into(),
            division: XLT.into(),
            month: "2026-03".into(),
            filed_at: ts("2026-04-09 10:00"),
            late: true,
        },
    );
    e.foster(
        "2026-05-01 00:00:05",
        fpb::RectificationOverdue {
            inspection_id: "insp-1".into(),
            finding_number: 2,
            target: Some(fpb::InspectionTarget {
                target: Some(fpb::inspection_target::Target::Station("dw-station".into())),
            }),
            division: DW.into(),
            due_at: ts("2026-05-01 00:00"),
        },
    );
    e.foster(
        "2026-05-06 16:00",
        fpb::RectificationRecorded {
            inspection_id: "insp-1".into(),
            finding_number: 2,
            division: DW.into(),
            rectified_at: ts("2026-05-06 15:00"),
            late: true,
        },
    );
    e.foster(
        "2026-06-20 00:00:07",
        fpb::OpenDayMissed {
            year: 2026,
            unit: "inst-a".into(),
            institution: true,
            division: DW.into(),
            due_at: ts("2026-06-20 00:00"),
        },
    );
    e
}

/// Every sequence above, in one history.
fn everything() -> Events {
    let mut all = Events::default();
    for part in [
        file_lifecycle(),
        late_obligations(),
        nothing_owed(),
        police_answers(),
        withdrawals(),
        placements_and_visits(),
        institutions(),
        deaths_and_disappearances(),
        foster_obligations(),
        intake_death(),
    ] {
        all.extend(part);
    }
    all
}

// ---- identity -------------------------------------------------------------------------------

support::reporting_tests!(
    identity_files_follow_the_stay_and_count_once,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &file_lifecycle()).await;

        // The row: the last transfer's case, station and division; the first confirmation and
        // approval; the step done is no longer missing (bit 1 << 3 = face result remains).
        assert_eq!(
            row(
                db,
                "SELECT case_id, station, division, notice_due_at, request_due_at, \
                 stranded_since, missing_steps, confirmed_at, confirm_method, closed_at, \
                 settlement_approved_at FROM r_identity_files WHERE file_id = 'f-1'"
            )
            .await,
            vec![
                "c-3".to_owned(),
                "ps-station".to_owned(),
                PS.to_owned(),
                us("2026-03-03 10:00"),
                us("2026-03-12 00:00"),
                us("2026-06-03 00:00"),
                "8".to_owned(),
                us("2026-06-20 10:00"),
                (ipb::ConfirmationMethod::Documents as i32).to_string(),
                "NULL".to_owned(),
                us("2026-06-18 15:00"),
            ]
        );

        // Counted where and when they happened first: the repeated confirmation and approval
        // after the second transfer move nothing to PS.
        assert_eq!(
            fact(db, "identification", "f-1").await,
            contribution("2026-06-20", SZ, "CONFIRMATION_METHOD_DOCUMENTS", 1)
        );
        assert_eq!(
            fact(db, "settlement.filed", "a-1").await,
            contribution("2026-06-12", SZ, "", 1)
        );
        assert_eq!(
            fact(db, "settlement.decided", "a-1").await,
            contribution("2026-06-18", SZ, "APPROVED", 1)
        );
        assert_eq!(
            counter(
                db,
                "identification",
                "2026-06-20",
                SZ,
                "CONFIRMATION_METHOD_DOCUMENTS"
            )
            .await,
            1
        );
        assert_eq!(
            row(db, "SELECT COUNT(*) FROM r_daily WHERE division = '211122'").await,
            vec!["0".to_owned()]
        );

        // Notice within 24 hours and request within 7 working days, on their due days (the
        // request is due 24:00 of 03-11).
        assert_eq!(
            fact(db, "notice_24h", "f-1").await,
            contribution("2026-03-03", XLT, "ON_TIME", 1)
        );
        assert_eq!(
            fact(db, "request_7wd", "f-1").await,
            contribution("2026-03-11", XLT, "ON_TIME", 1)
        );

        // The request open at the first transfer moved with the file, and the confirmation
        // withdrew it.
        assert_eq!(
            row(
                db,
                "SELECT division, police_unit, withdrawn_at FROM r_verifications \
                 WHERE verification_id = 'v-1'"
            )
            .await,
            vec![
                SZ.to_owned(),
                "xlt-police".to_owned(),
                us("2026-06-20 10:00")
            ]
        );
        assert_eq!(
            rows(db, "SELECT item_key FROM r_late_items").await,
            Vec::<Vec<String>>::new()
        );
    }
);

support::reporting_tests!(
    late_notices_and_filings_are_late_once_and_done,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &late_obligations()).await;

        // Seen overdue, then published late: LATE, on the due day; the item is done when the
        // notice was recorded.
        assert_eq!(
            fact(db, "notice_24h", "f-2").await,
            contribution("2026-03-03", XLT, "LATE", 1)
        );
        assert_eq!(
            late_item(db, "identity.notice:f-2").await,
            late(
                "identity.notice",
                XLT,
                "xlt-station",
                "2026-03-03 10:00",
                "2026-03-03 10:00:05",
                Some("2026-03-04 09:00")
            )
        );

        // Filed late before identity raised the filing overdue: the item exists, done at the
        // filing, and the fact is LATE on the due day (24:00 of 03-11).
        assert_eq!(
            fact(db, "request_7wd", "f-2").await,
            contribution("2026-03-11", XLT, "LATE", 1)
        );
        assert_eq!(
            late_item(db, "identity.request_filing:f-2").await,
            late(
                "identity.request_filing",
                XLT,
                "xlt-station",
                "2026-03-12 00:00",
                "2026-03-13 09:00",
                Some("2026-03-13 09:00")
            )
        );

        // The month's refresh overdue (due 24:00 of 04-02), done by the next notice.
        assert_eq!(
            late_item(db, "identity.notice_refresh:f-2:2026-04-02").await,
            late(
                "identity.notice_refresh",
                XLT,
                "xlt-station",
                "2026-04-03 00:00",
                "2026-04-03 00:00:10",
                Some("2026-04-10 10:00")
            )
        );
        assert_eq!(
            counter(db, "notice_24h", "2026-03-03", XLT, "LATE").await,
            1
        );
        assert_eq!(
            counter(db, "notice_24h", "2026-03-03", XLT, "ON_TIME").await,
            0
        );
    }
);

support::reporting_tests!(
    a_file_that_owes_no_notice_counts_none,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &nothing_owed()).await;

        // A stated identity's first notice was not due; a file confirmed before its notice
        // was due owes nothing: neither counts, on time or late.
        assert_eq!(fact(db, "notice_24h", "f-3").await, None);
        assert_eq!(fact(db, "notice_24h", "f-4").await, None);
        assert_eq!(fact(db, "request_7wd", "f-4").await, None);
        assert_eq!(
            fact(db, "identification", "f-4").await,
            contribution("2026-03-02", XLT, "CONFIRMATION_METHOD_RELATIVES", 1)
        );
        assert_eq!(
            rows(
                db,
                "SELECT COUNT(*) FROM r_daily WHERE metric = 'notice_24h'"
            )
            .await,
            vec![vec!["0".to_owned()]]
        );
    }
);

support::reporting_tests!(
    police_answers_on_time_late_and_overdue,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &police_answers()).await;

        // On time: counted on the due day (24:00 of 04-04); answered 21 days after receipt.
        assert_eq!(
            fact(db, "police_answer", "v-on").await,
            contribution("2026-04-04", XLT, "ON_TIME", 1)
        );
        assert_eq!(
            fact(db, "police_answer_days", "v-on").await,
            contribution("2026-03-25", XLT, "0021", 1)
        );
        assert_eq!(late_item(db, "verification.overdue:v-on").await, None);

        // Forwarded (the unit addressed now), deemed received at 24:00 of 03-06 (its receipt
        // day), answered late before identity raised it overdue: LATE; the overdue item
        // exists, done at the answer; the deemed receipt is an item of the unit.
        assert_eq!(
            row(
                db,
                "SELECT police_unit, received_at, due_at, answered_at, answered_on_time, \
                 overdue_at FROM r_verifications WHERE verification_id = 'v-late'"
            )
            .await,
            vec![
                "xlt-police".to_owned(),
                us("2026-03-07 00:00"),
                us("2026-04-07 00:00"),
                us("2026-04-08 10:00"),
                "0".to_owned(),
                us("2026-04-07 00:00"),
            ]
        );
        assert_eq!(
            fact(db, "police_answer", "v-late").await,
            contribution("2026-04-06", XLT, "LATE", 1)
        );
        assert_eq!(
            fact(db, "police_answer_days", "v-late").await,
            contribution("2026-04-08", XLT, "0033", 1)
        );
        assert_eq!(
            late_item(db, "verification.overdue:v-late").await,
            late(
                "verification.overdue",
                XLT,
                "xlt-police",
                "2026-04-07 00:00",
                "2026-04-08 10:00",
                Some("2026-04-08 10:00")
            )
        );
        assert_eq!(
            late_item(db, "verification.deemed_receipt:v-late").await,
            late(
                "verification.deemed_receipt",
                XLT,
                "xlt-police",
                "2026-03-07 00:00",
                "2026-03-07 00:00:02",
                None
            )
        );

        // Overdue, then answered: LATE stays LATE; the item is done at the answer.
        assert_eq!(
            fact(db, "police_answer", "v-over").await,
            contribution("2026-04-04", XLT, "LATE", 1)
        );
        assert_eq!(
            late_item(db, "verification.overdue:v-over").await,
            late(
                "verification.overdue",
                XLT,
                "xlt-police",
                "2026-04-05 00:00",
                "2026-04-05 00:00:10",
                Some("2026-04-09 10:00")
            )
        );

        // Each request counts once: on 04-04 one on time and one late.
        assert_eq!(
            counter(db, "police_answer", "2026-04-04", XLT, "ON_TIME").await,
            1
        );
        assert_eq!(
            counter(db, "police_answer", "2026-04-04", XLT, "LATE").await,
            1
        );
        assert_eq!(
            counter(db, "police_answer", "2026-04-06", XLT, "LATE").await,
            1
        );
        // The file's first request (v-on, on time) decides the filing.
        assert_eq!(
            fact(db, "request_7wd", "f-5").await,
            contribution("2026-03-11", XLT, "ON_TIME", 1)
        );
    }
);

support::reporting_tests!(
    a_confirmed_file_owes_no_notice_or_request_any_more,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let mut e = Events::default();
        e.identity("2026-03-02 10:00", opened("f-8", true));
        e.identity(
            "2026-03-03 10:00:05",
            ipb::NoticeOverdue {
                file_id: "f-8".into(),
                case_id: "case-of-f-8".into(),
                division: XLT.into(),
                due_at: ts("2026-03-03 10:00"),
                refresh: false,
            },
        );
        e.identity(
            "2026-03-12 00:00:30",
            ipb::VerificationFilingOverdue {
                file_id: "f-8".into(),
                case_id: "case-of-f-8".into(),
                division: XLT.into(),
                due_at: ts("2026-03-12 00:00"),
            },
        );
        e.identity(
            "2026-03-15 10:00",
            ipb::IdentityConfirmed {
                file_id: "f-8".into(),
                case_id: "case-of-f-8".into(),
                division: XLT.into(),
                confirmed_at: ts("2026-03-15 10:00"),
                method: ipb::ConfirmationMethod::Relatives as i32,
                person_key: String::new(),
                origin_division: String::new(),
            },
        );
        apply_all(db, &e).await;
        apply_all(db, &e).await;

        // Both obligations lapsed at the confirmation: not done, no longer open; the figures
        // keep them LATE.
        assert_eq!(
            rows(
                db,
                "SELECT item_key, done_at, withdrawn_at FROM r_late_items ORDER BY item_key"
            )
            .await,
            vec![
                vec![
                    "identity.notice:f-8".to_owned(),
                    "NULL".to_owned(),
                    us("2026-03-15 10:00")
                ],
                vec![
                    "identity.request_filing:f-8".to_owned(),
                    "NULL".to_owned(),
                    us("2026-03-15 10:00")
                ],
            ]
        );
        assert_eq!(
            fact(db, "notice_24h", "f-8").await,
            contribution("2026-03-03", XLT, "LATE", 1)
        );
    }
);

support::reporting_tests!(
    an_obligation_past_due_when_its_file_ends_counts_late,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        // f-9's notice was published on time; no request was filed by 03-12 00:00 and the file
        // is closed on 03-13 before identity's sweeper said so: the filing counts LATE. Its
        // request v-9, filed late and received, is past its due time when f-10 is confirmed.
        let mut e = Events::default();
        e.identity("2026-03-02 10:00", opened("f-9", true));
        e.identity(
            "2026-03-02 12:00",
            ipb::NoticePublished {
                file_id: "f-9".into(),
                notice_id: "n-9".into(),
                division: XLT.into(),
                published_at: ts("2026-03-02 12:00"),
                initial: true,
                on_time: true,
            },
        );
        e.identity(
            "2026-03-13 08:00",
            ipb::IdentityFileClosed {
                file_id: "f-9".into(),
                case_id: "case-of-f-9".into(),
                division: XLT.into(),
                closed_at: ts("2026-03-13 08:00"),
            },
        );
        e.identity("2026-03-02 10:00", opened("f-10", false));
        e.identity(
            "2026-03-03 09:00",
            requested("v-10", "f-10", "xlt-police", "2026-03-03 09:00", true),
        );
        e.identity(
            "2026-03-04 10:00",
            ipb::VerificationAcknowledged {
                verification_id: "v-10".into(),
                division: XLT.into(),
                police_unit: "xlt-police".into(),
                received_at: ts("2026-03-04 10:00"),
                due_at: ts("2026-04-05 00:00"),
            },
        );
        e.identity(
            "2026-04-05 00:00:01",
            ipb::IdentityConfirmed {
                file_id: "f-10".into(),
                case_id: "case-of-f-10".into(),
                division: XLT.into(),
                confirmed_at: ts("2026-04-05 00:00:01"),
                method: ipb::ConfirmationMethod::Relatives as i32,
                person_key: String::new(),
                origin_division: String::new(),
            },
        );
        apply_all(db, &e).await;
        apply_all(db, &e).await;
        assert_eq!(
            fact(db, "notice_24h", "f-9").await,
            contribution("2026-03-03", XLT, "ON_TIME", 1)
        );
        assert_eq!(
            fact(db, "request_7wd", "f-9").await,
            contribution("2026-03-11", XLT, "LATE", 1)
        );
        assert_eq!(
            fact(db, "police_answer", "v-10").await,
            contribution("2026-04-04", XLT, "LATE", 1)
        );
    }
);

support::reporting_tests!(
    a_confirmed_or_closed_file_withdraws_its_open_requests,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &withdrawals()).await;

        let open = "SELECT verification_id FROM r_verifications \
                    WHERE answered_at IS NULL AND withdrawn_at IS NULL ORDER BY verification_id";
        assert_eq!(rows(db, open).await, Vec::<Vec<String>>::new());
        assert_eq!(
            rows(
                db,
                "SELECT verification_id, withdrawn_at FROM r_verifications \
                 ORDER BY verification_id"
            )
            .await,
            vec![
                vec!["v-7".to_owned(), us("2026-03-21 08:00")],
                vec!["v-done".to_owned(), "NULL".to_owned()],
                vec!["v-open".to_owned(), us("2026-03-20 10:00")],
            ]
        );
        // Withdrawn before its due time: it owes no answer and counts nowhere.
        assert_eq!(fact(db, "police_answer", "v-open").await, None);
        assert_eq!(
            fact(db, "police_answer", "v-done").await,
            contribution("2026-04-04", XLT, "ON_TIME", 1)
        );
        assert_eq!(
            fact(db, "identification", "f-6").await,
            contribution("2026-03-20", XLT, "CONFIRMATION_METHOD_POLICE_FACE", 1)
        );
        assert_eq!(
            row(
                db,
                "SELECT closed_at FROM r_identity_files WHERE file_id = 'f-7'"
            )
            .await,
            vec![us("2026-03-21 08:00")]
        );
    }
);

// ---- foster ---------------------------------------------------------------------------------

support::reporting_tests!(
    placements_moves_visits_and_fees,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &placements_and_visits()).await;

        assert_eq!(
            rows(
                db,
                "SELECT placement_id, case_id, division, institution_id, proposed_at, \
                 approved_at, declined_at, placed_at, previous_placement_id, ended_at, end_kind, \
                 next_placement_id FROM r_placements ORDER BY placement_id"
            )
            .await,
            vec![
                vec![
                    "p-1".to_owned(),
                    "c-10".to_owned(),
                    XLT.to_owned(),
                    "inst-a".to_owned(),
                    us("2026-03-01 09:00"),
                    us("2026-03-02 10:00"),
                    "NULL".to_owned(),
                    us("2026-03-02 10:00"),
                    "NULL".to_owned(),
                    us("2026-04-15 10:00"),
                    (fpb::PlacementEndKind::Moved as i32).to_string(),
                    "p-2".to_owned(),
                ],
                vec![
                    "p-2".to_owned(),
                    "c-10".to_owned(),
                    XLT.to_owned(),
                    "inst-b".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    us("2026-04-15 10:00"),
                    "p-1".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                ],
                vec![
                    "p-x".to_owned(),
                    "case-of-p-x".to_owned(),
                    XLT.to_owned(),
                    "NULL".to_owned(),
                    us("2026-03-03 09:00"),
                    "NULL".to_owned(),
                    us("2026-03-04 09:00"),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                ],
                vec![
                    "p-y".to_owned(),
                    "case-of-p-y".to_owned(),
                    XLT.to_owned(),
                    "NULL".to_owned(),
                    us("2026-03-03 09:00"),
                    "NULL".to_owned(),
                    us("2026-03-04 09:00"),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                    "NULL".to_owned(),
                ],
            ]
        );

        // A new placement and a move, each once, on the day placed.
        assert_eq!(
            fact(db, "placement", "p-1").await,
            contribution("2026-03-02", XLT, "NEW", 1)
        );
        assert_eq!(
            fact(db, "placement", "p-2").await,
            contribution("2026-04-15", XLT, "MOVE", 1)
        );
        assert_eq!(counter(db, "placement", "2026-04-15", XLT, "MOVE").await, 1);
        assert_eq!(counter(db, "placement", "2026-04-15", XLT, "NEW").await, 0);

        // April: visited at the previous institution before the move, which counts for the
        // resident. May: overdue (a visit recorded after the month's end does not count).
        assert_eq!(
            fact(db, "visit", "c-10|2026-04").await,
            contribution("2026-04-30", XLT, "DONE", 1)
        );
        assert_eq!(
            fact(db, "visit", "c-10|2026-05").await,
            contribution("2026-05-31", XLT, "OVERDUE", 1)
        );
        assert_eq!(
            rows(
                db,
                "SELECT case_id, month, division, visited_at, overdue FROM r_visits \
                 ORDER BY month"
            )
            .await,
            vec![
                vec![
                    "c-10".to_owned(),
                    "2026-04".to_owned(),
                    XLT.to_owned(),
                    us("2026-04-03 14:00"),
                    "0".to_owned(),
                ],
                vec![
                    "c-10".to_owned(),
                    "2026-05".to_owned(),
                    XLT.to_owned(),
                    "NULL".to_owned(),
                    "1".to_owned(),
                ],
            ]
        );
        assert_eq!(
            late_item(db, "foster.visit:p-2:2026-05").await,
            late(
                "foster.visit",
                XLT,
                "xlt-station",
                "2026-06-01 00:00",
                "2026-06-01 00:00:05",
                None
            )
        );

        // Fees and days in care per placement-month, on the month's last day.
        assert_eq!(
            fact(db, "foster_fee_fen", "p-1|2026-03").await,
            contribution("2026-03-31", XLT, "inst-a", 90_000)
        );
        assert_eq!(
            fact(db, "foster_days", "p-2|2026-04").await,
            contribution("2026-04-30", XLT, "", 16)
        );
        assert_eq!(
            counter(db, "foster_fee_fen", "2026-04-30", XLT, "inst-b").await,
            48_000
        );
    }
);

support::reporting_tests!(
    institutions_expiring_documents_and_suspension,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let events = institutions();
        // Up to the expiry: inst-a expiring.
        for event in &events.0[..4] {
            support::apply_event(db, event).await;
        }
        assert_eq!(
            row(
                db,
                "SELECT division, documents_expire_on, expiring, suspended FROM r_institutions \
                 WHERE institution_id = 'inst-a'"
            )
            .await,
            vec![
                DW.to_owned(),
                "2026-12-31".to_owned(),
                "1".to_owned(),
                "0".to_owned()
            ]
        );
        let key = "foster.document_expiry:inst-a:DOCUMENT_KIND_SERVICE_QUALIFICATION:2026-12-31";
        assert_eq!(
            late_item(db, key).await,
            late(
                "foster.document_expiry",
                DW,
                "inst-a",
                "2027-01-01 00:00",
                "2027-01-01 00:00:04",
                None
            )
        );
        for event in &events.0[4..] {
            support::apply_event(db, event).await;
        }
        // Renewed for years: no longer expiring, the expiry done; suspended, then reinstated.
        assert_eq!(
            row(
                db,
                "SELECT division, documents_expire_on, expiring, suspended FROM r_institutions \
                 WHERE institution_id = 'inst-a'"
            )
            .await,
            vec![
                DW.to_owned(),
                "2029-12-31".to_owned(),
                "0".to_owned(),
                "0".to_owned()
            ]
        );
        assert_eq!(
            late_item(db, key)
                .await
                .map(|item| (item.done_at, item.done_day)),
            Some((Some(t("2027-01-03 10:00")), Some("2027-01-03".to_owned())))
        );
        // inst-b renewed another document: its earliest expiry is still within 30 days.
        assert_eq!(
            row(
                db,
                "SELECT documents_expire_on, expiring FROM r_institutions \
                 WHERE institution_id = 'inst-b'"
            )
            .await,
            vec!["2026-05-10".to_owned(), "1".to_owned()]
        );
    }
);

support::reporting_tests!(
    a_suspension_shows_until_reinstated,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        let events = institutions();
        // Registered, warned, expired, renewed, suspended.
        for event in &events.0[..6] {
            support::apply_event(db, event).await;
        }
        assert_eq!(
            row(
                db,
                "SELECT suspended FROM r_institutions WHERE institution_id = 'inst-a'"
            )
            .await,
            vec!["1".to_owned()]
        );
    }
);

support::reporting_tests!(
    deaths_and_disappearances_are_one_situation_per_case,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &deaths_and_disappearances()).await;

        // The case's division (the placement's), not the institution's; the earliest instant;
        // both reporting events; an injury is not a major situation.
        assert_eq!(
            rows(
                db,
                "SELECT situation_id, kind, division, case_id, subject, occurred_at, \
                 occurred_day, sources FROM r_major_situations ORDER BY situation_id"
            )
            .await,
            vec![
                vec![
                    "DEATH:c-20".to_owned(),
                    "1".to_owned(),
                    XLT.to_owned(),
                    "c-20".to_owned(),
                    "case/c-20".to_owned(),
                    us("2026-05-09 22:00"),
                    "2026-05-09".to_owned(),
                    "relief.foster.v1.IncidentReported,relief.foster.v1.PlacementEnded".to_owned(),
                ],
                vec![
                    "MISSING:c-20".to_owned(),
                    "3".to_owned(),
                    XLT.to_owned(),
                    "c-20".to_owned(),
                    "case/c-20".to_owned(),
                    us("2026-05-02 08:00"),
                    "2026-05-02".to_owned(),
                    "relief.foster.v1.IncidentReported".to_owned(),
                ],
            ]
        );

        // Intake's report of the same death joins it, whichever feed comes first.
        apply_all(db, &intake_death()).await;
        let death = "SELECT division, occurred_at, sources FROM r_major_situations \
                     WHERE situation_id = 'DEATH:c-20'";
        let after = row(db, death).await;
        assert_eq!(
            after,
            vec![
                XLT.to_owned(),
                us("2026-05-09 22:00"),
                "relief.foster.v1.IncidentReported,relief.foster.v1.PlacementEnded,\
                 relief.intake.v1.CaseClosed"
                    .to_owned(),
            ]
        );
        let intake_first = reporting.another().await;
        apply_all(&intake_first.db, &intake_death()).await;
        apply_all(&intake_first.db, &deaths_and_disappearances()).await;
        assert_eq!(row(&intake_first.db, death).await, after);
    }
);

support::reporting_tests!(
    foster_late_items_per_deadline_kind,
    |reporting: Reporting| async move {
        let db = &reporting.db;
        apply_all(db, &foster_obligations()).await;
        assert_eq!(
            late_item(db, "foster.report:p-1:2026-03").await,
            late(
                "foster.report",
                XLT,
                "inst-a",
                "2026-04-08 00:00",
                "2026-04-08 00:00:05",
                Some("2026-04-09 10:00")
            )
        );
        assert_eq!(
            late_item(db, "foster.rectification:insp-1:2").await,
            late(
                "foster.rectification",
                DW,
                "dw-station",
                "2026-05-01 00:00",
                "2026-05-01 00:00:05",
                Some("2026-05-06 16:00")
            )
        );
        assert_eq!(
            late_item(db, "foster.open_day:inst-a:2026").await,
            late(
                "foster.open_day",
                DW,
                "inst-a",
                "2026-06-20 00:00",
                "2026-06-20 00:00:07",
                None
            )
        );
    }
);

// ---- deadline kinds -------------------------------------------------------------------------

/// The late items' kinds are the deadline kinds identity and foster schedule (the keys of
/// deploy/accountability.toml), not look-alikes.
#[test]
fn late_item_kinds_are_the_kinds_the_services_schedule() {
    use relief_reporting::ingest::foster::{inspections, institutions, supervision};
    use relief_reporting::ingest::identity::{obligations, verifications};
    let identity = relief_identity::deadline_kinds();
    for kind in [
        obligations::NOTICE,
        obligations::NOTICE_REFRESH,
        obligations::REQUEST_FILING,
        verifications::DEEMED_RECEIPT,
        verifications::OVERDUE,
    ] {
        assert!(
            identity.contains(&kind),
            "{kind} is not an identity deadline kind"
        );
    }
    let foster = relief_foster::deadline_kinds();
    for kind in [
        supervision::VISIT,
        supervision::REPORT,
        institutions::DOCUMENT_EXPIRY,
        inspections::RECTIFICATION,
        inspections::OPEN_DAY,
    ] {
        assert!(
            foster.contains(&kind),
            "{kind} is not a foster deadline kind"
        );
    }
}

// ---- idempotency and order ------------------------------------------------------------------

support::reporting_tests!(
    every_event_twice_and_any_feed_order_give_identical_tables,
    |reporting: Reporting| async move {
        let events = everything();
        let once = &reporting.db;
        apply_all(once, &events).await;
        let expected = snapshot(once).await;
        for table in [
            "r_identity_files",
            "r_verifications",
            "r_placements",
            "r_institutions",
            "r_visits",
            "r_late_items",
            "r_major_situations",
            "r_facts",
            "r_daily",
        ] {
            assert!(
                !expected[table].is_empty(),
                "{table} has rows: {expected:?}"
            );
        }

        // The whole history again (a rebuild over an existing model) changes nothing.
        apply_all(once, &events).await;
        assert_eq!(snapshot(once).await, expected);

        // Every event delivered twice in a row changes nothing.
        let twice = reporting.another().await;
        for event in &events.0 {
            support::apply_event(&twice.db, event).await;
            support::apply_event(&twice.db, event).await;
        }
        assert_eq!(snapshot(&twice.db).await, expected);

        // The feeds in another order between them (each feed's own order kept): foster first,
        // then intake, then identity.
        let reordered = reporting.another().await;
        for source in ["foster", "intake", "identity"] {
            apply_all(&reordered.db, &events.of(source)).await;
        }
        assert_eq!(snapshot(&reordered.db).await, expected);
    }
);
