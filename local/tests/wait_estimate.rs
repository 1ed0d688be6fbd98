//! The wait estimate (issue 19) over the API and on the application's page, in kk and ru: a
//! range of months from the queue's own runs, the method in plain words, "an estimate, not a
//! promise"; only for a queued application, only for who may read it.

mod pages;
use pages::desk::*;
use pages::*;

use axum::http::StatusCode;
use kezek_core::wait_estimate::Month;

#[tokio::test]
async fn a_queued_child_gets_a_range_of_months_from_its_queues_runs() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 10).await;
    let (age, _) = places_for(&local, 3).await;
    let svc = &local.api.service;
    let run = run_kok(&local, age).await;
    assert_eq!(run.offered, 3);
    let run_month = Month::of(kezek_core::time::local_date(svc.now()));
    // A month later.
    local
        .clock
        .set(svc.now().with_timezone(&chrono::Utc) + chrono::Duration::days(35));
    let token = operator_token(&local);
    let id_of = |number: &str| {
        let number = number.to_owned();
        async move {
            let typed =
                kezek_core::values::RegistrationNumber::parse(&number, svc.reference()).unwrap();
            svc.store
                .application_by_number(&typed)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };

    // The fifth child: one before it; the three vouchers of that month are the whole pace, so
    // the same month a year on (fast 3.9, slow 2.1 cover the 2 it needs).
    let fifth = id_of(&registered[4].0).await;
    let path = format!("/v1/applications/{fifth}/wait-estimate");
    let (status, v) = fetch(&local, &path, Some("ru"), Some(token.as_str()))
        .await
        .json();
    assert_eq!(status, StatusCode::OK, "{v}");
    let a_year_on = run_month.plus(12).code();
    assert_eq!(v["earliest"], a_year_on.as_str(), "{v}");
    assert_eq!(v["latest"], a_year_on.as_str());
    assert_eq!(v["children_before"], 1);
    assert_eq!(v["based_on"], "own_cohort");
    assert_eq!(v["vouchers_last_12_months"], 3);
    let basis = v["basis"].as_str().unwrap();
    assert!(basis.starts_with("Это оценка, а не обещание."), "{basis}");
    assert!(
        basis.contains("путёвок предложено детям впереди — 3"),
        "{basis}"
    );
    assert!(
        basis.contains("Если очередь будет двигаться так же"),
        "{basis}"
    );
    let range = v["range_label"].as_str().unwrap();
    assert!(
        range.ends_with(&run_month.year().wrapping_add(1).to_string()),
        "{range}"
    );

    let (status, v) = fetch(&local, &path, Some("kk"), Some(token.as_str()))
        .await
        .json();
    assert_eq!(status, StatusCode::OK);
    assert!(
        v["basis"]
            .as_str()
            .unwrap()
            .starts_with("Бұл болжам, уәде емес."),
        "{v}"
    );
    assert!(v["range_label"].as_str().unwrap().contains(" ж. "), "{v}");

    // Offered: no estimate, 409 in the asked language, nothing changed.
    let offered = id_of(&registered[0].0).await;
    let (status, v) = fetch(
        &local,
        &format!("/v1/applications/{offered}/wait-estimate"),
        Some("kk"),
        Some(token.as_str()),
    )
    .await
    .json();
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "not_in_status", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("мәртебесінде"),
        "{v}"
    );
    // Nobody's: 401; another district's operator: refused.
    let (status, _) = fetch(&local, &path, Some("ru"), None).await.json();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stranger = kezek_core::Principal {
        iin: kezek_core::iin::Iin::try_from(other_operator()).unwrap(),
        role: kezek_core::Role::Operator,
        districts: vec!["XXX".into()],
    };
    let stranger = local
        .api
        .sessions
        .issue(&stranger, chrono::Utc::now())
        .unwrap()
        .token;
    let (status, _) = fetch(&local, &path, Some("ru"), Some(stranger.as_str()))
        .await
        .json();
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

#[tokio::test]
async fn the_application_page_shows_the_estimate_in_kk_and_ru() {
    for (lang, title, lead, none) in [
        (
            "kk",
            "Жолдама қашан келуі мүмкін",
            "Бұл болжам, уәде емес.",
            "Қазір болжам жасау мүмкін емес.",
        ),
        (
            "ru",
            "Когда может прийти путёвка",
            "Это оценка, а не обещание.",
            "Сейчас оценку дать нельзя.",
        ),
    ] {
        let local = runner();
        let (mut b, id) = signed_in_parent(&local, lang).await;
        let page = b.get(&format!("/applications/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        // No run has moved this queue yet: no range, and the reason.
        for words in [title, lead, none] {
            assert!(page.html.contains(words), "{words}: {}", page.html);
        }
    }
}
