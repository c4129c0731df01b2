//! Re-encryption after a key rotation: rewrites every ciphertext of a column that is not under
//! the active key, in batches, so the old key can then be removed from the configuration.
//!
//! One pass walks the table in id order (keyset pagination, so each row is visited once however
//! many there are). Each rewrite is conditional on the stored value being unchanged since it was
//! read, so a concurrent write by the service is never overwritten; a row changed meanwhile is
//! counted as skipped (a writer running the new configuration wrote it under the active key
//! already; otherwise the next run picks it up). Running it again changes nothing.

use std::sync::Arc;

use super::{PersonalData, PersonalDataError, SensitiveColumn};
use crate::db::Db;
use crate::{with_db, with_tx};

/// Rows read and rewritten per batch (one transaction per batch).
pub const DEFAULT_BATCH_SIZE: u32 = 500;

/// What a pass over one column did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReencryptCount {
    /// The column.
    pub column: SensitiveColumn,
    /// Values rewritten under the active key.
    pub rewritten: u64,
    /// Values changed by someone else between read and rewrite, left as they were.
    pub skipped: u64,
}

/// Re-encrypts every column of `columns` in turn; see [`reencrypt_column`].
pub async fn reencrypt(
    db: &Db,
    personal_data: &PersonalData,
    columns: &[SensitiveColumn],
    batch_size: u32,
) -> Result<Vec<ReencryptCount>, PersonalDataError> {
    let mut counts = Vec::with_capacity(columns.len());
    for column in columns {
        counts.push(reencrypt_column(db, personal_data, column, batch_size).await?);
    }
    Ok(counts)
}

/// Rewrites under the active key every non-NULL value of `column` written under another key.
/// A value that does not decrypt (a key no longer configured, a tampered value) stops the pass
/// with that error; the batches before it are committed, and a later run resumes.
pub async fn reencrypt_column(
    db: &Db,
    personal_data: &PersonalData,
    column: &SensitiveColumn,
    batch_size: u32,
) -> Result<ReencryptCount, PersonalDataError> {
    for name in [column.table, column.id_column, column.column] {
        if !is_plain_identifier(name) {
            return Err(PersonalDataError::BadIdentifier(name));
        }
    }
    let SensitiveColumn {
        table,
        id_column: id,
        column: value,
    } = *column;
    // Identifiers cannot be bound as parameters, so they are spliced into the text. They are
    // `&'static str` constants of the service's code (never request or database input), checked
    // above to be plain lowercase identifiers, which makes the splice safe.
    let select: Arc<str> = format!(
        "SELECT {id}, {value} FROM {table} \
         WHERE {value} IS NOT NULL AND substr({value}, 1, $1) <> $2 AND {id} > $3 \
         ORDER BY {id} LIMIT $4"
    )
    .into();
    let update: Arc<str> =
        format!("UPDATE {table} SET {value} = $1 WHERE {id} = $2 AND {value} = $3").into();

    let active_prefix = format!(
        "{}:{}:",
        super::CIPHERTEXT_VERSION,
        personal_data.active_key_id()
    );
    // Both are ASCII, so characters (SQLite, PostgreSQL substr) and bytes agree.
    let prefix_chars = i32::try_from(active_prefix.len()).unwrap_or(i32::MAX);
    let batch_size = batch_size.max(1);
    let limit = i64::from(batch_size);
    let mut count = ReencryptCount {
        column: *column,
        rewritten: 0,
        skipped: 0,
    };
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String)> = with_db!(db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(Arc::clone(&select)))
                .bind(prefix_chars)
                .bind(&active_prefix)
                .bind(&after)
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        let Some((last_id, _)) = rows.last() else {
            break;
        };
        after = last_id.clone();
        let mut rewrites = Vec::with_capacity(rows.len());
        for (row_id, old) in &rows {
            let plaintext = personal_data.cipher().decrypt(column, row_id, old)?;
            let new = personal_data
                .cipher()
                .encrypt(column, row_id, plaintext.expose())?;
            rewrites.push((row_id, old, new));
        }
        let mut tx = db.begin().await?;
        for (row_id, old, new) in rewrites {
            let rows_affected = with_tx!(&mut tx, |conn| {
                sqlx::query(sqlx::AssertSqlSafe(Arc::clone(&update)))
                    .bind(&new)
                    .bind(row_id)
                    .bind(old)
                    .execute(conn)
                    .await
                    .map(|result| result.rows_affected())
            })?;
            if rows_affected == 1 {
                count.rewritten += 1;
            } else {
                count.skipped += 1;
            }
        }
        tx.commit().await?;
        tracing::info!(
            column = %column,
            rewritten = count.rewritten,
            skipped = count.skipped,
            "re-encryption batch committed"
        );
        if rows.len() < batch_size as usize {
            break;
        }
    }
    Ok(count)
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes (PostgreSQL's limit).
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && name.len() <= 63
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::is_plain_identifier;

    #[test]
    fn only_plain_identifiers_are_spliced() {
        for good in ["people", "id_number", "_x1"] {
            assert!(is_plain_identifier(good), "{good}");
        }
        for bad in ["", "People", "1x", "a b", "a;drop table x", "a\"b", "x.y"] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }
}
