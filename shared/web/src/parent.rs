//! The journal and an application's page, with the parent's actions its rules allow now.

use super::*;
use kezek_core::views::{ApplicationView, HistoryView};
use maud::{html, Markup};

/// The parent's actions a page offers, by the path segment of their form
/// (`POST /applications/{id}/{action}`), in the order of [`words::Words::action_buttons`].
pub const ACTIONS: [&str; 6] = [
    "reconfirm",
    "confirm",
    "extend",
    "restore",
    "refuse",
    "withdraw",
];

pub(crate) fn action_of(slug: &str) -> Option<ParentAction> {
    Some(match slug {
        "reconfirm" => ParentAction::Reconfirm,
        "confirm" => ParentAction::ConfirmVoucher,
        "extend" => ParentAction::Extend,
        "restore" => ParentAction::Restore,
        "refuse" => ParentAction::Refuse,
        "withdraw" => ParentAction::Withdraw,
        _ => return None,
    })
}

/// The slug of an action a page offers.
pub(crate) fn slug_of(action: &ParentAction) -> Option<&'static str> {
    Some(match action {
        ParentAction::Reconfirm => "reconfirm",
        ParentAction::ConfirmVoucher => "confirm",
        ParentAction::Extend => "extend",
        ParentAction::Restore => "restore",
        ParentAction::Refuse => "refuse",
        ParentAction::Withdraw => "withdraw",
        ParentAction::Choose(_) => return None,
    })
}

pub(crate) async fn journal(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    let Some(who) = principal(&web, &visit) else {
        return to_login(&web, "/journal");
    };
    match web.api.service.journal(&who, visit.lang).await {
        Ok(apps) => {
            let frame = pages::Frame::new(&web, &visit, "/journal").signed_in();
            page(&web, &visit, StatusCode::OK, pages::journal(&frame, &apps))
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

pub(crate) async fn application(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let Some(who) = principal(&web, &visit) else {
        return to_login(&web, &format!("/applications/{id}"));
    };
    let mut answers = Answers::default();
    if q.contains_key("registered") {
        answers.values.push(("registered", "1".into()));
    }
    application_page(&web, &visit, &who, &id, StatusCode::OK, &answers).await
}

/// An application's page, with the actions its rules allow now and, after a refused action,
/// the refusal in the error summary.
pub(crate) async fn application_page(
    web: &Web,
    visit: &Visit,
    who: &Principal,
    id: &str,
    status: StatusCode,
    answers: &Answers,
) -> Response {
    match web
        .api
        .service
        .application_with_actions(who, id, visit.lang)
        .await
    {
        Ok((app, actions)) => {
            // The change history, the seeds' second tab (oldest first).
            let history = match web.api.service.history(who, &app.id, visit.lang).await {
                Ok(h) => h,
                Err(f) => return failure_page(web, visit, &f),
            };
            // The position history with reasons (issue 19).
            let moves = match web
                .api
                .service
                .queue_history(who, &app.id, visit.lang)
                .await
            {
                Ok(m) => m,
                Err(f) => return failure_page(web, visit, &f),
            };
            // When a voucher may come (issue 19), while queued.
            let estimate = if app.status == kezek_core::domain::Status::Queued {
                match web
                    .api
                    .service
                    .wait_estimate(who, &app.id, visit.lang)
                    .await
                {
                    Ok(e) => Some(e),
                    Err(f) => return failure_page(web, visit, &f),
                }
            } else {
                None
            };
            // The chosen kindergarten, by name.
            let chosen =
                match app
                    .voucher
                    .as_ref()
                    .and_then(|v| v.kindergarten_id.as_ref())
                {
                    Some(k) => {
                        let filter = kezek_core::inputs::CatalogueFilter {
                            district: Some(app.district.clone()),
                            ..Default::default()
                        };
                        match web.api.service.catalogue(filter).await {
                            Ok(list) => list.into_iter().find(|x| &x.id == k).map(|x| match visit
                                .lang
                            {
                                Language::Kk => x.name_kk,
                                _ => x.name_ru,
                            }),
                            Err(f) => return failure_page(web, visit, &f),
                        }
                    }
                    None => None,
                };
            let here = format!("/applications/{}", app.id);
            let mut frame = pages::Frame::new(web, visit, &here).signed_in();
            if actions
                .iter()
                .any(|a| matches!(a, ParentAction::ConfirmVoucher))
            {
                frame = frame.with_eds();
            }
            let docs = crate::documents::documents_of(web, who, &app.id).await;
            let html = application_html(
                &frame,
                &app,
                &actions,
                (&history, &moves, estimate.as_ref()),
                chosen.as_deref(),
                &docs,
                answers,
            );
            page(web, visit, status, html)
        }
        Err(f) => failure_page(web, visit, &f),
    }
}

/// A parent's action from an application's page: done, then back to the page (post, redirect,
/// get); refused, the page again with the reason in the error summary, nothing changed.
pub(crate) async fn application_action(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, slug)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    /// The confirmation's EDS signature (CMS, base64), when NCALayer made one.
    #[derive(Deserialize)]
    struct Signed {
        #[serde(default)]
        signature: String,
    }
    let input = match form::<Signed>(&web, &visit, &body) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let Some(action) = action_of(&slug) else {
        return error_page(&web, &visit, StatusCode::NOT_FOUND);
    };
    let refused = |f: Failure| {
        let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::CONFLICT);
        let answers = Answers {
            values: vec![],
            errors: vec![field_error(&web, visit.lang, &f, &[], "actions")],
        };
        (status, answers)
    };
    // A signature is checked over what the page gave NCALayer to sign: this action on this
    // application, by this parent's certificate.
    let signed_with =
        if input.signature.trim().is_empty() || !matches!(action, ParentAction::ConfirmVoucher) {
            kezek_core::domain::SignedWith::Session
        } else {
            let mut body = confirm_body(&id);
            body["signature"] = serde_json::Value::String(input.signature.trim().to_owned());
            match web.api.identity.sign_off(&who, &body).await {
                Ok(s) => s,
                Err(
                    f @ (Failure::Unauthorized { .. }
                    | Failure::Forbidden { .. }
                    | Failure::BadInput { .. }),
                ) => {
                    let (status, answers) = refused(f);
                    return application_page(&web, &visit, &who, &id, status, &answers).await;
                }
                Err(f) => return failure_page(&web, &visit, &f),
            }
        };
    match web
        .api
        .service
        .act_signed(&who, &id, action, signed_with, visit.lang)
        .await
    {
        Ok(app) => see_other(&format!("/applications/{}", app.id)),
        Err(f @ (Failure::Conflict { .. } | Failure::BadInput { .. })) => {
            let (status, answers) = refused(f);
            application_page(&web, &visit, &who, &id, status, &answers).await
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

/// What a parent signs with EDS to confirm a voucher: the action and the application (the API's
/// body for the same confirmation, without the signature).
pub(crate) fn confirm_body(id: &str) -> serde_json::Value {
    serde_json::json!({ "action": "confirm", "application_id": id })
}

/// An application's page: the seeds' information and change history, and each action its rules
/// allow now with the rule beside it.
fn application_html(
    f: &pages::Frame,
    a: &ApplicationView,
    actions: &[ParentAction],
    // The change history and the queue position's moves.
    (history, moves, estimate): (
        &[HistoryView],
        &[kezek_core::transparency::QueueMoveView],
        Option<&kezek_core::transparency::WaitEstimateView>,
    ),
    kindergarten: Option<&str>,
    docs: &[kezek_core::documents::DocumentView],
    answers: &Answers,
) -> Markup {
    let w = f.words();
    pages::layout_error(
        f,
        &a.registration_number,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            @if answers.value("registered") == "1" {
                div.panel role="status" {
                    h2 { (w.registered) }
                    p { (w.registration_number) ": " strong { (a.registration_number) } }
                    @if let Some(p) = a.queue.position {
                        p { (w.position) ": " strong { (p) } }
                    }
                    @if let Some(url) = crate::documents::registration_link(docs) {
                        p { a.panel-link href=(url) { (w.registration_document) } }
                    }
                }
            }
            p { a href="/journal" { (w.back_to_journal) } }
            h1 { (a.registration_number) }
            h2 { (w.information) }
            dl.summary {
                dt { (w.status) } dd { strong.tag { (a.status_label) } }
                dt { (w.district) } dd { (pages::district_named(f, &a.district)) }
                dt { (w.queue) } dd { (a.queue.name) }
                @if let Some(p) = a.queue.position {
                    dt { (w.position) } dd { (p) }
                }
                dt { (w.registration_number) } dd { (a.registration_number) }
                dt { (w.registered_at) } dd { (pages::local(&a.registered_at)) }
                dt { (w.child) } dd { (a.child.iin_masked) }
                @if let Some(t) = &a.reconfirm_by {
                    dt { (w.reconfirm_by) } dd { (pages::deadline(f, t)) }
                }
                @if let Some(v) = &a.voucher {
                    // Once confirmed, the choice's deadline is the one that counts.
                    @if let Some(t) = &v.choose_by {
                        dt { (w.choose_by) } dd { (pages::deadline(f, t)) }
                    } @else {
                        dt { (w.confirm_by) } dd { (pages::deadline(f, &v.confirm_by)) }
                    }
                }
                @if let Some(k) = kindergarten {
                    dt { (w.chosen_kindergarten) } dd { (k) }
                }
                @if let Some(t) = a.stop_list.as_ref().and_then(|s| s.restore_by.as_ref()) {
                    dt { (w.restore_by) } dd { (pages::deadline(f, t)) }
                }
            }
            @if !actions.is_empty() {
                h2 #actions { (w.actions) }
                @if actions.iter().any(|a| matches!(a, ParentAction::Choose(_))) {
                    div.action {
                        p.hint { (w.choose_rule) }
                        a.button href={ "/applications/" (a.id) "/choose" } { (w.choose_kindergarten) }
                    }
                }
                @for action in actions {
                    @if let Some(slug) = slug_of(action) {
                        @let i = ACTIONS.iter().position(|s| *s == slug).unwrap_or(0);
                        @let (button, rule) = w.action_buttons[i];
                        @if slug == "confirm" {
                            // Confirmed with EDS through NCALayer where it runs; with the session
                            // alone otherwise.
                            form.action method="post" action={ "/applications/" (a.id) "/confirm" }
                                data-eds=(pages::to_sign(&confirm_body(&a.id)))
                                data-ncalayer=(f.ncalayer()) data-eds-error=(w.eds_error) {
                                input type="hidden" name="csrf" value=(f.csrf());
                                p.hint { (rule) }
                                (pages::eds_controls(w.confirm_with_eds))
                                button.button type="submit" { (button) }
                            }
                        } @else {
                        form.action method="post" action={ "/applications/" (a.id) "/" (slug) } {
                            input type="hidden" name="csrf" value=(f.csrf());
                            p.hint { (rule) }
                            @if slug == "refuse" || slug == "withdraw" {
                                button.button.warning type="submit" { (button) }
                            } @else {
                                button.button type="submit" { (button) }
                            }
                        }
                        }
                    }
                }
            }
            (crate::documents::section(f, docs))
            (crate::wait::section(f, estimate))
            (crate::queue_moves::section(f, moves))
            h2 { (w.history) }
            @if history.is_empty() {
                p { "–" }
            } @else {
                ol.history {
                    @for h in history {
                        li {
                            strong { (h.action_label) }
                            " · " (pages::local(&h.at))
                            @match h.signed_with {
                                Some(kezek_core::domain::SignedWith::Eds) => { " · " (w.signed_eds) }
                                Some(kezek_core::domain::SignedWith::OneTimeCode) => { " · " (w.signed_code) }
                                _ => {}
                            }
                            @if let Some(r) = &h.reason {
                                br; span.hint { (r) }
                            }
                        }
                    }
                }
            }
        },
    )
}
