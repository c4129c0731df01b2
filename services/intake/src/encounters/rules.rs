//! The escort and capacity rules of an encounter (DOMAIN.md section 1, plan §二(四)1-2, Civil
//! Code arts. 17-18): pure, so every case is a table test.

use relief_proto::intake::v1::{CivilCapacity, EncounterOutcome, VulnerableFlags};
use relief_runtime::ApiError;

use crate::flags::must_be_escorted;

/// What the rules need to know about the person.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// The flags (with `minor` already implied by an age under 18).
    pub flags: &'a VulnerableFlags,
    /// Estimated age, 0 = unknown.
    pub estimated_age: i32,
    /// Recorded capacity.
    pub capacity: CivilCapacity,
    /// Whether the person consented to an escort.
    pub consent_recorded: bool,
}

impl Person<'_> {
    /// Full civil capacity: an adult not recorded as lacking it, or a 16-17-year-old living on
    /// their own labour income (recorded as FULL).
    pub fn has_full_capacity(&self) -> bool {
        match self.capacity {
            CivilCapacity::Lacking => false,
            CivilCapacity::Full => true,
            CivilCapacity::Unspecified => !self.flags.minor,
        }
    }
}

/// Checks a recorded capacity against the age: only 16- and 17-year-olds among minors can have
/// full capacity (art. 18). INVALID_ARGUMENT on `capacity` otherwise.
pub fn check_capacity(person: &Person<'_>) -> Result<(), ApiError> {
    if person.capacity == CivilCapacity::Full
        && person.flags.minor
        && !(16..=17).contains(&person.estimated_age)
    {
        return Err(ApiError::invalid_field(
            "capacity",
            "a minor has full civil capacity only at 16 or 17 living on their own labour \
             income: give estimated_age 16 or 17",
        ));
    }
    Ok(())
}

/// Checks the outcome against the escort and capacity rules; FAILED_PRECONDITION naming the
/// broken rule.
pub fn check_outcome(outcome: EncounterOutcome, person: &Person<'_>) -> Result<(), ApiError> {
    let full = person.has_full_capacity();
    match outcome {
        EncounterOutcome::Informed if must_be_escorted(person.flags) || !full => {
            Err(ApiError::failed_precondition(
                "VULNERABLE_PERSON_MUST_BE_ESCORTED",
                "a disabled, minor, elderly or mobility-impaired person, or one without full civil \
                 capacity, must be escorted to a station (or taken to hospital), not merely \
                 informed",
            ))
        }
        EncounterOutcome::Refused if !full => Err(ApiError::failed_precondition(
            "PERSON_CANNOT_REFUSE",
            "a person without full civil capacity cannot refuse help: escort them or take them \
             to hospital",
        )),
        EncounterOutcome::Escorted if full && !person.consent_recorded => {
            Err(ApiError::failed_precondition(
                "ESCORT_NEEDS_CONSENT",
                "escorting a person with full civil capacity needs their recorded consent",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(
        flags: VulnerableFlags,
        age: i32,
        capacity: CivilCapacity,
        consent: bool,
    ) -> (VulnerableFlags, i32, CivilCapacity, bool) {
        (flags, age, capacity, consent)
    }

    fn reason(
        outcome: EncounterOutcome,
        case: &(VulnerableFlags, i32, CivilCapacity, bool),
    ) -> Option<&'static str> {
        let p = Person {
            flags: &case.0,
            estimated_age: case.1,
            capacity: case.2,
            consent_recorded: case.3,
        };
        match check_outcome(outcome, &p) {
            Ok(()) => None,
            Err(ApiError::FailedPrecondition { reason, .. }) => Some(reason),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_rules_hold_for_each_kind_of_person() {
        use CivilCapacity as C;
        use EncounterOutcome as O;
        let elderly = VulnerableFlags {
            elderly: true,
            ..Default::default()
        };
        let minor = VulnerableFlags {
            minor: true,
            ..Default::default()
        };
        let plain = VulnerableFlags::default();
        let table = [
            (
                O::Informed,
                person(elderly, 75, C::Unspecified, false),
                Some("VULNERABLE_PERSON_MUST_BE_ESCORTED"),
            ),
            (O::Informed, person(plain, 40, C::Unspecified, false), None),
            // An elderly person with full capacity may refuse, and needs consent to be escorted.
            (O::Refused, person(elderly, 75, C::Unspecified, false), None),
            (
                O::Escorted,
                person(elderly, 75, C::Unspecified, false),
                Some("ESCORT_NEEDS_CONSENT"),
            ),
            (O::Escorted, person(elderly, 75, C::Unspecified, true), None),
            // A minor cannot refuse, and is escorted without consent.
            (
                O::Refused,
                person(minor, 12, C::Unspecified, false),
                Some("PERSON_CANNOT_REFUSE"),
            ),
            (O::Escorted, person(minor, 12, C::Unspecified, false), None),
            // A self-supporting 17-year-old has full capacity.
            (O::Refused, person(minor, 17, C::Full, false), None),
            // An adult recorded as lacking capacity cannot refuse.
            (
                O::Refused,
                person(plain, 40, C::Lacking, false),
                Some("PERSON_CANNOT_REFUSE"),
            ),
            (O::Escorted, person(plain, 40, C::Lacking, false), None),
            // Nor can such an adult be merely informed.
            (
                O::Informed,
                person(plain, 40, C::Lacking, false),
                Some("VULNERABLE_PERSON_MUST_BE_ESCORTED"),
            ),
            (
                O::AcuteIllness,
                person(minor, 12, C::Unspecified, false),
                None,
            ),
        ];
        for (outcome, case, expected) in table {
            assert_eq!(reason(outcome, &case), expected, "{outcome:?} {case:?}");
        }
    }

    #[test]
    fn only_16_and_17_year_old_minors_can_have_full_capacity() {
        let minor = VulnerableFlags {
            minor: true,
            ..Default::default()
        };
        for (age, ok) in [(12, false), (0, false), (16, true), (17, true)] {
            let p = Person {
                flags: &minor,
                estimated_age: age,
                capacity: CivilCapacity::Full,
                consent_recorded: false,
            };
            assert_eq!(check_capacity(&p).is_ok(), ok, "age {age}");
        }
    }
}
