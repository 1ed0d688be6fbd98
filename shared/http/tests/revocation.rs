//! `NcaVerifier`'s revocation policy over the network, on 127.0.0.1 only: a live `openssl ocsp`
//! responder (Debian's `openssl`, run by the test) over the test PKI's index, CRLs made by
//! `openssl ca -gencrl` and served by a small HTTP server of the test, and dead ports for the
//! sources that are down. Without `openssl` these tests fail (they never skip).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, TimeDelta, Utc};
use kezek_core::ports::{SignatureRefused, SignatureVerifier};
use kezek_eds::testing::{OcspResponder, OpensslCa, TestCa, TestSigner, TestSubject};
use kezek_eds::Roots;
use kezek_http::{NcaVerifier, Revocation, RevocationSources};

const NONCE: &[u8] = b"kezek-login-nonce-revocation";
const GOOD: &str = "900101300007";
const REVOKED: &str = "900101300017";
const UNLISTED: &str = "900101300027";

/// A port on 127.0.0.1 where nothing listens (bound, then let go).
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

/// The test PKI of one test: a CA, its openssl index and three leaves whose certificates name
/// `ocsp` and `crl` (when given): one valid, one revoked, one the index does not list.
struct Pki {
    ca: TestCa,
    openssl: OpensslCa,
    good: TestSigner,
    revoked: TestSigner,
    unlisted: TestSigner,
}

impl Pki {
    fn new(ocsp: Option<&str>, crl: Option<&str>) -> Pki {
        let ca = TestCa::root("Test NCA Revocation");
        let openssl = OpensslCa::new(&ca);
        let subject = |iin: &str| {
            let mut s = TestSubject::person(iin, "ТЕСТОВ ТЕСТ");
            if let Some(u) = ocsp {
                s = s.with_ocsp_url(u);
            }
            if let Some(u) = crl {
                s = s.with_crl_url(u);
            }
            s
        };
        let good = ca.issue(&subject(GOOD));
        let revoked = ca.issue(&subject(REVOKED));
        let unlisted = ca.issue(&subject(UNLISTED));
        openssl.record(&good, None);
        openssl.record(&revoked, Some(Utc::now() - TimeDelta::days(3)));
        Pki {
            ca,
            openssl,
            good,
            revoked,
            unlisted,
        }
    }

    fn verifier(&self, revocation: Revocation) -> NcaVerifier {
        NcaVerifier::new(Roots::from_pem(self.ca.certificate_pem().as_bytes()).unwrap())
            .with_revocation(revocation)
    }

    /// `openssl ocsp` on `port`, signed by the CA, answers valid `minutes`.
    fn responder(&self, port: u16, minutes: u32) -> OcspResponder {
        self.openssl
            .serve_ocsp(port, "ca", &["-nmin", &minutes.to_string()])
    }
}

/// The certificates' own URLs, a short timeout.
fn checked() -> Revocation {
    Revocation::Checked(RevocationSources {
        timeout: Duration::from_secs(2),
        ..RevocationSources::default()
    })
}

async fn verify(
    verifier: &NcaVerifier,
    signer: &TestSigner,
    now: DateTime<Utc>,
) -> Result<String, &'static str> {
    verifier
        .verify(&signer.sign_base64(NONCE, true), None, now)
        .await
        .map(|signed| signed.iin.as_str().to_owned())
        .map_err(|SignatureRefused(code)| code)
}

/// A small HTTP server on 127.0.0.1: `GET /crl` answers `crl`, `POST /ocsp-500` answers 500,
/// `POST /ocsp-garbage` answers 200 with bytes that are no OCSP response. Stops with the test's
/// runtime.
async fn serve(crl: Vec<u8>) -> u16 {
    let crl = Arc::new(crl);
    let app = axum::Router::new()
        .route("/crl", get(move || async move { crl.as_ref().clone() }))
        .route(
            "/ocsp-500",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }),
        )
        .route("/ocsp-garbage", post(|| async { "<html>not OCSP</html>" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

#[tokio::test]
async fn ocsp_good_is_accepted_revoked_and_unknown_are_refused() {
    let ocsp = dead_port();
    // The CRL is down: whatever is decided here, OCSP decided it.
    let pki = Pki::new(Some(&url(ocsp, "/")), Some(&url(dead_port(), "/crl")));
    let _responder = pki.responder(ocsp, 5);
    let v = pki.verifier(checked());
    assert_eq!(verify(&v, &pki.good, Utc::now()).await, Ok(GOOD.to_owned()));
    assert_eq!(
        verify(&v, &pki.revoked, Utc::now()).await,
        Err("eds_certificate_revoked")
    );
    assert_eq!(
        verify(&v, &pki.unlisted, Utc::now()).await,
        Err("eds_certificate_unknown")
    );
}

#[tokio::test]
async fn a_configured_responder_is_asked_instead_of_the_certificates() {
    let ocsp = dead_port();
    // The certificates name a dead responder and no CRL: only the configured one can answer.
    let pki = Pki::new(Some(&url(dead_port(), "/")), None);
    let _responder = pki.responder(ocsp, 5);
    let v = pki.verifier(Revocation::Checked(RevocationSources {
        timeout: Duration::from_secs(2),
        ..RevocationSources::new(Some(url(ocsp, "/")), None)
    }));
    assert_eq!(verify(&v, &pki.good, Utc::now()).await, Ok(GOOD.to_owned()));
    assert_eq!(
        verify(&v, &pki.revoked, Utc::now()).await,
        Err("eds_certificate_revoked")
    );
}

#[tokio::test]
async fn responder_down_the_crl_decides() {
    // The CRL is configured here (the certificate's own CRL URL: the next test).
    let pki = Pki::new(Some(&url(dead_port(), "/")), None);
    let port = serve(pki.openssl.crl(&["-crlhours", "1"])).await;
    let v = pki.verifier(Revocation::Checked(RevocationSources {
        timeout: Duration::from_secs(2),
        ..RevocationSources::new(None, Some(url(port, "/crl")))
    }));
    assert_eq!(verify(&v, &pki.good, Utc::now()).await, Ok(GOOD.to_owned()));
    assert_eq!(
        verify(&v, &pki.revoked, Utc::now()).await,
        Err("eds_certificate_revoked")
    );
    // A CRL lists what is revoked; it knows no "unknown".
    assert_eq!(
        verify(&v, &pki.unlisted, Utc::now()).await,
        Ok(UNLISTED.to_owned())
    );
}

#[tokio::test]
async fn the_crl_named_in_the_certificate_is_fetched() {
    // A server whose CRL is filled in once the leaves (which name its port) exist.
    let slot: Arc<std::sync::Mutex<Vec<u8>>> = Arc::default();
    let served = slot.clone();
    let app = axum::Router::new().route(
        "/nca_rsa.crl",
        get(move || {
            let served = served.clone();
            async move { served.lock().unwrap().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let pki = Pki::new(
        Some(&url(dead_port(), "/")),
        Some(&url(port, "/nca_rsa.crl")),
    );
    *slot.lock().unwrap() = pki.openssl.crl(&["-crlhours", "1"]);
    let v = pki.verifier(checked());
    assert_eq!(verify(&v, &pki.good, Utc::now()).await, Ok(GOOD.to_owned()));
    assert_eq!(
        verify(&v, &pki.revoked, Utc::now()).await,
        Err("eds_certificate_revoked")
    );
}

#[tokio::test]
async fn responder_and_crl_down_is_refused() {
    let pki = Pki::new(
        Some(&url(dead_port(), "/")),
        Some(&url(dead_port(), "/crl")),
    );
    let v = pki.verifier(checked());
    for signer in [&pki.good, &pki.revoked, &pki.unlisted] {
        assert_eq!(
            verify(&v, signer, Utc::now()).await,
            Err("eds_revocation_unavailable")
        );
    }
    // A certificate that names neither, with nothing configured: nobody to ask, refused.
    let bare = Pki::new(None, None);
    assert_eq!(
        verify(&bare.verifier(checked()), &bare.good, Utc::now()).await,
        Err("eds_revocation_unavailable")
    );
}

#[tokio::test]
async fn a_stale_ocsp_answer_is_not_used() {
    let ocsp = dead_port();
    let pki = Pki::new(Some(&url(ocsp, "/")), None);
    // Answers valid one minute, checked five minutes later (the CRL is valid an hour).
    let _responder = pki.responder(ocsp, 1);
    let later = Utc::now() + TimeDelta::minutes(5);
    let crl = serve(pki.openssl.crl(&["-crlhours", "1"])).await;
    let with_crl = pki.verifier(Revocation::Checked(RevocationSources {
        timeout: Duration::from_secs(2),
        ..RevocationSources::new(None, Some(url(crl, "/crl")))
    }));
    let without_crl = pki.verifier(Revocation::Checked(RevocationSources {
        timeout: Duration::from_secs(2),
        ..RevocationSources::new(None, Some(url(dead_port(), "/crl")))
    }));
    // Fresh, the responder says unknown; stale, its answer is ignored and the CRL (which does
    // not list the certificate) decides.
    assert_eq!(
        verify(&with_crl, &pki.unlisted, Utc::now()).await,
        Err("eds_certificate_unknown")
    );
    assert_eq!(
        verify(&with_crl, &pki.unlisted, later).await,
        Ok(UNLISTED.to_owned())
    );
    assert_eq!(
        verify(&with_crl, &pki.revoked, later).await,
        Err("eds_certificate_revoked")
    );
    // Stale and no CRL: refused.
    assert_eq!(
        verify(&without_crl, &pki.good, later).await,
        Err("eds_revocation_unavailable")
    );
}

#[tokio::test]
async fn responder_errors_and_unauthorised_responders_fall_back_to_the_crl() {
    let pki = Pki::new(None, None);
    let port = serve(pki.openssl.crl(&["-crlhours", "1"])).await;
    // A responder that signs with a certificate of the CA that is not for OCSP.
    pki.openssl.write_signer(
        "not-ocsp",
        &pki.ca.issue_ocsp_responder("Test not OCSP", false),
    );
    let unauthorised = dead_port();
    let _responder = pki
        .openssl
        .serve_ocsp(unauthorised, "not-ocsp", &["-nmin", "5"]);
    // A responder that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    for ocsp in [
        url(port, "/ocsp-500"),
        url(port, "/ocsp-garbage"),
        url(unauthorised, "/"),
        url(silent_port, "/"),
    ] {
        let v = pki.verifier(Revocation::Checked(RevocationSources {
            timeout: Duration::from_millis(500),
            ..RevocationSources::new(Some(ocsp.clone()), Some(url(port, "/crl")))
        }));
        // Were the responder's answer used, the unlisted certificate would be unknown.
        assert_eq!(
            verify(&v, &pki.unlisted, Utc::now()).await,
            Ok(UNLISTED.to_owned()),
            "{ocsp}"
        );
        assert_eq!(
            verify(&v, &pki.revoked, Utc::now()).await,
            Err("eds_certificate_revoked"),
            "{ocsp}"
        );
    }
    drop(silent);
}

#[tokio::test]
async fn not_checked_is_explicit_and_accepts_without_asking() {
    let pki = Pki::new(
        Some(&url(dead_port(), "/")),
        Some(&url(dead_port(), "/crl")),
    );
    let v = pki.verifier(Revocation::NotChecked);
    assert_eq!(
        verify(&v, &pki.revoked, Utc::now()).await,
        Ok(REVOKED.to_owned())
    );
}

#[tokio::test]
async fn a_gost_certificate_is_told_to_use_the_rsa_key() {
    let pki = Pki::new(None, None);
    let gost = pki
        .ca
        .issue(&TestSubject::person(GOOD, "ТЕСТОВ ТЕСТ").with_gost_key());
    for revocation in [checked(), Revocation::NotChecked] {
        assert_eq!(
            verify(&pki.verifier(revocation), &gost, Utc::now()).await,
            Err("eds_gost_key")
        );
    }
}
