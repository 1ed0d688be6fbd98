//! The login by one-time code (IIN and phone, then the code), the first login's e-mail
//! question, and signing out.

use super::*;

pub(crate) async fn login_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    let frame = pages::Frame::new(&web, &visit, "/login");
    page(
        &web,
        &visit,
        StatusCode::OK,
        pages::login(&frame, &Answers::default()),
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    iin: String,
    #[serde(default)]
    phone: String,
}

pub(crate) async fn login_post(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: LoginForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let request = CodeRequest {
        iin: input.iin.trim().to_owned(),
        phone: input.phone.trim().to_owned(),
    };
    match web.api.identity.request_code(request, visit.lang).await {
        Ok(_) => {
            // The phone as the code was sent to it (`+7` and ten digits): cookie-safe.
            let phone = kezek_core::values::Phone::parse(&input.phone)
                .map(|p| p.as_str().trim_start_matches('+').to_owned())
                .unwrap_or_default();
            let mut r = see_other("/login/code");
            add_cookie(
                &mut r,
                web.sealed_cookie(
                    LOGIN_COOKIE,
                    format!("{}.{}", input.iin.trim(), phone),
                    60 * 10,
                ),
            );
            r
        }
        Err(f) => {
            let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let answers = Answers {
                values: vec![("iin", input.iin), ("phone", input.phone)],
                errors: vec![field_error(&web, visit.lang, &f, &["iin", "phone"], "iin")],
            };
            let frame = pages::Frame::new(&web, &visit, "/login");
            page(&web, &visit, status, pages::login(&frame, &answers))
        }
    }
}

pub(crate) async fn code_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    if visit.login.is_none() {
        return see_other("/login");
    }
    let frame = pages::Frame::new(&web, &visit, "/login/code");
    page(
        &web,
        &visit,
        StatusCode::OK,
        pages::code(&frame, &Answers::default()),
    )
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    pub(crate) code: String,
}

pub(crate) async fn code_post(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: CodeForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some((iin, phone)) = visit.login.clone() else {
        return see_other("/login");
    };
    let login = CodeLogin {
        iin,
        phone: format!("+{phone}"),
        code: input.code.trim().to_owned(),
    };
    let refused = |f: Failure| {
        let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let answers = Answers {
            values: vec![],
            errors: vec![field_error(&web, visit.lang, &f, &["code"], "code")],
        };
        let frame = pages::Frame::new(&web, &visit, "/login/code");
        page(&web, &visit, status, pages::code(&frame, &answers))
    };
    let login = match web.api.identity.login_with_code(login).await {
        Ok(l) => l,
        Err(f) => return refused(f),
    };
    match start_session(&web, &visit, login).await {
        Ok(r) => r,
        Err(f) => refused(f),
    }
}

/// Where a login leads: the page that sent the visitor to it, else the application form when the
/// home page's district choice led to the login, else the journal (a parent's) or the desk.
/// An operator lands on the operators' desk.
fn after_login<'a>(visit: &'a Visit, who: &Principal) -> &'a str {
    match &visit.next {
        Some(path) => path,
        None if who.role == kezek_core::Role::Operator => "/admin",
        None if visit.apply.district.is_empty() => "/journal",
        None => "/apply",
    }
}

/// After a login (by code or EDS): the profile's first-login check, the session cookie, and the
/// page it leads to.
pub(crate) async fn start_session(
    web: &Web,
    visit: &Visit,
    login: kezek_core::identity::Login,
) -> Result<Response, Failure> {
    let who = login.principal;
    let email_required = web.api.service.after_login(&who, login.name).await?;
    let token = web.api.sessions.issue(&who, chrono::Utc::now())?;
    // Back to the application form when the home page's district choice led to the login.
    // Or back to the page that sent the visitor to the login (after the e-mail question).
    let next = if email_required {
        // The first login asks for an e-mail address.
        "/profile/email"
    } else {
        after_login(visit, &who)
    };
    let mut r = see_other(next);
    let max_age = (token.expires_at.timestamp() - chrono::Utc::now().timestamp()).max(60);
    add_cookie(&mut r, web.cookie(SESSION_COOKIE, token.token, max_age));
    // A new CSRF cookie with the session: a form token handed out before the login (to whoever
    // used this browser, or planted in it) is worth nothing after it.
    add_cookie(
        &mut r,
        web.cookie(CSRF_COOKIE, random_hex16(), 60 * 60 * 24),
    );
    remove_cookie(web, &mut r, LOGIN_COOKIE);
    if !email_required {
        remove_cookie(web, &mut r, NEXT_COOKIE);
    }
    // A form begun by whoever used this browser before is not this parent's: only the district
    // chosen before this login is kept.
    if visit.apply.district.is_empty() {
        remove_cookie(web, &mut r, APPLY_COOKIE);
    } else {
        let district_only = Application {
            district: visit.apply.district.clone(),
            ..Application::default()
        };
        add_cookie(&mut r, apply_cookie(web, &district_only));
    }
    Ok(r)
}

pub(crate) async fn logout(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    #[derive(Deserialize)]
    struct Nothing {}
    if let Err(r) = form::<Nothing>(&web, &visit, &body) {
        return *r;
    }
    let mut r = see_other("/");
    // The session, and whatever of this parent's the browser still holds between steps.
    for name in [SESSION_COOKIE, APPLY_COOKIE, LOGIN_COOKIE, NEXT_COOKIE] {
        remove_cookie(&web, &mut r, name);
    }
    r
}

/// The first login's question: the e-mail address notices go to.
pub(crate) async fn email_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    if principal(&web, &visit).is_none() {
        return see_other("/login");
    }
    let frame = pages::Frame::new(&web, &visit, "/profile/email").signed_in();
    page(
        &web,
        &visit,
        StatusCode::OK,
        pages::email(&frame, &Answers::default()),
    )
}

pub(crate) async fn email_post(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    #[derive(Deserialize)]
    struct EmailForm {
        #[serde(default)]
        email: String,
    }
    let input: EmailForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let update = kezek_core::inputs::ProfileInput {
        email: Some(input.email.trim().to_owned()),
        phone: None,
        language: Some(visit.lang.code().to_owned()),
        name: None,
    };
    match web.api.service.update_profile(&who, update).await {
        Ok(_) => {
            let mut r = see_other(after_login(&visit, &who));
            remove_cookie(&web, &mut r, NEXT_COOKIE);
            r
        }
        Err(f @ Failure::BadInput { .. }) => {
            let answers = Answers {
                values: vec![("email", input.email)],
                errors: vec![field_error(&web, visit.lang, &f, &["email"], "email")],
            };
            let frame = pages::Frame::new(&web, &visit, "/profile/email").signed_in();
            page(
                &web,
                &visit,
                StatusCode::BAD_REQUEST,
                pages::email(&frame, &answers),
            )
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}
