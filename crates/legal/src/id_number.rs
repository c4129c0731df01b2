//! Resident identity card numbers (公民身份号码), GB 11643-1999.
//!
//! Eighteen characters: a six-digit division code (where the number was first issued, GB/T
//! 2260), the birth date as `yyyymmdd`, a three-digit sequence number (odd for men, even for
//! women) and a check character computed by ISO 7064 MOD 11-2 (`0`-`9`, or `X` for 10).
//!
//! An ID number is sensitive personal information: [`IdNumber`] does not print itself in
//! `Debug`, has no `Display` and no serde support, and errors never repeat the number.
//! Callers that must show or store it ask for [`IdNumber::as_str`] on purpose.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::division::{Division, division};

/// Why an ID number was rejected. Messages never contain the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters (after trimming surrounding whitespace).
    #[error("id number must have 18 characters (got {found})")]
    Length {
        /// Number of characters found.
        found: usize,
    },
    /// A character that is not allowed where it stands: the first 17 must be digits, the last
    /// a digit or `X`.
    #[error("id number has a character that is not allowed at position {position}")]
    Character {
        /// 1-based position of the first bad character.
        position: usize,
    },
    /// The check character does not match the first 17 digits (a typing error).
    #[error("id number check character does not match (iso 7064 mod 11-2)")]
    Checksum,
    /// Digits 7-14 are not a real date (e.g. February 30).
    #[error("id number birth date is not a real date")]
    BirthDateInvalid,
    /// The birth date is after the reference day.
    #[error("id number birth date is in the future")]
    BirthDateInFuture,
    /// The birth date is before 1900-01-01.
    #[error("id number birth date is before 1900")]
    BirthDateTooEarly,
}

/// Sex as encoded in the sequence number (digit 17: odd male, even female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd sequence number.
    Male,
    /// Even sequence number.
    Female,
}

/// A valid 18-character ID number: right format, matching check character, real birth date
/// between 1900-01-01 and the day it was checked against.
///
/// A lowercase `x` check character is accepted and stored as `X`. The division code is not
/// required to be known ([`IdNumber::division`] is then `None`): callers accept such a
/// number with a warning, since historical codes are many.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    text: String,
    birth_date: NaiveDate,
}

/// ISO 7064 MOD 11-2 weights for the first 17 digits: 2^(17 - i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";

/// The check character (`0`-`9` or `X`) for the first 17 digits of an ID number, or `None`
/// when `first_17` is not exactly 17 ASCII digits. For tests and fixtures that build numbers.
pub fn check_character(first_17: &str) -> Option<char> {
    let digits: &[u8; 17] = first_17.as_bytes().try_into().ok()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(char::from(check_byte(digits)))
}

fn check_byte(digits: &[u8; 17]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS[(sum % 11) as usize]
}

impl IdNumber {
    /// Checks `text` as an 18-character ID number, with `today` as the latest possible birth
    /// date. Surrounding whitespace is ignored; a lowercase `x` is accepted.
    ///
    /// Checked in this order: length, characters, check character, birth date (a real date,
    /// not after `today`, not before 1900).
    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, IdNumberError> {
        let text = text.trim();
        let found = text.chars().count();
        let bytes: &[u8; 18] = text
            .as_bytes()
            .try_into()
            .map_err(|_| IdNumberError::Length { found })?;
        if found != 18 {
            return Err(IdNumberError::Length { found });
        }
        let mut normalised = *bytes;
        normalised[17] = normalised[17].to_ascii_uppercase();
        if let Some(index) = normalised[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(IdNumberError::Character {
                position: index + 1,
            });
        }
        if !(normalised[17].is_ascii_digit() || normalised[17] == b'X') {
            return Err(IdNumberError::Character { position: 18 });
        }
        let mut body = [0; 17];
        body.copy_from_slice(&normalised[..17]);
        if normalised[17] != check_byte(&body) {
            return Err(IdNumberError::Checksum);
        }
        let birth_date = birth_date(&normalised[6..14]).ok_or(IdNumberError::BirthDateInvalid)?;
        if birth_date > today {
            return Err(IdNumberError::BirthDateInFuture);
        }
        if birth_date.year() < 1900 {
            return Err(IdNumberError::BirthDateTooEarly);
        }
        // All ASCII: upper-casing only changes a final `x`.
        let text = text.to_ascii_uppercase();
        Ok(Self { text, birth_date })
    }

    /// The number itself (18 characters, check character `X` in upper case). Personal data:
    /// never log it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The six-digit division code where the number was first issued (may be historical).
    pub fn division_code(&self) -> &str {
        self.text.get(..6).unwrap_or_default()
    }

    /// The division of [`IdNumber::division_code`], or `None` when the table does not know
    /// the code (accept with a warning).
    pub fn division(&self) -> Option<&'static Division> {
        division(self.division_code())
    }

    /// The birth date encoded in the number.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Sex from the sequence number: odd male, even female.
    pub fn sex(&self) -> Sex {
        let digit = self.text.as_bytes().get(16).copied().unwrap_or(b'0');
        if (digit - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in completed years (周岁) on `date`: a year is completed on the birthday; someone
    /// born on February 29 completes it on March 1 in common years. `0` before the birth date.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date;
        let mut years = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdNumber(**redacted**)")
    }
}

/// `yyyymmdd` (ASCII digits, already checked) as a date, if it is a real one.
fn birth_date(digits: &[u8]) -> Option<NaiveDate> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        std::str::from_utf8(digits.get(range)?).ok()?.parse().ok()
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)
}

#[cfg(test)]
mod tests;
