//! Privilege review from the operators' desk: the district's claims waiting for a look; a claim
//! with its uploaded documents, each opened from the page; then verified, or rejected with a
//! reason (the parent is told in their language and the child moves to the general order). The
//! claim leaves the list either way, and the application's history names the operator.

use super::*;
use crate::desk::{district_of, operator};
use crate::pages::{self, Frame};
use kezek_core::documents::DocumentView;
use kezek_core::inputs::RejectInput;
use kezek_core::views::{ApplicationView, PrivilegeClaimView};
use maud::{html, Markup};
use std::collections::BTreeMap;

struct Words {
    title: &'static str,
    none: &'static str,
    category: &'static str,
    documents: &'static str,
    open: &'static str,
    missing: &'static str,
    review: &'static str,
    verify: &'static str,
    verify_hint: &'static str,
    reject: &'static str,
    reason: &'static str,
    reason_hint: &'static str,
    verified: &'static str,
    rejected: &'static str,
    back: &'static str,
}

const KK: Words = Words {
    title: "Жеңілдіктерді тексеру",
    none: "Тексеруді күтетін жеңілдік жоқ.",
    category: "Жеңілдік санаты",
    documents: "Жүктелген құжаттар",
    open: "Ашу",
    missing: "файл әлі келмеді",
    review: "Жеңілдікті тексеру",
    verify: "Құжаттар дұрыс: растау",
    verify_hint: "Бала кезектегі жеңілдік орнында қалады.",
    reject: "Бас тарту",
    reason: "Бас тарту себебі",
    reason_hint: "Ата-анаға осы мәтін жіберіледі.",
    verified: "Жеңілдік расталды.",
    rejected: "Жеңілдіктен бас тартылды; ата-анаға хабарланды.",
    back: "Жеңілдіктер тізіміне",
};

const RU: Words = Words {
    title: "Проверка льгот",
    none: "Льгот, ожидающих проверки, нет.",
    category: "Категория льготы",
    documents: "Загруженные документы",
    open: "Открыть",
    missing: "файл ещё не получен",
    review: "Проверка льготы",
    verify: "Документы в порядке: подтвердить",
    verify_hint: "Ребёнок остаётся на льготном месте в очереди.",
    reject: "Отклонить",
    reason: "Причина отклонения",
    reason_hint: "Этот текст получат родители.",
    verified: "Льгота подтверждена.",
    rejected: "Льгота отклонена; родителям отправлено уведомление.",
    back: "К списку льгот",
};

const EN: Words = Words {
    title: "Privilege review",
    none: "No privilege claim is waiting for a look.",
    category: "Privilege category",
    documents: "Uploaded documents",
    open: "Open",
    missing: "the file has not arrived yet",
    review: "Review the privilege claim",
    verify: "The documents are right: verify",
    verify_hint: "The child keeps the privilege's place in the queue.",
    reject: "Reject",
    reason: "Reason for the rejection",
    reason_hint: "The parents receive this text.",
    verified: "The privilege claim is verified.",
    rejected: "The privilege claim is rejected; the parents are told.",
    back: "To the privilege claims",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// A privilege category's name in the page's language (its code when unknown).
fn category_name(f: &Frame, id: &str) -> String {
    pages::privilege_named(f, id).unwrap_or_else(|| id.to_owned())
}

pub(crate) async fn claims(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/privileges") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    let list = match web.api.service.privilege_claims(&who, &district).await {
        Ok(l) => l,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let done = q.get("done").map(String::as_str).unwrap_or_default();
    let frame = Frame::new(&web, &visit, "/admin/privileges").operator();
    let html = claims_html(&frame, &who, &district, &list, done);
    page(&web, &visit, StatusCode::OK, html)
}

fn claims_html(
    f: &Frame,
    who: &Principal,
    district: &str,
    list: &[PrivilegeClaimView],
    done: &str,
) -> Markup {
    let w = words(f.lang());
    let d = crate::desk::words(f.lang());
    pages::layout_error(
        f,
        w.title,
        false,
        html! {
            @match done {
                "verified" => { div.panel role="status" { p { (w.verified) } } }
                "rejected" => { div.panel role="status" { p { (w.rejected) } } }
                _ => {}
            }
            p { a href={ "/admin?district=" (district) } { (d.to_desk) } }
            h1 { (w.title) ": " (pages::district_named(f, district)) }
            (crate::desk::district_switch(f, who, "/admin/privileges", district))
            @if list.is_empty() {
                p { (w.none) }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { (d.number) }
                            th scope="col" { (d.registered) }
                            th scope="col" { (d.child) }
                            th scope="col" { (d.age_group) }
                            th scope="col" { (w.category) }
                            th scope="col" { (w.documents) }
                        } }
                        tbody {
                            @for c in list {
                                tr {
                                    td { a href={ "/admin/privileges/" (c.application_id) } { (c.registration_number) } }
                                    td { (pages::local(&c.registered_at)) }
                                    td { (c.child.iin_masked) }
                                    td { (c.age_group) }
                                    td { (category_name(f, &c.category)) }
                                    td { (c.documents) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub(crate) async fn claim(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, &format!("/admin/privileges/{id}")) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    claim_page(&web, &visit, &who, &id, &Answers::default(), StatusCode::OK).await
}

async fn claim_page(
    web: &Web,
    visit: &Visit,
    who: &Principal,
    id: &str,
    answers: &Answers,
    status: StatusCode,
) -> Response {
    let (app, docs) = match web.api.service.privilege_claim(who, id, visit.lang).await {
        Ok(c) => c,
        Err(f) => return failure_page(web, visit, &f),
    };
    let frame = Frame::new(web, visit, "/admin/privileges").operator();
    page(web, visit, status, claim_html(&frame, &app, &docs, answers))
}

fn claim_html(
    f: &Frame,
    app: &ApplicationView,
    docs: &[DocumentView],
    answers: &Answers,
) -> Markup {
    let w = words(f.lang());
    let d = crate::desk::words(f.lang());
    let category = app
        .privilege
        .as_ref()
        .map(|p| category_name(f, &p.category))
        .unwrap_or_default();
    let open = app
        .privilege
        .as_ref()
        .is_some_and(|p| !p.rejected && !p.verified);
    pages::layout_error(
        f,
        w.review,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            p { a href={ "/admin/privileges?district=" (app.district) } { (w.back) } }
            h1 { (w.review) ": " (app.registration_number) }
            dl.summary {
                dt { (d.child) } dd { (app.child.iin_masked) }
                dt { (d.registered) } dd { (pages::local(&app.registered_at)) }
                dt { (d.status) } dd { (app.status_label) }
                dt { (w.category) } dd { (category) }
            }
            h2 { (w.documents) }
            ul.documents {
                @for doc in docs {
                    li {
                        (doc.name) " · " (doc.size.div_ceil(1024)) " KB"
                        br;
                        @match &doc.download_url {
                            Some(url) => { a href=(url) { (w.open) span.visually-hidden { ": " (doc.name) } } }
                            None => { span.hint { (w.missing) } }
                        }
                    }
                }
            }
            @if open {
                form method="post" action={ "/admin/privileges/" (app.id) "/verify" } {
                    input type="hidden" name="csrf" value=(f.csrf());
                    p.hint { (w.verify_hint) }
                    button.button type="submit" { (w.verify) }
                }
                h2 { (w.reject) }
                form method="post" action={ "/admin/privileges/" (app.id) "/reject" } novalidate {
                    input type="hidden" name="csrf" value=(f.csrf());
                    (pages::field(answers, "reason", w.reason, w.reason_hint, "text", "off", "text"))
                    button.button.warning type="submit" { (w.reject) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub(crate) async fn verify(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    #[derive(Deserialize)]
    struct Nothing {}
    if let Err(r) = form::<Nothing>(&web, &visit, &body) {
        return *r;
    }
    let who = match operator(&web, &visit, "/admin/privileges") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    match web
        .api
        .service
        .verify_privilege(&who, &id, visit.lang)
        .await
    {
        Ok(app) => see_other(&format!(
            "/admin/privileges?district={}&done=verified",
            app.district
        )),
        Err(f) => failure_page(&web, &visit, &f),
    }
}

pub(crate) async fn reject(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: ReasonForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let who = match operator(&web, &visit, "/admin/privileges") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let reason = RejectInput {
        reason: input.reason.trim().to_owned(),
    };
    match web
        .api
        .service
        .reject_privilege(&who, &id, reason, visit.lang)
        .await
    {
        Ok(app) => see_other(&format!(
            "/admin/privileges?district={}&done=rejected",
            app.district
        )),
        Err(f @ Failure::BadInput { .. }) => {
            let w = words(visit.lang);
            let message =
                web.api
                    .service
                    .texts()
                    .error(f.code(), visit.lang, &[("field", w.reason)]);
            let answers = Answers {
                values: vec![("reason", input.reason)],
                errors: vec![("reason", message)],
            };
            claim_page(&web, &visit, &who, &id, &answers, StatusCode::BAD_REQUEST).await
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}
