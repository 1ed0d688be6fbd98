//! The privilege's proof, uploaded by a plain HTML form that posts the file straight to storage
//! (S3's POST policy in AWS, the data folder's signed form locally): no JavaScript, and a scan
//! may be larger than a function's request limit. Storage sends the browser back here, where the
//! file is checked by its first bytes (PDF, JPEG or PNG) and its size, and recorded as the
//! parent's document; the application form then cites it.

use super::*;
use crate::pages::{self, Frame};
use kezek_core::ports::UploadForm;
use maud::{html, Markup};

struct Words {
    title: &'static str,
    lead: &'static str,
    file: &'static str,
    hint: &'static str,
    upload: &'static str,
    uploaded: &'static str,
    another: &'static str,
    next: &'static str,
    back: &'static str,
}

const KK: Words = Words {
    title: "Жеңілдікті растайтын құжат",
    lead: "Санатты растайтын құжаттың сканерін немесе фотосын жүктеңіз.",
    file: "Файл",
    hint: "PDF, JPEG немесе PNG, 10 МБ дейін.",
    upload: "Жүктеу",
    uploaded: "Жүктелген құжаттар",
    another: "Тағы бір құжат жүктеуге болады.",
    next: "Жалғастыру",
    back: "Артқа",
};

const RU: Words = Words {
    title: "Документ, подтверждающий льготу",
    lead: "Загрузите скан или фото документа, подтверждающего категорию.",
    file: "Файл",
    hint: "PDF, JPEG или PNG, до 10 МБ.",
    upload: "Загрузить",
    uploaded: "Загруженные документы",
    another: "Можно загрузить ещё один документ.",
    next: "Продолжить",
    back: "Назад",
};

const EN: Words = Words {
    title: "Proof of the privilege",
    lead: "Upload a scan or a photo of the document that proves the category.",
    file: "File",
    hint: "PDF, JPEG or PNG, up to 10 MB.",
    upload: "Upload",
    uploaded: "Uploaded documents",
    another: "You can upload another document.",
    next: "Continue",
    back: "Back",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The proofs the application form carries between its steps.
impl crate::Application {
    pub(crate) fn documents(&self) -> Vec<String> {
        self.documents
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Adds an uploaded proof (once; at most 5 are kept).
    pub(crate) fn add_document(&mut self, id: &str) {
        let mut ids = self.documents();
        if !ids.iter().any(|d| d == id) && ids.len() < 5 {
            ids.push(id.to_owned());
        }
        self.documents = ids.join(",");
    }
}

/// The name an uploaded proof is kept under (its type's extension added).
const PROOF_NAME: &str = "privilege-proof";

/// Where storage sends the browser after the upload: this site's own page, absolute (storage is
/// another origin). The host is the request's, checked to be a plain host name.
fn return_url(web: &Web, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let scheme = if web.secure { "https" } else { "http" };
    plain.then(|| format!("{scheme}://{host}/apply/proof/done"))
}

/// The upload page: the form to storage, and the proofs uploaded so far.
pub(crate) async fn proof_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    proof_response(&web, &visit, &headers, StatusCode::OK, &Answers::default()).await
}

async fn proof_response(
    web: &Web,
    visit: &Visit,
    headers: &HeaderMap,
    status: StatusCode,
    answers: &Answers,
) -> Response {
    let Some(who) = principal(web, visit) else {
        return see_other("/login");
    };
    if visit.apply.child_iin.is_empty() || visit.apply.category.is_empty() {
        return see_other("/apply/child");
    }
    let Some(back) = return_url(web, headers) else {
        return error_page(web, visit, StatusCode::BAD_REQUEST);
    };
    let form = match web.api.service.upload_form(&who, &back).await {
        Ok((_, form)) => form,
        Err(f) => return failure_page(web, visit, &f),
    };
    let frame = Frame::new(web, visit, "/apply/proof").signed_in();
    let uploaded = visit.apply.documents().len();
    let html = upload_page(&frame, &form, uploaded, answers);
    let mut r = page(web, visit, status, html);
    // The form posts to storage: this page's policy allows that origin too.
    if let Some(origin) = form.origin() {
        if let Ok(v) = HeaderValue::from_str(&web.csp_with_form_target(origin)) {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    r
}

/// Back from storage: the upload checked and recorded, then the upload page again with it
/// listed; refused (not a PDF, JPEG or PNG, too large, missing), the page with the reason.
pub(crate) async fn proof_done(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let Some(who) = principal(&web, &visit) else {
        return see_other("/login");
    };
    let id = q.get("id").map(String::as_str).unwrap_or_default();
    match web
        .api
        .service
        .complete_form_upload(&who, id, PROOF_NAME)
        .await
    {
        Ok(doc) => {
            let mut a = visit.apply.clone();
            a.add_document(&doc.id);
            let mut r = see_other("/apply/proof");
            add_cookie(&mut r, apply_cookie(&web, &a));
            r
        }
        Err(f @ Failure::BadInput { .. }) => {
            let answers = Answers {
                values: vec![],
                errors: vec![field_error(&web, visit.lang, &f, &["file"], "file")],
            };
            proof_response(&web, &visit, &headers, StatusCode::BAD_REQUEST, &answers).await
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

fn upload_page(f: &Frame, form: &UploadForm, uploaded: usize, answers: &Answers) -> Markup {
    let w = words(f.lang());
    let error = answers.error("file");
    pages::layout_error(
        f,
        w.title,
        error.is_some(),
        html! {
            (pages::error_summary(f, answers))
            p { a href="/apply/child" { (w.back) } }
            h1 { (w.title) }
            p { (w.lead) }
            @if uploaded > 0 {
                h2 { (w.uploaded) ": " (uploaded) }
                p { (w.another) }
                p { a.button href="/apply/sign" { (w.next) } }
            }
            form method="post" action=(form.action) enctype="multipart/form-data" {
                @for (name, value) in &form.fields {
                    input type="hidden" name=(name) value=(value);
                }
                div.field.error[error.is_some()] {
                    label for="file" { (w.file) }
                    p.hint id="file-hint" { (w.hint) }
                    @if let Some(m) = error {
                        p.message id="file-error" { (m) }
                    }
                    input id="file" name=(UploadForm::FILE_FIELD) type="file"
                        accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                        aria-describedby=(if error.is_some() { "file-hint file-error" } else { "file-hint" })
                        aria-invalid=[error.map(|_| "true")];
                }
                @if uploaded > 0 {
                    button.button.secondary type="submit" { (w.upload) }
                } @else {
                    button.button type="submit" { (w.upload) }
                }
            }
        },
    )
}
