//! `/_api/rest/v1/storage/bucket/upload-formdata|upload-object` and public files at
//! `/_storage/<envId>/<bucketId>/<fileId>` (spec §8). Only the `root` bucket exists; only images are
//! accepted (this backend stores avatars), checked by their bytes, within the size limit.

use std::collections::HashMap;

use altogic::{FileInfo, UploadOptions};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::crypto::{new_id, TokenKey};
use crate::error::{codes, AppError, AppResult};
use crate::extract::{too_large, AuthSession};
use crate::ratelimit::{counted, UPLOAD_WINDOW};
use crate::store::{FilePut, FileQuota, FileRow};
use crate::time::now_iso;
use crate::AppState;

/// Tags a file may carry, and their length: tags are stored with the file, outside its byte quota.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 100;

/// The image types accepted, recognized by their first bytes (never by the name or the header alone).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Letters, digits, `.`, `_` and `-`, at most 128, not starting with a dot: safe in URLs and paths.
pub fn sanitize_file_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() || clean.len() > 128 {
        return Err(AppError::validation("fileName", "The file name must have 1 to 128 characters."));
    }
    Ok(clean)
}

struct UploadTarget {
    file_name: String,
    options: UploadOptions,
}

fn target(query: &HashMap<String, String>) -> AppResult<UploadTarget> {
    let bucket = query.get("bucket").map(String::as_str).unwrap_or("root");
    if bucket != "root" {
        return Err(AppError::not_found(codes::BUCKET_NOT_FOUND, format!("No bucket named '{bucket}' exists.")));
    }
    let file_name = sanitize_file_name(query.get("fileName").map(String::as_str).unwrap_or(""))?;
    let options = match query.get("options").filter(|o| !o.trim().is_empty()) {
        Some(json) => serde_json::from_str(json).map_err(|_| AppError::validation("options", "options must be a JSON object of upload options."))?,
        None => UploadOptions::default(),
    };
    Ok(UploadTarget { file_name, options })
}

fn generic(content_type: &str) -> bool {
    let base = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    base.is_empty() || base == "application/octet-stream"
}

async fn store_upload(state: &AppState, auth: &AuthSession, target: UploadTarget, declared: &str, bytes: Vec<u8>) -> AppResult<FileInfo> {
    if bytes.is_empty() {
        return Err(AppError::bad_request(codes::FILE_UPLOAD_ERROR, "The uploaded file is empty."));
    }
    if bytes.len() > state.config.max_upload_bytes {
        return Err(too_large());
    }
    let Some(detected) = sniff_image(&bytes) else {
        return Err(unsupported());
    };
    let declared_base = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let declared_ok = generic(declared) || declared_base == detected || (detected == "image/jpeg" && declared_base == "image/jpg");
    if !declared_ok {
        return Err(AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::UNSUPPORTED_MEDIA_TYPE, format!("The file is {detected}, not {declared_base}.")));
    }
    let tags: Vec<String> = match &target.options.tags {
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) {
        return Err(AppError::validation("options", format!("A file takes at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters.")));
    }
    let now = now_iso();
    let quota = FileQuota { bytes: i64::try_from(state.config.upload_quota_bytes).unwrap_or(i64::MAX), files: i64::from(state.config.files_per_user) };
    let id = new_id();
    let size = bytes.len() as i64;
    // The bytes are stored first (under the new id); the row that makes them a file is written
    // in the store's transaction, and on any refusal the bytes go again.
    let data = state.blobs.put(&id, bytes).await?;
    let row = FileRow {
        id: id.clone(),
        bucket: "root".into(),
        owner_id: Some(auth.user.id.clone()),
        file_name: target.file_name,
        mime_type: detected.into(),
        size,
        is_public: target.options.is_public.unwrap_or(true),
        tags,
        data,
        uploaded_at: now.clone(),
        updated_at: now,
    };
    let put = match state.store.put_file(&auth.session.selector, &row, quota, state.clock.now()).await {
        Ok(put) => put,
        Err(e) => {
            state.blobs.delete(&id).await;
            return Err(e.into());
        }
    };
    if !matches!(put, FilePut::Stored { .. }) {
        state.blobs.delete(&id).await;
    }
    match put {
        FilePut::Stored { file, replaced } => {
            if let Some(old) = replaced {
                state.blobs.delete(&old).await;
            }
            Ok(file_info(state, &file))
        }
        FilePut::SessionEnded => Err(AppError::invalid_session()),
        FilePut::OverQuota { used } => Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::STORAGE_QUOTA_EXCEEDED,
            format!("This file does not fit in your storage: {} of {} bytes are used.", used, quota.bytes),
        )
        .with_details(serde_json::json!({ "quota": quota.bytes, "used": used }))),
        FilePut::TooManyFiles { count } => Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::STORAGE_QUOTA_EXCEEDED,
            format!("You have {count} files, as many as you can store. Delete one, or replace it under the same name."),
        )
        .with_details(serde_json::json!({ "files": quota.files, "count": count }))),
    }
}

fn unsupported() -> AppError {
    AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::UNSUPPORTED_MEDIA_TYPE, "Only PNG, JPEG, GIF and WebP images can be uploaded.")
}

/// Where a stored file's bytes are served (the bucket is the environment's `root`).
pub fn public_path(state: &AppState, id: &str) -> String {
    format!("{}/_storage/{}/{}/{}", state.public_url, state.env_id, state.env_id, id)
}

pub fn file_info(state: &AppState, row: &FileRow) -> FileInfo {
    FileInfo {
        id: row.id.clone(),
        bucket_id: state.env_id.clone(),
        file_name: row.file_name.clone(),
        size: row.size as u64,
        encoding: "7bit".into(),
        mime_type: row.mime_type.clone(),
        public_path: public_path(state, &row.id),
        is_public: row.is_public,
        uploaded_at: row.uploaded_at.clone(),
        updated_at: row.updated_at.clone(),
        user_id: row.owner_id.clone(),
        tags: row.tags.clone(),
    }
}

pub async fn upload_formdata(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<HashMap<String, String>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Json<FileInfo>> {
    let target = target(&query)?;
    upload_budget(&state, &auth).await?;
    let mut multipart = multipart.map_err(|e| AppError::bad_request(codes::FILE_UPLOAD_ERROR, format!("Expected a multipart/form-data body: {}", e.body_text())))?;
    let bad_part = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::bad_request(codes::FILE_UPLOAD_ERROR, "The multipart body is malformed.")
        }
    };
    // The first part with a file in it (altogic-js names it `file`).
    while let Some(mut field) = multipart.next_field().await.map_err(bad_part)? {
        if field.file_name().is_none() && field.name() != Some("file") {
            continue;
        }
        let declared = field.content_type().map(str::to_string).unwrap_or_else(|| target.options.content_type.clone());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_part)? {
            if bytes.len() + chunk.len() > state.config.max_upload_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Json(store_upload(&state, &auth, target, &declared, bytes).await?));
    }
    Err(AppError::bad_request(codes::FILE_UPLOAD_ERROR, "The multipart body has no file part."))
}

/// Counted before the body is read: a client over its upload rate costs no upload.
async fn upload_budget(state: &AppState, auth: &AuthSession) -> AppResult<()> {
    counted(state, &format!("upload:{}", auth.user.id), state.config.uploads_per_hour, UPLOAD_WINDOW).await
}

/// A Node `Buffer` as altogic-js JSON-encodes it: its bytes decode straight into a `Vec<u8>`.
#[derive(serde::Deserialize)]
struct JsonBuffer {
    #[serde(rename = "type")]
    kind: String,
    data: Vec<u8>,
}

/// Raw bytes, plus altogic-js 2.3.9's quirk: it JSON-encodes non-Blob bodies, so a JSON string or a
/// Node `{"type":"Buffer","data":[…]}` is decoded back to bytes.
pub async fn upload_object(State(state): State<AppState>, auth: AuthSession, Query(query): Query<HashMap<String, String>>, headers: HeaderMap, body: axum::body::Body) -> AppResult<Json<FileInfo>> {
    let target = target(&query)?;
    upload_budget(&state, &auth).await?;
    // A Buffer's JSON takes up to 4 bytes per byte of file.
    let body = axum::body::to_bytes(body, 4 * state.config.max_upload_bytes + 64).await.map_err(|_| too_large())?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (bytes, declared) = if content_type.starts_with("application/json") {
        let malformed = || AppError::bad_request(codes::FILE_UPLOAD_ERROR, "A JSON upload body must be a string or a Buffer object.");
        let decoded = match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'"') => serde_json::from_slice::<String>(&body).map_err(|_| malformed())?.into_bytes(),
            Some(b'{') => match serde_json::from_slice::<JsonBuffer>(&body) {
                Ok(buffer) if buffer.kind == "Buffer" => buffer.data,
                _ => return Err(AppError::bad_request(codes::FILE_UPLOAD_ERROR, "The Buffer body is malformed.")),
            },
            _ => return Err(malformed()),
        };
        (decoded, target.options.content_type.clone())
    } else {
        (body.to_vec(), content_type)
    };
    Ok(Json(store_upload(&state, &auth, target, &declared, bytes).await?))
}

/// Public files by URL; a private file only for its owner's session.
pub async fn public_file(State(state): State<AppState>, Path((env, bucket, id)): Path<(String, String, String)>, headers: HeaderMap) -> AppResult<Response> {
    let missing = || AppError::not_found(codes::FILE_NOT_FOUND, "No such file.");
    if env != state.env_id || bucket != state.env_id {
        return Err(missing());
    }
    let file = state.store.file(&id).await?.ok_or_else(missing)?;
    if !file.is_public && !owner_session(&state, &headers, file.owner_id.as_deref()).await? {
        return Err(missing());
    }
    let mime_type = file.mime_type.clone();
    let is_public = file.is_public;
    let mut response = (StatusCode::OK, state.blobs.get(file).await?).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    // A new upload gets a new id, so a URL's bytes never change.
    let cache = if is_public { "public, max-age=31536000, immutable" } else { "private, no-store" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    Ok(response)
}

async fn owner_session(state: &AppState, headers: &HeaderMap, owner: Option<&str>) -> AppResult<bool> {
    let Some(key) = headers.get("session").and_then(|v| v.to_str().ok()).and_then(TokenKey::parse) else { return Ok(false) };
    let Some(found) = state.store.live_session(key, state.clock.now()).await? else { return Ok(false) };
    Ok(Some(found.session.user_id.as_str()) == owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_images_and_sanitizes_names() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg xmlns=...>"), None);
        assert_eq!(sanitize_file_name("user_abc").unwrap(), "user_abc");
        assert_eq!(sanitize_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(sanitize_file_name("my photo (1).png").unwrap(), "my_photo__1_.png");
        assert!(sanitize_file_name("..").is_err());
        assert!(sanitize_file_name("").is_err());
    }
}
