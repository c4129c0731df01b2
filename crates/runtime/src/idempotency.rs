//! Idempotent mutations (AIP-155): a retry with the same `request_id` by the same caller for the
//! same method returns the first response and changes nothing; the same id with a different
//! request is INVALID_ARGUMENT (`REQUEST_ID_REUSED`); another caller's id is a different key.
//!
//! The key row is inserted first, in the mutation's own transaction, so two concurrent calls with
//! one id serialise on it: the second waits for the first to commit, then returns its response.
//! A failed mutation rolls back its key too, so a retry after an error runs again. Keys are kept
//! for [`RETENTION_DAYS`] days and then pruned.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::caller::Caller;
use crate::db::Tx;
use crate::error::ApiError;
use crate::server::ServiceContext;
use crate::with_tx;

/// How long keys are kept (the contract promises at least 7 days).
pub const RETENTION_DAYS: i64 = 8;

/// The reason of a reused request id.
pub const REQUEST_ID_REUSED: &str = "REQUEST_ID_REUSED";

/// Checks that `request_id` is a UUID; INVALID_ARGUMENT on `request_id` otherwise.
pub fn parse_request_id(request_id: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(request_id.trim())
        .map_err(|_| ApiError::invalid_field("request_id", "must be a UUID chosen by the caller"))
}

/// Runs `mutation` once per (caller, method, request id): commits its writes together with the
/// stored response, or returns the stored response of an earlier call.
pub async fn run<Req, Resp>(
    context: &ServiceContext,
    caller: &Caller,
    method: &str,
    request_id: &str,
    request: &Req,
    mutation: impl AsyncFnOnce(&mut Tx) -> Result<Resp, ApiError>,
) -> Result<Resp, ApiError>
where
    Req: Message,
    Resp: Message + Default,
{
    let request_id = parse_request_id(request_id)?.to_string();
    let caller_id = caller.spiffe_id();
    let request_hash = Sha256::digest(request.encode_to_vec()).to_vec();
    let now = context.clock.now();
    let mut tx = context.db.begin().await?;
    // An empty response marks the key as taken by the transaction that will fill it in.
    let inserted: Option<String> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO idempotency_keys (caller, method, request_id, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (caller, method, request_id) DO NOTHING RETURNING request_id",
        )
        .bind(&caller_id)
        .bind(method)
        .bind(&request_id)
        .bind(&request_hash)
        .bind(Vec::<u8>::new())
        .bind(now)
        .fetch_optional(conn)
        .await
    })?;
    if inserted.is_none() {
        let stored: Option<(Vec<u8>, Vec<u8>)> = with_tx!(&mut tx, |conn| {
            sqlx::query_as(
                "SELECT request_hash, response FROM idempotency_keys \
                 WHERE caller = $1 AND method = $2 AND request_id = $3",
            )
            .bind(&caller_id)
            .bind(method)
            .bind(&request_id)
            .fetch_optional(conn)
            .await
        })?;
        let Some((stored_hash, response)) = stored else {
            return Err(ApiError::internal(
                "idempotency key vanished between insert and read",
            ));
        };
        if stored_hash != request_hash {
            return Err(ApiError::InvalidArgument {
                reason: REQUEST_ID_REUSED,
                violations: vec![crate::error::FieldViolation::new(
                    "request_id",
                    "was already used for a different request; use a new UUID",
                )],
            });
        }
        return Resp::decode(response.as_slice()).map_err(ApiError::internal);
    }
    let response = mutation(&mut tx).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE idempotency_keys SET response = $4 \
             WHERE caller = $1 AND method = $2 AND request_id = $3",
        )
        .bind(&caller_id)
        .bind(method)
        .bind(&request_id)
        .bind(response.encode_to_vec())
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    context.commit(tx).await?;
    Ok(response)
}

/// Deletes keys older than [`RETENTION_DAYS`]; returns how many.
pub async fn prune(context: &ServiceContext) -> Result<u64, sqlx::Error> {
    let cutoff = context.clock.now() - chrono::Duration::days(RETENTION_DAYS);
    let result = crate::with_db!(&context.db, |pool| {
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(result)
}
