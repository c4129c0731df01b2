//! The rows of every report and who sees which: the four county-level divisions of Panjin, the city
//! station (市本级, 211100) and the city total. A county bureau, county government or station sees its
//! own division's row; the city and the province see every row and the city total. A division asked
//! for outside the caller's scope answers NOT_FOUND, as if it did not exist.

use relief_legal::division::{PANJIN_CITY, PANJIN_COUNTY_LEVEL};
use relief_proto::reporting::v1::{Area, AreaKind};
use relief_runtime::{ApiError, Caller, CallerKind, scope};

/// The divisions a report covers for one caller and request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The divisions with a row of their own, in report order (counties, then the city station).
    pub divisions: Vec<&'static str>,
    /// Whether a city-total row follows (the whole city is in scope and no division was asked for).
    pub city_total: bool,
}

/// Every division with a row, in report order.
pub fn all_divisions() -> Vec<&'static str> {
    PANJIN_COUNTY_LEVEL
        .iter()
        .copied()
        .chain(std::iter::once(PANJIN_CITY))
        .collect()
}

impl Scope {
    /// The rows `caller` may see, narrowed to `requested` (empty: all in scope). A requested
    /// division that is not a row of the city, or outside the caller's scope, is NOT_FOUND.
    pub fn of(caller: &Caller, requested: &str) -> Result<Scope, ApiError> {
        let requested = requested.trim();
        let visible: Vec<&'static str> = all_divisions()
            .into_iter()
            .filter(|division| sees(caller, division))
            .collect();
        if !requested.is_empty() {
            return match visible.iter().find(|division| **division == requested) {
                Some(division) => Ok(Scope {
                    divisions: vec![*division],
                    city_total: false,
                }),
                None => Err(ApiError::NotFound { what: "division" }),
            };
        }
        let city_total = visible.len() == all_divisions().len();
        Ok(Scope {
            divisions: visible,
            city_total,
        })
    }

    /// Whether `division` has a row in this scope.
    pub fn contains(&self, division: &str) -> bool {
        self.divisions.contains(&division)
    }

    /// The areas of the rows, in order: each division, then the city total if in scope.
    pub fn areas(&self) -> Vec<Area> {
        let mut areas: Vec<Area> = self
            .divisions
            .iter()
            .map(|division| area(division))
            .collect();
        if self.city_total {
            areas.push(Area {
                kind: AreaKind::City as i32,
                division: PANJIN_CITY.to_owned(),
                name: name_of(PANJIN_CITY),
            });
        }
        areas
    }
}

/// Whether `caller` sees the row of `division`: civil affairs, governments and supervisors (funds)
/// whose division covers it, a station of that division, services.
fn sees(caller: &Caller, division: &str) -> bool {
    match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government | CallerKind::Supervisor => {
            scope::covers(&caller.division, division)
        }
        CallerKind::Station => caller.division == division,
        CallerKind::Service => true,
        _ => false,
    }
}

/// The area of one division's row.
pub fn area(division: &str) -> Area {
    let kind = if division == PANJIN_CITY {
        AreaKind::CityStation
    } else {
        AreaKind::County
    };
    Area {
        kind: kind as i32,
        division: division.to_owned(),
        name: if division == PANJIN_CITY {
            "市本级".to_owned()
        } else {
            name_of(division)
        },
    }
}

/// The division's name from the division table, or its code.
pub fn name_of(division: &str) -> String {
    relief_legal::division::division(division)
        .map(|found| found.name.to_owned())
        .unwrap_or_else(|| division.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(kind: CallerKind, division: &str) -> Caller {
        Caller::new(kind, division, "unit-under-test").expect("a caller")
    }

    #[test]
    fn the_city_sees_every_row_and_the_total() {
        let scope = Scope::of(&caller(CallerKind::CivilAffairs, "211100"), "").expect("scope");
        assert_eq!(scope.divisions.len(), 5);
        assert!(scope.city_total);
        let areas = scope.areas();
        assert_eq!(
            areas.last().map(|area| area.kind),
            Some(AreaKind::City as i32)
        );
        assert_eq!(areas[4].name, "市本级");
        assert_eq!(areas[1].name, "兴隆台区");
    }

    #[test]
    fn a_county_sees_its_own_row_only() {
        let county = caller(CallerKind::CivilAffairs, "211103");
        let scope = Scope::of(&county, "").expect("scope");
        assert_eq!(scope.divisions, vec!["211103"]);
        assert!(!scope.city_total);
        assert!(matches!(
            Scope::of(&county, "211102"),
            Err(ApiError::NotFound { .. })
        ));
        assert!(matches!(
            Scope::of(&county, "999999"),
            Err(ApiError::NotFound { .. })
        ));
    }
}
