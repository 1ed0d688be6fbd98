//! The local runner: the whole API on the embedded store with a simulated clock, a dev outbox in
//! place of SES and SMS, and a dev login. The dev routes exist only here, never in a Lambda build.

pub mod admin;
pub mod files;
pub mod invariants;
pub mod keys;
pub mod seed;

use axum::body::{to_bytes, Body as AxumBody};
use axum::extract::State;
use axum::http::{Request as HttpRequest, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use kezek_core::domain::Language;
use kezek_core::iin::Iin;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::{
    BuiltinRegisters, Clock, Credentials, NoRoots, Outbox, OutgoingMessage, SendError, Sender,
    SignatureVerifier, SimClock, Store,
};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::time::local as almaty;
use kezek_core::{Failure, Principal, Role, Service};
use kezek_http::{error_response, json_response, language, parse_json, Api, HttpError, MAX_BODY};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

/// The dev outbox: every e-mail and SMS "sent", newest last.
#[derive(Default)]
pub struct DevOutbox {
    sent: Mutex<Vec<OutgoingMessage>>,
}

impl DevOutbox {
    pub fn messages(&self) -> Vec<OutgoingMessage> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait::async_trait]
impl Sender for DevOutbox {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        tracing::info!(channel = ?m.channel, notification = %m.notification_id, "dev outbox");
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(m.clone());
        Ok(())
    }
}

/// Everything the local runner serves.
#[derive(Clone)]
pub struct Local {
    pub api: Api,
    pub clock: Arc<SimClock>,
    pub outbox: Arc<DevOutbox>,
    /// One delivery run at a time, so concurrent requests never send a notification twice.
    delivering: Arc<tokio::sync::Mutex<()>>,
    /// The documents' data folder, behind `/v1/dev/files/{key}`.
    pub files: Option<Arc<files::FolderBlobs>>,
    /// The parents' portal's CSRF key.
    web_key: Arc<[u8]>,
    /// Where the portal's pages find NCALayer (`wss://127.0.0.1:13579`, or a stand-in's).
    pub ncalayer: String,
    /// The operations dashboard the operators' numbers link to (none here by default: a
    /// deployment's is its CloudWatch dashboard).
    pub dashboard: Option<String>,
    /// The runner's own limit on what anyone may ask without a login (the public queue check,
    /// the run log, the check page): requests per client address and minute. In AWS, API
    /// Gateway's route limits do it (`infra/template.yaml`).
    pub public_per_minute: u32,
    public_hits: Arc<std::sync::Mutex<std::collections::HashMap<(String, i64), u32>>>,
    /// The business day of the last daily open-data export.
    open_data_day: Arc<Mutex<Option<chrono::NaiveDate>>>,
}

/// The business time of day (Asia/Almaty) after which the day's open data is exported, as the
/// `OpenData` schedule of `infra/template.yaml` (00:30) does it.
pub const OPEN_DATA_AT: (u32, u32) = (0, 30);

/// The runner's default limit of public requests per client and minute.
pub const PUBLIC_PER_MINUTE: u32 = 60;

/// The support phone the local portal shows (eGov's contact centre).
pub const SUPPORT_PHONE: &str = "1414";

impl Local {
    /// A runner on a fresh embedded store with these keys. It trusts no NCA root until
    /// [`Local::trust`] is given some.
    pub fn new(keys: &keys::LocalKeys) -> Local {
        let store = Arc::new(EmbeddedStore::new());
        Local::with_store(keys, store.clone(), store.clone(), store)
    }

    /// A runner on any store adapter (the DynamoDB one with `--store dynamodb`). Business time
    /// is the simulated clock; sessions, codes, nonces and rate limits keep the real one.
    pub fn with_store(
        keys: &keys::LocalKeys,
        store: Arc<dyn Store>,
        outbox: Arc<dyn Outbox>,
        credentials: Arc<dyn Credentials>,
    ) -> Local {
        let clock = Arc::new(SimClock::new());
        let service = Service::new(store, outbox, clock.clone(), Arc::new(BuiltinRegisters));
        Local {
            api: Api::build(
                service,
                credentials,
                keys.sessions.clone(),
                &keys.code,
                Arc::new(NoRoots),
            ),
            clock,
            outbox: Arc::new(DevOutbox::default()),
            delivering: Arc::new(tokio::sync::Mutex::new(())),
            files: None,
            web_key: Arc::from(keys.web.as_slice()),
            ncalayer: kezek_web::NCALAYER.to_owned(),
            dashboard: None,
            public_per_minute: PUBLIC_PER_MINUTE,
            public_hits: Arc::default(),
            open_data_day: Arc::default(),
        }
    }

    /// Asks these state registers (e.g. `kezek_registers::HttpRegisters`) instead of the
    /// built-in ones.
    pub fn use_registers(&mut self, registers: Arc<dyn kezek_core::ports::Registers>) {
        self.api.service.registers = registers.clone();
        self.api.identity.registers = registers;
    }

    /// Keeps documents in `dir`, behind signed URLs of this runner at `base`
    /// (`http://host:port`).
    pub fn keep_files(
        &mut self,
        dir: std::path::PathBuf,
        base: &str,
        key: &[u8],
    ) -> std::io::Result<()> {
        let blobs = Arc::new(files::FolderBlobs::new(dir, base, key)?);
        self.api.service.blobs = Some(blobs.clone());
        self.api.service.render = Some(kezek_core::documents::render_pdf);
        self.files = Some(blobs);
        Ok(())
    }

    /// Trusts these NCA roots for EDS login and signed actions.
    pub fn trust(&mut self, verifier: Arc<dyn SignatureVerifier>) {
        self.api.identity.verifier = verifier;
    }

    /// Issues the documents of the outbox's events (as the `issue-documents` Lambda does from
    /// the table's stream), then sends what the outbox holds through the dev outbox.
    pub async fn deliver(&self) -> Result<usize, Failure> {
        let _one_at_a_time = self.delivering.lock().await;
        let mut total = 0;
        self.issue_documents().await;
        loop {
            let n = self
                .api
                .service
                .deliver_pending(self.outbox.as_ref(), 100)
                .await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// The documents of the pending outbox entries' events; a failure is logged (the listing
    /// makes what is missing).
    async fn issue_documents(&self) {
        let service = &self.api.service;
        if service.blobs.is_none() {
            return;
        }
        let pending = match service.outbox.pending(100).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "issuing documents");
                return;
            }
        };
        for n in pending
            .iter()
            .filter(|n| kezek_core::Service::issues_documents(n.kind))
        {
            if let Err(e) = service.issue_on_event(n).await {
                tracing::warn!(notification = %n.id, error = %e, "issuing documents");
            }
        }
    }

    /// Runs both sweeps and delivers their notifications, then the day's open-data export if
    /// it is due ([`Local::open_data_if_due`]).
    pub async fn sweep_all(&self) -> Result<(), Failure> {
        for s in [Sweep::Expiry, Sweep::Reconfirmation] {
            self.api.service.sweep(s).await?;
        }
        self.deliver().await?;
        if let Err(e) = self.open_data_if_due().await {
            tracing::warn!(error = %e, "open data export");
        }
        Ok(())
    }

    /// The daily open-data export on the simulated clock: once a business day, at or after
    /// [`OPEN_DATA_AT`], to the documents' data folder (`open-data/<DISTRICT>/…`). `None` when
    /// it is not due (done today already, before 00:30, or no data folder).
    pub async fn open_data_if_due(
        &self,
    ) -> Result<Option<kezek_core::open_data::OpenDataExport>, Failure> {
        use chrono::Timelike;
        if self.api.service.blobs.is_none() {
            return Ok(None);
        }
        let now = self.api.service.now();
        let day = now.date_naive();
        if (now.hour(), now.minute()) < OPEN_DATA_AT
            || *self.open_data_day.lock().unwrap_or_else(|e| e.into_inner()) == Some(day)
        {
            return Ok(None);
        }
        let export = self.api.service.export_open_data().await?;
        *self.open_data_day.lock().unwrap_or_else(|e| e.into_inner()) = Some(export.day);
        let rows: usize = export.districts.iter().map(|d| d.rows).sum();
        tracing::info!(day = %export.day, rows, "open data exported");
        Ok(Some(export))
    }

    /// The axum router: the dev routes, every API route (the router the Lambdas serve their
    /// rows of) and the parents' portal at `/` ([`kezek_web`]), each request followed by the dev
    /// outbox's delivery.
    pub fn router(self) -> Router {
        let api = self.api.router();
        // Plain http on this machine: the cookies are not `Secure`.
        let web = kezek_web::Web::new(self.api.clone(), &self.web_key, false, SUPPORT_PHONE);
        let web = web
            .clone()
            .with_ncalayer(&self.ncalayer)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "NCALayer's address kept");
                web
            });
        let web = match &self.dashboard {
            Some(url) => web.clone().with_dashboard(url).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no dashboard link");
                web
            }),
            None => web,
        };
        let portal = web
            .router_over(api)
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                deliver_after,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                limit_public,
            ));
        // The dev routes answer a wrong method as the API does: 405 in the contract's shape.
        Router::new()
            .route(
                "/v1/dev/clock",
                get(get_clock).put(put_clock).fallback(dev_405),
            )
            .route("/v1/dev/outbox", get(get_outbox).fallback(dev_405))
            .route("/v1/dev/login", post(dev_login).fallback(dev_405))
            .route(
                "/v1/dev/invariants",
                post(post_invariants)
                    .fallback(dev_405)
                    .layer(axum::extract::DefaultBodyLimit::max(invariants::MAX_ASKED)),
            )
            .route(
                "/v1/dev/files/{*key}",
                get(get_file).put(put_file).fallback(dev_405),
            )
            // A form upload straight to the data folder, as a browser posts to S3 (the file may
            // be up to the documents' limit, past the API's body limit).
            .route(
                "/v1/dev/uploads",
                post(post_upload)
                    .fallback(dev_405)
                    .layer(axum::extract::DefaultBodyLimit::max(
                        kezek_core::documents::MAX_UPLOAD_BYTES as usize + 64 * 1024,
                    )),
            )
            .with_state(self)
            .merge(portal)
    }
}

async fn read_body(body: AxumBody) -> Result<Vec<u8>, HttpError> {
    to_bytes(body, MAX_BODY)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| HttpError::TooLarge { max: MAX_BODY })
}

fn fail(local: &Local, f: impl Into<HttpError>, lang: Language) -> Response {
    error_response(f, lang, &local.api.service)
}

fn reply<T: serde::Serialize>(v: &T) -> Response {
    let json = serde_json::to_value(v).unwrap_or_default();
    json_response(StatusCode::OK, &json)
}

/// After an API request: deliver what it queued, so the dev outbox is current when the reply
/// arrives.
/// 429 `rate_limited` (the contract's error body) past [`Local::public_per_minute`] public
/// requests of one client address in a minute.
async fn limit_public(
    State(local): State<Local>,
    req: HttpRequest<AxumBody>,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/v1/public/") || path == "/queue" {
        let client = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string());
        let minute = chrono::Utc::now().timestamp() / 60;
        let over = {
            let mut hits = local.public_hits.lock().unwrap_or_else(|e| e.into_inner());
            hits.retain(|(_, m), _| *m == minute);
            let n = hits.entry((client, minute)).or_insert(0);
            *n += 1;
            *n > local.public_per_minute
        };
        if over {
            let lang = kezek_http::language(req.headers());
            let limited = kezek_core::Failure::RateLimited {
                code: "rate_limited",
            };
            return kezek_http::error_response(limited, lang, &local.api.service);
        }
    }
    next.run(req).await
}

async fn deliver_after(
    State(local): State<Local>,
    req: HttpRequest<AxumBody>,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(req).await;
    if let Err(e) = local.deliver().await {
        tracing::warn!(error = %e, "dev outbox delivery");
    }
    response
}

#[derive(serde::Serialize)]
struct ClockView {
    now: chrono::DateTime<chrono::FixedOffset>,
    real_now: chrono::DateTime<chrono::FixedOffset>,
}

fn clock_view(local: &Local) -> ClockView {
    ClockView {
        now: almaty(local.clock.now()),
        real_now: almaty(chrono::Utc::now()),
    }
}

async fn get_clock(State(local): State<Local>) -> Response {
    reply(&clock_view(&local))
}

#[derive(Deserialize)]
struct SetClock {
    now: chrono::DateTime<chrono::FixedOffset>,
}

/// Moves business time, then runs the sweeps so deadlines that passed are acted on.
async fn put_clock(State(local): State<Local>, req: HttpRequest<AxumBody>) -> Response {
    let lang = language(req.headers());
    let result = async {
        let bytes = read_body(req.into_body()).await?;
        let input: SetClock = parse_json(&bytes)?;
        local.clock.set(input.now.with_timezone(&chrono::Utc));
        local.sweep_all().await?;
        Ok::<_, HttpError>(())
    }
    .await;
    match result {
        Ok(()) => reply(&clock_view(&local)),
        Err(f) => fail(&local, f, lang),
    }
}

#[derive(serde::Serialize)]
struct OutboxEntry {
    channel: kezek_core::ports::Channel,
    to: String,
    language: Language,
    subject: String,
    body: String,
    at: chrono::DateTime<chrono::FixedOffset>,
    notification_id: String,
}

async fn dev_405(State(local): State<Local>, req: HttpRequest<AxumBody>) -> Response {
    fail(&local, HttpError::MethodNotAllowed, language(req.headers()))
}

fn file_refused(local: &Local, (status, code): files::Refused, lang: Language) -> Response {
    let f = match status {
        404 => Failure::NotFound { code },
        403 => Failure::Forbidden { code },
        400 => Failure::bad(code, "file"),
        _ => Failure::Unavailable(code.into()),
    };
    fail(local, f, lang)
}

/// A download through a signed URL of the data folder.
async fn get_file(
    State(local): State<Local>,
    axum::extract::Path(key): axum::extract::Path<String>,
    query: Result<axum::extract::Query<files::FileQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = language(&headers);
    let (Some(files), Ok(axum::extract::Query(q))) = (&local.files, query) else {
        return file_refused(&local, (403, "forbidden"), lang);
    };
    match files.serve_get(&key, &q) {
        Ok((bytes, content_type, name)) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", content_type)
            .header(
                "content-disposition",
                kezek_core::documents::attachment(&name),
            )
            .body(AxumBody::from(bytes))
            .unwrap_or_default(),
        Err(r) => file_refused(&local, r, lang),
    }
}

/// An upload through a signed URL of the data folder.
async fn put_file(
    State(local): State<Local>,
    axum::extract::Path(key): axum::extract::Path<String>,
    query: Result<axum::extract::Query<files::FileQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: AxumBody,
) -> Response {
    let lang = language(&headers);
    let (Some(files), Ok(axum::extract::Query(q))) = (&local.files, query) else {
        return file_refused(&local, (403, "forbidden"), lang);
    };
    let limit = kezek_core::documents::MAX_UPLOAD_BYTES as usize;
    let Ok(bytes) = to_bytes(body, limit).await else {
        return fail(&local, HttpError::TooLarge { max: limit }, lang);
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    match files.accept_put(&key, &q, content_type, &bytes) {
        Ok(()) => Response::builder()
            .status(StatusCode::OK)
            .body(AxumBody::empty())
            .unwrap_or_default(),
        Err(r) => file_refused(&local, r, lang),
    }
}

/// A form upload of the data folder (multipart: the signed fields, then the file), answered as
/// S3 answers a POST with `success_action_redirect`: 303 to it.
async fn post_upload(
    State(local): State<Local>,
    headers: axum::http::HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = language(&headers);
    let (Some(files), Ok(mut multipart)) = (&local.files, multipart) else {
        return file_refused(&local, (400, "invalid_field"), lang);
    };
    let mut fields = files::FormFields::default();
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return file_refused(&local, (400, "document_too_large"), lang),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else {
            return file_refused(&local, (400, "document_too_large"), lang);
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "key" => fields.key = text(),
            "max" => fields.max = text().parse().unwrap_or(0),
            "redirect" => fields.redirect = text(),
            "expires" => fields.expires = text().parse().unwrap_or(0),
            "sig" => fields.sig = text(),
            "file" => {
                file = Some(bytes);
                break;
            }
            _ => {}
        }
    }
    let Some(file) = file else {
        return file_refused(&local, (400, "upload_missing"), lang);
    };
    match files.accept_post(&fields, &file) {
        Ok(to) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("location", to)
            .body(AxumBody::empty())
            .unwrap_or_default(),
        Err(r) => file_refused(&local, r, lang),
    }
}

async fn get_outbox(State(local): State<Local>) -> Response {
    if let Err(f) = local.deliver().await {
        return fail(&local, f, Language::Ru);
    }
    let list: Vec<OutboxEntry> = local
        .outbox
        .messages()
        .into_iter()
        .map(|m| OutboxEntry {
            channel: m.channel,
            to: m.to,
            language: m.language,
            subject: m.subject,
            body: m.body,
            at: m.at,
            notification_id: m.notification_id,
        })
        .collect();
    reply(&list)
}

/// The store's invariants over the children a load run names (`invariants`).
async fn post_invariants(State(local): State<Local>, req: HttpRequest<AxumBody>) -> Response {
    let lang = language(req.headers());
    let result = async {
        let bytes = to_bytes(req.into_body(), invariants::MAX_ASKED)
            .await
            .map_err(|_| HttpError::TooLarge {
                max: invariants::MAX_ASKED,
            })?;
        let asked: invariants::Asked = parse_json(&bytes)?;
        let service = &local.api.service;
        Ok::<_, HttpError>(
            invariants::check(service.store.as_ref(), service.reference(), &asked).await?,
        )
    }
    .await;
    match result {
        Ok(report) => reply(&report),
        Err(f) => fail(&local, f, lang),
    }
}

#[derive(Deserialize)]
struct DevLogin {
    iin: String,
    role: Option<Role>,
    districts: Option<Vec<String>>,
}

/// A session without OTP or EDS. Operators with no districts named get every district.
async fn dev_login(State(local): State<Local>, req: HttpRequest<AxumBody>) -> Response {
    let lang = language(req.headers());
    let result = async {
        let bytes = read_body(req.into_body()).await?;
        let input: DevLogin = parse_json(&bytes)?;
        let today = kezek_core::time::local_date(almaty(chrono::Utc::now()));
        let iin =
            Iin::parse(input.iin.trim(), today).map_err(|_| Failure::bad("invalid_iin", "iin"))?;
        let role = input.role.unwrap_or(Role::Parent);
        let reference = local.api.service.reference();
        let districts = match (role, input.districts) {
            (Role::Parent, _) => Vec::new(),
            (Role::Operator, None) => reference.districts.iter().map(|d| d.code.clone()).collect(),
            (Role::Operator, Some(list)) => {
                for d in &list {
                    if reference.district(d).is_none() {
                        return Err(Failure::bad("unknown_district", "districts").into());
                    }
                }
                list
            }
        };
        let who = Principal {
            iin,
            role,
            districts,
        };
        Ok::<_, HttpError>(local.api.sessions.issue(&who, chrono::Utc::now())?)
    }
    .await;
    match result {
        Ok(token) => reply(&token),
        Err(f) => fail(&local, f, lang),
    }
}
