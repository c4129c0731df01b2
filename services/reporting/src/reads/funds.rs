//! `GetFundsReport`: the money of a period per area (DOMAIN.md section 4 "Funds", plan §三), for
//! finance and audit, summed from the daily counters (`r_daily`) only:
//!
//! - medical costs: `cost_fen` under `SERVICE_KIND_TREATMENT` (treatment given by stations, at
//!   actual cost; foster care has no event for its residents' medical costs yet);
//! - other service costs: `cost_fen` under every other ServiceKind (lodging, meals, other);
//! - foster fees and the days in care they cover: `foster_fee_fen` and `foster_days`, counted on
//!   the last day of the fee's month, so a period holds the fees of the months that end in it.
//!
//! Callers: civil affairs and governments (the rows of their scope), and supervisors holding the
//! `funds` role in `units.toml` (finance, audit), who see every row of the city; any other
//! supervisor gets PERMISSION_DENIED.

use std::collections::BTreeMap;

use relief_proto::common::v1::Money;
use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, with_db};

use crate::areas::{Scope, all_divisions};
use crate::time::period_range;

/// The units.toml role of the supervisors who read the funds report (finance, audit), as foster's
/// fees use it.
pub const FUNDS_ROLE: &str = "funds";

/// The ServiceKind name of medical treatment; every other kind is "other service costs".
const TREATMENT: &str = "SERVICE_KIND_TREATMENT";

/// `GetFundsReport`.
pub async fn get(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::GetFundsReportRequest,
) -> Result<pb::GetFundsReportResponse, ApiError> {
    if caller.kind == CallerKind::Supervisor && !holds_funds_role(context, caller) {
        return Err(ApiError::PermissionDenied {
            message: "only a supervisor holding the funds role may read the funds report"
                .to_owned(),
        });
    }
    let range = period_range("period", request.period.as_ref())?;
    let scope = Scope::of(caller, request.division.trim())?;
    let sums = sums(context, &range.first, &range.last).await?;
    let rows = scope
        .areas()
        .into_iter()
        .map(|area| {
            // The city total is the sum of the five rows: an amount counted under a division that
            // has no row of its own is in no row and not in the total either.
            let totals = if area.kind == pb::AreaKind::City as i32 {
                all_divisions()
                    .iter()
                    .fold(Totals::default(), |total, division| {
                        total.plus(&sums.get(*division).cloned().unwrap_or_default())
                    })
            } else {
                sums.get(area.division.as_str())
                    .cloned()
                    .unwrap_or_default()
            };
            totals.into_row(area)
        })
        .collect();
    Ok(pb::GetFundsReportResponse {
        period: Some(range.period),
        rows,
    })
}

/// Whether `caller` is a unit of `units.toml` of its kind holding [`FUNDS_ROLE`].
fn holds_funds_role(context: &ServiceContext, caller: &Caller) -> bool {
    context.units.get(&caller.unit).is_some_and(|unit| {
        unit.kind == caller.kind && unit.roles.iter().any(|role| role == FUNDS_ROLE)
    })
}

/// The money of one area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    medical_fen: i64,
    other_fen: i64,
    foster_fee_fen: i64,
    foster_days: i64,
}

impl Totals {
    fn plus(self, other: &Totals) -> Totals {
        Totals {
            medical_fen: self.medical_fen + other.medical_fen,
            other_fen: self.other_fen + other.other_fen,
            foster_fee_fen: self.foster_fee_fen + other.foster_fee_fen,
            foster_days: self.foster_days + other.foster_days,
        }
    }

    fn into_row(self, area: pb::Area) -> pb::FundsRow {
        pb::FundsRow {
            area: Some(area),
            medical_costs: Some(Money {
                fen: self.medical_fen,
            }),
            other_service_costs: Some(Money {
                fen: self.other_fen,
            }),
            foster_fees: Some(Money {
                fen: self.foster_fee_fen,
            }),
            foster_days_in_care: i32::try_from(self.foster_days).unwrap_or(i32::MAX),
        }
    }
}

/// The funds counters of the days `first..=last`, per division.
async fn sums(
    context: &ServiceContext,
    first: &str,
    last: &str,
) -> Result<BTreeMap<String, Totals>, ApiError> {
    let rows = with_db!(&context.db, |pool| {
        sqlx::query_as::<_, (String, String, String, i64)>(
            "SELECT division, metric, dim, CAST(SUM(value) AS BIGINT) FROM r_daily \
             WHERE day >= $1 AND day <= $2 \
               AND metric IN ('cost_fen', 'foster_fee_fen', 'foster_days') \
             GROUP BY division, metric, dim",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await
    })?;
    let mut sums: BTreeMap<String, Totals> = BTreeMap::new();
    for (division, metric, dim, value) in rows {
        let totals = sums.entry(division).or_default();
        match metric.as_str() {
            "cost_fen" if dim == TREATMENT => totals.medical_fen += value,
            "cost_fen" => totals.other_fen += value,
            "foster_fee_fen" => totals.foster_fee_fen += value,
            _ => totals.foster_days += value,
        }
    }
    Ok(sums)
}
