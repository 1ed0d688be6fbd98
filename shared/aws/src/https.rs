//! The HTTPS client of Kezek's own calls (S3 requests signed here, the state registers' gateway):
//! hyper with rustls (aws-lc) and the platform's root certificates, built on the first request, not
//! at a Lambda's cold start, and then shared (one TLS set-up and one connection pool).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use std::sync::{Arc, OnceLock};

/// A client that sends whole bodies (`https://` or `http://`).
pub type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An [`HttpsClient`] made on first use.
#[derive(Default)]
pub struct LazyHttps {
    client: OnceLock<Result<HttpsClient, String>>,
}

impl LazyHttps {
    pub fn new() -> LazyHttps {
        LazyHttps::default()
    }

    /// The client; an error when the platform's root certificates can't be read.
    pub fn get(&self) -> Result<&HttpsClient, String> {
        self.client
            .get_or_init(|| {
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(provider)
                    .map_err(|e| format!("TLS roots: {e}"))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(hyper_util::rt::TokioExecutor::new()).build(https))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}
