//! `kezek-admin` on DynamoDB (moto): the calendar correction's dry run and run on a table seeded
//! with applications whose deadlines were computed before the 2026 calendar correction, and the
//! calendar publication the functions read at cold start.

use aws_config::{BehaviorVersion, Region};
use kezek_aws::DynamoStore;
use kezek_contract::correction::{deadline, expected_after, seed_before_correction};
use kezek_core::domain::Action;
use kezek_core::ports::ApplicationReads;
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;

async fn table() -> (Arc<DynamoStore>, String) {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(kezek_contract::moto::endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    let name = format!("kezek-admin-{}", uuid::Uuid::new_v4().simple());
    let store = DynamoStore::new(kezek_aws::dynamodb_client_from(&conf, None), &name);
    store.ensure_table().await.expect("table");
    (Arc::new(store), name)
}

/// Runs `kezek-admin` against moto; (exit code, stdout, stderr).
fn admin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kezek-admin"))
        .args(args)
        .env("AWS_ENDPOINT_URL", kezek_contract::moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("run kezek-admin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (id, field, from, to) of the report's entries for `ids`, sorted.
fn moves(report: &Value, ids: &[&str]) -> Vec<(String, String, String, String)> {
    let mut v = Vec::new();
    for c in report["corrected"].as_array().expect("corrected") {
        let id = c["id"].as_str().unwrap_or_default();
        if !ids.contains(&id) {
            continue;
        }
        for ch in c["changes"].as_array().expect("changes") {
            v.push((
                id.to_owned(),
                ch["field"].as_str().unwrap_or_default().to_owned(),
                ch["from"].as_str().unwrap_or_default().to_owned(),
                ch["to"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_deadlines_dry_run_then_run_on_dynamodb() {
    let (store, name) = table().await;
    let d = kezek_contract::fixtures::district();
    let seeded = seed_before_correction(store.as_ref(), &d).await;
    let ids = seeded.ids();
    let mut expected: Vec<(String, String, String, String)> = expected_after(&seeded)
        .into_iter()
        .map(|(id, f, from, to)| (id.into(), f.into(), from.into(), to.into()))
        .collect();
    expected.sort();
    let versions = || async {
        let mut v = Vec::new();
        for id in ids {
            v.push(store.application(id).await.unwrap().unwrap().version);
        }
        v
    };
    let before = versions().await;

    let (code, out, err) = admin(&["correct-deadlines", "--table", &name, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let dry: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(moves(&dry, &ids), expected);
    assert!(
        err.contains("would be corrected (dry run: nothing written)"),
        "{err}"
    );
    assert_eq!(versions().await, before, "the dry run wrote nothing");

    let (code, out, err) = admin(&["correct-deadlines", "--table", &name]);
    assert_eq!(code, 0, "{err}");
    let run: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(moves(&run, &ids), expected);
    for (id, field, _, to) in &expected {
        let app = store.application(id).await.unwrap().unwrap();
        assert_eq!(deadline(&app, field).as_ref(), Some(to));
        let history = store.history(id).await.unwrap();
        assert_eq!(history.last().unwrap().action, Action::DeadlinesCorrected);
    }
    let kept = store.application(&seeded.kept.id).await.unwrap().unwrap();
    assert_eq!(kept.version, seeded.kept.version, "never shortened");

    let (code, out, err) = admin(&["correct-deadlines", "--table", &name]);
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&out).expect("a JSON report");
    assert!(moves(&again, &ids).is_empty(), "idempotent: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_publish_checks_every_file_first() {
    let (store, name) = table().await;
    let dir = std::env::temp_dir().join(format!("kezek-cal-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    // The manifest folder at run time (the build may have been made in another checkout).
    let shipped = format!(
        "{}/../shared/core/data/calendar/2027.toml",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    );
    std::fs::copy(shipped, dir.join("2027.toml")).unwrap();
    // A wrong count: refused, and nothing is published (not even the good file).
    std::fs::write(dir.join("2028.toml"), "year = 2028\nworking_days = 1\n").unwrap();
    let (code, _, err) = admin(&[
        "calendar-publish",
        "--table",
        &name,
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("2028.toml") && err.contains("nothing was published"),
        "{err}"
    );
    assert!(store.published_calendar().await.unwrap().is_empty());

    std::fs::remove_file(dir.join("2028.toml")).unwrap();
    let (code, out, err) = admin(&[
        "calendar-publish",
        "--table",
        &name,
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("[2027]"), "{out}");
    let (code, out, _) = admin(&["calendar-show", "--table", &name]);
    assert_eq!(code, 0);
    assert!(out.starts_with("2027 published "), "{out}");
    let published = store.published_calendar().await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].year, 2027);
    std::fs::remove_dir_all(dir).ok();
}

/// `kezek-admin session-keys`: a working RS256 pair, the secret's JSON as `auth` reads it (owner
/// only), the public key for `SessionPublicKeys`; it never overwrites a pair already there.
#[test]
fn session_keys_make_a_working_pair() {
    let dir = std::env::temp_dir().join(format!("kezek-keys-{}", uuid::Uuid::new_v4().simple()));
    let dir_s = dir.display().to_string();
    let (code, _, err) = admin(&["session-keys", "--out", &dir_s]);
    assert_eq!(code, 0, "{err}");
    let secret_path = dir.join("session-signing-secret.json");
    let text = std::fs::read_to_string(&secret_path).unwrap();
    let secret: kezek_aws::SessionSigningSecret = kezek_aws::parse_secret(&text).unwrap();
    let public = std::fs::read_to_string(dir.join("session-public-key.pem")).unwrap();
    assert_eq!(secret.public_key, public);
    let sessions = kezek_http::Sessions::verifier(&public)
        .and_then(|s| s.with_signer(&secret.private_key, &secret.public_key))
        .unwrap();
    assert!(sessions.signs());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the private key is readable by its owner only"
        );
    }
    // A second run into the same folder is refused and keeps the first pair.
    let (code, _, _) = admin(&["session-keys", "--out", &dir_s]);
    assert_ne!(code, 0);
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), text);
    std::fs::remove_dir_all(dir).ok();
}
