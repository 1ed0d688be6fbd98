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
    pub previous: &'static str,
    pub next: &'static str,
    pub page_of: fn(usize) -> String,
    pub to_desk: &'static str,
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
    previous: "Алдыңғы бет",
    next: "Келесі бет",
    page_of: |n| format!("{n}-бет"),
    to_desk: "Оператор кабинетіне",
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
    previous: "Предыдущая страница",
    next: "Следующая страница",
    page_of: |n| format!("Страница {n}"),
    to_desk: "В кабинет оператора",
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
    previous: "Previous page",
    next: "Next page",
    page_of: |n| format!("Page {n}"),
    to_desk: "To the operator's desk",
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
    let age = q.get("age_group").cloned().unwrap_or_else(|| "3".into());
    let page_no = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| (1..=1000).contains(p))
        .unwrap_or(1);
    let w = words(visit.lang);
    // One more row than the page shows: whether there is a next page.
    let limit = page_no * QUEUE_PAGE + 1;
    let (rows, error) = match web
        .api
        .service
        .admin_queue(&who, &district, &age, limit)
        .await
    {
        Ok(rows) => (rows, None),
        Err(f @ Failure::BadInput { .. }) => (
            Vec::new(),
            Some(field_error(
                &web,
                visit.lang,
                &f,
                &["age_group"],
                "age_group",
            )),
        ),
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let more = rows.len() > page_no * QUEUE_PAGE;
    let shown: Vec<_> = rows
        .into_iter()
        .skip((page_no - 1) * QUEUE_PAGE)
        .take(QUEUE_PAGE)
        .collect();
    let answers = Answers {
        values: vec![("age_group", age.clone())],
        errors: error.map(|(_, m)| ("age_group", m)).into_iter().collect(),
    };
    let status = if answers.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let frame = Frame::new(&web, &visit, "/admin/queue").operator();
    let link = |p: usize| format!("/admin/queue?district={district}&age_group={age}&page={p}");
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
            @if answers.errors.is_empty() {
                @if shown.is_empty() {
                    p { (w.empty) }
                } @else {
                    p.hint { ((w.page_of)(page_no)) }
                    (entries(&frame, &shown))
                    nav.pager aria-label=(w.queue) {
                        @if page_no > 1 { a href=(link(page_no - 1)) { (w.previous) } }
                        @if more { a href=(link(page_no + 1)) { (w.next) } }
                    }
                }
            }
        },
    );
    page(&web, &visit, status, html)
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
