//! Kezek's HTTP layer on `lambda_http`'s request and response types, so the Lambdas and the local
//! runner share it: routing, body limits, JSON parsing with clear errors in kk/ru/en per
//! `Accept-Language`, sessions and roles. Every route of `api.md` is here; each handler parses,
//! calls one use case and maps the result.

pub mod call;
pub mod eds;
pub mod error;
pub mod router;
pub mod routes;
pub mod session;

use kezek_core::domain::{Language, SignedWith};
use kezek_core::identity::{Identity, Login};
use kezek_core::{Failure, Principal, Service};
use lambda_http::http::{header, HeaderMap, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use routes::Reply;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use call::Call;
pub use eds::{NcaVerifier, Revocation, RevocationSources};
pub use error::HttpError;
pub use routes::{Answer, Route, ROUTES, TABLE};
pub use session::{Sessions, Token};

/// Largest request body accepted (bytes); larger is 413.
pub const MAX_BODY: usize = 64 * 1024;
/// Entries the operator's queue view returns by default (`?limit=` up to [`MAX_QUEUE_VIEW`]).
pub const DEFAULT_QUEUE_VIEW: usize = 100;
/// Most entries the operator's queue view returns.
pub const MAX_QUEUE_VIEW: usize = 1000;

/// The API: the service, login and signatures, and the session keys.
#[derive(Clone)]
pub struct Api {
    pub service: Service,
    pub identity: Identity,
    pub sessions: Sessions,
}

/// The reply to a login: the session, and whether the profile still needs an e-mail (the first
/// login asks for one).
#[derive(Debug, Clone, Serialize)]
pub struct LoginReply {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub role: kezek_core::Role,
    pub email_required: bool,
}

impl Api {
    pub fn new(service: Service, identity: Identity, sessions: Sessions) -> Api {
        Api {
            service,
            identity,
            sessions,
        }
    }

    /// An API whose login keeps its codes and nonces in `credentials` (real time), checks EDS
    /// with `verifier`, checks (and, where people log in, issues) sessions with `sessions`, and
    /// keys the codes' hashes and the EDS nonces with `code_key` (empty where no code is checked).
    pub fn build(
        service: Service,
        credentials: std::sync::Arc<dyn kezek_core::ports::Credentials>,
        sessions: Sessions,
        code_key: &[u8],
        verifier: std::sync::Arc<dyn kezek_core::ports::SignatureVerifier>,
    ) -> Api {
        let identity = Identity::new(
            credentials,
            service.outbox.clone(),
            service.registers.clone(),
            std::sync::Arc::new(kezek_core::ports::SystemClock),
            verifier,
            code_key,
        );
        Api::new(service, identity, sessions)
    }

    /// [`Api::build`] with the code key read from `source` when a request first checks a code.
    pub fn build_with_code_key(
        service: Service,
        credentials: std::sync::Arc<dyn kezek_core::ports::Credentials>,
        sessions: Sessions,
        source: std::sync::Arc<dyn kezek_core::identity::CodeKeySource>,
        verifier: std::sync::Arc<dyn kezek_core::ports::SignatureVerifier>,
    ) -> Api {
        let mut api = Api::build(service, credentials, sessions, &[], verifier);
        api.identity = api.identity.with_code_key(source);
        api
    }

    /// A session for a login; an EDS login's certificate name fills an empty profile name.
    async fn session(&self, login: Login) -> Reply {
        let who = login.principal;
        let email_required = self.service.after_login(&who, login.name).await?;
        let token = self.sessions.issue(&who, chrono::Utc::now())?;
        let reply = LoginReply {
            token: token.token,
            expires_at: token.expires_at,
            role: who.role,
            email_required,
        };
        serde_json::to_value(reply)
            .map(|j| (StatusCode::OK, routes::Answer::Json(j)))
            .map_err(|e| Failure::Unavailable(format!("serialize: {e}")).into())
    }

    /// How a signed action's body (a JSON object, or none) was signed.
    async fn sign_off(
        &self,
        who: &Principal,
        body: Option<&serde_json::Value>,
    ) -> Result<SignedWith, Failure> {
        match body {
            Some(b) => self.identity.sign_off(who, b).await,
            None => Ok(SignedWith::Session),
        }
    }

    /// Handles one request through [`Api::router`]; never panics on input, every failure is the
    /// contract's error shape. For callers that hold `lambda_http`'s types (the tests, the
    /// benchmarks); the Lambdas and the local runner serve the router itself.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let response = tower::ServiceExt::oneshot(self.router(), req)
            .await
            .unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let body = match String::from_utf8(bytes.to_vec()) {
            Ok(t) if t.is_empty() => Body::Empty,
            Ok(t) => Body::Text(t),
            Err(e) => Body::Binary(e.into_bytes()),
        };
        Response::from_parts(parts, body)
    }
}

/// The route key (`POST /v1/applications/{id}/restore`) of a method and path, if it is a route.
pub fn route_key(method: &Method, path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    TABLE
        .iter()
        .zip(ROUTES)
        .find(|(r, _)| {
            let parts: Vec<&str> = r.path.split('/').collect();
            r.method == method.as_str()
                && parts.len() == segs.len()
                && parts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .map(|(_, key)| *key)
}

/// The message language from `Accept-Language` (`kk`, `ru`, `en`; default `ru`), honouring order
/// and q-values.
pub fn language(headers: &HeaderMap) -> Language {
    let Some(v) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Language::Ru;
    };
    let mut best: Option<(f32, Language)> = None;
    for part in v.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = Language::parse(primary) {
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
    }
    best.map_or(Language::Ru, |(_, l)| l)
}

/// Parses a JSON body into `T`, naming the field at fault.
/// The whole body must be one JSON value in UTF-8: text after the value, or bytes that are not
/// UTF-8 anywhere (in an ignored field too), are `bad_json`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    let bad_json = || Failure::BadInput {
        code: "bad_json",
        field: None,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) || std::str::from_utf8(bytes).is_err() {
        return Err(bad_json());
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = parse_value(de)?;
    de.end().map_err(|_| bad_json())?;
    Ok(value)
}

fn parse_value<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, Failure> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => Failure::BadInput {
                code: "bad_json",
                field: None,
            },
            Category::Data => {
                let msg = inner.to_string();
                if let Some(rest) = msg.strip_prefix("missing field `") {
                    let name = rest.split('`').next().unwrap_or("");
                    let field = if path == "." || path.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    Failure::BadInput {
                        code: "missing_field",
                        field: Some(field),
                    }
                } else {
                    Failure::BadInput {
                        code: "invalid_field",
                        field: Some(if path.is_empty() { ".".into() } else { path }),
                    }
                }
            }
        }
    })
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> axum::response::Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut resp = axum::response::Response::new(axum::body::Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// A response of text of another type than JSON (the open data's CSV), with extra headers.
pub fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    headers: &[(&'static str, String)],
) -> axum::response::Response {
    let mut resp = axum::response::Response::new(axum::body::Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    for (name, value) in headers {
        if let Ok(v) = header::HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}

/// The contract's error body in the asked language.
pub fn error_response(
    e: impl Into<HttpError>,
    lang: Language,
    service: &Service,
) -> axum::response::Response {
    let e: HttpError = e.into();
    let texts = service.texts();
    let status_label;
    let max = MAX_BODY.to_string();
    let mut vars: Vec<(&str, &str)> = vec![("max", max.as_str())];
    let (field, status) = match &e {
        HttpError::Core(Failure::BadInput { field, .. }) => (field.clone(), None),
        HttpError::Core(Failure::Conflict {
            status: Some(st), ..
        }) => (None, Some(*st)),
        _ => (None, None),
    };
    if let Some(st) = status {
        status_label = texts.status(st, lang);
        vars.push(("status", status_label.as_str()));
    }
    if let Some(fl) = &field {
        vars.push(("field", fl.as_str()));
    }
    let message = texts.error(e.code(), lang, &vars);
    let mut err = serde_json::json!({
        "code": e.code(),
        "message": message,
    });
    if let Some(fl) = field {
        err["field"] = serde_json::Value::String(fl);
    }
    if let Some(st) = status {
        err["status"] = serde_json::Value::String(st.as_str().to_owned());
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &serde_json::json!({ "error": err }))
}
