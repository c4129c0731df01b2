//! Tests of the accountability data: the shipped file against units.toml and against the deadline
//! and notification kinds of intake, identity, foster and the runtime (listed by the services,
//! and read from their sources); the loader's refusals.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use relief_runtime::notifications::{ACK_DEADLINE_KIND, ESCALATION_KIND};
use relief_runtime::units::Units;

use super::*;

const SHIPPED_UNITS: &str = include_str!("../../../../deploy/units.toml");

/// Every deadline kind scheduled anywhere: by the three services and by the runtime.
fn scheduled_kinds() -> BTreeSet<&'static str> {
    relief_intake::deadline_kinds()
        .into_iter()
        .chain(relief_identity::deadline_kinds())
        .chain(relief_foster::deadline_kinds())
        .chain([ACK_DEADLINE_KIND])
        .collect()
}

/// Every notification kind issued anywhere: by the three services and by the runtime.
fn issued_kinds() -> BTreeSet<&'static str> {
    relief_intake::NOTIFICATION_KINDS
        .iter()
        .chain(relief_identity::NOTIFICATION_KINDS)
        .chain(relief_foster::NOTIFICATION_KINDS)
        .copied()
        .chain([ESCALATION_KIND])
        .collect()
}

#[test]
fn each_service_lists_each_kind_once() {
    for (service, deadlines, notifications) in [
        (
            "intake",
            relief_intake::deadline_kinds(),
            relief_intake::NOTIFICATION_KINDS,
        ),
        (
            "identity",
            relief_identity::deadline_kinds(),
            relief_identity::NOTIFICATION_KINDS,
        ),
        (
            "foster",
            relief_foster::deadline_kinds(),
            relief_foster::NOTIFICATION_KINDS,
        ),
    ] {
        let distinct: BTreeSet<&str> = deadlines.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            deadlines.len(),
            "{service}: a deadline kind twice"
        );
        let distinct: BTreeSet<&str> = notifications.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            notifications.len(),
            "{service}: a notification kind twice"
        );
    }
}

#[test]
fn the_shipped_file_lists_the_18_numbered_tasks_of_the_plan_in_order() {
    let data = Accountability::embedded();
    let ids: Vec<&str> = data.tasks().iter().map(|task| task.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.2.1", "2.2.2", "2.3.1", "2.3.2", "2.4.1",
            "2.4.2", "2.4.3", "2.4.4", "2.5.1", "2.5.2", "3.1", "3.2", "3.3", "3.4"
        ]
    );
    let task = data.task("2.4.2").expect("二(四)2");
    assert_eq!(task.section, "二(四)2");
    assert_eq!(task.title, "明确街面巡查和转介处置工作任务");
    assert_eq!(
        task.lead,
        ["市公安局", "市城市管理综合行政执法局", "各县区"]
    );
    assert!(task.responsible.is_empty());
    assert_eq!(task.role_of("市卫健委"), Some(TaskRole::Cooperating));
    assert_eq!(task.role_of("市财政局"), None);
    let last = data.task("3.4").expect("三(四)");
    assert_eq!(
        last.plan_units().collect::<Vec<_>>(),
        [
            ("市民政局", TaskRole::Responsible),
            ("各县区", TaskRole::Responsible)
        ]
    );
    assert_eq!(
        data.source(),
        "盘锦市关于加强和改进生活无着的流浪乞讨人员救助管理工作的实施方案"
    );
    assert_eq!(data.repeat_vagrancy_threshold(), 3);
    assert_eq!(data.escalation_unresolved_days(), 7);
}

#[test]
fn every_unit_id_of_the_plan_units_is_in_the_shipped_units_file() {
    let data = Accountability::embedded();
    let units = Units::from_toml_str(SHIPPED_UNITS).expect("shipped units.toml");
    assert_eq!(data.unknown_units(&units), Vec::<&str>::new());
    // 市政法委 is no unit of the system: listed in its task, it never sees items.
    let committee = data.plan_unit("市政法委").expect("三(一) names it");
    assert_eq!(committee.units().count(), 0);
    // A deployment whose units file lacks them is told which.
    let one = Units::from_toml_str(
        r#"
        [[units]]
        id = "city-civil-affairs"
        kind = "civil-affairs"
        division = "211100"
        name = "盘锦市民政局"
        "#,
    )
    .expect("one unit");
    let unknown = data.unknown_units(&one);
    assert!(unknown.contains(&"city-hrss") && unknown.contains(&"ps-station"));
    assert!(!unknown.contains(&"city-civil-affairs"));
}

#[test]
fn a_unit_belongs_to_its_plan_units_with_its_reach() {
    let data = Accountability::embedded();
    let of = |unit: &str| -> Vec<(String, Reach)> {
        data.plan_units_of(unit)
            .map(|(plan_unit, reach)| (plan_unit.name.clone(), reach))
            .collect()
    };
    assert_eq!(
        of("city-civil-affairs"),
        [("市民政局".to_owned(), Reach::City)]
    );
    assert_eq!(
        of("city-station"),
        [("市民政局".to_owned(), Reach::OwnDivision)]
    );
    assert_eq!(
        of("sz-police"),
        [("市公安局".to_owned(), Reach::OwnDivision)]
    );
    assert_eq!(of("city-police"), [("市公安局".to_owned(), Reach::City)]);
    assert_eq!(
        of("xlt-station"),
        [("各县区".to_owned(), Reach::OwnDivision)]
    );
    assert_eq!(
        of("ps-government"),
        [("各县区".to_owned(), Reach::OwnDivision)]
    );
    assert_eq!(of("city-audit"), [("市审计局".to_owned(), Reach::City)]);
    assert_eq!(of("city-central-hospital"), []);
}

#[test]
fn every_deadline_kind_the_services_schedule_maps_to_a_task() {
    let data = Accountability::embedded();
    let unmapped: Vec<&str> = scheduled_kinds()
        .into_iter()
        .filter(|kind| data.task_of_deadline(kind).is_none())
        .collect();
    assert_eq!(
        unmapped,
        Vec::<&str>::new(),
        "add these deadline kinds to deploy/accountability.toml [deadlines]"
    );
    assert_eq!(
        data.task_of_deadline(ACK_DEADLINE_KIND),
        Some(TaskOf::WatchedNotification)
    );
    for kind in scheduled_kinds()
        .into_iter()
        .filter(|k| *k != ACK_DEADLINE_KIND)
    {
        assert!(
            matches!(data.task_of_deadline(kind), Some(TaskOf::Task(_))),
            "{kind} maps to a task of its own"
        );
    }
    match data.task_of_deadline("foster.visit") {
        Some(TaskOf::Task(task)) => assert_eq!(task.title, "落实救助管理机构工作任务"),
        other => panic!("foster.visit: {other:?}"),
    }
}

#[test]
fn every_notification_kind_the_services_issue_maps_to_a_task() {
    let data = Accountability::embedded();
    let unmapped: Vec<&str> = issued_kinds()
        .into_iter()
        .filter(|kind| data.task_of_notification(kind).is_none())
        .collect();
    assert_eq!(
        unmapped,
        Vec::<&str>::new(),
        "add these notification kinds to deploy/accountability.toml [notifications]"
    );
    assert_eq!(
        data.task_of_notification(ESCALATION_KIND),
        Some(TaskOf::EscalatedNotification)
    );
    assert!(data.is_escalation(ESCALATION_KIND));
    for kind in issued_kinds().into_iter().filter(|k| *k != ESCALATION_KIND) {
        assert!(
            matches!(data.task_of_notification(kind), Some(TaskOf::Task(_))),
            "{kind} maps to a task of its own"
        );
    }
    assert!(data.is_escalation("VERIFICATION_OVERDUE"));
    assert!(!data.is_escalation("VERIFICATION_ANSWER_DUE"));
    assert!(!data.is_escalation("NO_SUCH_KIND"));
}

#[test]
fn the_file_maps_no_kind_that_no_service_has() {
    let data = Accountability::embedded();
    let scheduled = scheduled_kinds();
    let issued = issued_kinds();
    let stale_deadlines: Vec<&str> = data
        .deadline_kinds()
        .filter(|kind| !scheduled.contains(kind))
        .collect();
    let stale_notifications: Vec<&str> = data
        .notification_kinds()
        .filter(|kind| !issued.contains(kind))
        .collect();
    assert_eq!(
        stale_deadlines,
        Vec::<&str>::new(),
        "stale [deadlines] entries"
    );
    assert_eq!(
        stale_notifications,
        Vec::<&str>::new(),
        "stale [notifications] entries"
    );
}

// ---- the kinds in the services' sources ------------------------------------------------------

/// `const NAME: &str = "value"` declarations of one file, by name.
type Consts = BTreeMap<String, String>;

/// One service's sources (test modules at the end of a file left out) and their string
/// constants.
struct Sources {
    files: Vec<(PathBuf, String, Consts)>,
}

impl Sources {
    fn of(service: &str) -> Sources {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(service)
            .join("src");
        let mut paths = Vec::new();
        rust_files(&root, &mut paths);
        paths.sort();
        let files = paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("readable source");
                let text = match text.find("#[cfg(test)]\nmod tests") {
                    Some(end) => text[..end].to_owned(),
                    None => text,
                };
                let consts = string_consts(&text);
                (path, text, consts)
            })
            .collect();
        Sources { files }
    }

    /// The values of constant `name`: the declaration in `file` if there is one, else every
    /// declaration of the service.
    fn resolve(&self, file: &Consts, name: &str) -> BTreeSet<String> {
        match file.get(name) {
            Some(value) => BTreeSet::from([value.clone()]),
            None => self
                .files
                .iter()
                .filter_map(|(_, _, consts)| consts.get(name).cloned())
                .collect(),
        }
    }

    /// The kinds passed at every site: the `kind` argument of each `deadlines::schedule(` call
    /// (`field` None) or the `kind:` field of each notification literal. Problems (a string
    /// literal, an expression the scan cannot read) are collected as `path:line: text`.
    fn kinds(&self, deadlines: bool) -> (BTreeSet<String>, Vec<String>) {
        let mut kinds = BTreeSet::new();
        let mut problems = Vec::new();
        for (path, text, consts) in &self.files {
            for (at, expr) in sites(text, deadlines) {
                let place = format!("{}:{}", path.display(), text[..at].lines().count());
                match self.kinds_at(text, consts, at, expr) {
                    Ok(found) => kinds.extend(found),
                    Err(problem) => problems.push(format!("{place}: {problem}")),
                }
            }
        }
        (kinds, problems)
    }

    /// The kinds expression `expr` at `at` of `text` can hold: a constant, or a variable bound
    /// to constants (by a `let`/`for` pattern before the site, or as a parameter of the
    /// enclosing function, whose callers in the file pass them).
    fn kinds_at(
        &self,
        text: &str,
        consts: &Consts,
        at: usize,
        expr: &str,
    ) -> Result<BTreeSet<String>, String> {
        let expr = expr.trim().trim_start_matches('&');
        let expr = [".to_owned()", ".to_string()", ".into()"]
            .iter()
            .fold(expr, |e, suffix| e.strip_suffix(suffix).unwrap_or(e));
        if expr.contains('"') {
            return Err(format!(
                "the kind {expr} is a string literal: make it a pub const"
            ));
        }
        let name = expr.rsplit("::").next().unwrap_or(expr);
        let resolved = |names: Vec<&str>| -> BTreeSet<String> {
            names
                .into_iter()
                .flat_map(|name| self.resolve(consts, name))
                .collect()
        };
        let found = if is_const_name(name) {
            resolved(vec![name])
        } else if !name.is_empty() && name.chars().all(is_ident_char) {
            let fn_start = text[..at]
                .rfind("fn ")
                .ok_or_else(|| format!("`{expr}` outside a function"))?;
            let fn_name: String = text[fn_start + 3..]
                .chars()
                .take_while(|c| is_ident_char(*c))
                .collect();
            let header_end = fn_start + text[fn_start..].find('{').unwrap_or(0);
            let regions: Vec<&str> = if text[fn_start..header_end].contains(&format!("{name}: &")) {
                let call = format!("{fn_name}(");
                text.match_indices(&call)
                    .map(|(i, _)| i)
                    .filter(|i| *i != fn_start + 3 && !preceded_by_ident(text, *i))
                    .map(|i| text[i + call.len()..].split(';').next().unwrap_or(""))
                    .collect()
            } else {
                let bindings = [
                    format!("let ({name},"),
                    format!("for ({name},"),
                    format!("let {name} ="),
                    format!("for {name} in"),
                ];
                let binding = bindings
                    .iter()
                    .filter_map(|b| text[fn_start..at].rfind(b.as_str()))
                    .max()
                    .ok_or_else(|| format!("cannot tell where `{name}` comes from"))?;
                vec![&text[fn_start + binding..at]]
            };
            resolved(regions.into_iter().flat_map(const_names).collect())
        } else {
            BTreeSet::new()
        };
        if found.is_empty() {
            Err(format!("cannot tell the kinds of `{expr}`"))
        } else {
            Ok(found)
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_const_name(name: &str) -> bool {
    name.len() > 1
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn preceded_by_ident(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(is_ident_char)
}

/// The UPPER_SNAKE identifiers of `text`.
fn const_names(text: &str) -> Vec<&str> {
    text.split(|c: char| !is_ident_char(c))
        .filter(|word| is_const_name(word))
        .collect()
}

/// `const NAME: &str = "value"` (or `&'static str`) declarations of `text`.
fn string_consts(text: &str) -> Consts {
    let mut consts = Consts::new();
    for (at, _) in text.match_indices("const ") {
        if preceded_by_ident(text, at) {
            continue;
        }
        let rest = &text[at + "const ".len()..];
        let name: String = rest.chars().take_while(|c| is_ident_char(*c)).collect();
        let rest = rest[name.len()..].trim_start();
        let Some(rest) = rest
            .strip_prefix(": &str")
            .or_else(|| rest.strip_prefix(": &'static str"))
        else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = rest.find('"') {
            consts.insert(name, rest[..end].to_owned());
        }
    }
    consts
}

/// The kind expressions of `text` with their offsets: the kind argument of each
/// `deadlines::schedule(` call with the runtime's seven arguments, or the `kind:` field of each `NewNotification`, `Tracked` or
/// `Notice` literal (protobuf messages, `pb::…`, left out).
fn sites(text: &str, deadlines: bool) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    if deadlines {
        for (at, call) in text.match_indices("deadlines::schedule(") {
            let args = top_level(&text[at + call.len()..], ',');
            // relief_runtime::deadlines::schedule(tx, now, id, kind, subject, due_at, payload);
            // a service's own `…::deadlines::schedule` helpers take other arguments.
            if let [_, _, _, kind, _, _, _] = args[..] {
                found.push((at, kind));
            }
        }
        return found;
    }
    for literal in ["NewNotification {", "Tracked {", "Notice {"] {
        for (at, _) in text.match_indices(literal) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            if preceded_by_ident(text, at)
                || text[..at].ends_with("pb::")
                || text[line_start..at].trim_start().starts_with("//")
                || text[line_start..at].contains("struct ")
            {
                continue;
            }
            let body_start = at + literal.len();
            let body = top_level(&text[body_start..], ',');
            let kind = body
                .iter()
                .find_map(|field| field.trim().strip_prefix("kind:"));
            found.push((at, kind.unwrap_or("")));
        }
    }
    found
}

/// `text` up to its first unmatched closing bracket, split at `separator` outside brackets and
/// string literals (a trailing separator ignored).
fn top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut in_string, mut escaped) = (0_i32, 0, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                // A trailing separator adds no part.
                if parts.is_empty() || !text[start..i].trim().is_empty() {
                    parts.push(&text[start..i]);
                }
                return parts;
            }
            ')' | ']' | '}' => depth -= 1,
            _ if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Reads the kinds the services' sources schedule and issue, so that a kind added without a
/// constant in the lists (a string literal, a kind a list forgets) fails here, and a list entry
/// no code uses fails too.
#[test]
fn the_services_sources_schedule_and_issue_exactly_the_listed_kinds() {
    let services: [(&str, Vec<&str>, &[&str]); 3] = [
        (
            "intake",
            relief_intake::deadline_kinds(),
            relief_intake::NOTIFICATION_KINDS,
        ),
        (
            "identity",
            relief_identity::deadline_kinds(),
            relief_identity::NOTIFICATION_KINDS,
        ),
        (
            "foster",
            relief_foster::deadline_kinds(),
            relief_foster::NOTIFICATION_KINDS,
        ),
    ];
    for (service, deadline_kinds, notification_kinds) in services {
        let sources = Sources::of(service);
        let (scheduled, problems) = sources.kinds(true);
        assert_eq!(problems, Vec::<String>::new(), "{service}: deadline kinds");
        let listed: BTreeSet<String> = deadline_kinds.iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(
            scheduled, listed,
            "{service}: the kinds `deadlines::schedule` is called with vs relief_{service}::deadline_kinds()"
        );
        let (issued, problems) = sources.kinds(false);
        assert_eq!(
            problems,
            Vec::<String>::new(),
            "{service}: notification kinds"
        );
        let listed: BTreeSet<String> = notification_kinds.iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(
            issued, listed,
            "{service}: the kinds of its notifications vs relief_{service}::NOTIFICATION_KINDS"
        );
    }
}

#[test]
fn the_scan_reads_constants_variables_and_refuses_literals() {
    let text = r#"
pub const A_DEADLINE: &str = "a.one";
const B_DEADLINE: &'static str =
    "a.two";
const N_KIND: &str = "N_ONE";
fn one(tx: &mut Tx) {
    for (kind, at) in [(A_DEADLINE, x(1)), (B_DEADLINE, y(f(2, 3)))] {
        deadlines::schedule(tx, now, &format!("{kind}:{id}"), kind, &subject, at, b"x".to_vec());
    }
    notify(context, N_KIND, "x");
}
fn notify(context: &Context, kind: &str, other: &str) {
    tracked(context, Tracked { subject: s, kind: kind.to_owned(), summary: format!("a, b") });
}
fn two() {
    issue(&NewNotification { kind: "LITERAL".to_owned(), subject: x });
    let message = pb::Notice { kind: 3 };
}
"#;
    let consts = string_consts(text);
    assert_eq!(consts.get("B_DEADLINE").map(String::as_str), Some("a.two"));
    let sources = Sources {
        files: vec![(PathBuf::from("x.rs"), text.to_owned(), consts)],
    };
    let (scheduled, problems) = sources.kinds(true);
    assert_eq!(
        scheduled,
        BTreeSet::from(["a.one".to_owned(), "a.two".to_owned()])
    );
    assert!(problems.is_empty(), "{problems:?}");
    let (issued, problems) = sources.kinds(false);
    assert_eq!(issued, BTreeSet::from(["N_ONE".to_owned()]));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("string literal"), "{problems:?}");
}

// ---- the loader's refusals -------------------------------------------------------------------

/// A small valid file the refusal tests break one way each.
const MINIMAL: &str = r#"
source = "x"
repeat_vagrancy_threshold = 3
escalation_unresolved_days = 7

[[tasks]]
id = "1"
section = "一"
title = "t"
lead = ["A"]
responsible = []
cooperating = ["B"]

[plan_units]
"A" = { city = ["a"] }
"B" = { own_division = ["b"] }

[deadlines]
"k.one" = { task = "1", late = ["relief.foster.v1.VisitOverdue"], done = [] }
"notification.ack" = { task_of = "watched-notification", late = [], done = [] }

[notifications]
ONE = { task = "1", escalation = true }
NOTIFICATION_UNACKNOWLEDGED = { task_of = "escalated-notification" }
"#;

/// MINIMAL with `from` replaced by `to`, loaded.
fn load_with(from: &str, to: &str) -> Result<Accountability, AccountabilityError> {
    assert!(MINIMAL.contains(from), "MINIMAL has {from:?}");
    Accountability::from_toml_str(&MINIMAL.replacen(from, to, 1))
}

#[test]
fn a_minimal_file_loads() {
    let data = Accountability::from_toml_str(MINIMAL).expect("valid");
    assert!(matches!(data.task_of_deadline("k.one"), Some(TaskOf::Task(task)) if task.id == "1"));
    assert_eq!(
        data.task_of_deadline("notification.ack"),
        Some(TaskOf::WatchedNotification)
    );
    assert_eq!(data.task_of_deadline("k.other"), None);
    assert!(data.is_escalation("ONE"));
    assert!(!data.is_escalation("NOTIFICATION_UNACKNOWLEDGED"));
    assert_eq!(
        data.deadline("k.one").map(|rule| rule.late.clone()),
        Some(vec!["relief.foster.v1.VisitOverdue".to_owned()])
    );
    let names: Vec<&str> = data.plan_units().iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
}

#[test]
fn broken_toml_is_a_parse_error() {
    let result = load_with("title = \"t\"", "title = \"t");
    assert!(
        matches!(result, Err(AccountabilityError::Parse(_))),
        "{result:?}"
    );
}

#[test]
fn unknown_keys_and_a_wrong_redirect_are_parse_errors() {
    for (from, to) in [
        (
            "ONE = { task = \"1\", escalation",
            "ONE = { task = \"1\", escalaton",
        ),
        (
            "task_of = \"watched-notification\"",
            "task_of = \"escalated-notification\"",
        ),
        ("\"k.one\" = {", "\"notification.ack\" = {"),
    ] {
        let result = load_with(from, to);
        assert!(
            matches!(result, Err(AccountabilityError::Parse(_))),
            "{to}: {result:?}"
        );
    }
}

#[test]
fn a_task_id_listed_twice_is_refused() {
    let second = "[[tasks]]\nid = \"1\"\nsection = \"二\"\ntitle = \"u\"\nlead = [\"A\"]\n\
                  responsible = []\ncooperating = []\n\n[plan_units]";
    let result = load_with("[plan_units]", second);
    assert!(
        matches!(&result, Err(AccountabilityError::DuplicateTask(id)) if id == "1"),
        "{result:?}"
    );
}

#[test]
fn a_task_without_a_title_is_refused() {
    let result = load_with("title = \"t\"", "title = \" \"");
    assert!(
        matches!(&result, Err(AccountabilityError::InvalidTask { id, .. }) if id == "1"),
        "{result:?}"
    );
}

#[test]
fn a_mapping_to_an_unknown_task_is_refused() {
    let result = load_with("\"k.one\" = { task = \"1\"", "\"k.one\" = { task = \"9\"");
    assert!(
        matches!(&result, Err(AccountabilityError::UnknownTask { table: "deadlines", kind, task })
            if kind == "k.one" && task == "9"),
        "{result:?}"
    );
    let result = load_with("ONE = { task = \"1\"", "ONE = { task = \"2.1.1\"");
    assert!(
        matches!(&result, Err(AccountabilityError::UnknownTask { table: "notifications", kind, .. })
            if kind == "ONE"),
        "{result:?}"
    );
}

#[test]
fn a_mapping_needs_exactly_one_of_task_and_task_of() {
    let both = load_with(
        "ONE = { task = \"1\",",
        "ONE = { task = \"1\", task_of = \"escalated-notification\",",
    );
    assert!(
        matches!(&both, Err(AccountabilityError::TaskChoice { table: "notifications", kind }) if kind == "ONE"),
        "{both:?}"
    );
    let neither = load_with("\"k.one\" = { task = \"1\", late", "\"k.one\" = { late");
    assert!(
        matches!(&neither, Err(AccountabilityError::TaskChoice { table: "deadlines", kind }) if kind == "k.one"),
        "{neither:?}"
    );
}

#[test]
fn a_unit_name_missing_from_plan_units_is_refused() {
    let result = load_with("cooperating = [\"B\"]", "cooperating = [\"B\", \"C\"]");
    assert!(
        matches!(&result, Err(AccountabilityError::UnknownPlanUnit { task, unit })
            if task == "1" && unit == "C"),
        "{result:?}"
    );
}

#[test]
fn a_plan_unit_no_task_names_is_refused() {
    let result = load_with("\"B\" = {", "\"D\" = {}\n\"B\" = {");
    assert!(
        matches!(&result, Err(AccountabilityError::UnusedPlanUnit(name)) if name == "D"),
        "{result:?}"
    );
}

#[test]
fn a_unit_listed_twice_in_a_plan_unit_is_refused() {
    let result = load_with(
        "\"B\" = { own_division = [\"b\"] }",
        "\"B\" = { city = [\"b\"], own_division = [\"b\"] }",
    );
    assert!(
        matches!(&result, Err(AccountabilityError::DuplicateUnit { plan_unit, unit })
            if plan_unit == "B" && unit == "b"),
        "{result:?}"
    );
}

#[test]
fn an_event_that_is_no_relief_event_is_refused() {
    for name in [
        "relief.foster.v1.VisitOverdu",
        "VisitOverdue",
        "relief.common.v1.Money",
    ] {
        let result = load_with("relief.foster.v1.VisitOverdue", name);
        assert!(
            matches!(&result, Err(AccountabilityError::UnknownEvent { kind, event })
                if kind == "k.one" && event == name),
            "{name}: {result:?}"
        );
    }
}

#[test]
fn a_zero_threshold_is_refused() {
    let result = load_with(
        "escalation_unresolved_days = 7",
        "escalation_unresolved_days = 0",
    );
    assert!(
        matches!(
            result,
            Err(AccountabilityError::ZeroThreshold(
                "escalation_unresolved_days"
            ))
        ),
        "{result:?}"
    );
}
