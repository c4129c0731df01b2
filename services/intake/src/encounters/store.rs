//! The encounters table.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::notifications::unit_ref;
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{Caller, with_tx};

use crate::flags;

/// A stored encounter.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Row {
    pub id: String,
    pub sighting_id: Option<String>,
    pub division: String,
    pub occurred_at: DateTime<Utc>,
    pub outcome: i32,
    pub flags: i64,
    pub estimated_age: i32,
    pub capacity: i32,
    pub consent_recorded: bool,
    pub handing_officer: Option<String>,
    pub receiving_station: Option<String>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub belongings: Option<String>,
    pub handover_accepted_at: Option<DateTime<Utc>>,
    pub receiving_staff: Option<String>,
    pub hospital: Option<String>,
    pub taken_to_hospital: Option<bool>,
    pub identification_due_at: Option<DateTime<Utc>>,
    pub identified_at: Option<DateTime<Utc>>,
    pub needs_relief: Option<bool>,
    pub hospital_admitted_at: Option<DateTime<Utc>>,
    pub hospital_discharged_at: Option<DateTime<Utc>>,
    pub contact_given: Option<bool>,
    pub persuasion: Option<String>,
    pub recorded_by_kind: String,
    pub recorded_by_division: String,
    pub recorded_by_unit: String,
    pub recorded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, sighting_id, division, occurred_at, outcome, flags, estimated_age, \
    capacity, consent_recorded, handing_officer, receiving_station, handed_over_at, belongings, \
    handover_accepted_at, receiving_staff, hospital, taken_to_hospital, identification_due_at, \
    identified_at, needs_relief, hospital_admitted_at, hospital_discharged_at, contact_given, \
    persuasion, recorded_by_kind, \
    recorded_by_division, recorded_by_unit, recorded_at";

impl Row {
    /// The outcome as the enum.
    pub fn outcome(&self) -> pb::EncounterOutcome {
        pb::EncounterOutcome::try_from(self.outcome).unwrap_or(pb::EncounterOutcome::Unspecified)
    }

    /// The recording unit.
    pub fn recorder(&self) -> Option<Caller> {
        Caller::new(
            self.recorded_by_kind.parse().ok()?,
            self.recorded_by_division.clone(),
            self.recorded_by_unit.clone(),
        )
        .ok()
    }

    /// The protobuf form.
    pub fn to_proto(&self) -> pb::Encounter {
        let outcome = self.outcome();
        pb::Encounter {
            encounter_id: self.id.clone(),
            sighting_id: self.sighting_id.clone().unwrap_or_default(),
            division: self.division.clone(),
            occurred_at: Some(timestamp(self.occurred_at)),
            outcome: outcome as i32,
            flags: Some(flags::from_bits(self.flags)),
            estimated_age: self.estimated_age,
            capacity: self.capacity,
            consent_recorded: self.consent_recorded,
            handover: (outcome == pb::EncounterOutcome::Escorted).then(|| pb::Handover {
                handing_officer: self.handing_officer.clone().unwrap_or_default(),
                receiving_station: self.receiving_station.clone().unwrap_or_default(),
                handed_over_at: timestamp_opt(self.handed_over_at),
                belongings: self
                    .belongings
                    .as_deref()
                    .unwrap_or_default()
                    .split('\n')
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }),
            handover_accepted_at: timestamp_opt(self.handover_accepted_at),
            acute_illness: (outcome == pb::EncounterOutcome::AcuteIllness).then(|| {
                pb::AcuteIllness {
                    hospital: self.hospital.clone().unwrap_or_default(),
                    taken_to_hospital: self.taken_to_hospital.unwrap_or_default(),
                }
            }),
            identification_due_at: timestamp_opt(self.identification_due_at),
            identified_at: timestamp_opt(self.identified_at),
            refusal: (outcome == pb::EncounterOutcome::Refused).then(|| pb::Refusal {
                contact_given: self.contact_given.unwrap_or_default(),
                persuasion: self.persuasion.clone().unwrap_or_default(),
            }),
            recorded_by: self.recorder().map(|recorder| unit_ref(&recorder)),
            receiving_staff: self.receiving_staff.clone().unwrap_or_default(),
            needs_relief: self.needs_relief.unwrap_or_default(),
            hospital_admitted_at: timestamp_opt(self.hospital_admitted_at),
            hospital_discharged_at: timestamp_opt(self.hospital_discharged_at),
        }
    }
}

/// Inserts a new encounter.
pub async fn insert(tx: &mut Tx, row: &Row) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO encounters (id, sighting_id, division, occurred_at, outcome, flags, \
             estimated_age, capacity, consent_recorded, handing_officer, receiving_station, \
             handed_over_at, belongings, hospital, taken_to_hospital, identification_due_at, \
             contact_given, persuasion, recorded_by_kind, recorded_by_division, recorded_by_unit, \
             recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22)",
        )
        .bind(&row.id)
        .bind(&row.sighting_id)
        .bind(&row.division)
        .bind(row.occurred_at)
        .bind(row.outcome)
        .bind(row.flags)
        .bind(row.estimated_age)
        .bind(row.capacity)
        .bind(row.consent_recorded)
        .bind(&row.handing_officer)
        .bind(&row.receiving_station)
        .bind(row.handed_over_at)
        .bind(&row.belongings)
        .bind(&row.hospital)
        .bind(row.taken_to_hospital)
        .bind(row.identification_due_at)
        .bind(row.contact_given)
        .bind(&row.persuasion)
        .bind(&row.recorded_by_kind)
        .bind(&row.recorded_by_division)
        .bind(&row.recorded_by_unit)
        .bind(row.recorded_at)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// The encounter `id`, read inside `tx`.
pub async fn fetch(tx: &mut Tx, id: &str) -> Result<Option<Row>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM encounters WHERE id = $1");
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(conn)
            .await
    })
}

/// Records the receiving station's acceptance.
pub async fn accept(
    tx: &mut Tx,
    id: &str,
    staff: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE encounters SET handover_accepted_at = $2, receiving_staff = $3 \
             WHERE id = $1 AND handover_accepted_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .bind(staff)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// Records the identification at the hospital.
pub async fn identify(
    tx: &mut Tx,
    id: &str,
    at: DateTime<Utc>,
    needs_relief: bool,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE encounters SET identified_at = $2, needs_relief = $3 \
             WHERE id = $1 AND identified_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .bind(needs_relief)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// Records a step of the hospital stay; returns whether it was not recorded before.
pub async fn hospital_step(
    tx: &mut Tx,
    id: &str,
    step: pb::HospitalStayStep,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // The column is chosen from the enum, never from input.
    let sql = match step {
        pb::HospitalStayStep::Discharged => {
            "UPDATE encounters SET hospital_discharged_at = $2 \
             WHERE id = $1 AND hospital_discharged_at IS NULL"
        }
        _ => {
            "UPDATE encounters SET hospital_admitted_at = $2 \
             WHERE id = $1 AND hospital_admitted_at IS NULL"
        }
    };
    with_tx!(tx, |conn| {
        sqlx::query(sql)
            .bind(id)
            .bind(at)
            .execute(conn)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}
