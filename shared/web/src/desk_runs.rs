//! Voucher runs from the operators' desk: choose the age group, see beforehand what a run would do
//! (the places, the vouchers outstanding, who is at the head and would be offered one), start it,
//! and see its result: the offers, to whom (masked), and each offer's deadline. A run started
//! twice, or on two screens at once, never offers more than the places: the run's own rule, which
//! the result page shows as it is (0 offers when none are left).

use super::*;
use crate::desk::{district_of, operator};
use crate::pages::{self, Frame};
use kezek_core::inputs::RunInput;
use kezek_core::views::{ApplicationView, RunPreviewView};
use maud::{html, Markup};
use std::collections::BTreeMap;

struct Words {
    title: &'static str,
    lead: &'static str,
    show: &'static str,
    free: &'static str,
    outstanding: &'static str,
    would: fn(usize) -> String,
    nobody: &'static str,
    head: &'static str,
    start: &'static str,
    start_hint: &'static str,
    result: &'static str,
    offered: fn(usize) -> String,
    none_offered: &'static str,
    confirm_by: &'static str,
    again: &'static str,
}

const KK: Words = Words {
    title: "Жолдама беру",
    lead:
        "Жас тобын таңдаңыз: алдымен жолдама беру не істейтінін көресіз, содан кейін оны бастайсыз.",
    show: "Көрсету",
    free: "Бос орындар",
    outstanding: "Берілген, әлі жабылмаған ваучерлер",
    would: |n| format!("Қазір жолдама беру {n} ваучер ұсынады."),
    nobody: "Қазір ешкімге ваучер ұсынылмайды: бос орын жоқ немесе кезекте ешкім жоқ.",
    head: "Кезектің басы: ваучер алатындар",
    start: "Жолдама беруді бастау",
    start_hint: "Екі рет басталса да, бос орыннан артық ваучер берілмейді.",
    result: "Жолдама беру нәтижесі",
    offered: |n| format!("{n} ваучер ұсынылды."),
    none_offered: "Бірде-бір ваучер ұсынылмады: бос орын қалмаған немесе кезекте ешкім жоқ.",
    confirm_by: "Растау мерзімі",
    again: "Жолдама беру бетіне оралу",
};

const RU: Words = Words {
    title: "Распределение ваучеров",
    lead: "Выберите возрастную группу: сначала вы увидите, что сделает распределение, затем запустите его.",
    show: "Показать",
    free: "Свободные места",
    outstanding: "Выданные и ещё не закрытые ваучеры",
    would: |n| format!("Распределение сейчас предложит ваучеров: {n}."),
    nobody: "Сейчас ваучер не будет предложен никому: нет свободных мест или в очереди никого нет.",
    head: "Начало очереди: кому будет предложен ваучер",
    start: "Запустить распределение",
    start_hint: "Даже запущенное дважды, распределение не выдаст ваучеров больше, чем свободных мест.",
    result: "Итог распределения",
    offered: |n| format!("Предложено ваучеров: {n}."),
    none_offered: "Ни один ваучер не предложен: свободных мест не осталось или в очереди никого нет.",
    confirm_by: "Подтвердить до",
    again: "Вернуться к распределению",
};

const EN: Words = Words {
    title: "Voucher runs",
    lead: "Choose the age group: first you see what a run would do, then you start it.",
    show: "Show",
    free: "Free places",
    outstanding: "Vouchers offered or active",
    would: |n| match n {
        1 => "A run now would offer 1 voucher.".to_owned(),
        n => format!("A run now would offer {n} vouchers."),
    },
    nobody: "No voucher would be offered now: no free place is left, or no one is in the queue.",
    head: "The head of the queue: who would be offered a voucher",
    start: "Start the run",
    start_hint: "Started twice, a run still never offers more vouchers than there are free places.",
    result: "The run's result",
    offered: |n| match n {
        1 => "1 voucher offered.".to_owned(),
        n => format!("{n} vouchers offered."),
    },
    none_offered: "No voucher was offered: no free place is left, or no one is in the queue.",
    confirm_by: "Confirm by",
    again: "Back to voucher runs",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The run's input from a page's fields; an age group that is not a number names its field.
fn run_input(district: &str, age: &str) -> Result<RunInput, Failure> {
    let age_group = age
        .trim()
        .parse::<i64>()
        .map_err(|_| Failure::bad("invalid_age_group", "age_group"))?;
    Ok(RunInput {
        district: district.to_owned(),
        age_group,
    })
}

pub(crate) async fn runs_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/runs") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    let age = q.get("age_group").cloned().unwrap_or_else(|| "3".into());
    let preview = match run_input(&district, &age) {
        Ok(input) => web.api.service.voucher_run_preview(&who, input).await,
        Err(f) => Err(f),
    };
    let mut answers = Answers {
        values: vec![("age_group", age)],
        errors: vec![],
    };
    let preview = match preview {
        Ok(p) => Some(p),
        Err(f @ Failure::BadInput { .. }) => {
            answers.errors.push(field_error(
                &web,
                visit.lang,
                &f,
                &["age_group"],
                "age_group",
            ));
            None
        }
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let status = if preview.is_some() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let frame = Frame::new(&web, &visit, "/admin/runs").operator();
    let html = runs_html(&frame, &district, &answers, preview.as_ref());
    page(&web, &visit, status, html)
}

fn runs_html(
    f: &Frame,
    district: &str,
    answers: &Answers,
    preview: Option<&RunPreviewView>,
) -> Markup {
    let w = words(f.lang());
    let d = crate::desk::words(f.lang());
    pages::layout_error(
        f,
        w.title,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            p { a href={ "/admin?district=" (district) } { (d.to_desk) } }
            h1 { (w.title) ": " (pages::district_named(f, district)) }
            p { (w.lead) }
            form.switch method="get" action="/admin/runs" novalidate {
                input type="hidden" name="district" value=(district);
                (pages::field(answers, "age_group", d.age_group, d.age_group_hint, "text", "off", "numeric"))
                button.button.secondary type="submit" { (w.show) }
            }
            @if let Some(p) = preview {
                dl.summary {
                    dt { (w.free) } dd { (p.free_places) }
                    dt { (w.outstanding) } dd { (p.outstanding) }
                }
                @if p.would_offer == 0 {
                    p { (w.nobody) }
                } @else {
                    p { strong { ((w.would)(p.would_offer)) } }
                    h2 { (w.head) }
                    (crate::desk::entries(f, &p.head))
                    form method="post" action="/admin/runs" {
                        input type="hidden" name="csrf" value=(f.csrf());
                        input type="hidden" name="district" value=(p.district);
                        input type="hidden" name="age_group" value=(p.age_group);
                        p.hint { (w.start_hint) }
                        button.button type="submit" { (w.start) }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    district: String,
    #[serde(default)]
    age_group: String,
}

pub(crate) async fn start_run(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: RunForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let who = match operator(&web, &visit, "/admin/runs") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let run = match run_input(&input.district, &input.age_group) {
        Ok(i) => web.api.service.voucher_run(Some(&who), i).await,
        Err(f) => Err(f),
    };
    let run = match run {
        Ok(r) => r,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    // Each offer as the operator may read it: its number, the child masked, its deadline.
    let mut offers: Vec<ApplicationView> = Vec::new();
    for id in &run.application_ids {
        match web.api.service.application(&who, id, visit.lang).await {
            Ok(a) => offers.push(a),
            Err(f) => return failure_page(&web, &visit, &f),
        }
    }
    let w = words(visit.lang);
    let d = crate::desk::words(visit.lang);
    let frame = Frame::new(&web, &visit, "/admin/runs").operator();
    let back = format!(
        "/admin/runs?district={}&age_group={}",
        input.district.trim(),
        input.age_group.trim()
    );
    let html = pages::layout_error(
        &frame,
        w.result,
        false,
        html! {
            div.panel role="status" {
                h1 { (w.result) }
                @if run.offered == 0 {
                    p { (w.none_offered) }
                } @else {
                    p { ((w.offered)(run.offered)) }
                }
            }
            dl.summary {
                dt { (w.free) } dd { (run.free_places) }
                dt { (w.outstanding) } dd { (run.outstanding_before) }
            }
            @if !offers.is_empty() {
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { (d.number) }
                            th scope="col" { (d.child) }
                            th scope="col" { (d.status) }
                            th scope="col" { (w.confirm_by) }
                        } }
                        tbody {
                            @for a in &offers {
                                tr {
                                    td { (a.registration_number) }
                                    td { (a.child.iin_masked) }
                                    td { (a.status_label) }
                                    td {
                                        @if let Some(v) = &a.voucher {
                                            (pages::deadline(&frame, &v.confirm_by))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p { a href=(back) { (w.again) } }
        },
    );
    page(&web, &visit, StatusCode::OK, html)
}
