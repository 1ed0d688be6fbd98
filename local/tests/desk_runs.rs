//! Voucher runs from the operators' desk (issue 18): the page shows beforehand what a run would
//! do (places, outstanding vouchers, who would be offered one), starts it and shows its offers
//! with their deadlines; started again, or on two screens at once, it never offers more than the
//! places, and the page says so. Another district's operator gets 403 and nothing is offered.

mod pages;
use pages::desk::*;
use pages::*;

use axum::http::StatusCode;

/// The vouchers of KOK outstanding (offered or active) for the age group now.
async fn offered(local: &kezek_local::Local, age: u8) -> u32 {
    let view = local
        .api
        .service
        .voucher_run_preview(
            &kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from(OPERATOR.to_owned()).unwrap(),
                role: kezek_core::Role::Operator,
                districts: vec!["KOK".into()],
            },
            kezek_core::inputs::RunInput {
                district: "KOK".into(),
                age_group: i64::from(age),
            },
        )
        .await
        .unwrap();
    view.outstanding
}

#[tokio::test]
async fn a_run_is_previewed_started_and_never_offers_more_than_the_places() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 3).await;
    let (age, _) = places_for(&local, 2).await;
    let (mut b, _) = sign_in(&local, OPERATOR, "ru").await;
    let page = format!("/admin/runs?district=KOK&age_group={age}");

    // Before: two places, none outstanding, the first two children of the queue.
    let preview = b.get(&page).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(
        preview
            .html
            .contains("Распределение сейчас предложит ваучеров: 2."),
        "{}",
        preview.html
    );
    assert!(preview.html.contains(&registered[0].0));
    assert!(preview.html.contains(&registered[1].0));
    assert!(
        !preview.html.contains(&registered[2].0),
        "the third gets none"
    );
    assert_eq!(offered(&local, age).await, 0, "a preview offers nothing");
    let before = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.html);
    assert!(
        before
            .html
            .contains("<dt>Предложенные ваучеры</dt><dd>0</dd>"),
        "{}",
        before.html
    );
    assert!(before.html.contains("<svg"), "the chart");
    assert!(
        before.html.contains("<td>В очереди</td><td>3</td>"),
        "{}",
        before.html
    );

    // Started: two offers, each with its deadline.
    let form = [
        ("csrf", csrf(&preview.html)),
        ("district", "KOK".to_owned()),
        ("age_group", age.to_string()),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let result = b.post("/admin/runs", &fields).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.html);
    assert!(
        result.html.contains("Предложено ваучеров: 2."),
        "{}",
        result.html
    );
    assert!(result.html.contains(&registered[0].0));
    assert!(result.html.contains("Подтвердить до"));
    assert!(result.html.contains("23:59"), "the deadline's local time");
    assert_eq!(offered(&local, age).await, 2);
    // The day's numbers moved with it.
    let numbers = b.get("/admin/numbers?district=KOK").await;
    assert!(
        numbers
            .html
            .contains("<dt>Предложенные ваучеры</dt><dd>2</dd>"),
        "{}",
        numbers.html
    );
    assert!(
        numbers.html.contains("<td>В очереди</td><td>1</td>"),
        "{}",
        numbers.html
    );

    // The same form again: no place is left, nothing more is offered, and the page says so.
    let again = b.post("/admin/runs", &fields).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.html.contains("Ни один ваучер не предложен"),
        "{}",
        again.html
    );
    assert_eq!(offered(&local, age).await, 2);
    let after = b.get(&page).await;
    assert!(after
        .html
        .contains("Сейчас ваучер не будет предложен никому"));
}

#[tokio::test]
async fn two_screens_starting_the_same_run_offer_one_place_once() {
    let (local, _) = runner_with_staff().await;
    register(&local, 3).await;
    let (age, _) = places_for(&local, 1).await;
    let (mut one, _) = sign_in(&local, OPERATOR, "en").await;
    let page = format!("/admin/runs?district=KOK&age_group={age}");
    let preview = one.get(&page).await;
    let mut two = Browser::new(local.clone().router(), "en");
    two.jar = one.jar.clone();
    let token = csrf(&preview.html);
    let age_text = age.to_string();
    let fields = [
        ("csrf", token.as_str()),
        ("district", "KOK"),
        ("age_group", age_text.as_str()),
    ];
    let (a, b) = tokio::join!(
        one.post("/admin/runs", &fields),
        two.post("/admin/runs", &fields)
    );
    let ones = [&a, &b]
        .iter()
        .filter(|p| p.html.contains("1 voucher offered."))
        .count();
    let nones = [&a, &b]
        .iter()
        .filter(|p| p.html.contains("No voucher was offered"))
        .count();
    assert_eq!((ones, nones), (1, 1), "{}\n{}", a.html, b.html);
    assert_eq!(offered(&local, age).await, 1);
}

#[tokio::test]
async fn another_districts_operator_can_neither_preview_nor_start_a_run() {
    let (local, other) = runner_with_staff().await;
    register(&local, 2).await;
    let (age, _) = places_for(&local, 2).await;
    let (mut theirs, _) = sign_in(&local, &other_operator(), "kk").await;
    let own = theirs
        .get(&format!("/admin/runs?district={other}&age_group={age}"))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.html);
    let refused = theirs
        .get(&format!("/admin/runs?district=KOK&age_group={age}"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let age_text = age.to_string();
    let start = theirs
        .post(
            "/admin/runs",
            &[
                ("csrf", &csrf(&own.html)),
                ("district", "KOK"),
                ("age_group", &age_text),
            ],
        )
        .await;
    assert_eq!(start.status, StatusCode::FORBIDDEN, "{}", start.html);
    let numbers = theirs.get("/admin/numbers?district=KOK").await;
    assert_eq!(numbers.status, StatusCode::FORBIDDEN);
    assert_eq!(offered(&local, age).await, 0, "nothing offered");
}
