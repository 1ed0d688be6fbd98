//! The blob-store contract: what every [`Blobs`] adapter (S3, the local data folder) does, driven
//! as a browser would drive its URLs (`curl`): an upload through the upload URL with the signed
//! type and length, a download through the download URL, the service's own writes.

use kezek_core::ports::Blobs;
use std::process::Command;
use std::time::Duration;

/// `curl` as a browser would call the URL: the status; the body is saved to `out`.
pub fn curl_to(out: &str, args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-o", out, "-w", "%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn curl(args: &[&str]) -> String {
    curl_to("/dev/null", args)
}

/// An upload of `file` through a presigned PUT URL, as a browser sends it: the status.
pub fn curl_put(url: &str, file: &std::path::Path, content_type: &str) -> String {
    curl(&[
        "-X",
        "PUT",
        "-H",
        &format!("Content-Type: {content_type}"),
        "--data-binary",
        &format!("@{}", file.display()),
        url,
    ])
}

/// Upload and download through the URLs, and a write by the service.
pub async fn presigned_round_trip(blobs: &dyn Blobs) {
    let dir = std::env::temp_dir().join(format!("kezek-blobs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proof.pdf");
    let bytes: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..5000u32).map(|i| (i % 251) as u8))
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let key = "uploads/0123456789abcdef/doc-1";

    let url = blobs
        .upload_url(
            key,
            "application/pdf",
            bytes.len() as u64,
            Duration::from_secs(900),
        )
        .await
        .unwrap();
    assert_eq!(blobs.size(key).await.unwrap(), None);
    assert_eq!(curl_put(&url, &file, "application/pdf"), "200");
    assert_eq!(blobs.size(key).await.unwrap(), Some(bytes.len() as u64));

    let url = blobs
        .download_url(key, "справка.pdf", Duration::from_secs(300))
        .await
        .unwrap();
    let saved = dir.join("saved.pdf");
    let status = curl_to(&saved.display().to_string(), &[&url]);
    assert_eq!(status, "200");
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);

    // The service's own write (an issued document), read back the same way.
    let issued = "issued/app-1/registration.pdf";
    blobs
        .put(issued, b"%PDF-issued".to_vec(), "application/pdf")
        .await
        .unwrap();
    assert_eq!(blobs.size(issued).await.unwrap(), Some(11));
    let url = blobs
        .download_url(issued, "registration.pdf", Duration::from_secs(300))
        .await
        .unwrap();
    let saved2 = dir.join("issued.pdf");
    assert_eq!(curl_to(&saved2.display().to_string(), &[&url]), "200");
    assert_eq!(std::fs::read(&saved2).unwrap(), b"%PDF-issued");
    std::fs::remove_dir_all(&dir).ok();
}

/// A form upload as a browser posts it (`multipart/form-data`: the signed fields, then the file):
/// the status and where the browser is sent.
pub fn curl_form(form: &kezek_core::ports::UploadForm, file: &std::path::Path) -> (String, String) {
    let mut args: Vec<String> = vec![
        "-s".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code} %{redirect_url}".into(),
    ];
    for (k, v) in &form.fields {
        args.push("--form-string".into());
        args.push(format!("{k}={v}"));
    }
    args.push("-F".into());
    args.push(format!(
        "{}=@{}",
        kezek_core::ports::UploadForm::FILE_FIELD,
        file.display()
    ));
    args.push(form.action.clone());
    let out = Command::new("curl").args(&args).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, to) = text.split_once(' ').unwrap_or((&text, ""));
    (status.to_owned(), to.to_owned())
}

/// A form upload straight to storage: posted, the browser sent to the signed redirect, the object
/// there with its first bytes; then removed.
pub async fn form_round_trip(blobs: &dyn Blobs) {
    let dir = std::env::temp_dir().join(format!("kezek-form-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scan.png");
    let bytes: Vec<u8> = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]
        .into_iter()
        .chain((0..3000u32).map(|i| (i % 253) as u8))
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let key = "uploads/0123456789abcdef/form-1";
    let redirect = "http://127.0.0.1:9/apply/proof/done?id=form-1";
    let form = blobs
        .upload_form(key, 10 * 1024 * 1024, redirect, Duration::from_secs(900))
        .await
        .unwrap();
    assert!(form.origin().is_some(), "{}", form.action);
    assert_eq!(blobs.first_bytes(key, 8).await.unwrap(), None);
    let (status, to) = curl_form(&form, &file);
    assert_eq!(status, "303", "storage sends the browser on");
    assert!(to.starts_with(redirect), "to the signed redirect: {to}");
    assert_eq!(blobs.size(key).await.unwrap(), Some(bytes.len() as u64));
    assert_eq!(
        blobs.first_bytes(key, 8).await.unwrap().as_deref(),
        Some(&bytes[..8])
    );
    blobs.delete(key).await.unwrap();
    assert_eq!(blobs.size(key).await.unwrap(), None);
    blobs.delete(key).await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
