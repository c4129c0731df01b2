//! Small helpers every API test uses: callers, instants, request ids, the purpose header, reading a
//! status's error details, valid (or deliberately broken) ID numbers, and the fixed units
//! ([`units`]).

use relief_runtime::{Caller, CallerKind};
use tonic_types::StatusExt;

/// The caller of a unit: `kind`, `division`, `id` (panics on a malformed one: a test bug).
pub fn unit(kind: CallerKind, division: &str, id: &str) -> Caller {
    Caller::new(kind, division, id)
        .unwrap_or_else(|e| panic!("not a caller: {kind:?} {division} {id}: {e}"))
}

/// The RFC 3339 instant `text` (with its offset); panics on a malformed one (a test bug).
pub fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("not an RFC 3339 instant: {text}: {e}"))
        .with_timezone(&chrono::Utc)
}

/// A fresh `request_id` (UUID v4).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `message` as a request carrying the `x-relief-purpose` header.
pub fn with_purpose<T>(message: T, purpose: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = purpose
        .parse()
        .unwrap_or_else(|e| panic!("not a header value: {purpose}: {e}"));
    request
        .metadata_mut()
        .insert(relief_runtime::personal_data::PURPOSE_HEADER, value);
    request
}

/// The `ErrorInfo.reason` of a status (empty without one).
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The fields of a status's `BadRequest` violations, in order.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A valid 18-character ID number: division, birth date `yyyymmdd`, 3-digit sequence, and the
/// ISO 7064 MOD 11-2 check character.
pub fn id_number(division: &str, birth: &str, sequence: &str) -> String {
    let body = format!("{division}{birth}{sequence}");
    let check = relief_legal::check_character(&body)
        .unwrap_or_else(|| panic!("not 17 digits: {division}{birth}{sequence}"));
    format!("{body}{check}")
}

/// `id` with a wrong check character.
pub fn with_bad_check(id: &str) -> String {
    let (body, check) = id.split_at(17);
    let wrong = if check == "0" { '1' } else { '0' };
    format!("{body}{wrong}")
}

/// The fixed units of `deploy/units.toml` that tests call as, one function a unit: the caller
/// its certificate names (kind, division, id).
pub mod units {
    use relief_runtime::{Caller, CallerKind};

    use super::unit;

    // ---- relief stations 救助管理站 ----

    /// 盘锦市救助管理站 (the city station).
    pub fn city_station() -> Caller {
        unit(CallerKind::Station, "211100", "city-station")
    }
    /// 双台子区救助管理站.
    pub fn sz_station() -> Caller {
        unit(CallerKind::Station, "211102", "sz-station")
    }
    /// 兴隆台区救助管理站.
    pub fn xlt_station() -> Caller {
        unit(CallerKind::Station, "211103", "xlt-station")
    }

    // ---- civil affairs 民政 ----

    /// 辽宁省民政厅 (the province: read only).
    pub fn province() -> Caller {
        unit(CallerKind::CivilAffairs, "210000", "ln-civil-affairs")
    }
    /// 盘锦市民政局 (the lead unit).
    pub fn city_civil_affairs() -> Caller {
        unit(CallerKind::CivilAffairs, "211100", "city-civil-affairs")
    }
    /// 双台子区民政局.
    pub fn sz_civil_affairs() -> Caller {
        unit(CallerKind::CivilAffairs, "211102", "sz-civil-affairs")
    }
    /// 兴隆台区民政局.
    pub fn xlt_civil_affairs() -> Caller {
        unit(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs")
    }
    /// 大洼区民政局.
    pub fn dw_civil_affairs() -> Caller {
        unit(CallerKind::CivilAffairs, "211104", "dw-civil-affairs")
    }

    // ---- police 公安 ----

    /// 盘锦市公安局 (the city police bureau: overdue verification answers escalate to it).
    pub fn city_police() -> Caller {
        unit(CallerKind::Police, "211100", "city-police")
    }
    /// 盘锦市公安局刑事科学技术研究所 (DNA).
    pub fn forensics() -> Caller {
        unit(CallerKind::Police, "211100", "city-police-forensics")
    }
    /// 盘锦市公安局人像比对中心 (face comparison).
    pub fn face_unit() -> Caller {
        unit(CallerKind::Police, "211100", "city-police-face")
    }
    /// 盘锦市公安局双台子分局.
    pub fn sz_police() -> Caller {
        unit(CallerKind::Police, "211102", "sz-police")
    }
    /// 盘锦市公安局兴隆台分局.
    pub fn xlt_police() -> Caller {
        unit(CallerKind::Police, "211103", "xlt-police")
    }
    /// 盘锦市公安局大洼分局.
    pub fn dw_police() -> Caller {
        unit(CallerKind::Police, "211104", "dw-police")
    }

    // ---- reporting channels and hospitals ----

    /// 盘锦市网格化服务管理中心.
    pub fn city_grid_center() -> Caller {
        unit(CallerKind::Grid, "211100", "city-grid-center")
    }
    /// 盘锦市12345政务服务便民热线.
    pub fn city_hotline() -> Caller {
        unit(CallerKind::Relay, "211100", "city-12345-hotline")
    }
    /// 盘锦市中心医院 (in 兴隆台区).
    pub fn city_central_hospital() -> Caller {
        unit(CallerKind::Hospital, "211103", "city-central-hospital")
    }

    // ---- governments 人民政府 ----

    /// 盘锦市人民政府 (major situations).
    pub fn city_government() -> Caller {
        unit(CallerKind::Government, "211100", "city-government")
    }
    /// 双台子区人民政府.
    pub fn sz_government() -> Caller {
        unit(CallerKind::Government, "211102", "sz-government")
    }
    /// 兴隆台区人民政府.
    pub fn xlt_government() -> Caller {
        unit(CallerKind::Government, "211103", "xlt-government")
    }

    // ---- supervisors ----

    /// 盘锦市财政局 (funds).
    pub fn city_finance() -> Caller {
        unit(CallerKind::Supervisor, "211100", "city-finance")
    }
    /// 盘锦市审计局 (funds).
    pub fn city_audit() -> Caller {
        unit(CallerKind::Supervisor, "211100", "city-audit")
    }
    /// 盘锦市卫生健康委员会 (medical-care inspections).
    pub fn city_health() -> Caller {
        unit(CallerKind::Supervisor, "211100", "city-health")
    }
    /// 盘锦市市场监督管理局 (food and drug inspections).
    pub fn city_market_supervision() -> Caller {
        unit(CallerKind::Supervisor, "211100", "city-market-supervision")
    }
    /// 盘锦市应急管理局 (fire-safety inspections).
    pub fn city_emergency() -> Caller {
        unit(CallerKind::Supervisor, "211100", "city-emergency")
    }
}
