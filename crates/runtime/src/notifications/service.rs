//! `relief.notifications.v1.NotificationService`: thin handlers over [`super`].

use relief_proto::notifications::v1 as pb;
use relief_proto::notifications::v1::notification_service_server::NotificationService;
use tonic::{Request, Response, Status};

use crate::auth::caller;
use crate::error::ApiError;
use crate::server::ServiceContext;
use crate::time::{timestamp, timestamp_opt};

use super::NotificationRow;

/// The full protobuf name of the service.
pub const GRPC_SERVICE: &str = "relief.notifications.v1.NotificationService";

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// Serves the notifications a service issued.
#[derive(Debug, Clone)]
pub struct NotificationApi {
    context: ServiceContext,
}

impl NotificationApi {
    /// Over an opened service context.
    pub fn new(context: ServiceContext) -> Self {
        NotificationApi { context }
    }
}

fn to_proto(row: NotificationRow, source_service: &str) -> pb::Notification {
    pb::Notification {
        notification_id: row.id,
        kind: row.kind,
        subject: row.subject,
        summary: row.summary,
        source_service: source_service.to_owned(),
        issued_at: Some(timestamp(row.issued_at)),
        acknowledge_by: Some(timestamp(row.acknowledge_by)),
        acknowledged_at: timestamp_opt(row.acknowledged_at),
        escalated_at: timestamp_opt(row.escalated_at),
        escalation_of: row.escalation_of.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let limit = crate::paging::page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
        let after = crate::paging::decode_time_token(&request.page_token)?;
        let mut rows = super::store::list_for(
            &self.context.db,
            &caller,
            request.unacknowledged_only,
            after,
            limit + 1,
        )
        .await
        .map_err(ApiError::from)?;
        let next_page_token = crate::paging::next_time_token(&mut rows, limit, |row| {
            (row.issued_at, row.id.as_str())
        });
        let source = self.context.service;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: rows.into_iter().map(|row| to_proto(row, source)).collect(),
            next_page_token,
        }))
    }

    async fn acknowledge_notification(
        &self,
        request: Request<pb::AcknowledgeNotificationRequest>,
    ) -> Result<Response<pb::AcknowledgeNotificationResponse>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        if request.notification_id.is_empty() {
            return Err(ApiError::invalid_field("notification_id", "is required").into());
        }
        let context = &self.context;
        let response = crate::idempotency::run(
            context,
            &caller,
            "/relief.notifications.v1.NotificationService/AcknowledgeNotification",
            &request.request_id,
            &request,
            async |tx| {
                let row =
                    super::acknowledge(context, tx, &caller, &request.notification_id).await?;
                Ok(pb::AcknowledgeNotificationResponse {
                    notification: Some(to_proto(row, context.service)),
                })
            },
        )
        .await?;
        Ok(Response::new(response))
    }
}
