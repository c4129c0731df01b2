//! The monthly notice refresh: the status months of a stay, the window deadlines and their
//! handler. The rule itself is written in the module doc of [`crate::notices`].

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1::IdentityStatus;
use relief_runtime::config::RulesConfig;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext};

use super::store as notice_store;
use crate::files::store::{self, FileRow};
use crate::units;

/// The deadline kind of the end of a refresh window.
pub const REFRESH_DEADLINE: &str = "identity.notice_refresh";

/// The notification kind the station receives when a window passed without a notice.
pub const REFRESH_OVERDUE_NOTIFICATION: &str = "NOTICE_REFRESH_OVERDUE";

/// Far more months than any stay lasts: bounds the month search of an absurd instant.
const MAX_MONTHS: u32 = 12 * 200;

/// `D_k`, the instant status month `k` of a stay that began at `stay_began_at` starts: the stay's
/// beginning for `k = 0`, else the instant the stay has lasted over `k` months
/// (`relief_legal::status_months`: 24:00 local of the corresponding day, start day not counted).
pub fn month_start(stay_began_at: DateTime<Utc>, k: u32) -> DateTime<Utc> {
    if k == 0 {
        stay_began_at
    } else {
        relief_legal::status_months(stay_began_at, k)
    }
}

/// The status month `k` with `D_k <= at < D_{k+1}` (0 for an instant before `D_1`).
pub fn month_of(stay_began_at: DateTime<Utc>, at: DateTime<Utc>) -> u32 {
    let mut k = 0;
    while k < MAX_MONTHS && month_start(stay_began_at, k + 1) <= at {
        k += 1;
    }
    k
}

/// The first month whose window must hold a notice: month 1 for an UNKNOWN identity (stranded
/// over 1 month, then monthly [national, 2019]); for a stated, unverified identity the month the
/// person enters the stranded register (mandatory for everyone in it [plan §二(五)2]). `None`
/// for any other status (a confirmed identity has no file).
pub fn first_window(rules: &RulesConfig, admitted_as: i32) -> Option<u32> {
    match IdentityStatus::try_from(admitted_as) {
        Ok(IdentityStatus::Unknown) => Some(1),
        Ok(IdentityStatus::StatedUnverified) => Some(rules.stranded_months.max(1)),
        _ => None,
    }
}

fn deadline_id(file_id: &str, k: u32) -> String {
    format!("{REFRESH_DEADLINE}:{file_id}:{k}")
}

fn payload(file_id: &str, k: u32) -> Vec<u8> {
    format!("{file_id}:{k}").into_bytes()
}

/// The file id and month of a refresh deadline's payload.
fn parse_payload(payload: &[u8]) -> Option<(String, u32)> {
    let text = std::str::from_utf8(payload).ok()?;
    let (file_id, k) = text.rsplit_once(':')?;
    Some((file_id.to_owned(), k.parse().ok()?))
}

/// Schedules the end of refresh window `k` of `file` (due `D_{k+1}`); scheduling it twice is
/// harmless.
pub async fn schedule_window(
    tx: &mut Tx,
    now: DateTime<Utc>,
    file: &FileRow,
    k: u32,
) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &deadline_id(&file.id, k),
        REFRESH_DEADLINE,
        &file.subject(),
        month_start(file.stay_began_at, k + 1),
        payload(&file.id, k),
    )
    .await?;
    Ok(())
}

/// Whether a notice that is not the file's first was on time: recorded before the end of the
/// status month its publication falls in (the proto's "the month it covers had not ended yet").
/// A notice recorded later did not stop that window's NoticeOverdue (the handler only counts
/// notices recorded within the window), so this flag and the overdue events tell one story.
pub fn refresh_on_time(
    stay_began_at: DateTime<Utc>,
    published_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
) -> bool {
    let month = month_of(stay_began_at, published_at);
    recorded_at < month_start(stay_began_at, month + 1)
}

/// Fires at the end of a refresh window: for an open file with no notice published (and
/// recorded) in the window, `NoticeOverdue { refresh: true }` and a notification to the station
/// holding the case; either way the next window is scheduled. A confirmed or closed file ends
/// the chain (its deadlines were cancelled anyway).
#[derive(Debug, Clone, Copy, Default)]
pub struct RefreshWindowEnded;

#[tonic::async_trait]
impl DeadlineHandler for RefreshWindowEnded {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some((file_id, k)) = parse_payload(&deadline.payload) else {
            return Err(ApiError::internal(format!(
                "malformed notice refresh deadline {}",
                deadline.id
            )));
        };
        // Locked before it is read: serialises the check with a notice being recorded (whose
        // `recorded_at` is read under the same lock) and with a transfer continuing the file.
        store::lock(tx, &file_id).await?;
        let Some(file) = store::fetch(Conn::Tx(tx), &file_id).await? else {
            return Err(ApiError::internal(format!(
                "notice refresh deadline for a missing file {file_id}"
            )));
        };
        if !file.is_open() {
            return Ok(());
        }
        let from = month_start(file.stay_began_at, k);
        // The legal instant is the window's end, however late the sweeper ran.
        let until = deadline.due_at;
        if !notice_store::published_within(tx, &file.id, from, until).await? {
            overdue(context, tx, &file, k, until, now).await?;
        }
        schedule_window(tx, now, &file, k + 1).await
    }
}

/// The event and the station's notification of a window without a notice.
async fn overdue(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    k: u32,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    append(
        tx,
        now,
        &pb::NoticeOverdue {
            file_id: file.id.clone(),
            case_id: file.case_id.clone(),
            division: file.division.clone(),
            due_at: Some(timestamp(due_at)),
            refresh: true,
        },
    )
    .await?;
    let station = units::station(&file.division, &file.station)
        .ok_or_else(|| ApiError::internal(format!("file {} names an invalid station", file.id)))?;
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: REFRESH_OVERDUE_NOTIFICATION.to_owned(),
            subject: file.subject(),
            division: file.division.clone(),
            summary: format!(
                "identity file {}: no family-search notice was published in month {k} of the \
                 stay; publish a refreshed notice",
                file.id
            ),
            recipients: vec![station],
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn status_months_start_at_24_00_of_the_corresponding_day() {
        let began = at("2026-03-02T09:00:00+08:00");
        assert_eq!(month_start(began, 0), began);
        assert_eq!(month_start(began, 1), at("2026-04-03T00:00:00+08:00"));
        assert_eq!(month_start(began, 2), at("2026-05-03T00:00:00+08:00"));
        assert_eq!(month_start(began, 3), at("2026-06-03T00:00:00+08:00"));
        // No corresponding day: the month's last day.
        let end_of_january = at("2026-01-31T22:00:00+08:00");
        assert_eq!(
            month_start(end_of_january, 1),
            at("2026-03-01T00:00:00+08:00")
        );
    }

    #[test]
    fn an_instant_falls_in_one_month_of_the_stay() {
        let began = at("2026-03-02T09:00:00+08:00");
        assert_eq!(month_of(began, began), 0);
        assert_eq!(month_of(began, at("2026-04-02T23:59:59+08:00")), 0);
        assert_eq!(month_of(began, at("2026-04-03T00:00:00+08:00")), 1);
        assert_eq!(month_of(began, at("2026-05-02T23:59:59+08:00")), 1);
        assert_eq!(month_of(began, at("2026-05-03T00:00:00+08:00")), 2);
        assert_eq!(month_of(began, at("2027-03-03T00:00:00+08:00")), 12);
    }

    #[test]
    fn unknown_identities_refresh_from_month_one_stated_ones_from_the_register() {
        let rules = RulesConfig::default();
        assert_eq!(
            first_window(&rules, IdentityStatus::Unknown as i32),
            Some(1)
        );
        assert_eq!(
            first_window(&rules, IdentityStatus::StatedUnverified as i32),
            Some(3)
        );
        assert_eq!(first_window(&rules, IdentityStatus::Confirmed as i32), None);
    }

    #[test]
    fn a_refresh_is_on_time_when_recorded_before_its_month_ended() {
        let began = at("2026-03-02T09:00:00+08:00");
        let published = at("2026-04-20T10:00:00+08:00");
        assert!(refresh_on_time(began, published, published));
        assert!(refresh_on_time(
            began,
            published,
            at("2026-05-02T23:59:59+08:00")
        ));
        assert!(!refresh_on_time(
            began,
            published,
            at("2026-05-03T00:00:00+08:00")
        ));
    }

    #[test]
    fn payloads_round_trip() {
        assert_eq!(
            parse_payload(&payload("0190-abc", 4)),
            Some(("0190-abc".to_owned(), 4))
        );
        assert_eq!(parse_payload(b"no-month"), None);
    }
}
