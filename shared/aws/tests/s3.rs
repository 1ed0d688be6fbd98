//! The S3 adapter of the documents' bytes on moto, through the blob-store contract.
mod common;

use kezek_aws::S3Blobs;

async fn blobs() -> S3Blobs {
    let shared = common::sdk_config();
    let bucket = format!("kezek-docs-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(&bucket)
    .send()
    .await
    .expect("bucket");
    S3Blobs::from_config(&shared, &bucket, true)
}

#[tokio::test]
async fn upload_and_download_through_presigned_urls() {
    let blobs = blobs().await;
    let url = kezek_core::ports::Blobs::upload_url(
        &blobs,
        "uploads/x/d",
        "application/pdf",
        10,
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let signed = url
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "S3 checks the signed type and length: {signed}"
    );
    kezek_contract::blobs::presigned_round_trip(&blobs).await;
}

/// A browser form posts straight to the bucket: S3's POST policy binds the key, the size range,
/// the redirect and the expiry, signed with SigV4 (moto stores the file and redirects, but does
/// not enforce a policy: the policy's content is checked here).
#[tokio::test]
async fn a_form_uploads_straight_to_the_bucket() {
    use base64::Engine;
    let blobs = blobs().await;
    kezek_contract::blobs::form_round_trip(&blobs).await;
    let form = blobs
        .post_form(
            "uploads/x/y",
            1000,
            "https://kezek.example.kz/apply/proof/done?id=y",
            std::time::Duration::from_secs(900),
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_782_900_000),
        )
        .await
        .unwrap();
    let field = |k: &str| {
        form.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let policy: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(field("policy"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy["expiration"], "2026-07-01T10:15:00.000Z");
    let conditions = policy["conditions"].as_array().unwrap();
    for wanted in [
        serde_json::json!({"key": "uploads/x/y"}),
        serde_json::json!({"Content-Type": "application/octet-stream"}),
        serde_json::json!({"success_action_redirect": "https://kezek.example.kz/apply/proof/done?id=y"}),
        serde_json::json!(["content-length-range", 1, 1000]),
        serde_json::json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        serde_json::json!({"x-amz-date": "20260701T100000Z"}),
    ] {
        assert!(conditions.contains(&wanted), "{wanted} in {policy}");
    }
    assert!(field("x-amz-credential").ends_with("/20260701/us-east-1/s3/aws4_request"));
    assert_eq!(field("x-amz-signature").len(), 64);
    assert!(form.action.ends_with('/'), "{}", form.action);
}

/// The query of a URL as sorted pairs (decoded), and its path.
fn parts(url: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').expect("a query");
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect();
    pairs.sort();
    (path.to_owned(), pairs)
}

/// The presigned URLs are the ones `aws-sdk-s3`'s presigner makes for the same request and time:
/// the same path, query and signature; virtual-hosted on AWS and path style on an endpoint, with
/// a session token, keys and file names that need encoding.
#[tokio::test]
async fn presigned_urls_match_the_sdk_presigner() {
    use aws_sdk_s3::presigning::PresigningConfig;
    use std::time::{Duration, SystemTime};
    let credentials = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("a-session-token/with+chars=".into()),
        None,
        "test",
    );
    let aws = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials.clone()),
        )
        .build();
    let endpoint = aws
        .to_builder()
        .endpoint_url("http://127.0.0.1:5000")
        .build();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let expires = Duration::from_secs(900);
    let presigning = PresigningConfig::builder()
        .start_time(time)
        .expires_in(expires)
        .build()
        .unwrap();
    for (shared, path_style) in [(&aws, false), (&endpoint, true)] {
        let sdk = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(shared)
                .force_path_style(path_style)
                .build(),
        );
        let ours = S3Blobs::from_config(shared, "kezek-documents", path_style);
        for key in [
            "uploads/ab12/01J9 доклад (1).pdf",
            "issued/app-1/voucher.pdf",
        ] {
            let theirs = sdk
                .put_object()
                .bucket("kezek-documents")
                .key(key)
                .content_type("application/pdf")
                .content_length(12345)
                .presigned(presigning.clone())
                .await
                .unwrap();
            let mine = ours
                .presign(
                    "PUT",
                    key,
                    &[("x-id", "PutObject")],
                    &[
                        ("content-length", "12345"),
                        ("content-type", "application/pdf"),
                    ],
                    expires,
                    time,
                )
                .await
                .unwrap();
            assert_eq!(parts(&mine), parts(theirs.uri()), "PUT {key}");
            let disposition = kezek_core::documents::attachment("Тіркеу «KOK-2026-000123».pdf");
            let theirs = sdk
                .get_object()
                .bucket("kezek-documents")
                .key(key)
                .response_content_disposition(&disposition)
                .presigned(presigning.clone())
                .await
                .unwrap();
            let mine = ours
                .presign(
                    "GET",
                    key,
                    &[
                        ("response-content-disposition", &disposition),
                        ("x-id", "GetObject"),
                    ],
                    &[],
                    expires,
                    time,
                )
                .await
                .unwrap();
            assert_eq!(parts(&mine), parts(theirs.uri()), "GET {key}");
        }
    }
}

/// Issue 16: a 5xx or no answer from S3 is retried once after a short pause; a second failure is
/// the caller's error (two calls in all, never more).
#[tokio::test]
async fn s3_calls_are_retried_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    async fn serve(fail_first: usize) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < fail_first {
                    axum::http::Response::builder()
                        .status(503)
                        .body(axum::body::Body::from(
                            "<Error><Code>SlowDown</Code></Error>",
                        ))
                        .unwrap()
                } else {
                    axum::http::Response::builder()
                        .status(200)
                        .header("content-length", "0")
                        .body(axum::body::Body::empty())
                        .unwrap()
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), hits)
    }
    let config = |endpoint: &str| {
        aws_config::SdkConfig::builder()
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("eu-central-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("a", "b", None, None, "test"),
                ),
            )
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    };
    let (once, hits) = serve(1).await;
    let blobs = S3Blobs::from_config(&config(&once), "kezek-docs", true);
    let put = kezek_core::ports::Blobs::put(&blobs, "a/b", vec![1, 2, 3], "application/pdf").await;
    assert!(put.is_ok(), "{put:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one 503, then the retry");
    let (always, hits) = serve(usize::MAX).await;
    let blobs = S3Blobs::from_config(&config(&always), "kezek-docs", true);
    let size = kezek_core::ports::Blobs::size(&blobs, "a/b").await;
    assert!(size.is_err(), "{size:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "two calls in all");
}
