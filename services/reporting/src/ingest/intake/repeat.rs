//! Repeat vagrancy (多次重复流浪, plan §三(四)): `RepeatLinked` / `RepeatSplit` → `r_repeat_links`
//! and one `repeat` fact per later case that has a live (unsplit) link: counted on the day of its
//! first live link, in the case's division, under its origin county (the current code; "" while
//! unknown). A split of the last live link removes the fact; a split of the first of two moves it
//! to the other's day; an origin learned later (a later link, the case's closing, identity's
//! confirmation through [`origin_learned`]) moves it to that county. [`refresh`] derives the fact
//! from the rows each time, so it is the same whatever order the rows were written in.

use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

use super::{at, origin};
use crate::facts::{self, Contribution};
use crate::time::{day, instant, micros};

/// The metric.
pub const METRIC: &str = "repeat";

/// `RepeatLinked`: the link (its first linked_at stands), the later case's origin if it carries
/// one, and the later case's fact.
pub async fn linked(tx: &mut Tx, event: &pb::RepeatLinked) -> Result<(), ApiError> {
    let linked_at = micros(at("linked_at", event.linked_at.as_ref())?);
    let origin = origin::current_opt(&event.origin_division);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_repeat_links (case_id, earlier_case_id, origin_division, linked_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (case_id, earlier_case_id) DO UPDATE SET \
               origin_division = COALESCE(excluded.origin_division, r_repeat_links.origin_division), \
               linked_at = CASE WHEN excluded.linked_at < r_repeat_links.linked_at \
                 THEN excluded.linked_at ELSE r_repeat_links.linked_at END",
        )
        .bind(&event.case_id)
        .bind(&event.earlier_case_id)
        .bind(origin.as_deref())
        .bind(linked_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    set_origin(tx, &event.case_id, origin.as_deref()).await?;
    refresh(tx, &event.case_id).await
}

/// `RepeatSplit`: the link ends for good (intake never links a split pair again, and a replayed
/// `RepeatLinked` keeps `split_at`). A split of a link not seen (impossible on the ordered intake
/// feed) is stored as linked and split at once, so nothing can revive it.
pub async fn split(tx: &mut Tx, event: &pb::RepeatSplit) -> Result<(), ApiError> {
    let split_at = micros(at("split_at", event.split_at.as_ref())?);
    let origin = origin::current_opt(&event.origin_division);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_repeat_links (case_id, earlier_case_id, origin_division, linked_at, \
             split_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (case_id, earlier_case_id) DO UPDATE SET \
               origin_division = COALESCE(excluded.origin_division, r_repeat_links.origin_division), \
               split_at = COALESCE(r_repeat_links.split_at, excluded.split_at)",
        )
        .bind(&event.case_id)
        .bind(&event.earlier_case_id)
        .bind(origin.as_deref())
        .bind(split_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    set_origin(tx, &event.case_id, origin.as_deref()).await?;
    refresh(tx, &event.case_id).await
}

/// Another feed learned the origin of `case_id` (identity's `IdentityConfirmed.origin_division`):
/// the case's origin becomes it for good (mapped to the current code; an empty one changes
/// nothing), whatever intake's events say before or after it on their own feed, so the order
/// between the feeds does not matter; its repeat fact follows.
pub async fn origin_learned(tx: &mut Tx, case_id: &str, origin: &str) -> Result<(), ApiError> {
    let Some(origin) = origin::current_opt(origin) else {
        return Ok(());
    };
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, origin_division, origin_confirmed) VALUES ($1, $2, 1) \
             ON CONFLICT (case_id) DO UPDATE SET origin_division = excluded.origin_division, \
               origin_confirmed = 1",
        )
        .bind(case_id)
        .bind(&origin)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    refresh(tx, case_id).await
}

/// Sets the latest origin intake knows of `case_id` (creating its row if it is not known yet),
/// unless identity's confirmed origin is recorded.
async fn set_origin(tx: &mut Tx, case_id: &str, origin: Option<&str>) -> Result<(), ApiError> {
    let Some(origin) = origin else {
        return Ok(());
    };
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, origin_division) VALUES ($1, $2) \
             ON CONFLICT (case_id) DO UPDATE SET origin_division = CASE \
               WHEN r_cases.origin_confirmed = 1 THEN r_cases.origin_division \
               ELSE excluded.origin_division END",
        )
        .bind(case_id)
        .bind(origin)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// What decides a case's repeat fact: its division, origin, first live link and referral.
type RepeatRow = (Option<String>, Option<String>, Option<i64>, Option<i32>);

/// Sets the `repeat` fact of `case_id` from its rows: counted while it has a live link, on the
/// day of the first one, in the case's division, under its origin. A case whose `PersonAdmitted`
/// is not here yet has no division to count in: no fact until it arrives (its handler refreshes).
/// A transfer continues a stay that already counted at the sending station (intake links it to
/// the same earlier stays): it never counts, as it does not count as an admission either.
pub async fn refresh(tx: &mut Tx, case_id: &str) -> Result<(), ApiError> {
    // Two feeds may revise one case at once (intake's split, identity's origin): on PostgreSQL
    // this no-op update locks the case's row first, so they take turns and the second one reads
    // what the first committed (SQLite has one writer anyway).
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE r_cases SET division = division WHERE case_id = $1")
            .bind(case_id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    let row: Option<RepeatRow> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT c.division, c.origin_division, \
               (SELECT MIN(l.linked_at) FROM r_repeat_links l \
                WHERE l.case_id = c.case_id AND l.split_at IS NULL), c.referral \
             FROM r_cases c WHERE c.case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(conn)
        .await
    })?;
    let transfer = Some(pb::Referral::Transfer as i32);
    let contribution = match row {
        Some((Some(division), origin, Some(first_link), referral)) if referral != transfer => {
            Some(Contribution::one(
                day(instant(first_link)),
                &division,
                origin.as_deref().unwrap_or_default(),
            ))
        }
        _ => None,
    };
    facts::put(tx, METRIC, case_id, contribution).await
}
