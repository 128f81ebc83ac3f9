//! Where uploaded files' bytes live: in the database row (the SQLite default: one file to back
//! up), or in an object store (the default with PostgreSQL, so instances share files without
//! bloating the database): a local folder (`file:///…`) or S3-compatible storage (`s3://bucket`,
//! configured by the usual `AWS_*` variables). The public URL of a file is the same either way.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::error::AppError;
use crate::store::FileRow;
use crate::Config;

pub enum Blobs {
    /// The bytes are the row's `data`.
    Database,
    /// The bytes are the object `files/<id>`; the row's `data` stays empty.
    Objects(Arc<dyn ObjectStore>),
}

impl Blobs {
    /// `--storage-url`, or by default the database for SQLite and `<data dir>/files` for PostgreSQL.
    pub fn open(config: &Config) -> Result<Blobs, String> {
        let url = match (&config.storage_url, &config.database_url) {
            (Some(url), _) => url.clone(),
            (None, None) => return Ok(Blobs::Database),
            (None, Some(_)) => format!("file://{}", config.data_dir.join("files").display()),
        };
        let invalid = |e: &dyn std::fmt::Display| format!("invalid --storage-url {url}: {e}");
        let parsed = url::Url::parse(&url).map_err(|e| invalid(&e))?;
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "file" => {
                let dir = parsed.to_file_path().map_err(|_| invalid(&"not a local path"))?;
                std::fs::create_dir_all(&dir).map_err(|e| invalid(&e))?;
                Arc::new(LocalFileSystem::new_with_prefix(&dir).map_err(|e| invalid(&e))?)
            }
            "s3" => {
                let bucket = parsed.host_str().ok_or_else(|| invalid(&"no bucket"))?;
                Arc::new(AmazonS3Builder::from_env().with_bucket_name(bucket).build().map_err(|e| invalid(&e))?)
            }
            other => return Err(invalid(&format!("the scheme {other}: is not supported (file:// or s3://)"))),
        };
        Ok(Blobs::Objects(store))
    }

    fn path(id: &str) -> ObjectPath {
        ObjectPath::from(format!("files/{id}"))
    }

    /// Stores the bytes of file `id`; returns what its row keeps as `data`.
    pub async fn put(&self, id: &str, bytes: Vec<u8>) -> Result<Vec<u8>, AppError> {
        match self {
            Blobs::Database => Ok(bytes),
            Blobs::Objects(store) => {
                store.put(&Self::path(id), PutPayload::from(bytes)).await.map_err(object_failure)?;
                Ok(Vec::new())
            }
        }
    }

    /// The bytes of a stored file.
    pub async fn get(&self, file: FileRow) -> Result<Vec<u8>, AppError> {
        match self {
            Blobs::Database => Ok(file.data),
            Blobs::Objects(store) => {
                let object = store.get(&Self::path(&file.id)).await.map_err(object_failure)?;
                Ok(object.bytes().await.map_err(object_failure)?.to_vec())
            }
        }
    }

    /// Drops the bytes of a file that was replaced or never recorded (best effort: an orphan
    /// object is only wasted space).
    pub async fn delete(&self, id: &str) {
        if let Blobs::Objects(store) = self {
            if let Err(e) = store.delete(&Self::path(id)).await {
                tracing::warn!(error = %e, "could not delete a file's object");
            }
        }
    }
}

fn object_failure(e: object_store::Error) -> AppError {
    tracing::error!(error = %e, "object store failure");
    AppError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, crate::error::codes::STORAGE_UNAVAILABLE, "The file storage cannot be reached. Please try again.")
}
