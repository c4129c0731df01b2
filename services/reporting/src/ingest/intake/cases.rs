//! Cases: `PersonAdmitted`, `StayFlagged`, `StayJustified` and `CaseClosed` → `r_cases`, and the
//! figures of a case: its admission (NEW or TRANSFER; vulnerable groups and an identity confirmed
//! at admission for NEW admissions only, since a transfer continues the same stay), its departure
//! (by kind), the "stay over 10 days" late item, and a death or disappearance as a major
//! situation. Every fact counts in the case's division (the admitting station's).
//!
//! `r_cases` columns of one-time facts are first-value-wins; the origin is the latest non-empty one
//! an intake event carries (an empty origin never forgets a known one), mapped to the current
//! county code ([`super::origin`]). Foster and identity events may have created the row first.

use chrono::{DateTime, Utc};
use prost::Name;
use relief_proto::intake::v1 as pb;
use relief_proto::reporting::v1::MajorSituationKind;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use super::{at, enum_name, flags, non_empty, origin, repeat};
use crate::facts::{self, Contribution};
use crate::ingest::late::{self, LateItem};
use crate::ingest::major::{self, Report};
use crate::time::{day, instant, micros};

/// `PersonAdmitted`: the case row, the admission and its groups, an identity confirmed at
/// admission, and the case's repeat fact (its links may have been seen first).
pub async fn admitted(tx: &mut Tx, event: &pb::PersonAdmitted) -> Result<(), ApiError> {
    let admitted_at = at("admitted_at", event.admitted_at.as_ref())?;
    let bits = event.flags.as_ref().map_or(0, flags::to_bits);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, station, division, admitted_at, admitted_day, referral, \
             identity_status, flags, origin_division, continues_case_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (case_id) DO UPDATE SET \
               station = COALESCE(r_cases.station, excluded.station), \
               division = COALESCE(r_cases.division, excluded.division), \
               admitted_at = COALESCE(r_cases.admitted_at, excluded.admitted_at), \
               admitted_day = COALESCE(r_cases.admitted_day, excluded.admitted_day), \
               referral = COALESCE(r_cases.referral, excluded.referral), \
               identity_status = COALESCE(r_cases.identity_status, excluded.identity_status), \
               flags = COALESCE(r_cases.flags, excluded.flags), \
               origin_division = COALESCE(r_cases.origin_division, excluded.origin_division), \
               continues_case_id = COALESCE(r_cases.continues_case_id, excluded.continues_case_id)",
        )
        .bind(&event.case_id)
        .bind(&event.station)
        .bind(&event.division)
        .bind(micros(admitted_at))
        .bind(day(admitted_at))
        .bind(event.referral)
        .bind(event.identity_status)
        .bind(bits)
        .bind(origin::current_opt(&event.origin_division))
        .bind(non_empty(&event.continues_case_id))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let admitted_day = day(admitted_at);
    let one = |dim: &str| {
        Some(Contribution::one(
            admitted_day.clone(),
            &event.division,
            dim,
        ))
    };
    let transfer = event.referral == pb::Referral::Transfer as i32;
    let kind = if transfer { "TRANSFER" } else { "NEW" };
    facts::put(tx, "admission", &event.case_id, one(kind)).await?;
    if !transfer {
        for group in flags::groups(bits) {
            let metric = format!("admission.{group}");
            facts::put(tx, &metric, &event.case_id, one("")).await?;
        }
        if event.identity_status == pb::IdentityStatus::Confirmed as i32 {
            let subject = format!("case:{}", event.case_id);
            facts::put(tx, "identification", &subject, one("AT_ADMISSION")).await?;
        }
    }
    repeat::refresh(tx, &event.case_id).await
}

/// `StayFlagged`: the case is over 10 days from `over_since`: a late item of the station, unless
/// the stay was justified before that instant (then the obligation was met in time); justified
/// after it, the item is done at the justification.
pub async fn stay_flagged(
    tx: &mut Tx,
    event: &ReceivedEvent,
    flagged: &pb::StayFlagged,
) -> Result<(), ApiError> {
    let over_since = at("over_since", flagged.over_since.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, division, over_10_since) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO UPDATE SET \
               division = COALESCE(r_cases.division, excluded.division), \
               over_10_since = COALESCE(r_cases.over_10_since, excluded.over_10_since)",
        )
        .bind(&flagged.case_id)
        .bind(&flagged.division)
        .bind(micros(over_since))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let (station, justified_at): (Option<String>, Option<i64>) = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT station, justified_at FROM r_cases WHERE case_id = $1")
            .bind(&flagged.case_id)
            .fetch_one(conn)
            .await
    })?;
    let justified_at = justified_at.map(instant);
    if justified_at.is_some_and(|justified| justified <= over_since) {
        return Ok(());
    }
    late::raise(
        tx,
        &LateItem {
            kind: late::STAY_OVER_10_DAYS,
            subject_id: &flagged.case_id,
            division: &flagged.division,
            responsible_unit: station.as_deref(),
            due_at: over_since,
            late_at: event.occurred_at,
            done_at: justified_at,
        },
    )
    .await
}

/// `StayJustified`: recorded on the case; a raised "stay over 10 days" item is done.
pub async fn stay_justified(tx: &mut Tx, event: &pb::StayJustified) -> Result<(), ApiError> {
    let justified_at = at("justified_at", event.justified_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, division, justified_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO UPDATE SET \
               division = COALESCE(r_cases.division, excluded.division), \
               justified_at = COALESCE(r_cases.justified_at, excluded.justified_at)",
        )
        .bind(&event.case_id)
        .bind(&event.division)
        .bind(micros(justified_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let key = late::key(late::STAY_OVER_10_DAYS, &event.case_id);
    late::done(tx, &key, justified_at).await
}

/// `CaseClosed`: the departure (by kind, on the departure day), the end of a long stay, a death
/// or disappearance, and the origin it carries (which may move the case's repeat fact).
pub async fn closed(tx: &mut Tx, event: &pb::CaseClosed) -> Result<(), ApiError> {
    let departed_at = at("departed_at", event.departed_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_cases (case_id, division, closed_at, departure_kind, \
             destination_division, origin_division) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (case_id) DO UPDATE SET \
               division = COALESCE(r_cases.division, excluded.division), \
               closed_at = COALESCE(r_cases.closed_at, excluded.closed_at), \
               departure_kind = COALESCE(r_cases.departure_kind, excluded.departure_kind), \
               destination_division = \
                 COALESCE(r_cases.destination_division, excluded.destination_division), \
               origin_division = CASE WHEN r_cases.origin_confirmed = 1 \
                 THEN r_cases.origin_division \
                 ELSE COALESCE(excluded.origin_division, r_cases.origin_division) END",
        )
        .bind(&event.case_id)
        .bind(&event.division)
        .bind(micros(departed_at))
        .bind(event.kind)
        .bind(non_empty(&event.destination_division))
        .bind(origin::current_opt(&event.origin_division))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let kind = enum_name(event.kind, |kind: pb::DepartureKind| kind.as_str_name());
    let departure = Contribution::one(day(departed_at), &event.division, &kind);
    facts::put(tx, "departure", &event.case_id, Some(departure)).await?;
    let key = late::key(late::STAY_OVER_10_DAYS, &event.case_id);
    late::done(tx, &key, departed_at).await?;
    let situation = match pb::DepartureKind::try_from(event.kind) {
        Ok(pb::DepartureKind::Death) => Some(MajorSituationKind::Death),
        Ok(pb::DepartureKind::Missing) => Some(MajorSituationKind::Missing),
        _ => None,
    };
    if let Some(kind) = situation {
        record_case_situation(
            tx,
            kind,
            &event.case_id,
            &event.division,
            departed_at,
            &pb::CaseClosed::full_name(),
        )
        .await?;
    }
    repeat::refresh(tx, &event.case_id).await
}

/// Records a death or disappearance of the person of `case_id` (one situation per case).
pub async fn record_case_situation(
    tx: &mut Tx,
    kind: MajorSituationKind,
    case_id: &str,
    division: &str,
    occurred_at: DateTime<Utc>,
    source: &str,
) -> Result<(), ApiError> {
    major::record(
        tx,
        &Report {
            kind,
            key: case_id,
            division,
            case_id: Some(case_id),
            subject: format!("case/{case_id}"),
            occurred_at,
            source,
        },
    )
    .await
}
