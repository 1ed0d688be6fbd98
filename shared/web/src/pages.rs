//! The pages' HTML (maud: compiled, escaped by default). The GOV.UK Design System's habits: one
//! thing per page, an error summary at the top linking to each field at fault, labels and hints
//! on every field, the field's own message beside it, plain words.

use crate::words::{self, Words};
use crate::{Answers, Visit, Web};
use kezek_core::domain::Language;
use kezek_core::reference::{District, PrivilegeCategory};
use kezek_core::views::ApplicationView;
use maud::{html, Markup, DOCTYPE};

/// What every page shares: the language, the words, the form token, where it is.
pub(crate) struct Frame<'a> {
    lang: Language,
    w: &'static Words,
    csrf: String,
    here: String,
    support_phone: &'a str,
    signed_in: bool,
    /// The signed-in visitor is an operator: the header links the desk.
    operator: bool,
    service: &'a kezek_core::Service,
    /// NCALayer's address, for the forms signed with EDS.
    ncalayer: &'a str,
    /// Whether the page has a form signed with EDS (and so loads the signing script).
    eds: bool,
}

impl<'a> Frame<'a> {
    pub(crate) fn new(web: &'a Web, visit: &Visit, here: &str) -> Frame<'a> {
        Frame {
            lang: visit.lang,
            w: words::of(visit.lang),
            csrf: web.csrf_token(visit),
            here: here.to_owned(),
            support_phone: &web.support_phone,
            signed_in: false,
            operator: false,
            service: &web.api.service,
            ncalayer: &web.ncalayer,
            eds: false,
        }
    }

    pub(crate) fn signed_in(mut self) -> Frame<'a> {
        self.signed_in = true;
        self
    }

    /// An operator's page: signed in, the header links the desk.
    pub(crate) fn operator(mut self) -> Frame<'a> {
        self.signed_in = true;
        self.operator = true;
        self
    }

    /// The use cases (for what a page shows from the reference data and the calendar).
    pub(crate) fn service(&self) -> &'a kezek_core::Service {
        self.service
    }

    /// The page has a form signed with EDS: it loads the signing script.
    pub(crate) fn with_eds(mut self) -> Frame<'a> {
        self.eds = true;
        self
    }

    pub(crate) fn lang(&self) -> Language {
        self.lang
    }

    pub(crate) fn words(&self) -> &'static Words {
        self.w
    }

    /// NCALayer's address, for a form signed with EDS.
    pub(crate) fn ncalayer(&self) -> &str {
        self.ncalayer
    }

    /// The token every form of the page carries.
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A deadline: its local date and time, and the working days left before it (today counted).
pub(crate) fn deadline(f: &Frame, t: &kezek_core::time::Time) -> Markup {
    let today = kezek_core::time::local_date(f.service.now());
    let left = f
        .service
        .calendar()
        .working_days_left(today, kezek_core::time::local_date(*t));
    html! { (local(t)) br; span.hint { ((f.w.days_left)(left)) } }
}

/// A district's name in the page's language, by its code (the code when the reference has no
/// such district).
pub(crate) fn district_named(f: &Frame, code: &str) -> String {
    match f.service.reference().district(code) {
        Some(d) => district_name(f.lang, d),
        None => code.to_owned(),
    }
}

/// A privilege category's name in the page's language.
pub(crate) fn privilege_named(f: &Frame, id: &str) -> Option<String> {
    f.service
        .reference()
        .privilege(id)
        .map(|p| category_name(f.lang, p))
}

fn category_name(lang: Language, p: &PrivilegeCategory) -> String {
    match lang {
        Language::Kk => p.name_kk.clone(),
        Language::Ru => p.name_ru.clone(),
        Language::En => p.name_en.clone(),
    }
}

/// The bytes a form signed with EDS signs (the API's body for the same action, canonical), base64.
pub(crate) fn to_sign(body: &serde_json::Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(kezek_core::identity::signed_bytes(body))
}

/// The EDS part of a form marked `data-eds`: the signature's field, the button that asks
/// NCALayer for it (shown by the script only), and the place of its message (kept, so nothing
/// moves when it appears).
pub(crate) fn eds_controls(button: &str) -> Markup {
    html! {
        input type="hidden" name="signature" value="";
        button.button.secondary type="button" hidden data-eds-sign { (button) }
        p.message.eds-error tabindex="-1" role="alert" {}
    }
}

/// Local time in Kazakhstan (UTC+5), as the seeds show it: `01.07.2026 10:00`.
pub(crate) fn local(t: &kezek_core::time::Time) -> String {
    t.with_timezone(&chrono_tz::Asia::Almaty)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

fn layout(f: &Frame, title: &str, body: Markup) -> Markup {
    layout_with(f, title, false, body)
}

/// A page whose `<title>` says first that something needs fixing (after a refusal).
pub(crate) fn layout_error(f: &Frame, title: &str, failed: bool, body: Markup) -> Markup {
    layout_with(f, title, failed, body)
}

fn layout_with(f: &Frame, title: &str, failed: bool, body: Markup) -> Markup {
    let w = f.w;
    html! {
        (DOCTYPE)
        html lang=(f.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title {
                    @if failed { (w.error_title) ": " }
                    @if title == w.service { (w.service) } @else { (title) " – " (w.service) }
                }
                link rel="stylesheet" href="/assets/kezek.css";
                @if f.eds {
                    script src="/assets/eds.js" defer {}
                }
            }
            body {
                a.skip href="#main" { (w.skip) }
                header.header {
                    div.width {
                        a.brand href="/" { "Kezek" }
                        span.region { (w.region) }
                        nav.languages aria-label=(w.language) {
                            @for (code, name) in [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")] {
                                @if code == f.lang.code() {
                                    span.current lang=(code) aria-current="true" { (name) }
                                } @else {
                                    a lang=(code) hreflang=(code) href={ "/language/" (code) "?next=" (f.here) } { (name) }
                                }
                            }
                        }
                        @if f.signed_in {
                            nav.account aria-label=(w.account) {
                                @if f.operator {
                                    a href="/admin" { (w.desk) }
                                } @else {
                                    a href="/journal" { (w.journal) }
                                }
                                a href="/profile" { (w.profile) }
                            }
                            form.logout method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(f.csrf);
                                button.link type="submit" { (w.logout) }
                            }
                        }
                    }
                }
                main #main .width {
                    (body)
                }
                footer.footer {
                    div.width {
                        p { (w.support) ": " a href={ "tel:" (f.support_phone.replace(' ', "")) } { (f.support_phone) } }
                    }
                }
            }
        }
    }
}

/// The error summary: every refusal, each linking to its field.
pub(crate) fn error_summary(f: &Frame, answers: &Answers) -> Markup {
    html! {
        @if !answers.errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
                h2 #error-summary-title { (f.w.error_title) }
                ul {
                    @for (field, message) in &answers.errors {
                        li { a href={ "#" (field) } { (message) } }
                    }
                }
            }
        }
    }
}

/// A text field with its label, hint and (after a refusal) its message.
pub(crate) fn field(
    answers: &Answers,
    name: &'static str,
    label: &str,
    hint: &str,
    input_type: &str,
    autocomplete: &str,
    inputmode: &str,
) -> Markup {
    let error = answers.error(name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = if error.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        hint_id.clone()
    };
    html! {
        div.field.error[error.is_some()] {
            label for=(name) { (label) }
            p.hint id=(hint_id) { (hint) }
            @if let Some(m) = error {
                p.message id=(error_id) { (m) }
            }
            input id=(name) name=(name) type=(input_type) value=(answers.value(name))
                autocomplete=(autocomplete) inputmode=(inputmode) spellcheck="false"
                aria-describedby=(described) aria-invalid=[error.map(|_| "true")];
        }
    }
}

pub(crate) fn home(f: &Frame, districts: &[District]) -> Markup {
    let w = f.w;
    let name = |d: &District| match f.lang {
        Language::Kk => d.name_kk.clone(),
        _ => d.name_ru.clone(),
    };
    layout(
        f,
        w.service,
        html! {
            h1 { (w.service) }
            p.lead { (w.description) }
            p { a.button href="/login" { (w.login_by_code) } }
            p { a href="/queue" { (w.queue_check) } }
            h2 #districts { (w.choose_district) }
            p.hint { (w.district_hint) }
            ul.districts aria-labelledby="districts" {
                @for d in districts {
                    li {
                        a href={ "/apply?district=" (d.code) }
                            lang=[(f.lang == Language::En).then_some("ru")] { (name(d)) }
                    }
                }
            }
            h2 { (w.instructions) }
            ol {
                @for step in &w.instructions_steps {
                    li { (step) }
                }
            }
        },
    )
}

pub(crate) fn login(f: &Frame, answers: &Answers) -> Markup {
    let w = f.w;
    layout_error(
        f,
        w.login_by_code,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            h1 { (w.login_by_code) }
            p { (w.login_by_code_hint) }
            form method="post" action="/login" novalidate {
                input type="hidden" name="csrf" value=(f.csrf);
                (field(answers, "iin", w.iin, w.iin_hint, "text", "off", "numeric"))
                (field(answers, "phone", w.phone, w.phone_hint, "tel", "tel", "tel"))
                button.button type="submit" { (w.get_code) }
            }
            h2 { (w.login_by_eds) }
            p.hint { (w.login_by_eds_hint) }
            p { a.button.secondary href="/login/eds" { (w.login_by_eds) } }
        },
    )
}

pub(crate) fn code(f: &Frame, answers: &Answers) -> Markup {
    let w = f.w;
    layout_error(
        f,
        w.code,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            h1 { (w.code) }
            p { (w.code_sent) }
            form method="post" action="/login/code" novalidate {
                input type="hidden" name="csrf" value=(f.csrf);
                (field(answers, "code", w.code, w.code_hint, "text", "one-time-code", "numeric"))
                button.button type="submit" { (w.enter) }
            }
        },
    )
}

/// A select of `options` (value, label) with its label, hint and message.
fn select(
    answers: &Answers,
    name: &'static str,
    label: &str,
    hint: &str,
    options: &[(String, String)],
) -> Markup {
    let error = answers.error(name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let chosen = answers.value(name);
    html! {
        div.field.error[error.is_some()] {
            label for=(name) { (label) }
            p.hint id=(hint_id) { (hint) }
            @if let Some(m) = error {
                p.message id=(error_id) { (m) }
            }
            select id=(name) name=(name)
                aria-describedby=(if error.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() })
                aria-invalid=[error.map(|_| "true")] {
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        }
    }
}

fn district_name(lang: Language, d: &District) -> String {
    match lang {
        Language::Kk => d.name_kk.clone(),
        _ => d.name_ru.clone(),
    }
}

/// The application form, step 1 of 2: the applicant.
pub(crate) fn apply(f: &Frame, districts: &[District], answers: &Answers) -> Markup {
    let w = f.w;
    // A first empty choice: no district is chosen for the parent unseen.
    let mut options = vec![(String::new(), w.choose.to_owned())];
    options.extend(
        districts
            .iter()
            .map(|d| (d.code.clone(), district_name(f.lang, d))),
    );
    layout_error(
        f,
        w.applicant,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            span.caption { (w.apply) " · " (w.step_of.replace("{n}", "1").replace("{total}", "2")) }
            h1 { (w.applicant) }
            p { (w.applicant_hint) }
            form method="post" action="/apply" novalidate {
                input type="hidden" name="csrf" value=(f.csrf);
                (select(answers, "district", w.district, w.district_hint, &options))
                (field(answers, "email", w.email, w.email_hint, "email", "email", "email"))
                (field(answers, "phone", w.phone, w.contact_phone_hint, "tel", "tel", "tel"))
                button.button type="submit" { (w.next) }
            }
        },
    )
}

/// The application form, step 2 of 2: the child.
pub(crate) fn child(f: &Frame, privileges: &[PrivilegeCategory], answers: &Answers) -> Markup {
    let w = f.w;
    let mut options = vec![(String::new(), w.no_category.to_owned())];
    options.extend(privileges.iter().map(|p| {
        let name = category_name(f.lang, p);
        (p.id.clone(), name)
    }));
    layout_error(
        f,
        w.child_title,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            p { a href="/apply" { (w.back) } }
            span.caption { (w.apply) " · " (w.step_of.replace("{n}", "2").replace("{total}", "2")) }
            h1 { (w.child_title) }
            form method="post" action="/apply/child" novalidate {
                input type="hidden" name="csrf" value=(f.csrf);
                (field(answers, "child_iin", w.child, w.child_iin_hint, "text", "off", "numeric"))
                h2 { (w.privilege) }
                (select(answers, "category", w.category, w.privilege_hint, &options))
                button.button type="submit" { (w.next) }
            }
        },
    )
}

/// Check the answers and sign them with the one-time code.
pub(crate) fn sign(f: &Frame, web: &Web, a: &crate::Application, answers: &Answers) -> Markup {
    let w = f.w;
    let reference = web.api.service.reference();
    let district = reference
        .district(&a.district)
        .map(|d| district_name(f.lang, d))
        .unwrap_or_else(|| a.district.clone());
    let category = privilege_named(f, &a.category);
    layout_error(
        f,
        w.check_and_sign,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            p { a href="/apply/child" { (w.back) } }
            h1 { (w.check_and_sign) }
            dl.summary {
                dt { (w.district) } dd { (district) }
                dt { (w.email) } dd { (a.email) }
                dt { (w.phone) } dd { (a.phone) }
                dt { (w.child) } dd { (a.child_iin) }
                dt { (w.category) } dd { (category.unwrap_or_else(|| w.no_category.to_owned())) }
                @if !a.category.is_empty() {
                    dt { (w.proofs) } dd { (a.documents().len()) }
                }
            }
            p { (w.sign_hint) }
            // Signed with EDS through NCALayer where it runs, else with the code.
            form method="post" action="/apply/sign" novalidate
                data-eds=(to_sign(&a.submit_body()))
                data-ncalayer=(f.ncalayer) data-eds-error=(w.eds_error) {
                input type="hidden" name="csrf" value=(f.csrf);
                (eds_controls(w.sign_with_eds))
                (field(answers, "code", w.code, w.code_hint, "text", "one-time-code", "numeric"))
                button.button type="submit" { (w.send) }
            }
        },
    )
}

/// The first login's question: the e-mail address.
pub(crate) fn email(f: &Frame, answers: &Answers) -> Markup {
    let w = f.w;
    layout_error(
        f,
        w.email,
        !answers.errors.is_empty(),
        html! {
            (error_summary(f, answers))
            h1 { (w.email_question) }
            form method="post" action="/profile/email" novalidate {
                input type="hidden" name="csrf" value=(f.csrf);
                (field(answers, "email", w.email, w.email_hint, "email", "email", "email"))
                button.button type="submit" { (w.next) }
            }
        },
    )
}

pub(crate) fn journal(f: &Frame, apps: &[ApplicationView]) -> Markup {
    let w = f.w;
    layout(
        f,
        w.journal,
        html! {
            h1 { (w.journal) }
            p { a.button href="/apply" { (w.apply) } }
            @if apps.is_empty() {
                p { (w.journal_empty) }
            } @else {
                ul.cards {
                    @for a in apps {
                        li.card {
                            h2 { a href={ "/applications/" (a.id) } { (a.registration_number) } }
                            dl {
                                dt { (w.status) } dd { strong.tag { (a.status_label) } }
                                dt { (w.queue) } dd { (a.queue.name) }
                                @if let Some(p) = a.queue.position {
                                    dt { (w.position) } dd { (p) }
                                }
                                dt { (w.registered_at) } dd { (local(&a.registered_at)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A page with one message (not found, forbidden, session over).
pub(crate) fn message(f: &Frame, title: &str) -> Markup {
    layout(
        f,
        title,
        html! {
            h1 { (title) }
            p { a href="/" { "Kezek" } }
        },
    )
}
