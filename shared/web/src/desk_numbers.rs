//! The day's numbers of a district (issue 18): applications by status as a table and as a bar
//! chart drawn on the server (SVG, no chart service, no script), deadlines due now, later today
//! and tomorrow, vouchers offered and active, notifications pending and failed, free places per
//! age group, the district's last voucher runs (from its run log) and the sweeps' last passes,
//! and a link to the stack's CloudWatch dashboard when the deployment names one. The same
//! figures as `GET /v1/admin/stats`, through the same use case and access policy.

use super::*;
use crate::desk::{district_of, operator};
use crate::pages::{self, Frame};
use kezek_core::domain::Status;
use kezek_core::views::StatsView;
use maud::{html, Markup};
use std::collections::BTreeMap;

struct Words {
    title: &'static str,
    by_status: &'static str,
    count: &'static str,
    due: &'static str,
    offered: &'static str,
    active: &'static str,
    pending: &'static str,
    failed: &'static str,
    places: &'static str,
    chart: &'static str,
    due_today: &'static str,
    due_tomorrow: &'static str,
    sweeps: &'static str,
    sweep: &'static str,
    expiry: &'static str,
    reconfirmation: &'static str,
    last_pass: &'static str,
    examined: &'static str,
    acted: &'static str,
    no_sweeps: &'static str,
    runs: &'static str,
    entry: &'static str,
    at: &'static str,
    allowed: &'static str,
    hash: &'static str,
    no_runs: &'static str,
    dashboard: &'static str,
}

const KK: Words = Words {
    title: "Күннің көрсеткіштері",
    by_status: "Мәртебелер бойынша өтініштер",
    count: "Саны",
    due: "Келесі тексеруді күтетін мерзімдер мен еске салулар",
    offered: "Ұсынылған ваучерлер",
    active: "Расталған ваучерлер",
    pending: "Жіберілуді күтетін хабарламалар",
    failed: "Жіберілмеген хабарламалар",
    places: "Жас топтары бойынша бос орындар",
    chart: "Мәртебелер бойынша өтініштер диаграммасы",
    due_today: "Мерзімі бүгін өтетіндер",
    due_tomorrow: "Мерзімі ертең өтетіндер",
    sweeps: "Соңғы тексерулер",
    sweep: "Тексеру",
    expiry: "Мерзімдерді тексеру",
    reconfirmation: "Қайта растау туралы еске салу",
    last_pass: "Соңғы рет",
    examined: "Қаралды",
    acted: "Орындалды",
    no_sweeps: "Тексерулер әлі болған жоқ.",
    runs: "Соңғы жолдама беру",
    entry: "Журналдағы нөмірі",
    at: "Уақыты",
    allowed: "Орын саны",
    hash: "Хэш (басы)",
    no_runs: "Бұл ауданда жолдама беру әлі болған жоқ.",
    dashboard: "CloudWatch басқару тақтасы",
};

const RU: Words = Words {
    title: "Показатели дня",
    by_status: "Заявления по статусам",
    count: "Количество",
    due: "Сроки и напоминания, ждущие ближайшей проверки",
    offered: "Предложенные ваучеры",
    active: "Подтверждённые ваучеры",
    pending: "Уведомления, ожидающие отправки",
    failed: "Неотправленные уведомления",
    places: "Свободные места по возрастным группам",
    chart: "Диаграмма заявлений по статусам",
    due_today: "Срок истекает сегодня",
    due_tomorrow: "Срок истекает завтра",
    sweeps: "Последние проверки",
    sweep: "Проверка",
    expiry: "Проверка сроков",
    reconfirmation: "Напоминания о перерегистрации",
    last_pass: "Последний раз",
    examined: "Просмотрено",
    acted: "Выполнено",
    no_sweeps: "Проверок ещё не было.",
    runs: "Последние распределения",
    entry: "Номер в журнале",
    at: "Время",
    allowed: "Мест",
    hash: "Хэш (начало)",
    no_runs: "В этом районе распределений ещё не было.",
    dashboard: "Панель CloudWatch",
};

const EN: Words = Words {
    title: "The day's numbers",
    by_status: "Applications by status",
    count: "Count",
    due: "Deadlines and reminders waiting for the next sweep",
    offered: "Vouchers offered",
    active: "Vouchers confirmed",
    pending: "Notifications waiting to be sent",
    failed: "Notifications that failed",
    places: "Free places by age group",
    chart: "Chart of applications by status",
    due_today: "Due later today",
    due_tomorrow: "Due tomorrow",
    sweeps: "The last sweeps",
    sweep: "Sweep",
    expiry: "Deadlines",
    reconfirmation: "Reconfirmation reminders",
    last_pass: "Last pass",
    examined: "Read",
    acted: "Acted on",
    no_sweeps: "No sweep has run yet.",
    runs: "The last voucher runs",
    entry: "Log entry",
    at: "Time",
    allowed: "Places",
    hash: "Hash (start)",
    no_runs: "No voucher run has been made in this district yet.",
    dashboard: "The CloudWatch dashboard",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

pub(crate) async fn numbers(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/numbers") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    let stats = match web.api.service.stats(&who, &district).await {
        Ok(s) => s,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let frame = Frame::new(&web, &visit, "/admin/numbers").operator();
    let html = numbers_html(&frame, &who, &stats, web.dashboard.as_deref());
    page(&web, &visit, StatusCode::OK, html)
}

/// Each status with its label in the page's language and its count, in the lifecycle's order.
fn by_status(f: &Frame, stats: &StatsView) -> Vec<(String, u64)> {
    Status::ALL
        .iter()
        .map(|s| {
            let n = stats.by_status.get(s.as_str()).copied().unwrap_or(0);
            (f.service().texts().status(*s, f.lang()), n)
        })
        .collect()
}

fn numbers_html(f: &Frame, who: &Principal, stats: &StatsView, dashboard: Option<&str>) -> Markup {
    let w = words(f.lang());
    let d = crate::desk::words(f.lang());
    let rows = by_status(f, stats);
    let age = |a: &str| format!("{}: {a}", d.age_group);
    pages::layout_error(
        f,
        w.title,
        false,
        html! {
            p { a href={ "/admin?district=" (stats.district) } { (d.to_desk) } }
            h1 { (w.title) ": " (pages::district_named(f, &stats.district)) }
            (crate::desk::district_switch(f, who, "/admin/numbers", &stats.district))
            dl.summary {
                dt { (w.due) } dd { (stats.deadlines_due) }
                dt { (w.due_today) } dd { (stats.deadlines_today) }
                dt { (w.due_tomorrow) } dd { (stats.deadlines_tomorrow) }
                dt { (w.offered) } dd { (stats.vouchers.offered) }
                dt { (w.active) } dd { (stats.vouchers.active) }
                dt { (w.pending) } dd { (stats.notifications.pending) }
                dt { (w.failed) } dd { (stats.notifications.failed) }
            }
            h2 { (w.by_status) }
            (bar_chart(w.chart, &rows))
            div.scroll {
                table {
                    thead { tr { th scope="col" { (d.status) } th scope="col" { (w.count) } } }
                    tbody {
                        @for (label, n) in &rows {
                            tr { td { (label) } td { (n) } }
                        }
                    }
                }
            }
            h2 { (w.places) }
            dl.summary {
                @for (a, n) in &stats.free_places {
                    dt { (age(a)) } dd { (n) }
                }
            }
            (runs(f, stats))
            (sweeps(f, stats))
            @if let Some(url) = dashboard {
                p { a href=(url) { (w.dashboard) } }
            }
        },
    )
}

/// The district's newest runs from its log: when, for which age group, the places allowed and
/// the offers made, and the start of the entry's hash (the log is public: issue 19).
fn runs(f: &Frame, stats: &StatsView) -> Markup {
    let w = words(f.lang());
    let d = crate::desk::words(f.lang());
    html! {
        h2 { (w.runs) }
        @if stats.runs.is_empty() {
            p { (w.no_runs) }
        } @else {
            div.scroll {
                table {
                    thead { tr {
                        th scope="col" { (w.entry) }
                        th scope="col" { (w.at) }
                        th scope="col" { (d.age_group) }
                        th scope="col" { (w.allowed) }
                        th scope="col" { (w.offered) }
                        th scope="col" { (w.hash) }
                    } }
                    tbody {
                        @for r in &stats.runs {
                            tr {
                                td { (r.seq) }
                                td { (pages::local(&r.at)) }
                                td { (r.age_group) }
                                td { (r.allowed) }
                                td { (r.offered) }
                                td { code { (r.hash.get(..12).unwrap_or(&r.hash)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each sweep's last pass (region-wide): when, and what its parts read and did.
fn sweeps(f: &Frame, stats: &StatsView) -> Markup {
    let w = words(f.lang());
    let name = |s: &str| match s {
        "expiry" => w.expiry,
        _ => w.reconfirmation,
    };
    html! {
        h2 { (w.sweeps) }
        @if stats.sweeps.is_empty() {
            p { (w.no_sweeps) }
        } @else {
            div.scroll {
                table {
                    thead { tr {
                        th scope="col" { (w.sweep) }
                        th scope="col" { (w.last_pass) }
                        th scope="col" { (w.examined) }
                        th scope="col" { (w.acted) }
                    } }
                    tbody {
                        @for s in &stats.sweeps {
                            tr {
                                td { (name(&s.sweep)) }
                                td { (pages::local(&s.at)) }
                                td { (s.examined) }
                                td { (s.acted) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A horizontal bar chart drawn on the server: one bar per row, its label and count written
/// beside it, the whole described for screen readers by the table that follows it.
fn bar_chart(title: &str, rows: &[(String, u64)]) -> Markup {
    const WIDTH: u64 = 600;
    const LABEL: u64 = 230;
    const BAR: u64 = 22;
    const GAP: u64 = 8;
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = rows.len() as u64 * (BAR + GAP) + GAP;
    let room = WIDTH - LABEL - 60;
    html! {
        svg.chart role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (height) }
            xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (label, n)) in rows.iter().enumerate() {
                @let y = GAP + i as u64 * (BAR + GAP);
                @let len = if *n == 0 { 0 } else { (n * room / max).max(2) };
                text x=(LABEL - 8) y=(y + BAR - 6) text-anchor="end" font-size="14" fill="#0b0c0c" { (label) }
                rect x=(LABEL) y=(y) width=(len) height=(BAR) fill="#1d70b8" {}
                text x=(LABEL + len + 6) y=(y + BAR - 6) font-size="14" fill="#0b0c0c" { (n) }
            }
        }
    }
}
