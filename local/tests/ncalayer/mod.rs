//! A stand-in NCALayer: a WebSocket server over TLS on this machine speaking NCALayer's protocol
//! (the greeting `{"result":{"version":…}}`, then `kz.gov.pki.knca.commonUtils` calls answered
//! with `{"code":"200","responseObject":…}`), signing with a key of the test PKI instead of the
//! parent's key store. The portal's page talks to it exactly as to the real one; only its address
//! is configured (the real one's is `wss://127.0.0.1:13579`).
//!
//! Its TLS certificate is made by `openssl` for 127.0.0.1; the browser is told to accept that one
//! key (`--ignore-certificate-errors-spki-list` with its SPKI hash), as a parent's browser trusts
//! the certificate NCALayer installs.

use base64::Engine;
use futures::{SinkExt, StreamExt};
use kezek_eds::testing::TestSigner;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Message;

pub struct NcaLayer {
    /// `wss://127.0.0.1:PORT`
    pub url: String,
    /// The base64 SHA-256 of its certificate's public key, for Chromium's allow-list.
    pub spki_sha256: String,
    /// How many signatures it made.
    signed: Arc<AtomicUsize>,
    dir: PathBuf,
}

impl Drop for NcaLayer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (./scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl NcaLayer {
    pub fn signatures(&self) -> usize {
        self.signed.load(Ordering::SeqCst)
    }

    /// Starts on a free port, signing with `signer`.
    pub async fn start(signer: TestSigner) -> NcaLayer {
        let dir = std::env::temp_dir().join(format!(
            "kezek-ncalayer-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            &path("key.pem"),
            "-out",
            &path("cert.pem"),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &path("key.pem"),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            &path("spki.der"),
        ]);
        let spki = std::fs::read(dir.join("spki.der")).unwrap();
        let spki_sha256 = base64::engine::general_purpose::STANDARD
            .encode(<sha2::Sha256 as sha2::Digest>::digest(&spki));

        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(dir.join("cert.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("wss://{}", listener.local_addr().unwrap());
        let signed = Arc::new(AtomicUsize::new(0));
        let count = signed.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let signer = signer.clone();
                let count = count.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(ws) = tokio_tungstenite::accept_async(tls).await else {
                        return;
                    };
                    serve(ws, &signer, &count).await;
                });
            }
        });
        NcaLayer {
            url,
            spki_sha256,
            signed,
            dir,
        }
    }
}

/// One page's connection: the greeting, then each call answered.
async fn serve<S>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    signer: &TestSigner,
    count: &AtomicUsize,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let hello = serde_json::json!({ "result": { "version": "1.4-kezek-stand-in" } });
    if ws.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = ws.next().await {
        let text = match message {
            Message::Text(t) => t.to_string(),
            Message::Close(_) => return,
            _ => continue,
        };
        if text == "--heartbeat--" {
            let _ = ws.send(Message::text(text)).await;
            continue;
        }
        let answer = answer(&text, signer, count);
        if ws.send(Message::text(answer.to_string())).await.is_err() {
            return;
        }
    }
}

/// NCALayer's answer to one call.
fn answer(text: &str, signer: &TestSigner, count: &AtomicUsize) -> serde_json::Value {
    let refuse = |message: &str| serde_json::json!({ "code": "500", "message": message });
    let Ok(call) = serde_json::from_str::<serde_json::Value>(text) else {
        return refuse("bad request");
    };
    if call["module"] != "kz.gov.pki.knca.commonUtils" {
        return refuse("module not found");
    }
    match call["method"].as_str() {
        Some("getActiveTokens") => serde_json::json!({ "code": "200", "responseObject": [] }),
        Some("createCAdESFromBase64") | Some("createCMSSignatureFromBase64") => {
            let args = &call["args"];
            let (Some(data), attach) = (args[2].as_str(), args[3].as_bool().unwrap_or(false))
            else {
                return refuse("args");
            };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                return refuse("data is not base64");
            };
            count.fetch_add(1, Ordering::SeqCst);
            serde_json::json!({ "code": "200", "responseObject": signer.sign_base64(&bytes, attach) })
        }
        _ => refuse("method not found"),
    }
}
