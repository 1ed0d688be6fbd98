//! What a request brings to a page (its cookies: the language, the CSRF cookie, the session, and
//! the sealed login, form and return-to cookies), and the way to the login and back.

use super::*;

/// What a request brings: its cookies, its language, its CSRF cookie (made when missing).
pub(crate) struct Visit {
    pub(crate) lang: Language,
    pub(crate) csrf_cookie: String,
    pub(crate) new_csrf: bool,
    pub(crate) session: Option<String>,
    pub(crate) login: Option<(String, String)>,
    pub(crate) apply: Application,
    /// The page the login leads back to (a path of this site).
    pub(crate) next: Option<String>,
}

/// The application form's answers so far.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
pub(crate) struct Application {
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub child_iin: String,
    #[serde(default)]
    pub category: String,
    /// The proofs uploaded for the privilege: document ids, comma-separated.
    #[serde(default)]
    pub documents: String,
}

impl Visit {
    pub(crate) fn of(web: &Web, headers: &HeaderMap) -> Visit {
        let mut lang = None;
        let mut next = None;
        let mut csrf = None;
        let mut session = None;
        let mut login = None;
        let mut apply = Application::default();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for c in Cookie::split_parse(text).flatten() {
                match c.name() {
                    LANG_COOKIE => lang = Language::parse(c.value()),
                    CSRF_COOKIE if c.value().len() == 32 => csrf = Some(c.value().to_owned()),
                    SESSION_COOKIE => session = Some(c.value().to_owned()),
                    APPLY_COOKIE => {
                        apply = web
                            .unseal(&c)
                            .and_then(|v| serde_urlencoded::from_str(&v).ok())
                            .unwrap_or_default()
                    }
                    LOGIN_COOKIE => {
                        login = web.unseal(&c).and_then(|v| {
                            v.split_once('.').map(|(i, p)| (i.to_owned(), p.to_owned()))
                        })
                    }
                    NEXT_COOKIE => next = web.unseal(&c).filter(|p| local_path(p)),
                    _ => {}
                }
            }
        }
        // The first visit follows Accept-Language (Kazakh, the state language, when it names
        // none of ours).
        let lang = lang.unwrap_or_else(|| {
            let asked = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let names_ours = asked.split(',').any(|part| {
                let tag = part.split(';').next().unwrap_or("").trim();
                Language::parse(tag.split('-').next().unwrap_or("")).is_some()
            });
            if names_ours {
                kezek_http::language(headers)
            } else {
                Language::Kk
            }
        });
        let (csrf_cookie, new_csrf) = match csrf {
            Some(c) => (c, false),
            None => (random_hex16(), true),
        };
        Visit {
            lang,
            csrf_cookie,
            new_csrf,
            session,
            login,
            apply,
            next,
        }
    }
}

/// A path of this site a login may lead back to (see [`safe_next`]), of a sane length.
fn local_path(p: &str) -> bool {
    p.len() <= 200 && safe_next(p)
}

/// To the login, remembering the page asked for (a path of this site) to come back to after it.
pub(crate) fn to_login(web: &Web, path: &str) -> Response {
    let mut r = see_other("/login");
    if local_path(path) {
        add_cookie(
            &mut r,
            web.sealed_cookie(NEXT_COOKIE, path.to_owned(), 60 * 30),
        );
    }
    r
}

pub(crate) fn random_hex16() -> String {
    let mut b = [0u8; 16];
    // The OS's random source; on failure a time-based value still differs per browser.
    if getrandom::getrandom(&mut b).is_err() {
        let t = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b[..8].copy_from_slice(&t.to_be_bytes());
    }
    hex(&b)
}
