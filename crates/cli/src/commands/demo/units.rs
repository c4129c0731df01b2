//! The fixed units of `deploy/units.toml` the demo acts as, and the county-level divisions of
//! Panjin with their station, bureau, government and police.

use relief_runtime::{Caller, CallerKind};

/// A caller of a fixed unit (the ids below are valid by construction).
fn unit(kind: CallerKind, division: &str, id: &str) -> Caller {
    Caller {
        kind,
        division: division.to_owned(),
        unit: id.to_owned(),
    }
}

/// The city station (市本级) and the four county-level divisions, as codes.
pub const DIVISIONS: [&str; 5] = ["211100", "211102", "211103", "211104", "211122"];

/// The four county-level divisions, where people are found.
pub const COUNTIES: [&str; 4] = ["211102", "211103", "211104", "211122"];

/// The short id prefix of a division's units (`city`, `sz`, `xlt`, `dw`, `ps`).
fn prefix(division: &str) -> &'static str {
    match division {
        "211102" => "sz",
        "211103" => "xlt",
        "211104" => "dw",
        "211122" => "ps",
        _ => "city",
    }
}

/// The name of a division of Panjin, for people.
pub fn division_name(division: &str) -> &'static str {
    match division {
        "211102" => "双台子区",
        "211103" => "兴隆台区",
        "211104" => "大洼区",
        "211122" => "盘山县",
        "211100" => "市本级",
        _ => "",
    }
}

/// The relief station of a division (the city station for 211100).
pub fn station(division: &str) -> Caller {
    unit(
        CallerKind::Station,
        division,
        &format!("{}-station", prefix(division)),
    )
}

/// The civil-affairs bureau of a division (the city bureau for 211100).
pub fn civil_affairs(division: &str) -> Caller {
    unit(
        CallerKind::CivilAffairs,
        division,
        &format!("{}-civil-affairs", prefix(division)),
    )
}

/// The government of a division (the city government for 211100).
pub fn government(division: &str) -> Caller {
    unit(
        CallerKind::Government,
        division,
        &format!("{}-government", prefix(division)),
    )
}

/// The police of a division (the city bureau 市公安局 for 211100).
pub fn police(division: &str) -> Caller {
    unit(
        CallerKind::Police,
        division,
        &format!("{}-police", prefix(division)),
    )
}

/// The city-management patrol (城管) working in a division: the county's own where it has one,
/// else the city's.
pub fn patrol(division: &str) -> Caller {
    match division {
        "211102" => unit(CallerKind::Patrol, "211102", "sz-urban-management"),
        "211103" => unit(CallerKind::Patrol, "211103", "xlt-urban-management"),
        _ => unit(CallerKind::Patrol, "211100", "city-urban-management"),
    }
}

/// 盘锦市网格化服务管理中心: the grid officers' system.
pub fn grid_center() -> Caller {
    unit(CallerKind::Grid, "211100", "city-grid-center")
}

/// 盘锦市12345政务服务便民热线: relays tips from the public.
pub fn hotline() -> Caller {
    unit(CallerKind::Relay, "211100", "city-12345-hotline")
}

/// 盘锦市中心医院: the designated hospital for acute illness.
pub fn central_hospital() -> Caller {
    unit(CallerKind::Hospital, "211103", "city-central-hospital")
}

/// The DNA laboratory of the city police (刑事科学技术研究所).
pub fn forensics() -> Caller {
    unit(CallerKind::Police, "211100", "city-police-forensics")
}

/// The face-comparison centre of the city police (人像比对中心).
pub fn face_centre() -> Caller {
    unit(CallerKind::Police, "211100", "city-police-face")
}

/// Every fixed unit that receives notifications in the demo, and how often (in days) its desk
/// looks at them: most every day, two county governments less often (their acknowledgements
/// come late).
pub fn desks() -> Vec<(Caller, u32)> {
    let mut desks = Vec::new();
    for division in DIVISIONS {
        desks.push((station(division), 1));
        desks.push((civil_affairs(division), 1));
        let every = match division {
            "211122" => 4,
            "211104" => 2,
            _ => 1,
        };
        desks.push((government(division), every));
        desks.push((police(division), 1));
    }
    desks.push((forensics(), 1));
    desks.push((face_centre(), 1));
    desks
}
