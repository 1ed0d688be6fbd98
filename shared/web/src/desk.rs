//! The operators' desk (issue 18, first part): the home page with the district switch and a link
//! to each operator page, and a district's queue by age group, in order and paged. An operator
//! signs in with the parents' login forms; the staff register decides whose districts are whose,
//! and the access policy decides every page and form (another district's: 403).

use super::*;
use crate::pages::{self, Frame};
use kezek_core::access::{self, On, Operation};
use maud::{html, Markup};

pub(crate) struct Words {
    pub desk: &'static str,
    pub district: &'static str,
    pub district_hint: &'static str,
    pub show: &'static str,
    pub kindergartens: &'static str,
    pub kindergartens_hint: &'static str,
    pub queue: &'static str,
    pub queue_hint: &'static str,
    pub runs: &'static str,
    pub runs_hint: &'static str,
    pub numbers: &'static str,
    pub numbers_hint: &'static str,
    pub privileges: &'static str,
    pub privileges_hint: &'static str,
    pub age_group: &'static str,
    pub age_group_hint: &'static str,
    pub position: &'static str,
    pub number: &'static str,
    pub registered: &'static str,
    pub child: &'static str,
    pub privilege: &'static str,
    pub status: &'static str,
    pub queued: &'static str,
    pub none: &'static str,
    pub empty: &'static str,
    pub first: &'static str,
    pub next: &'static str,
    pub rows_of: fn(u64, u64) -> String,
    pub to_desk: &'static str,
    pub find: &'static str,
    pub find_hint: &'static str,
    pub find_button: &'static str,
    pub not_found: fn(&str) -> String,
    pub found_age_group: &'static str,
}

const KK: Words = Words {
    desk: "Оператор кабинеті",
    district: "Аудан",
    district_hint: "Сізге бекітілген аудандар ғана.",
    show: "Көрсету",
    kindergartens: "Мектепке дейінгі ұйымдар",
    kindergartens_hint: "Тізім, жаңасын қосу, деректер мен бос орындарды өзгерту.",
    queue: "Кезек",
    queue_hint: "Жас тобы бойынша кезек реті.",
    runs: "Жолдама беру",
    runs_hint: "Алдымен не болатынын көріп, содан кейін ваучерлерді ұсыну.",
    numbers: "Күннің көрсеткіштері",
    numbers_hint: "Мәртебелер, мерзімдер, ваучерлер, хабарламалар, бос орындар.",
    privileges: "Жеңілдіктерді тексеру",
    privileges_hint: "Жүктелген құжаттарды ашып, жеңілдікті растау немесе бас тарту.",
    age_group: "Жас тобы",
    age_group_hint: "Баланың жасы, жыл (0–7).",
    position: "Орны",
    number: "Тіркеу нөмірі",
    registered: "Тіркелген уақыты",
    child: "Баланың ЖСН",
    privilege: "Жеңілдік",
    status: "Мәртебесі",
    queued: "Кезекте",
    none: "—",
    empty: "Бұл жас тобының кезегінде ешкім жоқ.",
    first: "Кезектің басына",
    next: "Келесі бет",
    rows_of: |a, b| format!("{a}–{b} орындар"),
    to_desk: "Оператор кабинетіне",
    find: "Тіркеу нөмірі бойынша іздеу",
    find_hint: "Мысалы, КОК.2026.248.",
    find_button: "Табу",
    not_found: |n| format!("Осы ауданда {n} нөмірлі өтініш табылмады."),
    found_age_group: "Жас тобы",
};

const RU: Words = Words {
    desk: "Кабинет оператора",
    district: "Район",
    district_hint: "Только закреплённые за вами районы.",
    show: "Показать",
    kindergartens: "Дошкольные организации",
    kindergartens_hint: "Список, добавление, изменение данных и свободных мест.",
    queue: "Очередь",
    queue_hint: "Порядок очереди по возрастной группе.",
    runs: "Распределение ваучеров",
    runs_hint: "Посмотреть, что произойдёт, и предложить ваучеры.",
    numbers: "Показатели дня",
    numbers_hint: "Статусы, сроки, ваучеры, уведомления, свободные места.",
    privileges: "Проверка льгот",
    privileges_hint: "Открыть загруженные документы, подтвердить или отклонить льготу.",
    age_group: "Возрастная группа",
    age_group_hint: "Возраст ребёнка в годах (0–7).",
    position: "Место",
    number: "Регистрационный номер",
    registered: "Время регистрации",
    child: "ИИН ребёнка",
    privilege: "Льгота",
    status: "Статус",
    queued: "В очереди",
    none: "—",
    empty: "В очереди этой возрастной группы никого нет.",
    first: "К началу очереди",
    next: "Следующая страница",
    rows_of: |a, b| format!("Места с {a} по {b}"),
    to_desk: "В кабинет оператора",
    find: "Поиск по регистрационному номеру",
    find_hint: "Например, КОК.2026.248.",
    find_button: "Найти",
    not_found: |n| format!("Заявление с номером {n} в этом районе не найдено."),
    found_age_group: "Возрастная группа",
};

const EN: Words = Words {
    desk: "Operator's desk",
    district: "District",
    district_hint: "Only the districts you are an operator of.",
    show: "Show",
    kindergartens: "Kindergartens",
    kindergartens_hint: "The list, adding one, changing its details and its free places.",
    queue: "Queue",
    queue_hint: "The queue's order by age group.",
    runs: "Voucher runs",
    runs_hint: "See what a run would do, then offer the vouchers.",
    numbers: "The day's numbers",
    numbers_hint: "Statuses, deadlines, vouchers, notifications, free places.",
    privileges: "Privilege review",
    privileges_hint: "Open the uploaded documents, then verify or reject the claim.",
    age_group: "Age group",
    age_group_hint: "The child's age in years (0–7).",
    position: "Place",
    number: "Registration number",
    registered: "Registered at",
    child: "Child's IIN",
    privilege: "Privilege",
    status: "Status",
    queued: "In the queue",
    none: "—",
    empty: "No one is in this age group's queue.",
    first: "To the head of the queue",
    next: "Next page",
    rows_of: |a, b| format!("Places {a} to {b}"),
    to_desk: "To the operator's desk",
    find: "Find by registration number",
    find_hint: "For example, КОК.2026.248.",
    find_button: "Find",
    not_found: |n| format!("No application of this district has the number {n}."),
    found_age_group: "Age group",
};

pub(crate) fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// Rows of the queue on one page.
pub const QUEUE_PAGE: usize = 50;

/// The signed-in operator, or where to go instead: the login (remembering `here`), or 403 for
/// anyone who is not an operator.
pub(crate) fn operator(web: &Web, visit: &Visit, here: &str) -> Result<Principal, Box<Response>> {
    let Some(who) = principal(web, visit) else {
        return Err(Box::new(to_login(web, here)));
    };
    if who.role != kezek_core::Role::Operator {
        return Err(Box::new(error_page(web, visit, StatusCode::FORBIDDEN)));
    }
    Ok(who)
}

/// The district a page is about: the one asked for, else the operator's first. Whether the
/// operator may see it is the access policy's decision, made by the use case the page calls (or
/// here, for a page that calls none before it renders).
pub(crate) fn district_of(who: &Principal, asked: Option<&String>) -> String {
    asked
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .or_else(|| who.districts.first().cloned())
        .unwrap_or_default()
}

/// The access policy on a district's page: 403 unless `who` may do `op` there.
pub(crate) fn permitted(
    web: &Web,
    visit: &Visit,
    who: &Principal,
    op: Operation,
    district: &str,
) -> Result<(), Box<Response>> {
    access::permit(who, op, On::District(district))
        .map_err(|f| Box::new(failure_page(web, visit, &f)))
}

/// The district switch: a GET form over the operator's own districts.
pub(crate) fn district_switch(f: &Frame, who: &Principal, action: &str, chosen: &str) -> Markup {
    let w = words(f.lang());
    html! {
        form.switch method="get" action=(action) {
            div.field {
                label for="district" { (w.district) }
                p.hint id="district-hint" { (w.district_hint) }
                select id="district" name="district" aria-describedby="district-hint" {
                    @for d in &who.districts {
                        option value=(d) selected[d == chosen] { (pages::district_named(f, d)) }
                    }
                }
            }
            button.button.secondary type="submit" { (w.show) }
        }
    }
}

pub(crate) async fn desk(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    if let Err(r) = permitted(&web, &visit, &who, Operation::ViewQueue, &district) {
        return *r;
    }
    let frame = Frame::new(&web, &visit, "/admin").operator();
    let w = words(visit.lang);
    let html = pages::layout_error(
        &frame,
        w.desk,
        false,
        html! {
            h1 { (w.desk) ": " (pages::district_named(&frame, &district)) }
            (district_switch(&frame, &who, "/admin", &district))
            ul.links {
                li {
                    a href={ "/admin/kindergartens?district=" (district) } { (w.kindergartens) }
                    p.hint { (w.kindergartens_hint) }
                }
                li {
                    a href={ "/admin/queue?district=" (district) "&age_group=3" } { (w.queue) }
                    p.hint { (w.queue_hint) }
                }
                li {
                    a href={ "/admin/runs?district=" (district) "&age_group=3" } { (w.runs) }
                    p.hint { (w.runs_hint) }
                }
                li {
                    a href={ "/admin/numbers?district=" (district) } { (w.numbers) }
                    p.hint { (w.numbers_hint) }
                }
                li {
                    a href={ "/admin/privileges?district=" (district) } { (w.privileges) }
                    p.hint { (w.privileges_hint) }
                }
            }
        },
    );
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn queue(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/queue") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    if let Some(number) = q.get("number").filter(|n| !n.trim().is_empty()) {
        return found(&web, &visit, &who, &district, number).await;
    }
    let age = q.get("age_group").cloned().unwrap_or_else(|| "3".into());
    // The page after the row numbered `after` (the last row of the page before), or the head.
    let after = q
        .get("after")
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let w = words(visit.lang);
    // One more row than the page shows: whether there is a next page.
    let (mut shown, error) = match web
        .api
        .service
        .admin_queue_page(&who, &district, &age, after.as_deref(), QUEUE_PAGE + 1)
        .await
    {
        Ok(rows) => (rows, None),
        Err(f @ Failure::BadInput { .. }) => (
            Vec::new(),
            Some(field_error(
                &web,
                visit.lang,
                &f,
                &["age_group", "after"],
                "age_group",
            )),
        ),
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let more = shown.len() > QUEUE_PAGE;
    shown.truncate(QUEUE_PAGE);
    let answers = Answers {
        values: vec![("age_group", age.clone())],
        // A page cursor that names no row of this queue: the number field's error (the
        // search by number is the page's number field).
        errors: error
            .map(|(f, m)| (if f == "after" { "number" } else { "age_group" }, m))
            .into_iter()
            .collect(),
    };
    let status = if answers.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let frame = Frame::new(&web, &visit, "/admin/queue").operator();
    let head = format!("/admin/queue?district={district}&age_group={age}");
    let next = shown.last().map(|e| {
        let after =
            serde_urlencoded::to_string([("after", &e.registration_number)]).unwrap_or_default();
        format!("{head}&{after}")
    });
    let span = match (shown.first(), shown.last()) {
        (Some(a), Some(b)) => (w.rows_of)(a.position, b.position),
        _ => String::new(),
    };
    let html = pages::layout_error(
        &frame,
        w.queue,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(&frame, &answers))
            p { a href={ "/admin?district=" (district) } { (w.to_desk) } }
            h1 { (w.queue) ": " (pages::district_named(&frame, &district)) }
            form.switch method="get" action="/admin/queue" novalidate {
                input type="hidden" name="district" value=(district);
                (pages::field(&answers, "age_group", w.age_group, w.age_group_hint, "text", "off", "numeric"))
                button.button.secondary type="submit" { (w.show) }
            }
            (find_form(&frame, &district, &answers))
            @if answers.errors.is_empty() {
                @if shown.is_empty() {
                    p { (w.empty) }
                } @else {
                    p.hint { (span) }
                    (entries(&frame, &shown))
                    nav.pager aria-label=(w.queue) {
                        @if after.is_some() { a href=(head) { (w.first) } }
                        @if more { @if let Some(next) = &next { a href=(next) { (w.next) } } }
                    }
                }
            }
        },
    );
    page(&web, &visit, status, html)
}

/// The search by registration number: a GET form on the queue page.
fn find_form(f: &Frame, district: &str, answers: &Answers) -> Markup {
    let w = words(f.lang());
    html! {
        form.switch #find method="get" action="/admin/queue" novalidate {
            input type="hidden" name="district" value=(district);
            (pages::field(answers, "number", w.find, w.find_hint, "text", "off", "text"))
            button.button.secondary type="submit" { (w.find_button) }
        }
    }
}

/// The queue page's answer to a search: the application's row (its place while queued, else
/// its status), or that this district has no such number; a malformed number is the field's
/// error, with a 400.
async fn found(
    web: &Web,
    visit: &Visit,
    who: &Principal,
    district: &str,
    number: &str,
) -> Response {
    let w = words(visit.lang);
    let service = &web.api.service;
    let (result, error) = match service.admin_find(who, district, number).await {
        Ok(r) => (r, None),
        Err(f @ Failure::BadInput { .. }) => (
            None,
            Some(field_error(web, visit.lang, &f, &["number"], "number")),
        ),
        Err(f) => return failure_page(web, visit, &f),
    };
    let answers = Answers {
        values: vec![("number", number.trim().chars().take(64).collect())],
        errors: error.map(|(_, m)| ("number", m)).into_iter().collect(),
    };
    let status = if answers.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let frame = Frame::new(web, visit, "/admin/queue").operator();
    let shown = answers.values[0].1.clone();
    let html = pages::layout_error(
        &frame,
        w.find,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(&frame, &answers))
            p { a href={ "/admin/queue?district=" (district) } { (w.queue) } }
            h1 { (w.find) ": " (pages::district_named(&frame, district)) }
            (find_form(&frame, district, &answers))
            @if answers.errors.is_empty() {
                @match &result {
                    None => p { ((w.not_found)(&shown)) },
                    Some(found) => {
                        p { (w.found_age_group) ": " (found.age_group) }
                        (found_entry(&frame, found))
                    }
                }
            }
        },
    );
    page(web, visit, status, html)
}

fn found_entry(f: &Frame, found: &kezek_core::views::FoundView) -> Markup {
    let w = words(f.lang());
    let e = &found.entry;
    html! {
        dl.summary {
            div { dt { (w.number) } dd { (e.registration_number) } }
            div { dt { (w.status) } dd { (f.service().texts().status(found.status, f.lang())) } }
            @if let Some(p) = found.position { div { dt { (w.position) } dd { (p) } } }
            div { dt { (w.registered) } dd { (pages::local(&e.registered_at)) } }
            div { dt { (w.child) } dd { (e.child.iin_masked) } }
            div { dt { (w.privilege) } dd { (e.privilege.as_deref().and_then(|c| pages::privilege_named(f, c)).unwrap_or_else(|| w.none.to_owned())) } }
        }
    }
}

/// Queued applications as the operators' lists show them: place, number, time, the child's IIN
/// masked, privilege, status.
pub(crate) fn entries(f: &Frame, rows: &[kezek_core::views::QueueEntryView]) -> Markup {
    let w = words(f.lang());
    html! {
        div.scroll {
            table {
                thead { tr {
                    th scope="col" { (w.position) }
                    th scope="col" { (w.number) }
                    th scope="col" { (w.registered) }
                    th scope="col" { (w.child) }
                    th scope="col" { (w.privilege) }
                    th scope="col" { (w.status) }
                } }
                tbody {
                    @for e in rows {
                        tr {
                            td { (e.position) }
                            td { (e.registration_number) }
                            td { (pages::local(&e.registered_at)) }
                            td { (e.child.iin_masked) }
                            td { (e.privilege.as_deref().and_then(|c| pages::privilege_named(f, c)).unwrap_or_else(|| w.none.to_owned())) }
                            td { (w.queued) }
                        }
                    }
                }
            }
        }
    }
}
