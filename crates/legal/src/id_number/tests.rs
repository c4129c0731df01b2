use chrono::NaiveDate;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    date(2026, 3, 1)
}

#[test]
fn old_dawa_county_number_is_valid_and_historical() {
    let id = IdNumber::parse("211121196503151236", today()).unwrap();
    assert_eq!(id.as_str(), "211121196503151236");
    assert_eq!(id.division_code(), "211121");
    assert_eq!(id.birth_date(), date(1965, 3, 15));
    assert_eq!(id.sex(), Sex::Male); // sequence 123 is odd
    let division = id.division().unwrap();
    assert_eq!(division.name, "大洼县");
    assert!(!division.current);
    assert_eq!(id.age_on(today()), 60);
}

#[test]
fn the_standards_example_with_x_is_valid() {
    // GB 11643-1999's own example number.
    let id = IdNumber::parse("11010519491231002X", today()).unwrap();
    assert_eq!(id.sex(), Sex::Female); // sequence 002 is even
    assert_eq!(id.division().unwrap().name, "朝阳区");
    // Lowercase x is accepted and normalised; surrounding whitespace is ignored.
    let lower = IdNumber::parse(" 11010519491231002x\n", today()).unwrap();
    assert_eq!(lower.as_str(), "11010519491231002X");
    assert_eq!(lower, id);
    assert_eq!(check_character("11010519491231002"), Some('X'));
    assert_eq!(check_character("1101051949123100"), None);
    assert_eq!(check_character("1101051949123100a"), None);
}

#[test]
fn a_bad_check_character_is_a_checksum_error() {
    assert_eq!(
        IdNumber::parse("211121196503151237", today()),
        Err(IdNumberError::Checksum)
    );
    assert_eq!(
        IdNumber::parse("110105194912310021", today()),
        Err(IdNumberError::Checksum)
    );
}

#[test]
fn birth_date_problems() {
    // February 30 with a correct check character.
    assert_eq!(
        IdNumber::parse("211104202602300016", today()),
        Err(IdNumberError::BirthDateInvalid)
    );
    // After the reference day.
    assert_eq!(
        IdNumber::parse("211104203001010018", today()),
        Err(IdNumberError::BirthDateInFuture)
    );
    // Before 1900.
    assert_eq!(
        IdNumber::parse("211104189912310013", today()),
        Err(IdNumberError::BirthDateTooEarly)
    );
    // 1900-01-01 and a birth today are fine; a leap day in a leap year is real.
    assert!(IdNumber::parse("211104190001010018", today()).is_ok());
    assert!(IdNumber::parse("211104201602290044", today()).is_ok());
}

#[test]
fn length_and_character_problems() {
    assert_eq!(
        IdNumber::parse("", today()),
        Err(IdNumberError::Length { found: 0 })
    );
    assert_eq!(
        IdNumber::parse("21112119650315123", today()),
        Err(IdNumberError::Length { found: 17 })
    );
    assert_eq!(
        IdNumber::parse("2111211965031512366", today()),
        Err(IdNumberError::Length { found: 19 })
    );
    // Six full-width digits are 18 bytes but 6 characters.
    assert_eq!(
        IdNumber::parse("２１１１２１", today()),
        Err(IdNumberError::Length { found: 6 })
    );
    assert_eq!(
        IdNumber::parse("21112119650315X236", today()),
        Err(IdNumberError::Character { position: 15 })
    );
    assert_eq!(
        IdNumber::parse("21112119650315123Y", today()),
        Err(IdNumberError::Character { position: 18 })
    );
}

#[test]
fn an_unknown_division_is_valid_without_a_division() {
    let id = IdNumber::parse("999999198001010011", today()).unwrap();
    assert_eq!(id.division_code(), "999999");
    assert_eq!(id.division(), None);
}

#[test]
fn debug_and_errors_never_show_the_number() {
    let id = IdNumber::parse("211121196503151236", today()).unwrap();
    assert_eq!(format!("{id:?}"), "IdNumber(**redacted**)");
    assert_eq!(format!("{:?}", Some(&id)), "Some(IdNumber(**redacted**))");
    for text in [
        "211121196503151237",
        "211104202602300016",
        "21112119650315X236",
    ] {
        let error = IdNumber::parse(text, today()).unwrap_err();
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains("211"), "{shown}");
        }
    }
}

#[test]
fn age_in_completed_years() {
    let id = IdNumber::parse("211104201602290044", today()).unwrap(); // born 2016-02-29
    assert_eq!(id.age_on(date(2016, 2, 28)), 0);
    assert_eq!(id.age_on(date(2017, 2, 28)), 0);
    assert_eq!(id.age_on(date(2017, 3, 1)), 1);
    assert_eq!(id.age_on(date(2020, 2, 29)), 4);
    assert_eq!(id.age_on(date(2026, 3, 1)), 10);
    assert_eq!(id.sex(), Sex::Female);
}
