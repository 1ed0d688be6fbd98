//! The public queue check (issue 19): anyone, without logging in, types a registration number
//! and sees its district, age group, registration day, status and, while queued, its exact
//! position. Never a name, an IIN, a phone, an e-mail or a privilege. The same use case as
//! `GET /v1/public/queue/{registration_number}`.

use super::*;
use crate::pages::{self, Frame};
use maud::html;

struct Words {
    title: &'static str,
    lead: &'static str,
    number: &'static str,
    number_hint: &'static str,
    check: &'static str,
    not_found: &'static str,
    district: &'static str,
    age_group: &'static str,
    registered_on: &'static str,
    status: &'static str,
    position: &'static str,
    nothing_personal: &'static str,
}

const KK: Words = Words {
    title: "Кезектегі орынды тексеру",
    lead: "Тіркеу нөмірі бойынша кез келген адам өтініштің мәртебесі мен кезектегі орнын көре алады. Жүйеге кіру қажет емес.",
    number: "Тіркеу нөмірі",
    number_hint: "Хабарламадағыдай, мысалы КОК.2026.248.",
    check: "Тексеру",
    not_found: "Мұндай нөмірлі өтініш жоқ. Нөмірді хабарламамен салыстырыңыз.",
    district: "Аудан",
    age_group: "Жас тобы",
    registered_on: "Тіркелген күні",
    status: "Мәртебесі",
    position: "Кезектегі орны",
    nothing_personal: "Мұнда аты-жөні, ЖСН, телефон, электрондық пошта және жеңілдік көрсетілмейді.",
};

const RU: Words = Words {
    title: "Проверить место в очереди",
    lead: "По регистрационному номеру любой может увидеть статус заявления и место в очереди. Входить в систему не нужно.",
    number: "Регистрационный номер",
    number_hint: "Как в уведомлении, например КОК.2026.248.",
    check: "Проверить",
    not_found: "Заявления с таким номером нет. Сверьте номер с уведомлением.",
    district: "Район",
    age_group: "Возрастная группа",
    registered_on: "Дата регистрации",
    status: "Статус",
    position: "Место в очереди",
    nothing_personal: "Здесь не показываются имя, ИИН, телефон, электронная почта и льгота.",
};

const EN: Words = Words {
    title: "Check a place in the queue",
    lead: "Anyone can see an application's status and place in the queue by its registration number. No login is needed.",
    number: "Registration number",
    number_hint: "As in the notice, for example КОК.2026.248.",
    check: "Check",
    not_found: "No application has this number. Compare it with the notice.",
    district: "District",
    age_group: "Age group",
    registered_on: "Registered on",
    status: "Status",
    position: "Place in the queue",
    nothing_personal: "No name, IIN, phone, e-mail or privilege is shown here.",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// `/queue`: the form, and with `?number=` its answer.
pub(crate) async fn check(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let w = words(visit.lang);
    let number = q
        .get("number")
        .map(|n| n.trim().chars().take(64).collect::<String>())
        .filter(|n| !n.is_empty());
    let mut answers = Answers::default();
    let mut status = StatusCode::OK;
    let mut found = None;
    let mut missing = false;
    if let Some(n) = &number {
        answers.values.push(("number", n.clone()));
        match web.api.service.public_queue_check(n, visit.lang).await {
            Ok(v) => found = Some(v),
            Err(Failure::NotFound { .. }) => {
                missing = true;
                status = StatusCode::NOT_FOUND;
            }
            Err(f @ Failure::BadInput { .. }) => {
                let (_, m) = field_error(&web, visit.lang, &f, &["number"], "number");
                answers.errors.push(("number", m));
                status = StatusCode::BAD_REQUEST;
            }
            Err(f) => return failure_page(&web, &visit, &f),
        }
    }
    let frame = Frame::new(&web, &visit, "/queue");
    let html = pages::layout_error(
        &frame,
        w.title,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(&frame, &answers))
            h1 { (w.title) }
            p.lead { (w.lead) }
            form method="get" action="/queue" novalidate {
                (pages::field(&answers, "number", w.number, w.number_hint, "text", "off", "text"))
                button.button type="submit" { (w.check) }
            }
            @if missing {
                div.panel role="status" { p { (w.not_found) } }
            }
            @if let Some(v) = &found {
                div.panel role="status" {
                    h2 { (v.registration_number) }
                    dl.summary {
                        dt { (w.district) } dd { (pages::district_named(&frame, &v.district)) }
                        dt { (w.age_group) } dd { (v.age_group) }
                        dt { (w.registered_on) } dd { (v.registered_on.format("%d.%m.%Y")) }
                        dt { (w.status) } dd { strong.tag { (v.status_label) } }
                        @if let Some(p) = v.position {
                            dt { (w.position) } dd { (p) }
                        }
                    }
                }
                p.hint { (w.nothing_personal) }
            }
        },
    );
    page(&web, &visit, status, html)
}
