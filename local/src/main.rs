//! `cargo run --release -p kezek-local -- --port 3000`: the whole API on an embedded store.

use clap::Parser;
use kezek_aws::DynamoStore;
use kezek_core::ports::{stores::*, Credentials};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_local::{seed, Local};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    about = "Kezek local runner: the whole API on an embedded store, with a simulated clock, dev outbox and dev login"
)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Seconds between scheduled sweeps (0: only on demand and when the dev clock moves).
    #[arg(long, default_value_t = 60)]
    sweep_every: u64,
    /// Start with an empty catalogue.
    #[arg(long)]
    no_seed: bool,
    /// The store: `embedded` (in memory) or `dynamodb` (AWS_ENDPOINT_URL, region and credentials
    /// from the environment; the table is created when missing).
    #[arg(long, default_value = "embedded", value_parser = ["embedded", "dynamodb"])]
    store: String,
    /// A folder of working-day calendar files (`<year>.toml`, the format of
    /// `shared/core/data/calendar/`) that replace the shipped years: operators update the
    /// calendar without a rebuild.
    #[arg(long)]
    calendar_dir: Option<std::path::PathBuf>,
    /// The DynamoDB table, with `--store dynamodb`.
    #[arg(long, default_value = "kezek-local")]
    table: String,
    /// A folder of NCA root certificates (PEM or DER: `*.pem`, `*.crt`, `*.cer`) trusted for EDS
    /// login and signed actions; without it no EDS signature is accepted.
    #[arg(long)]
    nca_roots: Option<std::path::PathBuf>,
    /// Check the EDS signer certificate's revocation (OCSP, then the CRL, as deployed) with the
    /// URLs the certificate names. Without it (nor the two URLs below) a local run does NOT
    /// check revocation: the dev PKI (`dev_pki`) has no responder.
    #[arg(long)]
    eds_check_revocation: bool,
    /// The OCSP responder to ask instead of the certificate's (implies --eds-check-revocation).
    #[arg(long)]
    eds_ocsp_url: Option<String>,
    /// The CRL to fetch instead of the certificate's (implies --eds-check-revocation).
    #[arg(long)]
    eds_crl_url: Option<String>,
    /// The state registers' JSON gateway (see `kezek-registers`); without it the built-in
    /// registers answer from the IIN alone.
    #[arg(long)]
    registers_url: Option<String>,
    /// The data folder of documents (uploads and issued PDFs); a folder under the system's
    /// temporary directory when not given.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Where the portal's pages find NCALayer for EDS signing: its own address on the parent's
    /// computer, or a stand-in's (`ws(s)://127.0.0.1:PORT`).
    #[arg(long, default_value = kezek_web::NCALAYER)]
    ncalayer: String,
    /// Requests a minute one client address may make to the public routes (the queue check,
    /// the run log); beyond, 429. The fuzz run lifts it to reach the routes' logic.
    #[arg(long, default_value_t = kezek_local::PUBLIC_PER_MINUTE)]
    public_per_minute: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    // The keys: the session pair from the PKCS#8 PEM file KEZEK_SESSION_PRIVATE_KEY_FILE (sessions
    // then outlive a restart), else a fresh pair per start; fresh code and files keys.
    let pair = match std::env::var("KEZEK_SESSION_PRIVATE_KEY_FILE") {
        Ok(path) => {
            kezek_local::keys::SessionPair::from_private_pem(&std::fs::read_to_string(&path)?)
                .map_err(|e| format!("KEZEK_SESSION_PRIVATE_KEY_FILE {path}: {e}"))?
        }
        Err(_) => kezek_local::keys::SessionPair::generate()?,
    };
    let keys = kezek_local::keys::LocalKeys::with_pair(&pair)?;
    let (mut local, store, credentials): (Local, Arc<dyn Store>, Arc<dyn Credentials>) =
        match args.store.as_str() {
            "dynamodb" => {
                let client = kezek_aws::dynamodb_client(None).await;
                let store = Arc::new(DynamoStore::new(client, &args.table));
                store.ensure_table().await?;
                tracing::info!(table = %args.table, "DynamoDB store");
                (
                    Local::with_store(&keys, store.clone(), store.clone(), store.clone()),
                    store.clone(),
                    store,
                )
            }
            _ => {
                let store = Arc::new(EmbeddedStore::new());
                (
                    Local::with_store(&keys, store.clone(), store.clone(), store.clone()),
                    store.clone(),
                    store,
                )
            }
        };
    local.ncalayer = args.ncalayer.clone();
    local.public_per_minute = args.public_per_minute;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("kezek-local-data"));
    local.keep_files(
        data_dir.clone(),
        &format!("http://{}:{}", args.bind, args.port),
        &keys.files,
    )?;
    tracing::info!(dir = %data_dir.display(), "documents' data folder");
    if let Some(url) = &args.registers_url {
        tracing::info!(%url, "state registers gateway");
        local.use_registers(Arc::new(kezek_registers::HttpRegisters::new(url, None)));
    }
    if let Some(dir) = &args.nca_roots {
        let roots = kezek_eds::Roots::from_dir(dir)
            .map_err(|e| format!("--nca-roots {}: {e}", dir.display()))?;
        tracing::info!(dir = %dir.display(), roots = roots.len(), "NCA roots trusted for EDS");
        let revocation = if args.eds_check_revocation
            || args.eds_ocsp_url.is_some()
            || args.eds_crl_url.is_some()
        {
            kezek_http::Revocation::Checked(kezek_http::RevocationSources::new(
                args.eds_ocsp_url.clone(),
                args.eds_crl_url.clone(),
            ))
        } else {
            tracing::warn!(
                "EDS certificates' revocation is NOT checked (local run; --eds-check-revocation \
                 checks it)"
            );
            kezek_http::Revocation::NotChecked
        };
        local.trust(Arc::new(
            kezek_http::NcaVerifier::new(roots).with_revocation(revocation),
        ));
    }
    if let Some(dir) = &args.calendar_dir {
        // Shipped years first; a file for the same year replaces it.
        let calendar = kezek_local::admin::calendar_from_dir(dir)?;
        tracing::info!(dir = %dir.display(), years = ?calendar.years().collect::<Vec<_>>(), "calendar");
        local.api.service.calendar = Some(Arc::new(calendar));
    }
    if !args.no_seed {
        let ids = seed::seed(store.as_ref()).await?;
        seed::seed_staff(credentials.as_ref()).await?;
        tracing::info!(kindergartens = ids.len(), "seeded");
    }
    if args.sweep_every > 0 {
        let l = local.clone();
        let every = Duration::from_secs(args.sweep_every);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = l.sweep_all().await {
                    tracing::warn!(error = %e, "scheduled sweep");
                }
            }
        });
    }
    let addr = format!("{}:{}", args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "kezek-local listening");
    // The client's address reaches the public routes' limit.
    let app = local
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
