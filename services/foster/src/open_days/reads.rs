//! `ListOpenDays`: every station and institution in the caller's scope with its open day of a
//! year. Civil affairs and governments: the units of the divisions they cover; a station or an
//! institution: itself. `missed` is computed from the records once June 19 24:00 local has
//! passed, whatever the sweeper did.

use std::collections::BTreeMap;

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::scope::covers;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller};
use tonic::Request;

use super::store::{self, Obliged};
use super::{open_day, window};

/// `ListOpenDays`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListOpenDaysRequest>,
) -> Result<pb::ListOpenDaysResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let year = request.year;
    let Some(day) = open_day(year) else {
        return Err(ApiError::invalid_field(
            "year",
            "must be a year from 1 to 9999",
        ));
    };
    let due_at = window(day).1;
    let passed = context.clock.now() >= due_at;
    let in_scope = |unit: &Obliged| in_scope(&caller, unit);
    let mut by_unit: BTreeMap<String, pb::OpenDay> =
        store::obliged(Conn::Db(&context.db), &context.units, due_at)
            .await?
            .into_iter()
            .filter(in_scope)
            .map(|unit| {
                (
                    unit.unit.clone(),
                    pb::OpenDay {
                        year,
                        unit: unit.unit,
                        institution: unit.institution,
                        division: unit.division,
                        held: false,
                        missed: passed,
                        ..pb::OpenDay::default()
                    },
                )
            })
            .collect();
    for row in store::of_year(Conn::Db(&context.db), year).await? {
        let unit = Obliged {
            unit: row.unit.clone(),
            institution: row.institution,
            division: row.division.clone(),
        };
        if in_scope(&unit) {
            by_unit.insert(row.unit.clone(), row.to_proto());
        }
    }
    Ok(pb::ListOpenDaysResponse {
        open_days: by_unit.into_values().collect(),
    })
}

/// Whether `caller` sees the open day of `unit`: civil affairs and governments covering its
/// division; the unit itself.
fn in_scope(caller: &Caller, unit: &Obliged) -> bool {
    match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government => {
            covers(&caller.division, &unit.division)
        }
        CallerKind::Station => !unit.institution && caller.unit == unit.unit,
        CallerKind::Foster => unit.institution && caller.unit == unit.unit,
        _ => false,
    }
}
