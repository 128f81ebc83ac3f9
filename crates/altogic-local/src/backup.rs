//! `altogic-local backup` and `restore`: a SQLite deployment as one file, and back.
//!
//! The snapshot is SQLite's `VACUUM INTO` on a connection of its own: a read transaction, so the
//! server keeps serving (WAL readers do not block its writer) and the copy is of one moment. The
//! backup file is a tar archive of that snapshot, the data dir's other files (its secrets: the
//! mailbox token, the two-step key; the client key is in the database) and its `files/` folder. It
//! is written next to its destination, owner-only, synced, and renamed into place: a crash leaves
//! the old file or none, never a partial one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The database's file in a data dir.
pub const DATABASE_FILE: &str = "altogic-local.db";

/// What a data dir holds that is not copied as a file: the live database (its snapshot is) and
/// the lock of the running server.
fn skipped(name: &str) -> bool {
    name == DATABASE_FILE || name.starts_with(&format!("{DATABASE_FILE}-")) || name == "altogic-local.lock" || name.starts_with(".altogic-")
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// What a backup or a restore holds.
#[derive(Debug, Default)]
pub struct Summary {
    pub accounts: i64,
    pub sessions: i64,
    pub files: i64,
    /// Other files of the data dir (secrets, stored files' bytes).
    pub dir_files: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} accounts, {} sessions, {} stored files, {} other files of the data dir", self.accounts, self.sessions, self.files, self.dir_files)
    }
}

/// Writes a consistent backup of the SQLite deployment in `data_dir` to `to`.
pub async fn backup(data_dir: &Path, to: &Path) -> Result<Summary, BackupError> {
    let database = data_dir.join(DATABASE_FILE);
    if !database.is_file() {
        return Err(BackupError::Refused(format!(
            "{} has no SQLite database ({DATABASE_FILE}): back up a PostgreSQL deployment with pg_dump, and its object store beside it",
            data_dir.display()
        )));
    }
    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // A backup inside the data dir would take in itself (and every earlier one).
    if let (Ok(dir), Ok(at)) = (data_dir.canonicalize(), parent.canonicalize()) {
        if at.starts_with(&dir) {
            return Err(BackupError::Refused(format!("{} is inside the data dir: write the backup somewhere else", to.display())));
        }
    }
    let work = tempfile::Builder::new().prefix(".altogic-backup-").tempdir_in(parent).map_err(io_err(format!("cannot write in {}", parent.display())))?;
    let snapshot = work.path().join(DATABASE_FILE);
    let mut summary = snapshot_database(&database, &snapshot).await?;
    // Files whose bytes are not in the database must be in the data dir's folder, or the backup
    // would hold rows without their bytes.
    let elsewhere = bytes_outside_database(&snapshot).await?;
    if let Some(id) = elsewhere.iter().find(|id| !data_dir.join("files").join("files").join(id).is_file()) {
        return Err(BackupError::Refused(format!(
            "the bytes of file {id} are neither in the database nor in {}: this deployment keeps its files in another store (--storage-url); back that store up beside this file",
            data_dir.join("files").display()
        )));
    }

    // Owner-only from its first byte: it holds password hashes and the data dir's secrets.
    let partial = work.path().join("backup.tar");
    let file = owner_only(&partial).map_err(io_err(format!("cannot create {}", partial.display())))?;
    let mut archive = tar::Builder::new(file);
    archive.mode(tar::HeaderMode::Deterministic);
    archive.append_path_with_name(&snapshot, DATABASE_FILE).map_err(io_err("cannot write the backup"))?;
    summary.dir_files = append_dir(&mut archive, data_dir, Path::new(""))?;
    let mut file = archive.into_inner().map_err(io_err("cannot write the backup"))?;
    file.flush().and_then(|()| file.sync_all()).map_err(io_err("cannot write the backup"))?;
    drop(file);
    fs::rename(&partial, to).map_err(io_err(format!("cannot move the backup to {}", to.display())))?;
    // The rename itself survives a crash once the folder is synced.
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(summary)
}

/// `VACUUM INTO` on a read-only connection of its own, and the counts of the snapshot.
async fn snapshot_database(database: &Path, snapshot: &Path) -> Result<Summary, BackupError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await?;
    sqlx::query("VACUUM INTO ?").bind(snapshot.to_string_lossy().into_owned()).execute(&mut conn).await?;
    conn.close().await?;
    count(snapshot).await
}

/// The ids of the snapshot's files whose bytes live outside the database.
async fn bytes_outside_database(database: &Path) -> Result<Vec<String>, BackupError> {
    let mut conn = SqliteConnectOptions::new().filename(database).read_only(true).connect().await?;
    let ids = sqlx::query_scalar("SELECT id FROM files WHERE size > 0 AND length(data) = 0").fetch_all(&mut conn).await?;
    conn.close().await?;
    Ok(ids)
}

async fn count(database: &Path) -> Result<Summary, BackupError> {
    let mut conn = SqliteConnectOptions::new().filename(database).read_only(true).connect().await?;
    let mut summary = Summary::default();
    for (table, slot) in [("users", &mut summary.accounts), ("sessions", &mut summary.sessions), ("files", &mut summary.files)] {
        *slot = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut conn).await?;
    }
    conn.close().await?;
    Ok(summary)
}

fn owner_only(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Adds the data dir's files (but the live database) under `prefix`; returns how many.
fn append_dir(archive: &mut tar::Builder<File>, dir: &Path, prefix: &Path) -> Result<usize, BackupError> {
    let mut added = 0;
    let mut entries: Vec<_> = fs::read_dir(dir).map_err(io_err(format!("cannot read {}", dir.display())))?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        if prefix.as_os_str().is_empty() && skipped(text) {
            continue;
        }
        let path = entry.path();
        let inside = prefix.join(&name);
        // Followed, so a linked folder or key file is backed up as what it holds.
        let kind = match fs::metadata(&path) {
            Ok(meta) => meta.file_type(),
            // Gone since the folder was listed (a replaced file's old bytes): not in the snapshot either.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(format!("cannot read {}", path.display()))(e)),
        };
        if kind.is_dir() {
            added += append_dir(archive, &path, &inside)?;
        } else if kind.is_file() {
            match archive.append_path_with_name(&path, &inside) {
                Ok(()) => added += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(format!("cannot add {}", path.display()))(e)),
            }
        } else {
            return Err(BackupError::Refused(format!("{} is neither a file nor a folder", path.display())));
        }
    }
    Ok(added)
}

/// Makes `data_dir` from the backup `from`. Refuses a data dir that exists with anything in it.
/// The archive is unpacked beside it and renamed into place, so a failure leaves no half data dir.
pub async fn restore(from: &Path, data_dir: &Path) -> Result<Summary, BackupError> {
    if fs::read_dir(data_dir).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return Err(BackupError::Refused(format!("{} is not empty: restore into a new data dir", data_dir.display())));
    }
    let file = File::open(from).map_err(io_err(format!("cannot open {}", from.display())))?;
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(format!("cannot create {}", parent.display())))?;
    let work = tempfile::Builder::new().prefix(".altogic-restore-").tempdir_in(parent).map_err(io_err(format!("cannot write in {}", parent.display())))?;
    let mut archive = tar::Archive::new(file);
    archive.set_preserve_permissions(false);
    let mut dir_files = 0;
    let mut has_database = false;
    for entry in archive.entries().map_err(io_err("not a backup file"))? {
        let mut entry = entry.map_err(io_err("the backup file is damaged"))?;
        let path: PathBuf = entry.path().map_err(io_err("the backup file is damaged"))?.into_owned();
        // A backup holds plain files at plain relative paths: anything else (links, devices,
        // absolute or `..` paths) was not made by `backup`, and could reach outside NEW.
        let plain = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain || entry.header().entry_type() != tar::EntryType::Regular {
            return Err(BackupError::Refused(format!("{} holds {} that is not a plain file of a data dir", from.display(), path.display())));
        }
        if path.as_os_str() == DATABASE_FILE {
            has_database = true;
        } else {
            dir_files += 1;
        }
        // `unpack_in` refuses paths that would leave the folder (`..`, absolute paths).
        if !entry.unpack_in(work.path()).map_err(io_err(format!("cannot restore {}", path.display())))? {
            return Err(BackupError::Refused(format!("the backup holds a path outside its data dir: {}", path.display())));
        }
        restrict(&work.path().join(&path), 0o600);
    }
    if !has_database {
        return Err(BackupError::Refused(format!("{} is not an altogic-local backup (it holds no {DATABASE_FILE})", from.display())));
    }
    let mut summary = count(&work.path().join(DATABASE_FILE)).await?;
    summary.dir_files = dir_files;
    restrict_tree(work.path());
    sync_tree(work.path());
    // An empty NEW is replaced by the rename itself; on failure the unpacked copy is removed.
    fs::rename(work.path(), data_dir).map_err(io_err(format!("cannot create {}", data_dir.display())))?;
    drop(work);
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(summary)
}

fn restrict(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Everything unpacked is on disk before it is renamed into place.
fn sync_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => sync_tree(&entry.path()),
                Ok(_) => {
                    let _ = File::open(entry.path()).and_then(|f| f.sync_all());
                }
                Err(_) => {}
            }
        }
    }
    let _ = File::open(dir).and_then(|f| f.sync_all());
}

/// Folders owner-only (the data dir's own rule).
fn restrict_tree(dir: &Path) {
    restrict(dir, 0o700);
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                restrict_tree(&entry.path());
            }
        }
    }
}
