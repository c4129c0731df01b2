//! Inspections (监督检查, plan §二(三), §二(四)4) of institutions and stations: findings,
//! rectification deadlines, breaches.
//!
//! - [`record`]: `RecordInspection`, the authority checked against the caller ([`authority`]):
//!   a station for the institutions it has an agreement with, civil affairs (also as the
//!   registration authority), police, and the supervisors by their role in units.toml.
//! - [`rectify`]: `RecordRectification`, by the inspected unit or the inspecting unit.
//! - [`reads`]: `ListInspections`, in the caller's scope.
//! - [`overdue`]: each finding's rectification deadline (24:00 local of its last day).
//! - [`store`]: the tables.

mod authority;
pub(crate) mod overdue;
mod reads;
mod record;
mod rectify;
mod store;

use chrono::NaiveDate;

pub use reads::list;
pub use record::record;
pub use rectify::rectify;

/// The `FAILED_PRECONDITION` reason of a station inspecting an institution it never had an
/// agreement with.
pub const NO_AGREEMENT_WITH_INSTITUTION: &str = "NO_AGREEMENT_WITH_INSTITUTION";

/// The `FAILED_PRECONDITION` reason of rectifying a finding that has no rectification deadline.
pub const NOTHING_TO_RECTIFY: &str = "NOTHING_TO_RECTIFY";

/// The `FAILED_PRECONDITION` reason of rectifying a finding twice.
pub const ALREADY_RECTIFIED: &str = "ALREADY_RECTIFIED";

/// The deadline and notification subject of inspection `id`.
pub fn subject(id: &str) -> String {
    format!("inspection/{id}")
}

/// A local day written `YYYY-MM-DD` (surrounding blanks ignored).
fn parse_day(text: &str) -> Option<NaiveDate> {
    crate::agreements::store::parse_day(text.trim())
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    vec![(
        overdue::RECTIFICATION_DEADLINE,
        std::sync::Arc::new(overdue::RectificationDeadline) as _,
    )]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn days_are_strict_iso_dates() {
        assert_eq!(
            parse_day("2026-06-19"),
            NaiveDate::from_ymd_opt(2026, 6, 19)
        );
        assert_eq!(parse_day("2026-6-19"), None);
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day(""), None);
    }
}
