//! The ten people of the first days of every demo, whatever the seed: together they show each
//! kind of stay within the first week (what `relief demo --days 6` and its test drive), and two
//! of them give the month its late and overdue police answers and its long stays.

use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::ReturnMode;

use super::{Dice, Leaving, Plan, Route, Stated, describe, id_number, person};
use crate::commands::demo::clock::Calendar;
use crate::commands::demo::units;

/// The ten people of the first days, the same whatever the seed.
pub fn cast(dice: &mut Dice, calendar: &Calendar) -> Vec<Plan> {
    let mut cast = Vec::new();

    // An old man who cannot say who he is, escorted by the Xinglongtai patrol; face comparison
    // finds nothing, DNA identifies him three weeks later; meanwhile he goes to foster care.
    let mut a = person(dice, calendar, 0, 0, 78);
    a.sex = intake::Sex::Male;
    a.name = "王德明".to_owned();
    a.division = "211103";
    a.station = units::station("211103");
    a.address = "兴隆台区 石油大街 站前广场";
    a.route = Route::Escorted {
        by: units::patrol("211103"),
    };
    a.flags.mobility_impaired = true;
    a.stated = Stated::Unknown;
    a.dna_identifies = true;
    a.dna_days = 20;
    a.face_days = 2;
    a.leaving = Leaving::Foster;
    a.leave_after = 2;
    cast.push(a);

    // A 14-year-old girl found by a grid officer, who gives her name and county; the face
    // comparison confirms it the next day and her parents collect her.
    let mut b = person(dice, calendar, 1, 0, 14);
    b.sex = intake::Sex::Female;
    b.name = "刘小雨".to_owned();
    b.home_division = "211102";
    b.home_address = "辽宁省盘锦市双台子区胜利街18号".to_owned();
    b.id_number = id_number(dice, "211102", calendar.day(0), 14, false);
    b.division = "211102";
    b.station = units::station("211102");
    b.address = "双台子区 红旗大街 地下通道";
    b.route = Route::Escorted {
        by: units::grid_center(),
    };
    b.stated = Stated::Unverified;
    b.cause = "与家人发生矛盾离家";
    b.face_identifies = true;
    b.face_days = 1;
    b.leave_after = 1;
    b.leaving = Leaving::ReturnHome(ReturnMode::CollectedByRelatives);
    cast.push(b);

    // A worker out of money walks into the city station with his ID card; a travel voucher
    // home two days later.
    let mut c = person(dice, calendar, 2, 0, 45);
    c.sex = intake::Sex::Male;
    c.home_division = "210702";
    c.home_address = "辽宁省锦州市古塔区解放街36号".to_owned();
    c.id_number = id_number(dice, "210702", calendar.day(0), 45, true);
    c.station = units::station("211100");
    c.route = Route::WalkIn;
    c.cause = "外出务工无着，钱财用尽";
    c.leave_after = 2;
    c.leaving = Leaving::ReturnHome(ReturnMode::TravelVoucher);
    cast.push(c);

    // A disabled man in a wheelchair, escorted by the Dawa police; identified by face on the
    // third day and escorted home by staff.
    let mut d = person(dice, calendar, 3, 1, 52);
    d.sex = intake::Sex::Male;
    d.division = "211104";
    d.station = units::station("211104");
    d.address = "大洼区 大洼街道 客运站";
    d.route = Route::Escorted {
        by: units::police("211104"),
    };
    d.flags.disabled = true;
    d.flags.mobility_impaired = true;
    d.stated = Stated::Unknown;
    d.face_identifies = true;
    d.face_days = 2;
    d.leave_after = 1;
    d.leaving = Leaving::Stay;
    cast.push(d);

    // A man who refuses help from the Shuangtaizi patrol.
    let mut e = person(dice, calendar, 4, 1, 40);
    e.sex = intake::Sex::Male;
    e.division = "211102";
    e.station = units::station("211102");
    e.address = "双台子区 胜利街 盘锦火车站广场";
    e.route = Route::Refused {
        by: units::patrol("211102"),
    };
    cast.push(e);

    // An old man taken ill at the Panshan bus station: hospital, identified there by the
    // Panshan station, admitted on discharge; the face comparison confirms his name.
    let mut f = person(dice, calendar, 5, 1, 63);
    f.sex = intake::Sex::Male;
    f.division = "211122";
    f.station = units::station("211122");
    f.address = "盘山县 太平街 长途客运站";
    f.route = Route::Hospital {
        by: units::police("211122"),
    };
    f.flags.acute_illness = true;
    f.stated = Stated::Unverified;
    f.face_identifies = true;
    f.face_days = 2;
    f.leave_after = 1;
    f.leaving = Leaving::ReturnHome(ReturnMode::EscortedByStaff);
    cast.push(f);

    // A man who walks into the Xinglongtai station and goes missing two days later.
    let mut g = person(dice, calendar, 6, 2, 35);
    g.sex = intake::Sex::Male;
    g.division = "211103";
    g.station = units::station("211103");
    g.route = Route::WalkIn;
    g.leave_after = 2;
    g.leaving = Leaving::Missing;
    cast.push(g);

    // A woman told by the Xinglongtai police where the station is; she comes the next day and
    // her family collects her.
    let mut h = person(dice, calendar, 7, 2, 31);
    h.sex = intake::Sex::Female;
    h.home_division = "211103";
    h.home_address = "辽宁省盘锦市兴隆台区惠宾街66号".to_owned();
    h.id_number = id_number(dice, "211103", calendar.day(2), 31, false);
    h.division = "211103";
    h.station = units::station("211103");
    h.address = "兴隆台区 惠宾街 步行街";
    h.route = Route::Informed {
        by: units::police("211103"),
    };
    h.leave_after = 2;
    h.leaving = Leaving::ReturnHome(ReturnMode::CollectedByRelatives);
    cast.push(h);

    // An old woman who cannot speak, brought in by the Xinglongtai station's street team after
    // a hotline tip; nothing identifies her: she stays on (the station records why), and the DNA
    // laboratory answers after its one-month due time.
    let mut i = person(dice, calendar, 8, 0, 72);
    i.sex = intake::Sex::Female;
    i.division = "211103";
    i.station = units::station("211103");
    i.address = "兴隆台区 泰山路 桥洞";
    i.route = Route::Outreach { tip: true };
    i.stated = Stated::Unknown;
    i.face_days = 3;
    i.dna_days = 33;
    i.leaving = Leaving::Stay;
    i.justify_long_stay = true;
    cast.push(i);

    // A man escorted by the Shuangtaizi police who will not say who he is; the DNA laboratory
    // never answers this month (overdue), and his long stay goes unexplained.
    let mut j = person(dice, calendar, 9, 1, 48);
    j.sex = intake::Sex::Male;
    j.division = "211102";
    j.station = units::station("211102");
    j.address = "双台子区 胜利街 盘锦火车站广场";
    j.route = Route::Escorted {
        by: units::police("211102"),
    };
    j.stated = Stated::Unknown;
    j.face_days = 4;
    j.dna_days = 90;
    j.leaving = Leaving::Stay;
    j.justify_long_stay = false;
    cast.push(j);

    for plan in &mut cast {
        plan.description = describe(plan);
    }
    cast
}
