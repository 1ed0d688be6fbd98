//! The operators' desk through its pages (issue 18, first part): an operator signs in with the
//! parents' login forms and lands on the desk; adds a kindergarten (a refused form keeps its
//! answers), changes it, sets its free places and is told what that does to the voucher pool;
//! reads the district's queue in order, page by page. An operator of another district, and a
//! parent, get 403 on every page and form of this district, and nothing changes.

mod pages;
use pages::desk::*;
use pages::*;

use axum::http::StatusCode;
use chrono::NaiveDate;

#[tokio::test]
async fn an_operator_keeps_the_catalogue_through_pages() {
    let (local, _) = runner_with_staff().await;
    let (mut b, landed) = sign_in(&local, OPERATOR, "ru").await;
    assert_eq!(landed.as_deref(), Some("/admin"));
    let desk = b.get("/admin").await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(desk.html.contains("Кабинет оператора"), "{}", desk.html);
    assert!(desk
        .html
        .contains("href=\"/admin/kindergartens?district=KOK\""));

    let list = b.get("/admin/kindergartens?district=KOK").await;
    assert!(list
        .html
        .contains("В районе пока нет дошкольных организаций"));
    let new = b.get("/admin/kindergartens/new?district=KOK").await;
    assert_eq!(new.status, StatusCode::OK);
    // A name left out: the form comes back with the error summary and the other answers.
    let mut fields = kindergarten(&csrf(&new.html), "Балапан");
    fields.retain(|(k, _)| *k != "name_ru");
    let refused = post_owned(&mut b, "/admin/kindergartens/new", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("error-summary"));
    assert!(
        refused.html.contains("href=\"#name_ru\""),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("Название (на русском)"));
    assert!(refused.html.contains("value=\"Балапан бөбекжайы\""));
    assert!(catalogue(&local).await.is_empty(), "nothing written");

    let created = post_owned(
        &mut b,
        "/admin/kindergartens/new",
        &kindergarten(&csrf(&new.html), "Балапан"),
    )
    .await;
    let to = created.location.clone().expect("to the places");
    assert!(to.ends_with("/places?created=1"), "{to}");
    let id = to
        .trim_start_matches("/admin/kindergartens/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let places = b.follow(&created).await;
    assert!(places.html.contains("Теперь укажите её свободные места"));
    // Ten places for age group 3: the page says what the next run can do with them.
    let set = b
        .post(
            &format!("/admin/kindergartens/{id}/places"),
            &[("csrf", &csrf(&places.html)), ("age_3", "10")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.html);
    let after = b.follow(&set).await;
    assert!(
        after
            .html
            .contains("Мест в группе 3 лет больше на 10: следующее распределение сможет выдать до 10 ваучеров больше."),
        "{}",
        after.html
    );
    assert_eq!(catalogue(&local).await[0].free_places.get("3"), Some(&10));
    // Fewer, and a number that is not one.
    let fewer = b
        .post(
            &format!("/admin/kindergartens/{id}/places"),
            &[("csrf", &csrf(&after.html)), ("age_3", "7"), ("age_4", "2")],
        )
        .await;
    let fewer = b.follow(&fewer).await;
    assert!(
        fewer.html.contains("Мест в группе 3 лет меньше на 3"),
        "{}",
        fewer.html
    );
    assert!(fewer.html.contains("Мест в группе 4 лет больше на 2"));
    let bad = b
        .post(
            &format!("/admin/kindergartens/{id}/places"),
            &[("csrf", &csrf(&fewer.html)), ("age_3", "many")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("href=\"#age_3\""), "{}", bad.html);
    assert!(bad.html.contains("value=\"many\""));
    assert_eq!(catalogue(&local).await[0].free_places.get("3"), Some(&7));

    // The list shows it with its places; its details change through the edit form.
    let list = b.get("/admin/kindergartens?district=KOK").await;
    assert!(list.html.contains("Ясли-сад Балапан"), "{}", list.html);
    assert!(list.html.contains("3 лет: 7"), "{}", list.html);
    let edit = b.get(&format!("/admin/kindergartens/{id}")).await;
    assert!(edit.html.contains("value=\"+7 7162 00 00 00\""));
    let mut changed = kindergarten(&csrf(&edit.html), "Балапан");
    changed.retain(|(k, _)| *k != "languages");
    changed.push(("languages", "kk".into()));
    let saved = post_owned(&mut b, &format!("/admin/kindergartens/{id}"), &changed).await;
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("/admin/kindergartens/{id}?saved=1").as_str()),
        "{}",
        saved.html
    );
    let kg = &catalogue(&local).await[0];
    assert_eq!(
        kg.languages,
        kezek_core::domain::InstructionLanguage::Kk,
        "changed"
    );
    assert_eq!(kg.free_places.get("3"), Some(&7), "places kept");
}

#[tokio::test]
async fn the_queue_page_shows_the_district_queue_in_order_page_by_page() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 52).await;
    let numbers: Vec<&String> = registered.iter().map(|(n, _)| n).collect();
    let today = kezek_core::time::local_date(local.api.service.now());
    let age = kezek_core::queue::age_group(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(), today);
    let (mut b, _) = sign_in(&local, OPERATOR, "kk").await;
    let first = b
        .get(&format!("/admin/queue?district=KOK&age_group={age}"))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.html);
    // In registration order, the first fifty, with the next page linked.
    let at = |html: &str, n: &str| html.find(&format!("<td>{n}</td>"));
    assert!(at(&first.html, numbers[0]).unwrap() < at(&first.html, numbers[1]).unwrap());
    assert!(at(&first.html, numbers[49]).is_some());
    assert!(at(&first.html, numbers[50]).is_none());
    assert!(first.html.contains("Келесі бет"));
    for (_, child) in &registered {
        assert!(!first.html.contains(child.as_str()), "no child's full IIN");
    }
    assert!(first.html.contains("1–50 орындар"), "{}", first.html);
    // The next page starts after the first page's last row (a cursor, not an offset).
    let next = first
        .html
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("after="))
        .expect("the next page's link")
        .replace("&amp;", "&");
    assert!(next.contains("after="), "{next}");
    let second = b.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.html);
    assert!(at(&second.html, numbers[50]).is_some(), "{}", second.html);
    assert!(at(&second.html, numbers[51]).is_some());
    assert!(at(&second.html, numbers[49]).is_none());
    assert!(second.html.contains("<td>51</td>"));
    assert!(second.html.contains("51–52 орындар"));
    assert!(!second.html.contains("Келесі бет"));
    assert!(second.html.contains("Кезектің басына"));
    // The row the cursor names left the queue meanwhile (withdrawn): the page still starts
    // right after where it stood, and the places are counted anew.
    let last_of_first = kezek_core::values::RegistrationNumber::parse(
        numbers[49],
        kezek_core::reference::Reference::builtin(),
    )
    .unwrap();
    let app = local
        .api
        .service
        .store
        .application_by_number(&last_of_first)
        .await
        .unwrap()
        .unwrap();
    let parent = kezek_core::Principal {
        iin: app.applicant_iin.clone(),
        role: kezek_core::Role::Parent,
        districts: vec![],
    };
    local
        .api
        .service
        .act(
            &parent,
            &app.id,
            kezek_core::inputs::ParentAction::Withdraw,
            kezek_core::domain::Language::Kk,
        )
        .await
        .unwrap();
    let again = b.get(&next).await;
    assert!(at(&again.html, numbers[50]).is_some(), "{}", again.html);
    assert!(
        again.html.contains("<td>50</td>"),
        "one place up: {}",
        again.html
    );
    // A cursor that is no number of this queue: the field's error.
    let wrong = b
        .get(&format!(
            "/admin/queue?district=KOK&age_group={age}&after=XYZ"
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.html);
    // An age group that is none: the error summary, in the page's language.
    let bad = b.get("/admin/queue?district=KOK&age_group=x").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("href=\"#age_group\""), "{}", bad.html);
}

#[tokio::test]
async fn another_districts_operator_and_a_parent_get_403_on_every_page_and_form() {
    let (local, other) = runner_with_staff().await;
    let (mut ours, _) = sign_in(&local, OPERATOR, "en").await;
    let new = ours.get("/admin/kindergartens/new?district=KOK").await;
    let created = post_owned(
        &mut ours,
        "/admin/kindergartens/new",
        &kindergarten(&csrf(&new.html), "Ak"),
    )
    .await;
    let id = created
        .location
        .unwrap()
        .trim_start_matches("/admin/kindergartens/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    register(&local, 1).await;

    let (mut theirs, landed) = sign_in(&local, &other_operator(), "en").await;
    assert_eq!(landed.as_deref(), Some("/admin"));
    // Their own district's desk opens.
    let own = theirs.get(&format!("/admin?district={other}")).await;
    assert_eq!(own.status, StatusCode::OK);
    let token = csrf(&own.html);
    let (mut parent, _) = sign_in(&local, PARENT, "en").await;
    let parent_token = csrf(&parent.get("/journal").await.html);
    let pages = [
        "/admin?district=KOK".to_owned(),
        "/admin/kindergartens?district=KOK".to_owned(),
        "/admin/kindergartens/new?district=KOK".to_owned(),
        format!("/admin/kindergartens/{id}"),
        format!("/admin/kindergartens/{id}/places"),
        "/admin/queue?district=KOK&age_group=3".to_owned(),
    ];
    for (b, token) in [(&mut theirs, &token), (&mut parent, &parent_token)] {
        for p in &pages {
            let r = b.get(p).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}: {}", r.html);
        }
        let forms = [
            (
                "/admin/kindergartens/new".to_owned(),
                kindergarten(token, "Theirs"),
            ),
            (
                format!("/admin/kindergartens/{id}"),
                kindergarten(token, "Renamed"),
            ),
            (
                format!("/admin/kindergartens/{id}/places"),
                vec![("csrf", token.to_string()), ("age_3", "99".into())],
            ),
        ];
        for (path, fields) in &forms {
            let r = post_owned(b, path, fields).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.html);
        }
    }
    let kgs = catalogue(&local).await;
    assert_eq!(kgs.len(), 1, "nothing added");
    // The same form and token in their own district is taken: the 403s above were the policy's.
    let mut own_kg = kindergarten(&token, "Own");
    own_kg.retain(|(k, _)| *k != "district");
    own_kg.push(("district", other.clone()));
    let taken = post_owned(&mut theirs, "/admin/kindergartens/new", &own_kg).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.html);
    assert_eq!(kgs[0].name_ru, "Ясли-сад Ak", "nothing renamed");
    assert!(kgs[0].free_places.is_empty(), "no places set");
    // Signed out: the desk asks for a login and comes back to it.
    let mut nobody = Browser::new(local.clone().router(), "en");
    let asked = nobody.get("/admin/kindergartens?district=KOK").await;
    assert_eq!(asked.location.as_deref(), Some("/login"));
}
