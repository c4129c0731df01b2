//! The vulnerable-group flags, stored as one integer bit set.

use relief_proto::intake::v1::VulnerableFlags;

const DISABLED: i64 = 1;
const MENTAL_DISORDER: i64 = 1 << 1;
const INTELLECTUAL_DISABILITY: i64 = 1 << 2;
const MINOR: i64 = 1 << 3;
const ELDERLY: i64 = 1 << 4;
const MOBILITY_IMPAIRED: i64 = 1 << 5;
const ACUTE_ILLNESS: i64 = 1 << 6;

/// The stored form of `flags`.
pub fn to_bits(flags: &VulnerableFlags) -> i64 {
    [
        (flags.disabled, DISABLED),
        (flags.mental_disorder, MENTAL_DISORDER),
        (flags.intellectual_disability, INTELLECTUAL_DISABILITY),
        (flags.minor, MINOR),
        (flags.elderly, ELDERLY),
        (flags.mobility_impaired, MOBILITY_IMPAIRED),
        (flags.acute_illness, ACUTE_ILLNESS),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .fold(0, |bits, (_, bit)| bits | bit)
}

/// The flags of a stored bit set.
pub fn from_bits(bits: i64) -> VulnerableFlags {
    VulnerableFlags {
        disabled: bits & DISABLED != 0,
        mental_disorder: bits & MENTAL_DISORDER != 0,
        intellectual_disability: bits & INTELLECTUAL_DISABILITY != 0,
        minor: bits & MINOR != 0,
        elderly: bits & ELDERLY != 0,
        mobility_impaired: bits & MOBILITY_IMPAIRED != 0,
        acute_illness: bits & ACUTE_ILLNESS != 0,
    }
}

/// Whether DOMAIN.md's escort rule covers the person: disabled, minor, elderly or
/// mobility-impaired people are escorted, not merely informed.
pub fn must_be_escorted(flags: &VulnerableFlags) -> bool {
    flags.disabled || flags.minor || flags.elderly || flags.mobility_impaired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_round_trips_alone() {
        for bit in 0..7 {
            let flags = from_bits(1 << bit);
            assert_eq!(to_bits(&flags), 1 << bit);
        }
        assert_eq!(to_bits(&VulnerableFlags::default()), 0);
    }
}
