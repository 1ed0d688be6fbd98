//! The cold request (issue 16): what a user feels of a cold start is process start → init → the
//! answer to one real request, whose AWS calls go over TLS. This module makes that world on this
//! machine: a TLS endpoint in front of moto (a CA and a server certificate for 127.0.0.1 made with
//! `openssl`, the CA trusted by the functions through `SSL_CERT_FILE`), the table, the secrets, the
//! queue, the bucket and the e-mail identity the functions need, and each function's real request:
//! its sample event from `events/` with a parent's or an operator's session signed by the tests'
//! key pair. The naive function reads one item of the same table through the same endpoint.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// AWS requests that passed the TLS endpoint (request lines seen going to moto).
static CALLS: AtomicU64 = AtomicU64::new(0);

/// AWS requests made since the last call (the harness takes it after each cold request).
pub fn take_calls() -> u64 {
    CALLS.swap(0, Ordering::SeqCst)
}

/// Copies what the function sends to moto, counting its HTTP/1.1 request lines.
async fn count_requests(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const MARK: &[u8] = b" HTTP/1.1\r\n";
    let mut buf = vec![0u8; 64 * 1024];
    // The end of the previous read, so a mark split across two reads is still seen once.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut tail);
        window.extend_from_slice(&buf[..n]);
        let seen = window.windows(MARK.len()).filter(|w| *w == MARK).count();
        CALLS.fetch_add(seen as u64, Ordering::SeqCst);
        let keep = window.len().min(MARK.len() - 1);
        tail = window[window.len() - keep..].to_vec();
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Each function's real request: its sample event (`events/<function>/<file>`).
const EVENTS: [(&str, &str); 16] = [
    ("auth", "otp-verify-wrong-code.json"),
    ("authorizer", "operator.json"),
    ("confirm", "voucher-confirm.json"),
    ("documents", "list.json"),
    ("expiry-sweep", "scheduled.json"),
    ("issue-documents", "stream.json"),
    ("issue-voucher", "scheduled-district.json"),
    ("notifier", "batch.json"),
    ("operator", "queue.json"),
    ("outbox-relay", "stream.json"),
    ("parent-actions", "refuse.json"),
    ("profile", "me.json"),
    ("read-api", "application.json"),
    ("reconfirmation-reminder", "scheduled.json"),
    ("select-kindergarten", "choose.json"),
    ("submit", "submit.json"),
];

const PARENT: &str = "900101300007";
const OPERATOR: &str = "850505300001";

/// The world of the cold requests: the environment every function gets, and each one's event.
pub struct World {
    pub env: Vec<(String, String)>,
    events: BTreeMap<String, Value>,
    _dir: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (is Debian's openssl installed?)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate for 127.0.0.1 that it signs (RSA-2048, as AWS endpoints').
fn certificates(dir: &Path) {
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        ])
        .args([
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Kezek cold-request CA",
        ])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
        ])
        .args(["-out", "server.csr", "-subj", "/CN=127.0.0.1"]));
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
        ])
        .args(["-CAcreateserial", "-out", "server.pem", "-days", "2"])
        .args(["-extfile", "server.ext"]));
}

/// A TLS endpoint on 127.0.0.1 that passes each connection on to `upstream` (moto): the
/// functions' AWS calls pay a real handshake, as against a regional endpoint.
async fn tls_proxy(dir: &Path, upstream: String) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
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
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                // No Nagle delay on either side: each call's bytes go at once, as to AWS.
                let _ = tcp.set_nodelay(true);
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(moto) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = moto.set_nodelay(true);
                let (tls_in, mut tls_out) = tokio::io::split(tls);
                let (mut moto_in, moto_out) = moto.into_split();
                let up = tokio::spawn(count_requests(tls_in, moto_out));
                let _ = tokio::io::copy(&mut moto_in, &mut tls_out).await;
                let _ = up.await;
            });
        }
    });
    port
}

impl World {
    /// Sets up the world against moto at `moto` (`http://127.0.0.1:<port>`), with the sample
    /// events of `events_dir`.
    pub async fn new(moto: &str, events_dir: &Path) -> World {
        let dir = std::env::temp_dir().join(format!("kezek-cold-request-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        certificates(&dir);
        let upstream = moto
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let port = tls_proxy(&dir, upstream).await;
        let endpoint = format!("https://127.0.0.1:{port}");

        // The resources, made over moto's plain endpoint.
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "cold-request",
            ))
            .load()
            .await;
        let suffix = std::process::id();
        let table = format!("kezek-cold-{suffix}");
        let store = kezek_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&shared), &table);
        store.ensure_table().await.expect("table");
        let private = include_str!("../../../tests/fixtures/keys/session.key");
        let public = include_str!("../../../tests/fixtures/keys/session.pub");
        let secrets = aws_sdk_secretsmanager::Client::new(&shared);
        let secret = |name: String, text: Value| {
            let secrets = secrets.clone();
            async move {
                secrets
                    .create_secret()
                    .name(name)
                    .secret_string(text.to_string())
                    .send()
                    .await
                    .expect("secret")
                    .arn
                    .expect("arn")
            }
        };
        let signing = secret(
            format!("kezek-cold-signing-{suffix}"),
            serde_json::json!({"private_key": private, "public_key": public}),
        )
        .await;
        let code = secret(
            format!("kezek-cold-code-{suffix}"),
            serde_json::json!({"code_key": "cold-request-code-key-0123456789abcdef"}),
        )
        .await;
        let queue_url = aws_sdk_sqs::Client::new(&shared)
            .create_queue()
            .queue_name(format!("kezek-cold-{suffix}"))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        let bucket = format!("kezek-cold-{suffix}");
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
        let sender = "noreply@kezek.example.kz";
        aws_sdk_sesv2::Client::new(&shared)
            .create_email_identity()
            .email_identity(sender)
            .send()
            .await
            .expect("e-mail identity");

        let env = vec![
            ("AWS_ENDPOINT_URL", endpoint),
            ("SSL_CERT_FILE", dir.join("ca.pem").display().to_string()),
            ("AWS_REGION", "us-east-1".into()),
            ("TABLE_NAME", table),
            ("SESSION_PUBLIC_KEYS", public.into()),
            ("SESSION_SIGNING_SECRET_ID", signing),
            ("CODE_KEY_SECRET_ID", code),
            ("DOCUMENTS_BUCKET", bucket),
            ("S3_FORCE_PATH_STYLE", "true".into()),
            ("SENDER_EMAIL", sender.into()),
            ("NOTIFICATION_QUEUE_URL", queue_url),
            ("MAX_RECEIVES", "5".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();

        // The sessions of the events, signed as `auth` signs them.
        let sessions = kezek_http::Sessions::verifier(public)
            .and_then(|s| s.with_signer(private, public))
            .expect("session keys");
        let token = |iin: &str, role, districts: Vec<String>| {
            let who = kezek_core::Principal {
                iin: kezek_core::iin::Iin::try_from(iin.to_owned()).unwrap(),
                role,
                districts,
            };
            sessions.issue(&who, chrono::Utc::now()).unwrap().token
        };
        let parent = token(PARENT, kezek_core::Role::Parent, vec![]);
        let operator = token(OPERATOR, kezek_core::Role::Operator, vec!["KOK".into()]);
        let unknown = "0195f3a2-0000-7000-8000-00000000c01d";
        let mut events = BTreeMap::new();
        for (name, file) in EVENTS {
            let path = events_dir.join(name).join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .replace("${PARENT_TOKEN}", &parent)
                .replace("${OPERATOR_TOKEN}", &operator)
                .replace("${APPLICATION_ID}", unknown);
            events.insert(name.to_owned(), serde_json::from_str(&text).unwrap());
        }
        World {
            env,
            events,
            _dir: dir,
        }
    }

    /// A function's real request (the naive function and hello-world take any event).
    pub fn event(&self, name: &str) -> Value {
        self.events
            .get(name)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({"name": "kezek"}))
    }
}
