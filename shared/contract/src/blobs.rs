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
