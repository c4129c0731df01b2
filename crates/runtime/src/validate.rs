//! Request validation shared by the services' handlers: every failure names its field, and all of
//! a request's bad fields are reported together.

use crate::{ApiError, FieldViolation};
use chrono::{DateTime, Utc};

/// The warning attached to an object whose division code is well formed but not in the national
/// table (historical codes are many, so it is accepted).
pub const UNKNOWN_DIVISION_CODE: &str = "UNKNOWN_DIVISION_CODE";

/// Collects field violations, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Violations::default()
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: &str, description: &str) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Text that must be present and at most `max` characters; returns it trimmed.
    pub fn required_text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "is required");
        } else if trimmed.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    /// Text that may be empty, at most `max` characters; returns it trimmed.
    pub fn optional_text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    /// A required GB/T 2260 code: six digits (INVALID_ARGUMENT otherwise); an unknown code adds
    /// [`UNKNOWN_DIVISION_CODE`] to `warnings`.
    pub fn division(&mut self, field: &str, value: &str, warnings: &mut Vec<String>) -> String {
        let value = value.trim();
        match relief_legal::DivisionCode::parse(value) {
            Err(_) => self.add(field, "must be a six-digit GB/T 2260 division code"),
            Ok(code) => {
                if code.division().is_none() {
                    warnings.push(format!("{UNKNOWN_DIVISION_CODE}: {field}"));
                }
            }
        }
        value.to_owned()
    }

    /// A required instant, not after `now`.
    pub fn past_instant(
        &mut self,
        field: &str,
        value: Option<&prost_types::Timestamp>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match crate::time::instant(field, value) {
            Ok(instant) if instant > now + chrono::Duration::minutes(5) => {
                // Five minutes of grace for clocks that run a little ahead of ours.
                self.add(field, "must not be in the future");
                instant
            }
            Ok(instant) => instant,
            Err(ApiError::InvalidArgument { violations, .. }) => {
                self.0.extend(violations);
                now
            }
            Err(_) => {
                self.add(field, "is not a valid timestamp");
                now
            }
        }
    }

    /// An optional GB 11643 ID number: a violation of `field` for a bad format, check character
    /// or birth date (the description never repeats the number); an unknown division code adds
    /// [`UNKNOWN_DIVISION_CODE`] to `warnings`. `None` when empty or invalid.
    pub fn id_number(
        &mut self,
        field: &str,
        value: &str,
        today: chrono::NaiveDate,
        warnings: &mut Vec<String>,
    ) -> Option<relief_legal::IdNumber> {
        if value.trim().is_empty() {
            return None;
        }
        match relief_legal::IdNumber::parse(value, today) {
            Ok(id) => {
                if id.division().is_none() {
                    warnings.push(format!("{UNKNOWN_DIVISION_CODE}: {field}"));
                }
                Some(id)
            }
            Err(error) => {
                self.add(field, &error.to_string());
                None
            }
        }
    }

    /// A required enum field: unset or unknown is a violation (the returned default is then
    /// unused).
    pub fn required_enum<E: Default + PartialEq>(
        &mut self,
        field: &str,
        value: Result<E, prost::UnknownEnumValue>,
    ) -> E {
        match value {
            Ok(value) if value != E::default() => value,
            Ok(_) => {
                self.add(field, "is required");
                E::default()
            }
            Err(_) => {
                self.add(field, "is not a known value");
                E::default()
            }
        }
    }

    /// A required id field.
    pub fn required_id(&mut self, field: &str, value: &str) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, "is required");
        } else if value.len() > 64 {
            self.add(field, "is not an id this service issued");
        }
        value.to_owned()
    }

    /// Ok if nothing was recorded, else INVALID_ARGUMENT with every violation.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_fields(self.0))
        }
    }
}
