//! The parents' portal: HTML pages rendered on the server over the same use cases, the same
//! access policy and the same sessions as the JSON API ([`kezek_http::Api`]). Every form works
//! without JavaScript (post, redirect, get); the session is an `HttpOnly; SameSite=Strict`
//! cookie (`Secure` where the scheme is https); every form carries a CSRF token bound to the
//! browser's own CSRF cookie; every page is sent with a Content-Security-Policy that allows no
//! inline script or style and no other host.
//!
//! Pages (issue 17, first part): the home page (district choice, the service, instructions,
//! support phone, language switch), the login by one-time code (IIN and phone, then the code),
//! the journal of applications and an application's information. The local runner serves them
//! at `/`.

mod apply;
mod choose;
mod desk;
mod desk_catalogue;
mod desk_numbers;
mod desk_places;
mod desk_privileges;
mod desk_runs;
mod desk_words;
mod documents;
mod eds_login;
mod login;
mod pages;
mod parent;
mod profile;
mod proof;
mod queue_check;
mod queue_moves;
mod visit;
mod wait;
pub mod words;

pub(crate) use visit::{random_hex16, to_login, Application, Visit};

use apply::*;
use choose::*;
use eds_login::*;
use login::*;
pub use parent::ACTIONS;
use parent::*;
use profile::*;
use proof::*;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use kezek_core::domain::Language;
use kezek_core::identity::{CodeLogin, CodeRequest};
use kezek_core::inputs::ParentAction;
use kezek_core::{Failure, Principal};
use kezek_http::Api;
use serde::Deserialize;
use sha2::Sha256;
use std::sync::Arc;

/// The session cookie: the same signed token the API takes as a bearer token.
pub const SESSION_COOKIE: &str = "kezek_session";
/// The browser's CSRF cookie: random; each form's token is its MAC.
pub const CSRF_COOKIE: &str = "kezek_csrf";
/// The chosen language (`kk`, `ru`, `en`), kept for a year.
pub const LANG_COOKIE: &str = "kezek_lang";
/// The login in progress between its two steps: the IIN and the phone the code went to.
pub const LOGIN_COOKIE: &str = "kezek_login";
/// The application form's answers between its steps (the parent's own; each is checked again
/// when the application is submitted).
pub const APPLY_COOKIE: &str = "kezek_apply";
/// Where a visitor sent to the login was going: the page the login leads back to.
pub const NEXT_COOKIE: &str = "kezek_next";

/// What any response of the portal's routes gets where a page has not set its own: no script at all.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../assets/kezek.css");
const EDS_JS: &str = include_str!("../assets/eds.js");

/// The portal over an API's use cases.
#[derive(Clone)]
pub struct Web {
    api: Api,
    /// Keys the CSRF tokens (a key of the portal's own).
    csrf_key: Arc<[u8]>,
    /// Seals the cookies that carry personal data between pages (derived from the CSRF key
    /// with a label of its own).
    seal_key: cookie::Key,
    /// Whether cookies are `Secure` (the site is served over https).
    secure: bool,
    /// The support phone shown on every page (the deployer's).
    support_phone: String,
    /// NCALayer's local WebSocket, which the pages' EDS signing talks to.
    ncalayer: String,
    /// The pages' Content-Security-Policy: scripts of this site only, connections to NCALayer only.
    csp: HeaderValue,
    /// The stack's CloudWatch dashboard, linked from the operators' numbers.
    dashboard: Option<String>,
}

/// The key of the portal's form tokens, derived from a secret of another purpose (the code key)
/// with a label of its own, so neither key can stand for the other.
pub fn csrf_key_from(secret: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(b"kezek-web-csrf-key-v1");
    mac.finalize().into_bytes().to_vec()
}

/// The key that seals cookies: 64 bytes, two MACs of the portal's key under labels of their own.
fn seal_key_from(key: &[u8]) -> cookie::Key {
    let mut bytes = Vec::with_capacity(64);
    for label in [
        &b"kezek-web-seal-key-v1/1"[..],
        &b"kezek-web-seal-key-v1/2"[..],
    ] {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(label);
        bytes.extend_from_slice(&mac.finalize().into_bytes());
    }
    cookie::Key::from(&bytes)
}

/// Where NCALayer listens on the parent's computer.
pub const NCALAYER: &str = "wss://127.0.0.1:13579";

/// The pages' policy: no inline script or style, scripts and styles of this site only, no
/// connection but to NCALayer, no framing, forms only to this site.
fn csp_for(ncalayer: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'none'; script-src 'self'; connect-src {ncalayer}; style-src 'self'; \
         img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(CSP))
}

impl Web {
    pub fn new(api: Api, csrf_key: &[u8], secure: bool, support_phone: &str) -> Web {
        Web {
            api,
            csrf_key: Arc::from(csrf_key),
            seal_key: seal_key_from(csrf_key),
            secure,
            support_phone: support_phone.to_owned(),
            ncalayer: NCALAYER.to_owned(),
            csp: csp_for(NCALAYER),
            dashboard: None,
        }
    }

    /// The operations dashboard the operators' numbers link to: an `https://` address.
    pub fn with_dashboard(mut self, url: &str) -> Result<Web, String> {
        let clean = url.len() <= 500
            && url.starts_with("https://")
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"');
        if !clean {
            return Err(format!(
                "DASHBOARD_URL must be an https:// address, not {url:?}"
            ));
        }
        self.dashboard = Some(url.to_owned());
        Ok(self)
    }

    /// The pages' policy, with one more origin a form may post to (storage, for an upload).
    fn csp_with_form_target(&self, origin: &str) -> String {
        let policy = self.csp.to_str().unwrap_or(CSP).to_owned();
        let clean = origin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/.-[]".contains(&b));
        if clean {
            policy.replace(
                "form-action 'self'",
                &format!("form-action 'self' {origin}"),
            )
        } else {
            policy
        }
    }

    /// Another address for NCALayer (a `ws://` or `wss://` URL of this computer), e.g. a
    /// stand-in that signs with a test key. Anything else is refused and the default kept.
    pub fn with_ncalayer(mut self, url: &str) -> Result<Web, String> {
        let local = [
            "wss://127.0.0.1:",
            "ws://127.0.0.1:",
            "wss://localhost:",
            "ws://localhost:",
        ];
        let port = local.iter().find_map(|p| url.strip_prefix(p));
        match port {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                self.ncalayer = url.to_owned();
                self.csp = csp_for(url);
                Ok(self)
            }
            _ => Err(format!(
                "NCALayer's address must be ws(s)://127.0.0.1:PORT, not {url:?}"
            )),
        }
    }

    /// The pages' router (paths outside `/v1`); any other path is the portal's 404 page.
    pub fn router(&self) -> Router {
        self.routes()
            .fallback(not_found)
            .with_state(self.clone())
            .layer(axum::middleware::map_response(portal_headers))
    }

    /// The pages in front of `api` (the JSON API's router): a path under `/v1` goes to the API
    /// (with its own 404), any other unknown path is the portal's 404 page. The local runner
    /// serves this at `/`.
    pub fn router_over(&self, api: Router) -> Router {
        let web = self.clone();
        let routes = self
            .routes()
            .with_state(self.clone())
            .layer(axum::middleware::map_response(portal_headers));
        routes.fallback(move |req: axum::extract::Request| {
            let web = web.clone();
            let api = api.clone();
            async move {
                let path = req.uri().path();
                if path == "/v1" || path.starts_with("/v1/") {
                    tower::ServiceExt::oneshot(api, req)
                        .await
                        .unwrap_or_else(|e| match e {})
                } else {
                    let visit = Visit::of(&web, req.headers());
                    error_page(&web, &visit, StatusCode::NOT_FOUND)
                }
            }
        })
    }

    fn routes(&self) -> Router<Web> {
        Router::new()
            .route("/", get(home))
            .route("/assets/kezek.css", get(css))
            .route("/assets/eds.js", get(eds_js))
            .route("/language/{lang}", get(language_switch))
            .route("/login", get(login_page).post(login_post))
            .route("/admin", get(desk::desk))
            .route("/admin/queue", get(desk::queue))
            .route("/admin/numbers", get(desk_numbers::numbers))
            .route("/admin/privileges", get(desk_privileges::claims))
            .route("/admin/privileges/{id}", get(desk_privileges::claim))
            .route(
                "/admin/privileges/{id}/verify",
                axum::routing::post(desk_privileges::verify),
            )
            .route(
                "/admin/privileges/{id}/reject",
                axum::routing::post(desk_privileges::reject),
            )
            .route(
                "/admin/runs",
                get(desk_runs::runs_page).post(desk_runs::start_run),
            )
            .route("/admin/kindergartens", get(desk_catalogue::list))
            .route(
                "/admin/kindergartens/new",
                get(desk_catalogue::new_page).post(desk_catalogue::new_post),
            )
            .route(
                "/admin/kindergartens/{id}",
                get(desk_catalogue::edit_page).post(desk_catalogue::edit_post),
            )
            .route(
                "/admin/kindergartens/{id}/places",
                get(desk_places::places_page).post(desk_places::places_post),
            )
            .route("/login/code", get(code_page).post(code_post))
            .route("/login/eds", get(eds_page).post(eds_post))
            .route("/logout", axum::routing::post(logout))
            .route("/journal", get(journal))
            .route("/queue", get(queue_check::check))
            .route("/profile/email", get(email_page).post(email_post))
            .route("/profile", get(profile_page).post(profile_post))
            .route("/profile/children", get(link_page).post(link_post))
            .route("/apply", get(apply_page).post(apply_post))
            .route("/apply/child", get(child_page).post(child_post))
            .route("/apply/sign", get(sign_page).post(sign_post))
            .route("/apply/proof", get(proof_page))
            .route("/apply/proof/done", get(proof_done))
            .route("/applications/{id}", get(application))
            .route(
                "/applications/{id}/choose",
                get(choose_page).post(choose_post),
            )
            .route(
                "/applications/{id}/choose/sign",
                get(choose_sign_page).post(choose_sign_post),
            )
            .route(
                "/applications/{id}/{action}",
                axum::routing::post(application_action),
            )
    }

    /// A form's token: the MAC of the browser's CSRF cookie and its session, so a token is
    /// worth nothing in another browser or after the login or logout that changed the session.
    fn csrf_token(&self, visit: &Visit) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key).expect("HMAC takes any key");
        mac.update(b"kezek-csrf\0");
        mac.update(visit.csrf_cookie.as_bytes());
        mac.update(b"\0");
        mac.update(visit.session.as_deref().unwrap_or_default().as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// A cookie whose value the browser can neither read nor change (AES-256-GCM; its name is
    /// bound in, so one sealed cookie cannot stand for another).
    fn sealed_cookie(
        &self,
        name: &'static str,
        value: String,
        max_age_secs: i64,
    ) -> Cookie<'static> {
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.seal_key)
            .add(self.cookie(name, value, max_age_secs));
        jar.get(name)
            .cloned()
            .unwrap_or_else(|| self.cookie(name, String::new(), 0))
    }

    /// The value of a sealed cookie, or `None` when it was changed, forged or sealed with
    /// another key.
    fn unseal(&self, c: &Cookie<'_>) -> Option<String> {
        let jar = cookie::CookieJar::new();
        jar.private(&self.seal_key)
            .decrypt(c.clone().into_owned())
            .map(|c| c.value().to_owned())
    }

    fn cookie<'a>(&self, name: &'a str, value: String, max_age_secs: i64) -> Cookie<'a> {
        let mut c = Cookie::new(name, value);
        c.set_http_only(true);
        c.set_same_site(SameSite::Strict);
        c.set_secure(self.secure);
        c.set_path("/");
        c.set_max_age(cookie::time::Duration::seconds(max_age_secs));
        c
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A page: HTML with the portal's headers, and the CSRF cookie when the visit had none.
fn page(web: &Web, visit: &Visit, status: StatusCode, html: maud::Markup) -> Response {
    let mut r = (status, html.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, web.csp.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if visit.new_csrf {
        add_cookie(
            &mut r,
            web.cookie(CSRF_COOKIE, visit.csrf_cookie.clone(), 60 * 60 * 24),
        );
    }
    r
}

/// The portal's headers on every response of its routes (rejections by an extractor too), where
/// a page has not set them.
async fn portal_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    r
}

/// Removes a cookie from the browser.
fn remove_cookie(web: &Web, r: &mut Response, name: &'static str) {
    let mut gone = web.cookie(name, String::new(), 0);
    gone.make_removal();
    add_cookie(r, gone);
}

fn add_cookie(r: &mut Response, c: Cookie<'_>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A form's fields, with its CSRF token checked against the browser's cookie: a form without
/// it, or with another browser's, is refused (403) before anything is read.
fn form<T: for<'de> Deserialize<'de>>(
    web: &Web,
    visit: &Visit,
    body: &Bytes,
) -> Result<T, Box<Response>> {
    #[derive(Deserialize)]
    struct Token {
        csrf: Option<String>,
    }
    let forbidden = || Box::new(error_page(web, visit, StatusCode::FORBIDDEN));
    let token: Token = serde_urlencoded::from_bytes(body).map_err(|_| forbidden())?;
    let expected = web.csrf_token(visit);
    match token.csrf {
        Some(t) if !visit.new_csrf && constant_eq(t.as_bytes(), expected.as_bytes()) => {}
        _ => return Err(forbidden()),
    }
    serde_urlencoded::from_bytes(body)
        .map_err(|_| Box::new(error_page(web, visit, StatusCode::BAD_REQUEST)))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The visitor's session, checked as the API checks a bearer token.
fn principal(web: &Web, visit: &Visit) -> Option<Principal> {
    let token = visit.session.as_deref()?;
    web.api.sessions.verify(token).ok()
}

fn error_page(web: &Web, visit: &Visit, status: StatusCode) -> Response {
    let w = words::of(visit.lang);
    let title = match status {
        StatusCode::NOT_FOUND => w.not_found,
        StatusCode::FORBIDDEN => w.forbidden,
        StatusCode::UNAUTHORIZED => w.session_over,
        s if s.is_client_error() => w.try_again,
        _ => w.unavailable,
    };
    let html = pages::message(&pages::Frame::new(web, visit, "/"), title);
    page(web, visit, status, html)
}

async fn not_found(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    error_page(&web, &visit, StatusCode::NOT_FOUND)
}

async fn css() -> Response {
    let mut r = CSS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn eds_js() -> Response {
    let mut r = EDS_JS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn home(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    let frame = pages::Frame::new(&web, &visit, "/");
    let html = pages::home(&frame, &web.api.service.reference().districts);
    page(&web, &visit, StatusCode::OK, html)
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Remembers the chosen language and goes back to the page it was chosen on.
async fn language_switch(
    State(web): State<Web>,
    Path(lang): Path<String>,
    Query(next): Query<Next>,
) -> Response {
    let Some(lang) = Language::parse(&lang) else {
        return see_other("/");
    };
    // Only a path of this site: never another host.
    let to = next
        .next
        .filter(|n| safe_next(n))
        .unwrap_or_else(|| "/".into());
    let mut r = see_other(&to);
    add_cookie(
        &mut r,
        web.cookie(LANG_COOKIE, lang.code().to_owned(), 60 * 60 * 24 * 365),
    );
    r
}

/// A path of this site to go back to: one `/`, then only visible ASCII (a tab, a line end or a
/// space is dropped by browsers, which would make `/<TAB>/evil` another host), no backslash.
fn safe_next(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// What a form's page shows again after a refusal: the answers given and the errors by field.
#[derive(Default)]
pub(crate) struct Answers {
    pub values: Vec<(&'static str, String)>,
    pub errors: Vec<(&'static str, String)>,
}

impl Answers {
    pub(crate) fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(crate) fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// A refusal's message in the page's language, on the field it names (or `fallback`).
fn field_error(
    web: &Web,
    lang: Language,
    f: &Failure,
    fields: &[&'static str],
    fallback: &'static str,
) -> (&'static str, String) {
    let field = match f {
        Failure::BadInput {
            field: Some(name), ..
        } => fields
            .iter()
            .find(|x| **x == name.as_str())
            .copied()
            .unwrap_or(fallback),
        _ => fallback,
    };
    let texts = web.api.service.texts();
    let message = texts.error(f.code(), lang, &[("field", label_of(lang, field))]);
    (field, message)
}

/// A field's label in the page's language (what an error message names).
pub(crate) fn label_of(lang: Language, field: &str) -> &'static str {
    let w = words::of(lang);
    match field {
        "iin" => w.iin,
        "phone" => w.phone,
        "code" => w.code,
        "email" => w.email,
        "district" => w.district,
        "child_iin" => w.child,
        "category" => w.category,
        "language" => w.language,
        "file" => w.file,
        "eds" => w.login_by_eds,
        _ => w.actions,
    }
}

fn failure_page(web: &Web, visit: &Visit, f: &Failure) -> Response {
    let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    if let Failure::Unavailable(reason) = f {
        tracing::error!(error = %reason, "page not rendered");
    }
    error_page(web, visit, status)
}
