//! Proofs uploaded by a plain HTML form straight to storage (no JavaScript, and past a
//! function's request limit): the form, signed by the blob store; then the file, checked by its
//! first bytes and its size once it arrived, and recorded as the parent's document.

use crate::access::Principal;
use crate::documents::{owner_tag, upload_key, UploadError, MAX_UPLOAD_BYTES, UPLOAD_URL_SECONDS};
use crate::domain::{DocumentKind, DocumentRecord};
use crate::error::Failure;
use crate::service::Service;
use std::time::Duration;

/// The type of an uploaded file by its first bytes: PDF, JPEG or PNG, else `None` (what a form
/// upload's file is, whatever its name or the browser says).
pub fn sniff(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if first.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if first.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

impl Service {
    /// A form for the parent's browser to upload one proof straight to storage: the upload's id,
    /// and the form. Storage sends the browser on to `redirect` with `id=<the id>` added.
    pub async fn upload_form(
        &self,
        who: &Principal,
        redirect: &str,
    ) -> Result<(String, crate::ports::UploadForm), Failure> {
        crate::access::permit(
            who,
            crate::access::Operation::Upload,
            crate::access::On::Caller,
        )?;
        let blobs = self.blobs()?;
        let id = self.new_id();
        let key = upload_key(&owner_tag(&who.iin), &id);
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let form = blobs
            .upload_form(
                &key,
                MAX_UPLOAD_BYTES,
                &format!("{redirect}{sep}id={id}"),
                Duration::from_secs(UPLOAD_URL_SECONDS),
            )
            .await?;
        Ok((id, form))
    }

    /// A form upload, arrived: a PDF, JPEG or PNG by its first bytes, within the size limit, is
    /// recorded as the parent's document (`name` and the type's extension); anything else is
    /// removed and refused naming the field `file`. Only the parent's own upload can be taken.
    pub async fn complete_form_upload(
        &self,
        who: &Principal,
        id: &str,
        name: &str,
    ) -> Result<DocumentRecord, Failure> {
        crate::access::permit(
            who,
            crate::access::Operation::Upload,
            crate::access::On::Caller,
        )?;
        let id = uuid::Uuid::parse_str(id)
            .map_err(|_| Failure::bad("upload_missing", "file"))?
            .to_string();
        if let Some(done) = self.store.document(&id).await? {
            return match done.owner == who.iin && done.kind == DocumentKind::Upload {
                true => Ok(done),
                false => Err(Failure::bad("upload_missing", "file")),
            };
        }
        let blobs = self.blobs()?;
        let key = upload_key(&owner_tag(&who.iin), &id);
        let Some(size) = blobs.size(&key).await? else {
            return Err(Failure::bad("upload_missing", "file"));
        };
        let first = blobs.first_bytes(&key, 8).await?.unwrap_or_default();
        // The type by the first bytes, and the extension the document is kept under.
        let checked = match sniff(&first) {
            _ if size == 0 => Err(UploadError::InvalidSize),
            _ if size > MAX_UPLOAD_BYTES => Err(UploadError::TooLarge),
            None => Err(UploadError::UnsupportedType),
            Some("application/pdf") => Ok(("application/pdf", "pdf")),
            Some("image/png") => Ok(("image/png", "png")),
            Some(other) => Ok((other, "jpg")),
        };
        let (content_type, ext) = match checked {
            Ok(c) => c,
            Err(e) => {
                blobs.delete(&key).await?;
                return Err(Failure::bad(e.code(), "file"));
            }
        };
        let record = DocumentRecord {
            id,
            owner: who.iin.clone(),
            kind: DocumentKind::Upload,
            name: format!("{name}.{ext}"),
            content_type: content_type.to_owned(),
            size,
            application_id: None,
            key,
            created_at: self.now(),
        };
        self.store.put_document(record.clone()).await?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn a_file_is_known_by_its_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            Some("image/png")
        );
        // A name or a browser's word does not make a PDF.
        assert_eq!(sniff(b"<html>%PDF-"), None);
        assert_eq!(sniff(b"PK\x03\x04"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G']), None);
    }
}
