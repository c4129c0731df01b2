use super::*;
use crate::error::Error;

#[test]
fn shipped_table_parses_cleanly() {
    let table = Table::parse(TABLE_TEXT);
    assert!(
        table.errors.is_empty(),
        "{:?}",
        &table.errors[..5.min(table.errors.len())]
    );
    assert!(table.divisions.len() > 7000, "{}", table.divisions.len());
    assert!(divisions().count() > 7000);
}

#[test]
fn panjin_codes_are_present_with_their_names() {
    let expected = [
        (PANJIN_CITY, "盘锦市", DivisionLevel::Prefecture),
        (PANJIN_SHUANGTAIZI, "双台子区", DivisionLevel::County),
        (PANJIN_XINGLONGTAI, "兴隆台区", DivisionLevel::County),
        (PANJIN_DAWA, "大洼区", DivisionLevel::County),
        (PANJIN_PANSHAN, "盘山县", DivisionLevel::County),
    ];
    for (code, name, level) in expected {
        let division = division(code).unwrap();
        assert_eq!(division.name, name, "{code}");
        assert!(division.current, "{code}");
        assert_eq!(division.level, level, "{code}");
        assert_eq!(division.province().unwrap().name, "辽宁省");
    }
    for code in PANJIN_COUNTY_LEVEL {
        assert_eq!(division(code).unwrap().prefecture().unwrap().name, "盘锦市");
    }
    assert_eq!(division(PANJIN_DAWA).unwrap().since, Some(2016));
}

#[test]
fn former_dawa_county_is_historical() {
    let dawa = division(PANJIN_DAWA_COUNTY_FORMER).unwrap();
    assert_eq!(dawa.name, "大洼县");
    assert!(!dawa.current);
    assert_eq!(dawa.until, Some(2015));
    assert_eq!(dawa.prefecture().unwrap().code, PANJIN_CITY);
}

#[test]
fn renamed_codes_keep_every_name() {
    // 211102 was 盘山区 in 1984-1985, then 双台子区.
    let shuangtaizi = division(PANJIN_SHUANGTAIZI).unwrap();
    let names: Vec<_> = shuangtaizi.names.iter().map(|name| name.name).collect();
    assert_eq!(names, ["盘山区", "双台子区"]);
    assert_eq!(shuangtaizi.names[0].until, Some(1985));
}

#[test]
fn changes_after_2020_come_from_the_2023_codes() {
    // 沙湾县 became 沙湾市 (654203) in 2021.
    assert!(division("654203").unwrap().current);
    assert!(!division("654223").unwrap().current);
    // Statistics-only functional zones are not divisions.
    assert_eq!(division("130171"), None);
}

#[test]
fn unknown_codes_are_none_not_errors() {
    assert_eq!(division("999999"), None);
    assert_eq!(division("211199"), None);
    let code = DivisionCode::parse("211199").unwrap();
    assert_eq!(code.division(), None);
    assert_eq!(division("2111"), None);
}

#[test]
fn division_code_format() {
    for bad in ["", "21110", "2111000", "21110x", "２１１１００", " 211100"] {
        assert!(
            matches!(
                DivisionCode::parse(bad),
                Err(Error::DivisionCodeFormat { .. })
            ),
            "{bad:?}"
        );
    }
    let code: DivisionCode = "211104".parse().unwrap();
    assert_eq!(code.as_str(), "211104");
    assert_eq!(code.to_string(), "211104");
    assert_eq!(format!("{code:?}"), "DivisionCode(211104)");
    assert!(code.is_county_level());
    assert!(!code.is_province_level());
    assert_eq!(code.prefecture().as_str(), PANJIN_CITY);
    assert_eq!(code.province().as_str(), "210000");
    assert_eq!(code.division().unwrap().name, "大洼区");
    let city = DivisionCode::parse(PANJIN_CITY).unwrap();
    assert!(!city.is_county_level());
    assert_eq!(city.prefecture(), city);
    assert!(city.province().is_province_level());
}

#[test]
fn division_code_serializes_as_a_string() {
    let code = DivisionCode::parse("211121").unwrap();
    let text = serde_json_like(&code);
    assert_eq!(text, "\"211121\"");
}

/// Serializes through serde's string model without a JSON dependency: TOML needs a table,
/// so wrap the value in one.
fn serde_json_like(code: &DivisionCode) -> String {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrapper {
        code: DivisionCode,
    }
    let text = toml::to_string(&Wrapper { code: *code }).unwrap();
    let back: Wrapper = toml::from_str(&text).unwrap();
    assert_eq!(back.code, *code);
    assert!(toml::from_str::<Wrapper>("code = \"21112\"").is_err());
    text.trim().trim_start_matches("code = ").to_owned()
}
