//! Who a person turned out to be (`IdentityDetails`), as stored: one JSON value, encrypted per
//! row, validated on the way in, returned only with a purpose. Used by the file (a station's
//! confirmation, or the identifying police result copied onto it) and by verification results.

use std::fmt;

use chrono::NaiveDate;
use relief_proto::identity::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::personal_data::{BlindIndexKind, PersonalData, SensitiveColumn};
use relief_runtime::validate::Violations;
use serde::{Deserialize, Serialize};

/// The confirmed identity of a file (row id: the file id).
pub const FILE_IDENTITY_COLUMN: SensitiveColumn = SensitiveColumn {
    table: "identity_files",
    id_column: "id",
    column: "identity",
};

/// The identity in an IDENTIFIED result (row id: `<verification id>/<method>`).
pub const RESULT_IDENTITY_COLUMN: SensitiveColumn = SensitiveColumn {
    table: "verification_results",
    id_column: "id",
    column: "identity",
};

/// The sample reference of a NO_MATCH result (row id: `<verification id>/<method>`).
pub const RESULT_SAMPLE_COLUMN: SensitiveColumn = SensitiveColumn {
    table: "verification_results",
    id_column: "id",
    column: "sample_reference",
};

/// Longest name accepted, in characters.
const MAX_NAME: usize = 100;
/// Longest address accepted, in characters.
const MAX_ADDRESS: usize = 500;

/// An identity, normalised (trimmed, ID number upper-cased). Personal data: `Debug` prints
/// nothing of it, and it is never logged or put in an event.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityRecord {
    pub name: String,
    pub id_number: String,
    pub household_address: String,
    pub household_division: String,
}

impl fmt::Debug for IdentityRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityRecord(**redacted**)")
    }
}

impl IdentityRecord {
    /// Validates `given` as the field `field` (e.g. `identity` or `identified.identity`): at
    /// least a name or an ID number; a valid ID number (check digit, birth date not after
    /// `today`); a well-formed household division when given (an unknown code is a warning).
    /// Without a household division, the ID number's division is taken as the origin.
    pub fn from_proto(
        check: &mut Violations,
        field: &str,
        given: Option<&pb::IdentityDetails>,
        today: NaiveDate,
        warnings: &mut Vec<String>,
    ) -> IdentityRecord {
        let Some(given) = given else {
            check.add(field, "is required");
            return IdentityRecord::default();
        };
        let name = check.optional_text(&format!("{field}.name"), &given.name, MAX_NAME);
        let id_number = check.id_number(
            &format!("{field}.id_number"),
            &given.id_number,
            today,
            warnings,
        );
        if name.is_empty() && given.id_number.trim().is_empty() {
            check.add(field, "needs at least a name or an ID number");
        }
        let household_address = check.optional_text(
            &format!("{field}.household_address"),
            &given.household_address,
            MAX_ADDRESS,
        );
        let mut household_division = given.household_division.trim().to_owned();
        if household_division.is_empty() {
            if let Some(id) = &id_number {
                household_division = id.division_code().to_owned();
            }
        } else {
            household_division = check.division(
                &format!("{field}.household_division"),
                &household_division,
                warnings,
            );
        }
        IdentityRecord {
            name,
            id_number: id_number
                .map(|id| id.as_str().to_owned())
                .unwrap_or_default(),
            household_address,
            household_division,
        }
    }

    /// The protobuf details.
    pub fn to_proto(&self) -> pb::IdentityDetails {
        pb::IdentityDetails {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            household_address: self.household_address.clone(),
            household_division: self.household_division.clone(),
        }
    }

    /// The audit names of the fields that hold a value (a read returns exactly these), prefixed
    /// with `prefix` (e.g. `identity`).
    pub fn returned_fields(&self, prefix: &str) -> Vec<String> {
        [
            (!self.name.is_empty(), "name"),
            (!self.id_number.is_empty(), "id_number"),
            (!self.household_address.is_empty(), "household_address"),
            (!self.household_division.is_empty(), "household_division"),
        ]
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, field)| format!("{prefix}.{field}"))
        .collect()
    }

    /// The opaque person key of IdentityConfirmed: the shared blind index of the ID number
    /// (equal for equal numbers, in every service that matches); `None` without an ID number.
    pub fn person_key(&self, keys: &PersonalData) -> Result<Option<String>, ApiError> {
        if self.id_number.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            keys.blind_index(BlindIndexKind::IdNumber, &self.id_number)?,
        ))
    }

    /// The ciphertext of this identity for `column` of the row `row_id`.
    pub fn encrypt(
        &self,
        keys: &PersonalData,
        column: &SensitiveColumn,
        row_id: &str,
    ) -> Result<String, ApiError> {
        let json = serde_json::to_string(self)
            .map_err(|_| ApiError::internal("cannot serialise an identity record"))?;
        Ok(keys.encrypt(column, row_id, &json)?)
    }

    /// The identity stored in `column` of the row `row_id`.
    pub fn decrypt(
        keys: &PersonalData,
        column: &SensitiveColumn,
        row_id: &str,
        ciphertext: &str,
    ) -> Result<IdentityRecord, ApiError> {
        let json = keys.decrypt(column, row_id, ciphertext)?;
        // serde_json's errors may quote the offending value: never pass one on (it is logged).
        serde_json::from_str(json.expose())
            .map_err(|_| ApiError::internal("stored identity record is not valid json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn a_valid_identity_takes_its_origin_from_the_id_number() {
        let mut check = Violations::new();
        let mut warnings = Vec::new();
        let record = IdentityRecord::from_proto(
            &mut check,
            "identity",
            Some(&pb::IdentityDetails {
                name: " 张三 ".to_owned(),
                id_number: "21110319800101107x".to_owned(),
                ..Default::default()
            }),
            today(),
            &mut warnings,
        );
        check.finish().unwrap();
        assert_eq!(record.name, "张三");
        assert_eq!(record.id_number, "21110319800101107X");
        assert_eq!(record.household_division, "211103");
        assert_eq!(
            record.returned_fields("identity"),
            [
                "identity.name",
                "identity.id_number",
                "identity.household_division"
            ]
        );
    }

    #[test]
    fn a_bad_check_digit_or_an_empty_identity_is_refused_by_field() {
        let mut check = Violations::new();
        IdentityRecord::from_proto(
            &mut check,
            "identified.identity",
            Some(&pb::IdentityDetails {
                id_number: "211103198001010010".to_owned(),
                ..Default::default()
            }),
            today(),
            &mut Vec::new(),
        );
        let error = check.finish().unwrap_err();
        assert!(
            format!("{error:?}").contains("identified.identity.id_number"),
            "{error:?}"
        );
        let mut check = Violations::new();
        IdentityRecord::from_proto(
            &mut check,
            "identity",
            Some(&pb::IdentityDetails::default()),
            today(),
            &mut Vec::new(),
        );
        assert!(check.finish().is_err());
    }

    #[test]
    fn debug_prints_nothing_personal() {
        let record = IdentityRecord {
            name: "张三".to_owned(),
            id_number: "21110319800101001X".to_owned(),
            ..IdentityRecord::default()
        };
        let printed = format!("{record:?}");
        assert!(!printed.contains("张三") && !printed.contains("2111"));
    }
}
