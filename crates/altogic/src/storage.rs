//! `altogic.storage.bucket(b).upload(...)` through `upload-formdata`, like the Dart client (spec §8.1).

use reqwest::multipart::{Form, Part};
use reqwest::Method;

use crate::client::{Body, Error, Result};
use crate::types::{FileInfo, UploadOptions};
use crate::AltogicClient;

pub struct Bucket<'a> {
    pub(crate) client: &'a AltogicClient,
    pub(crate) name: String,
}

impl Bucket<'_> {
    /// Uploads `bytes` as `file_name`, sent as one multipart part `file` whose Content-Type is
    /// `options.content_type` (pass the real MIME type: the server checks it against the bytes).
    pub async fn upload(&self, file_name: &str, bytes: Vec<u8>, options: UploadOptions) -> Result<FileInfo> {
        let options_json = serde_json::to_string(&options).map_err(|e| Error::Client { code: "invalid_options", message: e.to_string() })?;
        let part = Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str(&options.content_type)
            .map_err(|e| Error::Client { code: "invalid_content_type", message: e.to_string() })?;
        let form = Form::new().part("file", part);
        let query = [("bucket", self.name.as_str()), ("fileName", file_name), ("options", options_json.as_str())];
        self.client.json::<FileInfo, ()>(Method::POST, "/_api/rest/v1/storage/bucket/upload-formdata", &query, Body::Multipart(form)).await
    }
}
