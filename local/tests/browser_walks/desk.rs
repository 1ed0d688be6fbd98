//! The operators' desk in a real browser (issue 18): an operator of one district signs in with the
//! login forms, adds a kindergarten and sets its places, opens a privilege claim's document and
//! rejects the claim with a reason, previews and starts a voucher run, and sees the day's numbers
//! change; another district's desk answers 403. Every page goes through the same checks as the
//! parents' (axe-core, weight, no sideways scroll, screenshots).

use super::*;

/// The words the walk reads on the pages, by language.
struct Seen {
    offered: &'static str,
    queued: &'static str,
    places_more: &'static str,
    rejected: &'static str,
    promised: &'static str,
    language: kezek_core::domain::Language,
}

fn seen(lang: &str) -> Seen {
    match lang {
        "kk" => Seen {
            offered: "Ұсынылған ваучерлер",
            queued: "Кезекте",
            places_more: "орын қосылды",
            rejected: "Жеңілдіктен бас тартылды",
            promised: "жолдамалар әлі пайдаланылмаған",
            language: kezek_core::domain::Language::Kk,
        },
        _ => Seen {
            offered: "Предложенные ваучеры",
            queued: "В очереди",
            places_more: "больше на 2",
            rejected: "Льгота отклонена",
            promised: "выданы путёвки, которые ещё не использованы",
            language: kezek_core::domain::Language::Ru,
        },
    }
}

/// A figure of the day's numbers: the `<dd>` after the `<dt>` named `label`.
fn figure(html: &str, label: &str) -> u64 {
    let at = html
        .find(&format!("<dt>{label}</dt><dd>"))
        .unwrap_or_else(|| panic!("{label} on the page"));
    let rest = &html[at + label.len() + 13..];
    rest[..rest.find('<').unwrap()].trim().parse().unwrap()
}

/// A valid IIN for an operator of KOK only (the seed operator has every district).
fn kok_operator() -> String {
    (1..)
        .find_map(|s| {
            kezek_core::iin::make_iin(
                chrono::NaiveDate::from_ymd_opt(1984, 8, 8).unwrap(),
                true,
                s,
            )
        })
        .unwrap()
        .as_str()
        .to_owned()
}

pub(super) async fn operators_desk(driver: &Driver, lang: &str, eds: &Eds) -> Walk {
    let words = seen(lang);
    let runner = serve(tuesday(), eds).await;
    let operator = kok_operator();
    runner
        .0
        .api
        .identity
        .credentials
        .put_operator(
            &kezek_core::iin::Iin::try_from(operator.clone()).unwrap(),
            vec!["KOK".into()],
        )
        .await
        .unwrap();
    // A parent's claim with its proof waits for a look (the parents' side has its own walk).
    let claim = crate::pages::desk::claimant(
        &runner.0,
        chrono::NaiveDate::from_ymd_opt(2023, 5, 5).unwrap(),
        7000,
    )
    .await;
    let (claim, age) = (claim.id, claim.age_group);
    let mut w = walk(driver, "desk", lang, runner, eds).await;

    // The login forms, as a parent's; the desk after them.
    w.open("/login").await;
    w.fill("iin", &operator).await;
    w.fill("phone", PHONE).await;
    w.submit().await;
    let code = w.code();
    w.fill("code", &code).await;
    w.submit().await;
    if w.here().await == "/profile/email" {
        w.fill("email", "operator@kokshetau.kz").await;
        w.submit().await;
    }
    assert_eq!(w.here().await, "/admin", "{}", w.html().await);

    // The day's numbers before.
    w.follow("a[href^='/admin/numbers']").await;
    let before = w.html().await;
    let offered_before = figure(&before, words.offered);
    assert!(before.contains("<svg"), "the chart");

    // A kindergarten added, and two places for the claimant's age group.
    w.open("/admin").await;
    w.follow("a[href^='/admin/kindergartens?']").await;
    w.follow("a.button[href^='/admin/kindergartens/new']").await;
    w.fill("name_kk", "Айгөлек").await;
    w.fill("name_ru", "Айгөлек").await;
    w.fill("address", "Көкшетау, Абай к-сі, 12").await;
    w.fill("phone", "+7 7162 25 00 00").await;
    w.submit().await;
    assert!(w.here().await.ends_with("/places"), "{}", w.here().await);
    let places_page = w.here().await;
    w.fill(&format!("age_{age}"), "2").await;
    w.submit().await;
    assert!(
        w.html().await.contains(words.places_more),
        "{}",
        w.html().await
    );

    // The district's other places for the age group closed (through the service): the run's
    // vouchers then need this kindergarten's two, and a cut of them is refused below.
    let ours = places_page
        .trim_start_matches("/admin/kindergartens/")
        .trim_end_matches("/places")
        .to_owned();
    let desk = kezek_core::Principal {
        iin: kezek_core::iin::Iin::try_from(operator.clone()).unwrap(),
        role: kezek_core::Role::Operator,
        districts: vec!["KOK".into()],
    };
    let local = w.local.clone();
    for k in local
        .api
        .service
        .store
        .kindergartens(Some("KOK"))
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.id != ours)
    {
        local
            .api
            .service
            .set_places(&desk, &k.id, [(age.to_string(), 0)].into())
            .await
            .unwrap();
    }

    // The claim: its document opens, then it is rejected with a reason.
    w.open("/admin/privileges?district=KOK").await;
    w.follow(&format!("a[href='/admin/privileges/{claim}']"))
        .await;
    let link = w
        .client
        .find(Locator::Css("ul.documents a"))
        .await
        .expect("the document's link")
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let out = Command::new("curl").args(["-s", &link]).output().unwrap();
    assert!(out.stdout.starts_with(b"%PDF"), "the claim's PDF at {link}");
    w.fill("reason", "Анықтаманың мерзімі өткен").await;
    w.press("form[action$='/reject'] button").await;
    let list = w.html().await;
    assert!(list.contains(words.rejected), "{list}");
    assert!(!list.contains(&format!("/admin/privileges/{claim}")));

    // The run: what it would do, then done.
    w.open(&format!("/admin/runs?district=KOK&age_group={age}"))
        .await;
    let preview = w.html().await;
    assert!(
        preview.contains("<table"),
        "who would be offered: {preview}"
    );
    w.press("form[method=post][action='/admin/runs'] button")
        .await;
    let result = w.html().await;
    assert!(result.contains("23:59"), "each offer's deadline: {result}");
    let offered = w
        .local
        .api
        .service
        .stats(
            &kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from(operator.clone()).unwrap(),
                role: kezek_core::Role::Operator,
                districts: vec!["KOK".into()],
            },
            "KOK",
        )
        .await
        .unwrap()
        .vouchers
        .offered;
    assert!(offered > offered_before, "{offered_before} -> {offered}");

    // A cut below the vouchers just offered: refused, the error summary naming the age group,
    // nothing written.
    let svc = &local.api.service;
    let outstanding = svc.store.outstanding_vouchers("KOK", age).await.unwrap();
    let free: u32 = svc
        .store
        .kindergartens(Some("KOK"))
        .await
        .unwrap()
        .iter()
        .map(|k| k.free_places.get(&age).copied().unwrap_or(0))
        .sum();
    assert!(
        outstanding > free - 2,
        "{outstanding} offered over {free} places"
    );
    w.open(&places_page).await;
    w.fill(&format!("age_{age}"), "0").await;
    w.submit().await;
    let refused = w.html().await;
    assert!(refused.contains("error-summary"), "{refused}");
    assert!(
        refused.contains(&format!("href=\"#age_{age}\"")),
        "{refused}"
    );
    assert!(refused.contains(words.promised), "{refused}");
    assert_eq!(
        svc.store
            .kindergartens(Some("KOK"))
            .await
            .unwrap()
            .iter()
            .map(|k| k.free_places.get(&age).copied().unwrap_or(0))
            .sum::<u32>(),
        free,
        "nothing written"
    );

    // The numbers moved with it.
    w.open("/admin/numbers?district=KOK").await;
    let after = w.html().await;
    assert_eq!(figure(&after, words.offered), offered);
    assert!(after.contains(words.queued));
    assert!(after.contains("<code>"), "the run's log entry: {after}");

    // The queue: the claimant found by its registration number, typed into the search.
    let number = w
        .local
        .api
        .service
        .store
        .application(&claim)
        .await
        .unwrap()
        .expect("the claimant")
        .registration_number;
    w.open("/admin/queue?district=KOK").await;
    w.fill("number", &number).await;
    w.press("form#find button").await;
    let found = w.html().await;
    assert!(found.contains(&format!("<dd>{number}</dd>")), "{found}");

    // Another district's desk is not this operator's: the page says so, and links nothing of it.
    let other = kezek_core::reference::Reference::builtin()
        .districts
        .iter()
        .map(|d| d.code.clone())
        .find(|c| c != "KOK")
        .unwrap();
    w.open(&format!("/admin?district={other}")).await;
    let refused = w.html().await;
    assert!(
        refused.contains(kezek_web::words::of(words.language).forbidden),
        "{refused}"
    );
    assert!(!refused.contains(&format!("/admin/kindergartens?district={other}")));
    w
}
