//! What the portal's tests share: a cookie-keeping browser over the runner's router, the
//! login through pages, and the reading of a page's form token.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use kezek_local::keys::LocalKeys;
use kezek_local::Local;
use std::collections::BTreeMap;
use tower::ServiceExt;

pub const PARENT: &str = "900101300007";
pub const PHONE: &str = "+7 701 123 45 67";
pub const CHILD: &str = "230315500002";

/// A browser: its cookie jar, and the runner it talks to.
pub struct Browser {
    pub app: Router,
    pub jar: BTreeMap<String, String>,
    pub accept_language: &'static str,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub html: String,
}

impl Browser {
    pub fn new(app: Router, accept_language: &'static str) -> Browser {
        Browser {
            app,
            jar: BTreeMap::new(),
            accept_language,
        }
    }

    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Page {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let c = cookie::Cookie::parse(v.to_str().unwrap().to_owned()).unwrap();
            if c.max_age() == Some(cookie::time::Duration::ZERO) || c.value().is_empty() {
                self.jar.remove(c.name());
            } else {
                self.jar.insert(c.name().to_owned(), c.value().to_owned());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            location,
            headers,
            html: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = Request::get(path)
            .header(header::ACCEPT_LANGUAGE, self.accept_language)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::post(path)
            .header(header::ACCEPT_LANGUAGE, self.accept_language)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Follows a redirect.
    pub async fn follow(&mut self, page: &Page) -> Page {
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        let to = page.location.clone().unwrap();
        self.get(&to).await
    }
}

/// The CSRF token of the page's first form.
pub fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with its token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub fn runner() -> Local {
    Local::new(&LocalKeys::generate().unwrap())
}

/// The newest code the dev outbox shows for the phone.
pub fn code_sent(local: &Local) -> String {
    let sent = local.outbox.messages();
    let sms = sent
        .iter()
        .rev()
        .find(|m| m.channel == kezek_core::ports::Channel::Sms && m.body.contains(char::is_numeric))
        .expect("an SMS");
    sms.body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("six digits")
        .to_owned()
}

/// The login by one-time code through the pages, in this browser (its cookies kept): the page
/// the code's form leads to, before the first login's e-mail question.
pub async fn log_in(b: &mut Browser, local: &Local, iin: &str) -> Page {
    let login = b.get("/login").await;
    let sent = b
        .post(
            "/login",
            &[("csrf", &csrf(&login.html)), ("iin", iin), ("phone", PHONE)],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/login/code"),
        "{}",
        sent.html
    );
    let code_page = b.follow(&sent).await;
    b.post(
        "/login/code",
        &[
            ("csrf", &csrf(&code_page.html)),
            ("code", &code_sent(local)),
        ],
    )
    .await
}

/// After the code: a first login is asked for an e-mail (answered here); then where it leads.
pub async fn past_email(b: &mut Browser, done: Page) -> Page {
    if done.location.as_deref() != Some("/profile/email") {
        return done;
    }
    let q = b.follow(&done).await;
    b.post(
        "/profile/email",
        &[("csrf", &csrf(&q.html)), ("email", "ata@mail.kz")],
    )
    .await
}

/// A parent in through the pages (code login), with an application of theirs made by the API.
pub async fn signed_in_parent(local: &Local, lang: &'static str) -> (Browser, String) {
    let app = local.clone().router();
    let token = local
        .api
        .sessions
        .issue(
            &kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
                role: kezek_core::Role::Parent,
                districts: vec![],
            },
            chrono::Utc::now(),
        )
        .unwrap()
        .token;
    let submit = Request::post("/v1/applications")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            r#"{{"district":"KOK","child_iin":"{CHILD}","email":"p@example.kz","phone":"+77011234567"}}"#
        )))
        .unwrap();
    let resp = app.clone().oneshot(submit).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let id = serde_json_id(&bytes);
    let mut b = Browser::new(app, lang);
    let login = b.get("/login").await;
    let sent = b
        .post(
            "/login",
            &[
                ("csrf", &csrf(&login.html)),
                ("iin", PARENT),
                ("phone", PHONE),
            ],
        )
        .await;
    let code_page = b.follow(&sent).await;
    let code = code_sent(local);
    let done = b
        .post(
            "/login/code",
            &[("csrf", &csrf(&code_page.html)), ("code", &code)],
        )
        .await;
    let done = past_email(&mut b, done).await;
    assert_eq!(done.location.as_deref(), Some("/journal"), "{}", done.html);
    (b, id)
}

pub fn serde_json_id(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let at = text.find("\"id\":\"").unwrap() + 6;
    text[at..at + text[at..].find('"').unwrap()].to_owned()
}
pub mod desk;

/// A value percent-encoded for a URL's path or query (a Cyrillic registration number).
pub fn encoded(s: &str) -> String {
    let pair = serde_urlencoded::to_string([("x", s)]).unwrap();
    pair["x=".len()..].to_owned()
}

/// The runner's answer to one GET without cookies: its status, content type, the run log's head
/// (`Kezek-Run-Log-Head`), and its body as text.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub head: Option<String>,
    pub body: String,
}

impl Answer {
    /// The status and the body as text.
    pub fn text(self) -> (StatusCode, String) {
        (self.status, self.body)
    }

    /// The status and the body as JSON (`null` when it is not JSON).
    pub fn json(self) -> (StatusCode, serde_json::Value) {
        let v = serde_json::from_str(&self.body).unwrap_or_default();
        (self.status, v)
    }
}

/// A GET of `path` through the runner's router: in `lang` when given (`Accept-Language`), with a
/// bearer `token` when given.
pub async fn fetch(local: &Local, path: &str, lang: Option<&str>, token: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let r = local
        .clone()
        .router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, content_type, head) = (
        r.status(),
        header("content-type").unwrap_or_default(),
        header("kezek-run-log-head"),
    );
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        head,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
