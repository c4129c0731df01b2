//! The few columns of a case that services, incidents and abuse reports act on, and who may see
//! or act on it.
//!
//! `cases` keeps its row type private to its own module, so this reads only the columns these
//! rules need; who sees a case is the one rule of `GetCase` ([`crate::cases::sees`]): the
//! admitting station; civil affairs and governments whose division covers the case's; a foster
//! institution its current residents; services.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::{Db, Tx};
use relief_runtime::{ApiError, Caller, CallerKind, with_db, with_tx};

/// A case, as these rules see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRef {
    pub id: String,
    pub case_number: String,
    pub station: String,
    pub division: String,
    pub admitted_at: DateTime<Utc>,
    pub status: i32,
    /// In foster care: the institution the person is in now.
    pub institution_id: Option<String>,
    /// In foster care: its division (NULL for a move until the new placement is known).
    pub institution_division: Option<String>,
}

const SELECT: &str = "SELECT id, case_number, station, division, admitted_at, status, \
    institution_id, institution_division FROM cases WHERE id = $1";

impl CaseRef {
    /// Whether the case is open: in the station or in foster care.
    pub fn is_open(&self) -> bool {
        self.status == pb::CaseStatus::InStation as i32
            || self.status == pb::CaseStatus::InFosterCare as i32
    }

    /// Whether `caller` is the station that admitted the case.
    pub fn is_own_station(&self, caller: &Caller) -> bool {
        caller.kind == CallerKind::Station && caller.unit == self.station
    }

    /// Whether `caller` may see the case, as in `GetCase` ([`crate::cases::sees`]).
    pub fn is_visible_to(&self, caller: &Caller) -> bool {
        crate::cases::sees(
            caller,
            &self.station,
            &self.division,
            self.status,
            self.institution_id.as_deref(),
        )
    }

    /// The division where the person is: the institution's while in foster care (when known),
    /// else the case's.
    pub fn where_the_person_is(&self) -> &str {
        match self.institution_division.as_deref() {
            Some(division)
                if self.status == pb::CaseStatus::InFosterCare as i32 && !division.is_empty() =>
            {
                division
            }
            _ => &self.division,
        }
    }
}

/// The case `id` inside `tx` if `allowed` says so; NOT_FOUND otherwise (missing and out of scope
/// answer the same).
pub async fn fetch_in(
    tx: &mut Tx,
    id: &str,
    allowed: impl Fn(&CaseRef) -> bool,
) -> Result<CaseRef, ApiError> {
    let row: Option<CaseRef> = with_tx!(tx, |conn| {
        sqlx::query_as(SELECT).bind(id).fetch_optional(conn).await
    })?;
    row.filter(|case| allowed(case))
        .ok_or(ApiError::NotFound { what: "case" })
}

/// The case `id` from the pool if `allowed` says so; NOT_FOUND otherwise.
pub async fn fetch(
    db: &Db,
    id: &str,
    allowed: impl Fn(&CaseRef) -> bool,
) -> Result<CaseRef, ApiError> {
    let row: Option<CaseRef> = with_db!(db, |pool| {
        sqlx::query_as(SELECT).bind(id).fetch_optional(pool).await
    })?;
    row.filter(|case| allowed(case))
        .ok_or(ApiError::NotFound { what: "case" })
}
