//! The documents' bytes in AWS: S3 ([`Blobs`]). Clients upload and download through presigned
//! URLs (SigV4 query signing): an upload URL signs the content type and the content length, so S3
//! refuses any other type or size; a download URL names the file to save.

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use kezek_core::ports::{Blobs, StoreError};
use std::time::Duration;

#[derive(Clone)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("s3: {e}"))
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(expires_in).map_err(err)
}

impl S3Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: &str) -> S3Blobs {
        S3Blobs {
            client,
            bucket: bucket.to_owned(),
        }
    }

    /// A client from the SDK config; `path_style` addresses the bucket in the path (an endpoint
    /// without bucket subdomains, such as an emulator).
    pub fn from_config(shared: &aws_config::SdkConfig, bucket: &str, path_style: bool) -> S3Blobs {
        let conf = aws_sdk_s3::config::Builder::from(shared)
            .force_path_style(path_style)
            .build();
        S3Blobs::new(aws_sdk_s3::Client::from_conf(conf), bucket)
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let size = i64::try_from(size).map_err(err)?;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size)
            .presigned(presigning(expires_in)?)
            .await
            .map_err(err)?;
        Ok(req.uri().to_owned())
    }

    async fn download_url(
        &self,
        key: &str,
        filename: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(kezek_core::documents::attachment(filename))
            .presigned(presigning(expires_in)?)
            .await
            .map_err(err)?;
        Ok(req.uri().to_owned())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| err(aws_smithy_types::error::display::DisplayErrorContext(&e)))?;
        Ok(())
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => Ok(Some(o.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|x| x.is_not_found()) => Ok(None),
            Err(e) => Err(err(aws_smithy_types::error::display::DisplayErrorContext(
                &e,
            ))),
        }
    }
}
