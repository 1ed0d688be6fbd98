//! An operator cannot cut free places below the vouchers offered and not yet used (issue 20's
//! simulation of operators' places changes): 409 `places_promised` in the asked language, and
//! nothing written; a cut that keeps them lands.

mod pages;
use pages::desk::*;
use pages::*;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

async fn put_places(
    local: &kezek_local::Local,
    id: &str,
    body: serde_json::Value,
    token: &str,
    lang: &str,
) -> (StatusCode, serde_json::Value) {
    let req = Request::put(format!("/v1/admin/kindergartens/{id}/places"))
        .header("accept-language", lang)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = local.clone().router().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test]
async fn a_cut_below_the_vouchers_outstanding_is_refused_and_writes_nothing() {
    let (local, _) = runner_with_staff().await;
    register(&local, 3).await;
    let (age, kg) = places_for(&local, 3).await;
    let svc = &local.api.service;
    let run = run_kok(&local, age).await;
    assert_eq!(run.offered, 3);
    let token = operator_token(&local);
    let places = || async {
        svc.store
            .kindergarten(&kg)
            .await
            .unwrap()
            .unwrap()
            .free_places
            .get(&age)
            .copied()
    };
    for (lang, words) in [("kk", "жолдамалар"), ("ru", "путёвки")] {
        let (status, body) = put_places(
            &local,
            &kg,
            serde_json::json!({ age.to_string(): 2 }),
            &token,
            lang,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "places_promised", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{message}");
        assert_eq!(places().await, Some(3), "nothing written");
    }
    // Keeping a place per voucher lands; more places too.
    let (status, body) = put_places(
        &local,
        &kg,
        serde_json::json!({ age.to_string(): 5 }),
        &token,
        "ru",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = put_places(
        &local,
        &kg,
        serde_json::json!({ age.to_string(): 3 }),
        &token,
        "ru",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(places().await, Some(3));
}

#[tokio::test]
async fn the_places_page_says_why_a_cut_is_refused_and_keeps_the_answers() {
    let (local, _) = runner_with_staff().await;
    register(&local, 2).await;
    let (age, kg) = places_for(&local, 2).await;
    let run = run_kok(&local, age).await;
    assert_eq!(run.offered, 2);
    let (mut b, _) = sign_in(&local, OPERATOR, "kk").await;
    let form = b.get(&format!("/admin/kindergartens/{kg}/places")).await;
    let field = format!("age_{age}");
    let refused = b
        .post(
            &format!("/admin/kindergartens/{kg}/places"),
            &[("csrf", &csrf(&form.html)), (&field, "0")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains("error-summary"), "{}", refused.html);
    assert!(
        refused.html.contains(&format!("href=\"#{field}\"")),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("жолдамалар"), "{}", refused.html);
    assert!(refused.html.contains("value=\"0\""));
    assert_eq!(
        catalogue(&local).await[0].free_places.get(&age.to_string()),
        Some(&2)
    );
}
