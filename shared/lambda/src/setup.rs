//! Cold start: the clients a function needs, made once from the SDK config and its
//! [`Settings`], and the [`Handler`] over them.

use crate::{Adapters, Error, Function, Handler, Settings, Trigger};
use kezek_core::identity::{CodeKeySource, FixedCodeKey};
use kezek_core::ports::{
    Credentials, NotificationQueue, Sender, SignatureVerifier, SystemClock, WorkQueue,
};
use kezek_core::Service;
use kezek_http::{Api, NcaVerifier, Sessions};
use std::sync::Arc;

/// Makes the notifier's sender from the SDK config and the `SENDER_EMAIL` address. Given by the
/// notifier's `main`, so that only the notifier links the SES and SNS clients.
pub type MakeSender = fn(&aws_config::SdkConfig, &str) -> Arc<dyn Sender>;
/// Makes the notifier's queue from the SDK config and `NOTIFICATION_QUEUE_URL` (given by the
/// functions that publish, so that only they link the SQS client).
pub type MakeQueue = fn(&aws_config::SdkConfig, &str) -> Arc<dyn NotificationQueue>;
/// Makes a sweep's work queue at a URL ([`kezek_aws::sqs_work_queue`]).
pub type MakeWorkQueue = fn(&aws_config::SdkConfig, &str) -> Arc<dyn WorkQueue>;

/// Makes the documents' blob store (S3) from the SDK config, the bucket and the path-style flag
/// (given by the functions that make or list documents).
pub type MakeBlobs = fn(&aws_config::SdkConfig, &str, bool) -> Arc<dyn kezek_core::ports::Blobs>;

/// What a function's `main` gives besides its [`Function`].
#[derive(Clone, Copy, Default)]
pub struct Make {
    pub sender: Option<MakeSender>,
    pub queue: Option<MakeQueue>,
    /// The sweep's work queue (the sweep functions).
    pub work: Option<MakeWorkQueue>,
    pub blobs: Option<MakeBlobs>,
    /// The PDF renderer of issued documents ([`kezek_core::documents::render_pdf`]).
    pub render: Option<kezek_core::documents::Render>,
}

impl Make {
    /// What the functions that keep documents give: S3 and the PDF renderer.
    pub fn documents() -> Make {
        Make {
            blobs: Some(kezek_aws::s3_blobs),
            render: Some(kezek_core::documents::render_pdf),
            ..Make::default()
        }
    }
}

/// The API of a function that serves routes: the service, login and signatures (codes in the
/// credentials store keyed with `code_key`, EDS against `verifier`), and `sessions`.
pub fn api(
    service: &Service,
    credentials: Arc<dyn Credentials>,
    sessions: Sessions,
    code_key: &[u8],
    verifier: Arc<dyn SignatureVerifier>,
) -> Api {
    Api::build(service.clone(), credentials, sessions, code_key, verifier)
}

/// What a function reads from Secrets Manager at cold start: each only if the function uses it.
#[derive(Default)]
struct ColdSecrets {
    signing: Option<kezek_aws::SessionSigningSecret>,
    code: Option<kezek_aws::CodeKeySecret>,
    registers: Option<kezek_aws::RegistersSecret>,
}

fn parse<T: serde::de::DeserializeOwned + kezek_aws::secrets::Checked>(
    id: &str,
    text: &str,
) -> Result<T, Error> {
    kezek_aws::parse_secret(text).map_err(|e| format!("secret {id}: {e}").into())
}

impl ColdSecrets {
    /// The secrets `function` uses, all read with one call.
    async fn read(
        function: Function,
        shared: &aws_config::SdkConfig,
        settings: &Settings,
    ) -> Result<ColdSecrets, Error> {
        let signing = settings
            .session_signing_secret
            .as_deref()
            .filter(|_| function.signs_sessions());
        // The code key with the session key, where people log in (every login checks a code or
        // a nonce); the other functions that check codes read it when a request brings one.
        let code = settings
            .code_key_secret
            .as_deref()
            .filter(|_| function.signs_sessions() && function.checks_codes());
        let registers = settings
            .registers_secret
            .as_deref()
            .filter(|_| function.asks_registers() && settings.registers_url.is_some());
        let ids: Vec<&str> = [signing, code, registers].into_iter().flatten().collect();
        let mut texts = kezek_aws::secrets::read_secret_texts(shared, &ids)
            .await?
            .into_iter();
        let mut next = |id: Option<&str>| id.map(|_| texts.next().unwrap_or_default());
        let (signing_text, code_text, registers_text) =
            (next(signing), next(code), next(registers));
        let signing = signing.zip(signing_text);
        let code = code.zip(code_text);
        let registers = registers.zip(registers_text);
        Ok(ColdSecrets {
            signing: signing.map(|(id, t)| parse(id, &t)).transpose()?,
            code: code.map(|(id, t)| parse(id, &t)).transpose()?,
            registers: registers.map(|(id, t)| parse(id, &t)).transpose()?,
        })
    }
}

/// The sessions of a function: checked with `SESSION_PUBLIC_KEYS`; issued, where the function
/// logs people in, with the private key of `SESSION_SIGNING_SECRET_ID` (or
/// `KEZEK_SESSION_PRIVATE_KEY` on a local run).
fn sessions(
    function: Function,
    settings: &Settings,
    secret: Option<kezek_aws::SessionSigningSecret>,
) -> Result<Sessions, Error> {
    let public = settings
        .session_public_keys
        .as_deref()
        .ok_or("SESSION_PUBLIC_KEYS is not set")?;
    let sessions = Sessions::verifier(public)?;
    if !function.signs_sessions() {
        return Ok(sessions);
    }
    let (private, public) = match secret {
        Some(s) => (s.private_key, s.public_key),
        None => (
            settings
                .session_private_key
                .clone()
                .ok_or("neither SESSION_SIGNING_SECRET_ID nor KEZEK_SESSION_PRIVATE_KEY is set")?,
            public.to_owned(),
        ),
    };
    Ok(sessions.with_signer(&private, &public)?)
}

/// The code key of a function that checks codes (empty for the others): read at start with the
/// session key where people log in, else read from its secret on the first request that checks a
/// code, else (a local run) `KEZEK_CODE_KEY`.
fn code_key(
    function: Function,
    shared: &aws_config::SdkConfig,
    settings: &Settings,
    secret: Option<kezek_aws::CodeKeySecret>,
) -> Result<Arc<dyn CodeKeySource>, Error> {
    let fixed = |key: Vec<u8>| -> Arc<dyn CodeKeySource> { Arc::new(FixedCodeKey(Arc::from(key))) };
    if !function.checks_codes() {
        return Ok(fixed(Vec::new()));
    }
    if let (None, Some(id)) = (&secret, &settings.code_key_secret) {
        return Ok(Arc::new(kezek_aws::secrets::SecretCodeKey::new(shared, id)));
    }
    match (secret, &settings.code_key) {
        (Some(s), _) => Ok(fixed(s.code_key.into_bytes())),
        (None, Some(key)) if key.len() >= kezek_aws::secrets::MIN_CODE_KEY => {
            Ok(fixed(key.clone()))
        }
        (None, Some(_)) => Err(format!(
            "KEZEK_CODE_KEY is shorter than {} bytes",
            kezek_aws::secrets::MIN_CODE_KEY
        )
        .into()),
        (None, None) => Err("neither CODE_KEY_SECRET_ID nor KEZEK_CODE_KEY is set".into()),
    }
}

/// The calendar an operator published in the table over the shipped years, checked as the shipped
/// ones are; `None` (the shipped calendar) when none is published, or when it cannot be read or is
/// refused (logged as an error: the shipped calendar stays in force).
pub async fn published_calendar(
    store: &kezek_aws::DynamoStore,
) -> Option<Arc<kezek_core::calendar::Calendar>> {
    let items = match store.published_calendar().await {
        Ok(items) if items.is_empty() => return None,
        Ok(items) => items,
        Err(e) => {
            tracing::error!(error = %e, "published calendar not read: the shipped calendar is in force");
            return None;
        }
    };
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    match kezek_core::calendar::Calendar::with_published(&texts) {
        Ok(calendar) => {
            let years: Vec<i32> = items.iter().map(|i| i.year).collect();
            tracing::info!(?years, "published calendar in force");
            Some(Arc::new(calendar))
        }
        Err(e) => {
            tracing::error!(error = %e, "published calendar refused: the shipped calendar is in force");
            None
        }
    }
}

/// Builds a function's handler over DynamoDB (and its sender or queue) from a loaded SDK
/// config: the clients are made here once, at cold start, and the functions that need sessions
/// read their secret here.
pub async fn build(
    function: Function,
    shared: &aws_config::SdkConfig,
    settings: &Settings,
    make: Make,
) -> Result<Handler, Error> {
    settings.check(function)?;
    let client = kezek_aws::dynamodb_client_from(shared, None);
    let store = Arc::new(kezek_aws::DynamoStore::new(client, &settings.table));
    let mut service = Service::new(
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(kezek_core::ports::BuiltinRegisters),
    );
    if settings.calendar_from_table && function.uses_calendar() {
        service.calendar = published_calendar(&store).await;
    }
    if let Some(make) = make.blobs {
        let bucket = settings
            .documents_bucket
            .as_deref()
            .ok_or("DOCUMENTS_BUCKET is not set")?;
        service.blobs = Some(make(shared, bucket, settings.s3_path_style));
    }
    service.render = make.render;
    if function.keeps_documents() && (service.blobs.is_none() || service.render.is_none()) {
        return Err(format!("{}: needs a blob store and a renderer", function.name()).into());
    }
    if function.publishes_open_data() && service.blobs.is_none() {
        return Err(format!("{}: needs a blob store for the open data", function.name()).into());
    }
    let mut sessions_ = None;
    let mut api_ = None;
    let secrets = ColdSecrets::read(function, shared, settings).await?;
    if function.asks_registers() {
        if let Some(url) = &settings.registers_url {
            let token = secrets.registers.map(|s| s.registers_token);
            service.registers = Arc::new(kezek_registers::HttpRegisters::new(url, token));
        }
    }
    // The portal's form key, derived from the code key (read at start where pages are served).
    let page_key = function.serves_pages().then(|| {
        let key = match &secrets.code {
            Some(s) => s.code_key.as_bytes().to_vec(),
            None => settings.code_key.clone().unwrap_or_default(),
        };
        kezek_web::csrf_key_from(&key)
    });
    if function.needs_sessions() {
        let sessions = sessions(function, settings, secrets.signing)?;
        let code_key = code_key(function, shared, settings, secrets.code)?;
        if !function.serves_http() {
            sessions_ = Some(sessions);
        } else {
            let roots = settings.nca_roots.as_deref().unwrap_or_default();
            let verifier = NcaVerifier::from_pem(roots)
                .map_err(|e| format!("NCA roots: {e}"))?
                .with_revocation(settings.eds_revocation.clone());
            if settings.eds_revocation == kezek_http::Revocation::NotChecked {
                tracing::warn!("EDS certificates' revocation is NOT checked (tests only)");
            }
            let credentials: Arc<dyn Credentials> = store.clone();
            api_ = Some(Api::build_with_code_key(
                service.clone(),
                credentials,
                sessions,
                code_key,
                Arc::new(verifier),
            ));
        }
    }
    let mut adapters = Adapters::default();
    if function.trigger() == Trigger::Queue {
        let from = settings
            .sender_email
            .as_deref()
            .ok_or("SENDER_EMAIL is not set")?;
        let make = make.sender.ok_or("the notifier needs a sender")?;
        adapters.sender = Some(make(shared, from));
    }
    if let Some(make) = make.queue {
        let url = settings
            .queue_url
            .as_deref()
            .ok_or("NOTIFICATION_QUEUE_URL is not set")?;
        adapters.queue = Some(make(shared, url));
    } else if function == Function::OutboxRelay {
        return Err("the relay needs a queue".into());
    }
    if function.sweeps() {
        let make = make.work.ok_or("a sweep needs its work queue")?;
        let url = settings
            .sweep_queue_url
            .as_deref()
            .ok_or("SWEEP_QUEUE_URL is not set")?;
        adapters.work = Some(make(shared, url));
    }
    if let (Some(key), Some(api)) = (page_key, &api_) {
        let web = kezek_web::Web::new(api.clone(), &key, true, &settings.support_phone);
        let web = match &settings.ncalayer_url {
            Some(url) => web.with_ncalayer(url)?,
            None => web,
        };
        adapters.web = Some(match &settings.dashboard_url {
            Some(url) => web.with_dashboard(url)?,
            None => web,
        });
    }
    let mut handler = Handler::new(function, service, api_, adapters);
    if let Some(s) = sessions_ {
        handler = handler.with_sessions(s);
    }
    Ok(match settings.max_receives {
        Some(n) => handler.with_max_receives(n),
        None => handler,
    })
}
