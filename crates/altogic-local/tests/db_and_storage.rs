//! `db/object/*` authorization and `storage` uploads, over real HTTP.

mod common;

use altogic::{UploadOptions, User};
use common::*;
use serde_json::{json, Map, Value};

fn values(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn a_user_reads_and_updates_only_their_own_object() {
    let t = open().await;
    let (me, _) = t.signed_in_user("db").await;
    let (other, _) = t.signed_in_user("db-other").await;
    let my_id = me.user().unwrap().id;
    let other_id = other.user().unwrap().id;

    let got: Option<User> = me.model("users").object(&my_id).get().await.unwrap();
    assert_eq!(got.unwrap().id, my_id);
    let updated: User = me.model("users").object(&my_id).update(values(json!({"name": "  New Name ", "bio": "hi"}))).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("New Name"));
    assert_eq!(updated.extra["bio"], "hi");
    assert_eq!(me.auth().get_user_from_db().await.unwrap().name.as_deref(), Some("New Name"), "persisted");

    let err = me.model("users").object(&other_id).get::<User>().await.unwrap_err();
    assert!(err.has_code("permission_denied"), "{err}");
    let err = me.model("users").object(&other_id).update::<User>(values(json!({"name": "pwned"}))).await.unwrap_err();
    assert!(err.has_code("permission_denied"));
    assert_eq!(other.auth().get_user_from_db().await.unwrap().name.as_deref(), Some("Test User"));
    let err = me.model("users").object("000000000000000000000000").get::<User>().await.unwrap_err();
    assert!(err.has_code("permission_denied"), "unknown ids look like other users' ids");
    let err = me.model("orders").object(&my_id).get::<Value>().await.unwrap_err();
    assert!(err.has_code("model_not_found"));

    for field in ["password", "email", "emailVerified", "provider", "_id"] {
        let err = me.model("users").object(&my_id).update::<User>(values(json!({ field: "x" }))).await.unwrap_err();
        assert!(err.has_code("permission_denied"), "{field}: {err}");
    }
    for bad in [json!({"name": ""}), json!({"name": 5}), json!({"name": "x".repeat(101)}), json!({"profilePicture": "javascript:alert(1)"}), json!({"bad key": 1})] {
        let err = me.model("users").object(&my_id).update::<User>(values(bad.clone())).await.unwrap_err();
        assert!(err.has_code("validation_error"), "{bad}: {err}");
    }
    let user = me.auth().get_user_from_db().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("New Name"), "rejected updates change nothing");

    let anonymous = t.client();
    assert!(anonymous.model("users").object(&my_id).get::<User>().await.unwrap_err().has_code("missing_session_token"));
}

#[tokio::test]
async fn an_avatar_uploads_and_is_served_publicly_with_its_type() {
    let t = open().await;
    let (me, _) = t.signed_in_user("avatar").await;
    let id = me.user().unwrap().id;
    let name = format!("user_{id}");
    let info = me.bucket("root").upload(&name, PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    assert_eq!((info.file_name.as_str(), info.mime_type.as_str(), info.size), (name.as_str(), "image/png", PNG.len() as u64));
    assert!(info.is_public);
    assert_eq!(info.user_id.as_deref(), Some(id.as_str()));
    assert!(info.public_path.starts_with(&t.server.url), "absolute URL: {}", info.public_path);

    let resp = reqwest::get(&info.public_path).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);

    let user: User = me.model("users").object(&id).update(values(json!({"profilePicture": info.public_path}))).await.unwrap();
    assert_eq!(user.profile_picture.as_deref(), Some(info.public_path.as_str()));

    // A new avatar under the same name gets a new URL (so caches never show the old one).
    let again = me.bucket("root").upload(&name, PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    assert_ne!(again.public_path, info.public_path);
    assert_eq!(reqwest::get(&info.public_path).await.unwrap().status(), 404);

    // Another user uploading the same name does not touch this user's file.
    let (other, _) = t.signed_in_user("avatar-other").await;
    let theirs = other.bucket("root").upload(&name, PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    assert_ne!(theirs.id, again.id);
    assert_eq!(reqwest::get(&again.public_path).await.unwrap().status(), 200);
}

#[tokio::test]
async fn uploads_are_checked_for_session_type_size_and_name() {
    let t = server(|c| {
        c.email_verification = false;
        c.max_upload_bytes = 1024;
    })
    .await;
    let (me, _) = t.signed_in_user("upload").await;
    let png = |ct: &str| UploadOptions::with_content_type(ct);

    let err = t.client().bucket("root").upload("a.png", PNG.to_vec(), png("image/png")).await.unwrap_err();
    assert!(err.has_code("missing_session_token"));
    let err = me.bucket("root").upload("a.txt", b"hello".to_vec(), png("text/plain")).await.unwrap_err();
    assert!(err.has_code("unsupported_media_type"), "{err}");
    let err = me.bucket("root").upload("a.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), png("image/svg+xml")).await.unwrap_err();
    assert!(err.has_code("unsupported_media_type"));
    let err = me.bucket("root").upload("a.jpg", PNG.to_vec(), png("image/jpeg")).await.unwrap_err();
    assert!(err.has_code("unsupported_media_type"), "declared type must match the bytes");
    let mut big = PNG.to_vec();
    big.resize(2048, 0);
    let err = me.bucket("root").upload("big.png", big, png("image/png")).await.unwrap_err();
    assert!(err.has_code("request_body_size_too_large"), "{err}");
    assert_eq!(err.api().unwrap().status, 413);
    let err = me.bucket("photos").upload("a.png", PNG.to_vec(), png("image/png")).await.unwrap_err();
    assert!(err.has_code("bucket_not_found"));
    let err = me.bucket("root").upload("..", PNG.to_vec(), png("image/png")).await.unwrap_err();
    assert!(err.has_code("validation_error"));

    let info = me.bucket("root").upload("../../etc/my avatar.png", PNG.to_vec(), png("application/octet-stream")).await.unwrap();
    assert_eq!((info.file_name.as_str(), info.mime_type.as_str()), ("my_avatar.png", "image/png"));
}

#[tokio::test]
async fn upload_object_accepts_raw_bytes_and_the_altogic_js_json_quirk() {
    let t = open().await;
    let (me, _) = t.signed_in_user("object").await;
    let token = me.session().unwrap().token;
    let path = "/_api/rest/v1/storage/bucket/upload-object?bucket=root&fileName=raw.png&options=%7B%22contentType%22%3A%22image%2Fpng%22%7D";
    let raw = t.raw(reqwest::Method::POST, path).header("Session", &token).header("Content-Type", "image/png").body(PNG.to_vec()).send().await.unwrap();
    assert_eq!(raw.status(), 200);
    let buffer = json!({"type": "Buffer", "data": PNG});
    let quirk = t.raw(reqwest::Method::POST, path).header("Session", &token).json(&buffer).send().await.unwrap();
    assert_eq!(quirk.status(), 200);
    let info: altogic::FileInfo = quirk.json().await.unwrap();
    assert_eq!(info.size, PNG.len() as u64);
}

#[tokio::test]
async fn private_files_are_served_only_to_their_owner() {
    let t = open().await;
    let (me, _) = t.signed_in_user("private").await;
    let options = UploadOptions { is_public: Some(false), ..UploadOptions::with_content_type("image/png") };
    let info = me.bucket("root").upload("secret.png", PNG.to_vec(), options).await.unwrap();
    assert!(!info.is_public);
    let anonymous = reqwest::get(&info.public_path).await.unwrap();
    assert_eq!(anonymous.status(), 404);
    assert!(anonymous.json::<altogic::ErrorBody>().await.is_ok());
    let (other, _) = t.signed_in_user("private-other").await;
    let http = reqwest::Client::new();
    let as_other = http.get(&info.public_path).header("Session", other.session().unwrap().token).send().await.unwrap();
    assert_eq!(as_other.status(), 404);
    let as_owner = http.get(&info.public_path).header("Session", me.session().unwrap().token).send().await.unwrap();
    assert_eq!(as_owner.status(), 200);
    assert_eq!(as_owner.headers()["cache-control"], "private, no-store");
}
