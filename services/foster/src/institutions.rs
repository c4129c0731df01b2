//! Foster institutions (托养机构, DOMAIN.md section 3): registered by civil affairs only if
//! qualified (plan §二(一)4), their documents watched for expiry (a warning ahead, no new
//! placements after), suspended and reinstated by civil affairs.
//!
//! - [`register`]: `RegisterInstitution`, with [`qualify`] checking the evidence.
//! - [`reads`]: `GetInstitution`, `ListInstitutions`, in the caller's scope.
//! - [`manage`]: `SuspendInstitution`, `ReinstateInstitution`, `RenewInstitutionDocument`.
//! - [`expiry`]: the document deadlines (warning, expiry).
//! - [`store`]: the table.

pub mod expiry;
mod manage;
mod qualify;
mod reads;
mod register;
pub mod store;

use chrono::{DateTime, Days, NaiveDate, Utc};
use relief_runtime::{ApiError, Caller, CallerKind};

pub use manage::{reinstate, renew, suspend};
pub use reads::{get, list};
pub use register::register;
use store::{InstitutionRow, status};

/// The `FAILED_PRECONDITION` reason of a placement into a suspended institution.
pub const INSTITUTION_SUSPENDED: &str = "INSTITUTION_SUSPENDED";

/// The `FAILED_PRECONDITION` reason of a placement into an institution whose documents expired.
pub const INSTITUTION_DOCUMENTS_EXPIRED: &str = "INSTITUTION_DOCUMENTS_EXPIRED";

/// The deadline and notification subject of institution `id`.
pub fn subject(id: &str) -> String {
    format!("institution/{id}")
}

/// The local calendar day containing `now` (the decision date).
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&relief_legal::china()).date_naive()
}

/// The instant a document valid through `date` expires: 24:00 local of `date`.
pub fn end_of(date: NaiveDate) -> DateTime<Utc> {
    relief_legal::end_of_day(date)
}

/// The instant of the warning ahead of the expiry of a document valid through `date`: 24:00
/// local of the day [`expiry::WARNING_DAYS`] days before.
pub fn warning_at(date: NaiveDate) -> DateTime<Utc> {
    end_of(
        date.checked_sub_days(Days::new(expiry::WARNING_DAYS))
            .unwrap_or(NaiveDate::MIN),
    )
}

/// Whether institution `row` may take a new placement at `now`: not if suspended
/// (INSTITUTION_SUSPENDED) nor once its earliest document expired (INSTITUTION_DOCUMENTS_EXPIRED).
pub fn accepts_placements(row: &InstitutionRow, now: DateTime<Utc>) -> Result<(), ApiError> {
    if row.status == status::SUSPENDED {
        return Err(ApiError::failed_precondition(
            INSTITUTION_SUSPENDED,
            "the institution is suspended: no new placements until civil affairs reinstates it",
        ));
    }
    if row.documents_expired(now) {
        return Err(ApiError::failed_precondition(
            INSTITUTION_DOCUMENTS_EXPIRED,
            format!(
                "a document of the institution expired on {}: no new placements until it is \
                 renewed",
                row.documents_expire_on
            ),
        ));
    }
    Ok(())
}

/// Whether `caller` sees institution `row`: civil affairs and governments whose division covers
/// its division; every station (a station must see where it may send); an institution itself.
pub fn sees(caller: &Caller, row: &InstitutionRow) -> bool {
    match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government => {
            relief_runtime::scope::covers(&caller.division, &row.division)
        }
        CallerKind::Station => true,
        CallerKind::Foster => caller.unit == row.id,
        _ => false,
    }
}

/// The provincial civil-affairs department (a province-level division, `xx0000`) reads only
/// (DOMAIN.md, "Callers"): PERMISSION_DENIED before anything is read.
pub fn refuse_read_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.kind == CallerKind::CivilAffairs
        && caller.division.len() == 6
        && caller.division.ends_with("0000")
    {
        return Err(ApiError::PermissionDenied {
            message: "the provincial civil-affairs department may only read".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;
    use tonic::Code;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn row(status: i32, documents_expire_on: &str) -> InstitutionRow {
        InstitutionRow {
            id: "i1".to_owned(),
            name: "盘锦市社会福利院".to_owned(),
            division: "211103".to_owned(),
            address: "兴隆台区".to_owned(),
            kind: 1,
            government_run: true,
            capacity: 100,
            approved_for_minors: false,
            qualification: Vec::new(),
            status,
            documents_expire_on: documents_expire_on.to_owned(),
            registered_at: utc("2026-01-01T00:00:00Z"),
            registered_by: "xlt-civil-affairs".to_owned(),
            suspended_at: None,
            suspension_reason: None,
        }
    }

    fn reason(error: ApiError) -> String {
        let status: tonic::Status = error.into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        use tonic_types::StatusExt;
        status
            .get_error_details()
            .error_info()
            .unwrap()
            .reason
            .clone()
    }

    #[test]
    fn expiry_is_the_end_of_the_local_day_and_the_warning_thirty_days_earlier() {
        let day = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert_eq!(end_of(day), utc("2026-07-01T00:00:00+08:00"));
        assert_eq!(warning_at(day), utc("2026-06-01T00:00:00+08:00"));
        assert_eq!(
            today(utc("2026-06-30T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
    }

    #[test]
    fn placements_need_an_active_institution_with_valid_documents() {
        let active = row(status::ACTIVE, "2026-06-30");
        assert!(accepts_placements(&active, utc("2026-06-30T23:59:59+08:00")).is_ok());
        assert_eq!(
            reason(accepts_placements(&active, utc("2026-07-01T00:00:00+08:00")).unwrap_err()),
            INSTITUTION_DOCUMENTS_EXPIRED
        );
        let suspended = row(status::SUSPENDED, "2027-06-30");
        assert_eq!(
            reason(accepts_placements(&suspended, utc("2026-06-01T00:00:00Z")).unwrap_err()),
            INSTITUTION_SUSPENDED
        );
    }
}
