//! `ListMajorSituations`: the major situations (重大情况, DOMAIN.md section 4) of a period, oldest
//! first, for the city civil-affairs bureau to report upward.
//!
//! Deaths, abuse and people gone missing are rows of `r_major_situations` (ingestion keeps them,
//! keyed by situation id). An escalation left unresolved depends on "now", so it is derived here
//! from `r_notifications`: a notification of a missed obligation, or the runtime's escalation of
//! one (`Accountability::escalation_condition`), issued in the period,
//! at least `escalation_unresolved_days` (7, `deploy/accountability.toml`) before now, that not
//! every recipient has acknowledged. The escalation handler issues one notification per
//! escalation unit at one instant, so a group (source service, kind, subject, issued_at) is one
//! situation, `ESCALATION:<its first notification id>`. Both kinds are merged and paged in one SQL
//! text, ordered by (occurred_at, situation_id), so the pages and the keyset compare the same way
//! on each backend (whatever its text collation).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use relief_proto::reporting::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, ServiceContext, scope, with_db};

use crate::areas::Scope;
use crate::time::{DayRange, instant, micros, month_period, period_range};

/// Page size when the request gives none.
const DEFAULT_PAGE: i64 = 50;
/// The largest page served.
const MAX_PAGE: i64 = 500;

/// The event type an unresolved escalation is compiled from.
const ESCALATION_SOURCE: &str = "relief.notifications.v1.NotificationIssued";

/// `ListMajorSituations`.
pub async fn list(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::ListMajorSituationsRequest,
) -> Result<pb::ListMajorSituationsResponse, ApiError> {
    let now = context.clock.now();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let kind = pb::MajorSituationKind::try_from(request.kind)
        .map_err(|_| ApiError::invalid_field("kind", "is not a MajorSituationKind"))?;
    let period = request.period.unwrap_or_else(|| month_period(now));
    let range = period_range("period", Some(&period))?;
    // Oldest first: the first page starts before any stored instant.
    let (after_at, after_id) = if request.page_token.is_empty() {
        (DateTime::<Utc>::UNIX_EPOCH, String::new())
    } else {
        decode_time_token(&request.page_token)?
    };
    let scope = Scope::of(caller, request.division.trim())?;
    let divisions = DivisionFilter::of(caller, &scope);
    let (from, until) = instants(&range)?;
    let query = Query {
        range: &range,
        from,
        until,
        unresolved_before: micros(now - Duration::days(i64::from(unresolved_days()))),
        kind: kind as i32,
        after: (micros(after_at), &after_id),
        limit: limit + 1,
    };
    let mut rows = page(context, &query, &divisions).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| {
        (instant(row.occurred_at), row.situation_id.as_str())
    });
    Ok(pb::ListMajorSituationsResponse {
        situations: rows.into_iter().map(SituationRow::into_proto).collect(),
        next_page_token,
    })
}

/// Days an escalation stays unacknowledged before it is a major situation: the accountability
/// file's `escalation_unresolved_days` (7) [product], the same number its trigger "escalations
/// left unresolved" uses.
fn unresolved_days() -> u32 {
    crate::accountability::Accountability::embedded().escalation_unresolved_days()
}

/// The first instant of the period (00:00 local of its first day) and the first instant after it
/// (24:00 local of its last day), in µs.
fn instants(range: &DayRange) -> Result<(i64, i64), ApiError> {
    let date = |day: &str| {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map_err(|_| ApiError::internal(format!("period day {day} is not a date")))
    };
    let first = date(&range.first)?;
    let before_first = first
        .pred_opt()
        .ok_or_else(|| ApiError::internal("period starts at the first date"))?;
    Ok((
        micros(relief_legal::end_of_day(before_first)),
        micros(relief_legal::end_of_day(date(&range.last)?)),
    ))
}

/// Which divisions' situations the caller sees: with the whole city in scope every division the
/// caller's covers (a situation of a division that has no row of its own is still a situation the
/// city reports); otherwise exactly the scope's rows.
#[derive(Debug, Clone)]
enum DivisionFilter {
    /// `division LIKE` this pattern.
    Covered(String),
    /// `division IN` these.
    Rows(Vec<&'static str>),
}

impl DivisionFilter {
    fn of(caller: &Caller, scope: &Scope) -> Self {
        if scope.city_total {
            DivisionFilter::Covered(scope::like_pattern(&caller.division))
        } else {
            DivisionFilter::Rows(scope.divisions.clone())
        }
    }

    /// The SQL condition on `column`, its parameters numbered from `$first`.
    fn sql(&self, column: &str, first: usize) -> String {
        match self {
            DivisionFilter::Covered(_) => format!("{column} LIKE ${first}"),
            DivisionFilter::Rows(divisions) if divisions.is_empty() => "1 = 0".to_owned(),
            DivisionFilter::Rows(divisions) => {
                let params: Vec<String> = (first..first + divisions.len())
                    .map(|n| format!("${n}"))
                    .collect();
                format!("{column} IN ({})", params.join(", "))
            }
        }
    }

    /// The parameters of [`DivisionFilter::sql`], in order.
    fn binds(&self) -> Vec<String> {
        match self {
            DivisionFilter::Covered(pattern) => vec![pattern.clone()],
            DivisionFilter::Rows(divisions) => divisions
                .iter()
                .map(|division| (*division).to_owned())
                .collect(),
        }
    }
}

/// The parameters of one page.
#[derive(Debug)]
struct Query<'a> {
    range: &'a DayRange,
    /// The period's first instant, µs.
    from: i64,
    /// The first instant after the period, µs.
    until: i64,
    /// Escalations issued at or before this instant (µs) are old enough to be unresolved.
    unresolved_before: i64,
    /// MajorSituationKind; 0: every kind.
    kind: i32,
    /// The keyset position (occurred_at µs, situation_id) of the last row served.
    after: (i64, &'a str),
    limit: i64,
}

/// One situation as the page query answers it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct SituationRow {
    situation_id: String,
    kind: i32,
    division: String,
    case_id: Option<String>,
    subject: String,
    occurred_at: i64,
    sources: String,
}

impl SituationRow {
    fn into_proto(self) -> pb::MajorSituation {
        pb::MajorSituation {
            situation_id: self.situation_id,
            kind: self.kind,
            division: self.division,
            case_id: self.case_id.unwrap_or_default(),
            subject: self.subject,
            occurred_at: Some(timestamp(instant(self.occurred_at))),
            sources: self
                .sources
                .split(',')
                .map(str::trim)
                .filter(|source| !source.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// One page of the stored situations and the unresolved escalation groups, merged, oldest first.
/// An escalation is a notification of a missed obligation or the runtime's escalation of one
/// ([`crate::accountability::Accountability::escalation_condition`]); its case is the subject's id
/// when the subject is a case.
async fn page(
    context: &ServiceContext,
    query: &Query<'_>,
    divisions: &DivisionFilter,
) -> Result<Vec<SituationRow>, ApiError> {
    let stored = divisions.sql("m.division", 10);
    let issued = divisions.sql("n.division", 10);
    let sql = format!(
        "SELECT situation_id, kind, division, case_id, subject, occurred_at, sources FROM ( \
           SELECT m.situation_id, m.kind, m.division, m.case_id, m.subject, m.occurred_at, \
             m.sources \
           FROM r_major_situations m \
           WHERE m.occurred_day >= $1 AND m.occurred_day <= $2 AND {stored} \
           UNION ALL \
           SELECT 'ESCALATION:' || MIN(n.notification_id) AS situation_id, \
             {escalation_kind} AS kind, MIN(n.division) AS division, \
             CASE WHEN n.subject LIKE 'case/%' THEN SUBSTR(n.subject, 6) ELSE NULL END \
               AS case_id, \
             n.subject AS subject, n.issued_at AS occurred_at, '{ESCALATION_SOURCE}' AS sources \
           FROM r_notifications n \
           WHERE {escalation} \
             AND n.issued_at >= $3 AND n.issued_at < $4 AND n.issued_at <= $5 AND {issued} \
           GROUP BY n.source_service, n.kind, n.subject, n.issued_at \
           HAVING SUM(CASE WHEN n.acknowledged_at IS NULL THEN 1 ELSE 0 END) > 0 \
         ) AS situations \
         WHERE ($6 = 0 OR kind = $6) \
           AND (occurred_at > $7 OR (occurred_at = $7 AND situation_id > $8)) \
         ORDER BY occurred_at, situation_id LIMIT $9",
        escalation_kind = pb::MajorSituationKind::EscalationUnresolved as i32,
        escalation = crate::accountability::Accountability::embedded().escalation_condition("n"),
    );
    let binds = divisions.binds();
    let rows = with_db!(&context.db, |pool| {
        let mut statement = sqlx::query_as::<_, SituationRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&query.range.first)
            .bind(&query.range.last)
            .bind(query.from)
            .bind(query.until)
            .bind(query.unresolved_before)
            .bind(query.kind)
            .bind(query.after.0)
            .bind(query.after.1)
            .bind(query.limit);
        for division in &binds {
            statement = statement.bind(division);
        }
        statement.fetch_all(pool).await
    })?;
    Ok(rows)
}
