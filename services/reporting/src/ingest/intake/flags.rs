//! The vulnerable-group flags of a case as `r_cases.flags` stores them (one integer bit set, the
//! same bits as intake's own `cases.flags`), and the `admission.<group>` metric of each flag.

use relief_proto::intake::v1::VulnerableFlags;

/// 残疾人.
pub const DISABLED: i32 = 1;
/// 精神障碍.
pub const MENTAL_DISORDER: i32 = 1 << 1;
/// 智力障碍.
pub const INTELLECTUAL_DISABILITY: i32 = 1 << 2;
/// 未成年人.
pub const MINOR: i32 = 1 << 3;
/// 老年人.
pub const ELDERLY: i32 = 1 << 4;
/// 行动不便.
pub const MOBILITY_IMPAIRED: i32 = 1 << 5;
/// 突发急病.
pub const ACUTE_ILLNESS: i32 = 1 << 6;

/// Every flag: its bit and its group name (the metric is `admission.<group>`), in proto order.
pub const GROUPS: [(i32, &str); 7] = [
    (DISABLED, "disabled"),
    (MENTAL_DISORDER, "mental_disorder"),
    (INTELLECTUAL_DISABILITY, "intellectual_disability"),
    (MINOR, "minor"),
    (ELDERLY, "elderly"),
    (MOBILITY_IMPAIRED, "mobility_impaired"),
    (ACUTE_ILLNESS, "acute_illness"),
];

/// The stored bit set of `flags`.
pub fn to_bits(flags: &VulnerableFlags) -> i32 {
    [
        flags.disabled,
        flags.mental_disorder,
        flags.intellectual_disability,
        flags.minor,
        flags.elderly,
        flags.mobility_impaired,
        flags.acute_illness,
    ]
    .into_iter()
    .zip(GROUPS)
    .filter(|(set, _)| *set)
    .fold(0, |bits, (_, (bit, _))| bits | bit)
}

/// The group names of the flags set in `bits`, in proto order.
pub fn groups(bits: i32) -> impl Iterator<Item = &'static str> {
    GROUPS
        .into_iter()
        .filter(move |(bit, _)| bits & bit != 0)
        .map(|(_, group)| group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_has_its_own_bit_and_group() {
        let minor = VulnerableFlags {
            minor: true,
            ..VulnerableFlags::default()
        };
        assert_eq!(to_bits(&minor), MINOR);
        let both = VulnerableFlags {
            disabled: true,
            acute_illness: true,
            ..VulnerableFlags::default()
        };
        assert_eq!(
            groups(to_bits(&both)).collect::<Vec<_>>(),
            ["disabled", "acute_illness"]
        );
        assert_eq!(to_bits(&VulnerableFlags::default()), 0);
    }
}
