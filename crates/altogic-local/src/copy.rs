//! `altogic-local copy`: moves an embedded (SQLite) deployment onto PostgreSQL and its files'
//! bytes onto an object store.
//!
//! Every row goes in one transaction of the target, after the files' bytes are in the object store
//! and read back (size and SHA-256 checked): a copy that stops half-way leaves the target
//! database as it was (objects it wrote are overwritten by the next run, which uses the same
//! keys). The source is opened like a server opens it, so a running server on it is refused: what
//! it would write after the copy would be lost.

use std::time::Duration;

use crate::blobs::Blobs;
use crate::config::{Config, CopyArgs};
use crate::crypto::sha256;
use crate::store::{Counts, FileRow, Store};

/// What a copy moved.
pub struct CopyReport {
    pub rows: Counts,
    pub files: u64,
    pub bytes: u64,
    /// Where the files' bytes went.
    pub storage: String,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (table, n) in &self.rows {
            writeln!(f, "  {table:<16} {n} rows")?;
        }
        write!(f, "  {:<16} {} files, {} bytes, in {}", "files", self.files, self.bytes, self.storage)
    }
}

/// Runs the copy; `progress` hears each stage (the command prints them).
pub async fn copy(args: &CopyArgs, mut progress: impl FnMut(&str)) -> Result<CopyReport, String> {
    let database = args.data_dir.join(crate::backup::DATABASE_FILE);
    if !database.is_file() {
        return Err(format!("{} has no SQLite database to copy", args.data_dir.display()));
    }
    let source = Store::open_sqlite(&database, true).await.map_err(|e| format!("cannot open {}: {e} (stop its server first)", database.display()))?;
    let target = Store::connect_postgres(&args.to_database_url, 4, true).await.map_err(|e| format!("cannot open the target database: {e}"))?;
    let result = copy_between(args, &source, &target, &mut progress).await;
    source.close().await;
    target.close().await;
    result
}

async fn copy_between(args: &CopyArgs, source: &Store, target: &Store, progress: &mut impl FnMut(&str)) -> Result<CopyReport, String> {
    let failed = |what: &str| {
        let what = what.to_string();
        move |e: crate::store::StoreError| format!("{what}: {e}")
    };
    let Some(mut to) = target.begin_copy().await.map_err(failed("cannot start the copy"))? else {
        return Err("the target database already holds accounts: copy only into a database without any".into());
    };
    progress("copying rows");
    let rows = source.copy_rows(&mut to).await.map_err(failed("cannot copy the rows"))?;

    // The target's files go where a PostgreSQL server started with this data dir looks for them,
    // or to --to-storage-url.
    let mut config = Config::new(&args.data_dir);
    config.database_url = Some(args.to_database_url.clone());
    config.storage_url = args.to_storage_url.clone();
    let storage = config.storage_url.clone().unwrap_or_else(|| format!("file://{}", args.data_dir.join("files").display()));
    let blobs = Blobs::open(&config)?;
    progress(&format!("copying files to {storage}"));
    let (mut files, mut bytes) = (0u64, 0u64);
    for id in source.file_ids().await.map_err(failed("cannot list the files"))? {
        let Some(file) = source.file(&id).await.map_err(failed("cannot read a file"))? else { continue };
        let data = source_bytes(&args.data_dir, &file)?;
        let moved = move_bytes(&blobs, &file, data).await?;
        to.insert_file(&FileRow { data: moved, ..file.clone() }).await.map_err(failed("cannot copy a file's row"))?;
        files += 1;
        bytes += file.size.max(0) as u64;
    }
    if args.pause_before_commit_ms > 0 {
        progress("committing (paused)");
        tokio::time::sleep(Duration::from_millis(args.pause_before_commit_ms)).await;
    }
    progress("committing");
    to.commit().await.map_err(failed("cannot commit the copy"))?;
    Ok(CopyReport { rows, files, bytes, storage })
}

/// A file's bytes in the source: its row's, or (a deployment whose files were in a folder) the
/// data dir's `files/<id>`.
fn source_bytes(data_dir: &std::path::Path, file: &FileRow) -> Result<Vec<u8>, String> {
    if !file.data.is_empty() || file.size == 0 {
        return Ok(file.data.clone());
    }
    let path = data_dir.join("files").join("files").join(&file.id);
    std::fs::read(&path).map_err(|e| format!("the bytes of file {} are neither in the database nor in {}: {e}", file.id, path.display()))
}

/// Stores the bytes in the target, reads them back and compares size and SHA-256; returns what
/// the target's row keeps as `data`.
async fn move_bytes(blobs: &Blobs, file: &FileRow, data: Vec<u8>) -> Result<Vec<u8>, String> {
    let (size, digest) = (data.len(), sha256(&data));
    let failed = |e: crate::error::AppError| format!("file {}: {}", file.id, e.entry.message);
    let kept = blobs.put(&file.id, data).await.map_err(failed)?;
    let back = blobs.get(FileRow { data: kept.clone(), ..file.clone() }).await.map_err(failed)?;
    if back.len() != size || sha256(&back) != digest || i64::try_from(size) != Ok(file.size) {
        return Err(format!("file {}: the copy does not match the original (size or SHA-256)", file.id));
    }
    Ok(kept)
}
