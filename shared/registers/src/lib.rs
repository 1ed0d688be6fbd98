//! The HTTP adapter of the [`Registers`] port: the individuals register (birth dates), the mobile
//! citizens database (phone + IIN pairs) and the kinship register, reached through a JSON gateway
//! of the state's integration bus at `base` (`REGISTERS_URL`):
//!
//! | port method | request | answer |
//! |---|---|---|
//! | `person` | `GET {base}/v1/persons/{iin}` | 200 `{"birth_date": "YYYY-MM-DD", "name": "…"}` (`name` optional), 404 unknown |
//! | `mobile_registered` | `POST {base}/v1/mobile-citizens/check` `{"iin", "phone"}` | 200 `{"registered": bool}` |
//! | `kinship` | `POST {base}/v1/kinship/check` `{"parent_iin", "child_iin"}` | 200 `{"confirmed": bool}` |
//!
//! Every request has a timeout; a transport error, a timeout or another status is a
//! [`RegisterError`] (the use cases answer 503 and change nothing). The HTTPS client (rustls,
//! the platform's roots) is built on the first request, not at a Lambda's cold start.

use async_trait::async_trait;
use chrono::NaiveDate;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use kezek_aws::https::LazyHttps;
use kezek_core::iin::Iin;
use kezek_core::ports::{Person, RegisterError, Registers};
use serde::Deserialize;
use std::time::Duration;

/// How long one register request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest answer read from the gateway.
const MAX_ANSWER: usize = 64 * 1024;

/// The registers behind a JSON gateway.
pub struct HttpRegisters {
    base: String,
    bearer: Option<String>,
    timeout: Duration,
    https: LazyHttps,
}

impl HttpRegisters {
    /// A gateway at `base` (`https://…` or `http://…`), with an optional bearer token.
    pub fn new(base: &str, bearer: Option<String>) -> HttpRegisters {
        HttpRegisters {
            base: base.trim_end_matches('/').to_owned(),
            bearer,
            timeout: REQUEST_TIMEOUT,
            https: LazyHttps::new(),
        }
    }

    /// Another timeout per request.
    pub fn with_timeout(mut self, timeout: Duration) -> HttpRegisters {
        self.timeout = timeout;
        self
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Option<T>, RegisterError> {
        let client = self.https.get().map_err(RegisterError)?;
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("accept", "application/json");
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        if let Some(t) = &self.bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let req = req
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| RegisterError(format!("request: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, async {
            let resp = client
                .request(req)
                .await
                .map_err(|e| RegisterError(format!("transport: {e}")))?;
            let status = resp.status();
            let body = http_body_util::Limited::new(resp.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| RegisterError(format!("answer: {e}")))?
                .to_bytes();
            Ok::<_, RegisterError>((status, body))
        })
        .await
        .map_err(|_| RegisterError("timeout".into()))??;
        match answer.0 {
            StatusCode::OK => serde_json::from_slice(&answer.1)
                .map(Some)
                .map_err(|e| RegisterError(format!("answer: {e}"))),
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(RegisterError(format!("status {}", s.as_u16()))),
        }
    }
}

#[derive(Deserialize)]
struct PersonAnswer {
    birth_date: NaiveDate,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Registered {
    registered: bool,
}

#[derive(Deserialize)]
struct Kinship {
    confirmed: bool,
}

#[async_trait]
impl Registers for HttpRegisters {
    async fn person(&self, iin: &Iin) -> Result<Option<Person>, RegisterError> {
        let p: Option<PersonAnswer> = self
            .call(Method::GET, &format!("/v1/persons/{}", iin.as_str()), None)
            .await?;
        Ok(p.map(|p| Person {
            birth_date: p.birth_date,
            name: p.name.filter(|n| !n.trim().is_empty()),
        }))
    }

    async fn mobile_registered(&self, iin: &Iin, phone: &str) -> Result<bool, RegisterError> {
        let body = serde_json::json!({ "iin": iin.as_str(), "phone": phone });
        let r: Option<Registered> = self
            .call(Method::POST, "/v1/mobile-citizens/check", Some(body))
            .await?;
        Ok(r.is_some_and(|r| r.registered))
    }

    async fn kinship(&self, parent: &Iin, child: &Iin) -> Result<bool, RegisterError> {
        let body =
            serde_json::json!({ "parent_iin": parent.as_str(), "child_iin": child.as_str() });
        let k: Option<Kinship> = self
            .call(Method::POST, "/v1/kinship/check", Some(body))
            .await?;
        Ok(k.is_some_and(|k| k.confirmed))
    }
}
