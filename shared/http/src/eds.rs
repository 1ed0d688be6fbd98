//! The EDS adapter of the core's [`SignatureVerifier`] port: `kezek-eds` with the configured NCA
//! roots, and the signer certificate's revocation checked with the certification authority.
//!
//! Revocation policy ([`Revocation::Checked`], the default):
//! 1. OCSP: the configured responder, else the first `http(s)` responder of the certificate's
//!    authorityInfoAccess. `good` → accepted; `revoked` → `eds_certificate_revoked`; `unknown`
//!    → `eds_certificate_unknown` (both refused, the CRL is not asked).
//! 2. When OCSP gives no usable answer (no URL, not reachable, an error status or HTTP status,
//!    a timeout, a bad or unauthorised signature, a stale answer — see
//!    [`kezek_eds::revocation`]), the CRL: the configured URL, else the first `http(s)`
//!    distribution point of the certificate. Listed → `eds_certificate_revoked`; not listed →
//!    accepted.
//! 3. Neither usable → refused: `eds_revocation_unavailable` ("try again in a few minutes").
//!    A certificate is never accepted unchecked.
//!
//! Each fetch has [`FETCH_TIMEOUT`] (3 s), so the check takes at most about 6 s when both
//! sources are down (the API's functions have 10 s). Answers are not cached. Logs name the
//! certificate's serial number and the URL, never the IIN.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use kezek_aws::https::LazyHttps;
use kezek_core::iin::Iin;
use kezek_core::ports::{SignatureRefused, SignatureVerifier, SignedContent};
use kezek_eds::revocation::{Status, Subject};
use kezek_eds::{EdsError, Roots, Verified};

/// How long one OCSP request or CRL download may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest OCSP response read.
const MAX_OCSP_RESPONSE: usize = 256 * 1024;
/// Largest CRL read (the NCA's full CRLs are a few MB).
const MAX_CRL: usize = 64 * 1024 * 1024;

/// Whether, and where, the signer certificate's revocation is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// OCSP, then the CRL; refused when neither answers (see the module docs). Production.
    Checked(RevocationSources),
    /// **Not checked at all**: a revoked certificate is accepted. Only for local development and
    /// tests with a test PKI that has no OCSP responder or CRL; never in a deployed stack.
    NotChecked,
}

impl Default for Revocation {
    fn default() -> Revocation {
        Revocation::Checked(RevocationSources::default())
    }
}

/// Where to ask about revocation when the certificate's own URLs are not to be used, and how
/// long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationSources {
    /// The OCSP responder (`http://…` or `https://…`) asked instead of the certificate's
    /// authorityInfoAccess (`EDS_OCSP_URL`).
    pub ocsp_url: Option<String>,
    /// The CRL fetched instead of the certificate's cRLDistributionPoints (`EDS_CRL_URL`).
    pub crl_url: Option<String>,
    /// Per OCSP request and per CRL download.
    pub timeout: Duration,
}

impl Default for RevocationSources {
    fn default() -> RevocationSources {
        RevocationSources {
            ocsp_url: None,
            crl_url: None,
            timeout: FETCH_TIMEOUT,
        }
    }
}

impl RevocationSources {
    /// The certificate's own URLs, unless `ocsp_url` / `crl_url` are given (empty = not given).
    pub fn new(ocsp_url: Option<String>, crl_url: Option<String>) -> RevocationSources {
        let given = |u: Option<String>| u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        RevocationSources {
            ocsp_url: given(ocsp_url),
            crl_url: given(crl_url),
            timeout: FETCH_TIMEOUT,
        }
    }
}

/// Verifies CMS signatures against NCA root certificates, then the signer certificate's
/// revocation as [`Revocation`] says.
#[derive(Clone)]
pub struct NcaVerifier {
    roots: Roots,
    revocation: Revocation,
    http: Arc<LazyHttps>,
}

impl NcaVerifier {
    /// Trusts `roots`; revocation is checked with the certificate's own URLs (the default
    /// [`Revocation`]); see [`NcaVerifier::with_revocation`].
    pub fn new(roots: Roots) -> NcaVerifier {
        NcaVerifier {
            roots,
            revocation: Revocation::default(),
            http: Arc::new(LazyHttps::new()),
        }
    }

    /// Roots from PEM text (one or more certificates); empty text trusts nothing. Revocation as
    /// in [`NcaVerifier::new`].
    pub fn from_pem(pem: &str) -> Result<NcaVerifier, EdsError> {
        if pem.trim().is_empty() {
            return Ok(NcaVerifier::new(Roots::empty()));
        }
        Roots::from_pem(pem.as_bytes()).map(NcaVerifier::new)
    }

    /// The same verifier with another revocation setting.
    pub fn with_revocation(mut self, revocation: Revocation) -> NcaVerifier {
        self.revocation = revocation;
        self
    }

    /// How many roots are trusted.
    pub fn roots(&self) -> usize {
        self.roots.len()
    }

    /// The revocation setting.
    pub fn revocation(&self) -> &Revocation {
        &self.revocation
    }

    /// The revocation check of a verified signature (the policy of the module docs).
    async fn check_revocation(
        &self,
        verified: &Verified,
        sources: &RevocationSources,
        now: DateTime<Utc>,
    ) -> Result<(), EdsError> {
        let Some(subject) = verified.revocation_subject() else {
            tracing::warn!(
                "EDS signer certificate has no issuer certificate to check its revocation with \
                 (it is trusted directly)"
            );
            return Err(EdsError::RevocationUnavailable);
        };
        let serial = subject.serial_hex();
        let ocsp_url = sources
            .ocsp_url
            .clone()
            .or_else(|| subject.ocsp_urls().into_iter().next());
        match &ocsp_url {
            Some(url) => match self.ask_ocsp(&subject, url, sources.timeout, now).await {
                Ok(status) => {
                    tracing::info!(%serial, %url, ?status, "EDS certificate status by OCSP");
                    return decided(status);
                }
                Err(reason) => {
                    tracing::warn!(%serial, %url, %reason, "OCSP gave no usable answer; trying the CRL");
                }
            },
            None => tracing::warn!(%serial, "no OCSP responder known; trying the CRL"),
        }
        let crl_url = sources
            .crl_url
            .clone()
            .or_else(|| subject.crl_urls().into_iter().next());
        match &crl_url {
            Some(url) => match self.check_crl(&subject, url, sources.timeout, now).await {
                Ok(status) => {
                    tracing::info!(%serial, %url, ?status, "EDS certificate status by CRL");
                    return decided(status);
                }
                Err(reason) => {
                    tracing::warn!(%serial, %url, %reason, "CRL gave no usable answer");
                }
            },
            None => tracing::warn!(%serial, "no CRL known"),
        }
        tracing::warn!(%serial, "EDS certificate revocation could not be checked: refused");
        Err(EdsError::RevocationUnavailable)
    }

    async fn ask_ocsp(
        &self,
        subject: &Subject,
        url: &str,
        timeout: Duration,
        now: DateTime<Utc>,
    ) -> Result<Status, String> {
        let request = subject.ocsp_request().map_err(|e| e.to_string())?;
        let body = self
            .fetch(
                Method::POST,
                url,
                Some(request),
                "application/ocsp-response",
                MAX_OCSP_RESPONSE,
                timeout,
            )
            .await?;
        subject.check_ocsp(&body, now).map_err(|e| e.to_string())
    }

    async fn check_crl(
        &self,
        subject: &Subject,
        url: &str,
        timeout: Duration,
        now: DateTime<Utc>,
    ) -> Result<Status, String> {
        let body = self
            .fetch(
                Method::GET,
                url,
                None,
                "application/pkix-crl",
                MAX_CRL,
                timeout,
            )
            .await?;
        subject.check_crl(&body, now).map_err(|e| e.to_string())
    }

    /// One request with a timeout; the body of a 200 answer, at most `limit` bytes.
    async fn fetch(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        accept: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, String> {
        let client = self.http.get()?;
        let mut request = Request::builder()
            .method(method)
            .uri(url)
            .header("accept", accept);
        if body.is_some() {
            request = request.header("content-type", "application/ocsp-request");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| format!("request: {e}"))?;
        let (status, bytes) = tokio::time::timeout(timeout, async {
            let response = client
                .request(request)
                .await
                .map_err(|e| format!("transport: {e}"))?;
            let status = response.status();
            let bytes = http_body_util::Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| format!("answer: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        })
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))??;
        if status != StatusCode::OK {
            return Err(format!("HTTP status {}", status.as_u16()));
        }
        Ok(bytes.to_vec())
    }
}

/// A usable answer's verdict.
fn decided(status: Status) -> Result<(), EdsError> {
    match status {
        Status::Good => Ok(()),
        Status::Revoked => Err(EdsError::Revoked),
        Status::Unknown => Err(EdsError::UnknownCertificate),
    }
}

#[async_trait]
impl SignatureVerifier for NcaVerifier {
    async fn verify(
        &self,
        signature: &str,
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<SignedContent, SignatureRefused> {
        let v = kezek_eds::verify_base64(signature, detached, &self.roots, now)
            .map_err(|e| SignatureRefused(e.code()))?;
        if let Revocation::Checked(sources) = &self.revocation {
            self.check_revocation(&v, sources, now)
                .await
                .map_err(|e| SignatureRefused(e.code()))?;
        }
        let iin = Iin::try_from(v.signer.iin).map_err(|_| SignatureRefused("eds_no_iin"))?;
        Ok(SignedContent {
            iin,
            name: v.signer.common_name,
            content: v.content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_core::domain::Language;
    use kezek_core::texts::Texts;

    #[test]
    fn every_eds_refusal_has_messages_in_three_languages() {
        let texts = Texts::builtin();
        for e in [
            EdsError::NoRoots,
            EdsError::Malformed(String::new()),
            EdsError::NoContent,
            EdsError::BadSignature,
            EdsError::NotYetValid,
            EdsError::Expired,
            EdsError::UntrustedChain,
            EdsError::SelfSigned,
            EdsError::KeyUsage,
            EdsError::NoIin,
            EdsError::UnsupportedAlgorithm,
            EdsError::GostKey,
            EdsError::Revoked,
            EdsError::UnknownCertificate,
            EdsError::RevocationUnavailable,
        ] {
            assert!(texts.has_error(e.code()), "{}", e.code());
            for lang in [Language::Kk, Language::Ru, Language::En] {
                assert!(!texts.error(e.code(), lang, &[]).trim().is_empty());
            }
        }
    }

    #[test]
    fn the_default_checks_revocation() {
        assert_eq!(
            Revocation::default(),
            Revocation::Checked(RevocationSources::default())
        );
        let v = NcaVerifier::from_pem("").unwrap();
        assert_eq!(v.revocation(), &Revocation::default());
        let sources = RevocationSources::new(Some(" ".into()), Some("http://crl".into()));
        assert_eq!(sources.ocsp_url, None);
        assert_eq!(sources.crl_url.as_deref(), Some("http://crl"));
        assert_eq!(sources.timeout, FETCH_TIMEOUT);
    }
}
