//! Which of a stranded person's steps are done, computed from the tables each step writes (never
//! a flag of its own): a notice row; a verification request whose methods include DNA; a
//! verification result of the face method, whatever its outcome.

use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::with_conn;

/// SQL: 1 when file `f` has a notice, else 0.
pub const NOTICE_DONE: &str =
    "CASE WHEN EXISTS (SELECT 1 FROM notices n WHERE n.file_id = f.id) THEN 1 ELSE 0 END";

/// SQL: 1 when a verification request of file `f` asks for DNA, else 0. `methods` holds the
/// protobuf numbers comma-separated, so the number is matched between commas (DNA is 1).
pub const DNA_DONE: &str = "CASE WHEN EXISTS (SELECT 1 FROM verification_requests v \
     WHERE v.file_id = f.id AND (',' || v.methods || ',') LIKE '%,1,%') THEN 1 ELSE 0 END";

/// SQL: 1 when a face-method (2) result was received for a request of file `f`, else 0.
pub const FACE_DONE: &str = "CASE WHEN EXISTS (SELECT 1 FROM verification_results r \
     JOIN verification_requests v ON v.id = r.verification_id \
     WHERE v.file_id = f.id AND r.method = 2) THEN 1 ELSE 0 END";

/// The SQL expression of `step` being done for file `f`, as 1 or 0.
pub fn done_sql(step: pb::StrandedStep) -> Option<&'static str> {
    match step {
        pb::StrandedStep::NoticePublished => Some(NOTICE_DONE),
        pb::StrandedStep::DnaRequested => Some(DNA_DONE),
        pb::StrandedStep::FaceResultReceived => Some(FACE_DONE),
        pb::StrandedStep::Unspecified => None,
    }
}

/// The steps of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Steps {
    /// A family-search notice was published.
    pub notice: bool,
    /// A DNA verification was requested.
    pub dna: bool,
    /// A face-recognition result was received.
    pub face: bool,
}

impl Steps {
    /// The steps from the 0/1 columns of [`NOTICE_DONE`], [`DNA_DONE`] and [`FACE_DONE`].
    pub fn from_flags(notice: i32, dna: i32, face: i32) -> Self {
        Steps {
            notice: notice != 0,
            dna: dna != 0,
            face: face != 0,
        }
    }

    fn all(self) -> [(pb::StrandedStep, bool); 3] {
        [
            (pb::StrandedStep::NoticePublished, self.notice),
            (pb::StrandedStep::DnaRequested, self.dna),
            (pb::StrandedStep::FaceResultReceived, self.face),
        ]
    }

    /// The steps done, in enum order.
    pub fn done(self) -> Vec<pb::StrandedStep> {
        self.all()
            .into_iter()
            .filter(|(_, done)| *done)
            .map(|(step, _)| step)
            .collect()
    }

    /// The steps missing, in enum order.
    pub fn missing(self) -> Vec<pb::StrandedStep> {
        self.all()
            .into_iter()
            .filter(|(_, done)| !*done)
            .map(|(step, _)| step)
            .collect()
    }
}

/// The steps of file `file_id` (all missing for a file that does not exist).
pub async fn of_file(conn: Conn<'_>, file_id: &str) -> Result<Steps, sqlx::Error> {
    let sql = format!(
        "SELECT {NOTICE_DONE}, {DNA_DONE}, {FACE_DONE} FROM identity_files f WHERE f.id = $1"
    );
    let flags: Option<(i32, i32, i32)> =
        with_conn!(conn, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(file_id)
            .fetch_optional(c)
            .await)?;
    Ok(flags.map_or_else(Steps::default, |(notice, dna, face)| {
        Steps::from_flags(notice, dna, face)
    }))
}

/// The steps of file `file_id` as they stood just before `instant`: only rows written before it
/// count (a notice recorded, a request filed, a face result submitted). The register's entry
/// reports what was missing at the legal instant, however late the sweeper ran.
pub async fn of_file_before(
    conn: Conn<'_>,
    file_id: &str,
    instant: chrono::DateTime<chrono::Utc>,
) -> Result<Steps, sqlx::Error> {
    const SQL: &str = "SELECT \
        CASE WHEN EXISTS (SELECT 1 FROM notices n WHERE n.file_id = f.id \
            AND n.recorded_at < $2) THEN 1 ELSE 0 END, \
        CASE WHEN EXISTS (SELECT 1 FROM verification_requests v WHERE v.file_id = f.id \
            AND (',' || v.methods || ',') LIKE '%,1,%' AND v.filed_at < $2) THEN 1 ELSE 0 END, \
        CASE WHEN EXISTS (SELECT 1 FROM verification_results r \
            JOIN verification_requests v ON v.id = r.verification_id \
            WHERE v.file_id = f.id AND r.method = 2 AND r.submitted_at < $2) THEN 1 ELSE 0 END \
        FROM identity_files f WHERE f.id = $1";
    let flags: Option<(i32, i32, i32)> = with_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(file_id)
        .bind(instant)
        .fetch_optional(c)
        .await)?;
    Ok(flags.map_or_else(Steps::default, |(notice, dna, face)| {
        Steps::from_flags(notice, dna, face)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::identity::v1::{StrandedStep, VerificationMethod};

    #[test]
    fn done_and_missing_partition_the_steps() {
        let steps = Steps::from_flags(1, 0, 0);
        assert_eq!(steps.done(), [StrandedStep::NoticePublished]);
        assert_eq!(
            steps.missing(),
            [StrandedStep::DnaRequested, StrandedStep::FaceResultReceived]
        );
        assert_eq!(Steps::default().done(), []);
        assert_eq!(Steps::from_flags(1, 1, 1).missing(), []);
    }

    #[test]
    fn the_sql_uses_the_protobuf_numbers() {
        assert_eq!(VerificationMethod::Dna as i32, 1);
        assert!(DNA_DONE.contains("'%,1,%'"));
        assert_eq!(VerificationMethod::Face as i32, 2);
        assert!(FACE_DONE.contains("r.method = 2"));
        assert_eq!(done_sql(StrandedStep::Unspecified), None);
    }
}
