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
use std::sync::{Arc, Mutex};

/// AWS requests that passed the TLS endpoint (request lines seen going to moto), by name.
static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// AWS requests made since the last call, by name (the harness takes them after each cold
/// request): DynamoDB's and Secrets Manager's `X-Amz-Target` operation, otherwise the method and
/// the path's first segment (S3, SES, SQS).
pub fn take_calls() -> Vec<String> {
    std::mem::take(&mut *CALLS.lock().unwrap())
}

/// A request's name from its head (request line and headers).
fn call_name(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let request = lines.next().unwrap_or_default();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("x-amz-target") {
                let op = v.trim();
                return op.rsplit('.').next().unwrap_or(op).to_owned();
            }
        }
    }
    let mut parts = request.split(' ');
    // A body without a line end before this head may be glued to the method: keep its
    // trailing capitals.
    let method = parts.next().unwrap_or_default();
    let method = &method[method
        .rfind(|c: char| !c.is_ascii_uppercase())
        .map_or(0, |p| p + 1)..];
    let path = parts.next().unwrap_or_default();
    let head = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    format!("{method} /{head}")
}

/// Copies what the function sends to moto, naming each HTTP/1.1 request by its head.
async fn count_requests(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const MARK: &[u8] = b" HTTP/1.1\r\n";
    const END: &[u8] = b"\r\n\r\n";
    let mut buf = vec![0u8; 64 * 1024];
    // What was sent since the last complete request head was named: a head split across
    // reads is still seen once. Bodies pass through it too, but the SDK's bodies are JSON or
    // XML and never hold the request-line mark.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        loop {
            let Some(mark) = pending.windows(MARK.len()).position(|w| w == MARK) else {
                // No request line: keep what could be the start of one.
                let keep = pending.len().min(8 * 1024);
                pending.drain(..pending.len() - keep);
                break;
            };
            let Some(end) = pending[mark..].windows(END.len()).position(|w| w == END) else {
                break; // the rest of the head is still to come
            };
            let start = pending[..mark]
                .windows(2)
                .rposition(|w| w == b"\r\n")
                .map_or(0, |p| p + 2);
            let name = call_name(&pending[start..mark + end]);
            CALLS.lock().unwrap().push(name);
            pending.drain(..mark + end + END.len());
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Each function's real request: its sample event (`events/<function>/<file>`). A sweep (and
/// the scheduled voucher runs) has two: the schedule's (it sends the parts) and one part's,
/// measured as `<function>:part`.
pub const EVENTS: [(&str, &str); 20] = [
    ("auth", "otp-verify-wrong-code.json"),
    ("authorizer", "operator.json"),
    ("confirm", "voucher-confirm.json"),
    ("documents", "list.json"),
    ("expiry-sweep", "scheduled.json"),
    ("expiry-sweep:part", "part.json"),
    ("issue-documents", "stream.json"),
    ("issue-voucher", "scheduled-district.json"),
    ("issue-voucher:part", "part.json"),
    ("notifier", "batch.json"),
    ("operator", "queue.json"),
    ("outbox-relay", "stream.json"),
    ("parent-actions", "refuse.json"),
    ("profile", "me.json"),
    ("read-api", "application.json"),
    ("reconfirmation-reminder", "scheduled.json"),
    ("reconfirmation-reminder:part", "part.json"),
    ("select-kindergarten", "choose.json"),
    ("submit", "submit.json"),
    ("web", "journal.json"),
];

const PARENT: &str = "900101300007";
const OPERATOR: &str = "850505300001";

/// The world of the cold requests: the environment every function gets, and each one's event.
pub struct World {
    pub env: Vec<(String, String)>,
    /// The queues the functions send to, emptied after each cold request (as their consumers
    /// would: moto's `SendMessage` slows down as a queue fills, SQS's does not).
    queues: Vec<String>,
    sqs: aws_sdk_sqs::Client,
    /// Signs the sessions of the parents a submit is made for (one new parent and child each
    /// run, so that every cold submit registers a child: a real 201, not a 409 duplicate).
    sessions: kezek_http::Sessions,
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
        let sqs = aws_sdk_sqs::Client::new(&shared);
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("kezek-cold-{suffix}"))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        let sweep_queue_url = sqs
            .create_queue()
            .queue_name(format!("kezek-cold-parts-{suffix}"))
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
            ("NOTIFICATION_QUEUE_URL", queue_url.clone()),
            ("SWEEP_QUEUE_URL", sweep_queue_url.clone()),
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
            let folder = name.split(':').next().unwrap_or(name);
            let path = events_dir.join(folder).join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .replace("${PARENT_TOKEN}", &parent)
                .replace("${OPERATOR_TOKEN}", &operator)
                .replace("${APPLICATION_ID}", unknown);
            events.insert(name.to_owned(), serde_json::from_str(&text).unwrap());
        }
        World {
            env,
            queues: vec![queue_url, sweep_queue_url],
            sqs,
            sessions: sessions.clone(),
            events,
            _dir: dir,
        }
    }

    /// Empties the queues (over moto's plain endpoint: not counted as the functions' calls).
    pub async fn drain(&self) {
        // Received and deleted (moto refuses a second purge within a minute, as SQS does).
        for url in &self.queues {
            loop {
                let Ok(out) = self
                    .sqs
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .send()
                    .await
                else {
                    break;
                };
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    if let Some(handle) = m.receipt_handle {
                        let _ = self
                            .sqs
                            .delete_message()
                            .queue_url(url)
                            .receipt_handle(handle)
                            .send()
                            .await;
                    }
                }
            }
        }
    }

    /// A function's real request in run `round` (the naive function and hello-world take any
    /// event). A submit is of a child and parent of this run's own, a notification is this
    /// run's own.
    pub fn event(&self, name: &str, round: usize) -> Value {
        let mut event = self
            .events
            .get(name)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({"name": "kezek"}));
        if name == "notifier" {
            // A notification of this run's own: a first delivery, not a redelivery of one sent.
            for record in event["Records"].as_array_mut().into_iter().flatten() {
                if let Some(body) = record["body"].as_str() {
                    let body = body.replace(":1:registered", &format!(":{}:registered", round + 1));
                    record["body"] = Value::String(body);
                }
            }
        }
        if name == "submit" {
            let iin = |born: chrono::NaiveDate, from: u32| {
                (from..from + 50)
                    .find_map(|serial| kezek_core::iin::make_iin(born, true, serial))
                    .expect("an IIN")
            };
            let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            let child = iin(
                day(2023, 3, 15) + chrono::Duration::days(round as i64),
                3000 + std::process::id() % 3000,
            );
            let parent = kezek_core::Principal {
                iin: iin(day(1990, 1, 1) + chrono::Duration::days(round as i64), 3000),
                role: kezek_core::Role::Parent,
                districts: vec![],
            };
            let token = self
                .sessions
                .issue(&parent, chrono::Utc::now())
                .expect("a session")
                .token;
            event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
            let body = event["body"]
                .as_str()
                .unwrap_or_default()
                .replace("230315500002", child.as_str());
            event["body"] = Value::String(body);
        }
        event
    }
}

/// Calls by name in the order first made, with their counts: `BatchGetSecretValue, Query x8`.
pub fn summary(calls: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for c in calls {
        match seen.iter_mut().find(|(n, _)| n == c) {
            Some((_, k)) => *k += 1,
            None => seen.push((c, 1)),
        }
    }
    seen.iter()
        .map(|(n, k)| {
            if *k == 1 {
                n.to_string()
            } else {
                format!("{n} x{k}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
