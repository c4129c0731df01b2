//! County rates: the rates file seeded at start, `SetCountyRates` and `ListCountyRates`.
//!
//! The database is the record. At start, each version of the file (configuration key
//! `rates_file`, else the copy of `deploy/foster_rates.toml` built into the binary) that is not
//! stored yet is added (`set_by` "file", a CountyRatesSet event); a stored version that differs
//! from the file is kept and a warning logged. A version never changes: a correction is a new
//! version from a later day.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_runtime::config::ConfigError;
use relief_runtime::db::{Conn, DbError};
use relief_runtime::events::append;
use relief_runtime::scope::{covers, like_pattern, list_division};
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, RunError, ServiceContext, caller, idempotency};
use serde::Deserialize;
use tonic::Request;

use super::compute::Amounts;
use super::store::{self, RatesRow};
use super::{RATES_ALREADY_SET, funds};
use crate::institutions::refuse_read_only;

/// The rates file shipped with the binary, used when `rates_file` is not configured.
pub const EMBEDDED_RATES: &str = include_str!("../../../../deploy/foster_rates.toml");

/// `set_by` of a version from the rates file.
pub const FROM_FILE: &str = "file";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesFile {
    #[serde(default)]
    rates: Vec<FileRates>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRates {
    division: String,
    effective_on: String,
    basic_living_fen: i64,
    care_full_fen: i64,
    care_partial_fen: i64,
    care_none_fen: i64,
    special_bed_fen: i64,
    special_rehabilitation_fen: i64,
}

/// One version read from the rates file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// The county-level division.
    pub division: String,
    /// First day.
    pub effective_on: NaiveDate,
    /// The monthly amounts.
    pub amounts: Amounts,
}

/// Parses and checks a rates file: every key present and no other, a known six-digit division,
/// a `YYYY-MM-DD` day, no negative amount, no version twice.
pub fn parse_file(text: &str) -> Result<Vec<FileVersion>, String> {
    let file: RatesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = BTreeSet::new();
    let mut versions = Vec::with_capacity(file.rates.len());
    for (index, rates) in file.rates.into_iter().enumerate() {
        let at = format!("rates[{index}] ({} {})", rates.division, rates.effective_on);
        let known = relief_legal::DivisionCode::parse(&rates.division)
            .ok()
            .is_some_and(|code| code.division().is_some());
        if !known {
            return Err(format!(
                "{at}: division must be a known six-digit GB/T 2260 code"
            ));
        }
        let effective_on: NaiveDate = parse_day(&rates.effective_on)
            .ok_or_else(|| format!("{at}: effective_on must be a date (YYYY-MM-DD)"))?;
        let amounts = Amounts {
            basic_living: rates.basic_living_fen,
            care_full: rates.care_full_fen,
            care_partial: rates.care_partial_fen,
            care_none: rates.care_none_fen,
            special_bed: rates.special_bed_fen,
            special_rehabilitation: rates.special_rehabilitation_fen,
        };
        if let Some((key, _)) = amount_fields(&amounts)
            .into_iter()
            .find(|(_, fen)| *fen < 0)
        {
            return Err(format!("{at}: {key}_fen must not be negative"));
        }
        if !seen.insert((rates.division.clone(), effective_on)) {
            return Err(format!("{at}: this division and day are listed twice"));
        }
        versions.push(FileVersion {
            division: rates.division,
            effective_on,
            amounts,
        });
    }
    Ok(versions)
}

fn amount_fields(amounts: &Amounts) -> [(&'static str, i64); 6] {
    [
        ("basic_living", amounts.basic_living),
        ("care_full", amounts.care_full),
        ("care_partial", amounts.care_partial),
        ("care_none", amounts.care_none),
        ("special_bed", amounts.special_bed),
        ("special_rehabilitation", amounts.special_rehabilitation),
    ]
}

pub use crate::agreements::store::parse_day;

fn row(
    division: &str,
    effective_on: NaiveDate,
    amounts: &Amounts,
    set_by: &str,
    set_at: DateTime<Utc>,
) -> RatesRow {
    RatesRow {
        division: division.to_owned(),
        effective_on: effective_on.to_string(),
        basic_living_fen: amounts.basic_living,
        care_full_fen: amounts.care_full,
        care_partial_fen: amounts.care_partial,
        care_none_fen: amounts.care_none,
        special_bed_fen: amounts.special_bed,
        special_rehabilitation_fen: amounts.special_rehabilitation,
        set_by: set_by.to_owned(),
        set_at,
    }
}

/// Reads the configured rates file (or the built-in one) and stores its new versions. A file
/// that cannot be read or is malformed stops the service (configuration key `rates_file`).
pub async fn seed(context: &ServiceContext) -> Result<(), RunError> {
    let config_error = |message: String| {
        RunError::Config(ConfigError {
            key: "rates_file".to_owned(),
            message,
        })
    };
    let (text, source) = match &context.config.rates_file {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| config_error(format!("cannot read {}: {e}", path.display())))?,
            path.display().to_string(),
        ),
        None => (
            EMBEDDED_RATES.to_owned(),
            "the built-in rates file".to_owned(),
        ),
    };
    let versions = parse_file(&text).map_err(|e| config_error(format!("{source}: {e}")))?;
    store_file(context, &versions)
        .await
        .map_err(|e| RunError::Db(DbError::Connect(e)))
}

async fn store_file(context: &ServiceContext, versions: &[FileVersion]) -> Result<(), sqlx::Error> {
    let now = context.clock.now().trunc_subsecs(6);
    let mut tx = context.db.begin().await?;
    let mut added = 0_usize;
    for version in versions {
        let effective_on = version.effective_on.to_string();
        let stored =
            store::fetch_rates(Conn::Tx(&mut tx), &version.division, &effective_on).await?;
        match stored {
            None => {
                let new = row(
                    &version.division,
                    version.effective_on,
                    &version.amounts,
                    FROM_FILE,
                    now,
                );
                if store::insert_rates(&mut tx, &new).await? {
                    append(&mut tx, now, &set_event(&new)).await?;
                    added += 1;
                }
            }
            Some(stored) if stored.amounts() != version.amounts => {
                tracing::warn!(
                    division = %version.division,
                    effective_on = %effective_on,
                    stored_by = %stored.set_by,
                    "the rates file differs from the stored rates version; the stored version is \
                     kept (a correction is a new version from a later day)"
                );
            }
            Some(_) => {}
        }
    }
    context.commit(tx).await?;
    tracing::info!(versions = versions.len(), added, "county fee rates loaded");
    Ok(())
}

fn set_event(row: &RatesRow) -> pb::CountyRatesSet {
    pb::CountyRatesSet {
        division: row.division.clone(),
        effective_on: row.effective_on.clone(),
        set_by: row.set_by.clone(),
        set_at: Some(timestamp(row.set_at)),
    }
}

/// `SetCountyRates` (civil affairs: a county its division, the city bureau any of the city's;
/// the province reads only).
pub async fn set(
    context: &ServiceContext,
    request: Request<pb::SetCountyRatesRequest>,
) -> Result<pb::SetCountyRatesResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let mut parsed = None;
    match &request.rates {
        None => check.add("rates", "is required"),
        Some(rates) => {
            let mut warnings = Vec::new();
            let division = check.division("rates.division", &rates.division, &mut warnings);
            if division.len() == 6 {
                if !warnings.is_empty() {
                    check.add("rates.division", "is not a known division code");
                } else if !covers(&caller.division, &division) {
                    check.add(
                        "rates.division",
                        "is outside the divisions this caller may see",
                    );
                }
            }
            let effective_on = parse_day(rates.effective_on.trim());
            if effective_on.is_none() {
                check.add("rates.effective_on", "must be a date (YYYY-MM-DD)");
            }
            let mut amount = |field: &str, money: Option<&Money>| match money {
                None => {
                    check.add(&format!("rates.{field}"), "is required");
                    0
                }
                Some(money) if money.fen < 0 => {
                    check.add(&format!("rates.{field}"), "must not be negative");
                    0
                }
                Some(money) => money.fen,
            };
            let amounts = Amounts {
                basic_living: amount("basic_living", rates.basic_living.as_ref()),
                care_full: amount("care_full", rates.care_full.as_ref()),
                care_partial: amount("care_partial", rates.care_partial.as_ref()),
                care_none: amount("care_none", rates.care_none.as_ref()),
                special_bed: amount("special_bed", rates.special_bed.as_ref()),
                special_rehabilitation: amount(
                    "special_rehabilitation",
                    rates.special_rehabilitation.as_ref(),
                ),
            };
            parsed = effective_on.map(|day| (division, day, amounts));
        }
    }
    check.finish()?;
    let Some((division, effective_on, amounts)) = parsed else {
        return Err(ApiError::internal("validated rates without a day"));
    };
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/SetCountyRates",
        &request.request_id,
        &request,
        async |tx| {
            let day = effective_on.to_string();
            if store::fetch_rates(Conn::Tx(tx), &division, &day)
                .await?
                .is_some()
            {
                return Err(ApiError::failed_precondition(
                    RATES_ALREADY_SET,
                    format!(
                        "rates of {division} from {day} are already stored; a correction is a \
                         new version from a later day"
                    ),
                ));
            }
            let new = row(&division, effective_on, &amounts, &caller.unit, now);
            if !store::insert_rates(tx, &new).await? {
                return Err(ApiError::failed_precondition(
                    RATES_ALREADY_SET,
                    format!("rates of {division} from {day} were stored meanwhile"),
                ));
            }
            append(tx, now, &set_event(&new)).await?;
            Ok(pb::SetCountyRatesResponse {
                rates: Some(new.to_proto()),
            })
        },
    )
    .await
}

/// `ListCountyRates`: civil affairs and governments their divisions; stations, institutions
/// and the funds supervisors (finance, audit) every division.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListCountyRatesRequest>,
) -> Result<pb::ListCountyRatesResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let requested = request.division.trim();
    let (pattern, division) = match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government => (
            like_pattern(&caller.division),
            list_division(&caller, requested)?.unwrap_or_default(),
        ),
        CallerKind::Station | CallerKind::Foster | CallerKind::Service => {
            ("%".to_owned(), requested.to_owned())
        }
        CallerKind::Supervisor if funds(context, &caller) => ("%".to_owned(), requested.to_owned()),
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller without the funds role may not list rates"),
            });
        }
    };
    let rows = store::list_rates(&context.db, &pattern, &division).await?;
    Ok(pb::ListCountyRatesResponse {
        rates: rows.iter().map(RatesRow::to_proto).collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn the_shipped_file_has_a_version_for_each_county_level_division_of_panjin() {
        let versions = parse_file(EMBEDDED_RATES).unwrap();
        let divisions: BTreeSet<_> = versions.iter().map(|v| v.division.as_str()).collect();
        let mut expected: BTreeSet<_> = relief_legal::PANJIN_COUNTY_LEVEL.into_iter().collect();
        expected.insert(relief_legal::PANJIN_CITY);
        assert_eq!(divisions, expected);
        for version in &versions {
            assert_eq!(version.effective_on, parse_day("2026-01-01").unwrap());
            let a = version.amounts;
            assert!(a.basic_living > 0 && a.special_bed > 0 && a.special_rehabilitation > 0);
            assert!(a.care_full < a.care_partial && a.care_partial < a.care_none);
        }
    }

    #[test]
    fn a_malformed_file_is_refused_with_the_reason() {
        let good = "[[rates]]\ndivision = \"211103\"\neffective_on = \"2026-01-01\"\n\
            basic_living_fen = 1\ncare_full_fen = 1\ncare_partial_fen = 1\ncare_none_fen = 1\n\
            special_bed_fen = 1\nspecial_rehabilitation_fen = 1\n";
        assert_eq!(parse_file(good).unwrap().len(), 1);
        let unknown_key = format!("{good}bonus_fen = 1\n");
        assert!(parse_file(&unknown_key).unwrap_err().contains("bonus_fen"));
        let missing = good.replace("care_none_fen = 1\n", "");
        assert!(parse_file(&missing).unwrap_err().contains("care_none_fen"));
        let negative = good.replace("special_bed_fen = 1", "special_bed_fen = -5");
        assert!(
            parse_file(&negative)
                .unwrap_err()
                .contains("special_bed_fen must not be negative")
        );
        let bad_day = good.replace("2026-01-01", "2026-1-1");
        assert!(parse_file(&bad_day).unwrap_err().contains("effective_on"));
        let bad_division = good.replace("211103", "2111");
        assert!(parse_file(&bad_division).unwrap_err().contains("division"));
        let twice = format!("{good}{good}");
        assert!(parse_file(&twice).unwrap_err().contains("twice"));
        let float = good.replace("care_full_fen = 1", "care_full_fen = 1.5");
        assert!(parse_file(&float).is_err());
        assert!(parse_file("").unwrap().is_empty());
    }
}
