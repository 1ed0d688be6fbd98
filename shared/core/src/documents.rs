//! Documents: the rules of parents' uploads (privilege proofs) and the keys of the files the
//! service keeps (uploads and the documents it issues). Bytes live in a [`crate::ports::Blobs`]
//! store (S3 in AWS, a data folder locally), reached by short-lived signed URLs.

use crate::Failure;
use serde::{Deserialize, Serialize};

/// Largest upload accepted, in bytes (10 MB).
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// The content types a parent may upload: PDF, JPEG and PNG.
pub const ACCEPTED_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
/// How long an upload URL works.
pub const UPLOAD_URL_SECONDS: u64 = 15 * 60;
/// How long a download URL works.
pub const DOWNLOAD_URL_SECONDS: u64 = 5 * 60;
/// Longest file name kept.
pub const MAX_NAME_CHARS: usize = 200;

/// What a parent declares before uploading (`POST /v1/documents`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadInput {
    pub name: String,
    pub content_type: String,
    pub size: serde_json::Number,
}

/// An upload the rules accept: the name cleaned, the type normalised, the size in range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub content_type: &'static str,
    pub size: u64,
}

/// Why the documents feature refuses a declared upload (400, naming the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("not a PDF, JPEG or PNG")]
    UnsupportedType,
    #[error("invalid size")]
    InvalidSize,
    #[error("larger than the limit")]
    TooLarge,
    #[error("invalid file name")]
    InvalidName,
}

impl UploadError {
    pub fn code(self) -> &'static str {
        match self {
            UploadError::UnsupportedType => "unsupported_document_type",
            UploadError::InvalidSize | UploadError::InvalidName => "invalid_field",
            UploadError::TooLarge => "document_too_large",
        }
    }

    /// The JSON path of the field at fault.
    pub fn field(self) -> &'static str {
        const FIELDS: [(UploadError, &str); 4] = [
            (UploadError::UnsupportedType, "content_type"),
            (UploadError::InvalidSize, "size"),
            (UploadError::TooLarge, "size"),
            (UploadError::InvalidName, "name"),
        ];
        FIELDS
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("", |(_, f)| f)
    }
}

impl From<UploadError> for Failure {
    fn from(e: UploadError) -> Failure {
        Failure::bad(e.code(), e.field())
    }
}

/// Checks a declared upload: PDF, JPEG or PNG, 1 byte to [`MAX_UPLOAD_BYTES`], a file name of
/// printable characters. Anything else is refused naming the field.
pub fn check_upload(input: &UploadInput) -> Result<Upload, UploadError> {
    let declared = input
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let content_type = ACCEPTED_TYPES
        .into_iter()
        .find(|t| *t == declared || (declared == "image/jpg" && *t == "image/jpeg"))
        .ok_or(UploadError::UnsupportedType)?;
    let size = input
        .size
        .as_u64()
        .filter(|s| *s >= 1)
        .ok_or(UploadError::InvalidSize)?;
    if size > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge);
    }
    let name: String = input
        .name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if name.is_empty()
        || name.chars().any(crate::inputs::is_hidden_format)
        || name.chars().count() > MAX_NAME_CHARS
        || name.contains(['/', '\\'])
        || name == "."
        || name == ".."
    {
        return Err(UploadError::InvalidName);
    }
    Ok(Upload {
        name,
        content_type,
        size,
    })
}

pub use crate::domain::{DocumentKind, DocumentRecord};

impl DocumentKind {
    /// The PDF an issued kind is rendered as; `None` for an upload.
    pub fn issued(self) -> Option<kezek_pdf::DocumentKind> {
        match self {
            DocumentKind::Upload => None,
            DocumentKind::Registration => Some(kezek_pdf::DocumentKind::Registration),
            DocumentKind::Voucher => Some(kezek_pdf::DocumentKind::Voucher),
            DocumentKind::Enrolment => Some(kezek_pdf::DocumentKind::Enrolment),
        }
    }
}

/// The blob key of an upload: `uploads/<owner IIN hash>/<id>` (no IIN in object keys).
pub fn upload_key(owner_tag: &str, id: &str) -> String {
    format!("uploads/{owner_tag}/{id}")
}

/// The blob key of an issued document: `issued/<application id>/<kind>.pdf`.
pub fn issued_key(application_id: &str, kind: DocumentKind) -> String {
    format!("issued/{application_id}/{}.pdf", kind.as_str())
}

pub use crate::queue::fnv;

/// A stable tag of an IIN for object keys, so no IIN is in them.
pub fn owner_tag(iin: &crate::iin::Iin) -> String {
    format!("{:016x}", fnv(&format!("kezek-doc:{}", iin.as_str())))
}

/// A `Content-Disposition` that names a download in ASCII and in UTF-8 (RFC 6266), for every
/// blob store.
pub fn attachment(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_encode(filename)
    )
}

/// Percent-encodes all but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`): URL path
/// segments and query values of every blob store, and RFC 5987 values.
pub fn url_encode(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, t: &str, size: serde_json::Value) -> UploadInput {
        serde_json::from_value(serde_json::json!({"name": name, "content_type": t, "size": size}))
            .unwrap()
    }

    #[test]
    fn accepts_pdf_jpeg_png_up_to_ten_megabytes() {
        for (t, want) in [
            ("application/pdf", "application/pdf"),
            ("IMAGE/JPEG", "image/jpeg"),
            ("image/jpg", "image/jpeg"),
            ("image/png; charset=binary", "image/png"),
        ] {
            let u = check_upload(&input(" справка.pdf ", t, serde_json::json!(1024))).unwrap();
            assert_eq!((u.content_type, u.name.as_str()), (want, "справка.pdf"));
        }
        assert!(check_upload(&input(
            "a",
            "application/pdf",
            serde_json::json!(MAX_UPLOAD_BYTES)
        ))
        .is_ok());
        let code = |i: &UploadInput| check_upload(i).unwrap_err().code();
        assert_eq!(
            code(&input(
                "a",
                "application/pdf",
                serde_json::json!(MAX_UPLOAD_BYTES + 1)
            )),
            "document_too_large"
        );
        for t in ["text/html", "application/zip", "image/svg+xml", ""] {
            assert_eq!(
                code(&input("a", t, serde_json::json!(1))),
                "unsupported_document_type"
            );
        }
        for s in [
            serde_json::json!(0),
            serde_json::json!(-1),
            serde_json::json!(1.5),
        ] {
            assert_eq!(code(&input("a", "image/png", s)), "invalid_field");
        }
        for n in ["", "  ", "../x", "a/b", ".."] {
            assert_eq!(
                code(&input(n, "image/png", serde_json::json!(1))),
                "invalid_field"
            );
        }
    }

    #[test]
    fn keys_carry_no_iin() {
        let iin = crate::iin::Iin::try_from("900101300007".to_owned()).unwrap();
        let tag = owner_tag(&iin);
        assert_eq!(tag.len(), 16);
        assert!(!upload_key(&tag, "d1").contains("900101300007"));
        assert_eq!(
            issued_key("a1", DocumentKind::Voucher),
            "issued/a1/voucher.pdf"
        );
    }

    #[test]
    fn a_kind_is_named_as_its_pdf_is() {
        for k in [
            DocumentKind::Registration,
            DocumentKind::Voucher,
            DocumentKind::Enrolment,
        ] {
            assert_eq!(
                k.issued().map(kezek_pdf::DocumentKind::as_str),
                Some(k.as_str())
            );
        }
        assert_eq!(DocumentKind::Upload.as_str(), "upload");
    }
}

/// The reply to `POST /v1/documents`: where to upload, until when.
#[derive(Debug, Clone, Serialize)]
pub struct UploadTicket {
    pub id: String,
    pub upload_url: String,
    pub expires_at: crate::time::Time,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// An entry of `GET /v1/applications/{id}/documents`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: String,
    pub kind: DocumentKind,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// `null` for an upload whose bytes have not arrived.
    pub download_url: Option<String>,
}

/// The id of an issued document: `<application id>.<kind>`.
pub fn issued_id(application_id: &str, kind: DocumentKind) -> String {
    format!("{application_id}.{}", kind.as_str())
}

use crate::access::Principal;
use crate::domain::{Application, Notification, NotificationKind, Status};
use crate::ports::Blobs;
use crate::service::Service;
use std::sync::Arc;
use std::time::Duration;

pub use crate::ports::Render;

/// The PDF renderer of issued documents (Kazakh and Russian, embedded font).
pub use kezek_pdf::render as render_pdf;

fn unavailable() -> Failure {
    Failure::Unavailable("no document store".into())
}

fn dmy(t: crate::time::Time) -> String {
    t.format("%d.%m.%Y %H:%M").to_string()
}

impl Service {
    pub(crate) fn blobs(&self) -> Result<&Arc<dyn Blobs>, Failure> {
        self.blobs.as_ref().ok_or_else(unavailable)
    }

    /// `POST /v1/documents`: a parent declares an upload and gets a short-lived URL bound to its
    /// content type and size.
    pub async fn request_upload(
        &self,
        who: &Principal,
        input: UploadInput,
    ) -> Result<UploadTicket, Failure> {
        crate::access::permit(
            who,
            crate::access::Operation::Upload,
            crate::access::On::Caller,
        )?;
        let upload = check_upload(&input)?;
        let blobs = self.blobs()?;
        let id = self.new_id();
        let key = upload_key(&owner_tag(&who.iin), &id);
        let now = self.now();
        let url = blobs
            .upload_url(
                &key,
                upload.content_type,
                upload.size,
                Duration::from_secs(UPLOAD_URL_SECONDS),
            )
            .await?;
        self.store
            .put_document(DocumentRecord {
                id: id.clone(),
                owner: who.iin.clone(),
                kind: DocumentKind::Upload,
                name: upload.name.clone(),
                content_type: upload.content_type.to_owned(),
                size: upload.size,
                application_id: None,
                key,
                created_at: now,
            })
            .await?;
        Ok(UploadTicket {
            id,
            upload_url: url,
            expires_at: crate::time::local(
                chrono::Utc::now() + chrono::Duration::seconds(UPLOAD_URL_SECONDS as i64),
            ),
            name: upload.name,
            content_type: upload.content_type.to_owned(),
            size: upload.size,
        })
    }

    /// A privilege claim may reference only the parent's own uploads.
    pub(crate) async fn check_own_uploads(
        &self,
        who: &Principal,
        ids: &[String],
    ) -> Result<(), Failure> {
        for id in ids {
            match self.store.document(id).await? {
                Some(d) if d.owner == who.iin && d.kind == DocumentKind::Upload => {}
                _ => return Err(Failure::bad("unknown_document", "privilege.document_ids")),
            }
        }
        Ok(())
    }

    /// The issued documents an application's state calls for: the registration always, the
    /// voucher once confirmed (its PDF shows the choice deadline), the enrolment once enrolled.
    fn issued_kinds(app: &Application) -> Vec<DocumentKind> {
        let mut kinds = vec![DocumentKind::Registration];
        if app
            .voucher()
            .as_ref()
            .is_some_and(|v| v.confirmed_at.is_some())
        {
            kinds.push(DocumentKind::Voucher);
        }
        if app.status() == Status::Enrolled {
            kinds.push(DocumentKind::Enrolment);
        }
        kinds
    }

    /// Makes the issued documents the application calls for and does not have yet: rendered
    /// (Kazakh and Russian, one PDF), stored as blobs, recorded. Deterministic: a retry makes the
    /// same bytes.
    pub async fn issue_documents(&self, app: &Application) -> Result<Vec<DocumentRecord>, Failure> {
        Ok(self.issue(app, None).await?.0)
    }

    /// [`Self::issue_documents`], making `remake` again even if it exists (its data changed), and
    /// how many documents it made.
    async fn issue(
        &self,
        app: &Application,
        remake: Option<DocumentKind>,
    ) -> Result<(Vec<DocumentRecord>, usize), Failure> {
        let blobs = self.blobs()?;
        let mut out = Vec::new();
        let mut made = 0;
        for kind in Self::issued_kinds(app) {
            let id = issued_id(&app.id, kind);
            if let Some(d) = self.store.document(&id).await? {
                if remake != Some(kind) {
                    out.push(d);
                    continue;
                }
            }
            made += 1;
            let bytes = self.render_document(app, kind).await?;
            let key = issued_key(&app.id, kind);
            let size = bytes.len() as u64;
            blobs.put(&key, bytes, "application/pdf").await?;
            let record = DocumentRecord {
                id,
                owner: app.applicant_iin.clone(),
                kind,
                name: format!("{}-{}.pdf", app.registration_number, kind.as_str()),
                content_type: "application/pdf".into(),
                size,
                application_id: Some(app.id.clone()),
                key,
                created_at: self.now(),
            };
            self.store.put_document(record.clone()).await?;
            out.push(record);
        }
        Ok((out, made))
    }

    /// The event an outbox entry records, if it issues documents: registration, the confirmed
    /// voucher, its extension (the voucher is made again with the new choice deadline),
    /// enrolment. In AWS the `issue-documents` function takes these from the table's
    /// stream (the entries commit with the state change), so issuing never slows the parent's
    /// request, and the stream retries a failure; the listing makes any still missing.
    pub fn issues_documents(kind: NotificationKind) -> bool {
        matches!(
            kind,
            NotificationKind::Registered
                | NotificationKind::VoucherConfirmed
                | NotificationKind::Extended
                | NotificationKind::Enrolled
        )
    }

    /// Issues the documents of the event an outbox entry records ([`Self::issues_documents`]):
    /// those the application's state calls for and does not have yet. The count made; none for
    /// another event or an application that is gone.
    pub async fn issue_on_event(&self, n: &Notification) -> Result<usize, Failure> {
        if !Self::issues_documents(n.kind) {
            return Ok(0);
        }
        let Some(id) = &n.application_id else {
            return Ok(0);
        };
        let Some(app) = self.store.application(id).await? else {
            return Ok(0);
        };
        let remake = (n.kind == NotificationKind::Extended).then_some(DocumentKind::Voucher);
        Ok(self.issue(&app, remake).await?.1)
    }

    async fn render_document(
        &self,
        app: &Application,
        kind: DocumentKind,
    ) -> Result<Vec<u8>, Failure> {
        use crate::domain::Language;
        let district = self.reference().district(&app.district);
        let age =
            crate::queue::age_group(app.child_birth_date, crate::time::local_date(self.now()));
        let texts = self.texts();
        let kindergarten = match app
            .voucher()
            .as_ref()
            .and_then(|v| v.kindergarten_id.clone())
        {
            Some(id) => self.store.kindergarten(&id).await?,
            None => None,
        };
        let applicant_name = self
            .store
            .profile(&app.applicant_iin)
            .await?
            .and_then(|p| p.name);
        let position = if kind == DocumentKind::Registration {
            self.position(app, self.now()).await?
        } else {
            None
        };
        let pdf = kind
            .issued()
            .ok_or_else(|| Failure::Unavailable(format!("{} is not issued", kind.as_str())))?;
        let data = kezek_pdf::DocumentData {
            kind: pdf,
            registration_number: app.registration_number.clone(),
            issued_at: dmy(match kind {
                DocumentKind::Voucher => app
                    .voucher()
                    .as_ref()
                    .map_or(app.registered_at, |v| v.issued_at),
                DocumentKind::Enrolment => app
                    .voucher()
                    .as_ref()
                    .and_then(|v| v.enrolled_at)
                    .unwrap_or(app.updated_at),
                _ => app.registered_at,
            }),
            district_kk: district.map(|d| d.name_kk.clone()).unwrap_or_default(),
            district_ru: district.map(|d| d.name_ru.clone()).unwrap_or_default(),
            queue_kk: texts.queue_name(age, Language::Kk),
            queue_ru: texts.queue_name(age, Language::Ru),
            position,
            child_iin_masked: app.child_iin.masked(),
            child_birth_date: app.child_birth_date.format("%d.%m.%Y").to_string(),
            applicant_iin_masked: app.applicant_iin.masked(),
            applicant_name,
            kindergarten_kk: kindergarten.as_ref().map(|k| k.name_kk.clone()),
            kindergarten_ru: kindergarten.as_ref().map(|k| k.name_ru.clone()),
            confirm_by: app.voucher().as_ref().map(|v| dmy(v.confirm_by)),
            choose_by: app.voucher().as_ref().and_then(|v| v.choose_by.map(dmy)),
            run_log: match kind {
                DocumentKind::Voucher => app.voucher().and_then(|v| v.log).map(|l| {
                    let groups: Vec<String> = l
                        .hash
                        .as_bytes()
                        .chunks(16)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    format!("№ {} · SHA-256 {}", l.seq, groups.join(" "))
                }),
                _ => None,
            },
        };
        let render = self.render.ok_or_else(unavailable)?;
        render(&data).map_err(|e| Failure::Unavailable(format!("pdf: {e}")))
    }

    /// `GET /v1/applications/{id}/documents`: the parent's uploads of its privilege claim and the
    /// issued documents, each with a short-lived download URL. Owner and linked parents only.
    pub async fn documents(
        &self,
        who: &Principal,
        application_id: &str,
    ) -> Result<Vec<DocumentView>, Failure> {
        let op = crate::access::Operation::ReadDocuments;
        crate::access::permit_role(who, op)?;
        let app = self.permitted(who, op, application_id).await?;
        let mut records = Vec::new();
        for id in app.privilege.iter().flat_map(|p| p.document_ids.iter()) {
            if let Some(d) = self.store.document(id).await? {
                records.push(d);
            }
        }
        records.extend(self.issue_documents(&app).await?);
        self.document_views(records).await
    }
}
