//! The portal's cookies (issue 17): what the browser holds between pages is sealed, a form's
//! token is bound to the session as well as the browser, and a login leads back to the page
//! that asked for it, never off the site.

mod pages;
use pages::*;

use axum::http::StatusCode;

/// A session of another parent, as the API would issue it.
fn stranger_session(local: &kezek_local::Local) -> String {
    local
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
        .token
}

#[tokio::test]
async fn the_login_and_the_form_wait_in_sealed_cookies() {
    let local = runner();
    let mut b = Browser::new(local.clone().router(), "ru");
    // The home page's district choice waits for the login in the form cookie.
    let to_login = b.get("/apply?district=KOK").await;
    assert_eq!(to_login.location.as_deref(), Some("/login"));
    let apply = b.jar.get("kezek_apply").cloned().expect("the form cookie");
    assert!(!apply.contains("KOK"), "sealed: {apply}");
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
    assert_eq!(
        sent.location.as_deref(),
        Some("/login/code"),
        "{}",
        sent.html
    );
    let sealed = b.jar.get("kezek_login").cloned().expect("the login cookie");
    for plain in [PARENT, "7011234567", "900101"] {
        assert!(!sealed.contains(plain), "{plain} in {sealed}");
    }
    assert!(b.get("/login/code").await.html.contains("name=\"code\""));

    // A changed byte, or the old plain form, is no login in progress.
    let mut bytes = sealed.clone().into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    for forged in [
        String::from_utf8(bytes).unwrap(),
        format!("{PARENT}.77011234567"),
    ] {
        let mut other = Browser::new(local.clone().router(), "ru");
        other.jar.insert("kezek_login".into(), forged.clone());
        let refused = other.get("/login/code").await;
        assert_eq!(refused.location.as_deref(), Some("/login"), "{forged}");
    }
    // The code: signed in, and the district chosen before the login still leads to the form.
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
    let done = past_email(&mut b, done).await;
    assert_eq!(done.location.as_deref(), Some("/apply"), "{}", done.html);
    assert!(!b.jar.contains_key("kezek_login"));
    let form = b.follow(&done).await;
    assert!(
        form.html.contains("value=\"KOK\" selected"),
        "{}",
        form.html
    );
}

#[tokio::test]
async fn a_login_leads_back_to_the_page_that_asked_for_it() {
    let local = runner();
    let (mut b, id) = signed_in_parent(&local, "kk").await;
    let journal = b.get("/journal").await;
    let out = b.post("/logout", &[("csrf", &csrf(&journal.html))]).await;
    assert_eq!(out.location.as_deref(), Some("/"));

    // Signed out, the application's page sends to the login and remembers itself.
    let page = format!("/applications/{id}");
    let asked = b.get(&page).await;
    assert_eq!(asked.location.as_deref(), Some("/login"));
    let next = b
        .jar
        .get("kezek_next")
        .cloned()
        .expect("the page to come back to");
    assert!(!next.contains("applications"), "sealed: {next}");
    let done = log_in(&mut b, &local, PARENT).await;
    assert_eq!(
        done.location.as_deref(),
        Some(page.as_str()),
        "{}",
        done.html
    );
    assert!(!b.jar.contains_key("kezek_next"), "used once");
    assert_eq!(b.follow(&done).await.status, StatusCode::OK);

    // A page to come back to that the browser made up (off the site, or not sealed) is ignored.
    for forged in ["//evil.example/", "https://evil.example/", "/journal"] {
        let mut other = Browser::new(local.clone().router(), "kk");
        other.jar.insert("kezek_next".into(), forged.into());
        let done = log_in(&mut other, &local, PARENT).await;
        assert_eq!(done.location.as_deref(), Some("/journal"), "{forged}");
    }
}

#[tokio::test]
async fn a_form_token_is_worth_nothing_with_another_session() {
    let local = runner();
    let (b, _) = signed_in_parent(&local, "en").await;
    let mut b = b;
    let journal = b.get("/journal").await;
    let token = csrf(&journal.html);
    // The same browser's CSRF cookie, but another parent's session (or none): refused.
    let mut other = Browser::new(local.clone().router(), "en");
    other.jar = b.jar.clone();
    other
        .jar
        .insert("kezek_session".into(), stranger_session(&local));
    let refused = other.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    other.jar.remove("kezek_session");
    let refused = other.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    // With its own session it is taken.
    let out = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.location.as_deref(), Some("/"), "{}", out.html);
}
