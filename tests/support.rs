//! What the workspace tests share: every Lambda handler of the function table over one store,
//! driven with API Gateway and scheduled events exactly as Lambda delivers them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kezek_core::domain::Notification;
use kezek_core::iin::Iin;
use kezek_core::ports::{
    BuiltinRegisters, Clock, Credentials, NotificationQueue, OutgoingMessage, SendError, Sender,
    SimClock, Store, StoreError, SweepPart, WorkQueue,
};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::{Principal, Role, Service};
use kezek_eds::testing::{TestCa, TestSigner, TestSubject};
use kezek_http::{NcaVerifier, Sessions};
use kezek_lambda::{Adapters, Function, Handler, Settings};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const PARENT: &str = "900101300007";
pub const OPERATOR: &str = "850505300001";
/// Born 15 March 2023.
pub const CHILD: &str = "230315500002";
/// The first seeded kindergarten (Kokshetau).
pub const KINDERGARTEN: &str = "00000000-0000-4000-8000-000000000001";
/// The code key and files key of the tests (not secrets).
const KEY: &[u8] = b"kezek-tests-session-key-not-a-secret-0123456789";
/// The session key pair of the tests (`tests/fixtures/keys`, made with `openssl genpkey`).
pub const SESSION_PRIVATE: &str = include_str!("fixtures/keys/session.key");
pub const SESSION_PUBLIC: &str = include_str!("fixtures/keys/session.pub");
/// A key pair no function trusts.
pub const OTHER_PRIVATE: &str = include_str!("fixtures/keys/other.key");
pub const OTHER_PUBLIC: &str = include_str!("fixtures/keys/other.pub");

/// Sessions that issue with the tests' pair, as the login function holds them.
pub fn signing_sessions() -> Sessions {
    Sessions::verifier(SESSION_PUBLIC)
        .and_then(|s| s.with_signer(SESSION_PRIVATE, SESSION_PUBLIC))
        .unwrap()
}
/// The name of the tests' NCA root.
pub const TEST_NCA: &str = "Test NCA root";

/// The tests' NCA root certificate authority (its key is made once per process).
pub fn test_nca() -> &'static TestCa {
    static CA: std::sync::OnceLock<TestCa> = std::sync::OnceLock::new();
    CA.get_or_init(|| TestCa::root(TEST_NCA))
}

/// An EDS of `iin`, issued by the tests' NCA root.
pub fn eds_of(iin: &str) -> TestSigner {
    test_nca().issue(&TestSubject::person(iin, "ТЕСТОВ ТЕСТ"))
}

/// A sender that records what it sends, and fails while told to.
#[derive(Default)]
pub struct Recorder {
    pub sent: Mutex<Vec<OutgoingMessage>>,
    pub failing: Mutex<Option<SendError>>,
}

#[async_trait]
impl Sender for Recorder {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        if let Some(e) = self.failing.lock().unwrap().clone() {
            return Err(e);
        }
        self.sent.lock().unwrap().push(m.clone());
        Ok(())
    }
}

/// Every function's handler over one store.
pub struct Env {
    pub handlers: BTreeMap<&'static str, Handler>,
    pub sessions: Sessions,
    pub clock: Option<Arc<SimClock>>,
    /// The embedded environment's sender.
    pub recorder: Arc<Recorder>,
    /// The embedded environment's notification queue.
    pub queue: Arc<MemoryQueue>,
    /// The embedded environment's sweep work queue (one for both sweeps: each part names its
    /// sweep, and [`Env::scheduled`] hands each to its function).
    pub work: Arc<MemoryWorkQueue>,
    pub store: Arc<dyn Store>,
    pub credentials: Arc<dyn Credentials>,
    pub aws: Option<Aws>,
    /// The embedded environment's data folder of documents.
    pub files: Option<Arc<kezek_local::files::FolderBlobs>>,
}

/// The moto side of a DynamoDB environment.
pub struct Aws {
    pub shared: aws_config::SdkConfig,
    pub table: String,
    pub queue_url: String,
    pub dlq_url: String,
    /// Each sweep function's work queue.
    pub sweep_queue_urls: BTreeMap<&'static str, String>,
}

/// A sweep's work queue in memory: the SQS bodies of the parts sent.
#[derive(Default)]
pub struct MemoryWorkQueue {
    pub bodies: Mutex<Vec<String>>,
}

#[async_trait]
impl WorkQueue for MemoryWorkQueue {
    async fn send(&self, parts: &[SweepPart]) -> Result<(), StoreError> {
        self.bodies
            .lock()
            .unwrap()
            .extend(parts.iter().map(kezek_aws::items::SweepPartMessageV1::body));
        Ok(())
    }
}

/// The SQS event of messages (id, body, receive count) as Lambda's event source delivers them.
pub fn sqs_event(messages: &[(String, String, String)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body, count)| {
            json!({"messageId": id, "receiptHandle": id, "body": body,
                "attributes": {"ApproximateReceiveCount": count}, "messageAttributes": {},
                "eventSource": "aws:sqs", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

/// A notification queue in memory: what the relay published.
#[derive(Default)]
pub struct MemoryQueue {
    pub published: Mutex<Vec<Notification>>,
}

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn publish(&self, batch: &[Notification]) -> Result<Vec<String>, StoreError> {
        self.published.lock().unwrap().extend_from_slice(batch);
        Ok(Vec::new())
    }
}

impl Env {
    /// The embedded store with the local runner's seed catalogue, on a simulated clock set to `now`.
    pub async fn embedded(now: DateTime<Utc>) -> Env {
        let store = Arc::new(EmbeddedStore::new());
        kezek_local::seed::seed(store.as_ref()).await.unwrap();
        let clock = Arc::new(SimClock::new());
        clock.set(now);
        let mut service = Service::new(
            store.clone(),
            store.clone(),
            clock.clone(),
            Arc::new(BuiltinRegisters),
        );
        // Documents in a data folder of the test's own, as the local runner keeps them.
        let dir = std::env::temp_dir().join(format!("kezek-env-{}", uuid::Uuid::new_v4().simple()));
        let files =
            Arc::new(kezek_local::files::FolderBlobs::new(dir, "http://127.0.0.1:9", KEY).unwrap());
        service.blobs = Some(files.clone());
        service.render = Some(kezek_core::documents::render_pdf);
        let recorder = Arc::new(Recorder::default());
        let queue = Arc::new(MemoryQueue::default());
        let work = Arc::new(MemoryWorkQueue::default());
        let sessions = signing_sessions();
        // The test PKI has no OCSP responder or CRL (tested in shared/http/tests/revocation.rs).
        let verifier = Arc::new(
            NcaVerifier::from_pem(&test_nca().certificate_pem())
                .unwrap()
                .with_revocation(kezek_http::Revocation::NotChecked),
        );
        let handlers = Function::ALL
            .into_iter()
            .map(|f| {
                // Each function's keys as deployed: only the login function signs sessions, only
                // the code-checking ones hold the code key.
                let api = f.serves_http().then(|| {
                    let sessions = if f.signs_sessions() {
                        sessions.clone()
                    } else {
                        Sessions::verifier(SESSION_PUBLIC).unwrap()
                    };
                    let code_key: &[u8] = if f.checks_codes() { KEY } else { &[] };
                    kezek_lambda::api(
                        &service,
                        store.clone(),
                        sessions,
                        code_key,
                        verifier.clone(),
                    )
                });
                // The portal over the web function's API, its form key derived as deployed.
                let web = api.as_ref().filter(|_| f.serves_pages()).map(|api| {
                    kezek_web::Web::new(api.clone(), &kezek_web::csrf_key_from(KEY), true, "1414")
                });
                let adapters = Adapters {
                    sender: Some(recorder.clone() as Arc<dyn Sender>),
                    queue: Some(queue.clone() as Arc<dyn NotificationQueue>),
                    work: Some(work.clone() as Arc<dyn WorkQueue>),
                    web,
                };
                let mut h = Handler::new(f, service.clone(), api, adapters);
                if f == Function::Authorizer {
                    h = h.with_sessions(Sessions::verifier(SESSION_PUBLIC).unwrap());
                }
                (f.name(), h)
            })
            .collect();
        Env {
            handlers,
            sessions,
            clock: Some(clock),
            recorder,
            queue,
            work,
            credentials: store.clone(),
            store,
            aws: None,
            files: Some(files),
        }
    }

    /// Every function built as its Lambda builds it at cold start ([`kezek_lambda::build`]):
    /// DynamoDB (a fresh table with the seed catalogue), the notifier's SQS queue with its
    /// dead-letter queue (`max_receives` receives), SES and SNS, all in moto.
    pub async fn dynamodb(max_receives: u32) -> Env {
        Env::dynamodb_with(max_receives, None).await
    }

    /// [`Env::dynamodb`], asking the state registers' gateway at `registers_url` (the functions'
    /// `REGISTERS_URL`) instead of the built-in registers.
    pub async fn dynamodb_with(max_receives: u32, registers_url: Option<String>) -> Env {
        let shared = moto_config(kezek_contract::moto::private_endpoint()).await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let table = format!("kezek-flow-{suffix}");
        let store = Arc::new(kezek_aws::DynamoStore::new(
            kezek_aws::dynamodb_client_from(&shared, None),
            &table,
        ));
        store.ensure_table().await.unwrap();
        kezek_local::seed::seed(store.as_ref()).await.unwrap();
        let sqs = aws_sdk_sqs::Client::new(&shared);
        let dlq = sqs
            .create_queue()
            .queue_name(format!("kezek-dlq-{suffix}"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let dlq_arn = sqs
            .get_queue_attributes()
            .queue_url(&dlq)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives});
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("kezek-notifications-{suffix}"))
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                redrive.to_string(),
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        // Each sweep's work queue, with the dead-letter queue.
        let mut sweep_queue_urls = BTreeMap::new();
        for f in Function::ALL.into_iter().filter(|f| f.sweeps()) {
            let url = sqs
                .create_queue()
                .queue_name(format!("kezek-{}-{suffix}", f.name()))
                .attributes(
                    aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                    redrive.to_string(),
                )
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap();
            sweep_queue_urls.insert(f.name(), url);
        }
        let sender_email = "noreply@kezek.example.kz";
        aws_sdk_sesv2::Client::new(&shared)
            .create_email_identity()
            .email_identity(sender_email)
            .send()
            .await
            .unwrap();
        // The secrets as the template holds them: the session private key (the login function's
        // alone) and the code key, each its own.
        let secrets = aws_sdk_secretsmanager::Client::new(&shared);
        let mut arns = Vec::new();
        for (name, text) in [
            (
                "session-signing",
                json!({ "private_key": SESSION_PRIVATE, "public_key": SESSION_PUBLIC }),
            ),
            (
                "code-key",
                json!({ "code_key": String::from_utf8(KEY.to_vec()).unwrap() }),
            ),
        ] {
            let arn = secrets
                .create_secret()
                .name(format!("kezek-{name}-{suffix}"))
                .secret_string(text.to_string())
                .send()
                .await
                .unwrap()
                .arn
                .unwrap();
            arns.push(arn);
        }
        let bucket = format!("kezek-docs-{suffix}");
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
        let settings = Settings {
            documents_bucket: Some(bucket),
            s3_path_style: true,
            table,
            session_public_keys: Some(SESSION_PUBLIC.into()),
            session_signing_secret: Some(arns[0].clone()),
            session_private_key: None,
            code_key_secret: Some(arns[1].clone()),
            code_key: None,
            registers_secret: None,
            nca_roots: Some(test_nca().certificate_pem()),
            // The test PKI has no OCSP responder or CRL.
            eds_revocation: kezek_http::Revocation::NotChecked,
            registers_url,
            sender_email: Some(sender_email.into()),
            // As deployed (template Globals): the published calendar is read at cold start.
            calendar_from_table: true,
            queue_url: Some(queue_url.clone()),
            sweep_queue_url: None,
            max_receives: Some(max_receives),
            support_phone: "1414".into(),
            ncalayer_url: None,
            dashboard_url: None,
        };
        let mut handlers = BTreeMap::new();
        for f in Function::ALL {
            let settings = Settings {
                sweep_queue_url: sweep_queue_urls.get(f.name()).cloned(),
                ..settings.clone()
            };
            // As each function's main makes them.
            let make = kezek_lambda::Make {
                sender: Some(kezek_aws::aws_sender),
                queue: Some(kezek_aws::sqs_queue),
                work: Some(kezek_aws::sqs_work_queue),
                blobs: (f.keeps_documents() || f.serves_pages() || f.publishes_open_data())
                    .then_some(kezek_aws::s3_blobs as kezek_lambda::MakeBlobs),
                render: (f.keeps_documents() || f.serves_pages())
                    .then_some(kezek_core::documents::render_pdf as kezek_core::documents::Render),
            };
            let h = kezek_lambda::build(f, &shared, &settings, make)
                .await
                .unwrap();
            handlers.insert(f.name(), h);
        }
        Env {
            handlers,
            sessions: signing_sessions(),
            clock: None,
            recorder: Arc::new(Recorder::default()),
            queue: Arc::new(MemoryQueue::default()),
            work: Arc::new(MemoryWorkQueue::default()),
            credentials: store.clone(),
            store,
            aws: Some(Aws {
                shared,
                table: settings.table.clone(),
                queue_url,
                dlq_url: dlq,
                sweep_queue_urls,
            }),
            files: None,
        }
    }

    /// Gives the notifier another sender (e.g. one that fails).
    pub fn with_notifier_sender(mut self, sender: Arc<dyn Sender>, max_receives: u32) -> Env {
        let h = self.handler(Function::Notifier);
        let adapters = Adapters {
            sender: Some(sender),
            ..Adapters::default()
        };
        let notifier = Handler::new(Function::Notifier, h.service.clone(), None, adapters)
            .with_max_receives(max_receives);
        self.handlers.insert(Function::Notifier.name(), notifier);
        self
    }

    /// The relay's input as the table's stream gives it: an INSERT record of each pending
    /// outbox item, read from the table.
    pub async fn outbox_stream_event(&self) -> Value {
        let Some(aws) = self.aws.as_ref() else {
            return self.embedded_stream_event().await;
        };
        let table = aws.table.clone();
        let client = aws_sdk_dynamodb::Client::new(&aws.shared);
        let pending = self
            .handler(Function::Notifier)
            .service
            .outbox
            .pending(100)
            .await
            .unwrap();
        let mut records = Vec::new();
        for (i, n) in pending.iter().enumerate() {
            let item = client
                .get_item()
                .table_name(&table)
                .key(
                    "PK",
                    aws_sdk_dynamodb::types::AttributeValue::S(format!("NOTIF#{}", n.id)),
                )
                .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("N".into()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap();
            let keys: std::collections::HashMap<_, _> = item
                .iter()
                .filter(|(k, _)| *k == "PK" || *k == "SK")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let image = serde_dynamo::Item::from(item);
            let keys = serde_dynamo::Item::from(keys);
            records.push(json!({
                "eventID": format!("e{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": format!("{}", 1000 + i),
                    "SizeBytes": 512, "StreamViewType": "NEW_IMAGE"},
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/kezek/stream/2026-11-22T00:00:00.000"
            }));
        }
        json!({ "Records": records })
    }

    /// [`Self::outbox_stream_event`] on the embedded store: each pending outbox entry as the
    /// DynamoDB item it would be (`PK`, `SK`, the notification in `n`).
    async fn embedded_stream_event(&self) -> Value {
        let pending = self.store_outbox().pending(100).await.unwrap();
        let records: Vec<Value> = pending
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let keys = json!({"PK": {"S": format!("NOTIF#{}", n.id)}, "SK": {"S": "N"}});
                let mut image = keys.clone();
                let item: serde_dynamo::AttributeValue = serde_dynamo::to_attribute_value(n).unwrap();
                image["n"] = serde_json::to_value(item).unwrap();
                json!({
                    "eventID": format!("e{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                    "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": format!("{}", 1000 + i),
                        "SizeBytes": 512, "StreamViewType": "NEW_IMAGE"},
                    "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/kezek/stream/2026-11-22T00:00:00.000"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    fn store_outbox(&self) -> Arc<dyn kezek_core::ports::Outbox> {
        self.handler(Function::Notifier).service.outbox.clone()
    }

    /// A download through a listed URL of the embedded environment's data folder (the local
    /// runner's `/v1/dev/files/…` route, with its checks).
    pub fn download_local(&self, url: &str) -> Vec<u8> {
        let files = self.files.as_ref().expect("the embedded data folder");
        let rest = url
            .split_once("/v1/dev/files/")
            .expect("a data-folder URL")
            .1;
        let (key, query) = rest.split_once('?').expect("a signed query");
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .unwrap();
        let q: kezek_local::files::FileQuery = serde_urlencoded::from_str(query).unwrap();
        files.serve_get(&key, &q).expect("served").0
    }

    /// One poll of the notifier's queue as Lambda's event source does it: receive a batch,
    /// invoke the notifier, delete what succeeded; the failures are made visible again at once
    /// (the test's stand-in for the visibility timeout). Returns (received, failed).
    pub async fn poll_notifications(&self) -> (usize, usize) {
        let aws = self.aws.as_ref().expect("SQS in moto");
        let sqs = aws_sdk_sqs::Client::new(&aws.shared);
        let out = sqs
            .receive_message()
            .queue_url(&aws.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return (0, 0);
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount))
                    .cloned()
                    .unwrap_or_else(|| "1".into());
                json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                    "attributes": {"ApproximateReceiveCount": count}, "messageAttributes": {},
                    "eventSource": "aws:sqs", "awsRegion": "us-east-1"})
            })
            .collect();
        let response = self
            .invoke(Function::Notifier, json!({ "Records": records }))
            .await;
        let failed: Vec<String> = response["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
            .collect();
        for m in &messages {
            let id = m.message_id.clone().unwrap_or_default();
            let handle = m.receipt_handle.clone().unwrap_or_default();
            if failed.contains(&id) {
                sqs.change_message_visibility()
                    .queue_url(&aws.queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .unwrap();
            } else {
                sqs.delete_message()
                    .queue_url(&aws.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
        }
        (messages.len(), failed.len())
    }

    /// Messages in the dead-letter queue.
    pub async fn dead_letters(&self) -> usize {
        let aws = self.aws.as_ref().expect("SQS in moto");
        let sqs = aws_sdk_sqs::Client::new(&aws.shared);
        let out = sqs
            .receive_message()
            .queue_url(&aws.dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        out.messages.unwrap_or_default().len()
    }

    pub fn handler(&self, f: Function) -> &Handler {
        &self.handlers[f.name()]
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Some(c) => c.now(),
            None => Utc::now(),
        }
    }

    /// Moves the simulated clock (embedded only).
    pub fn set_clock(&self, now: DateTime<Utc>) {
        self.clock.as_ref().expect("a simulated clock").set(now);
    }

    pub fn parent(&self) -> String {
        self.token(PARENT, Role::Parent, &[])
    }

    pub fn operator(&self) -> String {
        self.token(OPERATOR, Role::Operator, &["KOK"])
    }

    pub fn token(&self, iin: &str, role: Role, districts: &[&str]) -> String {
        let who = Principal {
            iin: Iin::try_from(iin.to_owned()).unwrap(),
            role,
            districts: districts.iter().map(|d| d.to_string()).collect(),
        };
        self.sessions.issue(&who, Utc::now()).unwrap().token
    }

    /// Invokes a function with a payload, as Lambda does.
    pub async fn invoke(&self, f: Function, event: Value) -> Value {
        self.handler(f).handle(event).await.unwrap()
    }

    /// An API request, delivered to the function that serves its route (as API Gateway does);
    /// returns the status and the JSON body.
    pub async fn http(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let event = api_event(method, path_and_query, body, token, None);
        let (path, _) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let m = lambda_http::http::Method::from_bytes(method.as_bytes()).unwrap();
        let route = kezek_http::route_key(&m, path).expect("a route of the API");
        let f = Function::of_route(route).expect("a function serves every route");
        response(&self.invoke(f, event).await)
    }

    /// A scheduled event for a function, as the schedules of `infra/template.yaml` send it.
    /// An action on an application: `POST /v1/applications/{id}/{action}` with `token`.
    pub async fn act(
        &self,
        id: &str,
        action: &str,
        body: Option<Value>,
        token: &str,
    ) -> (u16, Value) {
        let path = format!("/v1/applications/{id}/{action}");
        self.http("POST", &path, body, Some(token)).await
    }

    ///
    /// A sweep fans out: its parts go to its work queue, and each is then delivered to the
    /// function as Lambda's event source would ([`Env::drain_parts`]); the answer is the parts'
    /// reports summed (`examined`, `lapsed`, `reminders`, …, `republished`), with `parts`.
    pub async fn scheduled(&self, f: Function, detail: Value) -> Value {
        let event = json!({
            "version": "0", "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event", "source": "kezek.scheduler",
            "account": "123456789012", "time": self.now().to_rfc3339(),
            "region": "eu-central-1", "resources": [], "detail": detail,
        });
        let answer = self.invoke(f, event).await;
        // The scheduled voucher runs: the units' reports, with the sum of their offers.
        if f == Function::IssueVoucher && answer.get("voucher_runs").is_some() {
            let runs = self.drain_parts(f).await;
            let offered: u64 = runs.iter().filter_map(|r| r["offered"].as_u64()).sum();
            return json!({"voucher_runs": answer["voucher_runs"], "offered": offered, "runs": runs});
        }
        // A sweep function's other job (the open data) answers for itself.
        if !f.sweeps() || answer.get("sweep").is_none() {
            return answer;
        }
        let mut sum = json!({
            "sweep": answer["sweep"], "parts": answer["parts"], "examined": 0, "lapsed": 0,
            "reminders": 0, "skipped": 0, "conflicts": 0,
        });
        if f == Function::ExpirySweep {
            sum["republished"] = json!(0);
        }
        for report in self.drain_parts(f).await {
            for (k, v) in report.as_object().unwrap() {
                if let (Some(n), Some(total)) = (v.as_u64(), sum[k].as_u64()) {
                    if k != "part" {
                        sum[k] = json!(total + n);
                    }
                }
            }
        }
        sum
    }

    /// Delivers the parts waiting in a sweep's work queue to it, as Lambda's event source
    /// does (batches of up to 10; a failed part is delivered again), until none is left;
    /// returns each part's report. A part the function sends again (work left) is taken too.
    pub async fn drain_parts(&self, f: Function) -> Vec<Value> {
        let mut reports = Vec::new();
        for _ in 0..1000 {
            let batch: Vec<(String, String, String)> = match &self.aws {
                None => {
                    let mut bodies = self.work.bodies.lock().unwrap();
                    let sweep = match f {
                        Function::ExpirySweep => "\"expiry\"",
                        Function::IssueVoucher => "\"voucher_run\"",
                        _ => "\"reconfirmation\"",
                    };
                    // Each function's parts (the chores are the expiry sweep's).
                    let (mine, rest): (Vec<String>, Vec<String>) =
                        bodies.drain(..).partition(|b| {
                            b.contains(sweep)
                                || (f == Function::ExpirySweep
                                    && !b.contains("\"sweep\"")
                                    && !b.contains("\"voucher_run\""))
                        });
                    let mut mine = mine.into_iter();
                    let batch = mine
                        .by_ref()
                        .take(10)
                        .map(|b| (uuid::Uuid::new_v4().to_string(), b, "1".to_owned()))
                        .collect();
                    // What this batch did not take waits for the next one.
                    *bodies = mine.chain(rest).collect();
                    batch
                }
                Some(aws) => {
                    let sqs = aws_sdk_sqs::Client::new(&aws.shared);
                    let out = sqs
                        .receive_message()
                        .queue_url(&aws.sweep_queue_urls[f.name()])
                        .max_number_of_messages(10)
                        .send()
                        .await
                        .unwrap();
                    let mut batch = Vec::new();
                    for m in out.messages.unwrap_or_default() {
                        sqs.delete_message()
                            .queue_url(&aws.sweep_queue_urls[f.name()])
                            .receipt_handle(m.receipt_handle.unwrap_or_default())
                            .send()
                            .await
                            .unwrap();
                        batch.push((
                            m.message_id.unwrap_or_default(),
                            m.body.unwrap_or_default(),
                            "1".to_owned(),
                        ));
                    }
                    batch
                }
            };
            if batch.is_empty() {
                return reports;
            }
            let answer = self.invoke(f, sqs_event(&batch)).await;
            let failed = answer["batchItemFailures"].as_array().unwrap();
            assert!(failed.is_empty(), "{} failed parts: {answer}", f.name());
            reports.extend(answer["reports"].as_array().unwrap().iter().cloned());
        }
        panic!("{}: parts kept coming", f.name());
    }
}

/// An API Gateway HTTP API (payload 2.0) request event.
pub fn api_event(
    method: &str,
    path_and_query: &str,
    body: Option<Value>,
    token: Option<&str>,
    language: Option<&str>,
) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut headers = json!({"content-type": "application/json", "host": "api.kezek.example.kz"});
    if let Some(t) = token {
        headers["authorization"] = json!(format!("Bearer {t}"));
    }
    if let Some(l) = language {
        headers["accept-language"] = json!(l);
    }
    let route = format!("{method} {path}");
    let mut event = json!({
        "version": "2.0", "routeKey": route, "rawPath": path, "rawQueryString": query,
        "headers": headers, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "apiId": "kezekapi01", "domainName": "api.kezek.example.kz",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": "kezek-tests"},
            "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": route, "stage": "$default",
            "time": "01/Jul/2026:10:00:00 +0000", "timeEpoch": 1782900000000u64
        }
    });
    if let Some(b) = body {
        event["body"] = json!(b.to_string());
    }
    event
}

/// The status and JSON body of an API Gateway response.
pub fn response(v: &Value) -> (u16, Value) {
    let status = v["statusCode"].as_u64().expect("a statusCode") as u16;
    let body = v["body"]
        .as_str()
        .map(|b| serde_json::from_str(b).expect("a JSON body"))
        .unwrap_or(Value::Null);
    (status, body)
}

/// A time in Asia/Almaty.
/// An SDK config for moto at `endpoint` (region us-east-1, test credentials).
pub async fn moto_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

pub fn almaty(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}
