//! Storing a user's file within their quota.

use super::sql::sql;
use super::steps::session_live;
use super::{FilePut, FileQuota, FileRow, Store, StoreResult};

impl Store {
    /// Inserts the file, or replaces the owner's file of the same bucket and name (with a new id,
    /// so a file URL's bytes never change), within the owner's `quota`.
    pub async fn put_file(&self, session: &str, f: &FileRow, quota: FileQuota, now: i64) -> StoreResult<FilePut> {
        let Some(owner) = f.owner_id.as_deref() else { return Ok(FilePut::SessionEnded) };
        let mut tx = self.tx().await?;
        if !session_live(&mut tx, session, owner, now).await? {
            return Ok(FilePut::SessionEnded);
        }
        // The file it replaces (same bucket and name) does not count.
        let (used, count): (i64, i64) = sql("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM files WHERE owner_id = ? AND NOT (bucket = ? AND file_name = ?)")
            .bind(owner)
            .bind(&f.bucket)
            .bind(&f.file_name)
            .fetch_one(&mut tx)
            .await?;
        if used + f.size > quota.bytes {
            return Ok(FilePut::OverQuota { used });
        }
        if count >= quota.files {
            return Ok(FilePut::TooManyFiles { count });
        }
        // The id of the file this one replaces: its bytes go, if they live elsewhere.
        let replaced: Option<String> = sql("SELECT id FROM files WHERE bucket = ? AND owner_id = ? AND file_name = ?").bind(&f.bucket).bind(owner).bind(&f.file_name).scalar(&mut tx).await?;
        let row: FileRow = sql("INSERT INTO files (id, bucket, owner_id, file_name, mime_type, size, is_public, tags, data, uploaded_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(bucket, owner_id, file_name) DO UPDATE SET
               id = excluded.id, uploaded_at = excluded.uploaded_at, mime_type = excluded.mime_type, size = excluded.size, is_public = excluded.is_public,
               tags = excluded.tags, data = excluded.data, updated_at = excluded.updated_at
             RETURNING *")
        .bind(&f.id)
        .bind(&f.bucket)
        .bind(owner)
        .bind(&f.file_name)
        .bind(&f.mime_type)
        .bind(f.size)
        .bind(f.is_public)
        .bind(&f.tags)
        .bind(&f.data)
        .bind(&f.uploaded_at)
        .bind(&f.updated_at)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(FilePut::Stored { file: row, replaced })
    }
}
