//! Privilege review from the operators' desk (issue 18): the claims waiting for a look, a claim's
//! uploaded document opened from its page, then verified (`POST /v1/admin/privileges/{id}/verify`
//! and its page) or rejected with a reason (the parent is told; the child moves to the general
//! order); the claim leaves the list and the history names the operator. Another district's
//! operator gets 403 on the list, the claim, its document and both forms.

mod pages;
use pages::desk::*;
use pages::*;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::NaiveDate;
use kezek_core::{Principal, Role};
use kezek_local::keys::LocalKeys;
use kezek_local::Local;
use tower::ServiceExt;

/// A runner with staff and a data folder for documents.
async fn runner_with_files() -> (Local, String) {
    let (mut local, other) = runner_with_staff().await;
    let dir = std::env::temp_dir().join(format!("kezek-desk-{}", uuid::Uuid::new_v4().simple()));
    local
        .keep_files(
            dir,
            "http://127.0.0.1:3000",
            &LocalKeys::generate().unwrap().files,
        )
        .unwrap();
    (local, other)
}

/// A claimant's application (id, registration number), a child of 2024.
async fn claim(local: &Local, serial: u32) -> (String, String) {
    let v = claimant(
        local,
        NaiveDate::from_ymd_opt(2024, 3, 3).unwrap(),
        1000 + serial,
    )
    .await;
    (v.id, v.registration_number)
}

/// The first link of a page that opens a document.
fn document_link(html: &str) -> String {
    let at = html.find("/v1/dev/files/").expect("a document link");
    let rest = &html[at..];
    rest[..rest.find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn an_operator_opens_a_claims_document_then_verifies_one_and_rejects_another() {
    let (local, _) = runner_with_files().await;
    let (first, first_number) = claim(&local, 1).await;
    let (second, second_number) = claim(&local, 2).await;
    let (mut b, _) = sign_in(&local, OPERATOR, "ru").await;

    let list = b.get("/admin/privileges?district=KOK").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    assert!(list.html.contains(&first_number) && list.html.contains(&second_number));
    let claim = b.get(&format!("/admin/privileges/{first}")).await;
    assert_eq!(claim.status, StatusCode::OK, "{}", claim.html);
    assert!(claim.html.contains("spravka.pdf"));
    // The document opens: the runner serves its bytes by the link on the page.
    let link = document_link(&claim.html);
    let opened = local
        .clone()
        .router()
        .oneshot(Request::get(&link).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::OK, "{link}");
    let bytes = axum::body::to_bytes(opened.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&bytes[..], PDF);

    // Verified: it leaves the list, keeps its rank, and the history names the operator.
    let verified = b
        .post(
            &format!("/admin/privileges/{first}/verify"),
            &[("csrf", &csrf(&claim.html))],
        )
        .await;
    assert_eq!(
        verified.location.as_deref(),
        Some("/admin/privileges?district=KOK&done=verified"),
        "{}",
        verified.html
    );
    let list = b.follow(&verified).await;
    assert!(list.html.contains("Льгота подтверждена."));
    assert!(!list.html.contains(&first_number), "verified: off the list");
    let app = local
        .api
        .service
        .store
        .application(&first)
        .await
        .unwrap()
        .unwrap();
    assert!(app.privilege.as_ref().unwrap().verified_at.is_some());
    let history = local.api.service.store.history(&first).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, kezek_core::domain::Action::PrivilegeVerified);
    assert!(
        matches!(&last.actor, kezek_core::domain::Actor::Operator { iin } if iin.as_str() == OPERATOR),
        "{:?}",
        last.actor
    );

    // Rejected: a reason is asked for first; then the parent is told, the claim leaves the list.
    let claim = b.get(&format!("/admin/privileges/{second}")).await;
    let empty = b
        .post(
            &format!("/admin/privileges/{second}/reject"),
            &[("csrf", &csrf(&claim.html)), ("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.html.contains("href=\"#reason\""), "{}", empty.html);
    assert!(empty.html.contains("Причина отклонения"));
    let rejected = b
        .post(
            &format!("/admin/privileges/{second}/reject"),
            &[
                ("csrf", &csrf(&claim.html)),
                ("reason", "Справка просрочена"),
            ],
        )
        .await;
    assert_eq!(
        rejected.location.as_deref(),
        Some("/admin/privileges?district=KOK&done=rejected")
    );
    let list = b.follow(&rejected).await;
    assert!(!list.html.contains(&second_number));
    assert!(
        list.html.contains("Льгот, ожидающих проверки, нет."),
        "{}",
        list.html
    );
    // The parent is told, with the reason, in the language of the application (kk).
    local.deliver().await.unwrap();
    let told = local.outbox.messages();
    assert!(
        told.iter().any(|m| m.body.contains("Справка просрочена")
            && m.language == kezek_core::domain::Language::Kk),
        "{told:?}"
    );
    // A claim is verified once: the API says so.
    let token = local
        .api
        .sessions
        .issue(
            &Principal {
                iin: kezek_core::iin::Iin::try_from(OPERATOR.to_owned()).unwrap(),
                role: Role::Operator,
                districts: vec!["KOK".into()],
            },
            chrono::Utc::now(),
        )
        .unwrap()
        .token;
    let again = local
        .clone()
        .router()
        .oneshot(
            Request::post(format!("/v1/admin/privileges/{first}/verify"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn another_districts_operator_cannot_review_this_districts_claims() {
    let (local, other) = runner_with_files().await;
    let (id, number) = claim(&local, 3).await;
    let (mut theirs, _) = sign_in(&local, &other_operator(), "en").await;
    let own = theirs
        .get(&format!("/admin/privileges?district={other}"))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.html.contains(&number));
    for page in [
        "/admin/privileges?district=KOK".to_owned(),
        format!("/admin/privileges/{id}"),
    ] {
        let r = theirs.get(&page).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{page}");
    }
    let token = csrf(&own.html);
    for (path, fields) in [
        (
            format!("/admin/privileges/{id}/verify"),
            vec![("csrf", token.as_str())],
        ),
        (
            format!("/admin/privileges/{id}/reject"),
            vec![("csrf", token.as_str()), ("reason", "no")],
        ),
    ] {
        let r = theirs.post(&path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.html);
    }
    let app = local
        .api
        .service
        .store
        .application(&id)
        .await
        .unwrap()
        .unwrap();
    let claim = app.privilege.unwrap();
    assert!(
        claim.verified_at.is_none() && claim.rejected.is_none(),
        "unchanged"
    );
}
