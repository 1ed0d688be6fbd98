//! The S3 adapter of the documents' bytes on moto, through the blob-store contract.
mod common;

use kezek_aws::S3Blobs;

async fn blobs() -> S3Blobs {
    let shared = common::sdk_config();
    let bucket = format!("kezek-docs-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(&bucket)
    .send()
    .await
    .expect("bucket");
    S3Blobs::from_config(&shared, &bucket, true)
}

#[tokio::test]
async fn upload_and_download_through_presigned_urls() {
    let blobs = blobs().await;
    let url = kezek_core::ports::Blobs::upload_url(
        &blobs,
        "uploads/x/d",
        "application/pdf",
        10,
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let signed = url
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "S3 checks the signed type and length: {signed}"
    );
    kezek_contract::blobs::presigned_round_trip(&blobs).await;
}
