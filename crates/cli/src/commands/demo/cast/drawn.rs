//! The people after the fixed cast, one to three a day, drawn from the seed: age group and
//! vulnerable groups, who finds them and how they come, what they can say of themselves, what the
//! police can find and how fast (requests filed in the run-up come due in the month, and a slow
//! DNA laboratory answers some late), and how their stay should end.

use relief_proto::intake::v1 as intake;

use super::{Dice, Leaving, Plan, Route, Stated, describe};
use crate::commands::demo::clock::{Calendar, PRELUDE_DAYS};
use crate::commands::demo::units;

/// One person of `day`, from the dice.
pub fn person(dice: &mut Dice, calendar: &Calendar, key: usize, day: u32) -> Plan {
    let age = match dice.below(100) {
        0..=7 => i32::try_from(dice.between(10, 17)).unwrap_or(15),
        8..=37 => i32::try_from(dice.between(60, 86)).unwrap_or(70),
        _ => i32::try_from(dice.between(19, 59)).unwrap_or(40),
    };
    let mut plan = super::person(dice, calendar, key, day, age);
    plan.flags.disabled = dice.chance(10);
    plan.flags.mental_disorder = age >= 18 && dice.chance(8);
    plan.flags.intellectual_disability = age >= 18 && !plan.flags.mental_disorder && dice.chance(5);
    plan.flags.mobility_impaired = plan.flags.elderly && dice.chance(30);
    plan.lacks_capacity =
        plan.flags.minor || plan.flags.mental_disorder || plan.flags.intellectual_disability;
    // A quarter of the people met in a county are taken to the city station.
    if dice.chance(25) {
        plan.station = units::station("211100");
    }
    let finder = match dice.below(3) {
        0 => units::patrol(plan.division),
        1 => units::grid_center(),
        _ => units::police(plan.division),
    };
    plan.route = match dice.below(100) {
        0..=29 => Route::WalkIn,
        30..=59 => Route::Escorted { by: finder },
        60..=69 => Route::Outreach {
            tip: dice.chance(60),
        },
        70..=79 if !plan.must_be_escorted() => Route::Informed { by: finder },
        80..=87 if !plan.must_be_escorted() => Route::Refused { by: finder },
        88..=94 => {
            plan.flags.acute_illness = true;
            Route::Hospital { by: finder }
        }
        _ => Route::Escorted { by: finder },
    };
    // An outreach team, a person told where to go, and the station that identifies a person at
    // the hospital are those of the division.
    if matches!(
        plan.route,
        Route::Outreach { .. } | Route::Informed { .. } | Route::Hospital { .. }
    ) {
        plan.station = units::station(plan.division);
    }
    plan.stated = if plan.flags.minor {
        if dice.chance(30) {
            Stated::Confirmed
        } else {
            Stated::Unverified
        }
    } else if plan.lacks_capacity || plan.age >= 76 {
        if dice.chance(70) {
            Stated::Unknown
        } else {
            Stated::Unverified
        }
    } else {
        match dice.below(100) {
            0..=49 => Stated::Confirmed,
            50..=79 => Stated::Unverified,
            _ => Stated::Unknown,
        }
    };
    // What the police can find, and how fast they work; requests filed in the run-up come due
    // in the month, and a slow DNA laboratory answers some of them late.
    plan.face_identifies = match plan.stated {
        Stated::Unverified => dice.chance(85),
        _ => dice.chance(30),
    };
    plan.dna_identifies = plan.stated == Stated::Unknown && dice.chance(40);
    plan.request_delay = match dice.below(100) {
        0..=69 => 0,
        70..=95 => dice.between(1, 2),
        _ => 10,
    };
    plan.ack_days = match dice.below(100) {
        0..=74 => Some(0),
        75..=89 => Some(1),
        _ => None,
    };
    plan.face_days = dice.between(1, 5);
    plan.dna_days = if day < PRELUDE_DAYS {
        dice.between(22, 40)
    } else {
        dice.between(8, 30)
    };
    plan.notice_late = dice.chance(8);
    plan.justify_long_stay = dice.chance(70);
    plan.relatives_after =
        (plan.stated == Stated::Unknown && dice.chance(15)).then(|| dice.between(2, 6));
    let mode = if plan.flags.minor || plan.lacks_capacity {
        *dice.pick(&[
            intake::ReturnMode::CollectedByRelatives,
            intake::ReturnMode::EscortedByStaff,
        ])
    } else {
        *dice.pick(&[
            intake::ReturnMode::EscortedByStaff,
            intake::ReturnMode::CollectedByRelatives,
            intake::ReturnMode::TravelVoucher,
        ])
    };
    let may_leave_alone = plan.age >= 18 && !plan.lacks_capacity;
    let (leaving, leave_after) = match plan.stated {
        Stated::Confirmed if may_leave_alone && dice.chance(30) => {
            (Leaving::SelfDeparture, dice.between(1, 4))
        }
        Stated::Confirmed => (Leaving::ReturnHome(mode), dice.between(1, 4)),
        _ if plan.must_be_escorted() && !plan.flags.minor && dice.chance(70) => {
            (Leaving::Foster, dice.between(2, 5))
        }
        _ if may_leave_alone && dice.chance(35) => (Leaving::SelfDeparture, dice.between(3, 12)),
        _ => (Leaving::Stay, 1),
    };
    plan.leaving = leaving;
    plan.leave_after = leave_after;
    plan.description = describe(&plan);
    plan
}
