//! `r_late_items`: one row per obligation seen late, keyed `<deadline kind>:<subject id>`, for
//! the accountability report. The event that shows it late raises it ([`raise`]: first value
//! wins, so a duplicate changes nothing and never reopens a done item); the event that does it
//! late closes it ([`done`]: the first completion stands).
//!
//! The kinds are the deadline kinds the producing service schedules (the keys of
//! `deploy/accountability.toml`); intake's are below.

use chrono::{DateTime, Utc};
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

use crate::time::{day, micros};

/// Intake: the local station identifies a person at the hospital within 24 hours.
pub const HOSPITAL_IDENTIFICATION: &str = "intake.hospital_identification";
/// Intake: a stay past the 10-day relief period (justified, or ended).
pub const STAY_OVER_10_DAYS: &str = "intake.stay_over_10_days";
/// Intake: the follow-up of a return home, within 30 days.
pub const FOLLOW_UP: &str = "intake.follow_up";

/// The key of the item of `kind` for `subject_id`.
pub fn key(kind: &str, subject_id: &str) -> String {
    format!("{kind}:{subject_id}")
}

/// An obligation seen late.
#[derive(Debug, Clone)]
pub struct LateItem<'a> {
    /// The deadline kind.
    pub kind: &'a str,
    /// The id the item is about (a case, an encounter, a follow-up).
    pub subject_id: &'a str,
    /// The division whose report lists it.
    pub division: &'a str,
    /// The unit responsible, when the events say (a station, a police unit, an institution).
    pub responsible_unit: Option<&'a str>,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// When it was seen late (the occurred_at of the event that shows it).
    pub late_at: DateTime<Utc>,
    /// When it was done late, if that is already known.
    pub done_at: Option<DateTime<Utc>>,
}

/// Records `item` unless it is already recorded (then nothing changes).
pub async fn raise(tx: &mut Tx, item: &LateItem<'_>) -> Result<(), ApiError> {
    let item_key = key(item.kind, item.subject_id);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_late_items (item_key, deadline_kind, division, responsible_unit, \
             due_at, late_at, done_at, done_day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (item_key) DO NOTHING",
        )
        .bind(&item_key)
        .bind(item.kind)
        .bind(item.division)
        .bind(item.responsible_unit)
        .bind(micros(item.due_at))
        .bind(micros(item.late_at))
        .bind(item.done_at.map(micros))
        .bind(item.done_at.map(day))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Records that the item `item_key` was done at `done_at`, if it was raised and not done yet.
pub async fn done(tx: &mut Tx, item_key: &str, done_at: DateTime<Utc>) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_late_items SET done_at = $2, done_day = $3 \
             WHERE item_key = $1 AND done_at IS NULL",
        )
        .bind(item_key)
        .bind(micros(done_at))
        .bind(day(done_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Removes the item `item_key`: the events showed the obligation met by its due time after all.
pub async fn withdraw(tx: &mut Tx, item_key: &str) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query("DELETE FROM r_late_items WHERE item_key = $1")
            .bind(item_key)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Ends the open items of `kinds` about `subject_id` (keys `<kind>:<subject_id>` and
/// `<kind>:<subject_id>:…`) without their being done: the obligation lapsed (a file confirmed or
/// closed, a request withdrawn or answered, a placement ended). They stop counting as overdue and
/// open; the first end stands, so applying the event again changes nothing.
pub async fn lapse(
    tx: &mut Tx,
    kinds: &[&str],
    subject_id: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    for kind in kinds {
        let exact = key(kind, subject_id);
        let prefix = format!("{exact}:");
        let prefix_chars = i32::try_from(prefix.chars().count()).map_err(ApiError::internal)?;
        with_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE r_late_items SET withdrawn_at = $4 \
                 WHERE (item_key = $1 OR SUBSTR(item_key, 1, $3) = $2) \
                   AND done_at IS NULL AND withdrawn_at IS NULL",
            )
            .bind(&exact)
            .bind(&prefix)
            .bind(prefix_chars)
            .bind(micros(at))
            .execute(conn)
            .await
            .map(|_| ())
        })?;
    }
    Ok(())
}
