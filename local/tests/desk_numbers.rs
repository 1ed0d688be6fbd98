//! The operators' desk, the rest of issue 18: the queue page finds an application by its
//! registration number (typed as people type it); the day's numbers show the deadlines due now,
//! later today and tomorrow, the district's last voucher runs from its run log, the sweeps' last
//! passes and the deployment's dashboard link. The run log is public and verifies.

mod pages;
use pages::desk::*;
use pages::*;

use axum::http::StatusCode;
use kezek_core::lifecycle::{current_deadline, Sweep};
use kezek_core::time::{end_of_day, local_date};
use kezek_core::values::RegistrationNumber;

/// A number as someone types it: Latin look-alikes, lower case, dashes.
fn typed(number: &str) -> String {
    number.replace('К', "k").replace('О', "o").replace('.', "-")
}

#[tokio::test]
async fn the_queue_page_finds_an_application_by_its_registration_number() {
    let (local, other) = runner_with_staff().await;
    let kok = register(&local, 3).await;
    let theirs = register_in(&local, &other, 1, 500).await;
    let (mut b, _) = sign_in(&local, OPERATOR, "ru").await;

    // The second child of the queue, typed in Latin letters with dashes.
    let second = &kok[1].0;
    let page = b
        .get(&format!(
            "/admin/queue?district=KOK&number={}",
            typed(second)
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains(second.as_str()), "{}", page.html);
    assert!(
        page.html.contains("<dt>Место</dt><dd>2</dd>"),
        "its exact place: {}",
        page.html
    );
    assert!(
        page.html.contains("<dt>Статус</dt><dd>В очереди</dd>"),
        "{}",
        page.html
    );
    let masked = kezek_core::iin::mask(&kok[1].1);
    assert!(page.html.contains(&masked), "the child's IIN, masked");
    assert!(
        !page.html.contains(kok[1].1.as_str()),
        "never the whole IIN"
    );

    // A malformed number: the field's error, in Russian, and a 400.
    let bad = b
        .get("/admin/queue?district=KOK&number=%D0%9A%D0%9E%D0%9A.2026")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.html);
    assert!(bad.html.contains("href=\"#number\""), "{}", bad.html);
    assert!(bad.html.contains("Регистрационный номер указан неверно"));

    // A number nobody has, and another district's number: not found here.
    let prefix = second.split('.').next().unwrap();
    for number in [format!("{prefix}.2026.999"), theirs[0].0.clone()] {
        let none = b
            .get(&format!(
                "/admin/queue?district=KOK&number={}",
                encoded(&number)
            ))
            .await;
        assert_eq!(none.status, StatusCode::OK, "{}", none.html);
        assert!(
            none.html.contains("в этом районе не найдено"),
            "{number}: {}",
            none.html
        );
    }

    // Another district's operator: 403 on this district's search, and KOK's number is not
    // found in their own.
    let (mut them, _) = sign_in(&local, &other_operator(), "ru").await;
    let refused = them
        .get(&format!(
            "/admin/queue?district=KOK&number={}",
            encoded(second)
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let own = them
        .get(&format!(
            "/admin/queue?district={other}&number={}",
            encoded(second)
        ))
        .await;
    assert!(
        own.html.contains("в этом районе не найдено"),
        "{}",
        own.html
    );
    let found = them
        .get(&format!(
            "/admin/queue?district={other}&number={}",
            encoded(&theirs[0].0)
        ))
        .await;
    assert!(
        found.html.contains("<dt>Место</dt><dd>1</dd>"),
        "{}",
        found.html
    );
}

#[tokio::test]
async fn the_numbers_show_the_days_deadlines_the_last_runs_and_sweeps() {
    let (mut local, _) = runner_with_staff().await;
    local.dashboard = Some("https://eu-central-1.console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/kezek-operations".into());
    let registered = register(&local, 3).await;
    let (age, _) = places_for(&local, 2).await;
    let (mut b, _) = sign_in(&local, OPERATOR, "ru").await;

    let before = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.html);
    assert!(before
        .html
        .contains("В этом районе распределений ещё не было."));
    assert!(before.html.contains("Проверок ещё не было."));
    assert!(
        before.html.contains("href=\"https://eu-central-1.console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/kezek-operations\""),
        "the dashboard's link"
    );

    // A run through the desk's form: two offers.
    let form_page = b
        .get(&format!("/admin/runs?district=KOK&age_group={age}"))
        .await;
    let age_text = age.to_string();
    let token = csrf(&form_page.html);
    let fields = [
        ("csrf", token.as_str()),
        ("district", "KOK"),
        ("age_group", age_text.as_str()),
    ];
    let ran = b.post("/admin/runs", &fields).await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.html);

    // The run is the log's first entry, public, and it verifies.
    let (status, log) = fetch(&local, "/v1/public/voucher-runs?district=KOK", None, None)
        .await
        .json();
    assert_eq!(status, StatusCode::OK, "{log}");
    let page: kezek_core::transparency::RunLogPage = serde_json::from_value(log.clone()).unwrap();
    // its start (what it read, before its offers), then its outcome
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.entries[0].run, page.entries[1].run.started());
    let run = &page.entries[1].run;
    assert_eq!(
        run.offered,
        vec![registered[0].0.clone(), registered[1].0.clone()]
    );
    assert_eq!((run.places, run.outstanding, run.head.len()), (2, 0, 3));
    let verified = kezek_core::run_log::verify(&page.entries).expect("the log verifies");
    assert_eq!((verified.runs, verified.offers), (1, 2));
    let text = log.to_string();
    for private in [registered[0].1.as_str(), "p@example.kz", "+77011234567"] {
        assert!(
            !text.contains(private),
            "no IIN, e-mail or phone in the log"
        );
    }
    let (status, _) = fetch(&local, "/v1/public/voucher-runs?district=XXX", None, None)
        .await
        .json();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = fetch(
        &local,
        "/v1/public/voucher-runs?district=KOK&after=x",
        None,
        None,
    )
    .await
    .json();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, rest) = fetch(
        &local,
        "/v1/public/voucher-runs?district=KOK&after=2",
        None,
        None,
    )
    .await
    .json();
    assert_eq!(rest["entries"], serde_json::json!([]));

    // Each family offered holds the run's first entry, written before its offer: its e-mail
    // names it in full.
    local.deliver().await.unwrap();
    let start = &page.entries[0];
    let mails: Vec<_> = local
        .outbox
        .messages()
        .into_iter()
        .filter(|m| m.body.contains(&start.hash))
        .collect();
    assert_eq!(mails.len(), 2, "both offers' e-mails name the entry");
    assert!(mails
        .iter()
        .all(|m| m.body.contains(&format!("№ {}", start.seq))
            || m.body.contains(&format!("№ {} жазба", start.seq))));

    let numbers = b.get("/admin/numbers?district=KOK").await;
    let hash = &page.entries[1].hash;
    assert!(
        numbers.html.contains(&hash[..12]),
        "the entry's hash: {}",
        numbers.html
    );
    assert!(numbers.html.contains("Последние распределения"));

    // The offers' confirmation deadline, and the day before it.
    let number = RegistrationNumber::parse(
        &registered[0].0,
        kezek_core::reference::Reference::builtin(),
    )
    .unwrap();
    let app = local
        .api
        .service
        .store
        .application_by_number(&number)
        .await
        .unwrap()
        .unwrap();
    let deadline = current_deadline(&app).expect("a deadline");
    let day = local_date(deadline);
    let count = |html: &str, label: &str| -> u64 {
        let at = html
            .find(&format!("<dt>{label}</dt><dd>"))
            .unwrap_or_else(|| panic!("{label}: {html}"));
        let rest = &html[at + label.len() + 13..];
        rest[..rest.find('<').unwrap()].parse().unwrap()
    };
    local.clock.set(
        end_of_day(day - chrono::Duration::days(1)).with_timezone(&chrono::Utc)
            - chrono::Duration::hours(2),
    );
    let eve = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(count(&eve.html, "Срок истекает завтра"), 2, "{}", eve.html);
    assert_eq!(count(&eve.html, "Срок истекает сегодня"), 0);
    local
        .clock
        .set(end_of_day(day).with_timezone(&chrono::Utc) - chrono::Duration::hours(12));
    let on_the_day = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(
        count(&on_the_day.html, "Срок истекает сегодня"),
        2,
        "{}",
        on_the_day.html
    );
    assert_eq!(count(&on_the_day.html, "Срок истекает завтра"), 0);

    // Past it: due now, until a sweep takes them; the sweep's pass is on the page.
    local
        .clock
        .set(deadline.with_timezone(&chrono::Utc) + chrono::Duration::minutes(1));
    let due = b.get("/admin/numbers?district=KOK").await;
    let label = "Сроки и напоминания, ждущие ближайшей проверки";
    assert_eq!(count(&due.html, label), 2, "{}", due.html);
    let report = local.api.service.sweep(Sweep::Expiry).await.unwrap();
    assert_eq!(report.lapsed, 2);
    let swept = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(count(&swept.html, label), 0);
    assert!(
        swept.html.contains("<td>Проверка сроков</td>"),
        "{}",
        swept.html
    );
    assert!(
        swept.html.contains("<td>2</td><td>2</td>"),
        "read 2, acted on 2: {}",
        swept.html
    );
}

#[tokio::test]
async fn the_dashboard_link_is_there_only_when_the_deployment_names_one() {
    let (local, _) = runner_with_staff().await;
    let (mut b, _) = sign_in(&local, OPERATOR, "en").await;
    let page = b.get("/admin/numbers?district=KOK").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("CloudWatch"), "{}", page.html);
    let web = kezek_web::Web::new(local.api.clone(), &[7u8; 32], true, "1414");
    assert!(web.clone().with_dashboard("javascript:alert(1)").is_err());
    assert!(web.clone().with_dashboard("http://example.com").is_err());
    assert!(web.with_dashboard("https://example.com/d\"x").is_err());
}
