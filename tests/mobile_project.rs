//! The committed Android project carries what tauri.conf.json promises phones: an App Link for the
//! https redirect page that Android verifies (`autoVerify`), and no custom scheme any other app
//! could claim. scripts/check-platforms.sh regenerates the filters and fails when they drift.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `<intent-filter …>…</intent-filter>` blocks of the manifest.
fn intent_filters(manifest: &str) -> Vec<&str> {
    manifest.split("<intent-filter").skip(1).filter_map(|rest| rest.split("</intent-filter>").next()).collect()
}

#[test]
fn the_android_manifest_opens_only_verified_app_links() {
    let conf: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root().join("tauri.conf.json")).unwrap()).unwrap();
    let mobile = conf["plugins"]["deep-link"]["mobile"].as_array().unwrap();
    assert!(!mobile.is_empty(), "phones take mail links");
    let manifest = std::fs::read_to_string(root().join("gen/android/app/src/main/AndroidManifest.xml")).unwrap();
    let filters = intent_filters(&manifest);
    for link in mobile {
        assert_eq!(link["appLink"], true, "every mobile link is a verified App Link: {link}");
        assert_eq!(link["scheme"], serde_json::json!(["https"]), "{link}");
        let host = link["host"].as_str().unwrap();
        let filter = filters
            .iter()
            .find(|f| f.contains(&format!("android:host=\"{host}\"")))
            .unwrap_or_else(|| panic!("no intent filter for {host} in the manifest"));
        assert!(filter.starts_with(" android:autoVerify=\"true\""), "Android verifies {host}: {filter}");
        assert!(filter.contains("android:scheme=\"https\"") && !filter.contains("android:scheme=\"http\""), "{filter}");
        assert!(filter.contains("android:pathPrefix=\"/auth-redirect\""), "{filter}");
        assert!(filter.contains("android.intent.category.BROWSABLE"), "{filter}");
    }
    assert!(!manifest.contains("android:scheme=\"altogic-auth\""), "a custom scheme can be claimed by any app");
    let gradle = std::fs::read_to_string(root().join("gen/android/app/build.gradle.kts")).unwrap();
    assert!(gradle.contains(&format!("applicationId = \"{}\"", conf["identifier"].as_str().unwrap())), "the package assetlinks.json names");
}

#[test]
fn nothing_of_the_app_leaves_an_android_phone_in_a_backup_or_a_transfer() {
    let manifest = std::fs::read_to_string(root().join("gen/android/app/src/main/AndroidManifest.xml")).unwrap();
    let application = manifest.split("<application").nth(1).and_then(|a| a.split('>').next()).expect("an <application> element");
    assert!(application.contains("android:allowBackup=\"false\""), "no cloud backup (Android 11 and older): {application}");
    assert!(application.contains("android:fullBackupContent=\"false\""), "{application}");
    assert!(application.contains("android:dataExtractionRules=\"@xml/data_extraction_rules\""), "Android 12+ reads these rules instead: {application}");
    let rules = std::fs::read_to_string(root().join("gen/android/app/src/main/res/xml/data_extraction_rules.xml")).unwrap();
    for section in ["cloud-backup", "device-transfer"] {
        let body = rules.split(&format!("<{section}>")).nth(1).and_then(|b| b.split(&format!("</{section}>")).next()).unwrap_or_else(|| panic!("no <{section}> rules"));
        for domain in ["root", "file", "database", "sharedpref", "external", "device_root", "device_file", "device_database", "device_sharedpref"] {
            assert!(body.contains(&format!("<exclude domain=\"{domain}\" path=\".\" />")), "{section} keeps {domain}: {body}");
        }
        assert!(!body.contains("<include"), "{section} includes something: {body}");
    }
}
