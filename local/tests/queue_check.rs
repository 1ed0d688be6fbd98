//! The public queue check (issue 19): anyone, without logging in, by registration number, over
//! the API and on the portal's `/queue` page in kk and ru. It shows the district, age group,
//! registration day, status and place, and never a name, an IIN, a phone, an e-mail or a
//! privilege. The runner limits public requests per client.

mod pages;
use pages::desk::*;
use pages::*;

use axum::http::StatusCode;

#[tokio::test]
async fn anyone_checks_a_place_by_registration_number() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 3).await;
    let (number, child) = &registered[1];

    // The API: the second child, typed in Latin letters.
    let typed = number.replace('К', "K").replace('О', "O");
    let (status, body) = fetch(
        &local,
        &format!("/v1/public/queue/{}", encoded(&typed)),
        Some("ru"),
        None,
    )
    .await
    .text();
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["registration_number"], number.as_str());
    assert_eq!(v["district"], "KOK");
    assert_eq!(v["status"], "queued");
    assert_eq!(v["status_label"], "В очереди");
    assert_eq!(v["position"], 2);
    assert!(
        v["registered_on"].as_str().is_some_and(|d| d.len() == 10),
        "a day: {v}"
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "age_group",
            "district",
            "position",
            "registered_on",
            "registration_number",
            "status",
            "status_label"
        ],
        "nothing else"
    );
    for private in [
        child.as_str(),
        "p@example.kz",
        "+77011234567",
        "privilege",
        "rank",
    ] {
        assert!(!body.contains(private), "{private} in {body}");
    }
    // A malformed number names the field, in the asked language; an unknown one is 404.
    let (status, body) = fetch(&local, "/v1/public/queue/KOK.26", Some("kk"), None)
        .await
        .text();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"field\":\"registration_number\""), "{body}");
    assert!(body.contains("Тіркеу нөмірі дұрыс емес"), "{body}");
    let prefix = number.split('.').next().unwrap();
    let (status, _) = fetch(
        &local,
        &format!(
            "/v1/public/queue/{}",
            encoded(&format!("{prefix}.2026.999"))
        ),
        Some("ru"),
        None,
    )
    .await
    .text();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The page, without logging in, in kk and ru.
    for (lang, title, place) in [
        (
            "kk",
            "Кезектегі орынды тексеру",
            "<dt>Кезектегі орны</dt><dd>2</dd>",
        ),
        (
            "ru",
            "Проверить место в очереди",
            "<dt>Место в очереди</dt><dd>2</dd>",
        ),
    ] {
        let mut b = Browser::new(local.clone().router(), lang);
        let home = b.get("/").await;
        assert!(
            home.html.contains("href=\"/queue\""),
            "the home page links the check"
        );
        let form = b.get("/queue").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.html.contains(title) && form.html.contains("name=\"number\""));
        let found = b.get(&format!("/queue?number={}", encoded(number))).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.html);
        assert!(found.html.contains(place), "{}", found.html);
        assert!(!found.html.contains(child.as_str()));
        let bad = b.get("/queue?number=xyz").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.html.contains("href=\"#number\""), "{}", bad.html);
        let none = b
            .get(&format!(
                "/queue?number={}",
                encoded(&format!("{prefix}.2026.999"))
            ))
            .await;
        assert_eq!(none.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_runner_limits_public_requests_per_client() {
    let (mut local, _) = runner_with_staff().await;
    local.public_per_minute = 5;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, body) = fetch(&local, "/v1/public/queue/KOK.2026.1", Some("en"), None)
            .await
            .text();
        statuses.push((status, body));
    }
    assert!(statuses[..5]
        .iter()
        .all(|(s, _)| *s == StatusCode::NOT_FOUND));
    assert_eq!(
        statuses[5].0,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        statuses[5].1
    );
    assert!(statuses[5].1.contains("\"code\":\"rate_limited\""));
    // Logged-in routes are not limited by it.
    let (status, _) = fetch(&local, "/v1/districts", Some("en"), None)
        .await
        .text();
    assert_eq!(status, StatusCode::OK);
}
