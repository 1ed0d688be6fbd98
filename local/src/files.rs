//! The local runner's documents: a data folder behind signed URLs to `/v1/dev/files/{key}`, with
//! the checks S3 makes of a presigned URL — the signature, the expiry, and for an upload the signed
//! content type and length. The [`Blobs`] adapter of local runs.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use kezek_core::documents::url_encode;
use kezek_core::ports::{Blobs, StoreError, UploadForm};
use serde::Deserialize;
use sha2::Sha256;
use std::path::PathBuf;
use std::time::Duration;

/// The query of a signed file URL.
#[derive(Debug, Deserialize)]
pub struct FileQuery {
    pub op: String,
    #[serde(default, rename = "type")]
    pub content_type: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    pub expires: i64,
    pub sig: String,
}

/// The signed fields of a form upload, before its file.
#[derive(Debug, Default)]
pub struct FormFields {
    pub key: String,
    pub max: u64,
    pub redirect: String,
    pub expires: i64,
    pub sig: String,
}

/// Why a file request is refused: the status and the error code.
pub type Refused = (u16, &'static str);

/// Documents in a folder, reached by URLs signed with the runner's key.
pub struct FolderBlobs {
    dir: PathBuf,
    base: String,
    key: Vec<u8>,
}

impl FolderBlobs {
    /// Files under `dir`, URLs under `base` (the runner's address, e.g. `http://127.0.0.1:3000`).
    pub fn new(dir: PathBuf, base: &str, key: &[u8]) -> std::io::Result<FolderBlobs> {
        std::fs::create_dir_all(&dir)?;
        Ok(FolderBlobs {
            dir,
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_vec(),
        })
    }

    fn sign(&self, parts: &[&str]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"kezek-files");
        for p in parts {
            mac.update(b"\0");
            mac.update(p.as_bytes());
        }
        kezek_core::identity::hex(&mac.finalize().into_bytes())
    }

    fn signature(&self, key: &str, q: &FileQuery) -> String {
        let size = q.size.map(|s| s.to_string()).unwrap_or_default();
        let expires = q.expires.to_string();
        self.sign(&[
            &q.op,
            key,
            q.content_type.as_deref().unwrap_or(""),
            &size,
            q.name.as_deref().unwrap_or(""),
            &expires,
        ])
    }

    /// The file of a key: letters, digits, `-`, `_`, `.` and `/` only, no `..`.
    fn path(&self, key: &str) -> Option<PathBuf> {
        let ok = !key.is_empty()
            && key.len() <= 300
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            && key
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        ok.then(|| self.dir.join(key))
    }

    fn url(&self, key: &str, q: &FileQuery) -> String {
        let mut url = format!("{}/v1/dev/files/{key}?op={}", self.base, q.op);
        if let Some(t) = &q.content_type {
            url.push_str(&format!("&type={}", url_encode(t)));
        }
        if let Some(s) = q.size {
            url.push_str(&format!("&size={s}"));
        }
        if let Some(n) = &q.name {
            url.push_str(&format!("&name={}", url_encode(n)));
        }
        url.push_str(&format!("&expires={}&sig={}", q.expires, q.sig));
        url
    }

    fn check(&self, key: &str, q: &FileQuery, op: &str) -> Result<PathBuf, Refused> {
        let path = self.path(key).ok_or((404, "not_found"))?;
        let expected = self.signature(key, q);
        if q.op != op || q.sig.len() != expected.len() || q.sig != expected {
            return Err((403, "forbidden"));
        }
        if chrono::Utc::now().timestamp() > q.expires {
            return Err((403, "link_expired"));
        }
        Ok(path)
    }

    /// An upload through a signed URL: the signed content type and exact length only.
    pub fn accept_put(
        &self,
        key: &str,
        q: &FileQuery,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), Refused> {
        let path = self.check(key, q, "put")?;
        if content_type != q.content_type.as_deref() {
            return Err((403, "forbidden"));
        }
        if Some(body.len() as u64) != q.size {
            return Err((403, "forbidden"));
        }
        self.write(&path, body, content_type.unwrap_or_default())
            .map_err(|_| (503, "unavailable"))
    }

    /// A download through a signed URL: the bytes, their type and the file name to save.
    pub fn serve_get(
        &self,
        key: &str,
        q: &FileQuery,
    ) -> Result<(Vec<u8>, String, String), Refused> {
        let path = self.check(key, q, "get")?;
        let bytes = std::fs::read(&path).map_err(|_| (404, "not_found"))?;
        let content_type = std::fs::read_to_string(path.with_extension("content-type"))
            .unwrap_or_else(|_| "application/octet-stream".into());
        Ok((bytes, content_type, q.name.clone().unwrap_or_default()))
    }

    /// The fields of a form upload's policy, signed: the key, the largest size, where to send the
    /// browser after, and the expiry (S3's POST policy, in the runner's own signature).
    fn form_signature(&self, key: &str, max: u64, redirect: &str, expires: i64) -> String {
        self.sign(&[
            "post",
            key,
            &max.to_string(),
            redirect,
            &expires.to_string(),
        ])
    }

    /// A form upload (`POST /v1/dev/uploads`, multipart): the signed policy's key, size range,
    /// redirect and expiry, as S3 checks a POST policy. Where to send the browser, once written.
    pub fn accept_post(&self, fields: &FormFields, file: &[u8]) -> Result<String, Refused> {
        let path = self.path(&fields.key).ok_or((403, "forbidden"))?;
        let expected =
            self.form_signature(&fields.key, fields.max, &fields.redirect, fields.expires);
        if fields.sig.len() != expected.len() || fields.sig != expected {
            return Err((403, "forbidden"));
        }
        if chrono::Utc::now().timestamp() > fields.expires {
            return Err((403, "link_expired"));
        }
        if file.is_empty() || file.len() as u64 > fields.max {
            return Err((400, "document_too_large"));
        }
        // As S3 without a Content-Type field: the service tells the type by the first bytes.
        self.write(&path, file, "application/octet-stream")
            .map_err(|_| (503, "unavailable"))?;
        Ok(fields.redirect.clone())
    }

    fn write(
        &self,
        path: &std::path::Path,
        bytes: &[u8],
        content_type: &str,
    ) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
        std::fs::write(path.with_extension("content-type"), content_type)
    }

    fn query(
        &self,
        op: &str,
        key: &str,
        t: Option<&str>,
        size: Option<u64>,
        name: Option<&str>,
        expires_in: Duration,
    ) -> FileQuery {
        let mut q = FileQuery {
            op: op.into(),
            content_type: t.map(str::to_owned),
            size,
            name: name.map(str::to_owned),
            expires: chrono::Utc::now().timestamp() + expires_in.as_secs() as i64,
            sig: String::new(),
        };
        q.sig = self.signature(key, &q);
        q
    }
}

#[async_trait]
impl Blobs for FolderBlobs {
    async fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        self.path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        let q = self.query("put", key, Some(content_type), Some(size), None, expires_in);
        Ok(self.url(key, &q))
    }

    async fn download_url(
        &self,
        key: &str,
        filename: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        self.path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        let q = self.query("get", key, None, None, Some(filename), expires_in);
        Ok(self.url(key, &q))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        let path = self
            .path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        self.write(&path, &bytes, content_type)
            .map_err(|e| StoreError(format!("files: {e}")))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let path = self
            .path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        Ok(std::fs::metadata(path).ok().map(|m| m.len()))
    }

    async fn upload_form(
        &self,
        key: &str,
        max_size: u64,
        redirect: &str,
        expires_in: Duration,
    ) -> Result<UploadForm, StoreError> {
        self.path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        let expires = chrono::Utc::now().timestamp() + expires_in.as_secs() as i64;
        let sig = self.form_signature(key, max_size, redirect, expires);
        Ok(UploadForm {
            action: format!("{}/v1/dev/uploads", self.base),
            fields: vec![
                ("key".into(), key.into()),
                ("max".into(), max_size.to_string()),
                ("redirect".into(), redirect.into()),
                ("expires".into(), expires.to_string()),
                ("sig".into(), sig),
            ],
        })
    }

    async fn first_bytes(&self, key: &str, n: usize) -> Result<Option<Vec<u8>>, StoreError> {
        use std::io::Read;
        let path = self
            .path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        let Ok(file) = std::fs::File::open(path) else {
            return Ok(None);
        };
        let mut first = Vec::with_capacity(n);
        file.take(n as u64)
            .read_to_end(&mut first)
            .map_err(|e| StoreError(format!("files: {e}")))?;
        Ok(Some(first))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self
            .path(key)
            .ok_or_else(|| StoreError(format!("bad key {key}")))?;
        let _ = std::fs::remove_file(path.with_extension("content-type"));
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError(format!("files: {e}")))
            }
            _ => Ok(()),
        }
    }
}
