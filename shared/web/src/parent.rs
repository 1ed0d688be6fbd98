//! The journal and an application's page, with the parent's actions its rules allow now.

use super::*;

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
    let visit = Visit::of(&headers);
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
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
    let visit = Visit::of(&headers);
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
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
            let frame = pages::Frame::new(web, visit, &here).signed_in();
            let html =
                pages::application(&frame, &app, &actions, &history, chosen.as_deref(), answers);
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
    let visit = Visit::of(&headers);
    #[derive(Deserialize)]
    struct Nothing {}
    if let Err(r) = form::<Nothing>(&web, &visit, &body) {
        return *r;
    }
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let Some(action) = action_of(&slug) else {
        return error_page(&web, &visit, StatusCode::NOT_FOUND);
    };
    match web.api.service.act(&who, &id, action, visit.lang).await {
        Ok(app) => see_other(&format!("/applications/{}", app.id)),
        Err(f @ (Failure::Conflict { .. } | Failure::BadInput { .. })) => {
            let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::CONFLICT);
            let answers = Answers {
                values: vec![],
                errors: vec![field_error(&web, visit.lang, &f, &[], "actions")],
            };
            application_page(&web, &visit, &who, &id, status, &answers).await
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}
