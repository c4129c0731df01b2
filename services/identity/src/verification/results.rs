//! `SubmitVerificationResult`: the addressed unit submits the result of one method. A result
//! before any acknowledgement acknowledges too (after the window, the deemed receipt stays:
//! `receipt::by_act`). The request is answered when every requested method has a result, or at
//! once by an identifying one, which also confirms the file; an answer after the due time is
//! overdue (`deadlines::overdue_on_answer`). A retry of the same result changes nothing; a
//! different second result of a method is RESULT_CONFLICT.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::cancel_subject;
use relief_runtime::events::append;
use relief_runtime::personal_data::{self, BlindIndexKind, PersonalData};
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use serde::Serialize;
use tonic::Request;

use super::convert::{decode_methods, join_warnings};
use super::deadlines::overdue_on_answer;
use super::receipt;
use super::store::{self, RequestRow, ResultRow, result_id, status};
use super::{CLOSED, WHAT, addressed_request, division_now, response_of};
use crate::files::{confirm, store as files};
use crate::identity::{IdentityRecord, RESULT_IDENTITY_COLUMN, RESULT_SAMPLE_COLUMN};
use crate::stranded;

/// The longest sample reference accepted, in characters.
const MAX_SAMPLE_REFERENCE: usize = 200;
/// The longest could-not-collect reason accepted, in characters.
const MAX_REASON: usize = 1000;

/// The `FAILED_PRECONDITION` reason of a result for a method the request did not ask for.
const METHOD_NOT_REQUESTED: &str = "METHOD_NOT_REQUESTED";
/// The `FAILED_PRECONDITION` reason of a different second result of a method.
const RESULT_CONFLICT: &str = "RESULT_CONFLICT";

/// A submitted outcome, validated and normalised. Personal data (the identity, the sample
/// reference): `Debug` prints only the outcome.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The method, as its protobuf number.
    pub method: i32,
    /// The outcome, as its protobuf number.
    pub outcome: i32,
    /// IDENTIFIED: who.
    pub identity: Option<IdentityRecord>,
    /// NO_MATCH: the sample's reference, if given.
    pub sample_reference: Option<String>,
    /// COULD_NOT_COLLECT: why.
    pub reason: Option<String>,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("method", &self.method)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Outcome {
    /// Validates a submission (every bad field in one INVALID_ARGUMENT); `warnings` receives
    /// what the identity's validation had to assume (an unknown division code).
    pub fn from_request(
        check: &mut Violations,
        request: &pb::SubmitVerificationResultRequest,
        now: DateTime<Utc>,
        warnings: &mut Vec<String>,
    ) -> Outcome {
        use pb::submit_verification_result_request::Outcome as Given;
        let method =
            check.required_enum("method", pb::VerificationMethod::try_from(request.method));
        let today = now.with_timezone(&relief_legal::china()).date_naive();
        let mut outcome = Outcome {
            method: method as i32,
            outcome: pb::VerificationOutcome::Unspecified as i32,
            identity: None,
            sample_reference: None,
            reason: None,
        };
        match &request.outcome {
            None => check.add(
                "outcome",
                "exactly one of identified, no_match or could_not_collect is required",
            ),
            Some(Given::Identified(identified)) => {
                outcome.outcome = pb::VerificationOutcome::Identified as i32;
                outcome.identity = Some(IdentityRecord::from_proto(
                    check,
                    "identified.identity",
                    identified.identity.as_ref(),
                    today,
                    warnings,
                ));
            }
            Some(Given::NoMatch(no_match)) => {
                outcome.outcome = pb::VerificationOutcome::NoMatch as i32;
                let sample = check.optional_text(
                    "no_match.sample_reference",
                    &no_match.sample_reference,
                    MAX_SAMPLE_REFERENCE,
                );
                outcome.sample_reference = (!sample.is_empty()).then_some(sample);
            }
            Some(Given::CouldNotCollect(could_not)) => {
                outcome.outcome = pb::VerificationOutcome::CouldNotCollect as i32;
                outcome.reason = Some(check.required_text(
                    "could_not_collect.reason",
                    &could_not.reason,
                    MAX_REASON,
                ));
            }
        }
        outcome
    }

    /// Whether it identified the person.
    pub fn identifies(&self) -> bool {
        self.outcome == pb::VerificationOutcome::Identified as i32
    }

    /// A keyed digest of the whole outcome (the blind-index HMAC over its JSON), equal for
    /// equal outcomes: a retry is recognised and a different result refused without storing
    /// or comparing any plaintext.
    pub fn fingerprint(&self, keys: &PersonalData) -> Result<String, ApiError> {
        let json = serde_json::to_string(self)
            .map_err(|_| ApiError::internal("cannot serialise a verification outcome"))?;
        Ok(keys.blind_index(BlindIndexKind::Name, &format!("verification-result:{json}"))?)
    }
}

/// `SubmitVerificationResult`.
pub async fn submit_result(
    context: &ServiceContext,
    request: Request<pb::SubmitVerificationResultRequest>,
) -> Result<pb::SubmitVerificationResultResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    // Stored to the microsecond (PostgreSQL): events say what the rows say.
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("verification_id", &request.verification_id);
    let mut warnings = Vec::new();
    let outcome = Outcome::from_request(&mut check, &request, now, &mut warnings);
    check.finish()?;
    let keys = personal_data::require(context.personal_data.as_deref())?;
    let fingerprint = outcome.fingerprint(keys)?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/SubmitVerificationResult",
        &request.request_id,
        &request,
        async |tx| {
            // The file before the request: the order confirming and closing a file lock in.
            let file_id = store::fetch(Conn::Tx(tx), &id)
                .await?
                .filter(|row| row.police_unit == caller.unit)
                .ok_or(ApiError::NotFound { what: WHAT })?
                .file_id;
            files::lock_with_deadlines(tx, &file_id).await?;
            let row = addressed_request(tx, &caller, &id).await?;
            let row = record(
                context,
                tx,
                &caller,
                row,
                &outcome,
                &fingerprint,
                warnings.clone(),
                now,
            )
            .await?;
            Ok(pb::SubmitVerificationResultResponse {
                verification: Some(response_of(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

/// Records `outcome` on `row` (locked, addressed to `caller`) unless the same result is
/// already there; returns the request as it now stands.
#[allow(
    clippy::too_many_arguments,
    reason = "one step of one RPC, its inputs named"
)]
async fn record(
    context: &ServiceContext,
    tx: &mut Tx,
    caller: &Caller,
    mut row: RequestRow,
    outcome: &Outcome,
    fingerprint: &str,
    warnings: Vec<String>,
    now: DateTime<Utc>,
) -> Result<RequestRow, ApiError> {
    let methods = decode_methods(&row.methods);
    if !methods.contains(&outcome.method) {
        return Err(ApiError::failed_precondition(
            METHOD_NOT_REQUESTED,
            "the request did not ask for this method",
        ));
    }
    let (_, results) = store::details_of(Conn::Tx(tx), &[row.id.as_str()]).await?;
    if let Some(existing) = results.iter().find(|r| r.method == outcome.method) {
        if existing.fingerprint == fingerprint {
            return Ok(row);
        }
        return Err(ApiError::failed_precondition(
            RESULT_CONFLICT,
            "this method already has a different result",
        ));
    }
    if row.status == status::WITHDRAWN {
        return Err(ApiError::failed_precondition(
            CLOSED,
            "the request was withdrawn: the identity was confirmed another way or the stay ended",
        ));
    }
    // A result acknowledges too: the receipt if the window is still open, else after the
    // deemed receipt (fired here if the sweeper has not yet).
    row = receipt::by_act(context, tx, row, now).await?;
    let on_time = row.due_at.is_some_and(|due| now < due);
    let keys = personal_data::require(context.personal_data.as_deref())?;
    store::insert_result(
        tx,
        &result_row(keys, &row.id, caller, outcome, fingerprint, on_time, now)?,
    )
    .await?;
    let every_method_resulted = methods
        .iter()
        .all(|method| *method == outcome.method || results.iter().any(|r| r.method == *method));
    let answers = row.status != status::ANSWERED && (outcome.identifies() || every_method_resulted);
    row.warnings = join_warnings(&row.warnings, warnings);
    if answers {
        // ANSWERED before any confirmation, which withdraws the file's unanswered requests.
        row.status = status::ANSWERED;
        row.answered_at = Some(now);
        row.answered_on_time = Some(on_time);
    }
    store::update(tx, &row).await?;
    if answers {
        // A late answer is overdue all the same: fired here unless the sweeper did already.
        overdue_on_answer(context, tx, &row, now).await?;
        cancel_subject(tx, now, &row.subject()).await?;
    }
    let division = division_now(tx, &row).await?;
    append(
        tx,
        now,
        &pb::VerificationAnswered {
            verification_id: row.id.clone(),
            file_id: row.file_id.clone(),
            division,
            police_unit: caller.unit.clone(),
            method: outcome.method,
            outcome: outcome.outcome,
            answered_at: Some(timestamp(now)),
            on_time,
            request_answered: answers,
            received_at: row.received_at.map(timestamp),
        },
    )
    .await?;
    if let Some(identity) = outcome.identity.as_ref() {
        confirm_file(context, tx, &row.file_id, outcome.method, identity, now).await?;
    }
    if outcome.method == pb::VerificationMethod::Face as i32
        && store::count_results(tx, &row.file_id, outcome.method).await? == 1
    {
        stranded::step_done(
            context,
            tx,
            &row.file_id,
            pb::StrandedStep::FaceResultReceived,
            now,
        )
        .await?;
    }
    Ok(row)
}

/// Confirms file `file_id` with an identifying result of `method`, if the file is still open.
async fn confirm_file(
    context: &ServiceContext,
    tx: &mut Tx,
    file_id: &str,
    method: i32,
    identity: &IdentityRecord,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(file) = files::fetch(Conn::Tx(tx), file_id).await? else {
        return Err(ApiError::internal(
            "a verification request of a missing file",
        ));
    };
    if !file.is_open() {
        return Ok(());
    }
    let how = if method == pb::VerificationMethod::Face as i32 {
        pb::ConfirmationMethod::PoliceFace
    } else {
        pb::ConfirmationMethod::PoliceDna
    };
    confirm::confirm(context, tx, &file, how, identity, "", now).await
}

/// The stored result: personal parts encrypted with the result id as row id.
fn result_row(
    keys: &PersonalData,
    verification_id: &str,
    caller: &Caller,
    outcome: &Outcome,
    fingerprint: &str,
    on_time: bool,
    now: DateTime<Utc>,
) -> Result<ResultRow, ApiError> {
    let id = result_id(verification_id, outcome.method);
    let identity = outcome
        .identity
        .as_ref()
        .map(|record| record.encrypt(keys, &RESULT_IDENTITY_COLUMN, &id))
        .transpose()?;
    let sample_reference = outcome
        .sample_reference
        .as_deref()
        .map(|sample| keys.encrypt(&RESULT_SAMPLE_COLUMN, &id, sample))
        .transpose()?;
    Ok(ResultRow {
        id,
        verification_id: verification_id.to_owned(),
        method: outcome.method,
        outcome: outcome.outcome,
        identity,
        sample_reference,
        reason: outcome.reason.clone(),
        fingerprint: fingerprint.to_owned(),
        submitted_at: now,
        submitted_by_unit: caller.unit.clone(),
        submitted_by_division: caller.division.clone(),
        on_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::submit_verification_result_request::Outcome as Given;

    fn submit(
        method: pb::VerificationMethod,
        outcome: Option<Given>,
    ) -> pb::SubmitVerificationResultRequest {
        pb::SubmitVerificationResultRequest {
            request_id: String::new(),
            verification_id: "v".to_owned(),
            method: method as i32,
            outcome,
        }
    }

    fn validate(request: &pb::SubmitVerificationResultRequest) -> Result<Outcome, String> {
        let mut check = Violations::new();
        let outcome = Outcome::from_request(&mut check, request, Utc::now(), &mut Vec::new());
        check
            .finish()
            .map(|()| outcome)
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn exactly_one_outcome_with_its_details_is_required() {
        use pb::VerificationMethod::{Dna, Face, Unspecified};
        let error = validate(&submit(Dna, None)).unwrap_err();
        assert!(error.contains("outcome"), "{error}");
        let error = validate(&submit(
            Unspecified,
            Some(Given::NoMatch(pb::NoMatch::default())),
        ))
        .unwrap_err();
        assert!(error.contains("method"), "{error}");
        let error = validate(&submit(
            Face,
            Some(Given::CouldNotCollect(pb::CouldNotCollect::default())),
        ))
        .unwrap_err();
        assert!(error.contains("could_not_collect.reason"), "{error}");
        let error = validate(&submit(
            Face,
            Some(Given::NoMatch(pb::NoMatch {
                sample_reference: "x".repeat(201),
            })),
        ))
        .unwrap_err();
        assert!(error.contains("no_match.sample_reference"), "{error}");
        let error = validate(&submit(
            Dna,
            Some(Given::Identified(pb::Identified {
                identity: Some(pb::IdentityDetails {
                    id_number: "211103198001010010".to_owned(),
                    ..Default::default()
                }),
            })),
        ))
        .unwrap_err();
        assert!(error.contains("identified.identity.id_number"), "{error}");
        let no_match = validate(&submit(
            Dna,
            Some(Given::NoMatch(pb::NoMatch {
                sample_reference: "  ".to_owned(),
            })),
        ))
        .unwrap();
        assert_eq!(no_match.sample_reference, None);
        assert!(!no_match.identifies());
    }

    #[test]
    fn equal_outcomes_share_a_fingerprint_and_debug_hides_them() {
        let keys = PersonalData::from_config(&relief_runtime::config::PersonalDataConfig {
            active_key: "k1".to_owned(),
            keys: [(
                "k1".to_owned(),
                relief_runtime::secret::Secret::new(
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned(),
                ),
            )]
            .into(),
            blind_index_key: Some(relief_runtime::secret::Secret::new(
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".to_owned(),
            )),
        })
        .unwrap()
        .unwrap();
        let sample = |reference: &str| {
            validate(&submit(
                pb::VerificationMethod::Dna,
                Some(Given::NoMatch(pb::NoMatch {
                    sample_reference: reference.to_owned(),
                })),
            ))
            .unwrap()
        };
        let first = sample("DNA-2026-0001");
        assert_eq!(
            first.fingerprint(&keys).unwrap(),
            sample(" DNA-2026-0001 ").fingerprint(&keys).unwrap()
        );
        let other = sample("DNA-2026-0002").fingerprint(&keys).unwrap();
        assert_ne!(first.fingerprint(&keys).unwrap(), other);
        assert!(!first.fingerprint(&keys).unwrap().contains("DNA-2026"));
        assert!(!format!("{first:?}").contains("DNA-2026"));
    }
}
