//! The application form: the applicant, then the child, then check and sign with a fresh
//! one-time code; the answers wait between steps in the browser's form cookie.

use super::*;

pub(crate) fn apply_cookie(web: &Web, answers: &Application) -> Cookie<'static> {
    let value = serde_urlencoded::to_string(answers).unwrap_or_default();
    web.sealed_cookie(APPLY_COOKIE, value, 60 * 60)
}

/// Step 1: the applicant's contacts and the district (the name comes from the register).
pub(crate) async fn apply_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let mut a = visit.apply.clone();
    if let Some(d) = q.get("district") {
        a.district = d.clone();
    }
    let Some(who) = principal(&web, &visit) else {
        // The district chosen on the home page (and nothing else) waits for the login.
        let mut r = see_other("/login");
        let district_only = Application {
            district: a.district,
            ..Application::default()
        };
        add_cookie(&mut r, apply_cookie(&web, &district_only));
        return r;
    };
    if a.email.is_empty() || a.phone.is_empty() {
        if let Ok(p) = web.api.service.profile(&who).await {
            if a.email.is_empty() {
                a.email = p.email.unwrap_or_default();
            }
            if a.phone.is_empty() {
                a.phone = p.phone.unwrap_or_default();
            }
        }
    }
    let answers = Answers {
        values: vec![
            ("district", a.district),
            ("email", a.email),
            ("phone", a.phone),
        ],
        errors: vec![],
    };
    applicant_step(&web, &visit, StatusCode::OK, &answers)
}

/// Step 1's page (first shown, or refused with its answers and errors).
fn applicant_step(web: &Web, visit: &Visit, status: StatusCode, answers: &Answers) -> Response {
    let frame = pages::Frame::new(web, visit, "/apply").signed_in();
    let districts = &web.api.service.reference().districts;
    page(web, visit, status, pages::apply(&frame, districts, answers))
}

/// Step 2's page (first shown, or refused with its answers and errors).
fn child_step(web: &Web, visit: &Visit, status: StatusCode, answers: &Answers) -> Response {
    let frame = pages::Frame::new(web, visit, "/apply/child").signed_in();
    let privileges = &web.api.service.reference().privileges;
    page(
        web,
        visit,
        status,
        pages::child(&frame, privileges, answers),
    )
}

pub(crate) async fn apply_post(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: Application = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if principal(&web, &visit).is_none() {
        return see_other("/login");
    }
    let texts = web.api.service.texts();
    let reference = web.api.service.reference();
    let mut errors = Vec::new();
    if reference.district(input.district.trim()).is_none() {
        errors.push((
            "district",
            texts.error(
                "unknown_district",
                visit.lang,
                &[("field", label_of(visit.lang, "district"))],
            ),
        ));
    }
    if kezek_core::values::Email::parse(input.email.trim()).is_none() {
        errors.push((
            "email",
            texts.error(
                "invalid_email",
                visit.lang,
                &[("field", label_of(visit.lang, "email"))],
            ),
        ));
    }
    if kezek_core::values::Phone::parse(input.phone.trim()).is_none() {
        errors.push((
            "phone",
            texts.error(
                "invalid_phone",
                visit.lang,
                &[("field", label_of(visit.lang, "phone"))],
            ),
        ));
    }
    if !errors.is_empty() {
        let answers = Answers {
            values: vec![
                ("district", input.district),
                ("email", input.email),
                ("phone", input.phone),
            ],
            errors,
        };
        return applicant_step(&web, &visit, StatusCode::BAD_REQUEST, &answers);
    }
    let a = Application {
        district: input.district.trim().to_owned(),
        email: input.email.trim().to_owned(),
        phone: input.phone.trim().to_owned(),
        ..visit.apply.clone()
    };
    let mut r = see_other("/apply/child");
    add_cookie(&mut r, apply_cookie(&web, &a));
    r
}

/// Step 2: the child, and a privilege category if any.
pub(crate) async fn child_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    if principal(&web, &visit).is_none() {
        return see_other("/login");
    }
    if visit.apply.district.is_empty() {
        return see_other("/apply");
    }
    let a = &visit.apply;
    let answers = Answers {
        values: vec![
            ("child_iin", a.child_iin.clone()),
            ("category", a.category.clone()),
        ],
        errors: vec![],
    };
    child_step(&web, &visit, StatusCode::OK, &answers)
}

pub(crate) async fn child_post(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: Application = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    if visit.apply.district.is_empty() {
        return see_other("/apply");
    }
    let texts = web.api.service.texts();
    let reference = web.api.service.reference();
    let today = kezek_core::time::local_date(chrono::Utc::now().into());
    let mut errors = Vec::new();
    if kezek_core::iin::Iin::parse(input.child_iin.trim(), today).is_err() {
        errors.push((
            "child_iin",
            texts.error(
                "invalid_iin",
                visit.lang,
                &[("field", label_of(visit.lang, "child_iin"))],
            ),
        ));
    }
    let category = input.category.trim();
    if !category.is_empty() && reference.privilege(category).is_none() {
        errors.push((
            "category",
            texts.error(
                "invalid_field",
                visit.lang,
                &[("field", label_of(visit.lang, "category"))],
            ),
        ));
    }
    let mut a = Application {
        child_iin: input.child_iin.trim().to_owned(),
        category: category.to_owned(),
        ..visit.apply.clone()
    };
    if errors.is_empty() {
        // The code that signs the application, to the applicant's phone.
        let request = CodeRequest {
            iin: who.iin.as_str().to_owned(),
            phone: a.phone.clone(),
        };
        if let Err(f) = web.api.identity.request_code(request, visit.lang).await {
            errors.push(field_error(&web, visit.lang, &f, &[], "child_iin"));
        }
    }
    if !errors.is_empty() {
        a.child_iin = input.child_iin;
        let answers = Answers {
            values: vec![
                ("child_iin", a.child_iin.clone()),
                ("category", a.category.clone()),
            ],
            errors,
        };
        return child_step(&web, &visit, StatusCode::BAD_REQUEST, &answers);
    }
    // A privilege is proven by an uploaded document before signing.
    let next = if a.category.is_empty() {
        a.documents.clear();
        "/apply/sign"
    } else {
        "/apply/proof"
    };
    let mut r = see_other(next);
    add_cookie(&mut r, apply_cookie(&web, &a));
    r
}

/// Check and sign: the answers, and the one-time code that signs them.
pub(crate) async fn sign_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    if principal(&web, &visit).is_none() {
        return see_other("/login");
    }
    if visit.apply.child_iin.is_empty() {
        return see_other("/apply");
    }
    let frame = pages::Frame::new(&web, &visit, "/apply/sign")
        .signed_in()
        .with_eds();
    let html = pages::sign(&frame, &web, &visit.apply, &Answers::default());
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn sign_post(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    /// The code, or the EDS signature NCALayer made over the application's body.
    #[derive(Deserialize)]
    struct SignForm {
        #[serde(default)]
        code: String,
        #[serde(default)]
        signature: String,
    }
    let input: SignForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let a = visit.apply.clone();
    if a.child_iin.is_empty() {
        return see_other("/apply");
    }
    let mut input_body = a.submit_body();
    if input.signature.trim().is_empty() {
        input_body["code"] = serde_json::Value::String(input.code.trim().to_owned());
    } else {
        input_body["signature"] = serde_json::Value::String(input.signature.trim().to_owned());
    }
    let refused = |f: Failure| {
        let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let fields = [
            "code",
            "district",
            "email",
            "phone",
            "child_iin",
            "category",
        ];
        let (field, message) = field_error(&web, visit.lang, &f, &fields, "code");
        let answers = Answers {
            values: vec![],
            errors: vec![(if field == "code" { "code" } else { field }, message)],
        };
        let frame = pages::Frame::new(&web, &visit, "/apply/sign")
            .signed_in()
            .with_eds();
        page(
            &web,
            &visit,
            status,
            pages::sign(&frame, &web, &a, &answers),
        )
    };
    let signed_with = match web.api.identity.sign_off(&who, &input_body).await {
        Ok(s) => s,
        Err(f) => return refused(f),
    };
    let submit = kezek_core::inputs::SubmitInput {
        district: a.district.clone(),
        child_iin: a.child_iin.clone(),
        email: a.email.clone(),
        phone: a.phone.clone(),
        language: Some(visit.lang.code().to_owned()),
        privilege: (!a.category.is_empty()).then(|| kezek_core::inputs::PrivilegeInput {
            category: a.category.clone(),
            document_ids: a.documents(),
        }),
        signature: None,
    };
    match web
        .api
        .service
        .submit_signed(&who, submit, signed_with, visit.lang)
        .await
    {
        Ok(app) => {
            let mut r = see_other(&format!("/applications/{}?registered=1", app.id));
            remove_cookie(&web, &mut r, APPLY_COOKIE);
            r
        }
        Err(f) => refused(f),
    }
}

impl Application {
    /// What a submission signs (what `POST /v1/applications` takes), without the code or the
    /// signature.
    pub(crate) fn submit_body(&self) -> serde_json::Value {
        serde_json::json!({
            "district": self.district,
            "child_iin": self.child_iin,
            "email": self.email,
            "phone": self.phone,
        })
    }
}
