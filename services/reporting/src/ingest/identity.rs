//! The events of the identity feed that reporting reads, one module per idea:
//!
//! - [`files`]: `IdentityFileOpened` / `Continued` / `Closed`, `IdentityConfirmed`,
//!   `PersonStranded`, `StrandedStepCompleted`, `SettlementFiled` / `Decided` → `r_identity_files`
//!   and the `identification`, `settlement.filed` and `settlement.decided` facts;
//! - [`obligations`]: the first family-search notice (24 hours), its monthly refresh and the
//!   filing of a verification request (7 working days) → the `notice_24h` and `request_7wd` facts
//!   and the `identity.notice`, `identity.notice_refresh` and `identity.request_filing` late
//!   items;
//! - [`verifications`]: `VerificationRequested` … `VerificationAnswered` → `r_verifications`, the
//!   `police_answer` and `police_answer_days` facts and the `verification.deemed_receipt` /
//!   `verification.overdue` late items; a file confirmed or closed withdraws its open requests
//!   (identity has no event for that: it withdraws them in the same transaction).
//!
//! The identity feed is ordered: a file's `IdentityFileOpened` precedes its other events and a
//! request's `VerificationRequested` precedes its others, so a handler may read what an earlier
//! event of this feed wrote (the file's due times, the request's due time). It never reads a row
//! of another feed (`r_cases`): each figure counts in the division the event carries.
//!
//! Days an obligation is due on are [`due_day`]s: identity's due times are mostly 24:00 local of
//! a last day, which is that day's obligation, not the next day's.

pub mod files;
pub mod obligations;
pub mod verifications;

use chrono::{DateTime, Duration, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

use crate::time::day;

/// `ON_TIME`, the dimension of an obligation met by its due time.
pub const ON_TIME: &str = "ON_TIME";

/// `LATE`, the dimension of an obligation met late or seen overdue.
pub const LATE: &str = "LATE";

/// The dimension of an obligation that was (`true`) or was not met by its due time.
pub fn timeliness(on_time: bool) -> &'static str {
    if on_time { ON_TIME } else { LATE }
}

/// The local day an obligation due at `due_at` is due on: the day that ends at a 24:00 due
/// instant (00:00 of the next day), else the day of the instant.
pub fn due_day(due_at: DateTime<Utc>) -> String {
    day(due_at - Duration::microseconds(1))
}

/// Applies one event of the identity feed to the read models; other events change nothing.
pub async fn apply(tx: &mut Tx, event: &ReceivedEvent) -> Result<(), ApiError> {
    if let Some(opened) = event.decode::<pb::IdentityFileOpened>()? {
        return files::opened(tx, &opened).await;
    }
    if let Some(continued) = event.decode::<pb::IdentityFileContinued>()? {
        return files::continued(tx, &continued).await;
    }
    if let Some(closed) = event.decode::<pb::IdentityFileClosed>()? {
        return files::closed(tx, &closed).await;
    }
    if let Some(confirmed) = event.decode::<pb::IdentityConfirmed>()? {
        return files::confirmed(tx, &confirmed).await;
    }
    if let Some(stranded) = event.decode::<pb::PersonStranded>()? {
        return files::stranded(tx, &stranded).await;
    }
    if let Some(step) = event.decode::<pb::StrandedStepCompleted>()? {
        return files::step_completed(tx, &step).await;
    }
    if let Some(filed) = event.decode::<pb::SettlementFiled>()? {
        return files::settlement_filed(tx, &filed).await;
    }
    if let Some(decided) = event.decode::<pb::SettlementDecided>()? {
        return files::settlement_decided(tx, &decided).await;
    }
    if let Some(published) = event.decode::<pb::NoticePublished>()? {
        return obligations::notice_published(tx, event, &published).await;
    }
    if let Some(overdue) = event.decode::<pb::NoticeOverdue>()? {
        return obligations::notice_overdue(tx, event, &overdue).await;
    }
    if let Some(overdue) = event.decode::<pb::VerificationFilingOverdue>()? {
        return obligations::filing_overdue(tx, event, &overdue).await;
    }
    if let Some(requested) = event.decode::<pb::VerificationRequested>()? {
        return verifications::requested(tx, event, &requested).await;
    }
    if let Some(acknowledged) = event.decode::<pb::VerificationAcknowledged>()? {
        return verifications::acknowledged(tx, event, &acknowledged).await;
    }
    if let Some(deemed) = event.decode::<pb::VerificationDeemedReceived>()? {
        return verifications::deemed_received(tx, event, &deemed).await;
    }
    if let Some(forwarded) = event.decode::<pb::VerificationForwarded>()? {
        return verifications::forwarded(tx, &forwarded).await;
    }
    if let Some(overdue) = event.decode::<pb::VerificationOverdue>()? {
        return verifications::overdue(tx, event, &overdue).await;
    }
    if let Some(answered) = event.decode::<pb::VerificationAnswered>()? {
        return verifications::answered(tx, event, &answered).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_due_time_at_24_00_is_due_on_the_day_it_ends() {
        // 2026-04-14 24:00 local (UTC+8) is 2026-04-14T16:00Z.
        assert_eq!(due_day(utc("2026-04-14T16:00:00Z")), "2026-04-14");
        // Any other instant is due on its own local day.
        assert_eq!(due_day(utc("2026-04-14T16:00:01Z")), "2026-04-15");
        assert_eq!(due_day(utc("2026-04-14T02:30:00Z")), "2026-04-14");
    }
}
