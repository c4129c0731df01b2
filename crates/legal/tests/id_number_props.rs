//! Property tests of ID number checking.

// Test helpers outside #[test] functions may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use relief_legal::{IdNumber, IdNumberError, Sex, check_character};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

/// A valid number: any six-digit division, a birth date from 1900 to today, any sequence.
fn valid_number() -> impl Strategy<Value = (String, NaiveDate, u32)> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let span = (today() - first).num_days() as u64;
    (0u32..=999_999, 0..=span, 0u32..=999).prop_map(move |(division, offset, sequence)| {
        let birth = first + Days::new(offset);
        let body = format!("{division:06}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_character(&body).unwrap();
        (format!("{body}{check}"), birth, sequence)
    })
}

proptest! {
    #[test]
    fn generated_numbers_parse((text, birth, sequence) in valid_number()) {
        let id = IdNumber::parse(&text, today()).unwrap();
        prop_assert_eq!(id.as_str(), text.as_str());
        prop_assert_eq!(id.division_code(), &text[..6]);
        prop_assert_eq!(id.birth_date(), birth);
        let sex = if sequence % 2 == 1 { Sex::Male } else { Sex::Female };
        prop_assert_eq!(id.sex(), sex);
        prop_assert!(id.age_on(today()) <= u32::try_from(today().year() - 1900).unwrap());
        prop_assert_eq!(format!("{id:?}"), "IdNumber(**redacted**)");
        // Lowercase x is the same number.
        prop_assert_eq!(IdNumber::parse(&text.to_lowercase(), today()).unwrap(), id);
    }

    /// ISO 7064 MOD 11-2 catches every single substitution, whatever the position.
    #[test]
    fn any_single_substitution_breaks_the_checksum(
        (text, _, _) in valid_number(),
        position in 0usize..18,
        replacement in 0u32..11,
    ) {
        let mut bytes = text.clone().into_bytes();
        let new = if replacement == 10 { b'X' } else { b'0' + replacement as u8 };
        // Only digits may stand before the last position.
        prop_assume!(position == 17 || new != b'X');
        prop_assume!(bytes[position] != new);
        bytes[position] = new;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert_eq!(IdNumber::parse(&changed, today()), Err(IdNumberError::Checksum));
    }
}
