//! The person of a case as stored: one JSON value, encrypted with the case id as row id, and the
//! list of fields a read returns (each one an audit row).

use std::fmt;

use relief_proto::intake::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::personal_data::{PersonalData, SensitiveColumn};
use serde::{Deserialize, Serialize};

/// Where the encrypted person lives.
pub const PERSON_COLUMN: SensitiveColumn = SensitiveColumn {
    table: "cases",
    id_column: "id",
    column: "person",
};

/// The person as stated at admission, normalised (trimmed, ID number upper-cased). Personal
/// data: `Debug` prints nothing of it, and it is never logged or put in an event.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonRecord {
    pub name: String,
    pub sex: i32,
    pub birth_date: String,
    pub estimated_age: i32,
    pub id_number: String,
    pub household_division: String,
    pub household_address: String,
    pub cause: String,
    pub relatives: String,
}

impl fmt::Debug for PersonRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonRecord(**redacted**)")
    }
}

impl PersonRecord {
    /// The protobuf person.
    pub fn to_proto(&self) -> pb::Person {
        pb::Person {
            name: self.name.clone(),
            sex: self.sex,
            birth_date: self.birth_date.clone(),
            estimated_age: self.estimated_age,
            id_number: self.id_number.clone(),
            household_division: self.household_division.clone(),
            household_address: self.household_address.clone(),
            cause: self.cause.clone(),
            relatives: self.relatives.clone(),
        }
    }

    /// The audit names of the fields that hold a value, i.e. the fields a read returns.
    pub fn returned_fields(&self) -> Vec<&'static str> {
        [
            (!self.name.is_empty(), "person.name"),
            (self.sex != 0, "person.sex"),
            (!self.birth_date.is_empty(), "person.birth_date"),
            (self.estimated_age != 0, "person.estimated_age"),
            (!self.id_number.is_empty(), "person.id_number"),
            (
                !self.household_division.is_empty(),
                "person.household_division",
            ),
            (
                !self.household_address.is_empty(),
                "person.household_address",
            ),
            (!self.cause.is_empty(), "person.cause"),
            (!self.relatives.is_empty(), "person.relatives"),
        ]
        .into_iter()
        .filter_map(|(present, field)| present.then_some(field))
        .collect()
    }

    /// The ciphertext of this person for the case `case_id`.
    pub fn encrypt(&self, keys: &PersonalData, case_id: &str) -> Result<String, ApiError> {
        let json = serde_json::to_string(self)
            .map_err(|_| ApiError::internal("cannot serialise a person record"))?;
        Ok(keys.encrypt(&PERSON_COLUMN, case_id, &json)?)
    }

    /// The person stored for the case `case_id`.
    pub fn decrypt(
        keys: &PersonalData,
        case_id: &str,
        ciphertext: &str,
    ) -> Result<PersonRecord, ApiError> {
        let json = keys.decrypt(&PERSON_COLUMN, case_id, ciphertext)?;
        // serde_json's errors may quote the offending value: never pass one on (it is logged).
        serde_json::from_str(json.expose())
            .map_err(|_| ApiError::internal("stored person record is not valid json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_with_a_value_are_returned_and_debug_hides_them() {
        let person = PersonRecord {
            name: "张三".to_owned(),
            id_number: "21110319800101001X".to_owned(),
            ..PersonRecord::default()
        };
        assert_eq!(
            person.returned_fields(),
            ["person.name", "person.id_number"]
        );
        assert!(PersonRecord::default().returned_fields().is_empty());
        let printed = format!("{person:?}");
        assert!(
            !printed.contains("张三") && !printed.contains("2111"),
            "{printed}"
        );
    }
}
