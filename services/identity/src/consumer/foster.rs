//! What identity does with foster's events ("Who owns a stay", "Stranded register": a stranded
//! person may be in a station or in a foster institution): where the person of a case is now.
//!
//! - **ResidentPlaced**: the placement is recorded for its case (`foster_placements`), current
//!   from `placed_at`; for a move, the previous placement ends at the same instant.
//! - **PlacementEnded**: the placement ends; MOVED starts the next placement (its institution,
//!   from the end instant), so the person's whereabouts follow the move whichever of foster's
//!   two events of a move comes first. Any other kind leaves the case without a current
//!   placement (intake's CaseClosed closes the file of a final departure).
//!
//! The file of a stay shows its current case's current placement ([`current`]) in
//! `GetIdentityFile` and in the stranded register. Written so that applying an event again, or a
//! stale event about a placement that ended, changes nothing. No personal data: ids and
//! instants. Every other event of foster's feed is ignored.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as foster;
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, with_conn, with_tx};

/// The handler of foster's feed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FosterEvents;

#[tonic::async_trait]
impl EventHandler for FosterEvents {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        if let Some(placed) = event.decode::<foster::ResidentPlaced>()? {
            return resident_placed(tx, &placed).await;
        }
        if let Some(ended) = event.decode::<foster::PlacementEnded>()? {
            return placement_ended(tx, &ended).await;
        }
        Ok(())
    }
}

/// The instant of a required timestamp of a foster event (a missing one is a fault, retried
/// until fixed rather than applied wrongly), in microseconds.
fn event_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ApiError> {
    relief_runtime::time::instant(field, value)
        .map(|at| at.trunc_subsecs(6))
        .map_err(|_| ApiError::internal(format!("foster event without a valid {field}")))
}

async fn resident_placed(tx: &mut Tx, event: &foster::ResidentPlaced) -> Result<(), ApiError> {
    let placed_at = event_instant("placed_at", event.placed_at.as_ref())?;
    record(
        tx,
        &event.placement_id,
        &event.case_id,
        &event.institution_id,
        placed_at,
    )
    .await?;
    if !event.previous_placement_id.is_empty() {
        end(
            tx,
            &event.previous_placement_id,
            placed_at,
            foster::PlacementEndKind::Moved,
        )
        .await?;
    }
    Ok(())
}

async fn placement_ended(tx: &mut Tx, event: &foster::PlacementEnded) -> Result<(), ApiError> {
    let ended_at = event_instant("ended_at", event.ended_at.as_ref())?;
    let kind = foster::PlacementEndKind::try_from(event.kind)
        .map_err(|_| ApiError::internal("PlacementEnded with an unknown kind"))?;
    end(tx, &event.placement_id, ended_at, kind).await?;
    if kind == foster::PlacementEndKind::Moved && !event.next_placement_id.is_empty() {
        record(
            tx,
            &event.next_placement_id,
            &event.case_id,
            &event.next_institution_id,
            ended_at,
        )
        .await?;
    }
    Ok(())
}

/// Records placement `placement_id` of case `case_id` in `institution_id` from `placed_at`; a
/// placement recorded already keeps its end (a stale ResidentPlaced does not bring it back).
async fn record(
    tx: &mut Tx,
    placement_id: &str,
    case_id: &str,
    institution_id: &str,
    placed_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    with_tx!(tx, |c| sqlx::query(
        "INSERT INTO foster_placements \
         (placement_id, case_id, institution_id, placed_at, ended_at, end_kind) \
         VALUES ($1, $2, $3, $4, NULL, NULL) \
         ON CONFLICT (placement_id) DO UPDATE SET institution_id = excluded.institution_id, \
         placed_at = excluded.placed_at"
    )
    .bind(placement_id)
    .bind(case_id)
    .bind(institution_id)
    .bind(placed_at)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Ends placement `placement_id` at `ended_at` with `kind` (the first end counts).
async fn end(
    tx: &mut Tx,
    placement_id: &str,
    ended_at: DateTime<Utc>,
    kind: foster::PlacementEndKind,
) -> Result<(), ApiError> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE foster_placements SET ended_at = $2, end_kind = $3 \
         WHERE placement_id = $1 AND ended_at IS NULL"
    )
    .bind(placement_id)
    .bind(ended_at)
    .bind(kind as i32)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The current placement of a case, as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CurrentPlacement {
    pub placement_id: String,
    pub institution_id: String,
    pub placed_at: DateTime<Utc>,
}

impl CurrentPlacement {
    /// The protobuf `FosterStay`.
    pub fn to_proto(&self) -> pb::FosterStay {
        pb::FosterStay {
            institution_id: self.institution_id.clone(),
            placement_id: self.placement_id.clone(),
            since: Some(timestamp(self.placed_at)),
        }
    }
}

/// A SQL condition true for the placement `p` of `foster_placements` that is its case's current
/// one: not ended, and no later one not ended (one at a time; the later wins should two ever
/// overlap). For queries joining `foster_placements p`.
pub const CURRENT_CONDITION: &str = "p.ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM \
    foster_placements q WHERE q.case_id = p.case_id AND q.ended_at IS NULL \
    AND (q.placed_at > p.placed_at OR (q.placed_at = p.placed_at AND q.placement_id > p.placement_id)))";

/// Where the person of case `case_id` is now: its current placement, if in foster care.
pub async fn current(
    conn: Conn<'_>,
    case_id: &str,
) -> Result<Option<CurrentPlacement>, sqlx::Error> {
    let sql = format!(
        "SELECT p.placement_id, p.institution_id, p.placed_at FROM foster_placements p \
         WHERE p.case_id = $1 AND {CURRENT_CONDITION}"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, CurrentPlacement>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(case_id)
    .fetch_optional(c)
    .await)
}
