//! The operators' catalogue pages: a district's kindergartens, adding one, changing its details,
//! and its free places per age group as one small form that says what the change does to the
//! voucher pool. Every page and form goes through the catalogue's use cases and the access
//! policy (an operator of another district: 403).

use super::*;
use crate::desk::{district_of, operator, permitted};
use crate::desk_words::{label, option_label, refusal, words, Words, FIELDS};
use crate::pages::{self, Frame};
use kezek_core::access::Operation;
use kezek_core::domain::{AdmissionMode, DdoType, InstructionLanguage, Ownership};
use kezek_core::inputs::{CatalogueFilter, KindergartenInput};
use kezek_core::views::KindergartenView;
use maud::{html, Markup};
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub(crate) struct KindergartenForm {
    #[serde(default)]
    district: String,
    #[serde(default)]
    name_kk: String,
    #[serde(default)]
    name_ru: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    ownership: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    admission: String,
}

impl KindergartenForm {
    fn answers(&self) -> Answers {
        Answers {
            values: vec![
                ("name_kk", self.name_kk.clone()),
                ("name_ru", self.name_ru.clone()),
                ("address", self.address.clone()),
                ("phone", self.phone.clone()),
                ("ownership", self.ownership.clone()),
                ("type", self.kind.clone()),
                ("languages", self.languages.clone()),
                ("admission", self.admission.clone()),
            ],
            errors: vec![],
        }
    }

    fn of(k: &KindergartenView) -> KindergartenForm {
        let code = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        KindergartenForm {
            district: k.district.clone(),
            name_kk: k.name_kk.clone(),
            name_ru: k.name_ru.clone(),
            address: k.address.clone(),
            phone: k.phone.clone(),
            ownership: code(serde_json::json!(k.ownership)),
            kind: code(serde_json::json!(k.ddo_type)),
            languages: code(serde_json::json!(k.languages)),
            admission: code(serde_json::json!(k.admission)),
        }
    }

    /// The use case's input; a choice that is none of the offered ones names its field.
    fn input(&self) -> Result<KindergartenInput, Failure> {
        fn choice<T: for<'de> Deserialize<'de>>(v: &str, field: &str) -> Result<T, Failure> {
            if v.is_empty() {
                return Err(Failure::bad("missing_field", field));
            }
            serde_json::from_value(serde_json::Value::String(v.to_owned()))
                .map_err(|_| Failure::bad("invalid_field", field))
        }
        // In the page's order, so the first refusal is the first field at fault.
        let required = |v: &str, field: &str| {
            if v.trim().is_empty() {
                Err(Failure::bad("missing_field", field))
            } else {
                Ok(())
            }
        };
        required(&self.name_kk, "name_kk")?;
        required(&self.name_ru, "name_ru")?;
        required(&self.address, "address")?;
        required(&self.phone, "phone")?;
        Ok(KindergartenInput {
            name_kk: self.name_kk.trim().to_owned(),
            name_ru: self.name_ru.trim().to_owned(),
            district: self.district.trim().to_owned(),
            address: self.address.trim().to_owned(),
            phone: self.phone.trim().to_owned(),
            ownership: choice::<Ownership>(&self.ownership, "ownership")?,
            ddo_type: choice::<DdoType>(&self.kind, "type")?,
            languages: choice::<InstructionLanguage>(&self.languages, "languages")?,
            admission: choice::<AdmissionMode>(&self.admission, "admission")?,
            free_places: None,
        })
    }
}

pub(crate) async fn list(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/kindergartens") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    if let Err(r) = permitted(&web, &visit, &who, Operation::ManageCatalogue, &district) {
        return *r;
    }
    let filter = CatalogueFilter {
        district: Some(district.clone()),
        ..CatalogueFilter::default()
    };
    let list = match web.api.service.catalogue(filter).await {
        Ok(l) => l,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let w = words(visit.lang);
    let frame = Frame::new(&web, &visit, "/admin/kindergartens").operator();
    let html = pages::layout_error(
        &frame,
        w.title,
        false,
        html! {
            p { a href={ "/admin?district=" (district) } { (crate::desk::words(frame.lang()).to_desk) } }
            h1 { (w.title) ": " (pages::district_named(&frame, &district)) }
            (crate::desk::district_switch(&frame, &who, "/admin/kindergartens", &district))
            p { a.button href={ "/admin/kindergartens/new?district=" (district) } { (w.add) } }
            @if list.is_empty() {
                p { (w.empty) }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { (w.name_ru) }
                            th scope="col" { (w.kind) }
                            th scope="col" { (w.languages) }
                            th scope="col" { (w.free) }
                        } }
                        tbody {
                            @for k in &list {
                                @let form = KindergartenForm::of(k);
                                tr {
                                    td { a href={ "/admin/kindergartens/" (k.id) } { (name_of(&frame, k)) } }
                                    td { (option_label(w, &form.kind)) ", " (option_label(w, &form.ownership)) }
                                    td { (option_label(w, &form.languages)) }
                                    td {
                                        a href={ "/admin/kindergartens/" (k.id) "/places" } {
                                            (places_line(w, &k.free_places))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) fn name_of<'a>(f: &Frame, k: &'a KindergartenView) -> &'a str {
    match f.lang() {
        Language::Kk => &k.name_kk,
        _ => &k.name_ru,
    }
}

/// "3 лет: 10; 4 лет: 0", or "—".
fn places_line(w: &Words, places: &BTreeMap<String, u32>) -> String {
    if places.is_empty() {
        return "—".into();
    }
    places
        .iter()
        .map(|(a, n)| format!("{}: {n}", (w.age)(a.parse().unwrap_or(0))))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) async fn new_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, "/admin/kindergartens/new") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let district = district_of(&who, q.get("district"));
    if let Err(r) = permitted(&web, &visit, &who, Operation::ManageCatalogue, &district) {
        return *r;
    }
    let form = KindergartenForm {
        district,
        ownership: "state".into(),
        kind: "kindergarten".into(),
        languages: "both".into(),
        admission: "general".into(),
        ..KindergartenForm::default()
    };
    let frame = Frame::new(&web, &visit, "/admin/kindergartens/new").operator();
    let html = kindergarten_page(&frame, None, &form, &form.answers());
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn new_post(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: KindergartenForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let who = match operator(&web, &visit, "/admin") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let created = match input.input() {
        Ok(i) => web.api.service.create_kindergarten(&who, i).await,
        Err(f) => Err(f),
    };
    match created {
        Ok(k) => see_other(&format!("/admin/kindergartens/{}/places?created=1", k.id)),
        Err(f @ Failure::BadInput { .. }) => {
            let mut answers = input.answers();
            answers.errors.push(refusal(&web, visit.lang, &f, &FIELDS));
            let frame = Frame::new(&web, &visit, "/admin/kindergartens/new").operator();
            let html = kindergarten_page(&frame, None, &input, &answers);
            page(&web, &visit, StatusCode::BAD_REQUEST, html)
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

/// A kindergarten of the catalogue, if the operator may manage it (403 or 404 otherwise).
pub(crate) async fn managed(
    web: &Web,
    visit: &Visit,
    who: &Principal,
    id: &str,
) -> Result<KindergartenView, Box<Response>> {
    web.api
        .service
        .managed_kindergarten(who, id)
        .await
        .map_err(|f| Box::new(failure_page(web, visit, &f)))
}

pub(crate) async fn edit_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, &format!("/admin/kindergartens/{id}")) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let kg = match managed(&web, &visit, &who, &id).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let form = KindergartenForm::of(&kg);
    let mut answers = form.answers();
    answers
        .values
        .push(("saved", q.get("saved").cloned().unwrap_or_default()));
    let frame = Frame::new(&web, &visit, "/admin/kindergartens").operator();
    let html = kindergarten_page(&frame, Some(&kg), &form, &answers);
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn edit_post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let mut input: KindergartenForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let who = match operator(&web, &visit, "/admin") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let kg = match managed(&web, &visit, &who, &id).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    // The district is the kindergarten's own: a form cannot move it.
    input.district = kg.district.clone();
    let updated = match input.input() {
        Ok(i) => web.api.service.update_kindergarten(&who, &id, i).await,
        Err(f) => Err(f),
    };
    match updated {
        Ok(k) => see_other(&format!("/admin/kindergartens/{}?saved=1", k.id)),
        Err(f @ Failure::BadInput { .. }) => {
            let mut answers = input.answers();
            answers.errors.push(refusal(&web, visit.lang, &f, &FIELDS));
            let frame = Frame::new(&web, &visit, "/admin/kindergartens").operator();
            let html = kindergarten_page(&frame, Some(&kg), &input, &answers);
            page(&web, &visit, StatusCode::BAD_REQUEST, html)
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

fn radios(w: &Words, answers: &Answers, name: &'static str, values: &[&'static str]) -> Markup {
    let error = answers.error(name);
    let chosen = answers.value(name);
    html! {
        div.field.error[error.is_some()] {
            fieldset {
                legend { (label(w, name)) }
                @if let Some(m) = error { p.message { (m) } }
                @for (i, v) in values.iter().enumerate() {
                    @let id = if i == 0 { name.to_owned() } else { format!("{name}-{v}") };
                    div.choice {
                        input type="radio" id=(id) name=(name) value=(v) checked[chosen == *v];
                        label for=(id) { (option_label(w, v)) }
                    }
                }
            }
        }
    }
}

fn kindergarten_page(
    f: &Frame,
    kg: Option<&KindergartenView>,
    form: &KindergartenForm,
    answers: &Answers,
) -> Markup {
    let w = words(f.lang());
    let (title, action) = match kg {
        Some(k) => (w.edit, format!("/admin/kindergartens/{}", k.id)),
        None => (w.add, "/admin/kindergartens/new".to_owned()),
    };
    pages::layout_error(
        f,
        title,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            @if answers.value("saved") == "1" {
                div.panel role="status" { p { (w.saved) } }
            }
            p { a href={ "/admin/kindergartens?district=" (form.district) } { (w.title) } }
            h1 {
                (title)
                @if let Some(k) = kg { ": " (name_of(f, k)) }
            }
            p.hint { (pages::district_named(f, &form.district)) }
            form method="post" action=(action) novalidate {
                input type="hidden" name="csrf" value=(f.csrf());
                input type="hidden" name="district" value=(form.district);
                (pages::field(answers, "name_kk", w.name_kk, "", "text", "off", "text"))
                (pages::field(answers, "name_ru", w.name_ru, "", "text", "off", "text"))
                (pages::field(answers, "address", w.address, "", "text", "street-address", "text"))
                (pages::field(answers, "phone", w.phone, w.phone_hint, "tel", "off", "tel"))
                (radios(w, answers, "ownership", &["state", "private"]))
                (radios(w, answers, "type", &["kindergarten", "mini_centre"]))
                (radios(w, answers, "languages", &["kk", "ru", "both"]))
                (radios(w, answers, "admission", &["general", "special"]))
                button.button type="submit" { (w.save) }
            }
            @if let Some(k) = kg {
                h2 { (w.places) }
                p {
                    a href={ "/admin/kindergartens/" (k.id) "/places" } { (places_line(w, &k.free_places)) }
                }
            }
        },
    )
}
