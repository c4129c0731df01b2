//! `GetAccountabilityReport`: the plan's numbered tasks with their units as written
//! (deploy/accountability.toml, [`crate::accountability`]); per unit of the plan, the tasks with
//! overdue or late items in its scope (r_late_items, by deadline kind); and the plan's
//! accountability triggers (§三(四)): repeat vagrancy by origin county, stranded people not settled,
//! escalations left unresolved.
//!
//! A plan unit whose units reach the whole city (市民政局, 市公安局, …) is one entry covering every
//! division in the caller's scope. 各县区 and any other plan unit whose units act in their own division
//! is one entry per division ("各县区（兴隆台区）"), covering that division only.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;
use relief_proto::reporting::v1 as pb;
use relief_runtime::db::Db;
use relief_runtime::notifications::unit_ref;
use relief_runtime::{ApiError, Caller, ServiceContext, with_db};

use crate::accountability::{Accountability, PlanUnit, Reach, TaskOf, TaskRole};
use crate::areas::{Scope, name_of};
use crate::time::{DayRange, micros, period_range};

/// `GetAccountabilityReport`.
pub async fn get(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::GetAccountabilityReportRequest,
) -> Result<pb::GetAccountabilityReportResponse, ApiError> {
    let range = period_range("period", request.period.as_ref())?;
    let scope = Scope::of(caller, &request.division)?;
    let data = Accountability::embedded();
    let items = late_items(&context.db, data, &range).await?;
    let units = data
        .plan_units()
        .iter()
        .flat_map(|plan_unit| entries(context, plan_unit, &scope))
        .filter_map(|entry| entry.report(data, &items))
        .collect();
    Ok(pb::GetAccountabilityReportResponse {
        tasks: data
            .tasks()
            .iter()
            .map(|task| pb::PlanTask {
                task_id: task.id.clone(),
                section: task.section.clone(),
                title: task.title.clone(),
                lead_units: task.lead.clone(),
                responsible_units: task.responsible.clone(),
                cooperating_units: task.cooperating.clone(),
                deadline_kinds: kinds_of_task(data, &task.id),
            })
            .collect(),
        units,
        triggers: Some(triggers(context, data, &scope, &range).await?),
    })
}

/// The deadline kinds mapped to task `task_id`.
fn kinds_of_task(data: &Accountability, task_id: &str) -> Vec<String> {
    data.deadline_kinds()
        .filter(|kind| {
            matches!(data.task_of_deadline(kind), Some(TaskOf::Task(task)) if task.id == task_id)
        })
        .map(str::to_owned)
        .collect()
}

/// Late items counted per (task, deadline kind, division).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    overdue_open: i64,
    done_late: i64,
}

/// The key of [`Counts`]: (task id, deadline kind, division).
type ItemKey = (String, String, String);

/// Every (task, deadline kind, division) with its open overdue items and the items done late in
/// `range`. A kind mapped to a task counts there; `notification.ack` (a late acknowledgement)
/// counts under the task of the notification it watches (`notification.ack:<id>` items joined to
/// that notification's kind).
async fn late_items(
    db: &Db,
    data: &Accountability,
    range: &DayRange,
) -> Result<HashMap<ItemKey, Counts>, ApiError> {
    let by_kind: Vec<(String, String, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT deadline_kind, division, \
               SUM(CASE WHEN done_at IS NULL AND withdrawn_at IS NULL THEN 1 ELSE 0 END), \
               SUM(CASE WHEN done_day >= $1 AND done_day <= $2 THEN 1 ELSE 0 END) \
             FROM r_late_items GROUP BY deadline_kind, division",
        )
        .bind(&range.first)
        .bind(&range.last)
        .fetch_all(pool)
        .await
    })?;
    let acknowledgements: Vec<(String, String, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT n.kind, i.division, \
               SUM(CASE WHEN i.done_at IS NULL AND i.withdrawn_at IS NULL THEN 1 ELSE 0 END), \
               SUM(CASE WHEN i.done_day >= $1 AND i.done_day <= $2 THEN 1 ELSE 0 END) \
             FROM r_late_items i JOIN r_notifications n \
               ON i.item_key = 'notification.ack:' || n.notification_id \
             WHERE i.deadline_kind = 'notification.ack' GROUP BY n.kind, i.division",
        )
        .bind(&range.first)
        .bind(&range.last)
        .fetch_all(pool)
        .await
    })?;
    let mut items: HashMap<ItemKey, Counts> = HashMap::new();
    let mut count = |task: &str, kind: &str, division: String, open: i64, late: i64| {
        let counts = items
            .entry((task.to_owned(), kind.to_owned(), division))
            .or_default();
        counts.overdue_open += open;
        counts.done_late += late;
    };
    for (kind, division, open, late) in by_kind {
        if let Some(TaskOf::Task(task)) = data.task_of_deadline(&kind) {
            count(&task.id, &kind, division, open, late);
        }
    }
    for (notification_kind, division, open, late) in acknowledgements {
        if let Some(TaskOf::Task(task)) = data.task_of_notification(&notification_kind) {
            count(&task.id, "notification.ack", division, open, late);
        }
    }
    Ok(items)
}

/// One entry of the report: a plan unit over some divisions.
struct Entry<'a> {
    plan_unit: &'a PlanUnit,
    label: String,
    units: Vec<relief_proto::common::v1::UnitRef>,
    divisions: Vec<&'static str>,
}

/// The entries of `plan_unit` in `scope`: one for its city-wide units over the whole scope, one per
/// division in scope for its own-division units. A plan unit no unit stands for (市政法委) has one
/// entry without units, so the report still names it.
fn entries<'a>(context: &ServiceContext, plan_unit: &'a PlanUnit, scope: &Scope) -> Vec<Entry<'a>> {
    let mut city = Vec::new();
    let mut by_division: BTreeMap<String, Vec<relief_proto::common::v1::UnitRef>> = BTreeMap::new();
    for (id, reach) in plan_unit.units() {
        let Some(unit) = context.units.get(id) else {
            continue;
        };
        let reference = unit_ref(&unit.caller());
        match reach {
            Reach::City => city.push(reference),
            Reach::OwnDivision => by_division
                .entry(unit.division.clone())
                .or_default()
                .push(reference),
        }
    }
    let mut entries = Vec::new();
    if !city.is_empty() || by_division.is_empty() {
        entries.push(Entry {
            plan_unit,
            label: plan_unit.name.clone(),
            units: city,
            divisions: scope.divisions.clone(),
        });
    }
    for division in &scope.divisions {
        if let Some(units) = by_division.remove(*division) {
            entries.push(Entry {
                plan_unit,
                label: format!("{}（{}）", plan_unit.name, row_name(division)),
                units,
                divisions: vec![*division],
            });
        }
    }
    entries
}

/// The name of a row's division (the city station's row is 市本级).
fn row_name(division: &str) -> String {
    crate::areas::area(division).name
}

impl Entry<'_> {
    /// The entry's tasks with overdue or late items; `None` if it has none.
    fn report(
        &self,
        data: &Accountability,
        items: &HashMap<ItemKey, Counts>,
    ) -> Option<pb::UnitAccountability> {
        let tasks: Vec<pb::UnitTaskItems> = data
            .tasks()
            .iter()
            .filter_map(|task| {
                let role = task.role_of(&self.plan_unit.name)?;
                let mut by_kind = HashMap::new();
                let mut done_late = 0;
                for ((task_id, kind, division), counts) in items {
                    if *task_id != task.id || !self.divisions.contains(&division.as_str()) {
                        continue;
                    }
                    if counts.overdue_open > 0 {
                        *by_kind.entry(kind.clone()).or_insert(0) += counts.overdue_open as i32;
                    }
                    done_late += counts.done_late as i32;
                }
                let overdue_open: i32 = by_kind.values().sum();
                (overdue_open > 0 || done_late > 0).then(|| pb::UnitTaskItems {
                    task_id: task.id.clone(),
                    role: proto_role(role) as i32,
                    overdue_open,
                    done_late,
                    overdue_open_by_kind: by_kind,
                })
            })
            .collect();
        (!tasks.is_empty()).then(|| pb::UnitAccountability {
            plan_unit: self.label.clone(),
            units: self.units.clone(),
            tasks,
        })
    }
}

fn proto_role(role: TaskRole) -> pb::TaskRole {
    match role {
        TaskRole::Lead => pb::TaskRole::Lead,
        TaskRole::Responsible => pb::TaskRole::Responsible,
        TaskRole::Cooperating => pb::TaskRole::Cooperating,
    }
}

/// The plan's triggers in `scope`.
async fn triggers(
    context: &ServiceContext,
    data: &Accountability,
    scope: &Scope,
    range: &DayRange,
) -> Result<pb::AccountabilityTriggers, ApiError> {
    let threshold = i64::from(data.repeat_vagrancy_threshold());
    // The threshold counts repeats per calendar year: from the year's first day to the period's
    // last, so a monthly report lists a county once its year so far reaches it.
    let year_start = format!("{}-01-01", &range.last[..4]);
    let repeats: Vec<(String, String, i64)> = with_db!(&context.db, |pool| {
        sqlx::query_as(
            "SELECT division, dim, CAST(SUM(value) AS BIGINT) FROM r_daily \
             WHERE metric = 'repeat' AND day >= $1 AND day <= $2 GROUP BY division, dim",
        )
        .bind(&year_start)
        .bind(&range.last)
        .fetch_all(pool)
        .await
    })?;
    let mut by_origin: BTreeMap<String, i64> = BTreeMap::new();
    for (division, origin, count) in repeats {
        if scope.contains(&division) && !origin.is_empty() {
            *by_origin.entry(origin).or_insert(0) += count;
        }
    }
    let mut repeat_vagrancy: Vec<pb::OriginCount> = by_origin
        .into_iter()
        .filter(|(_, count)| *count >= threshold)
        .map(|(origin, count)| pb::OriginCount {
            name: name_of(&origin),
            origin_division: origin,
            repeat_cases: count as i32,
        })
        .collect();
    repeat_vagrancy.sort_by_key(|origin| std::cmp::Reverse(origin.repeat_cases));

    let stranded: Vec<(String, i64)> = with_db!(&context.db, |pool| {
        sqlx::query_as(
            "SELECT division, COUNT(*) FROM r_identity_files \
             WHERE stranded_since IS NOT NULL AND confirmed_at IS NULL AND closed_at IS NULL \
               AND settlement_approved_at IS NULL \
             GROUP BY division",
        )
        .fetch_all(pool)
        .await
    })?;
    let unresolved_before =
        context.clock.now() - Duration::days(i64::from(data.escalation_unresolved_days()));
    let sql = format!(
        "SELECT division, COUNT(*) FROM (\
           SELECT DISTINCT n.division, n.source_service, n.kind, n.subject, n.issued_at \
           FROM r_notifications n \
           WHERE {} AND n.acknowledged_at IS NULL AND n.issued_at <= $1\
         ) AS unresolved GROUP BY division",
        data.escalation_condition("n")
    );
    let escalations: Vec<(String, i64)> = with_db!(&context.db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(micros(unresolved_before))
            .fetch_all(pool)
            .await
    })?;
    Ok(pb::AccountabilityTriggers {
        repeat_vagrancy,
        stranded_not_settled: division_counts(scope, stranded),
        escalations_unresolved: division_counts(scope, escalations),
        repeat_vagrancy_threshold: threshold as i32,
    })
}

/// The non-zero counts of the divisions in `scope`, in report order.
fn division_counts(scope: &Scope, counts: Vec<(String, i64)>) -> Vec<pb::DivisionCount> {
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    scope
        .divisions
        .iter()
        .filter_map(|division| {
            let count = *counts.get(*division)?;
            (count > 0).then(|| pb::DivisionCount {
                division: (*division).to_owned(),
                name: row_name(division),
                count: count as i32,
            })
        })
        .collect()
}
