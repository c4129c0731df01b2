//! The people of the demo month, drawn from the seed before anything is called: who they are,
//! where and how they are found, what the station learns of them, what the police can find out
//! and how fast, and how their stay should end. The first eight are always the same (a cast
//! that shows every kind of stay in the first days); the rest come from the seed.

use chrono::{Datelike, NaiveDate};
use relief_proto::intake::v1 as intake;
use relief_runtime::Caller;

use super::clock::Calendar;
use super::units;

mod drawn;
mod fixed;

/// A deterministic stream of numbers (SplitMix64) from the seed.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Dice {
        Dice(seed ^ 0x5151_7e1d_2026_0001)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        u32::try_from(self.next() % u64::from(n)).unwrap_or(0)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = self.below(u32::try_from(items.len()).unwrap_or(u32::MAX));
        &items[usize::try_from(index).unwrap_or(0)]
    }
}

/// What the station can establish of who the person is, at admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stated {
    /// ID card shown: confirmed.
    Confirmed,
    /// A name and a home county given, nothing to prove it: a face comparison is asked for.
    Unverified,
    /// Cannot or will not say: a family-search notice, DNA and face comparison.
    Unknown,
}

/// How the person comes to the station, or does not.
#[derive(Debug, Clone)]
pub enum Route {
    /// Walks in.
    WalkIn,
    /// Found by a patrol, grid officer or police officer and escorted with a written handover.
    Escorted {
        /// Who found and escorted the person.
        by: Caller,
    },
    /// The station's own street team goes out (after a tip relayed by the 12345 hotline, when
    /// `tip`) and brings the person in.
    Outreach {
        /// Whether the hotline relayed a tip first.
        tip: bool,
    },
    /// Told where the station is; walks in the next day.
    Informed {
        /// Who met the person.
        by: Caller,
    },
    /// Refuses help (the station's contact is given); never admitted.
    Refused {
        /// Who met the person.
        by: Caller,
    },
    /// Taken ill in the street: to hospital; the local station identifies the person there and
    /// admits them when the hospital discharges them, two days later.
    Hospital {
        /// Who found the person.
        by: Caller,
    },
}

/// How the stay should end while the person is not identified; an identified person goes home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// Home, this way.
    ReturnHome(intake::ReturnMode),
    /// Leaves on their own with a written declaration.
    SelfDeparture,
    /// The station cannot care for the person: proposed for foster care.
    Foster,
    /// Goes missing from the station (an incident).
    Missing,
    /// Stays on in the station.
    Stay,
}

/// One person of the month, as drawn.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Index in the cast.
    pub key: usize,
    /// The day of the drive the person is found (or walks in).
    pub arrival_day: u32,
    /// Minutes after 06:30 that the person is found (at most 60: the round ends at 08:30).
    pub found_minute: u32,
    /// Where the person is found and admitted (the station's division).
    pub division: &'static str,
    /// The station that admits the person.
    pub station: Caller,
    /// Where, in words.
    pub address: &'static str,
    /// How the person comes.
    pub route: Route,
    /// The true name.
    pub name: String,
    /// Sex.
    pub sex: intake::Sex,
    /// Age in years.
    pub age: i32,
    /// The true resident ID number.
    pub id_number: String,
    /// The true household division (the origin).
    pub home_division: &'static str,
    /// The true household address.
    pub home_address: String,
    /// The vulnerable-group flags.
    pub flags: intake::VulnerableFlags,
    /// Whether an officer would record the person as lacking full civil capacity.
    pub lacks_capacity: bool,
    /// What the person looks like (no name).
    pub description: String,
    /// Why the person is on the street.
    pub cause: &'static str,
    /// Belongings on arrival.
    pub belongings: Vec<&'static str>,
    /// What the station establishes at admission.
    pub stated: Stated,
    /// A face comparison finds the person.
    pub face_identifies: bool,
    /// A DNA comparison finds the person.
    pub dna_identifies: bool,
    /// Days after admission before the station files its verification requests.
    pub request_delay: u32,
    /// Days after filing before the police unit acknowledges; `None`: it never does (the
    /// request is deemed received after 3 working days).
    pub ack_days: Option<u32>,
    /// Days after filing before the face result is submitted.
    pub face_days: u32,
    /// Days after filing before the DNA result is submitted.
    pub dna_days: u32,
    /// Relatives come forward (after the notice) this many days after admission.
    pub relatives_after: Option<u32>,
    /// Days after admission (or after identification, for a return home) before the person
    /// leaves, or the station proposes foster care.
    pub leave_after: u32,
    /// How the stay ends while the person is not identified.
    pub leaving: Leaving,
    /// The family-search notice is published two days late.
    pub notice_late: bool,
    /// The station records why a stay past 10 days is justified.
    pub justify_long_stay: bool,
}

impl Plan {
    /// The day the station admits the person, if it does (a hospital admission comes two
    /// days after the person is found, an informed person walks in the next day).
    pub fn admission_day(&self) -> Option<u32> {
        match self.route {
            Route::Refused { .. } => None,
            Route::Informed { .. } => Some(self.arrival_day + 1),
            Route::Hospital { .. } => Some(self.arrival_day + 2),
            _ => Some(self.arrival_day),
        }
    }

    /// Whether the person must be escorted, not merely informed (and cannot refuse).
    pub fn must_be_escorted(&self) -> bool {
        let flags = &self.flags;
        flags.disabled
            || flags.minor
            || flags.elderly
            || flags.mobility_impaired
            || self.lacks_capacity
    }
}

/// Panjin's county-level divisions with the places people are found there.
const PLACES: [(&str, &[&str]); 4] = [
    (
        "211102",
        &[
            "双台子区 胜利街 盘锦火车站广场",
            "双台子区 红旗大街 地下通道",
            "双台子区 双盛街 农贸市场东门",
        ],
    ),
    (
        "211103",
        &[
            "兴隆台区 石油大街 站前广场",
            "兴隆台区 兴隆台街 公交总站",
            "兴隆台区 惠宾街 步行街",
            "兴隆台区 泰山路 桥洞",
        ],
    ),
    (
        "211104",
        &["大洼区 大洼街道 客运站", "大洼区 田家街道 辽河大桥下"],
    ),
    (
        "211122",
        &["盘山县 太平街 长途客运站", "盘山县 城郊乡 国道旁加油站"],
    ),
];

/// Household divisions outside Panjin, with their address prefix.
const ORIGINS: [(&str, &str); 9] = [
    ("210102", "辽宁省沈阳市和平区"),
    ("210302", "辽宁省鞍山市铁东区"),
    ("210702", "辽宁省锦州市古塔区"),
    ("211002", "辽宁省辽阳市白塔区"),
    ("220102", "吉林省长春市南关区"),
    ("230102", "黑龙江省哈尔滨市道里区"),
    ("130102", "河北省石家庄市长安区"),
    ("150102", "内蒙古自治区呼和浩特市新城区"),
    ("370102", "山东省济南市历下区"),
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];
const MALE_NAMES: [&str; 12] = [
    "建国", "志强", "立军", "海涛", "永福", "德明", "宝山", "长青", "春生", "国庆", "振华", "文斌",
];
const FEMALE_NAMES: [&str; 12] = [
    "桂兰", "秀英", "淑珍", "玉梅", "丽华", "春燕", "红霞", "晓丽", "凤琴", "雪梅", "小雨", "佳怡",
];
const STREETS: [&str; 6] = ["建设路", "解放街", "人民路", "光明巷", "新华街", "幸福里"];
const CAUSES: [&str; 6] = [
    "外出务工无着，钱财用尽",
    "与家人发生矛盾离家",
    "走失，无法说清住址",
    "来盘寻亲未果",
    "精神状况不佳，长期在外流浪",
    "被骗后身无分文",
];

/// The month's people: the fixed cast, then one to three a day from the seed.
pub fn draw(seed: u64, calendar: &Calendar) -> Vec<Plan> {
    let mut dice = Dice::new(seed);
    let mut people = fixed::cast(&mut dice, calendar);
    for day in 0..calendar.days {
        for _ in 0..dice.between(1, 3) {
            let key = people.len();
            people.push(drawn::person(&mut dice, calendar, key, day));
        }
    }
    people
}

/// A person with the defaults every drawn person starts from.
fn person(dice: &mut Dice, calendar: &Calendar, key: usize, day: u32, age: i32) -> Plan {
    let male = dice.chance(65);
    let sex = if male {
        intake::Sex::Male
    } else {
        intake::Sex::Female
    };
    let given = if male {
        dice.pick(&MALE_NAMES)
    } else {
        dice.pick(&FEMALE_NAMES)
    };
    let name = format!("{}{given}", dice.pick(&SURNAMES));
    let (home_division, prefix) = if dice.chance(55) {
        let (division, _) = *dice.pick(&PLACES);
        (
            division,
            format!("辽宁省盘锦市{}", units::division_name(division)),
        )
    } else {
        let (division, prefix) = *dice.pick(&ORIGINS);
        (division, prefix.to_owned())
    };
    let home_address = format!("{prefix}{}{}号", dice.pick(&STREETS), dice.between(1, 120));
    let id_number = id_number(dice, home_division, calendar.day(day), age, male);
    let (division, places) = *dice.pick(&PLACES);
    let address = *dice.pick(places);
    let cause = *dice.pick(&CAUSES);
    Plan {
        key,
        arrival_day: day,
        found_minute: dice.between(0, 60),
        division,
        station: units::station(division),
        address,
        route: Route::WalkIn,
        name,
        sex,
        age,
        id_number,
        home_division,
        home_address,
        flags: intake::VulnerableFlags {
            minor: age < 18,
            elderly: age >= 60,
            ..Default::default()
        },
        lacks_capacity: age < 18,
        description: String::new(),
        cause,
        belongings: vec!["旧棉衣一件", "塑料袋一个"],
        stated: Stated::Confirmed,
        face_identifies: false,
        dna_identifies: false,
        request_delay: 0,
        ack_days: Some(0),
        face_days: 2,
        dna_days: 15,
        relatives_after: None,
        leave_after: 2,
        leaving: Leaving::ReturnHome(intake::ReturnMode::EscortedByStaff),
        notice_late: false,
        justify_long_stay: true,
    }
}

/// A valid ID number of a person exactly `age` on `today` (and at least `age` on any later day)
/// with a household in `division`: a person under 16 by the plan is under 16 by the ID number.
fn id_number(dice: &mut Dice, division: &str, today: NaiveDate, age: i32, male: bool) -> String {
    let years = u32::try_from(age.max(0)).unwrap_or(0) * 12;
    let latest = today
        .checked_sub_months(chrono::Months::new(years))
        .unwrap_or(today);
    let earliest = latest
        .checked_sub_months(chrono::Months::new(12))
        .and_then(|date| date.succ_opt())
        .unwrap_or(latest);
    let span = u32::try_from((latest - earliest).num_days()).unwrap_or(0);
    let birth = latest - chrono::Duration::days(i64::from(dice.between(0, span)));
    let (year, month, day) = (birth.year(), birth.month(), birth.day());
    // The 17th digit is odd for a man, even for a woman (GB 11643).
    let sequence = dice.between(50, 499) * 2 + u32::from(male);
    let body = format!("{division}{year:04}{month:02}{day:02}{sequence:03}");
    let check = relief_legal::check_character(&body).unwrap_or('X');
    format!("{body}{check}")
}

/// What an officer writes of the person in a sighting.
fn describe(plan: &Plan) -> String {
    let sex = if plan.sex == intake::Sex::Female {
        "女性"
    } else {
        "男性"
    };
    let mut traits = Vec::new();
    if plan.flags.mobility_impaired {
        traits.push("行动不便");
    }
    if plan.flags.disabled {
        traits.push("肢体残疾");
    }
    if plan.flags.mental_disorder {
        traits.push("言语混乱");
    }
    if plan.flags.acute_illness {
        traits.push("倒地不起，呼吸急促");
    }
    if traits.is_empty() {
        traits.push("衣着单薄");
    }
    let about = (plan.age + 2) / 5 * 5;
    format!("{sex}，约{about}岁，{}", traits.join("，"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_month() {
        let calendar = Calendar::from(chrono::Utc::now(), None);
        let first = draw(7, &calendar);
        let again = draw(7, &calendar);
        assert_eq!(first.len(), again.len());
        assert!(first.len() > calendar.days as usize);
        for (one, other) in first.iter().zip(&again) {
            assert_eq!(
                (&one.name, &one.id_number, one.arrival_day),
                (&other.name, &other.id_number, other.arrival_day)
            );
        }
        assert_ne!(
            draw(8, &calendar)
                .iter()
                .map(|plan| plan.id_number.clone())
                .collect::<Vec<_>>(),
            first
                .iter()
                .map(|plan| plan.id_number.clone())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_drawn_person_is_valid_for_the_services() {
        let calendar = Calendar::from(chrono::Utc::now(), None);
        for seed in 0..20 {
            for plan in draw(seed, &calendar) {
                let today = calendar.day(plan.arrival_day);
                let parsed = relief_legal::IdNumber::parse(&plan.id_number, today);
                assert!(parsed.is_ok(), "{} {:?}", plan.id_number, parsed);
                // The ID number says the age the plan acts on (the under-16 rules follow it).
                let birth = parsed.map(|id| id.birth_date()).expect("parsed");
                let years = today
                    .years_since(birth)
                    .and_then(|years| i32::try_from(years).ok());
                assert_eq!(years, Some(plan.age), "{} on {today}", plan.id_number);
                assert!(
                    relief_legal::division(plan.home_division).is_some(),
                    "{}",
                    plan.home_division
                );
                // Nobody who must be escorted is merely informed or refuses.
                if plan.must_be_escorted() {
                    assert!(
                        !matches!(plan.route, Route::Informed { .. } | Route::Refused { .. }),
                        "{plan:?}"
                    );
                }
                // A minor or a person lacking capacity never leaves alone.
                if plan.flags.minor || plan.lacks_capacity {
                    assert_ne!(plan.leaving, Leaving::SelfDeparture, "{plan:?}");
                }
            }
        }
    }
}
