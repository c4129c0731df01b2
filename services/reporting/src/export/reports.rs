//! Each report's answer as tables with Chinese headers: one converter per response type, pure
//! functions of the answer (and the title the caller of the export is given), so the CSV and the
//! XLSX file show the same cells.
//!
//! Keyed figures (encounters by outcome, identifications by method) get a column per value of
//! their enum, in the enum's order, and a column for any other key the answer carries, so no
//! figure is dropped.

use std::collections::BTreeSet;

use chrono::DateTime;
use relief_proto::identity::v1::ConfirmationMethod;
use relief_proto::intake::v1::EncounterOutcome;
use relief_proto::reporting::v1 as pb;

use super::table::{Cell, Table};
use crate::areas;

/// What the dashboard's title says when a feed lags behind its source.
pub const STALE_NOTE: &str = "（数据同步滞后，数字可能不全）";

/// The dashboard: one row per area; a stale one says so in its title.
pub fn dashboard(title: String, response: &pb::GetDashboardResponse) -> Vec<Table> {
    let title = if response.stale {
        format!("{title}{STALE_NOTE}")
    } else {
        title
    };
    let mut table = Table::new(
        title,
        &[
            "地区",
            "在站人数",
            "托养人数",
            "在站超10天（有原因）",
            "在站超10天（无原因）",
            "滞留人员数",
            "身份查询逾期未反馈",
            "身份查询7日内到期",
            "本月未探访托养人员",
            "上月探访逾期",
            "未签收通知",
            "其中逾期未签收",
            "证照过期或30日内到期机构",
        ],
    );
    for row in &response.rows {
        table.push(vec![
            area_name(row.area.as_ref()),
            Cell::count(row.in_station),
            Cell::count(row.in_foster_care),
            Cell::count(row.stays_over_10_days_justified),
            Cell::count(row.stays_over_10_days_unjustified),
            Cell::count(row.stranded),
            Cell::count(row.verifications_overdue),
            Cell::count(row.verifications_due_within_7_days),
            Cell::count(row.residents_not_visited_this_month),
            Cell::count(row.visits_overdue_last_month),
            Cell::count(row.notifications_unacknowledged),
            Cell::count(row.notifications_overdue),
            Cell::count(row.institutions_documents_expiring),
        ]);
    }
    vec![table]
}

/// Chinese labels of the encounter outcomes, in the enum's order.
const ENCOUNTER_OUTCOMES: [(EncounterOutcome, &str); 4] = [
    (EncounterOutcome::Informed, "街面告知求助"),
    (EncounterOutcome::Escorted, "护送入站"),
    (EncounterOutcome::AcuteIllness, "急病送医"),
    (EncounterOutcome::Refused, "拒绝救助"),
];

/// The identifications confirmed at admission (not a ConfirmationMethod).
const AT_ADMISSION: &str = "AT_ADMISSION";

/// Chinese labels of the confirmation methods, in the enum's order.
const CONFIRMATION_METHODS: [(ConfirmationMethod, &str); 6] = [
    (ConfirmationMethod::Documents, "身份查明：证件核实"),
    (ConfirmationMethod::Relatives, "身份查明：亲属确认"),
    (
        ConfirmationMethod::PersonRecovered,
        "身份查明：本人恢复后陈述",
    ),
    (ConfirmationMethod::Other, "身份查明：其他方式"),
    (ConfirmationMethod::PoliceDna, "身份查明：公安DNA比对"),
    (ConfirmationMethod::PoliceFace, "身份查明：公安人像比对"),
];

/// The period statistics: one row per area, then repeat vagrancy by origin.
pub fn statistics(title: String, response: &pb::GetPeriodStatisticsResponse) -> Vec<Table> {
    let outcomes = keyed_columns(
        ENCOUNTER_OUTCOMES
            .iter()
            .map(|(outcome, label)| (outcome.as_str_name().to_owned(), (*label).to_owned()))
            .collect(),
        response.rows.iter().map(|row| &row.encounters_by_outcome),
        "街面救助：",
    );
    let methods = keyed_columns(
        CONFIRMATION_METHODS
            .iter()
            .map(|(method, label)| (method.as_str_name().to_owned(), (*label).to_owned()))
            .chain(std::iter::once((
                AT_ADMISSION.to_owned(),
                "身份查明：入站时已确认".to_owned(),
            )))
            .collect(),
        response
            .rows
            .iter()
            .map(|row| &row.identifications_by_method),
        "身份查明：",
    );
    let mut headers: Vec<String> = vec!["地区".to_owned(), "发现报告数".to_owned()];
    headers.extend(outcomes.iter().map(|(_, label)| label.clone()));
    headers.extend(
        [
            "救助人数",
            "转送接收人数",
            "其中残疾人",
            "其中精神障碍患者",
            "其中智力障碍者",
            "其中未成年人",
            "其中老年人",
            "其中行动不便",
            "其中突发急病",
        ]
        .map(str::to_owned),
    );
    headers.extend(methods.iter().map(|(_, label)| label.clone()));
    headers.extend(
        [
            "返乡人数",
            "新增托养人数",
            "安置申请数",
            "安置批准数",
            "死亡人数",
            "警方应反馈数",
            "警方按时反馈数",
            "警方按时反馈率",
            "警方反馈天数中位数",
            "寻亲公告应发布数",
            "24小时内发布数",
            "寻亲公告按时发布率",
            "身份查询应提请数",
            "7个工作日内提请数",
            "身份查询按时提请率",
            "托养探访应探访人月数",
            "已探访人月数",
            "探访率",
            "应签收通知数",
            "按时签收数",
            "通知按时签收率",
        ]
        .map(str::to_owned),
    );
    let mut table = Table {
        title,
        headers,
        rows: Vec::new(),
    };
    for row in &response.rows {
        let admissions = row.admissions.unwrap_or_default();
        let compliance = row.compliance.unwrap_or_default();
        let mut cells = vec![area_name(row.area.as_ref()), Cell::count(row.sightings)];
        cells.extend(
            outcomes.iter().map(|(key, _)| {
                Cell::count(row.encounters_by_outcome.get(key).copied().unwrap_or(0))
            }),
        );
        cells.extend(
            [
                admissions.total,
                admissions.transfers,
                admissions.disabled,
                admissions.mental_disorder,
                admissions.intellectual_disability,
                admissions.minor,
                admissions.elderly,
                admissions.mobility_impaired,
                admissions.acute_illness,
            ]
            .map(Cell::count),
        );
        cells.extend(methods.iter().map(|(key, _)| {
            Cell::count(row.identifications_by_method.get(key).copied().unwrap_or(0))
        }));
        cells.extend(
            [
                row.returns_home,
                row.placements,
                row.settlements_filed,
                row.settlements_approved,
                row.deaths,
            ]
            .map(Cell::count),
        );
        let police = compliance.police_answers.unwrap_or_default();
        cells.extend(ratio(police));
        cells.push(Cell::Decimal(compliance.police_answer_median_days));
        for other in [
            compliance.notices_within_24_hours,
            compliance.requests_within_7_working_days,
            compliance.visits,
            compliance.notifications_acknowledged,
        ] {
            cells.extend(ratio(other.unwrap_or_default()));
        }
        table.push(cells);
    }
    let mut origins = Table::new(
        "重复流浪乞讨人员（按流出地）",
        &["流出地区划代码", "流出地", "重复流浪乞讨人数"],
    );
    for origin in &response.repeat_vagrancy_by_origin {
        origins.push(origin_cells(origin));
    }
    vec![table, origins]
}

/// The accountability report: the plan's tasks, each unit's late items, the triggers.
pub fn accountability(title: String, response: &pb::GetAccountabilityReportResponse) -> Vec<Table> {
    let mut tasks = Table::new(
        title,
        &[
            "任务编号",
            "方案条目",
            "任务",
            "牵头单位",
            "责任单位",
            "配合单位",
            "对应时限类型",
        ],
    );
    for task in &response.tasks {
        tasks.push(vec![
            Cell::text(&task.task_id),
            Cell::text(&task.section),
            Cell::text(&task.title),
            Cell::text(task.lead_units.join("、")),
            Cell::text(task.responsible_units.join("、")),
            Cell::text(task.cooperating_units.join("、")),
            Cell::text(task.deadline_kinds.join("、")),
        ]);
    }
    let mut units = Table::new(
        "各单位逾期事项",
        &[
            "单位",
            "系统单位",
            "任务编号",
            "职责",
            "逾期未办结",
            "本期逾期办结",
            "逾期未办结（按时限类型）",
        ],
    );
    for unit in &response.units {
        let unit_ids: Vec<&str> = unit.units.iter().map(|unit| unit.unit.as_str()).collect();
        for task in &unit.tasks {
            let mut by_kind: Vec<(&String, &i32)> = task.overdue_open_by_kind.iter().collect();
            by_kind.sort();
            let by_kind: Vec<String> = by_kind
                .into_iter()
                .map(|(kind, count)| format!("{kind}：{count}"))
                .collect();
            units.push(vec![
                Cell::text(&unit.plan_unit),
                Cell::text(unit_ids.join("、")),
                Cell::text(&task.task_id),
                Cell::text(role(task.role)),
                Cell::count(task.overdue_open),
                Cell::count(task.done_late),
                Cell::text(by_kind.join("；")),
            ]);
        }
    }
    let mut triggers = Table::new("问责情形", &["情形", "区划代码", "地区", "数量"]);
    if let Some(found) = &response.triggers {
        let repeat = format!(
            "重复流浪乞讨（达{}例及以上）",
            found.repeat_vagrancy_threshold
        );
        for origin in &found.repeat_vagrancy {
            let mut cells = vec![Cell::text(&repeat)];
            cells.extend(origin_cells(origin));
            triggers.push(cells);
        }
        for (what, counts) in [
            ("滞留人员未安置", &found.stranded_not_settled),
            ("督办事项超期未解决", &found.escalations_unresolved),
        ] {
            for count in counts {
                triggers.push(vec![
                    Cell::text(what),
                    Cell::text(&count.division),
                    Cell::text(named(&count.division, &count.name)),
                    Cell::count(count.count),
                ]);
            }
        }
    }
    vec![tasks, units, triggers]
}

/// A unit's alerts, newest first; `unit_name` names a unit id for people.
pub fn alerts(
    title: String,
    alerts: &[pb::Alert],
    unit_name: impl Fn(&str) -> String,
) -> Vec<Table> {
    let mut table = Table::new(
        title,
        &[
            "通知编号",
            "发出系统",
            "类型",
            "事项",
            "地区",
            "接收单位",
            "发出时间",
            "应签收时间",
            "签收时间",
            "督办的原通知",
            "是否逾期",
            "方案任务",
        ],
    );
    for alert in alerts {
        let recipient = alert
            .recipient
            .as_ref()
            .map(|recipient| unit_name(&recipient.unit))
            .unwrap_or_default();
        table.push(vec![
            Cell::text(&alert.notification_id),
            Cell::text(service_name(&alert.source_service)),
            Cell::text(&alert.kind),
            Cell::text(&alert.subject),
            Cell::text(division_name(&alert.division)),
            Cell::text(recipient),
            local_time(alert.issued_at.as_ref()),
            local_time(alert.acknowledge_by.as_ref()),
            local_time(alert.acknowledged_at.as_ref()),
            Cell::text(&alert.escalation_of),
            Cell::text(if alert.overdue { "是" } else { "否" }),
            Cell::text(&alert.task_id),
        ]);
    }
    vec![table]
}

/// The major situations, oldest first.
pub fn major(title: String, situations: &[pb::MajorSituation]) -> Vec<Table> {
    let mut table = Table::new(
        title,
        &[
            "编号",
            "类别",
            "地区",
            "区划代码",
            "案件编号",
            "事项",
            "发生时间",
            "依据事件",
        ],
    );
    for situation in situations {
        let kind = match pb::MajorSituationKind::try_from(situation.kind) {
            Ok(pb::MajorSituationKind::Death) => "死亡".to_owned(),
            Ok(pb::MajorSituationKind::Abuse) => "疑似受虐待".to_owned(),
            Ok(pb::MajorSituationKind::Missing) => "走失".to_owned(),
            Ok(pb::MajorSituationKind::EscalationUnresolved) => "督办超期未解决".to_owned(),
            Ok(pb::MajorSituationKind::Unspecified) | Err(_) => situation.kind.to_string(),
        };
        table.push(vec![
            Cell::text(&situation.situation_id),
            Cell::text(kind),
            Cell::text(division_name(&situation.division)),
            Cell::text(&situation.division),
            Cell::text(&situation.case_id),
            Cell::text(&situation.subject),
            local_time(situation.occurred_at.as_ref()),
            Cell::text(situation.sources.join("、")),
        ]);
    }
    vec![table]
}

/// The funds report: one row per area, money in yuan.
pub fn funds(title: String, response: &pb::GetFundsReportResponse) -> Vec<Table> {
    let mut table = Table::new(
        title,
        &[
            "地区",
            "医疗救治费用（元）",
            "其他救助费用（元）",
            "托养费用（元）",
            "合计（元）",
            "托养天数",
        ],
    );
    for row in &response.rows {
        let fen = |money: Option<relief_proto::common::v1::Money>| money.map_or(0, |m| m.fen);
        let (medical, other, foster) = (
            fen(row.medical_costs),
            fen(row.other_service_costs),
            fen(row.foster_fees),
        );
        table.push(vec![
            area_name(row.area.as_ref()),
            Cell::Money(medical),
            Cell::Money(other),
            Cell::Money(foster),
            Cell::Money(medical.saturating_add(other).saturating_add(foster)),
            Cell::count(row.foster_days_in_care),
        ]);
    }
    vec![table]
}

/// The three cells of a ratio: due, on time, the rate.
fn ratio(ratio: pb::Ratio) -> [Cell; 3] {
    [
        Cell::count(ratio.due),
        Cell::count(ratio.on_time),
        Cell::rate(ratio.on_time, ratio.due),
    ]
}

/// The cells of an origin county's repeat cases: code, name, count.
fn origin_cells(origin: &pb::OriginCount) -> Vec<Cell> {
    vec![
        Cell::text(&origin.origin_division),
        Cell::text(named(&origin.origin_division, &origin.name)),
        Cell::count(origin.repeat_cases),
    ]
}

/// The columns of a keyed figure: the known keys with their labels, then every other key some row
/// carries (sorted), labelled `prefix` + key.
fn keyed_columns<'a>(
    known: Vec<(String, String)>,
    rows: impl Iterator<Item = &'a std::collections::HashMap<String, i32>>,
    prefix: &str,
) -> Vec<(String, String)> {
    let extra: BTreeSet<&String> = rows
        .flat_map(|row| row.keys())
        .filter(|key| !known.iter().any(|(known, _)| known == *key))
        .collect();
    let extra: Vec<(String, String)> = extra
        .into_iter()
        .map(|key| (key.clone(), format!("{prefix}{key}")))
        .collect();
    known.into_iter().chain(extra).collect()
}

/// The area's name (or its code, or nothing).
fn area_name(area: Option<&pb::Area>) -> Cell {
    Cell::text(area.map_or_else(String::new, |area| named(&area.division, &area.name)))
}

/// `name` if the answer gave one, else the division's name from the table.
fn named(division: &str, name: &str) -> String {
    if name.is_empty() {
        division_name(division)
    } else {
        name.to_owned()
    }
}

/// A division's name as rows name it (211100: the city station, 市本级); empty for none.
fn division_name(division: &str) -> String {
    if division.is_empty() {
        String::new()
    } else {
        areas::area(division).name
    }
}

/// The plan role of a unit in a task.
fn role(role: i32) -> &'static str {
    match pb::TaskRole::try_from(role) {
        Ok(pb::TaskRole::Lead) => "牵头",
        Ok(pb::TaskRole::Responsible) => "责任",
        Ok(pb::TaskRole::Cooperating) => "配合",
        Ok(pb::TaskRole::Unspecified) | Err(_) => "",
    }
}

/// The system that issued an alert, for people.
fn service_name(service: &str) -> String {
    match service {
        "intake" => "发现救助".to_owned(),
        "identity" => "身份查询".to_owned(),
        "foster" => "托养监管".to_owned(),
        "reporting" => "统计报表".to_owned(),
        other => other.to_owned(),
    }
}

/// An instant as local (Asia/Shanghai) `YYYY-MM-DD HH:MM`; empty when unset.
pub fn local_time(timestamp: Option<&prost_types::Timestamp>) -> Cell {
    let instant = timestamp.and_then(|timestamp| {
        DateTime::from_timestamp(
            timestamp.seconds,
            u32::try_from(timestamp.nanos).unwrap_or(0),
        )
    });
    match instant {
        Some(instant) => Cell::text(
            instant
                .with_timezone(&relief_legal::china())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ),
        None => Cell::Empty,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use relief_proto::common::v1::{Money, UnitRef};

    use super::*;

    fn area(kind: pb::AreaKind, division: &str, name: &str) -> Option<pb::Area> {
        Some(pb::Area {
            kind: kind as i32,
            division: division.to_owned(),
            name: name.to_owned(),
        })
    }

    fn column(table: &Table, header: &str) -> usize {
        table
            .headers
            .iter()
            .position(|candidate| candidate == header)
            .unwrap_or_else(|| panic!("no column {header} in {:?}", table.headers))
    }

    /// A statistics answer of one county and the city, built by hand.
    pub fn statistics_response() -> pb::GetPeriodStatisticsResponse {
        let row = |area, sightings, minors, on_time| pb::PeriodStatisticsRow {
            area,
            sightings,
            encounters_by_outcome: HashMap::from([
                ("ENCOUNTER_OUTCOME_ESCORTED".to_owned(), 3),
                ("ENCOUNTER_OUTCOME_FUTURE".to_owned(), 1),
            ]),
            admissions: Some(pb::AdmissionCounts {
                total: 5,
                minor: minors,
                ..Default::default()
            }),
            identifications_by_method: HashMap::from([("AT_ADMISSION".to_owned(), 2)]),
            compliance: Some(pb::Compliance {
                police_answers: Some(pb::Ratio { on_time, due: 4 }),
                police_answer_median_days: 2.5,
                ..Default::default()
            }),
            ..Default::default()
        };
        pb::GetPeriodStatisticsResponse {
            period: None,
            rows: vec![
                row(area(pb::AreaKind::County, "211103", "兴隆台区"), 7, 1, 3),
                row(area(pb::AreaKind::City, "211100", "盘锦市"), 9, 2, 4),
            ],
            repeat_vagrancy_by_origin: vec![pb::OriginCount {
                origin_division: "211104".to_owned(),
                name: String::new(),
                repeat_cases: 2,
            }],
        }
    }

    #[test]
    fn statistics_have_a_column_per_figure_and_keep_unknown_keys() {
        let tables = statistics("统计报表".to_owned(), &statistics_response());
        let table = &tables[0];
        assert_eq!(table.headers[0], "地区");
        assert_eq!(table.rows.len(), 2);
        for row in &table.rows {
            assert_eq!(row.len(), table.headers.len());
        }
        let xlt = &table.rows[0];
        assert_eq!(xlt[0], Cell::text("兴隆台区"));
        assert_eq!(xlt[column(table, "发现报告数")], Cell::Count(7));
        assert_eq!(xlt[column(table, "护送入站")], Cell::Count(3));
        assert_eq!(xlt[column(table, "街面告知求助")], Cell::Count(0));
        assert_eq!(
            xlt[column(table, "街面救助：ENCOUNTER_OUTCOME_FUTURE")],
            Cell::Count(1)
        );
        assert_eq!(xlt[column(table, "其中未成年人")], Cell::Count(1));
        assert_eq!(xlt[column(table, "身份查明：入站时已确认")], Cell::Count(2));
        assert_eq!(xlt[column(table, "警方按时反馈率")], Cell::Percent(0.75));
        assert_eq!(xlt[column(table, "警方反馈天数中位数")], Cell::Decimal(2.5));
        assert_eq!(xlt[column(table, "寻亲公告按时发布率")], Cell::Empty);
        assert_eq!(
            tables[1].rows,
            vec![vec![
                Cell::text("211104"),
                Cell::text("大洼区"),
                Cell::Count(2)
            ]]
        );
    }

    #[test]
    fn a_stale_dashboard_says_so_in_its_title() {
        let row = pb::DashboardRow {
            area: area(pb::AreaKind::County, "211103", "兴隆台区"),
            in_station: 4,
            notifications_overdue: 1,
            ..Default::default()
        };
        let mut response = pb::GetDashboardResponse {
            as_of: None,
            rows: vec![row],
            stale: false,
        };
        let tables = dashboard("实时概况".to_owned(), &response);
        assert_eq!(tables[0].title, "实时概况");
        let table = &tables[0];
        assert_eq!(table.rows[0][column(table, "在站人数")], Cell::Count(4));
        assert_eq!(
            table.rows[0][column(table, "其中逾期未签收")],
            Cell::Count(1)
        );
        response.stale = true;
        let tables = dashboard("实时概况".to_owned(), &response);
        assert_eq!(tables[0].title, format!("实时概况{STALE_NOTE}"));
    }

    #[test]
    fn funds_are_money_with_a_total() {
        let money = |fen| Some(Money { fen });
        let tables = funds(
            "资金报表".to_owned(),
            &pb::GetFundsReportResponse {
                period: None,
                rows: vec![pb::FundsRow {
                    area: area(pb::AreaKind::CityStation, "211100", "市本级"),
                    medical_costs: money(10_050),
                    other_service_costs: money(1),
                    foster_fees: None,
                    foster_days_in_care: 30,
                }],
            },
        );
        assert_eq!(
            tables[0].rows[0],
            vec![
                Cell::text("市本级"),
                Cell::Money(10_050),
                Cell::Money(1),
                Cell::Money(0),
                Cell::Money(10_051),
                Cell::Count(30),
            ]
        );
    }

    #[test]
    fn alerts_and_major_situations_show_local_times_and_names() {
        let at = Some(prost_types::Timestamp {
            seconds: 1_773_561_600, // 2026-03-15 08:00 UTC
            nanos: 0,
        });
        let tables = alerts(
            "预警通知".to_owned(),
            &[pb::Alert {
                notification_id: "n1".to_owned(),
                source_service: "identity".to_owned(),
                kind: "VERIFICATION_OVERDUE".to_owned(),
                division: "211103".to_owned(),
                recipient: Some(UnitRef {
                    unit: "city-civil-affairs".to_owned(),
                    ..Default::default()
                }),
                issued_at: at,
                overdue: true,
                ..Default::default()
            }],
            |unit| format!("<{unit}>"),
        );
        let row = &tables[0].rows[0];
        assert_eq!(row[1], Cell::text("身份查询"));
        assert_eq!(row[4], Cell::text("兴隆台区"));
        assert_eq!(row[5], Cell::text("<city-civil-affairs>"));
        assert_eq!(row[6], Cell::text("2026-03-15 16:00"));
        assert_eq!(row[8], Cell::Empty);
        assert_eq!(row[10], Cell::text("是"));

        let tables = major(
            "重大情况".to_owned(),
            &[pb::MajorSituation {
                kind: pb::MajorSituationKind::Death as i32,
                division: "211100".to_owned(),
                occurred_at: at,
                ..Default::default()
            }],
        );
        let row = &tables[0].rows[0];
        assert_eq!(row[1], Cell::text("死亡"));
        assert_eq!(row[2], Cell::text("市本级"));
    }

    #[test]
    fn accountability_lists_tasks_unit_items_and_triggers() {
        let response = pb::GetAccountabilityReportResponse {
            tasks: vec![pb::PlanTask {
                task_id: "2.4.3".to_owned(),
                lead_units: vec!["市民政局".to_owned(), "市公安局".to_owned()],
                ..Default::default()
            }],
            units: vec![pb::UnitAccountability {
                plan_unit: "市公安局".to_owned(),
                units: vec![UnitRef {
                    unit: "city-police-bureau".to_owned(),
                    ..Default::default()
                }],
                tasks: vec![pb::UnitTaskItems {
                    task_id: "2.4.3".to_owned(),
                    role: pb::TaskRole::Lead as i32,
                    overdue_open: 2,
                    done_late: 1,
                    overdue_open_by_kind: HashMap::from([("VERIFICATION_ANSWER".to_owned(), 2)]),
                }],
            }],
            triggers: Some(pb::AccountabilityTriggers {
                repeat_vagrancy_threshold: 3,
                stranded_not_settled: vec![pb::DivisionCount {
                    division: "211102".to_owned(),
                    name: String::new(),
                    count: 4,
                }],
                ..Default::default()
            }),
        };
        let tables = accountability("责任体系".to_owned(), &response);
        assert_eq!(tables[0].rows[0][3], Cell::text("市民政局、市公安局"));
        assert_eq!(
            tables[1].rows[0],
            vec![
                Cell::text("市公安局"),
                Cell::text("city-police-bureau"),
                Cell::text("2.4.3"),
                Cell::text("牵头"),
                Cell::Count(2),
                Cell::Count(1),
                Cell::text("VERIFICATION_ANSWER：2"),
            ]
        );
        assert_eq!(
            tables[2].rows[0],
            vec![
                Cell::text("滞留人员未安置"),
                Cell::text("211102"),
                Cell::text("双台子区"),
                Cell::Count(4),
            ]
        );
    }
}
