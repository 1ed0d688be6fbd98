//! The parent's profile: contact details and the language of notices (one form), and linking a
//! child's application by the child's IIN (another page: one thing per page). The name is the
//! register's or the certificate's, shown and never edited.

use super::*;
use crate::pages::{self, Frame};
use maud::{html, Markup};

struct Words {
    title: &'static str,
    name: &'static str,
    no_name: &'static str,
    iin: &'static str,
    language: &'static str,
    language_hint: &'static str,
    save: &'static str,
    saved: &'static str,
    link: &'static str,
    link_lead: &'static str,
    child_hint: &'static str,
    link_button: &'static str,
}

const KK: Words = Words {
    title: "Жеке деректер",
    name: "Аты-жөні",
    no_name: "Тізілімнен әлі алынған жоқ",
    iin: "ЖСН",
    language: "Хабарламалар тілі",
    language_hint: "Хат пен SMS осы тілде келеді.",
    save: "Сақтау",
    saved: "Өзгерістер сақталды.",
    link: "Баланың өтінішін байланыстыру",
    link_lead:
        "Баланың ЖСН-ін енгізіңіз: туыстық тізілім растаса, оның өтініштері журналыңызда көрінеді.",
    child_hint: "12 сан, мысалы 230315500002",
    link_button: "Байланыстыру",
};

const RU: Words = Words {
    title: "Личные данные",
    name: "ФИО",
    no_name: "Ещё не получено из реестра",
    iin: "ИИН",
    language: "Язык уведомлений",
    language_hint: "Письма и SMS приходят на этом языке.",
    save: "Сохранить",
    saved: "Изменения сохранены.",
    link: "Привязать заявление ребёнка",
    link_lead: "Введите ИИН ребёнка: если реестр родства подтвердит, его заявления появятся в вашем журнале.",
    child_hint: "12 цифр, например 230315500002",
    link_button: "Привязать",
};

const EN: Words = Words {
    title: "Your details",
    name: "Name",
    no_name: "Not yet received from the register",
    iin: "IIN",
    language: "Language of notices",
    language_hint: "E-mails and SMS come in this language.",
    save: "Save",
    saved: "Your changes are saved.",
    link: "Link a child's application",
    link_lead: "Enter the child's IIN: once the kinship register confirms it, the child's applications show in your journal.",
    child_hint: "12 digits, for example 230315500002",
    link_button: "Link",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

#[derive(Deserialize)]
pub(crate) struct ContactsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    language: String,
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    child_iin: String,
}

pub(crate) async fn profile_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let Some(who) = principal(&web, &visit) else {
        return to_login(&web, "/profile");
    };
    let p = match web.api.service.profile(&who).await {
        Ok(p) => p,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let answers = Answers {
        values: vec![
            ("email", p.email.clone().unwrap_or_default()),
            ("phone", p.phone.clone().unwrap_or_default()),
            ("language", p.language.code().to_owned()),
            ("saved", q.get("saved").cloned().unwrap_or_default()),
        ],
        errors: vec![],
    };
    let frame = Frame::new(&web, &visit, "/profile").signed_in();
    let html = contacts_page(&frame, &who, p.name.as_deref(), &answers);
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn profile_post(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: ContactsForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let update = kezek_core::inputs::ProfileInput {
        email: Some(input.email.trim().to_owned()),
        phone: Some(input.phone.trim().to_owned()),
        language: Some(input.language.trim().to_owned()),
        name: None,
    };
    match web.api.service.update_profile(&who, update).await {
        Ok(_) => see_other("/profile?saved=1"),
        Err(f @ Failure::BadInput { .. }) => {
            let name = web
                .api
                .service
                .profile(&who)
                .await
                .ok()
                .and_then(|p| p.name);
            let answers = Answers {
                values: vec![
                    ("email", input.email),
                    ("phone", input.phone),
                    ("language", input.language),
                ],
                errors: vec![field_error(
                    &web,
                    visit.lang,
                    &f,
                    &["email", "phone", "language"],
                    "email",
                )],
            };
            let frame = Frame::new(&web, &visit, "/profile").signed_in();
            let html = contacts_page(&frame, &who, name.as_deref(), &answers);
            page(&web, &visit, StatusCode::BAD_REQUEST, html)
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

pub(crate) async fn link_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    if principal(&web, &visit).is_none() {
        return to_login(&web, "/profile/children");
    }
    let frame = Frame::new(&web, &visit, "/profile/children").signed_in();
    page(
        &web,
        &visit,
        StatusCode::OK,
        link_form(&frame, &Answers::default()),
    )
}

pub(crate) async fn link_post(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: LinkForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let link = kezek_core::inputs::LinkInput {
        child_iin: input.child_iin.trim().to_owned(),
    };
    match web.api.service.link_child(&who, link, visit.lang).await {
        Ok(_) => see_other("/journal"),
        Err(
            f @ (Failure::BadInput { .. } | Failure::Forbidden { .. } | Failure::Conflict { .. }),
        ) => {
            let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let answers = Answers {
                values: vec![("child_iin", input.child_iin)],
                errors: vec![field_error(
                    &web,
                    visit.lang,
                    &f,
                    &["child_iin"],
                    "child_iin",
                )],
            };
            let frame = Frame::new(&web, &visit, "/profile/children").signed_in();
            page(&web, &visit, status, link_form(&frame, &answers))
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

fn contacts_page(f: &Frame, who: &Principal, name: Option<&str>, answers: &Answers) -> Markup {
    let w = words(f.lang());
    let shared = f.words();
    let languages = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")];
    let chosen = answers.value("language");
    let error = answers.error("language");
    pages::layout_error(
        f,
        w.title,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            @if answers.value("saved") == "1" {
                div.panel role="status" { p { (w.saved) } }
            }
            h1 { (w.title) }
            dl.summary {
                dt { (w.name) } dd { (name.unwrap_or(w.no_name)) }
                dt { (w.iin) } dd { (who.iin.masked()) }
            }
            form method="post" action="/profile" novalidate {
                input type="hidden" name="csrf" value=(f.csrf());
                (pages::field(answers, "email", shared.email, shared.email_hint, "email", "email", "email"))
                (pages::field(answers, "phone", shared.phone, shared.phone_hint, "tel", "tel", "tel"))
                div.field.error[error.is_some()] {
                    fieldset aria-describedby="language-hint" {
                        legend { (w.language) }
                        p.hint id="language-hint" { (w.language_hint) }
                        @if let Some(m) = error {
                            p.message { (m) }
                        }
                        @for (i, (code, label)) in languages.iter().enumerate() {
                            @let id = if i == 0 { "language".to_owned() } else { format!("language-{code}") };
                            div.choice {
                                input type="radio" id=(id) name="language" value=(code) checked[chosen == *code];
                                label for=(id) lang=(code) { (label) }
                            }
                        }
                    }
                }
                button.button type="submit" { (w.save) }
            }
            h2 { (w.link) }
            p { a href="/profile/children" { (w.link) } }
        },
    )
}

fn link_form(f: &Frame, answers: &Answers) -> Markup {
    let w = words(f.lang());
    pages::layout_error(
        f,
        w.link,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            p { a href="/profile" { (w.title) } }
            h1 { (w.link) }
            p { (w.link_lead) }
            form method="post" action="/profile/children" novalidate {
                input type="hidden" name="csrf" value=(f.csrf());
                (pages::field(answers, "child_iin", f.words().child, w.child_hint, "text", "off", "numeric"))
                button.button type="submit" { (w.link_button) }
            }
        },
    )
}
