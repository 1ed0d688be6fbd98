//! The documents' bytes in AWS: S3 ([`Blobs`]). Clients upload and download through presigned
//! URLs (SigV4 query signing): an upload URL signs the content type and the content length, so S3
//! refuses any other type or size; a download URL names the file to save.
//!
//! Four S3 calls are all Kezek needs (presigned PUT and GET, PutObject, HeadObject), so this
//! adapter signs them with AWS's own SigV4 signer (`aws-sigv4`, which every AWS client here
//! already links) and sends them over the same hyper/rustls stack, rather than linking
//! `aws-sdk-s3`: that client added 1.3 MB to each function's package and a checksum crate that
//! cannot be linked position-dependent. `tests/s3.rs` checks the URLs against `aws-sdk-s3`'s
//! presigner, signature for signature.

use crate::https::LazyHttps;
use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningInstructions, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use kezek_core::documents::url_encode;
use kezek_core::ports::{Blobs, StoreError, UploadForm};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long one PutObject or HeadObject may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest presigned URL SigV4 allows (7 days).
/// The type an upload by form is stored with (see `post_form`).
pub const UPLOAD_TYPE: &str = "application/octet-stream";
const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone)]
pub struct S3Blobs {
    inner: Arc<Inner>,
}

struct Inner {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    /// `https://<bucket>.s3.<region>.amazonaws.com`, or the endpoint's origin with the bucket in
    /// the host or (path style) in the path.
    base: String,
    https: LazyHttps,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("s3: {e}"))
}

/// A key as a URL path: each segment percent-encoded, the slashes kept.
fn encode_key(key: &str) -> String {
    key.split('/').map(url_encode).collect::<Vec<_>>().join("/")
}

impl S3Blobs {
    /// The bucket's client from the SDK config (credentials, region, `AWS_ENDPOINT_URL`);
    /// `path_style` addresses the bucket in the path (an endpoint without bucket subdomains, such
    /// as an emulator).
    pub fn from_config(shared: &aws_config::SdkConfig, bucket: &str, path_style: bool) -> S3Blobs {
        let region = shared
            .region()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        let base = match shared.endpoint_url() {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                match endpoint.split_once("://") {
                    Some((scheme, host)) if !path_style => format!("{scheme}://{bucket}.{host}"),
                    _ => format!("{endpoint}/{bucket}"),
                }
            }
            None if path_style => format!("https://s3.{region}.amazonaws.com/{bucket}"),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        S3Blobs {
            inner: Arc::new(Inner {
                credentials: shared.credentials_provider(),
                region,
                base,
                https: LazyHttps::new(),
            }),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{}", self.inner.base, encode_key(key))
    }

    /// SigV4 for S3 over a request (its method, URL, the headers to sign and the payload): the
    /// path taken as it is (S3 neither normalises nor double-encodes it).
    async fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: SignableBody<'_>,
        mut settings: SigningSettings,
        time: SystemTime,
    ) -> Result<SigningInstructions, StoreError> {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = self.identity().await?;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.inner.region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .map_err(err)?
            .into();
        let signable =
            SignableRequest::new(method, url, headers.iter().copied(), body).map_err(err)?;
        Ok(sign(signable, &params).map_err(err)?.into_parts().0)
    }

    async fn identity(
        &self,
    ) -> Result<aws_smithy_runtime_api::client::identity::Identity, StoreError> {
        let provider = self
            .inner
            .credentials
            .as_ref()
            .ok_or_else(|| err("no credentials"))?;
        Ok(provider.provide_credentials().await.map_err(err)?.into())
    }

    /// A presigned URL for `method` on `key` (with `query` added before signing, its values
    /// unencoded), signing `headers`, valid for `expires_in` from `time`.
    pub async fn presign(
        &self,
        method: &str,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        expires_in: Duration,
        time: SystemTime,
    ) -> Result<String, StoreError> {
        let mut url = self.url(key);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&url_encode(k));
            url.push('=');
            url.push_str(&url_encode(v));
        }
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires_in.min(MAX_EXPIRY));
        let instructions = self
            .sign(
                method,
                &url,
                headers,
                SignableBody::UnsignedPayload,
                settings,
                time,
            )
            .await?;
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .body(())
            .map_err(err)?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request.uri().to_string())
    }

    /// One signed call (SigV4 in the headers, the payload's SHA-256 signed): the status, the
    /// response headers and body.
    async fn call(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Bytes), StoreError> {
        let url = self.url(key);
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let instructions = self
            .sign(
                method,
                &url,
                headers,
                SignableBody::Bytes(&body),
                settings,
                SystemTime::now(),
            )
            .await?;
        let mut builder = http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut request = builder.body(Full::new(Bytes::from(body))).map_err(err)?;
        instructions.apply_to_request_http1x(&mut request);
        let client = self.inner.https.get().map_err(err)?;
        let response = tokio::time::timeout(CALL_TIMEOUT, client.request(request))
            .await
            .map_err(|_| err(format!("{method} timed out")))?
            .map_err(err)?;
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(CALL_TIMEOUT, body.collect())
            .await
            .map_err(|_| err(format!("{method} response timed out")))?
            .map_err(err)?
            .to_bytes();
        Ok((parts.status, parts.headers, body))
    }
}

impl S3Blobs {
    /// [`Self::call`], once more after a short pause when S3 did not answer or answered a 5xx
    /// (S3 asks clients to retry those: `InternalError`, `SlowDown`, `ServiceUnavailable`).
    async fn call_retrying(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Bytes), StoreError> {
        match self.call(method, key, headers, body.clone()).await {
            Ok(reply) if !reply.0.is_server_error() => return Ok(reply),
            Ok((status, ..)) => tracing::warn!(method, %status, "S3 asked for a retry"),
            Err(e) => tracing::warn!(method, error = %e, "S3 call failed, retrying once"),
        }
        // 100 to 300 ms, spread by the clock's nanoseconds so that callers do not retry together.
        let spread = u64::from(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
                % 200,
        );
        tokio::time::sleep(Duration::from_millis(100 + spread)).await;
        self.call(method, key, headers, body).await
    }
}

impl S3Blobs {
    /// A browser form's POST to the bucket (S3's POST policy, signed with SigV4 at `time`): the
    /// key, 1 to `max_size` bytes, the redirect and the expiry bound by the policy.
    pub async fn post_form(
        &self,
        key: &str,
        max_size: u64,
        redirect: &str,
        expires_in: Duration,
        time: SystemTime,
    ) -> Result<UploadForm, StoreError> {
        use base64::Engine;
        let provider = self
            .inner
            .credentials
            .as_ref()
            .ok_or_else(|| err("no credentials"))?;
        let credentials = provider.provide_credentials().await.map_err(err)?;
        let at: chrono::DateTime<chrono::Utc> = time.into();
        let date = at.format("%Y%m%d").to_string();
        let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{date}/{}/s3/aws4_request",
            credentials.access_key_id(),
            self.inner.region
        );
        let expiration = (at
            + chrono::Duration::from_std(expires_in.min(MAX_EXPIRY)).map_err(err)?)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
        let mut fields: Vec<(String, String)> = vec![
            ("key".into(), key.into()),
            // The type the object is stored with, bound by the policy: a form cannot know the
            // file's real type without a script, and a field it does not name is refused, so an
            // upload can never be stored as, say, `text/html`. The real type is read from the
            // file's first bytes when the browser comes back (`core::uploads`).
            ("Content-Type".into(), UPLOAD_TYPE.into()),
            ("success_action_redirect".into(), redirect.into()),
            ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
            ("x-amz-credential".into(), credential),
            ("x-amz-date".into(), amz_date),
        ];
        if let Some(token) = credentials.session_token() {
            fields.push(("x-amz-security-token".into(), token.into()));
        }
        let mut conditions: Vec<serde_json::Value> = fields
            .iter()
            .map(|(k, v)| serde_json::json!({ k: v }))
            .collect();
        conditions.push(serde_json::json!(["content-length-range", 1, max_size]));
        let policy = serde_json::json!({ "expiration": expiration, "conditions": conditions });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signing_key = v4::generate_signing_key(
            credentials.secret_access_key(),
            time,
            &self.inner.region,
            "s3",
        );
        let signature = v4::calculate_signature(signing_key, policy.as_bytes());
        fields.push(("policy".into(), policy));
        fields.push(("x-amz-signature".into(), signature));
        Ok(UploadForm {
            action: format!("{}/", self.inner.base),
            fields,
        })
    }
}

/// S3's error code in an error response (`<Code>…</Code>`), or the status.
fn failure(method: &str, status: http::StatusCode, body: &[u8]) -> StoreError {
    let text = String::from_utf8_lossy(body);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code);
    err(format!("{method}: {status} {code}"))
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let length = size.to_string();
        self.presign(
            "PUT",
            key,
            &[("x-id", "PutObject")],
            &[("content-length", &length), ("content-type", content_type)],
            expires_in,
            SystemTime::now(),
        )
        .await
    }

    async fn download_url(
        &self,
        key: &str,
        filename: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let disposition = kezek_core::documents::attachment(filename);
        self.presign(
            "GET",
            key,
            &[
                ("response-content-disposition", &disposition),
                ("x-id", "GetObject"),
            ],
            &[],
            expires_in,
            SystemTime::now(),
        )
        .await
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        let length = bytes.len().to_string();
        let (status, _, body) = self
            .call_retrying(
                "PUT",
                key,
                &[("content-length", &length), ("content-type", content_type)],
                bytes,
            )
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(failure("PutObject", status, &body))
        }
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let (status, headers, body) = self.call_retrying("HEAD", key, &[], Vec::new()).await?;
        if status == http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(failure("HeadObject", status, &body));
        }
        Ok(Some(
            headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        ))
    }

    async fn upload_form(
        &self,
        key: &str,
        max_size: u64,
        redirect: &str,
        expires_in: Duration,
    ) -> Result<UploadForm, StoreError> {
        self.post_form(key, max_size, redirect, expires_in, SystemTime::now())
            .await
    }

    async fn first_bytes(&self, key: &str, n: usize) -> Result<Option<Vec<u8>>, StoreError> {
        let range = format!("bytes=0-{}", n.max(1) - 1);
        let (status, _, body) = self
            .call_retrying("GET", key, &[("range", &range)], Vec::new())
            .await?;
        match status {
            http::StatusCode::NOT_FOUND => Ok(None),
            // An empty object has no byte 0.
            http::StatusCode::RANGE_NOT_SATISFIABLE => Ok(Some(Vec::new())),
            s if s.is_success() => Ok(Some(body.iter().take(n).copied().collect())),
            s => Err(failure("GetObject", s, &body)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let (status, _, body) = self.call_retrying("DELETE", key, &[], Vec::new()).await?;
        if status.is_success() || status == http::StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(failure("DeleteObject", status, &body))
        }
    }
}
