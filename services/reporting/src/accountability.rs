//! The accountability data (责任体系, DOMAIN.md section 4, plan §三(四)): the numbered tasks of the
//! Panjin plan with their lead, responsible and cooperating units (牵头单位 / 责任单位 / 配合单位) as
//! the plan writes them, which units of `units.toml` each plan unit stands for, the task of every
//! deadline kind and notification kind the services use, and the two thresholds of the plan's
//! accountability triggers.
//!
//! The data is `deploy/accountability.toml`, embedded in the binary and checked when it loads
//! ([`Accountability::from_toml_str`]): unique task ids, every unit name of a task listed under
//! `[plan_units]` (and every plan unit named by a task), every mapping naming a known task, every
//! `late`/`done` event an event message of relief-proto. [`Accountability::embedded`] parses it
//! once. The tests fail when a deadline kind or notification kind of intake, identity, foster or
//! the runtime is not mapped, or when the file maps a kind no service has.
//!
//! Two kinds take the task of another notification ([`TaskOf`]): the runtime's acknowledgement
//! deadline (`notification.ack`) that of the notification it watches, and the escalation
//! notification (`NOTIFICATION_UNACKNOWLEDGED`) that of the notification it escalates.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use prost::Message;
use relief_runtime::units::Units;
use serde::Deserialize;

/// The shipped file, `deploy/accountability.toml`.
pub const EMBEDDED: &str = include_str!("../../../deploy/accountability.toml");

/// Why an accountability file was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountabilityError {
    /// The TOML does not have the expected shape (unknown keys, a wrong `task_of`, a duplicate
    /// kind key, a missing field).
    #[error("accountability file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// Two tasks have the same id.
    #[error("task {0:?} is listed twice")]
    DuplicateTask(String),
    /// A task has an empty id, section or title.
    #[error("task {id:?}: {problem}")]
    InvalidTask {
        /// The task's id.
        id: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A task names a unit that `[plan_units]` does not list.
    #[error("task {task:?} names {unit:?}, which [plan_units] does not list")]
    UnknownPlanUnit {
        /// The task's id.
        task: String,
        /// The plan's unit name.
        unit: String,
    },
    /// `[plan_units]` lists a unit name no task names (a stale entry).
    #[error("plan unit {0:?} is named by no task")]
    UnusedPlanUnit(String),
    /// A unit id is listed twice across the plan units' `city` and `own_division` lists of one
    /// plan unit.
    #[error("plan unit {plan_unit:?} lists unit {unit:?} twice")]
    DuplicateUnit {
        /// The plan's unit name.
        plan_unit: String,
        /// The unit id.
        unit: String,
    },
    /// A deadline or notification kind maps to a task id that is not in `tasks`.
    #[error("{table} kind {kind:?} maps to unknown task {task:?}")]
    UnknownTask {
        /// `deadlines` or `notifications`.
        table: &'static str,
        /// The kind.
        kind: String,
        /// The task id it names.
        task: String,
    },
    /// A kind gives both `task` and `task_of`, or neither.
    #[error("{table} kind {kind:?} must give exactly one of `task` and `task_of`")]
    TaskChoice {
        /// `deadlines` or `notifications`.
        table: &'static str,
        /// The kind.
        kind: String,
    },
    /// A `late` or `done` event of a deadline kind is not an event message of relief-proto.
    #[error(
        "deadline kind {kind:?}: {event:?} is not an event of relief-proto (full name expected)"
    )]
    UnknownEvent {
        /// The deadline kind.
        kind: String,
        /// The name given.
        event: String,
    },
    /// A threshold is zero.
    #[error("{0} must be at least 1")]
    ZeroThreshold(&'static str),
}

/// The role a plan unit has in a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskRole {
    /// 牵头单位.
    Lead,
    /// 责任单位.
    Responsible,
    /// 配合单位.
    Cooperating,
}

impl TaskRole {
    /// The plan's word for the role, for report headers.
    pub fn name_zh(self) -> &'static str {
        match self {
            TaskRole::Lead => "牵头单位",
            TaskRole::Responsible => "责任单位",
            TaskRole::Cooperating => "配合单位",
        }
    }
}

/// One numbered task of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// ASCII id: `2.1.1` for 二(一)1, `3.4` for 三(四).
    pub id: String,
    /// The plan's numbering, e.g. `二(一)1`.
    pub section: String,
    /// The plan's title of the task, verbatim.
    pub title: String,
    /// 牵头单位, the plan's unit names in its order (empty where the plan has no such line).
    pub lead: Vec<String>,
    /// 责任单位, likewise.
    pub responsible: Vec<String>,
    /// 配合单位, likewise.
    pub cooperating: Vec<String>,
}

impl Task {
    /// Every plan unit the task names, with its role, in the plan's order (lead, responsible,
    /// cooperating).
    pub fn plan_units(&self) -> impl Iterator<Item = (&str, TaskRole)> {
        named(&self.lead, TaskRole::Lead)
            .chain(named(&self.responsible, TaskRole::Responsible))
            .chain(named(&self.cooperating, TaskRole::Cooperating))
    }

    /// The role of plan unit `name` in this task, if the task names it.
    pub fn role_of(&self, name: &str) -> Option<TaskRole> {
        self.plan_units()
            .find(|(unit, _)| *unit == name)
            .map(|(_, role)| role)
    }
}

/// The names of one role's list, with the role.
fn named(names: &[String], role: TaskRole) -> impl Iterator<Item = (&str, TaskRole)> {
    names.iter().map(move |name| (name.as_str(), role))
}

/// Which late items a unit of a plan unit sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Those of every division (city bureaus).
    City,
    /// Those of the unit's own division (`units.toml` `division`): county bodies, district
    /// police branches, the city station for 市本级.
    OwnDivision,
}

/// A unit name of the plan (市民政局, 各县区, …) and the units of `units.toml` it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanUnit {
    /// The plan's name, verbatim.
    pub name: String,
    /// Unit ids that see the late items of the plan unit's tasks in every division.
    pub city: Vec<String>,
    /// Unit ids that see them in their own division only.
    pub own_division: Vec<String>,
}

impl PlanUnit {
    /// Every unit id with its reach: `city` first, then `own_division`, each in file order. Empty
    /// for a plan unit no unit of the system stands for (市政法委).
    pub fn units(&self) -> impl Iterator<Item = (&str, Reach)> {
        self.city.iter().map(|id| (id.as_str(), Reach::City)).chain(
            self.own_division
                .iter()
                .map(|id| (id.as_str(), Reach::OwnDivision)),
        )
    }

    /// The reach of unit `unit_id` as a member of this plan unit, if it is one.
    pub fn reach_of(&self, unit_id: &str) -> Option<Reach> {
        self.units()
            .find(|(id, _)| *id == unit_id)
            .map(|(_, reach)| reach)
    }
}

/// The task a kind belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOf<'a> {
    /// Always this task.
    Task(&'a Task),
    /// `notification.ack`: the task of the notification whose acknowledgement the deadline
    /// watches (its subject is `notification/<id>`); look that notification's kind up with
    /// [`Accountability::task_of_notification`].
    WatchedNotification,
    /// `NOTIFICATION_UNACKNOWLEDGED`: the task of the notification it escalates
    /// (`escalation_of`); look that notification's kind up the same way.
    EscalatedNotification,
}

/// What the file says about one deadline kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRule {
    /// The kind, as scheduled (e.g. `foster.visit`).
    pub kind: String,
    /// Its task: a task id, or `None` for the task of the watched notification.
    task: Option<String>,
    /// Full protobuf names of the events that raise a late item of this kind (empty: the kind
    /// raises none, e.g. a reminder or a status).
    pub late: Vec<String>,
    /// Full protobuf names of the events that complete the obligation (an open item is then done
    /// late).
    pub done: Vec<String>,
}

/// What the file says about one notification kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRule {
    /// The kind, as issued (e.g. `VISIT_OVERDUE`).
    pub kind: String,
    /// Its task: a task id, or `None` for the task of the escalated notification.
    task: Option<String>,
    /// Whether it reports a missed obligation (counts for "escalations left unresolved").
    pub escalation: bool,
}

/// The loaded accountability data.
#[derive(Debug, Clone)]
pub struct Accountability {
    source: String,
    repeat_vagrancy_threshold: u32,
    escalation_unresolved_days: u32,
    tasks: Vec<Task>,
    plan_units: Vec<PlanUnit>,
    deadlines: BTreeMap<String, DeadlineRule>,
    notifications: BTreeMap<String, NotificationRule>,
}

impl Accountability {
    /// The shipped file, parsed and checked once. Its validity is a test of this crate, so a
    /// failure here is a build with a broken file.
    pub fn embedded() -> &'static Accountability {
        static EMBEDDED_DATA: OnceLock<Accountability> = OnceLock::new();
        EMBEDDED_DATA.get_or_init(|| {
            Accountability::from_toml_str(EMBEDDED)
                .expect("deploy/accountability.toml is valid (tested in relief-reporting)")
        })
    }

    /// Parses and checks an accountability file.
    pub fn from_toml_str(text: &str) -> Result<Self, AccountabilityError> {
        let file: File = toml::from_str(text)?;
        let tasks = check_tasks(file.tasks)?;
        let task_ids: BTreeSet<&str> = tasks.iter().map(|task| task.id.as_str()).collect();
        let plan_units = check_plan_units(&tasks, file.plan_units)?;
        if file.repeat_vagrancy_threshold == 0 {
            return Err(AccountabilityError::ZeroThreshold(
                "repeat_vagrancy_threshold",
            ));
        }
        if file.escalation_unresolved_days == 0 {
            return Err(AccountabilityError::ZeroThreshold(
                "escalation_unresolved_days",
            ));
        }
        let events = event_names();
        let mut deadlines = BTreeMap::new();
        for (kind, entry) in file.deadlines {
            let task = choose_task(
                "deadlines",
                &kind,
                entry.task,
                entry.task_of.is_some(),
                &task_ids,
            )?;
            if let Some(event) = entry
                .late
                .iter()
                .chain(&entry.done)
                .find(|event| !events.contains(event.as_str()))
            {
                return Err(AccountabilityError::UnknownEvent {
                    kind,
                    event: event.clone(),
                });
            }
            let rule = DeadlineRule {
                kind: kind.clone(),
                task,
                late: entry.late,
                done: entry.done,
            };
            deadlines.insert(kind, rule);
        }
        let mut notifications = BTreeMap::new();
        for (kind, entry) in file.notifications {
            let task = choose_task(
                "notifications",
                &kind,
                entry.task,
                entry.task_of.is_some(),
                &task_ids,
            )?;
            let rule = NotificationRule {
                kind: kind.clone(),
                task,
                escalation: entry.escalation,
            };
            notifications.insert(kind, rule);
        }
        Ok(Accountability {
            source: file.source,
            repeat_vagrancy_threshold: file.repeat_vagrancy_threshold,
            escalation_unresolved_days: file.escalation_unresolved_days,
            tasks,
            plan_units,
            deadlines,
            notifications,
        })
    }

    /// The title of the plan the tasks come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Repeat cases per origin county per calendar year from which the county is listed under
    /// the trigger "较多受助人员多次重复流浪" [product].
    pub fn repeat_vagrancy_threshold(&self) -> u32 {
        self.repeat_vagrancy_threshold
    }

    /// Days an escalation notification stays unacknowledged before it counts as unresolved (a
    /// trigger and a major situation) [product].
    pub fn escalation_unresolved_days(&self) -> u32 {
        self.escalation_unresolved_days
    }

    /// Every task, in the plan's order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The task with id `id` (e.g. `2.4.3`).
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|task| task.id == id)
    }

    /// Every plan unit, in file order.
    pub fn plan_units(&self) -> &[PlanUnit] {
        &self.plan_units
    }

    /// The plan unit named `name` (e.g. `市公安局`).
    pub fn plan_unit(&self, name: &str) -> Option<&PlanUnit> {
        self.plan_units.iter().find(|unit| unit.name == name)
    }

    /// The plan units unit `unit_id` belongs to, with its reach in each.
    pub fn plan_units_of(&self, unit_id: &str) -> impl Iterator<Item = (&PlanUnit, Reach)> {
        self.plan_units
            .iter()
            .filter_map(move |plan_unit| Some((plan_unit, plan_unit.reach_of(unit_id)?)))
    }

    /// The unit ids of `[plan_units]` that `units` does not list (a deployment whose units file
    /// differs from the shipped one), each once, sorted.
    pub fn unknown_units(&self, units: &Units) -> Vec<&str> {
        self.plan_units
            .iter()
            .flat_map(PlanUnit::units)
            .map(|(id, _)| id)
            .filter(|id| units.get(id).is_none())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The rule of deadline kind `kind` (task, late and done events).
    pub fn deadline(&self, kind: &str) -> Option<&DeadlineRule> {
        self.deadlines.get(kind)
    }

    /// Every deadline kind the file maps, sorted.
    pub fn deadline_kinds(&self) -> impl Iterator<Item = &str> {
        self.deadlines.keys().map(String::as_str)
    }

    /// The task of deadline kind `kind`; `None` for a kind the file does not map.
    pub fn task_of_deadline(&self, kind: &str) -> Option<TaskOf<'_>> {
        let rule = self.deadlines.get(kind)?;
        Some(match &rule.task {
            Some(id) => TaskOf::Task(self.task(id)?),
            None => TaskOf::WatchedNotification,
        })
    }

    /// The rule of notification kind `kind` (task, escalation).
    pub fn notification(&self, kind: &str) -> Option<&NotificationRule> {
        self.notifications.get(kind)
    }

    /// Every notification kind the file maps, sorted.
    pub fn notification_kinds(&self) -> impl Iterator<Item = &str> {
        self.notifications.keys().map(String::as_str)
    }

    /// The task of notification kind `kind`; `None` for a kind the file does not map.
    pub fn task_of_notification(&self, kind: &str) -> Option<TaskOf<'_>> {
        let rule = self.notifications.get(kind)?;
        Some(match &rule.task {
            Some(id) => TaskOf::Task(self.task(id)?),
            None => TaskOf::EscalatedNotification,
        })
    }

    /// The SQL condition (over `r_notifications` aliased `alias`) of a notification that counts as
    /// an escalation for "escalations left unresolved": an original notification of a kind marked
    /// `escalation = true` (a missed obligation: VISIT_OVERDUE, FOLLOW_UP_OVERDUE, …), or the
    /// runtime's escalation of a notification whose own kind is not marked (so one missed
    /// obligation counts once, not again when its notification escalates). The kinds come from
    /// the embedded file and are inlined; any kind that is not `[A-Z0-9_]+` is left out.
    pub fn escalation_condition(&self, alias: &str) -> String {
        let marked: Vec<String> = self
            .notifications
            .values()
            .filter(|rule| rule.escalation && rule.task.is_some())
            .map(|rule| rule.kind.as_str())
            .filter(|kind| {
                !kind.is_empty()
                    && kind
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|kind| format!("'{kind}'"))
            .collect();
        let marked = if marked.is_empty() {
            "''".to_owned()
        } else {
            marked.join(", ")
        };
        format!(
            "((({alias}.escalation_of IS NULL OR {alias}.escalation_of = '') \
               AND {alias}.kind IN ({marked})) \
             OR ({alias}.escalation_of IS NOT NULL AND {alias}.escalation_of <> '' \
               AND NOT EXISTS (SELECT 1 FROM r_notifications original \
                 WHERE original.notification_id = {alias}.escalation_of \
                   AND original.kind IN ({marked}))))"
        )
    }

    /// Whether notification kind `kind` reports a missed obligation (false for a kind the file
    /// does not map).
    pub fn is_escalation(&self, kind: &str) -> bool {
        self.notifications
            .get(kind)
            .is_some_and(|rule| rule.escalation)
    }
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    source: String,
    repeat_vagrancy_threshold: u32,
    escalation_unresolved_days: u32,
    tasks: Vec<Task>,
    plan_units: BTreeMap<String, PlanUnitEntry>,
    deadlines: BTreeMap<String, DeadlineEntry>,
    notifications: BTreeMap<String, NotificationEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanUnitEntry {
    #[serde(default)]
    city: Vec<String>,
    #[serde(default)]
    own_division: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlineEntry {
    task: Option<String>,
    task_of: Option<DeadlineTaskOf>,
    late: Vec<String>,
    done: Vec<String>,
}

/// The one redirect a deadline kind may use.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum DeadlineTaskOf {
    WatchedNotification,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationEntry {
    task: Option<String>,
    task_of: Option<NotificationTaskOf>,
    #[serde(default)]
    escalation: bool,
}

/// The one redirect a notification kind may use.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum NotificationTaskOf {
    EscalatedNotification,
}

/// The tasks in file order: unique ids, no empty id, section or title.
fn check_tasks(tasks: Vec<Task>) -> Result<Vec<Task>, AccountabilityError> {
    let mut seen = BTreeSet::new();
    for task in &tasks {
        let invalid = |problem| AccountabilityError::InvalidTask {
            id: task.id.clone(),
            problem,
        };
        if task.id.trim().is_empty() {
            return Err(invalid("id must not be empty"));
        }
        if task.section.trim().is_empty() {
            return Err(invalid("section must not be empty"));
        }
        if task.title.trim().is_empty() {
            return Err(invalid("title must not be empty"));
        }
        if !seen.insert(task.id.as_str()) {
            return Err(AccountabilityError::DuplicateTask(task.id.clone()));
        }
    }
    Ok(tasks)
}

/// The plan units, in the order the tasks first name them: each named by a task and listed,
/// each unit id once within a plan unit.
fn check_plan_units(
    tasks: &[Task],
    mut entries: BTreeMap<String, PlanUnitEntry>,
) -> Result<Vec<PlanUnit>, AccountabilityError> {
    let mut plan_units: Vec<PlanUnit> = Vec::new();
    for task in tasks {
        for (name, _) in task.plan_units() {
            if plan_units.iter().any(|unit| unit.name == name) {
                continue;
            }
            let entry =
                entries
                    .remove(name)
                    .ok_or_else(|| AccountabilityError::UnknownPlanUnit {
                        task: task.id.clone(),
                        unit: name.to_owned(),
                    })?;
            let mut ids = BTreeSet::new();
            if let Some(id) = entry
                .city
                .iter()
                .chain(&entry.own_division)
                .find(|id| !ids.insert(id.as_str()))
            {
                return Err(AccountabilityError::DuplicateUnit {
                    plan_unit: name.to_owned(),
                    unit: id.clone(),
                });
            }
            plan_units.push(PlanUnit {
                name: name.to_owned(),
                city: entry.city,
                own_division: entry.own_division,
            });
        }
    }
    match entries.into_keys().next() {
        Some(unused) => Err(AccountabilityError::UnusedPlanUnit(unused)),
        None => Ok(plan_units),
    }
}

/// The task id of a kind's entry (`None`: the redirect): exactly one of `task` and `task_of`,
/// and a known task.
fn choose_task(
    table: &'static str,
    kind: &str,
    task: Option<String>,
    redirect: bool,
    task_ids: &BTreeSet<&str>,
) -> Result<Option<String>, AccountabilityError> {
    match (task, redirect) {
        (Some(task), false) if task_ids.contains(task.as_str()) => Ok(Some(task)),
        (Some(task), false) => Err(AccountabilityError::UnknownTask {
            table,
            kind: kind.to_owned(),
            task,
        }),
        (None, true) => Ok(None),
        _ => Err(AccountabilityError::TaskChoice {
            table,
            kind: kind.to_owned(),
        }),
    }
}

/// The full names of the messages of relief-proto's `events.proto` files.
fn event_names() -> BTreeSet<String> {
    // The descriptor set is generated at build time; one that does not decode names no events,
    // so every `late`/`done` entry is refused loudly rather than accepted unchecked.
    let set = prost_types::FileDescriptorSet::decode(relief_proto::FILE_DESCRIPTOR_SET)
        .unwrap_or_default();
    set.file
        .iter()
        .filter(|file| file.name().ends_with("/events.proto"))
        .flat_map(|file| {
            file.message_type
                .iter()
                .map(move |message| format!("{}.{}", file.package(), message.name()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
