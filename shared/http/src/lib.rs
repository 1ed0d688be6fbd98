//! Kezek's HTTP layer on `lambda_http`'s request and response types, so the Lambdas and the local
//! runner share it: routing, body limits, JSON parsing with clear errors in kk/ru/en per
//! `Accept-Language`, sessions and roles. Every route of `api.md` is here; each handler parses,
//! calls one use case and maps the result.

pub mod eds;
pub mod session;

use kezek_core::domain::{Language, SignedWith};
use kezek_core::identity::{Identity, Login};
use kezek_core::lifecycle::Sweep;
use kezek_core::usecases::*;
use kezek_core::{Failure, Principal, Service};
use lambda_http::http::{header, HeaderMap, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

pub use eds::NcaVerifier;
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

/// A handler's result: a status and a JSON body.
type Reply = Result<(StatusCode, serde_json::Value), Failure>;

fn ok<T: Serialize>(status: StatusCode, v: T) -> Reply {
    serde_json::to_value(v)
        .map(|j| (status, j))
        .map_err(|e| Failure::Unavailable(format!("serialize: {e}")))
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
    /// with `verifier`, and signs sessions (and keys the codes' hashes) with `key`.
    pub fn build(
        service: Service,
        credentials: std::sync::Arc<dyn kezek_core::ports::Credentials>,
        key: &[u8],
        verifier: std::sync::Arc<dyn kezek_core::ports::SignatureVerifier>,
    ) -> Result<Api, String> {
        let identity = Identity::new(
            credentials,
            service.outbox.clone(),
            service.registers.clone(),
            std::sync::Arc::new(kezek_core::ports::SystemClock),
            verifier,
            key,
        );
        Ok(Api::new(service, identity, Sessions::new(key)?))
    }

    /// A session for a login; an EDS login's certificate name fills an empty profile name.
    async fn session(&self, login: Login) -> Reply {
        let who = login.principal;
        let email_required = self.service.after_login(&who, login.name).await?;
        let token = self.sessions.issue(&who, chrono::Utc::now())?;
        ok(
            StatusCode::OK,
            LoginReply {
                token: token.token,
                expires_at: token.expires_at,
                role: who.role,
                email_required,
            },
        )
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

    /// Handles one request; never panics on input, every failure is the contract's error shape.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let lang = language(req.headers());
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let result = self.route(&req, lang).await;
        match result {
            Ok((status, body)) => json_response(status, &body),
            Err(f) => {
                if f.http_status() >= 500 {
                    tracing::error!(%method, %path, error = %f, "request failed");
                } else {
                    tracing::info!(%method, %path, code = f.code(), "request refused");
                }
                error_response(&f, lang, &self.service)
            }
        }
    }

    async fn route(&self, req: &Request, lang: Language) -> Reply {
        let segs = path_segments(req.uri().path());
        let m = req.method();
        let s = &self.service;
        use StatusCode as C;
        match (segs.as_slice(), m) {
            // ----- public
            (["v1", "health"], &Method::GET) => {
                s.health().await?;
                ok(C::OK, serde_json::json!({"status": "ok"}))
            }
            (["v1", "districts"], &Method::GET) => ok(C::OK, s.districts()),
            (["v1", "kindergartens"], &Method::GET) => ok(C::OK, s.catalogue(query(req)?).await?),
            // ----- identity
            (["v1", "auth", "otp"], &Method::POST) => {
                let sent = self.identity.request_code(body(req)?, lang).await?;
                ok(C::ACCEPTED, sent)
            }
            (["v1", "auth", "otp", "verify"], &Method::POST) => {
                let login = self.identity.login_with_code(body(req)?).await?;
                self.session(login).await
            }
            (["v1", "auth", "eds", "challenge"], &Method::POST) => {
                optional_body(req)?;
                ok(C::OK, self.identity.challenge().await?)
            }
            (["v1", "auth", "eds", "verify"], &Method::POST) => {
                let login = self.identity.login_with_eds(body(req)?).await?;
                self.session(login).await
            }
            // ----- profile and linking
            (["v1", "me"], &Method::GET) => ok(C::OK, s.profile(&self.who(req)?).await?),
            (["v1", "me"], &Method::PUT) => {
                let who = self.who(req)?;
                ok(C::OK, s.update_profile(&who, body(req)?).await?)
            }
            (["v1", "me", "children"], &Method::POST) => {
                let who = self.who(req)?;
                ok(C::OK, s.link_child(&who, body(req)?, lang).await?)
            }
            // ----- applications
            (["v1", "applications"], &Method::POST) => {
                let who = self.who(req)?;
                let input: SubmitInput = body(req)?;
                let raw: serde_json::Value = body(req)?;
                let signed = self.sign_off(&who, Some(&raw)).await?;
                ok(
                    C::CREATED,
                    s.submit_signed(&who, input, signed, lang).await?,
                )
            }
            (["v1", "applications"], &Method::GET) => {
                ok(C::OK, s.journal(&self.who(req)?, lang).await?)
            }
            (["v1", "applications", id], &Method::GET) => {
                ok(C::OK, s.application(&self.who(req)?, id, lang).await?)
            }
            (["v1", "applications", id, "documents"], &Method::GET) => {
                ok(C::OK, s.documents(&self.who(req)?, id).await?)
            }
            (["v1", "documents"], &Method::POST) => {
                let who = self.who(req)?;
                ok(C::CREATED, s.request_upload(&who, body(req)?).await?)
            }
            (["v1", "applications", id, "history"], &Method::GET) => {
                ok(C::OK, s.history(&self.who(req)?, id, lang).await?)
            }
            (["v1", "applications", id, rest @ ..], &Method::POST) => {
                let action = match rest {
                    ["reconfirm"] => ParentAction::Reconfirm,
                    ["voucher", "confirm"] => ParentAction::ConfirmVoucher,
                    ["voucher", "extend"] => ParentAction::Extend,
                    ["voucher", "refuse"] => ParentAction::Refuse,
                    ["restore"] => ParentAction::Restore,
                    ["withdraw"] => ParentAction::Withdraw,
                    ["kindergarten"] => {
                        let who = self.who(req)?;
                        let input: ChooseInput = body(req)?;
                        let raw: serde_json::Value = body(req)?;
                        let signed = self.sign_off(&who, Some(&raw)).await?;
                        let v = s
                            .act_signed(&who, id, ParentAction::Choose(input), signed, lang)
                            .await?;
                        return ok(C::OK, v);
                    }
                    // A path served with other methods (`/v1/applications/{id}`, `…/history`).
                    _ if known_path(&segs) => return Err(Failure::MethodNotAllowed),
                    _ => return Err(route_not_found()),
                };
                let who = self.who(req)?;
                let raw = optional_body(req)?;
                let signed = if kezek_core::access::needs_signature(action.operation()) {
                    self.sign_off(&who, raw.as_ref()).await?
                } else {
                    SignedWith::Session
                };
                ok(C::OK, s.act_signed(&who, id, action, signed, lang).await?)
            }
            // ----- operators
            (["v1", "admin", "kindergartens"], &Method::POST) => {
                let who = self.who(req)?;
                ok(C::CREATED, s.create_kindergarten(&who, body(req)?).await?)
            }
            (["v1", "admin", "kindergartens", id], &Method::PUT) => {
                let who = self.who(req)?;
                ok(C::OK, s.update_kindergarten(&who, id, body(req)?).await?)
            }
            (["v1", "admin", "kindergartens", id, "places"], &Method::PUT) => {
                let who = self.who(req)?;
                let places: BTreeMap<String, i64> = body(req)?;
                ok(C::OK, s.set_places(&who, id, places).await?)
            }
            (["v1", "admin", "voucher-runs"], &Method::POST) => {
                let who = self.who(req)?;
                ok(C::OK, s.voucher_run(Some(&who), body(req)?).await?)
            }
            (["v1", "admin", "queue"], &Method::GET) => {
                let who = self.who(req)?;
                let q: BTreeMap<String, String> = query(req)?;
                let district = q
                    .get("district")
                    .ok_or(Failure::bad("missing_field", "district"))?;
                let age = q
                    .get("age_group")
                    .ok_or(Failure::bad("missing_field", "age_group"))?;
                let limit = match q.get("limit") {
                    None => DEFAULT_QUEUE_VIEW,
                    Some(l) => l
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_QUEUE_VIEW).contains(n))
                        .ok_or(Failure::bad("invalid_field", "limit"))?,
                };
                ok(C::OK, s.admin_queue(&who, district, age, limit).await?)
            }
            (["v1", "admin", "stats"], &Method::GET) => {
                let who = self.who(req)?;
                let q: BTreeMap<String, String> = query(req)?;
                let district = q
                    .get("district")
                    .ok_or(Failure::bad("missing_field", "district"))?;
                ok(C::OK, s.stats(&who, district).await?)
            }
            (["v1", "admin", "privileges", id, "reject"], &Method::POST) => {
                let who = self.who(req)?;
                ok(C::OK, s.reject_privilege(&who, id, body(req)?, lang).await?)
            }
            (["v1", "admin", "sweeps", kind], &Method::POST) => {
                let who = self.who(req)?;
                kezek_core::access::permit_role(&who, kezek_core::access::Operation::RunSweep)?;
                let sweep = Sweep::parse(kind).ok_or(Failure::NotFound {
                    code: "route_not_found",
                })?;
                ok(C::OK, s.sweep_as(&who, sweep).await?)
            }
            (segs, _) if known_path(segs) => Err(Failure::MethodNotAllowed),
            _ => Err(route_not_found()),
        }
    }

    /// The caller's principal from `Authorization: Bearer <token>`.
    pub fn who(&self, req: &Request) -> Result<Principal, Failure> {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Failure::Unauthorized {
                code: "unauthorized",
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(Failure::Unauthorized {
                code: "unauthorized",
            })?;
        self.sessions.verify(token.trim())
    }
}

fn route_not_found() -> Failure {
    Failure::NotFound {
        code: "route_not_found",
    }
}

/// Every route this layer serves, as API Gateway route keys (`METHOD /path/{param}`): the
/// table `infra/openapi.yaml` and the Lambda functions' route sets are checked against.
pub const ROUTES: &[&str] = &[
    "GET /v1/health",
    "GET /v1/districts",
    "GET /v1/kindergartens",
    "POST /v1/auth/otp",
    "POST /v1/auth/otp/verify",
    "POST /v1/auth/eds/challenge",
    "POST /v1/auth/eds/verify",
    "GET /v1/me",
    "PUT /v1/me",
    "POST /v1/me/children",
    "POST /v1/applications",
    "GET /v1/applications",
    "GET /v1/applications/{id}",
    "GET /v1/applications/{id}/history",
    "GET /v1/applications/{id}/documents",
    "POST /v1/applications/{id}/reconfirm",
    "POST /v1/applications/{id}/voucher/confirm",
    "POST /v1/applications/{id}/voucher/extend",
    "POST /v1/applications/{id}/voucher/refuse",
    "POST /v1/applications/{id}/kindergarten",
    "POST /v1/applications/{id}/restore",
    "POST /v1/applications/{id}/withdraw",
    "POST /v1/documents",
    "POST /v1/admin/kindergartens",
    "PUT /v1/admin/kindergartens/{id}",
    "PUT /v1/admin/kindergartens/{id}/places",
    "POST /v1/admin/voucher-runs",
    "GET /v1/admin/queue",
    "GET /v1/admin/stats",
    "POST /v1/admin/privileges/{application_id}/reject",
    "POST /v1/admin/sweeps/expiry",
    "POST /v1/admin/sweeps/reconfirmation",
];

/// Whether a route template (`/v1/applications/{id}`) matches path segments.
fn template_matches(template: &str, segs: &[&str]) -> bool {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    parts.len() == segs.len()
        && parts
            .iter()
            .zip(segs)
            .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
}

fn path_segments(path: &str) -> Vec<&str> {
    path.trim_end_matches('/').split('/').skip(1).collect()
}

/// The route key (`POST /v1/applications/{id}/restore`) of a method and path, if it is a route.
pub fn route_key(method: &Method, path: &str) -> Option<&'static str> {
    let segs = path_segments(path);
    ROUTES.iter().copied().find(|r| {
        r.split_once(' ')
            .is_some_and(|(m, t)| m == method.as_str() && template_matches(t, &segs))
    })
}

/// Whether a path is a route of the API with some method (for 405 rather than 404).
fn known_path(segs: &[&str]) -> bool {
    ROUTES.iter().any(|r| {
        r.split_once(' ')
            .is_some_and(|(_, t)| template_matches(t, segs))
    })
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

fn body_bytes(req: &Request) -> Result<&[u8], Failure> {
    let b: &[u8] = req.body().as_ref();
    if b.len() > MAX_BODY {
        return Err(Failure::TooLarge { max: MAX_BODY });
    }
    Ok(b)
}

/// Parses a JSON body into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::BadInput {
            code: "bad_json",
            field: None,
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
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

fn body<T: DeserializeOwned>(req: &Request) -> Result<T, Failure> {
    parse_json(body_bytes(req)?)
}

/// Actions without a body accept none, `{}` or a JSON object (e.g. with a `signature`).
fn optional_body(req: &Request) -> Result<Option<serde_json::Value>, Failure> {
    let b = body_bytes(req)?;
    if b.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse_json::<serde_json::Map<String, serde_json::Value>>(b)
        .map(|m| Some(serde_json::Value::Object(m)))
}

fn query<T: DeserializeOwned>(req: &Request) -> Result<T, Failure> {
    let q = req.uri().query().unwrap_or("");
    serde_urlencoded::from_str(q).map_err(|_| Failure::BadInput {
        code: "invalid_field",
        field: Some("query".into()),
    })
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut resp = Response::new(Body::Text(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// The contract's error body in the asked language.
pub fn error_response(f: &Failure, lang: Language, service: &Service) -> Response<Body> {
    let texts = service.texts();
    let status_label;
    let max = MAX_BODY.to_string();
    let mut vars: Vec<(&str, &str)> = vec![("max", max.as_str())];
    if let Failure::Conflict {
        status: Some(st), ..
    } = f
    {
        status_label = texts.status(*st, lang);
        vars.push(("status", status_label.as_str()));
    }
    let field = match f {
        Failure::BadInput { field, .. } => field.clone(),
        _ => None,
    };
    if let Some(fl) = &field {
        vars.push(("field", fl.as_str()));
    }
    let message = texts.error(f.code(), lang, &vars);
    let mut err = serde_json::json!({
        "code": f.code(),
        "message": message,
    });
    if let Some(fl) = field {
        err["field"] = serde_json::Value::String(fl);
    }
    if let Failure::Conflict {
        status: Some(st), ..
    } = f
    {
        err["status"] = serde_json::Value::String(st.as_str().to_owned());
    }
    let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &serde_json::json!({ "error": err }))
}
