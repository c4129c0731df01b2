//! Reading requests: one request (the personal parts of results only with a stated purpose,
//! every field returned audited), the pending requests of a police unit (oldest first; listing
//! has no legal effect and writes nothing), and pages of requests in the caller's scope (newest
//! first, never with personal parts).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::paging::{
    decode_time_token, decode_token, end_of_time, next_time_token, page_size,
};
use relief_runtime::personal_data::{self, PURPOSE_HEADER};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, scope};
use tonic::Request;

use super::WHAT;
use super::convert::{self, Details};
use super::store::{self, ListFilter, RequestRow};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// The widest `due_within_days` accepted (about ten years): beyond it the window would reach
/// past what both backends store alike.
const MAX_DUE_WITHIN_DAYS: i32 = 3660;

/// Where a request's file is now: the station holding its current case and that case's
/// division (a transfer moves both).
#[derive(Debug, Clone, Copy)]
pub struct FilePlace<'a> {
    /// The station holding the file.
    pub station: &'a str,
    /// The division of its current case.
    pub division: &'a str,
}

/// Whether `caller` sees `row`, whose file is now at `file`: the addressed police unit; the
/// station holding the file now (not the filing station once the file moved, as for the file
/// itself); civil affairs and governments whose division covers the file's current one;
/// services.
pub fn visible(caller: &Caller, row: &RequestRow, file: FilePlace<'_>) -> bool {
    match caller.kind {
        CallerKind::Police => row.police_unit == caller.unit,
        CallerKind::Station => file.station == caller.unit,
        CallerKind::CivilAffairs | CallerKind::Government => {
            scope::covers(&caller.division, file.division)
        }
        CallerKind::Service => true,
        _ => false,
    }
}

/// `GetVerificationRequest`: NOT_FOUND unless the caller sees the request; the identity and
/// sample references of results only with `x-relief-purpose`, and then one audit row per field
/// returned (subject `verification/<id>`).
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetVerificationRequestRequest>,
) -> Result<pb::GetVerificationRequestResponse, ApiError> {
    let caller = caller(&request)?.clone();
    // Checked before anything is read: a call with a bad purpose reads and records nothing.
    let purpose_opt = if request.metadata().contains_key(PURPOSE_HEADER) {
        Some(personal_data::purpose(&request)?)
    } else {
        None
    };
    let mut check = Violations::new();
    let id = check.required_id("verification_id", &request.get_ref().verification_id);
    check.finish()?;
    let db = &context.db;
    let row = store::fetch(Conn::Db(db), &id)
        .await?
        .ok_or(ApiError::NotFound { what: WHAT })?;
    let place = store::file_place(Conn::Db(db), &row.file_id).await?;
    let file = place.as_ref().map_or(
        FilePlace {
            station: &row.station,
            division: &row.division,
        },
        |(station, division)| FilePlace { station, division },
    );
    if !visible(&caller, &row, file) {
        return Err(ApiError::NotFound { what: WHAT });
    }
    let (forwardings, results) = store::details_of(Conn::Db(db), &[row.id.as_str()]).await?;
    let now = context.clock.now().trunc_subsecs(6);
    let details = match purpose_opt {
        None => Details::Omitted,
        Some(purpose) => {
            let keys = personal_data::require(context.personal_data.as_deref())?;
            let fields = convert::returned_fields(keys, &results)?;
            if !fields.is_empty() {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                // Committed before the response is sent.
                personal_data::record_read(
                    db,
                    &context.clock,
                    &caller,
                    &row.subject(),
                    &fields,
                    &purpose,
                )
                .await?;
            }
            Details::Personal(keys)
        }
    };
    Ok(pb::GetVerificationRequestResponse {
        verification: Some(convert::to_proto(
            &row,
            &forwardings,
            &results,
            details,
            now,
        )?),
    })
}

/// `ListPendingVerificationRequests`: the requests addressed to the calling police unit that
/// await receipt or an answer, oldest filing first.
pub async fn list_pending(
    context: &ServiceContext,
    request: Request<pb::ListPendingVerificationRequestsRequest>,
) -> Result<pb::ListPendingVerificationRequestsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    if caller.kind != CallerKind::Police {
        return Err(ApiError::PermissionDenied {
            message: format!(
                "a {} caller has no pending verification requests",
                caller.kind
            ),
        });
    }
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_ascending_token(&request.page_token)?;
    let mut rows =
        store::list_pending(&context.db, &caller.unit, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.filed_at, row.id.as_str()));
    Ok(pb::ListPendingVerificationRequestsResponse {
        verifications: page(context, &rows).await?,
        next_page_token,
    })
}

/// `ListVerificationRequests`: newest filing first. A station lists the requests of the files it
/// holds now; a police unit those addressed to it; civil affairs and governments those of the
/// files now in the divisions theirs covers (`division` filters on the file's current division
/// too).
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListVerificationRequestsRequest>,
) -> Result<pb::ListVerificationRequestsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let mut filter = filter_of(&caller, &request, now)?;
    match caller.kind {
        CallerKind::Station => filter.station = caller.unit.clone(),
        CallerKind::Police => {
            if !filter.police_unit.is_empty() && filter.police_unit != caller.unit {
                return Err(ApiError::invalid_field(
                    "police_unit",
                    "a police unit lists only the requests addressed to it",
                ));
            }
            filter.police_unit = caller.unit.clone();
        }
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list verification requests"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.filed_at, row.id.as_str()));
    Ok(pb::ListVerificationRequestsResponse {
        verifications: page(context, &rows).await?,
        next_page_token,
    })
}

/// The filters a list request asks for (scope comes on top).
fn filter_of(
    caller: &Caller,
    request: &pb::ListVerificationRequestsRequest,
    now: DateTime<Utc>,
) -> Result<ListFilter, ApiError> {
    let status = pb::VerificationStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    if request.due_within_days < 0 {
        return Err(ApiError::invalid_field(
            "due_within_days",
            "must not be negative",
        ));
    }
    if request.due_within_days > MAX_DUE_WITHIN_DAYS {
        return Err(ApiError::invalid_field(
            "due_within_days",
            format!("must be at most {MAX_DUE_WITHIN_DAYS}"),
        ));
    }
    let due_within = (request.due_within_days > 0).then(|| {
        // Never past the latest instant both backends store and compare alike.
        let until = now
            .checked_add_signed(Duration::days(i64::from(request.due_within_days)))
            .map_or(end_of_time(), |until| until.min(end_of_time()));
        (now, until)
    });
    Ok(ListFilter {
        police_unit: request.police_unit.trim().to_owned(),
        station: String::new(),
        division: scope::list_division(caller, request.division.trim())?.unwrap_or_default(),
        division_pattern: "%".to_owned(),
        status: status as i32,
        due_before: request.overdue.then_some(now),
        due_within,
    })
}

/// The keyset position of a list sorted by (instant, id) ascending: the token's position, or
/// the beginning for the first page.
fn decode_ascending_token(token: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    if decode_token(token, 2)?.is_none() {
        return Ok((DateTime::<Utc>::UNIX_EPOCH, String::new()));
    }
    decode_time_token(token)
}

/// The messages of a page of rows, with forwardings and results, personal parts omitted.
async fn page(
    context: &ServiceContext,
    rows: &[RequestRow],
) -> Result<Vec<pb::VerificationRequest>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let (forwardings, results) = store::details_of(Conn::Db(&context.db), &ids).await?;
    let now = context.clock.now().trunc_subsecs(6);
    rows.iter()
        .map(|row| convert::to_proto(row, &forwardings, &results, Details::Omitted, now))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(police_unit: &str, station: &str, division: &str) -> RequestRow {
        RequestRow {
            id: "v".to_owned(),
            file_id: "f".to_owned(),
            case_id: "c".to_owned(),
            station: station.to_owned(),
            division: division.to_owned(),
            methods: "1".to_owned(),
            police_unit: police_unit.to_owned(),
            note: String::new(),
            filed_at: DateTime::<Utc>::UNIX_EPOCH,
            filed_on_time: true,
            acknowledge_by: DateTime::<Utc>::UNIX_EPOCH,
            received_at: None,
            receipt: 0,
            acknowledged_at: None,
            due_at: None,
            status: 1,
            answered_at: None,
            answered_on_time: None,
            warnings: String::new(),
        }
    }

    fn who(kind: CallerKind, division: &str, unit: &str) -> Caller {
        Caller::new(kind, division, unit).unwrap()
    }

    #[test]
    fn scope_follows_the_addressee_and_where_the_file_is_now() {
        let request = row("city-police-forensics", "xlt-station", "211103");
        let at_xlt = FilePlace {
            station: "xlt-station",
            division: "211103",
        };
        // Transferred to the Shuangtaizi station: the file is there now.
        let at_sz = FilePlace {
            station: "sz-station",
            division: "211102",
        };
        let sees = |caller: &Caller, file: FilePlace<'_>| visible(caller, &request, file);
        let forensics = who(CallerKind::Police, "211100", "city-police-forensics");
        assert!(sees(&forensics, at_xlt) && sees(&forensics, at_sz));
        assert!(!sees(
            &who(CallerKind::Police, "211103", "xlt-police"),
            at_xlt
        ));
        let xlt = who(CallerKind::Station, "211103", "xlt-station");
        let sz = who(CallerKind::Station, "211102", "sz-station");
        assert!(sees(&xlt, at_xlt) && !sees(&sz, at_xlt));
        // The filing station no longer sees it once the file moved; the holder does.
        assert!(!sees(&xlt, at_sz) && sees(&sz, at_sz));
        assert!(!sees(
            &who(CallerKind::Station, "211100", "city-station"),
            at_xlt
        ));
        let city = who(CallerKind::CivilAffairs, "211100", "city-civil-affairs");
        assert!(sees(&city, at_xlt) && sees(&city, at_sz));
        let xlt_bureau = who(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs");
        let sz_bureau = who(CallerKind::CivilAffairs, "211102", "sz-civil-affairs");
        assert!(sees(&xlt_bureau, at_xlt) && !sees(&sz_bureau, at_xlt));
        assert!(!sees(&xlt_bureau, at_sz) && sees(&sz_bureau, at_sz));
        assert!(!sees(&who(CallerKind::Hospital, "211103", "h"), at_xlt));
    }

    #[test]
    fn list_filters_refuse_negative_windows_and_read_the_flags() {
        let caller = who(CallerKind::CivilAffairs, "211100", "city-civil-affairs");
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let refused = filter_of(
            &caller,
            &pb::ListVerificationRequestsRequest {
                due_within_days: -1,
                ..Default::default()
            },
            now,
        );
        assert!(format!("{refused:?}").contains("due_within_days"));
        let too_wide = |days: i32| {
            filter_of(
                &caller,
                &pb::ListVerificationRequestsRequest {
                    due_within_days: days,
                    ..Default::default()
                },
                now,
            )
        };
        for days in [MAX_DUE_WITHIN_DAYS + 1, i32::MAX] {
            let refused = too_wide(days);
            assert!(format!("{refused:?}").contains("due_within_days"), "{days}");
        }
        // The widest window, even from a far future now, ends by the end of time.
        let late = end_of_time() - Duration::days(10);
        let widest = filter_of(
            &caller,
            &pb::ListVerificationRequestsRequest {
                due_within_days: MAX_DUE_WITHIN_DAYS,
                ..Default::default()
            },
            late,
        )
        .unwrap();
        assert_eq!(widest.due_within, Some((late, end_of_time())));
        let filter = filter_of(
            &caller,
            &pb::ListVerificationRequestsRequest {
                due_within_days: 3,
                overdue: true,
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(filter.due_before, Some(now));
        assert_eq!(filter.due_within, Some((now, now + Duration::days(3))));
        assert!(decode_ascending_token("").unwrap().0 < now + Duration::days(1));
    }
}
