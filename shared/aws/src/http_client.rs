//! The HTTPS client of the AWS clients, set up on first use. The SDK builds its default client's
//! TLS configuration (reading the platform's root certificates) when a service client is
//! constructed; a Lambda constructs its clients at cold start, so that work would lengthen every
//! cold start, also of functions or invocations that never call AWS. This wrapper builds the
//! same client (rustls with aws-lc) when the first request needs it, and shares it (one TLS set-up
//! and one connection pool) between all clients made from one SDK config.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::OnceLock;

#[derive(Debug, Default)]
struct LazyHttpClient {
    inner: OnceLock<SharedHttpClient>,
}

impl HttpClient for LazyHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.inner
            .get_or_init(|| {
                aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                    .build_https()
            })
            .http_connector(settings, components)
    }
}

/// An HTTPS client for SDK configs that is built on its first request.
pub fn lazy_https_client() -> SharedHttpClient {
    SharedHttpClient::new(LazyHttpClient::default())
}
