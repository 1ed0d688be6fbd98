//! The HTTP contract suite (api.md, service.md, quality.md): every route the [`Api`] serves, driven
//! through `Api::handle` with `lambda_http` requests. It knows the store only through the `Store`
//! and `Outbox` ports, so each store adapter runs it unchanged:
//!
//! ```text
//! #[macro_use]
//! mod suite;
//! http_cases!(async { Arc::new(MyStore::new().await) });
//! ```
//!
//! Business time starts at [`START`] (Tuesday 10 March 2026, 10:00 Asia/Almaty, a working day) and
//! moves only through [`Env::set_clock`]; sessions keep the real clock.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use kezek_core::domain::{Language, NotificationKind};
use kezek_core::iin::{make_iin, Iin};
use kezek_core::ports::{stores::*, BuiltinRegisters, Outbox, SimClock};
use kezek_core::{Principal, Role, Service};
use kezek_http::{Api, Sessions};
use lambda_http::http::header;
use lambda_http::Body;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `#[tokio::test]` per case of the suite, each on a fresh store from `$factory` (an async
/// block giving `Arc<S>` where `S: Store + Outbox`).
#[macro_export]
macro_rules! http_cases {
    ($factory:expr) => {
        $crate::http_cases!(@current $factory;
            health,
            districts,
            catalogue_filters,
            catalogue_bad_filters,
            submit_created,
            submit_bad_input_writes_nothing,
            error_messages_follow_accept_language,
            submit_duplicate_child,
            sessions_refused,
            operator_cannot_act_as_parent,
            journal_get_history,
            other_parent_forbidden,
            operator_reads_only_in_district,
            unknown_application_404,
            linked_parent_sees_and_acts,
            kinship_refused_for_younger_parent,
            profile_get_put,
            reconfirm_window,
            voucher_confirm_and_choose,
            choose_wrong_or_unknown_kindergarten,
            voucher_refuse,
            withdraw_and_wrong_status,
            confirm_after_deadline_lapses_then_restore_once,
            extension_only_on_last_day,
            operator_create_kindergarten,
            operator_update_kindergarten_and_places,
            voucher_run_bounded_by_places,
            admin_queue_order_and_privilege_reject,
            stats_counts_by_status,
            sweeps,
            method_not_allowed_and_unknown_route,
            outbox_registered_notification,
            text_after_json_refused,
            hidden_format_characters_refused,
        );
        $crate::http_cases!(@multi $factory;
            confirm_at_the_sweep_instant_one_outcome,
            concurrent_last_free_place,
            concurrent_duplicate_submissions,
        );
    };
    (@current $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::suite::$case($crate::suite::Env::new($factory.await)).await
            }
        )*
    };
    (@multi $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::suite::$case($crate::suite::Env::new($factory.await)).await
            }
        )*
    };
}

// ===== the environment ===========================================================================

/// The session key of the suite.
/// The code key of the tests.
pub const KEY: [u8; 32] = [7u8; 32];
/// The tests' session key pair, and another pair the API does not trust.
pub const SESSION_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/session.key");
pub const SESSION_PUBLIC: &str = include_str!("../../../../tests/fixtures/keys/session.pub");
pub const OTHER_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/other.key");
pub const OTHER_PUBLIC: &str = include_str!("../../../../tests/fixtures/keys/other.pub");

/// Sessions that issue with a key pair.
pub fn signing(private: &str, public: &str) -> Sessions {
    Sessions::verifier(public)
        .and_then(|s| s.with_signer(private, public))
        .expect("session keys")
}

/// Business time at the start of every case: Tuesday 10 March 2026, 10:00 Asia/Almaty.
pub fn start() -> DateTime<FixedOffset> {
    almaty(2026, 3, 10, 10)
}

pub fn almaty(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(5 * 3600)
        .expect("offset")
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("time")
}

pub struct Env {
    pub api: Api,
    pub clock: Arc<SimClock>,
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct User {
    pub iin: String,
    pub token: String,
}

/// A reply: status, the JSON body and its text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected reply: {}", self.text);
        &self.json
    }

    /// Asserts an error reply of the contract's shape and returns its `error` object.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "unexpected reply: {}", self.text);
        let e = &self.json["error"];
        assert_eq!(e["code"], code, "unexpected error: {}", self.text);
        let message = e["message"].as_str().unwrap_or("");
        assert!(
            !message.is_empty() && message != code,
            "error without a message: {}",
            self.text
        );
        e
    }

    /// Asserts a 400 with the field at fault.
    #[track_caller]
    pub fn bad(&self, code: &str, field: &str) -> &Value {
        let e = self.err(400, code);
        assert_eq!(e["field"], field, "unexpected field: {}", self.text);
        e
    }

    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("")
    }
}

/// A request being built.
pub struct Call<'a> {
    env: &'a Env,
    builder: lambda_http::http::request::Builder,
    body: Body,
}

impl Call<'_> {
    pub fn auth(self, user: &User) -> Self {
        self.bearer(&user.token)
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    pub fn lang(self, l: &str) -> Self {
        self.header(header::ACCEPT_LANGUAGE.as_str(), l)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn json(self, v: &Value) -> Self {
        self.raw(v.to_string())
    }

    /// A body of raw bytes (not necessarily UTF-8), sent as JSON.
    pub fn bytes(mut self, bytes: Vec<u8>) -> Self {
        self.body = Body::Binary(bytes);
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self
    }

    pub fn raw(mut self, text: impl Into<String>) -> Self {
        self.body = Body::from(text.into());
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self
    }

    pub fn request(self) -> lambda_http::Request {
        self.builder.body(self.body).expect("request")
    }

    pub async fn send(self) -> Reply {
        let api = self.env.api.clone();
        reply(api.handle(self.request()).await)
    }
}

/// Reads a response, checking what holds for every reply: JSON content, never a 5xx.
pub fn reply(resp: lambda_http::Response<Body>) -> Reply {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes: &[u8] = resp.body().as_ref();
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 body");
    assert!(status < 500, "server error {status}: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?} of {text}"
    );
    let json: Value = serde_json::from_str(&text).expect("JSON body");
    Reply { status, json, text }
}

/// A valid IIN for a birth date; `serial` < 1000 keeps IINs of one date distinct.
pub fn iin(birth: NaiveDate, serial: u32) -> Iin {
    (serial * 10..serial * 10 + 10)
        .find_map(|s| make_iin(birth, serial.is_multiple_of(2), s))
        .expect("a valid IIN")
}

/// The IIN with its check digit changed: 400 `invalid_iin`.
pub fn bad_check_digit(valid: &str) -> String {
    let mut s = valid.to_owned();
    let last = s.pop().and_then(|c| c.to_digit(10)).expect("digit");
    s.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    s
}

/// Business times read back are `expected` plus the real time the case has taken.
#[track_caller]
pub fn near(t: DateTime<FixedOffset>, expected: DateTime<FixedOffset>) {
    assert!(
        t >= expected - Duration::seconds(1) && t <= expected + Duration::seconds(60),
        "{t} is not near {expected}"
    );
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A child of age group 3 at [`start`] (born 10 January 2023).
pub fn child(n: u32) -> String {
    iin(date(2023, 1, 10), n).as_str().to_owned()
}

/// A body of `POST /v1/applications`.
pub fn submission(district: &str, child_iin: &str) -> Value {
    json!({
        "district": district,
        "child_iin": child_iin,
        "email": "parent@example.kz",
        "phone": "+7 701 234 56 78",
    })
}

/// A body of `POST /v1/admin/kindergartens`.
pub fn kindergarten(district: &str, name: &str, places: Value) -> Value {
    json!({
        "name_kk": format!("«{name}» балабақшасы"),
        "name_ru": format!("Детский сад «{name}»"),
        "district": district,
        "address": "Көкшетау қ., Абай к-сі, 45",
        "phone": "+7 7162 25 10 01",
        "ownership": "state",
        "type": "kindergarten",
        "languages": "both",
        "admission": "general",
        "free_places": places,
    })
}

pub fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not a time {v}: {e}"))
}

pub fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

impl Env {
    pub fn new<S: Store + Outbox + kezek_core::ports::Credentials + 'static>(store: Arc<S>) -> Env {
        let clock = Arc::new(SimClock::new());
        clock.set(start().with_timezone(&Utc));
        let service = Service::new(
            store.clone(),
            store.clone(),
            clock.clone(),
            Arc::new(BuiltinRegisters),
        );
        Env {
            api: Api::build(
                service,
                store.clone(),
                signing(SESSION_PRIVATE, SESSION_PUBLIC),
                &KEY,
                Arc::new(kezek_core::ports::NoRoots),
            ),
            clock,
            store: store.clone(),
            outbox: store,
        }
    }

    // ----- time

    pub fn set_clock(&self, t: DateTime<FixedOffset>) {
        self.clock.set(t.with_timezone(&Utc));
    }

    // ----- sessions

    pub fn login(&self, iin: &Iin, role: Role, districts: &[&str]) -> User {
        let who = Principal {
            iin: iin.clone(),
            role,
            districts: districts.iter().map(|d| d.to_string()).collect(),
        };
        let token = self.api.sessions.issue(&who, Utc::now()).expect("token");
        User {
            iin: iin.as_str().to_owned(),
            token: token.token,
        }
    }

    /// Parent number `n`, born 15 April 1990.
    pub fn parent(&self, n: u32) -> User {
        self.login(&iin(date(1990, 4, 15), n), Role::Parent, &[])
    }

    pub fn operator(&self, districts: &[&str]) -> User {
        let serial = districts.len() as u32 + 100;
        self.login(&iin(date(1980, 2, 2), serial), Role::Operator, districts)
    }

    /// An operator of KOK, STP and BUR.
    pub fn admin(&self) -> User {
        self.operator(&["KOK", "STP", "BUR"])
    }

    // ----- requests

    pub fn req(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            env: self,
            builder: lambda_http::http::Request::builder()
                .method(method)
                .uri(format!("https://api.kezek.kz{path}")),
            body: Body::Empty,
        }
    }

    pub async fn get(&self, path: &str, user: &User) -> Reply {
        self.req("GET", path).auth(user).send().await
    }

    pub async fn post(&self, path: &str, user: &User, body: Value) -> Reply {
        self.req("POST", path).auth(user).json(&body).send().await
    }

    pub async fn put(&self, path: &str, user: &User, body: Value) -> Reply {
        self.req("PUT", path).auth(user).json(&body).send().await
    }

    /// A parent's action without a body.
    pub async fn act(&self, user: &User, id: &str, action: &str) -> Reply {
        self.req("POST", &format!("/v1/applications/{id}/{action}"))
            .auth(user)
            .send()
            .await
    }

    // ----- flows

    pub async fn submit_in(&self, parent: &User, district: &str, child_iin: &str) -> Value {
        let r = self
            .post("/v1/applications", parent, submission(district, child_iin))
            .await;
        r.ok(201).clone()
    }

    /// Submits a child in KOK; returns the application's id.
    pub async fn submit(&self, parent: &User, child_iin: &str) -> String {
        str_of(&self.submit_in(parent, "KOK", child_iin).await["id"])
    }

    pub async fn create_kg(&self, district: &str, name: &str, places: Value) -> String {
        let r = self
            .post(
                "/v1/admin/kindergartens",
                &self.admin(),
                kindergarten(district, name, places),
            )
            .await;
        str_of(&r.ok(201)["id"])
    }

    pub async fn voucher_run(&self, district: &str, age_group: i64) -> Value {
        let body = json!({"district": district, "age_group": age_group});
        self.post("/v1/admin/voucher-runs", &self.admin(), body)
            .await
            .ok(200)
            .clone()
    }

    pub async fn sweep(&self, kind: &str) -> Value {
        self.req("POST", &format!("/v1/admin/sweeps/{kind}"))
            .auth(&self.admin())
            .send()
            .await
            .ok(200)
            .clone()
    }

    pub async fn app(&self, user: &User, id: &str) -> Value {
        self.get(&format!("/v1/applications/{id}"), user)
            .await
            .ok(200)
            .clone()
    }

    pub async fn journal(&self, user: &User) -> Vec<Value> {
        let r = self.get("/v1/applications", user).await;
        r.ok(200).as_array().expect("journal is an array").clone()
    }

    pub async fn history_actions(&self, user: &User, id: &str) -> Vec<String> {
        let r = self
            .get(&format!("/v1/applications/{id}/history"), user)
            .await;
        r.ok(200)
            .as_array()
            .expect("history is an array")
            .iter()
            .map(|h| str_of(&h["action"]))
            .collect()
    }

    /// The free places of a kindergarten by age group, from the public catalogue.
    pub async fn free_places(&self, district: &str, kg_id: &str) -> BTreeMap<String, u64> {
        let r = self
            .req("GET", &format!("/v1/kindergartens?district={district}"))
            .send()
            .await;
        let kg = r
            .ok(200)
            .as_array()
            .expect("catalogue")
            .iter()
            .find(|k| k["id"] == kg_id)
            .unwrap_or_else(|| panic!("{kg_id} not in the catalogue: {}", r.text))
            .clone();
        kg["free_places"]
            .as_object()
            .expect("free_places")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
            .collect()
    }

    /// A parent with a voucher offered in KOK (a kindergarten with `places` for age group 3).
    pub async fn offered(&self, n: u32, places: u32) -> (User, String, String) {
        let kg = self
            .create_kg("KOK", &format!("Балапан {n}"), json!({ "3": places }))
            .await;
        let parent = self.parent(n);
        let id = self.submit(&parent, &child(n)).await;
        let run = self.voucher_run("KOK", 3).await;
        assert!(
            run["application_ids"]
                .as_array()
                .expect("ids")
                .iter()
                .any(|x| x == &json!(id)),
            "not offered: {run}"
        );
        assert_eq!(self.app(&parent, &id).await["status"], "voucher_offered");
        (parent, id, kg)
    }

    /// A parent with an active voucher in KOK.
    pub async fn active(&self, n: u32, places: u32) -> (User, String, String) {
        let (parent, id, kg) = self.offered(n, places).await;
        let r = self.act(&parent, &id, "voucher/confirm").await;
        assert_eq!(r.ok(200)["status"], "voucher_active");
        (parent, id, kg)
    }
}

// ===== public routes =============================================================================

pub async fn health(env: Env) {
    let r = env.req("GET", "/v1/health").send().await;
    assert_eq!(r.ok(200)["status"], "ok");
}

pub async fn districts(env: Env) {
    let r = env.req("GET", "/v1/districts").send().await;
    let list = r.ok(200).as_array().expect("array").clone();
    assert_eq!(list.len(), 20, "Akmola has 3 cities and 17 districts");
    let kok = list
        .iter()
        .find(|d| d["code"] == "KOK")
        .expect("KOK is listed");
    assert_eq!(kok["name_kk"], "Көкшетау қаласы");
    assert_eq!(kok["name_ru"], "город Кокшетау");
    assert!(list
        .iter()
        .all(|d| d["name_kk"].is_string() && d["name_ru"].is_string() && d["code"].is_string()));
}

pub async fn catalogue_filters(env: Env) {
    let admin = env.admin();
    let mut a = kindergarten("KOK", "Балапан", json!({"3": 2}));
    a["languages"] = json!("both");
    let mut b = kindergarten("KOK", "Күншуақ", json!({"4": 1, "3": 0}));
    b["languages"] = json!("ru");
    b["ownership"] = json!("private");
    b["type"] = json!("mini_centre");
    let mut c = kindergarten("STP", "Ертегі", json!({"3": 1}));
    c["languages"] = json!("kk");
    let mut ids = Vec::new();
    for body in [a, b, c] {
        let r = env.post("/v1/admin/kindergartens", &admin, body).await;
        ids.push(str_of(&r.ok(201)["id"]));
    }
    let list = |q: &'static str| {
        let env = &env;
        async move {
            let r = env
                .req("GET", &format!("/v1/kindergartens{q}"))
                .send()
                .await;
            let mut got: Vec<String> = r
                .ok(200)
                .as_array()
                .expect("array")
                .iter()
                .map(|k| str_of(&k["id"]))
                .collect();
            got.sort();
            got
        }
    };
    let sorted = |v: &[&String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    assert_eq!(list("").await, sorted(&[a, b, c]));
    assert_eq!(list("?district=KOK").await, sorted(&[a, b]));
    assert_eq!(list("?district=STP").await, sorted(&[c]));
    assert_eq!(list("?district=BUR").await, Vec::<String>::new());
    assert_eq!(list("?language=kk").await, sorted(&[a, c]));
    assert_eq!(list("?language=ru").await, sorted(&[a, b]));
    assert_eq!(list("?ownership=private").await, sorted(&[b]));
    assert_eq!(list("?ownership=state").await, sorted(&[a, c]));
    assert_eq!(list("?age_group=3").await, sorted(&[a, c]));
    assert_eq!(list("?age_group=4").await, sorted(&[b]));
    assert_eq!(list("?district=KOK&age_group=3").await, sorted(&[a]));
    assert_eq!(
        list("?district=KOK&language=kk&ownership=state&age_group=3").await,
        sorted(&[a])
    );
    // The catalogue entry's shape.
    let r = env
        .req("GET", "/v1/kindergartens?ownership=private")
        .send()
        .await;
    let kg = &r.ok(200)[0];
    assert_eq!(kg["free_places"], json!({"3": 0, "4": 1}));
    assert_eq!(kg["type"], "mini_centre");
    assert_eq!(kg["district"], "KOK");
    assert_eq!(kg["name_ru"], "Детский сад «Күншуақ»");
}

pub async fn catalogue_bad_filters(env: Env) {
    let r = env
        .req("GET", "/v1/kindergartens?district=XXX")
        .send()
        .await;
    r.bad("unknown_district", "district");
    for q in ["age_group=abc", "age_group=9", "age_group=-1"] {
        let r = env
            .req("GET", &format!("/v1/kindergartens?{q}"))
            .send()
            .await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert_eq!(r.json["error"]["field"], "age_group", "{q}");
    }
    let r = env.req("GET", "/v1/kindergartens?language=de").send().await;
    r.bad("invalid_field", "language");
    let r = env
        .req("GET", "/v1/kindergartens?ownership=public")
        .send()
        .await;
    r.bad("invalid_field", "ownership");
}

// ===== submit ====================================================================================

pub async fn submit_created(env: Env) {
    let parent = env.parent(1);
    let child_iin = child(1);
    let r = env
        .post("/v1/applications", &parent, submission("KOK", &child_iin))
        .await;
    let app = r.ok(201).clone();
    let id = str_of(&app["id"]);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "id {id}");
    assert_eq!(app["registration_number"], "КОК.2026.1");
    assert_eq!(app["status"], "queued");
    assert_eq!(app["status_label"], "В очереди");
    assert_eq!(app["district"], "KOK");
    assert_eq!(app["age_group"], 3);
    assert_eq!(app["queue"]["position"], 1);
    assert!(app["queue"]["name"]
        .as_str()
        .is_some_and(|n| n.contains('3')));
    assert_eq!(app["child"]["birth_date"], "2023-01-10");
    let masked = str_of(&app["child"]["iin_masked"]);
    assert_eq!(
        masked,
        format!("{}••••••{}", &child_iin[..4], &child_iin[10..])
    );
    near(time(&app["registered_at"]), start());
    assert!(time(&app["reconfirm_by"]) > start() + Duration::days(360));
    for field in ["privilege", "voucher", "stop_list", "archive_reason"] {
        assert!(app[field].is_null(), "{field} should be null: {app}");
    }
    assert!(!r.text.contains(&child_iin), "full child IIN in {}", r.text);
    assert!(
        !r.text.contains(&parent.iin),
        "full parent IIN in {}",
        r.text
    );

    // The second child of the district gets the next number and position.
    let second = env.submit_in(&env.parent(2), "KOK", &child(2)).await;
    assert_eq!(second["registration_number"], "КОК.2026.2");
    assert_eq!(second["queue"]["position"], 2);
    // Another district counts on its own.
    let other = env.submit_in(&env.parent(3), "STP", &child(3)).await;
    assert_eq!(other["registration_number"], "СТП.2026.1");
    assert_eq!(other["queue"]["position"], 1);

    // With a privilege claim.
    let mut body = submission("KOK", &child(4));
    let doc = env.upload_of(&env.parent(4)).await;
    body["privilege"] = json!({"category": "large_family", "document_ids": [doc]});
    let r = env
        .post("/v1/applications", &env.parent(4), body.clone())
        .await;
    let app = r.ok(201);
    assert_eq!(app["privilege"]["category"], "large_family");
    assert_eq!(app["privilege"]["rejected"], false);
    assert_eq!(app["privilege"]["document_ids"], json!([doc]));
    // Another parent's upload, or no upload at all, is refused.
    let mut theirs = submission("KOK", &child(5));
    theirs["privilege"] = json!({"category": "large_family", "document_ids": [doc]});
    env.post("/v1/applications", &env.parent(5), theirs)
        .await
        .bad("unknown_document", "privilege.document_ids");
    let mut none = submission("KOK", &child(5));
    none["privilege"] = json!({"category": "large_family", "document_ids": ["doc-1"]});
    env.post("/v1/applications", &env.parent(5), none)
        .await
        .bad("unknown_document", "privilege.document_ids");
    // First priority goes ahead of the two general children of KOK.
    assert_eq!(app["queue"]["position"], 1);
}

pub async fn submit_bad_input_writes_nothing(env: Env) {
    let parent = env.parent(1);
    let good = || submission("KOK", &child(1));
    let with = |k: &str, v: Value| {
        let mut b = good();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good();
        b.as_object_mut().expect("object").remove(k);
        b
    };
    // A check digit off by one.
    let bad_iin = bad_check_digit(&child(1));
    let old_child = iin(date(2019, 1, 1), 1);
    // (what, body: JSON or raw text, status, code, field)
    type Case<'a> = (
        &'a str,
        Result<Value, String>,
        u16,
        &'a str,
        Option<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            Err("{\"district\": ".into()),
            400,
            "bad_json",
            None,
        ),
        (
            "not JSON",
            Err("district=KOK".into()),
            400,
            "bad_json",
            None,
        ),
        ("empty body", Err(String::new()), 400, "bad_json", None),
        ("array body", Ok(json!([1, 2])), 400, "invalid_field", None),
        (
            "district a number",
            Ok(with("district", json!(5))),
            400,
            "invalid_field",
            Some("district"),
        ),
        (
            "child_iin a number",
            Ok(with("child_iin", json!(123))),
            400,
            "invalid_field",
            Some("child_iin"),
        ),
        (
            "privilege a string",
            Ok(with("privilege", json!("military"))),
            400,
            "invalid_field",
            Some("privilege"),
        ),
        (
            "missing email",
            Ok(without("email")),
            400,
            "missing_field",
            Some("email"),
        ),
        (
            "missing child_iin",
            Ok(without("child_iin")),
            400,
            "missing_field",
            Some("child_iin"),
        ),
        (
            "missing district",
            Ok(without("district")),
            400,
            "missing_field",
            Some("district"),
        ),
        (
            "bad check digit",
            Ok(with("child_iin", json!(bad_iin))),
            400,
            "invalid_iin",
            Some("child_iin"),
        ),
        (
            "IIN of 11 digits",
            Ok(with("child_iin", json!("23011050001"))),
            400,
            "invalid_iin",
            Some("child_iin"),
        ),
        (
            "IIN with letters",
            Ok(with("child_iin", json!("23011050001a"))),
            400,
            "invalid_iin",
            Some("child_iin"),
        ),
        (
            "unknown district",
            Ok(with("district", json!("XXX"))),
            400,
            "unknown_district",
            Some("district"),
        ),
        (
            "child of 7",
            Ok(with("child_iin", json!(old_child.as_str()))),
            400,
            "child_too_old",
            Some("child_iin"),
        ),
        (
            "invalid email",
            Ok(with("email", json!("parent.example.kz"))),
            400,
            "invalid_email",
            Some("email"),
        ),
        (
            "email with space",
            Ok(with("email", json!("par ent@example.kz"))),
            400,
            "invalid_email",
            Some("email"),
        ),
        (
            "invalid phone",
            Ok(with("phone", json!("12345"))),
            400,
            "invalid_phone",
            Some("phone"),
        ),
        (
            "landline phone",
            Ok(with("phone", json!("+7 (495) 123-45-67"))),
            400,
            "invalid_phone",
            Some("phone"),
        ),
        (
            "unknown language",
            Ok(with("language", json!("de"))),
            400,
            "invalid_language",
            Some("language"),
        ),
        (
            "unknown privilege",
            Ok(with(
                "privilege",
                json!({"category": "vip", "document_ids": ["d1"]}),
            )),
            400,
            "unknown_privilege",
            Some("privilege.category"),
        ),
        (
            "privilege without documents",
            Ok(with(
                "privilege",
                json!({"category": "military", "document_ids": []}),
            )),
            400,
            "privilege_documents_required",
            Some("privilege.document_ids"),
        ),
        (
            "privilege, documents missing",
            Ok(with("privilege", json!({"category": "orphan"}))),
            400,
            "privilege_documents_required",
            Some("privilege.document_ids"),
        ),
        (
            "oversized body",
            Ok(with(
                "email",
                json!(format!("{}@example.kz", "a".repeat(70 * 1024))),
            )),
            413,
            "body_too_large",
            None,
        ),
    ];
    for (what, body, status, code, field) in cases {
        let call = env.req("POST", "/v1/applications").auth(&parent);
        let call = match body {
            Ok(v) => call.json(&v),
            Err(raw) => call.raw(raw),
        };
        let r = call.send().await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_eq!(r.json["error"]["code"], code, "{what}: {}", r.text);
        if let Some(f) = field {
            assert_eq!(r.json["error"]["field"], f, "{what}: {}", r.text);
        }
        assert!(!r.message().is_empty(), "{what}: no message");
        assert!(
            env.journal(&parent).await.is_empty(),
            "{what} wrote an application"
        );
    }
    assert!(env.outbox.pending(100).await.expect("outbox").is_empty());
    let applicant = Iin::try_from(parent.iin.clone()).expect("iin");
    let stored = env.store.applications_by_applicant(&applicant).await;
    assert!(stored.expect("store").is_empty());
    let r = env
        .post("/v1/admin/stats?district=KOK", &env.admin(), json!({}))
        .await;
    r.err(405, "method_not_allowed");
    let stats = env.get("/v1/admin/stats?district=KOK", &env.admin()).await;
    assert_eq!(stats.ok(200)["by_status"]["queued"], 0);
    // Refused input took no registration number.
    let app = env.submit_in(&parent, "KOK", &child(1)).await;
    assert_eq!(app["registration_number"], "КОК.2026.1");
}

pub async fn error_messages_follow_accept_language(env: Env) {
    let parent = env.parent(1);
    let mut body = submission("KOK", &child(1));
    body["child_iin"] = json!(bad_check_digit(&child(1)));
    let send = |lang: Option<&'static str>| {
        let env = &env;
        let parent = &parent;
        let body = &body;
        async move {
            let mut call = env.req("POST", "/v1/applications").auth(parent).json(body);
            if let Some(l) = lang {
                call = call.lang(l);
            }
            let r = call.send().await;
            r.bad("invalid_iin", "child_iin");
            r.message().to_owned()
        }
    };
    let kk = send(Some("kk")).await;
    assert!(
        kk.starts_with("«child_iin» өрісіндегі ЖСН дұрыс емес."),
        "{kk}"
    );
    let ru = send(None).await;
    assert!(
        ru.starts_with("ИИН в поле «child_iin» указан неверно."),
        "{ru}"
    );
    assert_eq!(send(Some("ru")).await, ru);
    assert_eq!(
        send(Some("de-DE")).await,
        ru,
        "unknown languages fall back to Russian"
    );
    let en = send(Some("en")).await;
    assert!(
        en.starts_with("The IIN in the field \"child_iin\" is not valid."),
        "{en}"
    );
    assert_eq!(send(Some("en-US,en;q=0.9")).await, en);
    assert_eq!(
        send(Some("en;q=0.5, kk-KZ")).await,
        kk,
        "q-values are honoured"
    );

    // Other errors too: 401, 404, 413 with the limit filled in.
    let r = env.req("GET", "/v1/applications").lang("kk").send().await;
    r.err(401, "unauthorized");
    assert_eq!(
        r.message(),
        "Жүйеге кіру қажет. ЭЦҚ арқылы немесе бір реттік кодпен кіріңіз."
    );
    let r = env.req("GET", "/v1/nowhere").lang("en").send().await;
    r.err(404, "route_not_found");
    assert_eq!(
        r.message(),
        "The requested address (API route) does not exist."
    );
    let r = env
        .req("POST", "/v1/applications")
        .auth(&parent)
        .raw("x".repeat(64 * 1024 + 1))
        .send()
        .await;
    r.err(413, "body_too_large");
    assert!(r.message().contains("65536"), "{}", r.message());
    assert!(r.message().starts_with("Слишком большой объём запроса."));
}

pub async fn submit_duplicate_child(env: Env) {
    let parent = env.parent(1);
    let id = env.submit(&parent, &child(1)).await;
    // The same parent again, and another parent with the same child.
    for p in [&parent, &env.parent(2)] {
        let r = env
            .post("/v1/applications", p, submission("KOK", &child(1)))
            .await;
        r.err(409, "duplicate_child");
    }
    // One live application per child in the region: another district too.
    let r = env
        .post("/v1/applications", &parent, submission("STP", &child(1)))
        .await;
    r.err(409, "duplicate_child");
    let journal = env.journal(&parent).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["id"], json!(id));
    assert!(env.journal(&env.parent(2)).await.is_empty());
    // Once archived, the child may be registered again.
    env.act(&parent, &id, "withdraw").await.ok(200);
    let again = env.submit_in(&parent, "KOK", &child(1)).await;
    assert_eq!(again["status"], "queued");
    assert_ne!(again["id"], json!(id));
}

pub async fn sessions_refused(env: Env) {
    let parent = env.parent(1);
    let body = submission("KOK", &child(1));
    // No session.
    let r = env.req("POST", "/v1/applications").json(&body).send().await;
    r.err(401, "unauthorized");
    for path in [
        "/v1/applications",
        "/v1/me",
        "/v1/admin/queue?district=KOK&age_group=3",
    ] {
        env.req("GET", path).send().await.err(401, "unauthorized");
    }
    // Not a bearer token, or garbage.
    let r = env
        .req("GET", "/v1/applications")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await;
    r.err(401, "unauthorized");
    let r = env
        .req("GET", "/v1/applications")
        .bearer("not.a.token")
        .send()
        .await;
    r.err(401, "unauthorized");
    // Signed with another key.
    let forger = signing(OTHER_PRIVATE, OTHER_PUBLIC);
    let who = Principal {
        iin: Iin::try_from(parent.iin.clone()).expect("iin"),
        role: Role::Parent,
        districts: vec![],
    };
    let forged = forger.issue(&who, Utc::now()).expect("token").token;
    let r = env
        .req("POST", "/v1/applications")
        .bearer(&forged)
        .json(&body)
        .send()
        .await;
    r.err(401, "unauthorized");
    // An operator token forged for any district.
    let op = Principal {
        iin: iin(date(1980, 2, 2), 1),
        role: Role::Operator,
        districts: vec!["KOK".into()],
    };
    let forged_op = forger.issue(&op, Utc::now()).expect("token").token;
    let r = env
        .req("POST", "/v1/admin/sweeps/expiry")
        .bearer(&forged_op)
        .send()
        .await;
    r.err(401, "unauthorized");
    // Expired: issued two hours ago (sessions keep the real clock).
    let old = env
        .api
        .sessions
        .issue(&who, Utc::now() - Duration::hours(2))
        .expect("token")
        .token;
    let r = env
        .req("POST", "/v1/applications")
        .bearer(&old)
        .json(&body)
        .send()
        .await;
    r.err(401, "session_expired");
    let r = env
        .req("GET", "/v1/applications")
        .bearer(&old)
        .lang("en")
        .send()
        .await;
    r.err(401, "session_expired");
    assert_eq!(
        r.message(),
        "Your session has expired. Please log in again."
    );
    // Moving business time does not expire a session.
    env.set_clock(start() + Duration::days(40));
    env.get("/v1/applications", &parent).await.ok(200);
    env.set_clock(start());
    // Nothing was written by the refused calls.
    assert!(env.journal(&parent).await.is_empty());
    env.submit(&parent, &child(1)).await;
}

pub async fn operator_cannot_act_as_parent(env: Env) {
    let op = env.operator(&["KOK"]);
    let r = env
        .post("/v1/applications", &op, submission("KOK", &child(1)))
        .await;
    r.err(403, "forbidden");
    env.get("/v1/applications", &op).await.err(403, "forbidden");
    let r = env
        .post("/v1/me/children", &op, json!({"child_iin": child(1)}))
        .await;
    r.err(403, "forbidden");
    let parent = env.parent(1);
    let id = env.submit(&parent, &child(1)).await;
    for action in ["withdraw", "reconfirm", "voucher/confirm", "restore"] {
        env.act(&op, &id, action).await.err(403, "forbidden");
    }
    assert_eq!(env.app(&parent, &id).await["status"], "queued");
    let stats = env.get("/v1/admin/stats?district=KOK", &op).await;
    assert_eq!(stats.ok(200)["by_status"]["queued"], 1);
}

// ===== journal, application, history ============================================================

pub async fn journal_get_history(env: Env) {
    let kg = env.create_kg("KOK", "Балапан", json!({"3": 1})).await;
    let parent = env.parent(1);
    assert!(env.journal(&parent).await.is_empty());
    let first = env.submit(&parent, &child(1)).await;
    env.set_clock(start() + Duration::minutes(5));
    let second = env
        .submit(&parent, iin(date(2022, 10, 1), 2).as_str())
        .await;
    let journal = env.journal(&parent).await;
    let ids: Vec<_> = journal.iter().map(|a| str_of(&a["id"])).collect();
    assert_eq!(ids, vec![second.clone(), first.clone()], "newest first");
    assert_eq!(journal[1]["age_group"], 3);
    assert_eq!(journal[0]["age_group"], 3);

    let app = env.app(&parent, &first).await;
    assert_eq!(app["id"], json!(first));
    assert_eq!(app["queue"]["position"], 1);
    // Labels follow the asked language.
    let r = env
        .req("GET", &format!("/v1/applications/{first}"))
        .auth(&parent)
        .lang("kk")
        .send()
        .await;
    assert_eq!(r.ok(200)["status_label"], "Кезекте");

    // Walk the first through a voucher to enrolment.
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(run["offered"], 1);
    assert_eq!(run["application_ids"], json!([first]));
    env.act(&parent, &first, "voucher/confirm").await.ok(200);
    let r = env
        .post(
            &format!("/v1/applications/{first}/kindergarten"),
            &parent,
            json!({"kindergarten_id": kg}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "enrolled");

    let r = env
        .get(&format!("/v1/applications/{first}/history"), &parent)
        .await;
    let history = r.ok(200).as_array().expect("array").clone();
    let actions: Vec<_> = history.iter().map(|h| str_of(&h["action"])).collect();
    assert_eq!(
        actions,
        [
            "submit",
            "offer_voucher",
            "confirm_voucher",
            "choose_kindergarten"
        ]
    );
    let statuses: Vec<_> = history
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (Value::Null, json!("queued")),
            (json!("queued"), json!("voucher_offered")),
            (json!("voucher_offered"), json!("voucher_active")),
            (json!("voucher_active"), json!("enrolled")),
        ]
    );
    let times: Vec<_> = history.iter().map(|h| time(&h["at"])).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    near(times[0], start());
    assert!(history.iter().all(|h| h["actor"].is_string()));
    assert!(
        !r.text.contains(&parent.iin),
        "full IIN in history: {}",
        r.text
    );

    // The second application is now first in its queue.
    let app = env.app(&parent, &second).await;
    assert_eq!(app["queue"]["position"], 1);
    assert_eq!(env.history_actions(&parent, &second).await, ["submit"]);
}

pub async fn other_parent_forbidden(env: Env) {
    let kg = env.create_kg("KOK", "Балапан", json!({"3": 1})).await;
    let owner = env.parent(1);
    let other = env.parent(2);
    let id = env.submit(&owner, &child(1)).await;
    env.get(&format!("/v1/applications/{id}"), &other)
        .await
        .err(403, "forbidden");
    env.get(&format!("/v1/applications/{id}/history"), &other)
        .await
        .err(403, "forbidden");
    for action in [
        "reconfirm",
        "voucher/confirm",
        "voucher/extend",
        "voucher/refuse",
        "restore",
        "withdraw",
    ] {
        env.act(&other, &id, action).await.err(403, "forbidden");
    }
    let r = env
        .post(
            &format!("/v1/applications/{id}/kindergarten"),
            &other,
            json!({"kindergarten_id": kg}),
        )
        .await;
    r.err(403, "forbidden");
    assert!(env.journal(&other).await.is_empty());
    let app = env.app(&owner, &id).await;
    assert_eq!(app["status"], "queued");
    assert_eq!(app["version"], 1);
    assert_eq!(env.history_actions(&owner, &id).await, ["submit"]);
}

pub async fn operator_reads_only_in_district(env: Env) {
    let parent = env.parent(1);
    let id = env.submit(&parent, &child(1)).await;
    let kok = env.operator(&["KOK"]);
    let stp = env.operator(&["STP"]);
    let app = env.app(&kok, &id).await;
    assert_eq!(app["id"], json!(id));
    let r = env
        .get(&format!("/v1/applications/{id}/history"), &kok)
        .await;
    assert_eq!(r.ok(200).as_array().map(Vec::len), Some(1));
    env.get(&format!("/v1/applications/{id}"), &stp)
        .await
        .err(403, "forbidden_district");
    env.get(&format!("/v1/applications/{id}/history"), &stp)
        .await
        .err(403, "forbidden_district");
}

pub async fn unknown_application_404(env: Env) {
    let parent = env.parent(1);
    env.submit(&parent, &child(1)).await;
    let random = uuid::Uuid::new_v4().to_string();
    for id in [random.as_str(), "not-a-uuid", "%27%20OR%201=1"] {
        env.get(&format!("/v1/applications/{id}"), &parent)
            .await
            .err(404, "not_found");
        env.get(&format!("/v1/applications/{id}/history"), &parent)
            .await
            .err(404, "not_found");
        env.act(&parent, id, "withdraw").await.err(404, "not_found");
        let r = env
            .post(
                &format!("/v1/admin/privileges/{id}/reject"),
                &env.admin(),
                json!({"reason": "no documents"}),
            )
            .await;
        r.err(404, "not_found");
    }
}

pub async fn linked_parent_sees_and_acts(env: Env) {
    let mother = env.parent(1);
    let father = env.parent(2);
    let child_iin = child(1);
    let id = env.submit(&mother, &child_iin).await;
    assert!(env.journal(&father).await.is_empty());
    env.get(&format!("/v1/applications/{id}"), &father)
        .await
        .err(403, "forbidden");

    let r = env
        .post("/v1/me/children", &father, json!({"child_iin": child_iin}))
        .await;
    let linked = r.ok(200);
    assert_eq!(linked["kinship_confirmed"], true);
    assert_eq!(linked["child"]["birth_date"], "2023-01-10");
    assert_eq!(linked["applications"][0]["id"], json!(id));
    assert!(!r.text.contains(&child_iin), "full IIN in {}", r.text);

    let journal = env.journal(&father).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["id"], json!(id));
    assert_eq!(env.app(&father, &id).await["status"], "queued");
    assert_eq!(env.history_actions(&father, &id).await, ["submit"]);
    // The linked parent may act: leave the queue.
    let r = env.act(&father, &id, "withdraw").await;
    assert_eq!(r.ok(200)["status"], "archived");
    assert_eq!(r.json["archive_reason"], "withdrawn");
    assert_eq!(env.app(&mother, &id).await["status"], "archived");
    // Linking twice is harmless.
    let r = env
        .post("/v1/me/children", &father, json!({"child_iin": child_iin}))
        .await;
    r.ok(200);
    assert_eq!(env.journal(&father).await.len(), 1);
    // Bad input.
    let r = env
        .post("/v1/me/children", &father, json!({"child_iin": "123"}))
        .await;
    r.bad("invalid_iin", "child_iin");
    let r = env.post("/v1/me/children", &father, json!({})).await;
    r.bad("missing_field", "child_iin");
    let r = env
        .post("/v1/me/children", &father, json!({"child_iin": father.iin}))
        .await;
    r.bad("applicant_is_child", "child_iin");
}

pub async fn kinship_refused_for_younger_parent(env: Env) {
    let owner = env.parent(1);
    let id = env.submit(&owner, &child(1)).await;
    // Born 2015: only 8 years older than the child.
    let young = env.login(&iin(date(2015, 6, 1), 1), Role::Parent, &[]);
    let r = env
        .post("/v1/me/children", &young, json!({"child_iin": child(1)}))
        .await;
    r.err(403, "kinship_not_confirmed");
    let r = env
        .req("POST", "/v1/me/children")
        .auth(&young)
        .lang("en")
        .json(&json!({"child_iin": child(1)}))
        .send()
        .await;
    r.err(403, "kinship_not_confirmed");
    assert!(
        r.message().starts_with("Kinship was not confirmed"),
        "{}",
        r.message()
    );
    assert!(env.journal(&young).await.is_empty());
    env.get(&format!("/v1/applications/{id}"), &young)
        .await
        .err(403, "forbidden");
    // Exactly 14 years older is enough for the built-in register.
    let elder = env.login(&iin(date(2009, 1, 10), 2), Role::Parent, &[]);
    let r = env
        .post("/v1/me/children", &elder, json!({"child_iin": child(1)}))
        .await;
    assert_eq!(r.ok(200)["kinship_confirmed"], true);
}

pub async fn profile_get_put(env: Env) {
    let parent = env.parent(1);
    let r = env.get("/v1/me", &parent).await;
    let me = r.ok(200);
    assert_eq!(me["email_required"], true);
    assert!(me["email"].is_null());
    assert_eq!(me["language"], "ru");
    let masked = str_of(&me["iin"]);
    assert_ne!(masked, parent.iin, "the profile shows the IIN masked");
    assert!(masked.starts_with(&parent.iin[..4]) && masked.ends_with(&parent.iin[10..]));

    let r = env
        .put(
            "/v1/me",
            &parent,
            json!({"email": " aigerim@example.kz ", "phone": "8 (701) 234-56-78", "language": "kk"}),
        )
        .await;
    let me = r.ok(200);
    assert_eq!(me["email"], "aigerim@example.kz");
    assert_eq!(me["phone"], "+77012345678");
    assert_eq!(me["language"], "kk");
    assert_eq!(me["email_required"], false);
    let me = env.get("/v1/me", &parent).await;
    assert_eq!(me.ok(200)["email"], "aigerim@example.kz");
    assert_eq!(me.json["language"], "kk");

    // Partial update keeps the rest.
    let r = env.put("/v1/me", &parent, json!({"language": "ru"})).await;
    assert_eq!(r.ok(200)["email"], "aigerim@example.kz");
    assert_eq!(r.json["language"], "ru");

    env.put("/v1/me", &parent, json!({"email": "nope"}))
        .await
        .bad("invalid_email", "email");
    env.put("/v1/me", &parent, json!({"phone": "555"}))
        .await
        .bad("invalid_phone", "phone");
    env.put("/v1/me", &parent, json!({"language": "fr"}))
        .await
        .bad("invalid_language", "language");
    env.put("/v1/me", &parent, json!({"email": 5}))
        .await
        .bad("invalid_field", "email");
    env.req("PUT", "/v1/me")
        .auth(&parent)
        .raw("{")
        .send()
        .await
        .err(400, "bad_json");
    // Refused updates changed nothing.
    let me = env.get("/v1/me", &parent).await;
    assert_eq!(me.ok(200)["email"], "aigerim@example.kz");
    assert_eq!(me.json["phone"], "+77012345678");
    assert_eq!(me.json["language"], "ru");
    // Another parent's profile is their own.
    let other = env.get("/v1/me", &env.parent(2)).await;
    assert_eq!(other.ok(200)["email_required"], true);
}

// ===== parent actions ============================================================================

pub async fn reconfirm_window(env: Env) {
    let parent = env.parent(1);
    let id = env.submit(&parent, &child(1)).await;
    let app = env.app(&parent, &id).await;
    let reconfirm_by = time(&app["reconfirm_by"]);
    let r = env.act(&parent, &id, "reconfirm").await;
    r.err(409, "reconfirm_not_open");
    // Just before the window opens (31 days before), still closed.
    env.set_clock(reconfirm_by - Duration::days(32));
    env.act(&parent, &id, "reconfirm")
        .await
        .err(409, "reconfirm_not_open");
    // 11.5 months on: inside the 30 days before reconfirm_by.
    env.set_clock(start() + Duration::days(350));
    assert!(start() + Duration::days(350) < reconfirm_by);
    let r = env.act(&parent, &id, "reconfirm").await;
    let app = r.ok(200);
    assert_eq!(app["status"], "queued");
    let next = time(&app["reconfirm_by"]);
    assert!(
        next >= reconfirm_by + Duration::days(360) && next <= reconfirm_by + Duration::days(370),
        "{reconfirm_by} -> {next}"
    );
    assert_eq!(app["queue"]["position"], 1);
    assert_eq!(
        env.history_actions(&parent, &id).await,
        ["submit", "reconfirm"]
    );
    // The next window is a year away.
    env.act(&parent, &id, "reconfirm")
        .await
        .err(409, "reconfirm_not_open");
    // Not in other statuses.
    let other = env.parent(2);
    let id2 = env.submit(&other, &child(2)).await;
    env.act(&other, &id2, "withdraw").await.ok(200);
    let r = env.act(&other, &id2, "reconfirm").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "archived");
}

pub async fn voucher_confirm_and_choose(env: Env) {
    let (parent, id, kg) = env.offered(1, 2).await;
    let app = env.app(&parent, &id).await;
    let v = &app["voucher"];
    near(time(&v["issued_at"]), start());
    // End of the 2nd working day after Tuesday 10 March 2026.
    assert_eq!(v["confirm_by"], "2026-03-12T23:59:59+05:00");
    assert!(v["confirmed_at"].is_null() && v["choose_by"].is_null());
    assert!(app["queue"]["position"].is_null());

    let r = env.act(&parent, &id, "voucher/confirm").await;
    let app = r.ok(200);
    assert_eq!(app["status"], "voucher_active");
    near(time(&app["voucher"]["confirmed_at"]), start());
    // End of the 5th working day after 10 March 2026.
    assert_eq!(app["voucher"]["choose_by"], "2026-03-17T23:59:59+05:00");
    assert_eq!(app["voucher"]["extended"], false);
    // Confirming twice is a conflict with the status.
    let r = env.act(&parent, &id, "voucher/confirm").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "voucher_active");

    assert_eq!(env.free_places("KOK", &kg).await["3"], 2);
    let r = env
        .req("POST", &format!("/v1/applications/{id}/kindergarten"))
        .auth(&parent)
        .json(&json!({"kindergarten_id": kg}))
        .send()
        .await;
    let app = r.ok(200);
    assert_eq!(app["status"], "enrolled");
    assert_eq!(app["voucher"]["kindergarten_id"], json!(kg));
    assert_eq!(env.free_places("KOK", &kg).await["3"], 1);
    // Enrolled is final for parents.
    for action in ["voucher/refuse", "withdraw", "restore"] {
        let r = env.act(&parent, &id, action).await;
        assert_eq!(
            r.err(409, "not_in_status")["status"],
            "enrolled",
            "{action}"
        );
    }
    assert_eq!(env.free_places("KOK", &kg).await["3"], 1);
}

pub async fn choose_wrong_or_unknown_kindergarten(env: Env) {
    let (parent, id, kg) = env.active(1, 1).await;
    let stp = env.create_kg("STP", "Ертегі", json!({"3": 4})).await;
    let empty = env
        .create_kg("KOK", "Бос емес", json!({"3": 0, "4": 2}))
        .await;
    let path = format!("/v1/applications/{id}/kindergarten");
    env.post(&path, &parent, json!({"kindergarten_id": stp}))
        .await
        .bad("kindergarten_wrong_district", "kindergarten_id");
    let random = uuid::Uuid::new_v4().to_string();
    env.post(&path, &parent, json!({"kindergarten_id": random}))
        .await
        .bad("unknown_kindergarten", "kindergarten_id");
    env.post(&path, &parent, json!({"kindergarten_id": "garbage"}))
        .await
        .bad("unknown_kindergarten", "kindergarten_id");
    env.post(&path, &parent, json!({}))
        .await
        .bad("missing_field", "kindergarten_id");
    env.post(&path, &parent, json!({"kindergarten_id": 7}))
        .await
        .bad("invalid_field", "kindergarten_id");
    env.req("POST", &path)
        .auth(&parent)
        .send()
        .await
        .err(400, "bad_json");
    env.post(&path, &parent, json!({"kindergarten_id": empty}))
        .await
        .err(409, "no_free_place");
    // Nothing changed.
    let app = env.app(&parent, &id).await;
    assert_eq!(app["status"], "voucher_active");
    assert_eq!(env.free_places("STP", &stp).await["3"], 4);
    assert_eq!(env.free_places("KOK", &kg).await["3"], 1);
    // The right one still works.
    let r = env
        .post(&path, &parent, json!({"kindergarten_id": kg}))
        .await;
    assert_eq!(r.ok(200)["status"], "enrolled");
    assert_eq!(env.free_places("KOK", &kg).await["3"], 0);
}

pub async fn voucher_refuse(env: Env) {
    // Refusing an offered voucher.
    let (parent, id, _kg) = env.offered(1, 2).await;
    let r = env.act(&parent, &id, "voucher/refuse").await;
    let app = r.ok(200);
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "voucher_refused");
    assert!(app["archive_reason_label"].is_string());
    let r = env.act(&parent, &id, "voucher/refuse").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "archived");
    assert_eq!(
        env.history_actions(&parent, &id).await,
        ["submit", "offer_voucher", "refuse"]
    );
    // Refusing an active voucher.
    let other = env.parent(2);
    let id2 = env.submit(&other, &child(2)).await;
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(
        run["application_ids"],
        json!([id2]),
        "the refused voucher's place is free again"
    );
    env.act(&other, &id2, "voucher/confirm").await.ok(200);
    let r = env.act(&other, &id2, "voucher/refuse").await;
    assert_eq!(r.ok(200)["archive_reason"], "voucher_refused");
    // A queued application has no voucher to refuse.
    let third = env.parent(3);
    let id3 = env.submit(&third, &child(3)).await;
    let r = env.act(&third, &id3, "voucher/refuse").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "queued");
    // The refused child may be registered again.
    env.submit(&parent, &child(1)).await;
}

pub async fn withdraw_and_wrong_status(env: Env) {
    let parent = env.parent(1);
    let id = env.submit(&parent, &child(1)).await;
    // Actions on a queued application that need another status, in each language.
    for (lang, label) in [
        ("ru", "В очереди"),
        ("kk", "Кезекте"),
        ("en", "In the queue"),
    ] {
        let r = env
            .req("POST", &format!("/v1/applications/{id}/voucher/confirm"))
            .auth(&parent)
            .lang(lang)
            .send()
            .await;
        let e = r.err(409, "not_in_status");
        assert_eq!(e["status"], "queued");
        assert!(r.message().contains(label), "{lang}: {}", r.message());
    }
    for action in ["voucher/extend", "restore"] {
        let r = env.act(&parent, &id, action).await;
        assert_eq!(r.err(409, "not_in_status")["status"], "queued", "{action}");
    }
    // An action's body may be empty, {} or an object; anything else is 400.
    env.req("POST", &format!("/v1/applications/{id}/withdraw"))
        .auth(&parent)
        .raw("{not json")
        .send()
        .await
        .err(400, "bad_json");
    env.req("POST", &format!("/v1/applications/{id}/withdraw"))
        .auth(&parent)
        .raw("[1]")
        .send()
        .await
        .err(400, "invalid_field");
    assert_eq!(env.app(&parent, &id).await["status"], "queued");
    let r = env
        .req("POST", &format!("/v1/applications/{id}/withdraw"))
        .auth(&parent)
        .json(&json!({}))
        .send()
        .await;
    let app = r.ok(200);
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "withdrawn");
    assert!(app["queue"]["position"].is_null());
    assert!(app["reconfirm_by"].is_null());
    let r = env.act(&parent, &id, "withdraw").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "archived");
    assert!(r.message().contains("В архиве"), "{}", r.message());
    assert_eq!(
        env.history_actions(&parent, &id).await,
        ["submit", "withdraw"]
    );
    // An offered voucher cannot be withdrawn from: refuse it instead.
    let (p2, id2, _) = env.offered(2, 1).await;
    let r = env.act(&p2, &id2, "withdraw").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "voucher_offered");
}

pub async fn confirm_after_deadline_lapses_then_restore_once(env: Env) {
    let (parent, id, kg) = env.offered(1, 1).await;
    let confirm_by = time(&env.app(&parent, &id).await["voucher"]["confirm_by"]);
    // One second after the deadline, before any sweep ran.
    env.set_clock(confirm_by + Duration::seconds(1));
    let r = env.act(&parent, &id, "voucher/confirm").await;
    let e = r.err(409, "deadline_passed");
    assert_eq!(
        e["status"], "stop_listed",
        "the 409 names the new status: {e}"
    );
    let app = env.app(&parent, &id).await;
    assert_eq!(
        app["status"], "stop_listed",
        "the lapsed outcome, at once: {app}"
    );
    let restore_by = time(&app["stop_list"]["restore_by"]);
    assert!(
        restore_by >= confirm_by + Duration::days(28),
        "{restore_by}"
    );
    assert_eq!(app["stop_list"]["restore_used"], false);
    assert_eq!(
        env.history_actions(&parent, &id).await,
        ["submit", "offer_voucher", "expire_offer"]
    );
    // The sweep finds nothing more to do: the deadline and the action did not both win.
    let report = env.sweep("expiry").await;
    assert_eq!(report["lapsed"], 0, "{report}");
    assert_eq!(env.app(&parent, &id).await["status"], "stop_listed");

    // Restore: back in the queue with the original registration time.
    let r = env.act(&parent, &id, "restore").await;
    let app = r.ok(200).clone();
    assert_eq!(app["status"], "queued");
    assert_eq!(app["queue"]["position"], 1);
    near(time(&app["registered_at"]), start());
    assert_eq!(app["stop_list"]["restore_used"], true);
    // A later child queues behind it.
    let later = env.parent(2);
    env.submit(&later, &child(2)).await;
    assert_eq!(env.app(&parent, &id).await["queue"]["position"], 1);

    // A second offer, also lapsed: archived, no second restore.
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(run["application_ids"], json!([id]), "{run}");
    let confirm_by = time(&env.app(&parent, &id).await["voucher"]["confirm_by"]);
    env.set_clock(confirm_by + Duration::hours(1));
    env.act(&parent, &id, "voucher/confirm")
        .await
        .err(409, "deadline_passed");
    let app = env.app(&parent, &id).await;
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "voucher_lapsed");
    let r = env.act(&parent, &id, "restore").await;
    assert_eq!(r.err(409, "not_in_status")["status"], "archived");
    // The place was never taken.
    assert_eq!(env.free_places("KOK", &kg).await["3"], 1);

    // A stop-listed application whose restore_by passed is lapsed too.
    let (p3, id3, _) = env.offered(3, 1).await;
    let by = time(&env.app(&p3, &id3).await["voucher"]["confirm_by"]);
    env.set_clock(by + Duration::seconds(1));
    env.sweep("expiry").await;
    let app = env.app(&p3, &id3).await;
    assert_eq!(app["status"], "stop_listed");
    env.set_clock(time(&app["stop_list"]["restore_by"]) + Duration::seconds(1));
    env.act(&p3, &id3, "restore")
        .await
        .err(409, "deadline_passed");
    let app = env.app(&p3, &id3).await;
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "stop_list_expired");
}

pub async fn extension_only_on_last_day(env: Env) {
    let (parent, id, kg) = env.active(1, 1).await;
    let app = env.app(&parent, &id).await;
    let choose_by = time(&app["voucher"]["choose_by"]);
    let r = env.act(&parent, &id, "voucher/extend").await;
    r.err(409, "extension_not_available");
    // The day before the last day: still not.
    env.set_clock(choose_by - Duration::hours(36));
    env.act(&parent, &id, "voucher/extend")
        .await
        .err(409, "extension_not_available");
    // On the last day (noon).
    env.set_clock(choose_by - Duration::hours(12));
    let r = env.act(&parent, &id, "voucher/extend").await;
    let app = r.ok(200).clone();
    assert_eq!(app["status"], "voucher_active");
    assert_eq!(app["voucher"]["extended"], true);
    let extended = time(&app["voucher"]["choose_by"]);
    // 17 March 2026 + 2 working days = 19 March.
    assert_eq!(
        extended,
        almaty(2026, 3, 19, 23) + Duration::seconds(59 * 60 + 59)
    );
    let r = env.act(&parent, &id, "voucher/extend").await;
    r.err(409, "extension_used");
    // On the new last day: used already.
    env.set_clock(extended - Duration::hours(12));
    env.act(&parent, &id, "voucher/extend")
        .await
        .err(409, "extension_used");
    assert_eq!(
        env.history_actions(&parent, &id).await,
        ["submit", "offer_voucher", "confirm_voucher", "extend"]
    );
    // Within the extended term the choice still works.
    let r = env
        .post(
            &format!("/v1/applications/{id}/kindergarten"),
            &parent,
            json!({"kindergarten_id": kg}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "enrolled");

    // After choose_by: the lapsed outcome (archived, not enrolled).
    let (p2, id2, kg2) = env.active(2, 1).await;
    let by = time(&env.app(&p2, &id2).await["voucher"]["choose_by"]);
    env.set_clock(by + Duration::seconds(1));
    env.act(&p2, &id2, "voucher/extend")
        .await
        .err(409, "deadline_passed");
    let app = env.app(&p2, &id2).await;
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "not_enrolled");
    let r = env
        .post(
            &format!("/v1/applications/{id2}/kindergarten"),
            &p2,
            json!({"kindergarten_id": kg2}),
        )
        .await;
    assert_eq!(r.err(409, "not_in_status")["status"], "archived");
    assert_eq!(env.free_places("KOK", &kg2).await["3"], 1);
}

// ===== operators =================================================================================

pub async fn operator_create_kindergarten(env: Env) {
    let op = env.operator(&["KOK"]);
    let body = kindergarten("KOK", "Балапан", json!({"3": 2, "4": 1}));
    let r = env.post("/v1/admin/kindergartens", &op, body.clone()).await;
    let kg = r.ok(201).clone();
    let id = str_of(&kg["id"]);
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(kg["free_places"], json!({"3": 2, "4": 1}));
    assert_eq!(kg["name_ru"], "Детский сад «Балапан»");
    assert_eq!(kg["district"], "KOK");
    assert_eq!(env.free_places("KOK", &id).await["4"], 1);
    // Without places.
    let mut no_places = body.clone();
    no_places
        .as_object_mut()
        .expect("object")
        .remove("free_places");
    let r = env.post("/v1/admin/kindergartens", &op, no_places).await;
    assert_eq!(r.ok(201)["free_places"], json!({}));

    let without = |k: &str| {
        let mut b = body.clone();
        b.as_object_mut().expect("object").remove(k);
        b
    };
    let with = |k: &str, v: Value| {
        let mut b = body.clone();
        b[k] = v;
        b
    };
    for f in [
        "name_kk",
        "name_ru",
        "district",
        "address",
        "ownership",
        "type",
    ] {
        env.post("/v1/admin/kindergartens", &op, without(f))
            .await
            .bad("missing_field", f);
    }
    env.post("/v1/admin/kindergartens", &op, with("name_ru", json!("  ")))
        .await
        .bad("missing_field", "name_ru");
    env.post(
        "/v1/admin/kindergartens",
        &op,
        with("district", json!("XXX")),
    )
    .await
    .bad("unknown_district", "district");
    env.post(
        "/v1/admin/kindergartens",
        &op,
        with("ownership", json!("public")),
    )
    .await
    .bad("invalid_field", "ownership");
    let r = env
        .post(
            "/v1/admin/kindergartens",
            &op,
            with("free_places", json!({"3": -1})),
        )
        .await;
    r.err(400, "invalid_field");
    let r = env
        .post(
            "/v1/admin/kindergartens",
            &op,
            with("free_places", json!({"x": 1})),
        )
        .await;
    r.err(400, "invalid_age_group");
    env.post("/v1/admin/kindergartens", &env.parent(1), body.clone())
        .await
        .err(403, "forbidden");
    env.post(
        "/v1/admin/kindergartens",
        &op,
        with("district", json!("STP")),
    )
    .await
    .err(403, "forbidden_district");
    // Only the two good ones exist.
    let r = env.req("GET", "/v1/kindergartens").send().await;
    assert_eq!(r.ok(200).as_array().map(Vec::len), Some(2));
}

pub async fn operator_update_kindergarten_and_places(env: Env) {
    let op = env.operator(&["KOK"]);
    let id = env
        .create_kg("KOK", "Балапан", json!({"3": 2, "4": 1}))
        .await;
    let path = format!("/v1/admin/kindergartens/{id}");
    let mut body = kindergarten("KOK", "Айгөлек", Value::Null);
    body.as_object_mut().expect("object").remove("free_places");
    body["languages"] = json!("kk");
    let r = env.put(&path, &op, body.clone()).await;
    let kg = r.ok(200);
    assert_eq!(kg["id"], json!(id));
    assert_eq!(kg["name_ru"], "Детский сад «Айгөлек»");
    assert_eq!(kg["languages"], "kk");
    assert_eq!(kg["free_places"], json!({"3": 2, "4": 1}), "places kept");
    let r = env
        .req("GET", "/v1/kindergartens?district=KOK&language=ru")
        .send()
        .await;
    assert_eq!(r.ok(200).as_array().map(Vec::len), Some(0));

    let mut moved = body.clone();
    moved["district"] = json!("STP");
    let r = env.put(&path, &env.admin(), moved).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "district");
    env.put(&path, &env.operator(&["STP"]), body.clone())
        .await
        .err(403, "forbidden_district");
    env.put(&path, &env.parent(1), body.clone())
        .await
        .err(403, "forbidden");
    let unknown = format!("/v1/admin/kindergartens/{}", uuid::Uuid::new_v4());
    env.put(&unknown, &op, body.clone())
        .await
        .err(404, "not_found");
    env.put(&path, &op, json!({"name_kk": "x"}))
        .await
        .err(400, "missing_field");

    // Places.
    let places = format!("{path}/places");
    let r = env.put(&places, &op, json!({"3": 5})).await;
    assert_eq!(r.ok(200)["free_places"], json!({"3": 5, "4": 1}));
    assert_eq!(env.free_places("KOK", &id).await["3"], 5);
    let r = env.put(&places, &op, json!({"4": 0, "5": 3})).await;
    assert_eq!(r.ok(200)["free_places"], json!({"3": 5, "4": 0, "5": 3}));
    env.put(&places, &op, json!({"3": -1}))
        .await
        .bad("invalid_field", "3");
    let r = env.put(&places, &op, json!({"3": "five"})).await;
    assert_eq!(r.err(400, "invalid_field")["field"], "3");
    let r = env.put(&places, &op, json!({"3": 1.5})).await;
    r.err(400, "invalid_field");
    env.put(&places, &op, json!({"12": 1}))
        .await
        .err(400, "invalid_age_group");
    env.put(&places, &op, json!([5]))
        .await
        .err(400, "invalid_field");
    env.put(&places, &env.operator(&["STP"]), json!({"3": 9}))
        .await
        .err(403, "forbidden_district");
    env.put(&places, &env.parent(1), json!({"3": 9}))
        .await
        .err(403, "forbidden");
    let unknown = format!("/v1/admin/kindergartens/{}/places", uuid::Uuid::new_v4());
    env.put(&unknown, &op, json!({"3": 1}))
        .await
        .err(404, "not_found");
    assert_eq!(
        env.free_places("KOK", &id).await,
        BTreeMap::from([("3".into(), 5), ("4".into(), 0), ("5".into(), 3)])
    );
}

pub async fn voucher_run_bounded_by_places(env: Env) {
    env.create_kg("KOK", "Балапан", json!({"3": 2})).await;
    env.create_kg("KOK", "Айгөлек", json!({"3": 1, "4": 5}))
        .await;
    env.create_kg("STP", "Ертегі", json!({"3": 10})).await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        env.set_clock(start() + Duration::minutes(i64::from(n)));
        ids.push(env.submit(&env.parent(n), &child(n)).await);
    }
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(run["offered"], 3, "{run}");
    assert_eq!(
        run["application_ids"],
        json!(ids[..3]),
        "the head of the queue, in order"
    );
    // Run again: nothing more.
    let again = env.voucher_run("KOK", 3).await;
    assert_eq!(again["offered"], 0, "{again}");
    assert_eq!(again["application_ids"], json!([]));
    // Another age group has no one queued.
    assert_eq!(env.voucher_run("KOK", 4).await["offered"], 0);
    for (i, id) in ids.iter().enumerate() {
        let parent = env.parent(i as u32 + 1);
        let expected = if i < 3 { "voucher_offered" } else { "queued" };
        assert_eq!(env.app(&parent, id).await["status"], expected);
    }
    assert_eq!(
        env.app(&env.parent(4), &ids[3]).await["queue"]["position"],
        1
    );
    // A refused voucher frees its place for the next run.
    env.act(&env.parent(1), &ids[0], "voucher/refuse")
        .await
        .ok(200);
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(run["application_ids"], json!([ids[3]]));

    let body = json!({"district": "KOK", "age_group": 3});
    env.post(
        "/v1/admin/voucher-runs",
        &env.operator(&["STP"]),
        body.clone(),
    )
    .await
    .err(403, "forbidden_district");
    env.post("/v1/admin/voucher-runs", &env.parent(1), body.clone())
        .await
        .err(403, "forbidden");
    env.post(
        "/v1/admin/voucher-runs",
        &env.admin(),
        json!({"district": "XXX", "age_group": 3}),
    )
    .await
    .bad("unknown_district", "district");
    for age in [json!(9), json!(-1)] {
        env.post(
            "/v1/admin/voucher-runs",
            &env.admin(),
            json!({"district": "KOK", "age_group": age}),
        )
        .await
        .bad("invalid_age_group", "age_group");
    }
    env.post(
        "/v1/admin/voucher-runs",
        &env.admin(),
        json!({"district": "KOK", "age_group": "three"}),
    )
    .await
    .bad("invalid_field", "age_group");
    env.post(
        "/v1/admin/voucher-runs",
        &env.admin(),
        json!({"district": "KOK"}),
    )
    .await
    .bad("missing_field", "age_group");
    // Nothing more was offered by the refused runs.
    assert_eq!(env.app(&env.parent(5), &ids[4]).await["status"], "queued");
}

pub async fn admin_queue_order_and_privilege_reject(env: Env) {
    let op = env.operator(&["KOK"]);
    let claim = |child_iin: &str, category: Option<&str>, doc: &str| {
        let mut b = submission("KOK", child_iin);
        if let Some(c) = category {
            b["privilege"] = json!({"category": c, "document_ids": [doc]});
        }
        b
    };
    let mut ids = Vec::new();
    for (n, category) in [
        (1, None),
        (2, Some("large_family")),
        (3, Some("military")),
        (4, None),
        (5, Some("orphan")),
    ] {
        env.set_clock(start() + Duration::minutes(i64::from(n)));
        let doc = env.upload_of(&env.parent(n)).await;
        let r = env
            .post(
                "/v1/applications",
                &env.parent(n),
                claim(&child(n), category, &doc),
            )
            .await;
        ids.push(str_of(&r.ok(201)["id"]));
    }
    let queue = |q: &'static str| {
        let env = &env;
        let op = &op;
        async move {
            let r = env.get(&format!("/v1/admin/queue?{q}"), op).await;
            r.ok(200).as_array().expect("array").clone()
        }
    };
    let order =
        |entries: &[Value]| -> Vec<String> { entries.iter().map(|e| str_of(&e["id"])).collect() };
    let q = queue("district=KOK&age_group=3").await;
    // Out of turn, then first priority by time, then everyone else by time.
    assert_eq!(
        order(&q),
        vec![
            ids[2].clone(),
            ids[1].clone(),
            ids[4].clone(),
            ids[0].clone(),
            ids[3].clone()
        ]
    );
    // Paged: the head of the same order; a bad limit is a 400 naming it.
    let head = queue("district=KOK&age_group=3&limit=2").await;
    assert_eq!(order(&head), order(&q)[..2].to_vec());
    for bad in ["0", "1001", "x"] {
        env.get(
            &format!("/v1/admin/queue?district=KOK&age_group=3&limit={bad}"),
            &op,
        )
        .await
        .bad("invalid_field", "limit");
    }
    let positions: Vec<_> = q.iter().map(|e| e["position"].as_u64()).collect();
    assert_eq!(positions, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert_eq!(q[0]["privilege"], "military");
    assert!(q[3]["privilege"].is_null());
    assert!(q.iter().all(|e| e["registration_number"].is_string()));
    let text = serde_json::to_string(&q).expect("json");
    assert!(!text.contains(&child(1)), "full IIN in the queue view");
    // The parent's position agrees.
    assert_eq!(
        env.app(&env.parent(3), &ids[2]).await["queue"]["position"],
        1
    );
    assert_eq!(
        env.app(&env.parent(1), &ids[0]).await["queue"]["position"],
        4
    );
    // Other age groups are other queues.
    assert!(queue("district=KOK&age_group=4").await.is_empty());

    // Reject the military claim: the child joins the general order by registration time.
    let path = format!("/v1/admin/privileges/{}/reject", ids[2]);
    let r = env
        .post(&path, &op, json!({"reason": "документы не подтверждены"}))
        .await;
    let app = r.ok(200);
    assert_eq!(app["privilege"]["rejected"], true);
    assert_eq!(
        app["privilege"]["rejection_reason"],
        "документы не подтверждены"
    );
    assert_eq!(app["queue"]["position"], 4);
    let q = queue("district=KOK&age_group=3").await;
    assert_eq!(
        order(&q),
        vec![
            ids[1].clone(),
            ids[4].clone(),
            ids[0].clone(),
            ids[2].clone(),
            ids[3].clone()
        ]
    );
    assert!(q[3]["privilege"].is_null());
    let history = env.history_actions(&env.parent(3), &ids[2]).await;
    assert_eq!(history, ["submit", "privilege_rejected"]);
    // Rejected again, or never claimed: 409.
    env.post(&path, &op, json!({"reason": "again"}))
        .await
        .err(409, "no_privilege_claim");
    env.post(
        &format!("/v1/admin/privileges/{}/reject", ids[0]),
        &op,
        json!({"reason": "none"}),
    )
    .await
    .err(409, "no_privilege_claim");
    // Bad input and roles.
    let path2 = format!("/v1/admin/privileges/{}/reject", ids[1]);
    env.post(&path2, &op, json!({}))
        .await
        .bad("missing_field", "reason");
    env.post(&path2, &env.parent(2), json!({"reason": "x"}))
        .await
        .err(403, "forbidden");
    env.post(&path2, &env.operator(&["STP"]), json!({"reason": "x"}))
        .await
        .err(403, "forbidden_district");
    assert_eq!(order(&queue("district=KOK&age_group=3").await)[0], ids[1]);
    // The queue view's own refusals.
    let stp = env.operator(&["STP"]);
    env.get("/v1/admin/queue?district=KOK&age_group=3", &stp)
        .await
        .err(403, "forbidden_district");
    env.get("/v1/admin/queue?district=KOK&age_group=3", &env.parent(1))
        .await
        .err(403, "forbidden");
    env.get("/v1/admin/queue?district=KOK", &op)
        .await
        .bad("missing_field", "age_group");
    env.get("/v1/admin/queue?age_group=3", &op)
        .await
        .bad("missing_field", "district");
    env.get("/v1/admin/queue?district=KOK&age_group=x", &op)
        .await
        .bad("invalid_age_group", "age_group");
    env.get("/v1/admin/queue?district=XXX&age_group=3", &op)
        .await
        .bad("unknown_district", "district");
}

pub async fn stats_counts_by_status(env: Env) {
    let op = env.operator(&["KOK"]);
    env.create_kg("KOK", "Балапан", json!({"3": 2})).await;
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(env.submit(&env.parent(n), &child(n)).await);
    }
    env.submit_in(&env.parent(9), "STP", &child(9)).await;
    env.voucher_run("KOK", 3).await;
    env.act(&env.parent(1), &ids[0], "voucher/confirm")
        .await
        .ok(200);
    env.act(&env.parent(4), &ids[3], "withdraw").await.ok(200);
    let r = env.get("/v1/admin/stats?district=KOK", &op).await;
    let s = r.ok(200);
    assert_eq!(s["district"], "KOK");
    assert_eq!(
        s["by_status"],
        json!({
            "queued": 1,
            "voucher_offered": 1,
            "voucher_active": 1,
            "enrolled": 0,
            "stop_listed": 0,
            "archived": 1,
        })
    );
    assert_eq!(s["vouchers"], json!({"offered": 1, "active": 1}));
    assert_eq!(s["free_places"]["3"], 2);
    assert_eq!(s["deadlines_due"], 0);
    assert!(
        s["notifications"]["pending"]
            .as_u64()
            .is_some_and(|n| n >= 7),
        "{s}"
    );
    assert_eq!(s["notifications"]["failed"], 0);
    // Past the offer's deadline, one is due.
    let by = time(&env.app(&env.parent(2), &ids[1]).await["voucher"]["confirm_by"]);
    env.set_clock(by + Duration::seconds(1));
    let s = env.get("/v1/admin/stats?district=KOK", &op).await;
    assert!(
        s.ok(200)["deadlines_due"].as_u64().is_some_and(|n| n >= 1),
        "{}",
        s.text
    );
    let stp = env.get("/v1/admin/stats?district=STP", &env.admin()).await;
    assert_eq!(stp.ok(200)["by_status"]["queued"], 1);
    env.get("/v1/admin/stats?district=STP", &op)
        .await
        .err(403, "forbidden_district");
    env.get("/v1/admin/stats?district=KOK", &env.parent(1))
        .await
        .err(403, "forbidden");
    env.get("/v1/admin/stats", &op)
        .await
        .bad("missing_field", "district");
    env.get("/v1/admin/stats?district=XXX", &op)
        .await
        .bad("unknown_district", "district");
}

pub async fn sweeps(env: Env) {
    // Expiry: an offer whose confirm_by passed goes to the stop-list.
    let (parent, id, _kg) = env.offered(1, 1).await;
    let other = env.parent(2);
    let queued = env.submit(&other, &child(2)).await;
    let report = env.sweep("expiry").await;
    assert_eq!(report["lapsed"], 0, "nothing due yet: {report}");
    let by = time(&env.app(&parent, &id).await["voucher"]["confirm_by"]);
    env.set_clock(by + Duration::seconds(1));
    let report = env.sweep("expiry").await;
    assert_eq!(report["sweep"], "expiry");
    assert_eq!(report["lapsed"], 1, "{report}");
    let app = env.app(&parent, &id).await;
    assert_eq!(app["status"], "stop_listed");
    assert!(app["stop_list"]["restore_by"].is_string());
    let history = env
        .get(&format!("/v1/applications/{id}/history"), &parent)
        .await;
    let last = history
        .ok(200)
        .as_array()
        .and_then(|h| h.last())
        .expect("entry")
        .clone();
    assert_eq!(last["action"], "expire_offer");
    assert_eq!(last["from"], "voucher_offered");
    assert_eq!(last["to"], "stop_listed");
    // Twice: nothing more.
    assert_eq!(env.sweep("expiry").await["lapsed"], 0);
    // The queued one is not the expiry sweep's business.
    assert_eq!(env.app(&other, &queued).await["status"], "queued");

    // Reconfirmation: a queued application past reconfirm_by is archived.
    let reconfirm_by = time(&env.app(&other, &queued).await["reconfirm_by"]);
    env.set_clock(reconfirm_by + Duration::seconds(1));
    let report = env.sweep("reconfirmation").await;
    assert_eq!(report["sweep"], "reconfirmation");
    assert!(
        report["lapsed"].as_u64().is_some_and(|n| n >= 1),
        "{report}"
    );
    let app = env.app(&other, &queued).await;
    assert_eq!(app["status"], "archived");
    assert_eq!(app["archive_reason"], "not_reconfirmed");
    assert_eq!(
        env.history_actions(&other, &queued)
            .await
            .last()
            .map(String::as_str),
        Some("not_reconfirmed")
    );
    assert_eq!(env.sweep("reconfirmation").await["lapsed"], 0);

    // Roles and kinds.
    env.req("POST", "/v1/admin/sweeps/expiry")
        .auth(&parent)
        .send()
        .await
        .err(403, "forbidden");
    env.req("POST", "/v1/admin/sweeps/reconfirmation")
        .auth(&parent)
        .send()
        .await
        .err(403, "forbidden");
    env.req("POST", "/v1/admin/sweeps/expiry")
        .send()
        .await
        .err(401, "unauthorized");
    env.req("POST", "/v1/admin/sweeps/everything")
        .auth(&env.admin())
        .send()
        .await
        .err(404, "route_not_found");
    env.req("GET", "/v1/admin/sweeps/expiry")
        .auth(&env.admin())
        .send()
        .await
        .err(405, "method_not_allowed");
}

// ===== routing ===================================================================================

pub async fn method_not_allowed_and_unknown_route(env: Env) {
    let parent = env.parent(1);
    let id = uuid::Uuid::new_v4().to_string();
    for (method, path) in [
        ("DELETE", "/v1/applications".to_owned()),
        ("PUT", "/v1/applications".to_owned()),
        ("POST", "/v1/health".to_owned()),
        ("DELETE", "/v1/districts".to_owned()),
        ("POST", "/v1/kindergartens".to_owned()),
        ("DELETE", format!("/v1/applications/{id}")),
        ("GET", format!("/v1/applications/{id}/withdraw")),
        ("GET", format!("/v1/applications/{id}/voucher/confirm")),
        ("DELETE", "/v1/me".to_owned()),
        ("GET", "/v1/me/children".to_owned()),
        ("GET", "/v1/admin/kindergartens".to_owned()),
        ("POST", format!("/v1/admin/kindergartens/{id}")),
        ("POST", format!("/v1/admin/kindergartens/{id}/places")),
        ("GET", "/v1/admin/voucher-runs".to_owned()),
        ("POST", "/v1/admin/queue".to_owned()),
        ("GET", format!("/v1/admin/privileges/{id}/reject")),
        ("POST", format!("/v1/applications/{id}")),
        ("POST", format!("/v1/applications/{id}/history")),
    ] {
        let r = env.req(method, &path).auth(&parent).send().await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        assert_eq!(
            r.json["error"]["code"], "method_not_allowed",
            "{method} {path}"
        );
    }
    for (method, path) in [
        ("GET", "/v1/nope".to_owned()),
        ("GET", "/".to_owned()),
        ("GET", "/v2/applications".to_owned()),
        ("POST", format!("/v1/applications/{id}/bogus")),
        ("POST", format!("/v1/applications/{id}/voucher/bogus")),
        ("GET", "/v1/admin".to_owned()),
        ("GET", "/v1/applications/a/b/c/d/e".to_owned()),
    ] {
        let r = env.req(method, &path).auth(&parent).send().await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        assert_eq!(
            r.json["error"]["code"], "route_not_found",
            "{method} {path}"
        );
    }
    // A trailing slash is the same route.
    env.req("GET", "/v1/health/").send().await.ok(200);
    let r = env
        .req("DELETE", "/v1/applications")
        .lang("kk")
        .send()
        .await;
    r.err(405, "method_not_allowed");
    assert_eq!(
        r.message(),
        "Бұл мекенжай үшін сұраудың мұндай әдісіне рұқсат етілмейді."
    );
}

// ===== notifications =============================================================================

pub async fn outbox_registered_notification(env: Env) {
    let parent = env.parent(1);
    let mut body = submission("KOK", &child(1));
    body["language"] = json!("kk");
    let r = env.post("/v1/applications", &parent, body).await;
    let app = r.ok(201).clone();
    assert_eq!(app["language"], "kk");
    let id = str_of(&app["id"]);
    // In Russian by Accept-Language when the body does not say.
    let r = env
        .req("POST", "/v1/applications")
        .auth(&env.parent(2))
        .lang("ru")
        .json(&submission("KOK", &child(2)))
        .send()
        .await;
    let id_ru = str_of(&r.ok(201)["id"]);
    let r = env
        .req("POST", "/v1/applications")
        .auth(&env.parent(3))
        .lang("kk")
        .json(&submission("KOK", &child(3)))
        .send()
        .await;
    let id_kk = str_of(&r.ok(201)["id"]);

    let pending = env.outbox.pending(100).await.expect("outbox");
    let registered = |app_id: &str| {
        let found: Vec<_> = pending
            .iter()
            .filter(|n| n.application_id.as_deref() == Some(app_id))
            .filter(|n| n.kind == NotificationKind::Registered)
            .collect();
        assert_eq!(found.len(), 1, "one `registered` for {app_id}: {pending:?}");
        found[0].clone()
    };
    let n = registered(&id);
    assert_eq!(n.language, Language::Kk);
    assert_eq!(n.email.as_deref(), Some("parent@example.kz"));
    assert_eq!(n.phone.as_deref(), Some("+77012345678"));
    assert_eq!(registered(&id_ru).language, Language::Ru);
    assert_eq!(registered(&id_kk).language, Language::Kk);
    // A voucher offer is announced too.
    env.create_kg("KOK", "Балапан", json!({"3": 1})).await;
    env.voucher_run("KOK", 3).await;
    let pending = env.outbox.pending(100).await.expect("outbox");
    assert!(pending
        .iter()
        .any(|n| n.application_id.as_deref() == Some(id.as_str())
            && n.kind == NotificationKind::VoucherOffered
            && n.language == Language::Kk));
}

// ===== concurrency ===============================================================================

/// Parents confirm while sweeps expire the same offers (quality.md): exactly one outcome wins per
/// application, and its history and notifications match it. Before the deadline the confirmation
/// wins; after it the lapse does, once, however many sweeps and confirmations race.
pub async fn confirm_at_the_sweep_instant_one_outcome(env: Env) {
    let mut late = Vec::new();
    for n in 1..=4 {
        late.push(env.offered(n, 1).await);
    }
    let mut early = Vec::new();
    for n in 11..=14 {
        early.push(env.offered(n, 1).await);
    }
    let confirm_by = time(&env.app(&late[0].0, &late[0].1).await["voucher"]["confirm_by"]);

    let race = |apps: &Vec<(User, String, String)>| {
        let mut tasks = Vec::new();
        for (parent, id, _) in apps {
            let req = env
                .req("POST", &format!("/v1/applications/{id}/voucher/confirm"))
                .auth(parent)
                .request();
            let api = env.api.clone();
            tasks.push(tokio::spawn(async move { api.handle(req).await }));
        }
        for _ in 0..2 {
            let req = env
                .req("POST", "/v1/admin/sweeps/expiry")
                .auth(&env.admin())
                .request();
            let api = env.api.clone();
            tasks.push(tokio::spawn(async move { api.handle(req).await }));
        }
        tasks
    };

    // Just before the deadline: every confirmation wins, the sweeps lapse nothing.
    env.set_clock(confirm_by - Duration::seconds(30));
    let n = early.len();
    for (i, t) in race(&early).into_iter().enumerate() {
        let r = reply(t.await.expect("task"));
        if i < n {
            assert_eq!(r.ok(200)["status"], "voucher_active");
        } else {
            r.ok(200);
        }
    }
    for (parent, id, _) in &early {
        assert_eq!(env.app(parent, id).await["status"], "voucher_active");
        let actions = env.history_actions(parent, id).await;
        assert!(!actions.iter().any(|a| a == "expire_offer"), "{actions:?}");
    }

    // Just after it: every confirmation is refused with the lapsed outcome, which lands once.
    env.set_clock(confirm_by + Duration::seconds(1));
    let n = late.len();
    for (i, t) in race(&late).into_iter().enumerate() {
        let r = reply(t.await.expect("task"));
        if i < n {
            // Refused either way: the deadline passed, or the sweep's lapse landed first.
            assert_eq!(r.status, 409, "{}", r.json);
            let code = r.json["error"]["code"].as_str().unwrap_or_default();
            assert!(
                code == "deadline_passed"
                    || (code == "not_in_status" && r.json["error"]["status"] == "stop_listed"),
                "{}",
                r.json
            );
        } else {
            r.ok(200);
        }
    }
    let pending = env.outbox.pending(100_000).await.expect("outbox");
    for (parent, id, _) in &late {
        assert_eq!(env.app(parent, id).await["status"], "stop_listed");
        let actions = env.history_actions(parent, id).await;
        let lapses = actions.iter().filter(|a| *a == "expire_offer").count();
        assert_eq!(lapses, 1, "{actions:?}");
        assert!(
            !actions.iter().any(|a| a == "confirm_voucher"),
            "{actions:?}"
        );
        let told = pending
            .iter()
            .filter(|m| m.application_id.as_deref() == Some(id.as_str()))
            .filter(|m| m.kind == NotificationKind::StopListed)
            .count();
        assert_eq!(told, 1, "one stop-list notification for {id}");
    }
}

pub async fn concurrent_last_free_place(env: Env) {
    const PARENTS: u32 = 10;
    let last = env.create_kg("KOK", "Соңғы орын", json!({"3": 1})).await;
    env.create_kg("KOK", "Басқа", json!({"3": PARENTS - 1}))
        .await;
    let mut parents = Vec::new();
    for n in 1..=PARENTS {
        let parent = env.parent(n);
        let id = env.submit(&parent, &child(n)).await;
        parents.push((parent, id));
    }
    let run = env.voucher_run("KOK", 3).await;
    assert_eq!(run["offered"], PARENTS, "{run}");
    for (parent, id) in &parents {
        env.act(parent, id, "voucher/confirm").await.ok(200);
    }
    let mut tasks = Vec::new();
    for (parent, id) in &parents {
        let req = env
            .req("POST", &format!("/v1/applications/{id}/kindergarten"))
            .auth(parent)
            .json(&json!({"kindergarten_id": last}))
            .request();
        let api = env.api.clone();
        tasks.push(tokio::spawn(async move { api.handle(req).await }));
    }
    let mut enrolled = 0;
    let mut no_place = 0;
    for t in tasks {
        let r = reply(t.await.expect("task"));
        match r.status {
            200 => {
                assert_eq!(r.json["status"], "enrolled");
                enrolled += 1;
            }
            409 => {
                assert_eq!(r.json["error"]["code"], "no_free_place", "{}", r.text);
                no_place += 1;
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    assert_eq!((enrolled, no_place), (1, PARENTS - 1));
    assert_eq!(env.free_places("KOK", &last).await["3"], 0);
    let mut statuses = BTreeMap::new();
    for (parent, id) in &parents {
        let s = str_of(&env.app(parent, id).await["status"]);
        *statuses.entry(s).or_insert(0u32) += 1;
    }
    assert_eq!(
        statuses,
        BTreeMap::from([
            ("enrolled".into(), 1),
            ("voucher_active".into(), PARENTS - 1)
        ])
    );
    let stats = env.get("/v1/admin/stats?district=KOK", &env.admin()).await;
    assert_eq!(stats.ok(200)["by_status"]["enrolled"], 1);
    assert_eq!(stats.json["free_places"]["3"], PARENTS - 1);
}

pub async fn concurrent_duplicate_submissions(env: Env) {
    const TIMES: usize = 8;
    let parent = env.parent(1);
    let mut tasks = Vec::new();
    for _ in 0..TIMES {
        let req = env
            .req("POST", "/v1/applications")
            .auth(&parent)
            .json(&submission("KOK", &child(1)))
            .request();
        let api = env.api.clone();
        tasks.push(tokio::spawn(async move { api.handle(req).await }));
    }
    let mut created = Vec::new();
    let mut duplicates = 0;
    for t in tasks {
        let r = reply(t.await.expect("task"));
        match r.status {
            201 => created.push(str_of(&r.json["id"])),
            409 => {
                assert_eq!(r.json["error"]["code"], "duplicate_child", "{}", r.text);
                duplicates += 1;
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    assert_eq!(created.len(), 1);
    assert_eq!(duplicates, TIMES - 1);
    let journal = env.journal(&parent).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["id"], json!(created[0]));
    assert_eq!(journal[0]["queue"]["position"], 1);
    let q = env
        .get("/v1/admin/queue?district=KOK&age_group=3", &env.admin())
        .await;
    assert_eq!(q.ok(200).as_array().map(Vec::len), Some(1));
    let child_iin = Iin::try_from(child(1)).expect("iin");
    let stored = env.store.applications_by_child(&child_iin).await;
    assert_eq!(stored.expect("store").len(), 1);
    let registered = env
        .outbox
        .pending(100)
        .await
        .expect("outbox")
        .iter()
        .filter(|n| n.kind == NotificationKind::Registered)
        .count();
    assert_eq!(registered, 1, "one registration, one notification");
}

impl Env {
    /// A document uploaded by `user` (its record, as `POST /v1/documents` leaves it), for
    /// privilege claims: a claim may reference only the parent's own uploads.
    pub async fn upload_of(&self, user: &User) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .put_document(kezek_core::documents::DocumentRecord {
                id: id.clone(),
                owner: kezek_core::iin::Iin::try_from(user.iin.clone()).expect("an IIN"),
                kind: kezek_core::documents::DocumentKind::Upload,
                name: "справка.pdf".into(),
                content_type: "application/pdf".into(),
                size: 1000,
                application_id: None,
                key: format!("uploads/test/{id}"),
                created_at: kezek_core::time::local(chrono::Utc::now()),
            })
            .await
            .expect("a document record");
        id
    }
}

/// Issue 16 (security probe L-1): a body is one JSON value. Text after it, a second value, or
/// bytes that are not UTF-8 (even in a field nobody reads) are 400 `bad_json`, and nothing is
/// written.
pub async fn text_after_json_refused(env: Env) {
    let parent = env.parent(1);
    let body = submission("KOK", &child(1)).to_string();
    for raw in [
        format!("{body} trailing"),
        format!("{body}{body}"),
        format!("{body} {{}}"),
    ] {
        let r = env
            .req("POST", "/v1/applications")
            .auth(&parent)
            .raw(raw.clone())
            .send()
            .await;
        r.err(400, "bad_json");
    }
    let r = env
        .req("PUT", "/v1/me")
        .auth(&parent)
        .raw("{}{}")
        .send()
        .await;
    r.err(400, "bad_json");
    let mut bytes = br#"{"email": "p@example.kz", "ignored": ""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(br#""}"#);
    let r = env
        .req("PUT", "/v1/me")
        .auth(&parent)
        .bytes(bytes)
        .send()
        .await;
    r.err(400, "bad_json");
    assert!(env.journal(&parent).await.is_empty(), "nothing written");
    // A body with only spaces after the value is still one value.
    let app = env
        .req("POST", "/v1/applications")
        .auth(&parent)
        .raw(format!("{body} \n"))
        .send()
        .await;
    assert_eq!(app.status, 201, "{}", app.text);
}

/// Issue 16 (security probe): invisible formatting characters (a right-to-left override, zero-width
/// spaces) are refused in names, addresses and file names: they would print on official PDFs
/// and hide a file's real type.
pub async fn hidden_format_characters_refused(env: Env) {
    let parent = env.parent(1);
    // The name is not the user's to set at all (it is printed on official documents).
    for name in ["Тестов\u{202e}", "Тестов Тест"] {
        let r = env.put("/v1/me", &parent, json!({ "name": name })).await;
        r.bad("name_not_editable", "name");
    }
    assert!(env.get("/v1/me", &parent).await.ok(200)["name"].is_null());
    for name in ["\u{202e}gpj.exe", "справка\u{200b}.pdf"] {
        let upload = json!({"name": name, "content_type": "application/pdf", "size": 100});
        let r = env.post("/v1/documents", &parent, upload).await;
        r.bad("invalid_field", "name");
    }
    let admin = env.admin();
    let mut kg = json!({"name_kk": "Балапан\u{200b}", "name_ru": "Балапан", "district": "KOK",
        "address": "Кокшетау, ул. Абая, 1", "phone": "+77162000000", "ownership": "state",
        "type": "kindergarten", "languages": "both", "admission": "general"});
    let r = env
        .post("/v1/admin/kindergartens", &admin, kg.clone())
        .await;
    r.bad("invalid_field", "name_kk");
    kg["name_kk"] = json!("Балапан");
    let r = env.post("/v1/admin/kindergartens", &admin, kg).await;
    assert_eq!(r.status, 201, "{}", r.text);
}
