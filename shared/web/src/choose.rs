//! Choosing a kindergarten, as the seeds describe it: from the application's page to the
//! district's kindergartens with free places for the child's age group (one question: which),
//! then the choice checked and signed with a fresh one-time code; the place is taken in the
//! same commit as the enrolment.

use super::*;
use crate::pages::{self, Frame};
use kezek_core::domain::{AdmissionMode, DdoType, InstructionLanguage, Ownership};
use kezek_core::inputs::{CatalogueFilter, ChooseInput};
use kezek_core::views::{ApplicationView, KindergartenView};
use maud::{html, Markup};

/// The words of these pages (the seeds' "Мектепке дейінгі ұйымды таңдау" / "Выбор дошкольной
/// организации" and the kindergarten card's fields).
struct Words {
    choose: &'static str,
    rule: &'static str,
    legend: &'static str,
    none_free: &'static str,
    pick_one: &'static str,
    next: &'static str,
    check: &'static str,
    sign_hint: &'static str,
    sign: &'static str,
    sign_eds: &'static str,
    phone: &'static str,
    ownership: &'static str,
    address: &'static str,
    kind: &'static str,
    language: &'static str,
    admission: &'static str,
    free: &'static str,
    state: &'static str,
    private: &'static str,
    kindergarten: &'static str,
    mini_centre: &'static str,
    kk: &'static str,
    ru: &'static str,
    both: &'static str,
    general: &'static str,
    special: &'static str,
    chosen: &'static str,
    back: &'static str,
}

const KK: Words = Words {
    choose: "Мектепке дейінгі ұйымды таңдау",
    rule: "Ваучер расталған соң 5 жұмыс күні ішінде; әйтпесе ваучер жойылып, өтініш мұрағатқа ауысады.",
    legend: "Бос орны бар мектепке дейінгі ұйымдар",
    none_free: "Қазір ауданда осы жас тобы үшін бос орын жоқ. Орындар пайда болғанда осы бетке оралыңыз немесе 1414 нөміріне хабарласыңыз.",
    pick_one: "Мектепке дейінгі ұйымды таңдаңыз",
    next: "Жалғастыру",
    check: "Таңдауды тексеріп, қол қойыңыз",
    sign_hint: "Телефоныңызға жіберілген бір реттік кодты енгізіңіз: ол таңдауға қол қояды.",
    sign: "Қол қою және жіберу",
    sign_eds: "ЭЦҚ-мен қол қою және жіберу",
    phone: "Телефон",
    ownership: "Меншік нысаны",
    address: "Мекен-жайы",
    kind: "Түрі",
    language: "Оқыту тілі",
    admission: "Қабылдау режимі",
    free: "Бос орындар",
    state: "Мемлекеттік меншік",
    private: "Жеке меншік",
    kindergarten: "балабақша",
    mini_centre: "шағын орталық",
    kk: "Қазақ",
    ru: "Орыс",
    both: "Қазақ және орыс",
    general: "Жалпы белгіленген",
    special: "Арнайы",
    chosen: "Таңдалған мектепке дейінгі ұйым",
    back: "Артқа",
};

const RU: Words = Words {
    choose: "Выбор дошкольной организации",
    rule: "В течение 5 рабочих дней после подтверждения ваучера; иначе ваучер аннулируется, а заявление переместится в архив.",
    legend: "Дошкольные организации со свободными местами",
    none_free: "Сейчас в районе нет свободных мест для этой возрастной группы. Вернитесь на эту страницу, когда места появятся, или позвоните 1414.",
    pick_one: "Выберите дошкольную организацию",
    next: "Продолжить",
    check: "Проверьте выбор и подпишите",
    sign_hint: "Введите одноразовый код, отправленный на ваш телефон: он подписывает выбор.",
    sign: "Подписать и отправить",
    sign_eds: "Подписать ЭЦП и отправить",
    phone: "Телефон",
    ownership: "Форма собственности",
    address: "Адрес",
    kind: "Тип",
    language: "Язык обучения",
    admission: "Режим приёма",
    free: "Свободных мест",
    state: "Государственная собственность",
    private: "Частная собственность",
    kindergarten: "детский сад",
    mini_centre: "мини-центр",
    kk: "Казахский",
    ru: "Русский",
    both: "Казахский и русский",
    general: "Общеустановленный",
    special: "Особый",
    chosen: "Выбранная дошкольная организация",
    back: "Назад",
};

const EN: Words = Words {
    choose: "Choose a kindergarten",
    rule: "Within 5 working days of confirming the voucher; otherwise the voucher is cancelled and the application goes to the archive.",
    legend: "Kindergartens with free places",
    none_free: "The district has no free place for this age group now. Come back to this page when places open, or call 1414.",
    pick_one: "Choose a kindergarten",
    next: "Continue",
    check: "Check your choice and sign it",
    sign_hint: "Enter the one-time code sent to your phone: it signs your choice.",
    sign: "Sign and send",
    sign_eds: "Sign with EDS and send",
    phone: "Phone",
    ownership: "Ownership",
    address: "Address",
    kind: "Type",
    language: "Language of instruction",
    admission: "Admission",
    free: "Free places",
    state: "State",
    private: "Private",
    kindergarten: "kindergarten",
    mini_centre: "mini-centre",
    kk: "Kazakh",
    ru: "Russian",
    both: "Kazakh and Russian",
    general: "General",
    special: "Special",
    chosen: "Your choice",
    back: "Back",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The application and its district's kindergartens with a free place for its age group, when
/// the parent may choose now; otherwise where to go instead (the application's page, the login).
async fn chooser(
    web: &Web,
    visit: &Visit,
    id: &str,
) -> Result<(Principal, ApplicationView, Vec<KindergartenView>), Response> {
    let Some(who) = principal(web, visit) else {
        return Err(to_login(web, &format!("/applications/{id}/choose")));
    };
    let (app, actions) = web
        .api
        .service
        .application_with_actions(&who, id, visit.lang)
        .await
        .map_err(|f| failure_page(web, visit, &f))?;
    if !actions.iter().any(|a| matches!(a, ParentAction::Choose(_))) {
        return Err(see_other(&format!("/applications/{}", app.id)));
    }
    let filter = CatalogueFilter {
        district: Some(app.district.clone()),
        language: None,
        ownership: None,
        age_group: Some(app.age_group.to_string()),
    };
    let list = web
        .api
        .service
        .catalogue(filter)
        .await
        .map_err(|f| failure_page(web, visit, &f))?;
    Ok((who, app, list))
}

#[derive(Deserialize)]
pub(crate) struct ChoiceForm {
    #[serde(default)]
    kindergarten_id: String,
    #[serde(default)]
    code: String,
    /// The choice's EDS signature (CMS, base64), when NCALayer made one.
    #[serde(default)]
    signature: String,
}

/// The district's kindergartens, one to pick.
pub(crate) async fn choose_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    match chooser(&web, &visit, &id).await {
        Ok((_, app, list)) => {
            let frame =
                pages::Frame::new(&web, &visit, &format!("/applications/{}/choose", app.id))
                    .signed_in();
            let html = list_page(&frame, &app, &list, &Answers::default());
            page(&web, &visit, StatusCode::OK, html)
        }
        Err(r) => r,
    }
}

/// The pick: one of the list, then a fresh code to the parent's phone and the signing page.
pub(crate) async fn choose_post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: ChoiceForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let (who, app, list) = match chooser(&web, &visit, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let w = words(visit.lang);
    let refuse = |message: String| {
        let answers = Answers {
            values: vec![("kindergarten_id", input.kindergarten_id.clone())],
            errors: vec![("kindergarten_id", message)],
        };
        let frame = pages::Frame::new(&web, &visit, &format!("/applications/{}/choose", app.id))
            .signed_in();
        let html = list_page(&frame, &app, &list, &answers);
        page(&web, &visit, StatusCode::BAD_REQUEST, html)
    };
    if !list.iter().any(|k| k.id == input.kindergarten_id) {
        return refuse(w.pick_one.to_owned());
    }
    // The code that signs the choice, to the application's phone.
    let phone = match web.api.service.contact_phone(&who, &app.id).await {
        Ok(p) => p,
        Err(f) => return failure_page(&web, &visit, &f),
    };
    let request = CodeRequest {
        iin: who.iin.as_str().to_owned(),
        phone,
    };
    if let Err(f) = web.api.identity.request_code(request, visit.lang).await {
        let (_, message) = field_error(&web, visit.lang, &f, &[], "kindergarten_id");
        return refuse(message);
    }
    see_other(&format!(
        "/applications/{}/choose/sign?kindergarten={}",
        app.id, input.kindergarten_id
    ))
}

/// The choice to check, and the code that signs it.
pub(crate) async fn choose_sign_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let (_, app, list) = match chooser(&web, &visit, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let wanted = q.get("kindergarten").map(String::as_str).unwrap_or("");
    let Some(k) = list.iter().find(|k| k.id == wanted) else {
        return see_other(&format!("/applications/{}/choose", app.id));
    };
    let frame = pages::Frame::new(&web, &visit, &format!("/applications/{}/choose", app.id))
        .signed_in()
        .with_eds();
    let html = sign_page(&frame, &app, k, &Answers::default());
    page(&web, &visit, StatusCode::OK, html)
}

/// Signed with the code: the choice is made (the place taken) and the application's page shows
/// it; refused, the page again with the reason, nothing changed.
pub(crate) async fn choose_sign_post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: ChoiceForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let (who, app, list) = match chooser(&web, &visit, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(k) = list.iter().find(|k| k.id == input.kindergarten_id) else {
        return see_other(&format!("/applications/{}/choose", app.id));
    };
    let refused = |f: Failure| {
        let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let (_, message) = field_error(&web, visit.lang, &f, &[], "code");
        let answers = Answers {
            values: vec![],
            errors: vec![("code", message)],
        };
        let frame = pages::Frame::new(&web, &visit, &format!("/applications/{}/choose", app.id))
            .signed_in()
            .with_eds();
        page(&web, &visit, status, sign_page(&frame, &app, k, &answers))
    };
    // What is signed: the API's body for the same choice, with the code or the EDS signature.
    let mut signed = choice_body(&k.id);
    if input.signature.trim().is_empty() {
        signed["code"] = serde_json::Value::String(input.code.trim().to_owned());
    } else {
        signed["signature"] = serde_json::Value::String(input.signature.trim().to_owned());
    }
    let signed_with = match web.api.identity.sign_off(&who, &signed).await {
        Ok(s) => s,
        Err(f) => return refused(f),
    };
    let choice = ParentAction::Choose(ChooseInput {
        kindergarten_id: k.id.clone(),
        signature: None,
    });
    match web
        .api
        .service
        .act_signed(&who, &app.id, choice, signed_with, visit.lang)
        .await
    {
        Ok(app) => see_other(&format!("/applications/{}", app.id)),
        Err(f @ (Failure::Conflict { .. } | Failure::BadInput { .. })) => refused(f),
        Err(f) => failure_page(&web, &visit, &f),
    }
}

/// What a choice signs: the API's body for it (`PUT /v1/applications/{id}/kindergarten`).
fn choice_body(kindergarten_id: &str) -> serde_json::Value {
    serde_json::json!({ "kindergarten_id": kindergarten_id })
}

/// A kindergarten's card: the seeds' fields.
fn card(f: &Frame, k: &KindergartenView, age_group: u8, id: &str) -> Markup {
    let w = words(f.lang());
    let ownership = match k.ownership {
        Ownership::State => w.state,
        Ownership::Private => w.private,
    };
    let kind = match k.ddo_type {
        DdoType::Kindergarten => w.kindergarten,
        DdoType::MiniCentre => w.mini_centre,
    };
    let language = match k.languages {
        InstructionLanguage::Kk => w.kk,
        InstructionLanguage::Ru => w.ru,
        InstructionLanguage::Both => w.both,
    };
    let admission = match k.admission {
        AdmissionMode::General => w.general,
        AdmissionMode::Special => w.special,
    };
    let free = k
        .free_places
        .get(&age_group.to_string())
        .copied()
        .unwrap_or(0);
    html! {
        dl.kindergarten id=(id) {
            dt { (w.free) } dd { (free) }
            dt { (w.ownership) } dd { (ownership) }
            dt { (w.kind) } dd { (kind) }
            dt { (w.language) } dd { (language) }
            dt { (w.admission) } dd { (admission) }
            dt { (w.address) } dd { (k.address) }
            dt { (w.phone) } dd { (k.phone) }
        }
    }
}

fn name(f: &Frame, k: &KindergartenView) -> String {
    match f.lang() {
        Language::Kk => k.name_kk.clone(),
        _ => k.name_ru.clone(),
    }
}

fn list_page(
    f: &Frame,
    app: &ApplicationView,
    list: &[KindergartenView],
    answers: &Answers,
) -> Markup {
    let w = words(f.lang());
    let error = answers.error("kindergarten_id");
    let picked = answers.value("kindergarten_id");
    let choose_by = app.voucher.as_ref().and_then(|v| v.choose_by);
    pages::layout_error(
        f,
        w.choose,
        error.is_some(),
        html! {
            (pages::error_summary(f, answers))
            p { a href={ "/applications/" (app.id) } { (w.back) } }
            span.caption { (app.registration_number) " · " (pages::district_named(f, &app.district)) }
            h1 { (w.choose) }
            p.hint { (w.rule) }
            @if let Some(t) = choose_by {
                p { strong { (pages::deadline(f, &t)) } }
            }
            @if list.is_empty() {
                p { (w.none_free) }
            } @else {
                form method="post" action={ "/applications/" (app.id) "/choose" } novalidate {
                    input type="hidden" name="csrf" value=(f.csrf());
                    div.field.error[error.is_some()] {
                        fieldset aria-describedby=[error.map(|_| "kindergarten_id-error")] {
                            legend { (w.legend) }
                            @if let Some(m) = error {
                                p.message id="kindergarten_id-error" { (m) }
                            }
                            @for (i, k) in list.iter().enumerate() {
                                @let input_id = if i == 0 { "kindergarten_id".to_owned() } else { format!("kindergarten-{i}") };
                                @let card_id = format!("kindergarten-{i}-card");
                                div.choice {
                                    input type="radio" id=(input_id) name="kindergarten_id" value=(k.id)
                                        checked[picked == k.id] aria-describedby=(card_id);
                                    label for=(input_id) { (name(f, k)) }
                                    (card(f, k, app.age_group, &card_id))
                                }
                            }
                        }
                    }
                    button.button type="submit" { (w.next) }
                }
            }
        },
    )
}

fn sign_page(f: &Frame, app: &ApplicationView, k: &KindergartenView, answers: &Answers) -> Markup {
    let w = words(f.lang());
    pages::layout_error(
        f,
        w.check,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            p { a href={ "/applications/" (app.id) "/choose" } { (w.back) } }
            span.caption { (app.registration_number) }
            h1 { (w.check) }
            h2 { (w.chosen) ": " (name(f, k)) }
            (card(f, k, app.age_group, "chosen-card"))
            p { (w.sign_hint) }
            // Signed with EDS through NCALayer where it runs, else with the code.
            form method="post" action={ "/applications/" (app.id) "/choose/sign" } novalidate
                data-eds=(pages::to_sign(&choice_body(&k.id)))
                data-ncalayer=(f.ncalayer()) data-eds-error=(f.words().eds_error) {
                input type="hidden" name="csrf" value=(f.csrf());
                input type="hidden" name="kindergarten_id" value=(k.id);
                (pages::eds_controls(w.sign_eds))
                (pages::field(answers, "code", f.words().code, f.words().code_hint, "text", "one-time-code", "numeric"))
                button.button type="submit" { (w.sign) }
            }
        },
    )
}
