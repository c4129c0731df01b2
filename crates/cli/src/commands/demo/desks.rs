//! Every unit's desk: it looks at the notifications addressed to it by each service (incidents,
//! overdue obligations, escalations) and acknowledges them. Most desks look every afternoon; two
//! county governments only every few days, so some of their acknowledgements are late.

use relief_proto::notifications::v1 as notifications;
use relief_runtime::Caller;

use super::calls::{request_id, rpc};
use super::units;
use super::world::World;

/// The services that issue notifications.
const ISSUERS: [&str; 3] = ["intake", "identity", "foster"];

/// The desks that look today acknowledge what is waiting for them.
pub async fn afternoon(world: &mut World) -> anyhow::Result<()> {
    let mut desks = units::desks();
    desks.extend(
        world
            .institutions
            .iter()
            .map(|institution| (institution.caller.clone(), 1)),
    );
    for (desk, every) in desks {
        if !world.today.is_multiple_of(every) {
            continue;
        }
        for service in ISSUERS {
            acknowledge_all(world, service, &desk).await?;
        }
    }
    Ok(())
}

/// `desk` acknowledges every notification `service` addressed to it and it has not yet.
async fn acknowledge_all(
    world: &mut World,
    service: &'static str,
    desk: &Caller,
) -> anyhow::Result<()> {
    let client = world.conn.notifications(service, desk)?;
    // Each round acknowledges a page; a bounded number of rounds.
    for _ in 0..20 {
        let page = rpc!(
            format!("{} lists its notifications", desk.unit),
            client.clone(),
            list_notifications,
            notifications::ListNotificationsRequest {
                page_size: 200,
                page_token: String::new(),
                unacknowledged_only: true,
            }
        )?;
        if page.notifications.is_empty() {
            return Ok(());
        }
        for notification in page.notifications {
            rpc!(
                format!("{} acknowledges a notification", desk.unit),
                client.clone(),
                acknowledge_notification,
                notifications::AcknowledgeNotificationRequest {
                    request_id: request_id(),
                    notification_id: notification.notification_id,
                }
            )?;
            world.tally.notifications_acknowledged += 1;
        }
    }
    Ok(())
}
