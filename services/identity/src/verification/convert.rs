//! Stored rows to protobuf messages, and the stored form of a method list. Personal parts of
//! results are decrypted here only when the caller gave a purpose ([`Details::Personal`]).

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::notifications::unit_ref;
use relief_runtime::personal_data::PersonalData;
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{ApiError, Caller, CallerKind};

use super::store::{ForwardingRow, RequestRow, ResultRow};
use crate::identity::{IdentityRecord, RESULT_IDENTITY_COLUMN, RESULT_SAMPLE_COLUMN};

/// The stored form of a method list: protobuf numbers, ascending, comma-separated (`1`, `2`,
/// `1,2`), the form the stranded register reads.
pub fn encode_methods(methods: &[pb::VerificationMethod]) -> String {
    let mut numbers: Vec<i32> = methods.iter().map(|method| *method as i32).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The method numbers of a stored list (unknown parts are skipped).
pub fn decode_methods(stored: &str) -> Vec<i32> {
    stored
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

/// The warnings of a row (one per line) as a list.
pub fn split_warnings(stored: &str) -> Vec<String> {
    stored
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// `stored` with `more` appended, one warning per line, each once.
pub fn join_warnings(stored: &str, more: impl IntoIterator<Item = String>) -> String {
    let mut all = split_warnings(stored);
    for warning in more {
        if !all.contains(&warning) {
            all.push(warning);
        }
    }
    all.join("\n")
}

/// Whether the personal parts of results are returned.
#[derive(Debug, Clone, Copy)]
pub enum Details<'a> {
    /// Left out (`details_omitted` where there were any).
    Omitted,
    /// Decrypted with these keys (the caller gave a purpose; the read is audited).
    Personal(&'a PersonalData),
}

/// The protobuf request of `row` with its forwardings and results (of any request: those of
/// other requests are skipped), `overdue` as of `now`.
pub fn to_proto(
    row: &RequestRow,
    forwardings: &[ForwardingRow],
    results: &[ResultRow],
    details: Details<'_>,
    now: DateTime<Utc>,
) -> Result<pb::VerificationRequest, ApiError> {
    let results = results
        .iter()
        .filter(|result| result.verification_id == row.id)
        .map(|result| result_to_proto(result, details))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pb::VerificationRequest {
        verification_id: row.id.clone(),
        file_id: row.file_id.clone(),
        case_id: row.case_id.clone(),
        station: row.station.clone(),
        division: row.division.clone(),
        methods: decode_methods(&row.methods),
        police_unit: row.police_unit.clone(),
        forwardings: forwardings
            .iter()
            .filter(|forwarding| forwarding.verification_id == row.id)
            .map(|forwarding| pb::Forwarding {
                from_unit: forwarding.from_unit.clone(),
                to_unit: forwarding.to_unit.clone(),
                forwarded_at: Some(timestamp(forwarding.forwarded_at)),
                reason: forwarding.reason.clone(),
            })
            .collect(),
        filed_at: Some(timestamp(row.filed_at)),
        filed_on_time: row.filed_on_time,
        acknowledge_by: Some(timestamp(row.acknowledge_by)),
        received_at: timestamp_opt(row.received_at),
        receipt: row.receipt,
        acknowledged_at: timestamp_opt(row.acknowledged_at),
        due_at: timestamp_opt(row.due_at),
        status: row.status,
        answered_at: timestamp_opt(row.answered_at),
        answered_on_time: row.answered_on_time.unwrap_or(false),
        overdue: row.is_overdue(now),
        results,
        note: row.note.clone(),
        warnings: split_warnings(&row.warnings),
    })
}

/// One result; its personal parts per `details`.
fn result_to_proto(row: &ResultRow, details: Details<'_>) -> Result<pb::MethodResult, ApiError> {
    use pb::method_result::Detail;
    let has_personal = row.identity.is_some() || row.sample_reference.is_some();
    let outcome = pb::VerificationOutcome::try_from(row.outcome).unwrap_or_default();
    let detail = match (outcome, details) {
        (pb::VerificationOutcome::Identified, Details::Omitted) => {
            Some(Detail::Identified(pb::Identified { identity: None }))
        }
        (pb::VerificationOutcome::Identified, Details::Personal(keys)) => {
            let identity = row
                .identity
                .as_deref()
                .map(|stored| {
                    IdentityRecord::decrypt(keys, &RESULT_IDENTITY_COLUMN, &row.id, stored)
                })
                .transpose()?;
            Some(Detail::Identified(pb::Identified {
                identity: identity.map(|record| record.to_proto()),
            }))
        }
        (pb::VerificationOutcome::NoMatch, Details::Omitted) => {
            Some(Detail::NoMatch(pb::NoMatch::default()))
        }
        (pb::VerificationOutcome::NoMatch, Details::Personal(keys)) => {
            let sample_reference = match row.sample_reference.as_deref() {
                Some(stored) => keys
                    .decrypt(&RESULT_SAMPLE_COLUMN, &row.id, stored)?
                    .expose()
                    .clone(),
                None => String::new(),
            };
            Some(Detail::NoMatch(pb::NoMatch { sample_reference }))
        }
        (pb::VerificationOutcome::CouldNotCollect, _) => {
            Some(Detail::CouldNotCollect(pb::CouldNotCollect {
                reason: row.reason.clone().unwrap_or_default(),
            }))
        }
        (pb::VerificationOutcome::Unspecified, _) => None,
    };
    let submitter = Caller {
        kind: CallerKind::Police,
        division: row.submitted_by_division.clone(),
        unit: row.submitted_by_unit.clone(),
    };
    Ok(pb::MethodResult {
        method: row.method,
        outcome: row.outcome,
        detail,
        submitted_at: Some(timestamp(row.submitted_at)),
        submitted_by: Some(unit_ref(&submitter)),
        on_time: row.on_time,
        details_omitted: has_personal && matches!(details, Details::Omitted),
    })
}

/// The audit names of the personal fields a read with a purpose returns for `results`, e.g.
/// `results.dna.identified.identity.name` or `results.face.no_match.sample_reference`.
pub fn returned_fields(
    keys: &PersonalData,
    results: &[ResultRow],
) -> Result<Vec<String>, ApiError> {
    let mut fields = Vec::new();
    for row in results {
        let method = method_label(row.method);
        if let Some(stored) = row.identity.as_deref() {
            let record = IdentityRecord::decrypt(keys, &RESULT_IDENTITY_COLUMN, &row.id, stored)?;
            fields.extend(record.returned_fields(&format!("results.{method}.identified.identity")));
        }
        if row.sample_reference.is_some() {
            fields.push(format!("results.{method}.no_match.sample_reference"));
        }
    }
    Ok(fields)
}

/// A method's lowercase label, for audit field names and summaries.
pub fn method_label(method: i32) -> &'static str {
    match pb::VerificationMethod::try_from(method) {
        Ok(pb::VerificationMethod::Dna) => "dna",
        Ok(pb::VerificationMethod::Face) => "face",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_stored_ascending_once() {
        use pb::VerificationMethod::{Dna, Face};
        assert_eq!(encode_methods(&[Face, Dna]), "1,2");
        assert_eq!(encode_methods(&[Face]), "2");
        assert_eq!(encode_methods(&[Dna, Dna]), "1");
        assert_eq!(decode_methods("1,2"), [1, 2]);
        assert_eq!(decode_methods("2"), [2]);
        assert!(decode_methods("").is_empty());
    }

    #[test]
    fn warnings_are_lines_kept_once() {
        assert!(split_warnings("").is_empty());
        assert_eq!(join_warnings("", ["a".to_owned()]), "a");
        assert_eq!(join_warnings("a", ["b".to_owned(), "a".to_owned()]), "a\nb");
        assert_eq!(split_warnings("a\nb"), ["a", "b"]);
    }
}
