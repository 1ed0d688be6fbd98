//! The local data folder of documents through the runner's signed URLs: the blob-store contract
//! (as S3 passes it), and the checks of a presigned URL — another type, another length, a
//! tampered signature, an expired link, a path outside the folder.

use kezek_contract::blobs::{curl, curl_to, presigned_round_trip};
use kezek_core::ports::Blobs;
use kezek_local::Local;
use std::time::Duration;

async fn runner() -> (Local, std::path::PathBuf) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let keys = kezek_local::keys::LocalKeys::generate().unwrap();
    let dir = std::env::temp_dir().join(format!("kezek-files-{}", uuid::Uuid::new_v4().simple()));
    let mut local = Local::new(&keys);
    local.keep_files(dir.clone(), &base, &keys.files).unwrap();
    let router = local.clone().router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (local, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_keeps_the_blob_contract() {
    let (local, dir) = runner().await;
    presigned_round_trip(local.files.as_ref().unwrap().as_ref()).await;
    kezek_contract::blobs::form_round_trip(local.files.as_ref().unwrap().as_ref()).await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_bind_type_length_and_time() {
    let (local, dir) = runner().await;
    let files = local.files.as_ref().unwrap();
    let body = dir.join("body.png");
    std::fs::write(&body, [7u8; 100]).unwrap();
    let data = format!("@{}", body.display());
    let put = |url: &str, t: &str| {
        curl(&[
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {t}"),
            "--data-binary",
            &data,
            url,
        ])
    };
    let key = "uploads/abc/doc-2";
    let url = files
        .upload_url(key, "image/png", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(put(&url, "text/html"), "403", "another type");
    let short = files
        .upload_url(key, "image/png", 99, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(put(&short, "image/png"), "403", "another length");
    let tampered = url.replace("size=100", "size=101");
    assert_eq!(put(&tampered, "image/png"), "403", "a changed query");
    let expired = files
        .upload_url(key, "image/png", 100, Duration::from_secs(0))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(put(&expired, "image/png"), "403", "an expired link");
    assert_eq!(files.size(key).await.unwrap(), None, "nothing was written");
    assert_eq!(put(&url, "image/png"), "200");
    assert_eq!(files.size(key).await.unwrap(), Some(100));

    // A download URL is for reading only; a path outside the folder is no file.
    let get = files
        .download_url(key, "proof.png", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(put(&get, "image/png"), "403");
    let out = dir.join("got.png");
    assert_eq!(curl_to(&out.display().to_string(), &[&get]), "200");
    assert_eq!(std::fs::read(&out).unwrap(), vec![7u8; 100]);
    let outside = get.replace(
        "/v1/dev/files/uploads/abc/doc-2",
        "/v1/dev/files/uploads/../../etc/passwd",
    );
    assert_ne!(curl(&[&outside]), "200");
    assert!(files
        .upload_url("../x", "image/png", 1, Duration::from_secs(1))
        .await
        .is_err());
    std::fs::remove_dir_all(dir).ok();
}

/// Issue 16 (security probe L-5): the dev routes answer as the API does: a wrong method is a 405
/// in the contract's shape, and a refused file link speaks the asked language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_routes_answer_in_the_contract_shape_and_language() {
    use tower::ServiceExt;
    let (local, dir) = runner().await;
    let send = |method: &str, uri: &str, lang: &str| {
        let router = local.clone().router();
        let req = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header("accept-language", lang)
            .body(axum::body::Body::empty())
            .unwrap();
        async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            (status, json)
        }
    };
    for (method, uri) in [
        ("DELETE", "/v1/dev/clock"),
        ("GET", "/v1/dev/login"),
        ("POST", "/v1/dev/outbox"),
        ("DELETE", "/v1/dev/files/uploads/x"),
    ] {
        let (status, json) = send(method, uri, "en").await;
        assert_eq!(status, 405, "{method} {uri}: {json}");
        assert_eq!(
            json["error"]["code"], "method_not_allowed",
            "{method} {uri}"
        );
        assert!(json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (status, en) = send("GET", "/v1/dev/files/uploads/x?sig=bad", "en").await;
    assert_eq!(status, 403, "{en}");
    let (_, kk) = send("GET", "/v1/dev/files/uploads/x?sig=bad", "kk").await;
    assert_eq!(en["error"]["code"], kk["error"]["code"]);
    assert_ne!(en["error"]["message"], kk["error"]["message"], "{en} {kk}");
    let (_, ru) = send("GET", "/v1/dev/files/uploads/x?sig=bad", "ru").await;
    assert_ne!(en["error"]["message"], ru["error"]["message"]);
    std::fs::remove_dir_all(dir).ok();
}

/// A form upload the policy does not allow is refused and nothing is written: a tampered
/// signature, another key, a file over the signed size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_upload_outside_its_policy_is_refused() {
    use kezek_core::ports::Blobs;
    let (local, dir) = runner().await;
    let files = local.files.as_ref().unwrap();
    let key = "uploads/0123456789abcdef/form-2";
    let form = files
        .upload_form(
            key,
            100,
            "http://127.0.0.1:9/done",
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let file = dir.join("big.pdf");
    std::fs::write(&file, vec![b'%'; 101]).unwrap();
    let tampered = |name: &str, value: &str| {
        let mut f = form.clone();
        for (k, v) in f.fields.iter_mut() {
            if k == name {
                *v = value.to_owned();
            }
        }
        f
    };
    let small = dir.join("small.pdf");
    std::fs::write(&small, b"%PDF-1.4").unwrap();
    for (bad, upload) in [
        (tampered("sig", &"0".repeat(64)), &small),
        (tampered("key", "uploads/0123456789abcdef/other"), &small),
        (tampered("max", "1000"), &small),
        (form.clone(), &file),
    ] {
        let (status, _) = kezek_contract::blobs::curl_form(&bad, upload);
        assert!(status == "403" || status == "400", "{status}");
    }
    assert_eq!(files.size(key).await.unwrap(), None, "nothing written");
    assert_eq!(
        files.size("uploads/0123456789abcdef/other").await.unwrap(),
        None
    );
}
