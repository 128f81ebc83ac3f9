//! Files' bytes in an object store: a local folder (always tested) and S3-compatible storage (a
//! real s3s-fs server that scripts/test.sh starts; it exports `AWS_*` and `ALTOGIC_TEST_S3_*`).
//! The public URL serves the same bytes either way, and a replaced file's object goes.

mod common;

use std::path::Path;

use altogic::UploadOptions;
use common::*;

/// Uploads an avatar twice under one name; returns the two file ids. Checks the public URL.
async fn upload_and_replace(t: &TestServer) -> (String, String) {
    let (client, _) = t.signed_in_user("objects").await;
    let first = client.bucket("root").upload("avatar.png", PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    let second = client.bucket("root").upload("avatar.png", PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    let resp = t.http.get(&second.public_path).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(t.http.get(&first.public_path).send().await.unwrap().status(), 404, "the replaced file is gone");
    // The database row holds no bytes: they are in the object store.
    let row = t.server.state.store.file(&second.id).await.unwrap().unwrap();
    assert!(row.data.is_empty());
    (first.id, second.id)
}

/// A server (verification off) whose files go to `dir`.
async fn folder_server(dir: &Path) -> TestServer {
    let url = format!("file://{}", dir.display());
    server(|c| {
        c.email_verification = false;
        c.storage_url = Some(url);
    })
    .await
}

#[tokio::test]
async fn files_in_a_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let t = folder_server(dir.path()).await;
    let (old, new) = upload_and_replace(&t).await;
    assert_eq!(std::fs::read(dir.path().join("files").join(&new)).unwrap(), PNG);
    assert!(!dir.path().join("files").join(&old).exists(), "the replaced object was deleted");
}

#[tokio::test]
async fn files_in_s3_compatible_storage() {
    let (Ok(bucket), Ok(root)) = (std::env::var("ALTOGIC_TEST_S3_BUCKET"), std::env::var("ALTOGIC_TEST_S3_ROOT")) else {
        eprintln!("ALTOGIC_TEST_S3_BUCKET/ROOT are not set: no S3 server to test against (scripts/test.sh starts s3s-fs)");
        return;
    };
    let t = server(|c| {
        c.email_verification = false;
        c.storage_url = Some(format!("s3://{bucket}"));
    })
    .await;
    let (old, new) = upload_and_replace(&t).await;
    // s3s-fs keeps an object as a file under ROOT/BUCKET/KEY.
    let stored = Path::new(&root).join(&bucket).join("files");
    assert_eq!(std::fs::read(stored.join(&new)).unwrap(), PNG);
    assert!(!stored.join(&old).exists());
}

#[tokio::test]
async fn the_sweep_drops_the_files_of_never_verified_accounts() {
    let dir = tempfile::tempdir().unwrap();
    // Accounts made while verification was off are unverified; with it on, the sweep removes them.
    let t = folder_server(dir.path()).await;
    let (client, _) = t.signed_in_user("unverified").await;
    let file = client.bucket("root").upload("a.png", PNG.to_vec(), UploadOptions::with_content_type("image/png")).await.unwrap();
    let object = dir.path().join("files").join(&file.id);
    assert!(object.exists());
    let later = altogic_local::time::unix_now() + 365 * 86_400;
    let policy = altogic_local::store::PurgePolicy { now: later, mails_before: later, unverified_before: Some("9999-01-01T00:00:00.000Z".into()), session_max_secs: 90 * 86_400, session_idle_secs: 30 * 86_400, events_before: 0 };
    altogic_local::sweep(&t.server.state, &policy).await.unwrap();
    assert!(t.server.state.store.file(&file.id).await.unwrap().is_none(), "the row went with the account");
    assert!(!object.exists(), "and so did the bytes");
}
