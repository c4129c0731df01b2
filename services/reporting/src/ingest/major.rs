//! `r_major_situations` (重大情况): deaths, abuse and people gone missing, one row per situation
//! however many events report it. A death or a disappearance is one situation per case
//! (`DEATH:<case_id>`, `MISSING:<case_id>`), abuse one per report (`ABUSE:<report or follow-up
//! id>`).
//!
//! [`record`] is order-independent, so the feeds may report a situation in any order (intake's
//! `CaseClosed` and foster's `PlacementEnded` for the same death): the division, case and subject
//! of the first report stand (every report of one situation names the case's division), the
//! occurred_at is the earliest reported, and `sources` is the sorted set of the full type names of
//! the events that reported it, so a duplicate adds nothing and a rebuild writes the same text.

use chrono::{DateTime, Utc};
use relief_proto::reporting::v1::MajorSituationKind;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

use crate::time::{day, micros};

/// One report of a major situation.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// What it is.
    pub kind: MajorSituationKind,
    /// The id it is deduplicated by, after the kind: a case id, a report id.
    pub key: &'a str,
    /// The responsible division.
    pub division: &'a str,
    /// The case, if there is one.
    pub case_id: Option<&'a str>,
    /// What it is about, `<type>/<id>`.
    pub subject: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The full protobuf name of the reporting event, e.g. `relief.intake.v1.CaseClosed`.
    pub source: &'a str,
}

/// The prefix of a kind's situation ids.
fn prefix(kind: MajorSituationKind) -> &'static str {
    match kind {
        MajorSituationKind::Death => "DEATH",
        MajorSituationKind::Abuse => "ABUSE",
        MajorSituationKind::Missing => "MISSING",
        MajorSituationKind::EscalationUnresolved => "ESCALATION_UNRESOLVED",
        MajorSituationKind::Unspecified => "UNSPECIFIED",
    }
}

/// The id of the situation of `kind` keyed `key`, e.g. `DEATH:<case_id>`.
pub fn situation_id(kind: MajorSituationKind, key: &str) -> String {
    format!("{}:{key}", prefix(kind))
}

/// Records one report of a situation (see the module documentation).
pub async fn record(tx: &mut Tx, report: &Report<'_>) -> Result<(), ApiError> {
    let id = situation_id(report.kind, report.key);
    // The upsert first: on PostgreSQL it locks the row, so the read-modify-write of `sources`
    // below cannot lose another feed's concurrent report (SQLite has one writer anyway).
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_major_situations (situation_id, kind, division, case_id, subject, \
             occurred_at, occurred_day, sources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (situation_id) DO UPDATE SET \
               case_id = COALESCE(r_major_situations.case_id, excluded.case_id), \
               occurred_day = CASE WHEN excluded.occurred_at < r_major_situations.occurred_at \
                 THEN excluded.occurred_day ELSE r_major_situations.occurred_day END, \
               occurred_at = CASE WHEN excluded.occurred_at < r_major_situations.occurred_at \
                 THEN excluded.occurred_at ELSE r_major_situations.occurred_at END",
        )
        .bind(&id)
        .bind(report.kind as i32)
        .bind(report.division)
        .bind(report.case_id)
        .bind(&report.subject)
        .bind(micros(report.occurred_at))
        .bind(day(report.occurred_at))
        .bind(report.source)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let sources: String = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT sources FROM r_major_situations WHERE situation_id = $1")
            .bind(&id)
            .fetch_one(conn)
            .await
    })?;
    let merged = merge_sources(&sources, report.source);
    if merged != sources {
        with_tx!(tx, |conn| {
            sqlx::query("UPDATE r_major_situations SET sources = $2 WHERE situation_id = $1")
                .bind(&id)
                .bind(&merged)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
    }
    Ok(())
}

/// The comma list `sources` with `source` added, as a sorted set.
pub fn merge_sources(sources: &str, source: &str) -> String {
    let mut names: Vec<&str> = sources
        .split(',')
        .chain(std::iter::once(source))
        .filter(|name| !name.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_a_sorted_set() {
        let once = merge_sources(
            "relief.intake.v1.IncidentReported",
            "relief.intake.v1.CaseClosed",
        );
        assert_eq!(
            once,
            "relief.intake.v1.CaseClosed,relief.intake.v1.IncidentReported"
        );
        assert_eq!(merge_sources(&once, "relief.intake.v1.CaseClosed"), once);
        assert_eq!(
            merge_sources("", "relief.intake.v1.CaseClosed"),
            "relief.intake.v1.CaseClosed"
        );
    }
}
