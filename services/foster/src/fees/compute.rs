//! The arithmetic of one resident's fee for one calendar month, pure and in integer fen.
//!
//! The days in care of the month (the placement's day on, the day it ended excluded, clipped to
//! the month) are split into runs of consecutive days charged at one rates version and one
//! margin. For each run and each component, rounded half up to the fen and cumulatively: consecutive
//! runs charging one monthly amount m form a chain starting after day c of the month; a run of
//! that chain covering the days (s, e] is charged round(m·(e−c)/n) − round(m·(s−c)/n), n the days
//! in the month (so a lone run is charged round(m·days/n), and a chain of runs the same as one
//! run of all its days). Where the monthly amount changes, each chain is rounded on its own.
//! Then the margin: the run's subtotal × basis points ÷ 10000, rounded half up, per run. A whole
//! month at one monthly amount per component is charged exactly that amount.

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, Days, NaiveDate};
use relief_proto::foster::v1::{FeeComponent, SelfCare};

/// The monthly amounts of one rates version, in fen (never negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    /// 特困人员基本生活标准.
    pub basic_living: i64,
    /// Care standard, fully able.
    pub care_full: i64,
    /// Care standard, partly able.
    pub care_partial: i64,
    /// Care standard, unable.
    pub care_none: i64,
    /// Bed fee, special groups.
    pub special_bed: i64,
    /// Rehabilitation fee, special groups.
    pub special_rehabilitation: i64,
}

impl Amounts {
    /// The care standard for `self_care`; `None` when it is not set.
    pub fn care(&self, self_care: SelfCare) -> Option<i64> {
        match self_care {
            SelfCare::Full => Some(self.care_full),
            SelfCare::Partial => Some(self.care_partial),
            SelfCare::None => Some(self.care_none),
            SelfCare::Unspecified => None,
        }
    }
}

/// One rates version of a county: its amounts from `effective_on` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// First day it applies.
    pub effective_on: NaiveDate,
    /// The monthly amounts.
    pub amounts: Amounts,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// The month, 1..=12.
    pub month: u32,
}

impl Month {
    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// `YYYY-MM`, or `None`.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        let digits = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|byte| byte.is_ascii_digit())
        };
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let year = year.parse().ok()?;
        let month = month.parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, 1).map(Month::of)
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month after it.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// How many days it has (28..=31).
    pub fn days(self) -> i64 {
        i64::from(self.last_day().day())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The days in care in `month` of a placement placed on the local day `placed_on` and ended on
/// the local day `ended_on` (excluded; `None`: still in care): the first and last day, or `None`
/// for no day.
pub fn days_in_care(
    month: Month,
    placed_on: NaiveDate,
    ended_on: Option<NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    let first = placed_on.max(month.first_day());
    let last = match ended_on {
        Some(ended_on) => ended_on.pred_opt()?.min(month.last_day()),
        None => month.last_day(),
    };
    (first <= last).then_some((first, last))
}

/// One line of a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// The component.
    pub component: FeeComponent,
    /// First day of the run.
    pub from_on: NaiveDate,
    /// Last day of the run.
    pub to_on: NaiveDate,
    /// Days in the run.
    pub days: i64,
    /// The rates version charged.
    pub rates_effective_on: NaiveDate,
    /// The monthly amount (for MARGIN: the run's subtotal).
    pub monthly: i64,
    /// For MARGIN: the basis points (0 otherwise).
    pub margin_bps: i32,
    /// The amount charged.
    pub amount: i64,
}

/// A month's fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Days in care.
    pub days_in_care: i64,
    /// Days in the month.
    pub days_in_month: i64,
    /// The lines: per run, BASIC_LIVING, CARE, (BED, REHABILITATION,) MARGIN.
    pub lines: Vec<Line>,
    /// The sum of the lines.
    pub total: i64,
}

/// Why a month cannot be assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unassessable {
    /// No rates version applies on `day` (the first such day).
    NoRates {
        /// The day.
        day: NaiveDate,
    },
    /// The placement has no self-care level.
    NoCareLevel,
    /// An amount does not fit in i64 fen.
    Overflow,
}

/// `numerator ÷ denominator` rounded half up, for a non-negative numerator and a positive
/// denominator.
fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

fn fen(value: i128) -> Result<i64, Unassessable> {
    i64::try_from(value).map_err(|_| Unassessable::Overflow)
}

/// `monthly` × `days` ÷ `days_in_month`, rounded half up to the fen.
pub fn prorate(monthly: i64, days: i64, days_in_month: i64) -> Result<i64, Unassessable> {
    fen(div_half_up(
        i128::from(monthly) * i128::from(days),
        i128::from(days_in_month.max(1)),
    ))
}

/// `subtotal` × `bps` ÷ 10000, rounded half up to the fen.
pub fn margin(subtotal: i64, bps: i32) -> Result<i64, Unassessable> {
    fen(div_half_up(i128::from(subtotal) * i128::from(bps), 10_000))
}

/// The version applying on `day`: the latest `effective_on` not after it.
fn version_on(versions: &[Version], day: NaiveDate) -> Option<&Version> {
    versions
        .iter()
        .filter(|version| version.effective_on <= day)
        .max_by_key(|version| version.effective_on)
}

/// The fee of `month` for the days `span` (first, last; within the month) of a resident of
/// `self_care` (a special group or not), at the county's `versions` (any order) and the margin
/// `margin_bps(day)` in force each day.
#[cfg(test)]
pub fn assess(
    month: Month,
    span: (NaiveDate, NaiveDate),
    versions: &[Version],
    self_care: SelfCare,
    special_group: bool,
    margin_bps: impl Fn(NaiveDate) -> i32,
) -> Result<Assessment, Unassessable> {
    assess_with_fallback(
        month,
        span,
        versions,
        &[],
        self_care,
        special_group,
        margin_bps,
    )
}

/// [`assess`], where a day to which none of `versions` applies takes the version of
/// `fallback` applying on it (the versions known at the month's end, then the later ones).
pub fn assess_with_fallback(
    month: Month,
    (first, last): (NaiveDate, NaiveDate),
    versions: &[Version],
    fallback: &[Version],
    self_care: SelfCare,
    special_group: bool,
    margin_bps: impl Fn(NaiveDate) -> i32,
) -> Result<Assessment, Unassessable> {
    let days_in_month = month.days();
    // Runs of consecutive days with one version and one margin.
    let mut runs: Vec<(NaiveDate, NaiveDate, Version, i32)> = Vec::new();
    let mut day = first;
    while day <= last {
        let version = *version_on(versions, day)
            .or_else(|| version_on(fallback, day))
            .ok_or(Unassessable::NoRates { day })?;
        let bps = margin_bps(day);
        match runs.last_mut() {
            Some((_, to, run_version, run_bps))
                if run_version.effective_on == version.effective_on && *run_bps == bps =>
            {
                *to = day;
            }
            _ => runs.push((day, day, version, bps)),
        }
        day = match day.checked_add_days(Days::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    let mut lines = Vec::new();
    let mut days_in_care = 0;
    // Per component: (chain start c, last day e of its latest run, monthly amount).
    let mut chains: HashMap<FeeComponent, (i64, i64, i64)> = HashMap::new();
    for (from_on, to_on, version, bps) in runs {
        let days = (to_on - from_on).num_days() + 1;
        days_in_care += days;
        let amounts = version.amounts;
        let mut components = vec![
            (FeeComponent::BasicLiving, amounts.basic_living),
            (
                FeeComponent::Care,
                amounts.care(self_care).ok_or(Unassessable::NoCareLevel)?,
            ),
        ];
        if special_group {
            components.push((FeeComponent::Bed, amounts.special_bed));
            components.push((FeeComponent::Rehabilitation, amounts.special_rehabilitation));
        }
        let line = |component, monthly, margin_bps, amount| Line {
            component,
            from_on,
            to_on,
            days,
            rates_effective_on: version.effective_on,
            monthly,
            margin_bps,
            amount,
        };
        let mut subtotal: i64 = 0;
        let (start, end) = (i64::from(from_on.day0()), i64::from(to_on.day()));
        for (component, monthly) in components {
            // The chain of runs charging `monthly` for this component that this run continues
            // (adjacent days, same monthly amount), or a new one starting after `start`.
            let chain = match chains.get(&component) {
                Some(&(chain_start, chain_end, chain_monthly))
                    if chain_end == start && chain_monthly == monthly =>
                {
                    chain_start
                }
                _ => start,
            };
            chains.insert(component, (chain, end, monthly));
            let amount = prorate(monthly, end - chain, days_in_month)?
                .checked_sub(prorate(monthly, start - chain, days_in_month)?)
                .ok_or(Unassessable::Overflow)?;
            subtotal = subtotal.checked_add(amount).ok_or(Unassessable::Overflow)?;
            lines.push(line(component, monthly, 0, amount));
        }
        lines.push(line(
            FeeComponent::Margin,
            subtotal,
            bps,
            margin(subtotal, bps)?,
        ));
    }
    let total = lines
        .iter()
        .try_fold(0_i64, |sum, line| sum.checked_add(line.amount))
        .ok_or(Unassessable::Overflow)?;
    Ok(Assessment {
        days_in_care,
        days_in_month,
        lines,
        total,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    /// 兴隆台区's sample rates (deploy/foster_rates.toml).
    const XLT: Amounts = Amounts {
        basic_living: 115_000,
        care_full: 23_000,
        care_partial: 69_000,
        care_none: 138_000,
        special_bed: 80_000,
        special_rehabilitation: 60_000,
    };

    fn from(effective_on: &str, amounts: Amounts) -> Version {
        Version {
            effective_on: day(effective_on),
            amounts,
        }
    }

    fn amounts_of(assessment: &Assessment) -> Vec<(FeeComponent, i64)> {
        assessment
            .lines
            .iter()
            .map(|line| (line.component, line.amount))
            .collect()
    }

    #[test]
    fn a_whole_month_is_charged_the_monthly_amounts_for_each_self_care_level() {
        let versions = [from("2026-01-01", XLT)];
        for (self_care, care) in [
            (SelfCare::Full, 23_000),
            (SelfCare::Partial, 69_000),
            (SelfCare::None, 138_000),
        ] {
            let fee = assess(
                month("2026-03"),
                (day("2026-03-01"), day("2026-03-31")),
                &versions,
                self_care,
                false,
                |_| 500,
            )
            .unwrap();
            let subtotal = 115_000 + care;
            assert_eq!(
                amounts_of(&fee),
                [
                    (FeeComponent::BasicLiving, 115_000),
                    (FeeComponent::Care, care),
                    (FeeComponent::Margin, subtotal * 5 / 100),
                ],
                "{self_care:?}"
            );
            assert_eq!(fee.total, subtotal + subtotal * 5 / 100);
            assert_eq!((fee.days_in_care, fee.days_in_month), (31, 31));
            let margin = fee.lines.last().unwrap();
            assert_eq!((margin.monthly, margin.margin_bps), (subtotal, 500));
            assert!(fee.lines.iter().all(|line| line.days == 31
                && line.from_on == day("2026-03-01")
                && line.to_on == day("2026-03-31")
                && line.rates_effective_on == day("2026-01-01")));
        }
        assert_eq!(
            assess(
                month("2026-03"),
                (day("2026-03-01"), day("2026-03-31")),
                &versions,
                SelfCare::Unspecified,
                false,
                |_| 0,
            ),
            Err(Unassessable::NoCareLevel)
        );
    }

    #[test]
    fn a_special_group_adds_bed_and_rehabilitation() {
        let fee = assess(
            month("2026-02"),
            (day("2026-02-01"), day("2026-02-28")),
            &[from("2026-01-01", XLT)],
            SelfCare::Partial,
            true,
            |_| 1_000,
        )
        .unwrap();
        let subtotal = 115_000 + 69_000 + 80_000 + 60_000;
        assert_eq!(
            amounts_of(&fee),
            [
                (FeeComponent::BasicLiving, 115_000),
                (FeeComponent::Care, 69_000),
                (FeeComponent::Bed, 80_000),
                (FeeComponent::Rehabilitation, 60_000),
                (FeeComponent::Margin, subtotal / 10),
            ]
        );
        assert_eq!(fee.total, subtotal + subtotal / 10);
        assert_eq!((fee.days_in_care, fee.days_in_month), (28, 28));
    }

    #[test]
    fn proration_and_margin_round_half_up_to_the_fen() {
        // 100 × 1 ÷ 8 = 12.5 → 13; 100 × 1 ÷ 3 = 33.3 → 33; 200 × 1 ÷ 3 = 66.7 → 67.
        assert_eq!(prorate(100, 1, 8).unwrap(), 13);
        assert_eq!(prorate(100, 1, 3).unwrap(), 33);
        assert_eq!(prorate(200, 1, 3).unwrap(), 67);
        assert_eq!(prorate(0, 10, 31).unwrap(), 0);
        // 1 fen × 5000 bps = 0.5 → 1; 1 × 4999 bps → 0; 12345 × 250 bps = 308.625 → 309.
        assert_eq!(margin(1, 5_000).unwrap(), 1);
        assert_eq!(margin(1, 4_999).unwrap(), 0);
        assert_eq!(margin(12_345, 250).unwrap(), 309);
        assert_eq!(prorate(i64::MAX, 31, 1), Err(Unassessable::Overflow));
    }

    #[test]
    fn a_31_day_and_a_28_day_month_prorate_by_their_own_length() {
        let versions = [from("2026-01-01", XLT)];
        // Ten days of March (31 days): 115000 × 10 ÷ 31 = 37096.77 → 37097; 23000 × 10 ÷ 31 =
        // 7419.35 → 7419; margin 3 % of 44516 = 1335.48 → 1335.
        let march = assess(
            month("2026-03"),
            (day("2026-03-22"), day("2026-03-31")),
            &versions,
            SelfCare::Full,
            false,
            |_| 300,
        )
        .unwrap();
        assert_eq!(
            amounts_of(&march),
            [
                (FeeComponent::BasicLiving, 37_097),
                (FeeComponent::Care, 7_419),
                (FeeComponent::Margin, 1_335),
            ]
        );
        assert_eq!(march.total, 37_097 + 7_419 + 1_335);
        assert_eq!((march.days_in_care, march.days_in_month), (10, 31));
        // Ten days of February 2026 (28 days): 115000 × 10 ÷ 28 = 41071.43 → 41071; 23000 × 10
        // ÷ 28 = 8214.29 → 8214; 3 % of 49285 = 1478.55 → 1479.
        let february = assess(
            month("2026-02"),
            (day("2026-02-19"), day("2026-02-28")),
            &versions,
            SelfCare::Full,
            false,
            |_| 300,
        )
        .unwrap();
        assert_eq!(
            amounts_of(&february),
            [
                (FeeComponent::BasicLiving, 41_071),
                (FeeComponent::Care, 8_214),
                (FeeComponent::Margin, 1_479),
            ]
        );
        assert_eq!((february.days_in_care, february.days_in_month), (10, 28));
        assert_eq!(month("2028-02").days(), 29);
    }

    #[test]
    fn a_mid_month_rate_change_splits_the_month_into_two_runs() {
        let raised = Amounts {
            basic_living: 124_000,
            care_full: 24_800,
            ..XLT
        };
        // Listed in any order: each day takes the latest version not after it.
        let versions = [from("2026-04-16", raised), from("2026-01-01", XLT)];
        let fee = assess(
            month("2026-04"),
            (day("2026-04-01"), day("2026-04-30")),
            &versions,
            SelfCare::Full,
            false,
            |_| 200,
        )
        .unwrap();
        // 1–15 April at the January rates, 16–30 at the new ones, each 15 of 30 days.
        let runs: Vec<_> = fee
            .lines
            .iter()
            .map(|line| {
                (
                    line.component,
                    line.from_on,
                    line.to_on,
                    line.days,
                    line.rates_effective_on,
                    line.amount,
                )
            })
            .collect();
        let (early, late) = (day("2026-01-01"), day("2026-04-16"));
        let (a, b, c, d) = (
            day("2026-04-01"),
            day("2026-04-15"),
            day("2026-04-16"),
            day("2026-04-30"),
        );
        assert_eq!(
            runs,
            [
                (FeeComponent::BasicLiving, a, b, 15, early, 57_500),
                (FeeComponent::Care, a, b, 15, early, 11_500),
                (FeeComponent::Margin, a, b, 15, early, 1_380),
                (FeeComponent::BasicLiving, c, d, 15, late, 62_000),
                (FeeComponent::Care, c, d, 15, late, 12_400),
                (FeeComponent::Margin, c, d, 15, late, 1_488),
            ]
        );
        assert_eq!(fee.total, 57_500 + 11_500 + 1_380 + 62_000 + 12_400 + 1_488);
        assert_eq!(fee.days_in_care, 30);

        // A change of margin (a new agreement version) splits a run too.
        let fee = assess(
            month("2026-04"),
            (day("2026-04-01"), day("2026-04-10")),
            &[from("2026-01-01", XLT)],
            SelfCare::Full,
            false,
            |on| if on < day("2026-04-06") { 0 } else { 500 },
        )
        .unwrap();
        let margins: Vec<_> = fee
            .lines
            .iter()
            .filter(|line| line.component == FeeComponent::Margin)
            .map(|line| (line.from_on, line.days, line.margin_bps))
            .collect();
        assert_eq!(
            margins,
            [(day("2026-04-01"), 5, 0), (day("2026-04-06"), 5, 500)]
        );
    }

    #[test]
    fn a_day_without_rates_makes_the_month_unassessable() {
        assert_eq!(
            assess(
                month("2026-01"),
                (day("2026-01-01"), day("2026-01-31")),
                &[from("2026-01-10", XLT)],
                SelfCare::Full,
                false,
                |_| 0,
            ),
            Err(Unassessable::NoRates {
                day: day("2026-01-01")
            })
        );
        assert_eq!(
            assess(
                month("2026-01"),
                (day("2026-01-01"), day("2026-01-31")),
                &[],
                SelfCare::Full,
                false,
                |_| 0,
            ),
            Err(Unassessable::NoRates {
                day: day("2026-01-01")
            })
        );
    }

    #[test]
    fn days_in_care_run_from_the_placement_day_to_the_day_before_the_end() {
        let march = month("2026-03");
        // Placed before March, still in care: the whole month.
        assert_eq!(
            days_in_care(march, day("2026-02-10"), None),
            Some((day("2026-03-01"), day("2026-03-31")))
        );
        // Placed on the 10th, ended on the 20th: the 10th to the 19th.
        assert_eq!(
            days_in_care(march, day("2026-03-10"), Some(day("2026-03-20"))),
            Some((day("2026-03-10"), day("2026-03-19")))
        );
        // Ended on the placement day: no day at all.
        assert_eq!(
            days_in_care(march, day("2026-03-10"), Some(day("2026-03-10"))),
            None
        );
        // Ended on the 1st of April: March in full, nothing in April.
        assert_eq!(
            days_in_care(march, day("2026-03-10"), Some(day("2026-04-01"))),
            Some((day("2026-03-10"), day("2026-03-31")))
        );
        assert_eq!(
            days_in_care(month("2026-04"), day("2026-03-10"), Some(day("2026-04-01"))),
            None
        );
        // Placed after the month, or ended before it: nothing.
        assert_eq!(days_in_care(march, day("2026-04-02"), None), None);
        assert_eq!(
            days_in_care(march, day("2026-01-02"), Some(day("2026-02-15"))),
            None
        );
    }

    #[test]
    fn months_parse_print_and_step() {
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2026-12").to_string(), "2026-12");
        assert_eq!(month("2026-02").last_day(), day("2026-02-28"));
        assert_eq!(month("2026-04").days(), 30);
        assert_eq!(month("2026-01").days(), 31);
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "", "2026-00", "2026-+1", "+026-01",
            "2026-01-", "2026--1", " 2026-01", "2026-0١",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn runs_of_one_monthly_amount_round_cumulatively() {
        // 115001 fen over 15 + 15 days of April (a margin change splits the month): rounded per
        // run that would be 57500.5 → 57501 twice, 115002; cumulatively the second run is
        // round(115001 × 30 ÷ 30) − round(115001 × 15 ÷ 30) = 115001 − 57501 = 57500.
        let amounts = Amounts {
            basic_living: 115_001,
            ..XLT
        };
        let fee = assess(
            month("2026-04"),
            (day("2026-04-01"), day("2026-04-30")),
            &[from("2026-01-01", amounts)],
            SelfCare::Full,
            false,
            |on| if on < day("2026-04-16") { 0 } else { 100 },
        )
        .unwrap();
        let basic: Vec<_> = fee
            .lines
            .iter()
            .filter(|line| line.component == FeeComponent::BasicLiving)
            .map(|line| (line.from_on, line.days, line.amount))
            .collect();
        assert_eq!(
            basic,
            [
                (day("2026-04-01"), 15, 57_501),
                (day("2026-04-16"), 15, 57_500)
            ]
        );
        assert_eq!(basic.iter().map(|run| run.2).sum::<i64>(), 115_001);

        // A chain starting mid-month is rounded from its own start: days 11–20 and 21–30 of a
        // 30-day month at 100 fen: round(100 × 10 ÷ 30) = 33, then round(100 × 20 ÷ 30) − 33 =
        // 67 − 33 = 34 (per run, 33 + 33).
        let small = Amounts {
            basic_living: 100,
            care_full: 0,
            ..XLT
        };
        let fee = assess(
            month("2026-04"),
            (day("2026-04-11"), day("2026-04-30")),
            &[from("2026-01-01", small)],
            SelfCare::Full,
            false,
            |on| if on < day("2026-04-21") { 0 } else { 100 },
        )
        .unwrap();
        let basic: Vec<_> = fee
            .lines
            .iter()
            .filter(|line| line.component == FeeComponent::BasicLiving)
            .map(|line| line.amount)
            .collect();
        assert_eq!(basic, [33, 34]);

        // Where the monthly amount changes, each run is rounded on its own: 100 fen for 15 days
        // then 200 for 15 of 30: 50 and 100.
        let two = [
            from("2026-01-01", small),
            from(
                "2026-04-16",
                Amounts {
                    basic_living: 200,
                    ..small
                },
            ),
        ];
        let fee = assess(
            month("2026-04"),
            (day("2026-04-01"), day("2026-04-30")),
            &two,
            SelfCare::Full,
            false,
            |_| 0,
        )
        .unwrap();
        let basic: Vec<_> = fee
            .lines
            .iter()
            .filter(|line| line.component == FeeComponent::BasicLiving)
            .map(|line| line.amount)
            .collect();
        assert_eq!(basic, [50, 100]);
        // The care component (0 fen in both versions) stays one chain across the change.
        assert!(
            fee.lines
                .iter()
                .filter(|line| line.component == FeeComponent::Care)
                .all(|line| line.amount == 0)
        );
    }

    #[test]
    fn a_day_without_a_timely_version_takes_a_later_one() {
        let late = Amounts {
            basic_living: 93_000,
            care_full: 18_600,
            ..XLT
        };
        // Timely: the January version; stored later: one from March 16. March's days before
        // the 16th take January's; from the 16th on, no timely version is newer than January's,
        // so the later one is ignored.
        let fee = assess_with_fallback(
            month("2026-03"),
            (day("2026-03-01"), day("2026-03-31")),
            &[from("2026-01-01", XLT)],
            &[from("2026-01-01", XLT), from("2026-03-16", late)],
            SelfCare::Full,
            false,
            |_| 0,
        )
        .unwrap();
        assert_eq!(fee.total, 115_000 + 23_000);
        // No timely version at all (December 2025): the later one from December 1 applies.
        let fee = assess_with_fallback(
            month("2025-12"),
            (day("2025-12-20"), day("2025-12-31")),
            &[],
            &[from("2025-12-01", late), from("2026-01-01", XLT)],
            SelfCare::Full,
            false,
            |_| 0,
        )
        .unwrap();
        assert_eq!(fee.total, 36_000 + 7_200);
        assert!(
            fee.lines
                .iter()
                .all(|line| line.rates_effective_on == day("2025-12-01"))
        );
    }
}
