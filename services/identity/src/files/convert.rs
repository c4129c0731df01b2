//! A stored file into the protobuf `IdentityFile`, without its identity: the reads add it for a
//! stated purpose (or set `identity_omitted`).

use relief_proto::identity::v1 as pb;
use relief_runtime::time::{timestamp, timestamp_opt};

use super::store::FileRow;

/// What a file's row does not hold: the cases of its stay (first admission first), its
/// notices and its verification requests (oldest first), where the person is now.
#[derive(Debug, Clone, Default)]
pub struct Related {
    /// `stay_cases` of the file.
    pub case_ids: Vec<String>,
    /// The notices recorded.
    pub notices: Vec<pb::Notice>,
    /// The verification requests filed.
    pub verification_ids: Vec<String>,
    /// Where the person of the current case is now, if in foster care (foster's feed).
    pub foster_stay: Option<pb::FosterStay>,
}

/// The file `row` with `related`, identity left empty and `identity_omitted` false.
pub fn to_proto(row: &FileRow, related: Related) -> pb::IdentityFile {
    pb::IdentityFile {
        file_id: row.id.clone(),
        case_id: row.case_id.clone(),
        case_ids: related.case_ids,
        station: row.station.clone(),
        division: row.division.clone(),
        stay_began_at: Some(timestamp(row.stay_began_at)),
        admitted_as: row.admitted_as,
        status: row.status,
        notice_due_at: timestamp_opt(row.notice_due_at),
        request_due_at: Some(timestamp(row.request_due_at)),
        stranded_since: timestamp_opt(row.stranded_since),
        confirmed_at: timestamp_opt(row.confirmed_at),
        confirmation_method: row.confirmation_method.unwrap_or_default(),
        identity: None,
        identity_omitted: false,
        notices: related.notices,
        verification_ids: related.verification_ids,
        closed_at: timestamp_opt(row.closed_at),
        warnings: row
            .warnings
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        foster_stay: related.foster_stay,
    }
}
