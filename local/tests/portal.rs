//! The parents' portal as the local runner serves it at `/` (issue 17, first part): pages in
//! the visitor's language, the login by one-time code through pages only, the journal and the
//! application's information; CSRF on every form; a refused form comes back with its error
//! summary and the answers kept, having written nothing.

mod pages;
use pages::*;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

#[tokio::test]
async fn home_follows_accept_language_then_the_choice() {
    let local = runner();
    let mut b = Browser::new(local.clone().router(), "ru-RU,ru;q=0.9,en;q=0.5");
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("<html lang=\"ru\""), "{}", home.html);
    assert!(home.html.contains("Выберите ваш район или город"));
    assert!(home.html.contains("Кокшетау") || home.html.contains("район"));
    assert!(
        home.html.contains("href=\"/login\""),
        "the login form is linked"
    );
    assert!(home.html.contains(kezek_local::SUPPORT_PHONE));
    // The portal's headers: a policy with no inline script or style, no caching of pages.
    let csp = home.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(home.headers[header::CACHE_CONTROL], "no-store");
    // The CSRF cookie: HttpOnly, SameSite=Strict (not Secure on plain http).
    let set: Vec<&str> = home
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("kezek_csrf=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict")),
        "{set:?}"
    );
    // The choice of Kazakh is remembered over Accept-Language, and sends back where it was made.
    let switch = b.get("/language/kk?next=/login").await;
    assert_eq!(switch.location.as_deref(), Some("/login"));
    let login = b.get("/login").await;
    assert!(login.html.contains("<html lang=\"kk\""), "{}", login.html);
    assert!(login.html.contains("Бір реттік кодпен кіру"));
    // Never to another host.
    for evil in [
        "//evil.example",
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%5Cevil.example",
        "https://evil.example",
    ] {
        let away = b.get(&format!("/language/en?next={evil}")).await;
        assert_eq!(away.location.as_deref(), Some("/"), "{evil}");
    }
    let en = b.get("/").await;
    assert!(en.html.contains("<html lang=\"en\""));
    // A path the portal does not have: its own 404 page; the API's paths stay the API's.
    let missing = b.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains("Page not found"));
    let api = b.get("/v1/districts").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(
        api.html.starts_with('[') || api.html.starts_with('{'),
        "JSON: {}",
        api.html
    );
}

#[tokio::test]
async fn a_parent_logs_in_by_code_and_sees_the_application() {
    let local = runner();
    // An application of the parent's, made through the API.
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
    let app = local.clone().router();
    let submit = Request::post("/v1/applications")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            r#"{{"district":"KOK","child_iin":"{CHILD}","email":"p@example.kz","phone":"+77011234567"}}"#
        )))
        .unwrap();
    let resp = app.clone().oneshot(submit).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let mut b = Browser::new(app, "ru");
    // The journal asks for a login first.
    let journal = b.get("/journal").await;
    assert_eq!(journal.location.as_deref(), Some("/login"));
    let login = b.get("/login").await;
    let token = csrf(&login.html);
    let csrf_before = b.jar.get("kezek_csrf").cloned();
    let sent = b
        .post(
            "/login",
            &[("csrf", &token), ("iin", PARENT), ("phone", PHONE)],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/login/code"),
        "{}",
        sent.html
    );
    let code_page = b.follow(&sent).await;
    assert!(code_page.html.contains("name=\"code\""));
    let code = code_sent(&local);
    let done = b
        .post(
            "/login/code",
            &[("csrf", &csrf(&code_page.html)), ("code", &code)],
        )
        .await;
    let done = past_email(&mut b, done).await;
    assert_eq!(done.location.as_deref(), Some("/journal"), "{}", done.html);
    assert!(b.jar.contains_key("kezek_session"));
    // The login renewed the CSRF cookie: a form token from before it is refused now.
    assert_ne!(b.jar.get("kezek_csrf").cloned(), csrf_before);
    let stale = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "{}", stale.html);
    assert!(b.jar.contains_key("kezek_session"), "still signed in");
    let journal = b.follow(&done).await;
    assert_eq!(journal.status, StatusCode::OK);
    assert!(journal.html.contains("Журнал заявлений"));
    assert!(journal.html.contains("КОК."), "{}", journal.html);
    assert!(journal.html.contains("В очереди"));
    // The application's page: its number, status, queue and exact place, local times.
    let at = journal.html.find("href=\"/applications/").unwrap();
    let href = &journal.html[at + 6..];
    let href = &href[..href.find('"').unwrap()];
    let card = b.get(href).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.html.contains("Место в очереди"));
    // The change history: the registration, in the page's language.
    assert!(card.html.contains("История изменений"), "{}", card.html);
    assert!(card.html.contains("class=\"history\""));
    assert!(
        card.html
            .contains("Подача заявления и постановка в очередь"),
        "{}",
        card.html
    );
    assert!(card.html.contains("<dd>1</dd>"), "{}", card.html);
    assert!(!card.html.contains(CHILD), "the child's IIN is masked");
    // Another parent's browser cannot open it.
    let mut other = Browser::new(local.clone().router(), "ru");
    let stranger = local
        .api
        .sessions
        .issue(
            &kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from("850505300001".to_owned()).unwrap(),
                role: kezek_core::Role::Parent,
                districts: vec![],
            },
            chrono::Utc::now(),
        )
        .unwrap()
        .token;
    other.jar.insert("kezek_session".into(), stranger);
    let refused = other.get(href).await;
    assert!(
        refused.status == StatusCode::FORBIDDEN || refused.status == StatusCode::NOT_FOUND,
        "{}",
        refused.status
    );
    // Sign out: the session cookie is gone, and whatever the browser held between steps.
    b.jar.insert(
        "kezek_apply".into(),
        "district=KOK&child_iin=230315500002".into(),
    );
    let journal = b.get("/journal").await;
    let out = b.post("/logout", &[("csrf", &csrf(&journal.html))]).await;
    assert_eq!(out.location.as_deref(), Some("/"));
    assert!(!b.jar.contains_key("kezek_session"));
    assert!(!b.jar.contains_key("kezek_apply"));
}

#[tokio::test]
async fn a_refused_form_keeps_the_answers_and_writes_nothing() {
    let local = runner();
    let mut b = Browser::new(local.clone().router(), "kk");
    let login = b.get("/login").await;
    let token = csrf(&login.html);
    let before = local.outbox.messages().len();
    let bad = b
        .post(
            "/login",
            &[("csrf", &token), ("iin", "123"), ("phone", PHONE)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("class=\"error-summary\""), "{}", bad.html);
    assert!(
        bad.html.contains("href=\"#iin\""),
        "the summary links to the field"
    );
    assert!(bad.html.contains("aria-invalid=\"true\""));
    assert!(bad.html.contains("value=\"123\""), "the answer is kept");
    assert!(
        bad.html.contains(&format!("value=\"{PHONE}\"")),
        "the other answer is kept"
    );
    assert!(bad.html.contains("<html lang=\"kk\""));
    assert_eq!(local.outbox.messages().len(), before, "no code was sent");
    assert!(!b.jar.contains_key("kezek_login"));
}

#[tokio::test]
async fn a_form_without_its_token_or_with_another_browsers_is_refused() {
    let local = runner();
    let mut b = Browser::new(local.clone().router(), "en");
    let mut other = Browser::new(local.clone().router(), "en");
    let login = b.get("/login").await;
    let theirs = other.get("/login").await;
    let before = local.outbox.messages().len();
    let none = b.post("/login", &[("iin", PARENT), ("phone", PHONE)]).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let wrong = b
        .post(
            "/login",
            &[
                ("csrf", &csrf(&theirs.html)),
                ("iin", PARENT),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A browser with no CSRF cookie at all (a form posted from elsewhere).
    let mut fresh = Browser::new(local.clone().router(), "en");
    let cold = fresh
        .post(
            "/login",
            &[
                ("csrf", &csrf(&login.html)),
                ("iin", PARENT),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(cold.status, StatusCode::FORBIDDEN);
    assert!(cold.html.contains("You cannot see this page"));
    assert_eq!(local.outbox.messages().len(), before, "nothing was sent");
    // Its own token works.
    let ok = b
        .post(
            "/login",
            &[
                ("csrf", &csrf(&login.html)),
                ("iin", PARENT),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
}

#[tokio::test]
async fn an_application_page_offers_only_what_its_rules_allow() {
    let local = runner();
    let (mut b, id) = signed_in_parent(&local, "ru").await;
    let path = format!("/applications/{id}");
    let card = b.get(&path).await;
    assert_eq!(card.status, StatusCode::OK);
    // Queued, just registered: leaving the queue is offered, with its rule; nothing else is.
    assert!(
        card.html.contains(&format!("action=\"{path}/withdraw\"")),
        "{}",
        card.html
    );
    assert!(card.html.contains("Покинуть очередь"));
    assert!(card.html.contains("отменить это нельзя"));
    for slug in ["reconfirm", "confirm", "extend", "restore", "refuse"] {
        assert!(
            !card.html.contains(&format!("{path}/{slug}\"")),
            "{slug} offered"
        );
    }
    // An action its rules refuse now: the page again with the reason, nothing changed.
    let refused = b
        .post(&format!("{path}/confirm"), &[("csrf", &csrf(&card.html))])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains("class=\"error-summary\""));
    assert!(refused.html.contains("В очереди"));
    // Without its token: 403, nothing changed.
    let forged = b.post(&format!("{path}/withdraw"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(b.get(&path).await.html.contains("В очереди"));
    // Leaving the queue: done, back on the page, archived, nothing more offered.
    let left = b
        .post(&format!("{path}/withdraw"), &[("csrf", &csrf(&card.html))])
        .await;
    assert_eq!(
        left.location.as_deref(),
        Some(path.as_str()),
        "{}",
        left.html
    );
    let after = b.follow(&left).await;
    assert!(after.html.contains("В архиве"), "{}", after.html);
    assert!(!after.html.contains("/withdraw\""));
    // An unknown action is the portal's 404.
    let unknown = b
        .post(&format!("{path}/jump"), &[("csrf", &csrf(&after.html))])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_parent_registers_a_child_through_the_pages() {
    let local = runner();
    let mut b = Browser::new(local.clone().router(), "kk");
    // The home page's district leads to the login, and the login back to the form.
    let home = b.get("/").await;
    assert!(
        home.html.contains("href=\"/apply?district=KOK\""),
        "{}",
        home.html
    );
    let to_login = b.get("/apply?district=KOK").await;
    assert_eq!(to_login.location.as_deref(), Some("/login"));
    let login = b.follow(&to_login).await;
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
    let done = b
        .post(
            "/login/code",
            &[
                ("csrf", &csrf(&code_page.html)),
                ("code", &code_sent(&local)),
            ],
        )
        .await;
    // The first login asks for an e-mail: a bad one is refused on its field, kept, not saved.
    assert_eq!(
        done.location.as_deref(),
        Some("/profile/email"),
        "{}",
        done.html
    );
    let question = b.follow(&done).await;
    let bad = b
        .post(
            "/profile/email",
            &[("csrf", &csrf(&question.html)), ("email", "ata@")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.html);
    assert!(bad.html.contains("href=\"#email\"") && bad.html.contains("value=\"ata@\""));
    let done = b
        .post(
            "/profile/email",
            &[("csrf", &csrf(&question.html)), ("email", "ata@mail.kz")],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/apply"), "{}", done.html);
    let step1 = b.follow(&done).await;
    assert!(
        step1.html.contains("value=\"ata@mail.kz\""),
        "the profile's e-mail fills the form"
    );
    assert!(step1.html.contains("1-қадам, барлығы 2"), "{}", step1.html);
    assert!(
        step1.html.contains("value=\"KOK\" selected"),
        "the district is chosen"
    );

    // Step 1 refused: a bad e-mail, the summary, the answers kept, nothing written.
    let token = csrf(&step1.html);
    let bad = b
        .post(
            "/apply",
            &[
                ("csrf", &token),
                ("district", "KOK"),
                ("email", "not-an-email"),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("href=\"#email\""), "{}", bad.html);
    assert!(bad.html.contains("value=\"not-an-email\""));
    assert!(bad.html.contains(&format!("value=\"{PHONE}\"")));
    let step2 = b
        .post(
            "/apply",
            &[
                ("csrf", &token),
                ("district", "KOK"),
                ("email", "ata@mail.kz"),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(
        step2.location.as_deref(),
        Some("/apply/child"),
        "{}",
        step2.html
    );
    let step2 = b.follow(&step2).await;
    assert!(step2.html.contains("2-қадам, барлығы 2"));

    // Step 2 refused: a bad IIN; then the child, and the code that signs goes out.
    let bad = b
        .post(
            "/apply/child",
            &[("csrf", &token), ("child_iin", "2303155"), ("category", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("href=\"#child_iin\""), "{}", bad.html);
    let summary = &bad.html[bad.html.find("error-summary").unwrap()..];
    let summary = &summary[..summary.find("</ul>").unwrap()];
    assert!(
        !summary.contains("child_iin<") && !summary.contains("«child_iin»"),
        "{summary}"
    );
    assert!(
        bad.html.contains("<title>Қатені түзетіңіз: "),
        "the title says it first"
    );
    assert!(bad.html.contains("value=\"2303155\""));
    let login_code = code_sent(&local);
    let sign = b
        .post(
            "/apply/child",
            &[("csrf", &token), ("child_iin", CHILD), ("category", "")],
        )
        .await;
    assert_eq!(
        sign.location.as_deref(),
        Some("/apply/sign"),
        "{}",
        sign.html
    );
    let sign = b.follow(&sign).await;
    assert!(
        sign.html.contains(CHILD) && sign.html.contains("ata@mail.kz"),
        "{}",
        sign.html
    );
    let code = code_sent(&local);
    assert_ne!(code, login_code, "a fresh code signs");

    // A wrong code: refused on the code field, nothing registered.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = b
        .post("/apply/sign", &[("csrf", &token), ("code", wrong)])
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.html);
    assert!(refused.html.contains("href=\"#code\""));
    let journal = b.get("/journal").await;
    assert!(!journal.html.contains("КОК."), "nothing registered yet");

    // The right one: registered, its number and exact place shown.
    let registered = b
        .post("/apply/sign", &[("csrf", &token), ("code", &code)])
        .await;
    let to = registered.location.clone().unwrap_or_default();
    assert!(to.ends_with("?registered=1"), "{}", registered.html);
    let card = b.follow(&registered).await;
    assert!(card.html.contains("Өтініш тіркелді"), "{}", card.html);
    assert!(card.html.contains("КОК."));
    assert!(
        card.html.contains("<strong>1</strong>"),
        "first in the queue"
    );
    assert!(
        !b.jar.contains_key("kezek_apply"),
        "the form's answers are gone"
    );
    let journal = b.get("/journal").await;
    assert!(journal.html.contains("КОК."));
    // Signed with the code, as the history records.
    let id = to
        .trim_start_matches("/applications/")
        .trim_end_matches("?registered=1");
    let history = local
        .api
        .service
        .history(
            &kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
                role: kezek_core::Role::Parent,
                districts: vec![],
            },
            id,
            kezek_core::domain::Language::En,
        )
        .await
        .unwrap();
    assert!(
        format!("{history:?}").contains("OneTimeCode"),
        "{history:?}"
    );
}

/// A voucher's confirmation with a signature that is not a CMS of the parent's over this action:
/// refused on the page with the reason, the voucher still to confirm.
#[tokio::test]
async fn a_forged_eds_signature_confirms_nothing() {
    let local = runner();
    kezek_local::seed::seed(local.api.service.store.as_ref())
        .await
        .unwrap();
    let (mut b, id) = signed_in_parent(&local, "kk").await;
    let app = local
        .api
        .service
        .store
        .application(&id)
        .await
        .unwrap()
        .unwrap();
    let age_group = kezek_core::queue::age_group(
        app.child_birth_date,
        kezek_core::time::local_date(local.api.service.now()),
    );
    let run = pages::desk::run_kok(&local, age_group).await;
    assert_eq!(run.offered, 1);
    let path = format!("/applications/{id}");
    let card = b.get(&path).await;
    assert!(
        card.html.contains(&format!("{path}/confirm\"")),
        "{}",
        card.html
    );
    assert!(
        card.html.contains("data-eds="),
        "the confirmation can be signed with EDS"
    );
    for forged in ["bm90IGEgY21z", "%%%"] {
        let refused = b
            .post(
                &format!("{path}/confirm"),
                &[("csrf", &csrf(&card.html)), ("signature", forged)],
            )
            .await;
        assert!(
            refused.status.is_client_error(),
            "{}: {}",
            refused.status,
            refused.html
        );
        assert!(refused.html.contains("class=\"error-summary\""));
        assert!(
            refused.html.contains(&format!("{path}/confirm\"")),
            "still to confirm"
        );
    }
}
