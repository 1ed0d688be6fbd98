//! What the workspace tests share: every Lambda handler of the function table over one store,
//! driven with API Gateway and scheduled events exactly as Lambda delivers them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kezek_core::iin::Iin;
use kezek_core::ports::{
    BuiltinRegisters, Clock, OutgoingMessage, SendError, Sender, SimClock, Store,
};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::{Principal, Role, Service};
use kezek_http::Sessions;
use kezek_lambda::{Function, Handler, Settings};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const PARENT: &str = "900101300007";
pub const OPERATOR: &str = "850505300001";
/// Born 15 March 2023.
pub const CHILD: &str = "230315500002";
/// The first seeded kindergarten (Kokshetau).
pub const KINDERGARTEN: &str = "00000000-0000-4000-8000-000000000001";
const KEY: &[u8] = b"kezek-tests-session-key-not-a-secret-0123456789";

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
    pub recorder: Arc<Recorder>,
    pub store: Arc<dyn Store>,
}

impl Env {
    /// The embedded store with the local runner's seed catalogue, on a simulated clock set to `now`.
    pub async fn embedded(now: DateTime<Utc>) -> Env {
        let store = Arc::new(EmbeddedStore::new());
        kezek_local::seed::seed(store.as_ref()).await.unwrap();
        let clock = Arc::new(SimClock::new());
        clock.set(now);
        let service = Service::new(
            store.clone(),
            store.clone(),
            clock.clone(),
            Arc::new(BuiltinRegisters),
        );
        let recorder = Arc::new(Recorder::default());
        let sessions = Sessions::new(KEY).unwrap();
        let handlers = Function::ALL
            .into_iter()
            .map(|f| {
                let sessions = (!f.routes().is_empty()).then(|| sessions.clone());
                let sender: Option<Arc<dyn Sender>> =
                    (f == Function::Notifier).then(|| recorder.clone() as Arc<dyn Sender>);
                (f.name(), Handler::new(f, service.clone(), sessions, sender))
            })
            .collect();
        Env {
            handlers,
            sessions,
            clock: Some(clock),
            recorder,
            store,
        }
    }

    /// Every function built as its Lambda builds it at cold start ([`kezek_lambda::build`]),
    /// on a fresh DynamoDB table in moto with the seed catalogue; the notifier's sender is the
    /// recorder.
    pub async fn dynamodb() -> Env {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(kezek_contract::moto::endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await;
        let table = format!("kezek-flow-{}", uuid::Uuid::new_v4().simple());
        let store = Arc::new(kezek_aws::DynamoStore::new(
            kezek_aws::dynamodb_client_from(&shared, None),
            &table,
        ));
        store.ensure_table().await.unwrap();
        kezek_local::seed::seed(store.as_ref()).await.unwrap();
        let settings = Settings {
            table,
            session_key: Some(KEY.to_vec()),
            sender_email: Some("noreply@kezek.example.kz".into()),
        };
        let recorder = Arc::new(Recorder::default());
        let handlers = Function::ALL
            .into_iter()
            .map(|f| {
                // The notifier is built as in AWS, then given the shared recorder as its sender.
                let make: kezek_lambda::MakeSender = |_, _| Arc::new(Recorder::default());
                let built = kezek_lambda::build(f, &shared, &settings, Some(make)).unwrap();
                let h = if f == Function::Notifier {
                    Handler::new(f, built.service.clone(), None, Some(recorder.clone()))
                } else {
                    built
                };
                (f.name(), h)
            })
            .collect();
        Env {
            handlers,
            sessions: Sessions::new(KEY).unwrap(),
            clock: None,
            recorder,
            store,
        }
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
    pub async fn scheduled(&self, f: Function, detail: Value) -> Value {
        let event = json!({
            "version": "0", "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event", "source": "kezek.scheduler",
            "account": "123456789012", "time": self.now().to_rfc3339(),
            "region": "eu-central-1", "resources": [], "detail": detail,
        });
        self.invoke(f, event).await
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
pub fn almaty(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}
