//! Conversions between chrono instants and protobuf timestamps and durations, in one place.

use chrono::{DateTime, TimeZone, Utc};

use crate::error::ApiError;

/// A protobuf timestamp for `instant`.
pub fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: instant.timestamp_subsec_nanos() as i32,
    }
}

/// An optional protobuf timestamp.
pub fn timestamp_opt(instant_opt: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    instant_opt.map(timestamp)
}

/// The instant of a required protobuf timestamp field; INVALID_ARGUMENT naming `field` when it
/// is missing or out of range.
pub fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ApiError> {
    let value = value.ok_or_else(|| ApiError::invalid_field(field, "is required"))?;
    Utc.timestamp_opt(
        value.seconds,
        u32::try_from(value.nanos).unwrap_or(u32::MAX),
    )
    .single()
    .ok_or_else(|| ApiError::invalid_field(field, "is not a valid timestamp"))
}

/// The chrono duration of a required protobuf duration field.
pub fn duration(
    field: &str,
    value: Option<&prost_types::Duration>,
) -> Result<chrono::Duration, ApiError> {
    let value = value.ok_or_else(|| ApiError::invalid_field(field, "is required"))?;
    chrono::Duration::try_seconds(value.seconds)
        .and_then(|seconds| {
            seconds.checked_add(&chrono::Duration::nanoseconds(i64::from(value.nanos)))
        })
        .ok_or_else(|| ApiError::invalid_field(field, "is out of range"))
}
