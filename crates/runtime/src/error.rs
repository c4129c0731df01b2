//! The one mapping from domain failures to gRPC statuses.
//!
//! Every service's error type converts into [`ApiError`]; [`ApiError`] converts into
//! `tonic::Status` here and nowhere else, with an `ErrorInfo` (UPPER_SNAKE reason, domain
//! `relief.local`) and, for validation, `BadRequest` field violations. Messages never carry SQL,
//! stack traces or personal data; internal failures are logged with their cause and answered
//! with a generic message.

use std::collections::HashMap;
use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every relief error.
pub const ERROR_DOMAIN: &str = "relief.local";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `person.id_number`.
    pub field: String,
    /// What is wrong with it, for the caller's developer.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// A failure a caller can be told about.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: one violation per bad field (INVALID_ARGUMENT).
    #[error("invalid argument: {}", describe(.violations))]
    InvalidArgument {
        /// UPPER_SNAKE reason, usually `INVALID_FIELDS`.
        reason: &'static str,
        /// The bad fields.
        violations: Vec<FieldViolation>,
    },
    /// The request is well formed but a rule forbids it now (FAILED_PRECONDITION).
    #[error("{message}")]
    FailedPrecondition {
        /// UPPER_SNAKE name of the broken rule.
        reason: &'static str,
        /// The rule, in words.
        message: String,
        /// Where a rule has several conditions, each one unmet (subject and why), sent as a
        /// `PreconditionFailure` detail with one violation each; empty otherwise.
        unmet: Vec<FieldViolation>,
    },
    /// The object does not exist or is outside the caller's scope (NOT_FOUND): the two are
    /// indistinguishable on purpose.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `case`.
        what: &'static str,
    },
    /// The object already exists (ALREADY_EXISTS).
    #[error("{message}")]
    AlreadyExists {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// What exists.
        message: String,
    },
    /// The caller's kind may not call this RPC (PERMISSION_DENIED).
    #[error("{message}")]
    PermissionDenied {
        /// Why, naming the caller kind and the RPC.
        message: String,
    },
    /// No acceptable client identity (UNAUTHENTICATED).
    #[error("{message}")]
    Unauthenticated {
        /// Why the identity was refused.
        message: String,
    },
    /// No such method on this server (UNIMPLEMENTED).
    #[error("{message}")]
    Unimplemented {
        /// Which method.
        message: String,
    },
    /// The caller exceeded its rate (RESOURCE_EXHAUSTED).
    #[error("{message}")]
    ResourceExhausted {
        /// Which limit.
        message: String,
    },
    /// The service cannot take the call now; retry with backoff (UNAVAILABLE).
    #[error("{message}")]
    Unavailable {
        /// UPPER_SNAKE reason, e.g. `OVERLOADED`, `PEER_UNAVAILABLE`.
        reason: &'static str,
        /// Why.
        message: String,
    },
    /// A fault of ours. The cause is logged, never sent (INTERNAL).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// INVALID_ARGUMENT for one field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        ApiError::InvalidArgument {
            reason: "INVALID_FIELDS",
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    /// INVALID_ARGUMENT for several fields; call only with a non-empty list.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        ApiError::InvalidArgument {
            reason: "INVALID_FIELDS",
            violations,
        }
    }

    /// UNAVAILABLE (retry with backoff) naming why.
    pub fn unavailable(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::Unavailable {
            reason,
            message: message.into(),
        }
    }

    /// FAILED_PRECONDITION naming the broken rule.
    pub fn failed_precondition(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::FailedPrecondition {
            reason,
            message: message.into(),
            unmet: Vec::new(),
        }
    }

    /// FAILED_PRECONDITION naming the broken rule and every unmet condition of it (a
    /// `PreconditionFailure` violation each, of type `reason`), so a client can show them all.
    pub fn failed_conditions(
        reason: &'static str,
        message: impl Into<String>,
        unmet: Vec<FieldViolation>,
    ) -> Self {
        ApiError::FailedPrecondition {
            reason,
            message: message.into(),
            unmet,
        }
    }

    /// An internal fault with its cause (logged, not sent).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(cause.into())
    }

    fn code_and_reason(&self) -> (Code, &'static str) {
        match self {
            ApiError::InvalidArgument { reason, .. } => (Code::InvalidArgument, reason),
            ApiError::FailedPrecondition { reason, .. } => (Code::FailedPrecondition, reason),
            ApiError::NotFound { .. } => (Code::NotFound, "NOT_FOUND"),
            ApiError::AlreadyExists { reason, .. } => (Code::AlreadyExists, reason),
            ApiError::PermissionDenied { .. } => {
                (Code::PermissionDenied, "CALLER_KIND_NOT_ALLOWED")
            }
            ApiError::Unauthenticated { .. } => (Code::Unauthenticated, "NO_CALLER_IDENTITY"),
            ApiError::Unimplemented { .. } => (Code::Unimplemented, "METHOD_NOT_SERVED"),
            ApiError::ResourceExhausted { .. } => (Code::ResourceExhausted, "CALLER_RATE_EXCEEDED"),
            ApiError::Unavailable { reason, .. } => (Code::Unavailable, reason),
            ApiError::Internal(_) => (Code::Internal, "INTERNAL"),
        }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Status {
        let (code, reason) = error.code_and_reason();
        if let ApiError::Internal(cause) = &error {
            tracing::error!(error = %DisplayChain(cause.as_ref()), "internal error");
        }
        let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new());
        match &error {
            ApiError::InvalidArgument { violations, .. } => {
                for violation in violations {
                    details.add_bad_request_violation(&violation.field, &violation.description);
                }
            }
            ApiError::FailedPrecondition { reason, unmet, .. } => {
                for condition in unmet {
                    details.add_precondition_failure_violation(
                        *reason,
                        &condition.field,
                        &condition.description,
                    );
                }
            }
            _ => {}
        }
        Status::with_error_details(code, error.to_string(), details)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                ApiError::unavailable("DATABASE_BUSY", "the database is busy; retry with backoff")
            }
            _ => ApiError::internal(error),
        }
    }
}

/// Displays an error with its chain of sources: `outer: inner: root`.
#[derive(Debug)]
pub struct DisplayChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_field_violations_and_reason() {
        let status: Status = ApiError::invalid_fields(vec![
            FieldViolation::new("person.id_number", "check digit does not match"),
            FieldViolation::new("found_at", "is in the future"),
        ])
        .into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let info = details.error_info().unwrap();
        assert_eq!(info.reason, "INVALID_FIELDS");
        assert_eq!(info.domain, ERROR_DOMAIN);
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["person.id_number", "found_at"]);
    }

    #[test]
    fn failed_conditions_are_listed_one_violation_each() {
        let status: Status = ApiError::failed_conditions(
            "INSTITUTION_NOT_QUALIFIED",
            "2 conditions are not met",
            vec![
                FieldViolation::new("operating_since", "operating less than one year"),
                FieldViolation::new("food_business_licence", "missing"),
            ],
        )
        .into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        assert_eq!(
            details.error_info().unwrap().reason,
            "INSTITUTION_NOT_QUALIFIED"
        );
        let subjects: Vec<_> = details
            .precondition_failure()
            .unwrap()
            .violations
            .iter()
            .map(|v| (v.r#type.as_str(), v.subject.as_str()))
            .collect();
        assert_eq!(
            subjects,
            [
                ("INSTITUTION_NOT_QUALIFIED", "operating_since"),
                ("INSTITUTION_NOT_QUALIFIED", "food_business_licence")
            ]
        );
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let status: Status = ApiError::internal("relation \"cases\" does not exist").into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("cases"));
    }

    #[test]
    fn failed_precondition_names_the_rule() {
        let status: Status =
            ApiError::failed_precondition("MINOR_MUST_BE_ESCORTED", "a minor cannot refuse").into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.get_error_details().error_info().unwrap().reason,
            "MINOR_MUST_BE_ESCORTED"
        );
    }
}
