//! `ListFees`: in the placement's scope (an institution its residents' fees, a station those of
//! the residents it sent, civil affairs and governments those of cases in their divisions) and
//! for the funds supervisors (finance, audit) every fee; other supervisors are refused. Latest
//! month first, with the page's total.

use std::collections::HashMap;

use crate::placements::ListScope;
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_runtime::paging::{decode_token, encode_token, page_size};
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller};
use tonic::Request;

use super::compute::Month;
use super::funds;
use super::store::{self, FeeFilter, LineRow};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// The keyset start of the first page: after every month.
const FIRST_MONTH: &str = "9999-99";

/// `ListFees`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFeesRequest>,
) -> Result<pb::ListFeesResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_month, after_id) = match decode_token(&request.page_token, 2)? {
        Some(parts) => (parts[0].clone(), parts[1].clone()),
        None => (FIRST_MONTH.to_owned(), String::new()),
    };
    let month = request.month.trim();
    if !month.is_empty() && Month::parse(month).is_none() {
        return Err(ApiError::invalid_field(
            "month",
            "must be a month (YYYY-MM)",
        ));
    }
    let requested_institution = request.institution_id.trim();
    let mut filter = FeeFilter {
        division_pattern: "%".to_owned(),
        institution_id: requested_institution.to_owned(),
        placement_id: request.placement_id.trim().to_owned(),
        month: month.to_owned(),
        ..FeeFilter::default()
    };
    // The finance and audit bureaus (role funds) see every fee; everyone else as the placement.
    if !(caller.kind == CallerKind::Supervisor && funds(context, &caller)) {
        let scope = ListScope::of(&caller, "fees (a supervisor needs the funds role)")?;
        if !scope.institution_id.is_empty() {
            if !requested_institution.is_empty() && requested_institution != scope.institution_id {
                return Ok(pb::ListFeesResponse::default());
            }
            filter.institution_id = scope.institution_id;
        }
        filter.station = scope.station;
        filter.division_pattern = scope.division_pattern;
    }
    let mut rows =
        store::list_fees(&context.db, &filter, (&after_month, &after_id), limit + 1).await?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_page_token = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|last| encode_token(&[&last.month, &last.placement_id]))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row.placement_id.as_str(), row.month.as_str()))
        .collect();
    let mut lines: HashMap<(String, String), Vec<LineRow>> = HashMap::new();
    for line in store::lines_of(&context.db, &keys).await? {
        lines
            .entry((line.placement_id.clone(), line.month.clone()))
            .or_default()
            .push(line);
    }
    let mut page_total: i64 = 0;
    let mut fees = Vec::with_capacity(rows.len());
    for row in &rows {
        page_total = page_total
            .checked_add(row.total_fen)
            .ok_or_else(|| ApiError::internal("the page total does not fit in i64 fen"))?;
        let own = lines
            .get(&(row.placement_id.clone(), row.month.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        fees.push(row.to_proto(own));
    }
    Ok(pb::ListFeesResponse {
        fees,
        page_total: Some(Money { fen: page_total }),
        next_page_token,
    })
}
