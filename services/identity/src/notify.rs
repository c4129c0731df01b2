//! The one way the identity rules notify a unit: a notification per recipient, tracked to
//! acknowledgement within `rules.notification_acknowledge_hours`, without a further escalation
//! (where a rule names escalation units, they are among the recipients already). Reporting
//! derives "unacknowledged in time" from `acknowledge_by`.

use chrono::{DateTime, Utc};
use relief_runtime::db::Tx;
use relief_runtime::notifications::{self, NewNotification};
use relief_runtime::{ApiError, Caller, ServiceContext};

/// What to tell whom. `subject` and `summary` never hold personal data.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// What happened, UPPER_SNAKE.
    pub kind: String,
    /// The object concerned, `<type>/<id>`.
    pub subject: String,
    /// The division the object belongs to.
    pub division: String,
    /// Short text for the operator.
    pub summary: String,
    /// Each recipient unit gets its own notification.
    pub recipients: Vec<Caller>,
}

/// Issues `notification` in `tx` at `now`.
pub async fn tracked(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    notification: Tracked,
) -> Result<(), ApiError> {
    notifications::issue(
        context,
        tx,
        &NewNotification {
            kind: notification.kind,
            subject: notification.subject,
            division: notification.division,
            summary: notification.summary,
            recipients: notification.recipients,
            acknowledge_by: relief_legal::hours(
                now,
                context.config.rules.notification_acknowledge_hours,
            ),
            escalate_to: Vec::new(),
            escalation_of: None,
        },
    )
    .await?;
    Ok(())
}
