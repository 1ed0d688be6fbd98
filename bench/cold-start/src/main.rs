//! The cold-start harness. For every function built by `cargo lambda build --release` (and the
//! hello-world baseline built with it), it starts the `bootstrap` as Lambda would, against a
//! minimal Lambda Runtime API served in this process, and measures:
//! - init: from exec to the function's first `GET /runtime/invocation/next`;
//! - first response: from exec to the `POST …/response` of the first invocation.
//!
//! Runs are interleaved (hello-world, then each function, repeated) so that machine noise falls
//! on all alike; medians are printed with the ratio to hello-world, and each function's binary
//! and deployment zip size.
//!
//! `cargo run -p cold-start -- --lambda-dir target/lambda [--runs 15] [--profile release]`
//!
//! With `--cold-request --naive <dir>` (and moto at `AWS_ENDPOINT_URL`), each function instead
//! gets its real request (its sample event from `events/`, a session signed by the tests' key
//! pair) with every AWS call over TLS to moto behind a local TLS endpoint, and its cold request
//! (exec → init → the answer) is set beside the naive function's (`bench/naive`: the ecosystem's
//! defaults, one `GetItem`) and hello-world's. See [`request`].
//!
//! The figures are those of the profile the bootstraps were built with, printed as their label: the
//! test command builds with `lambda-ci` (no LTO, quick), `scripts/lambda-release` with `release`
//! (what is deployed, and what the budgets of quality.md are judged on).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod cpu;
mod request;

#[derive(Parser)]
struct Args {
    /// `cargo lambda build` output: `<dir>/<function>/bootstrap`.
    #[arg(long, default_value = "target/lambda")]
    lambda_dir: PathBuf,
    /// Cold starts per function.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// The baseline's folder name.
    #[arg(long, default_value = "hello-world")]
    baseline: String,
    /// The cargo profile the bootstraps were built with: a label printed with the figures.
    #[arg(long, default_value = "release")]
    profile: String,
    /// Another build's `cargo lambda build` output (e.g. of the commit before a change): its
    /// functions run interleaved with these, and their figures are printed side by side.
    #[arg(long)]
    before: Option<PathBuf>,
    /// Measure the cold request: each function's real request, its AWS calls over TLS to moto
    /// (`AWS_ENDPOINT_URL`, plain http) behind a local TLS endpoint.
    #[arg(long)]
    cold_request: bool,
    /// The naive function's folder (its `bootstrap`), run beside the others with
    /// `--cold-request`.
    #[arg(long)]
    naive: Option<PathBuf>,
    /// The sample events (`events/<function>/<file>.json`).
    #[arg(long, default_value = "events")]
    events: PathBuf,
    /// Only these functions (comma-separated names), besides hello-world and the naive
    /// function: for a quick look at a few.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Run each process at its Lambda memory's share of one core (a cgroup `cpu` quota:
    /// `MemorySize` / 1,769 MB), as Lambda runs it; moto and the harness stay at full speed.
    /// The naive function runs at each memory size a function has, and each function is set
    /// beside the naive one of its size. See [`cpu`].
    #[arg(long)]
    lambda_cpu: bool,
    /// The SAM template the memory sizes are read from (`--lambda-cpu`).
    #[arg(long, default_value = "infra/template.yaml")]
    template: PathBuf,
    /// The quota's period in microseconds (`--lambda-cpu`): the share is enforced over each
    /// period of this length.
    #[arg(long, default_value_t = 20_000)]
    cpu_period_us: u64,
}

/// What the Runtime API saw of the current cold start.
#[derive(Default)]
struct Run {
    event: Value,
    started: Option<Instant>,
    first_next: Option<Duration>,
    response: Option<Duration>,
    served: bool,
    error: Option<String>,
    /// The answer's `statusCode`, when it has one (HTTP functions).
    status: Option<u64>,
    /// Whether the answer refused the session (no real request was made).
    refused: bool,
    /// The same kind of request again, to the warm process (with `--cold-request`): served once
    /// the first is answered.
    second: Option<Value>,
    second_served: Option<Instant>,
    /// The warm request's time, from its event served to its answer.
    warm: Option<Duration>,
    /// The warm answer's `statusCode` (it must be the cold one's, or the two are not alike).
    warm_status: Option<u64>,
    /// The AWS calls of the first (cold) request, taken when it was answered.
    calls: Vec<String>,
}

type Shared = Arc<Mutex<Run>>;

async fn next(State(run): State<Shared>) -> (StatusCode, HeaderMap, String) {
    let event = {
        let mut r = run.lock().unwrap();
        let started = r.started.expect("a run in progress");
        if r.first_next.is_none() {
            r.first_next = Some(started.elapsed());
        }
        if !r.served {
            r.served = true;
            Some(r.event.to_string())
        } else if r.response.is_some() && r.second.is_some() {
            r.second_served = Some(Instant::now());
            r.second.take().map(|e| e.to_string())
        } else {
            None
        }
    };
    let Some(event) = event else {
        // The function waits for its next invocation until it is stopped.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return (StatusCode::NO_CONTENT, HeaderMap::new(), String::new());
    };
    let mut h = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    h.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("cold-start-1"),
    );
    h.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from_str(&deadline.to_string()).unwrap(),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:eu-central-1:123456789012:function:cold-start"),
    );
    h.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-00000000-000000000000000000000000;Sampled=0"),
    );
    (StatusCode::OK, h, event)
}

async fn response(State(run): State<Shared>, Path(_id): Path<String>, body: String) -> StatusCode {
    let mut r = run.lock().unwrap();
    let started = r.started.expect("a run in progress");
    if r.response.is_some() {
        r.warm = r.second_served.map(|t| t.elapsed());
        r.warm_status = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["statusCode"].as_u64());
        if body.contains("\"statusCode\":5") {
            r.error = Some(body);
        }
        return StatusCode::ACCEPTED;
    }
    r.response = Some(started.elapsed());
    r.calls = request::take_calls();
    r.status = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64());
    r.refused = ["unauthorized", "session_expired", "forbidden"]
        .iter()
        .any(|code| body.contains(&format!("\\\"code\\\":\\\"{code}\\\"")));
    if body.contains("\"statusCode\":5") {
        r.error = Some(body);
    }
    StatusCode::ACCEPTED
}

async fn error(State(run): State<Shared>, body: String) -> StatusCode {
    run.lock().unwrap().error = Some(body);
    StatusCode::ACCEPTED
}

/// The first event each function gets: one that needs no network, so the figure is the
/// function's own start and first handling.
fn first_event(name: &str) -> Value {
    match name {
        "notifier" | "outbox-relay" | "issue-documents" => json!({"Records": []}),
        n if n.starts_with("hello") => json!({"name": "kezek"}),
        _ => json!({
            "version": "2.0", "routeKey": "GET /v1/districts", "rawPath": "/v1/districts",
            "rawQueryString": "", "headers": {"accept-language": "kk"}, "isBase64Encoded": false,
            "requestContext": {"accountId": "123456789012", "apiId": "coldstart", "domainName": "localhost",
                "http": {"method": "GET", "path": "/v1/districts", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "cold-start"},
                "requestId": "cold-start-1", "routeKey": "GET /v1/districts", "stage": "$default",
                "time": "01/Jul/2026:10:00:00 +0000", "timeEpoch": 1782900000000u64}
        }),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The size of the deployment zip: the bootstrap deflated, as `cargo lambda build --output-format zip`
/// packs it.
fn zip_size(dir: &std::path::Path) -> u64 {
    let bytes = std::fs::read(dir.join("bootstrap")).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    z.start_file("bootstrap", opts).unwrap();
    std::io::Write::write_all(&mut z, &bytes).unwrap();
    z.finish().unwrap();
    out.into_inner().len() as u64
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut names: Vec<String> = std::fs::read_dir(&args.lambda_dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run cargo lambda build --release first)",
                args.lambda_dir.display()
            )
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("bootstrap").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.contains(&args.baseline),
        "no {} in {}",
        args.baseline,
        args.lambda_dir.display()
    );
    names.retain(|n| n != &args.baseline);
    if !args.only.is_empty() {
        names.retain(|n| args.only.contains(n));
    }
    names.insert(0, args.baseline.clone());
    // What runs: each function of this build, and of the `--before` build when it has it.
    let mut runs: Vec<(String, PathBuf)> = Vec::new();
    let world = if args.cold_request {
        let moto = std::env::var("AWS_ENDPOINT_URL")
            .expect("--cold-request: moto's plain endpoint in AWS_ENDPOINT_URL");
        Some(request::World::new(&moto, &args.events).await)
    } else {
        None
    };
    if let Some(naive) = &args.naive {
        assert!(
            naive.join("bootstrap").exists(),
            "no bootstrap in {}",
            naive.display()
        );
        names.insert(1, "naive".into());
    }
    for name in &names {
        if name == "naive" {
            if let Some(naive) = &args.naive {
                runs.push((name.clone(), naive.clone()));
            }
            continue;
        }
        runs.push((name.clone(), args.lambda_dir.join(name)));
        // A sweep's second request: one part from its work queue.
        let part = format!("{name}:part");
        if world.is_some() && request::EVENTS.iter().any(|(n, _)| *n == part) {
            runs.push((part, args.lambda_dir.join(name)));
        }
        if let Some(before) = &args.before {
            if before.join(name).join("bootstrap").exists() {
                runs.push((format!("{name}@before"), before.join(name)));
            }
        }
    }

    // At Lambda's CPU share: each run's memory, one cgroup per size, the naive function at
    // every size a function has.
    let mut memory: Vec<u32> = vec![256; runs.len()];
    let mut shares: std::collections::BTreeMap<u32, cpu::Share> = Default::default();
    if args.lambda_cpu {
        let (global, by_function) =
            cpu::template_memory(&args.template).unwrap_or_else(|e| panic!("--lambda-cpu: {e}"));
        let of = |label: &str| {
            let name = label.split(['@', ':']).next().unwrap_or(label);
            by_function.get(name).copied().unwrap_or(global)
        };
        memory = runs.iter().map(|(l, _)| of(l)).collect();
        let sizes: std::collections::BTreeSet<u32> = memory.iter().copied().collect();
        if let Some(at) = runs.iter().position(|(l, _)| l == "naive") {
            let dir = runs[at].1.clone();
            let own = memory[at];
            for (n, mb) in sizes.iter().filter(|mb| **mb != own).enumerate() {
                runs.insert(at + 1 + n, (format!("naive@{mb}MB"), dir.clone()));
                memory.insert(at + 1 + n, *mb);
            }
        }
        for mb in sizes {
            match cpu::Share::new(mb, args.cpu_period_us) {
                Ok(share) => {
                    shares.insert(mb, share);
                }
                Err(why) => {
                    println!(
                        "cold request at Lambda's CPU share: not measured on this machine ({why})"
                    );
                    return;
                }
            }
        }
    }

    let mut init: Vec<Vec<Duration>> = vec![Vec::new(); runs.len()];
    let mut first: Vec<Vec<Duration>> = vec![Vec::new(); runs.len()];
    let mut statuses: Vec<Option<u64>> = vec![None; runs.len()];
    let mut calls: Vec<Vec<String>> = vec![Vec::new(); runs.len()];
    let mut warm: Vec<Vec<Duration>> = vec![Vec::new(); runs.len()];
    for round in 0..args.runs {
        // A function and its `--before` build run one after the other; which goes first
        // alternates by round, so the slot (a just-stopped process, a port reused) weighs on
        // neither side.
        let mut order: Vec<usize> = (0..runs.len()).collect();
        if round % 2 == 1 {
            for pair in order.chunks_mut(2) {
                let (a, b) = (pair[0], pair.get(1).copied());
                if let Some(b) = b {
                    if runs[b].0.ends_with("@before") && !runs[a].0.ends_with("@before") {
                        pair.swap(0, 1);
                    }
                }
            }
        }
        for i in order {
            let (label, dir) = &runs[i];
            let name = label.split('@').next().unwrap_or(label);
            // A Runtime API of its own per cold start (a new port), so that a stopped
            // function's last request never meets the next one's event.
            let run: Shared = Arc::new(Mutex::new(Run {
                event: match &world {
                    Some(w) => w.event(name, round),
                    None => first_event(name),
                },
                second: world.as_ref().map(|w| w.event(name, round + 1000)),
                ..Run::default()
            }));
            let app = Router::new()
                .route("/2018-06-01/runtime/invocation/next", get(next))
                .route(
                    "/2018-06-01/runtime/invocation/{id}/response",
                    post(response),
                )
                .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
                .route("/2018-06-01/runtime/init/error", post(error))
                .with_state(run.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move { axum::serve(listener, app).await });
            run.lock().unwrap().started = Some(Instant::now());
            let mut command = Command::new(dir.join("bootstrap"));
            command
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
                .env(
                    "AWS_LAMBDA_FUNCTION_NAME",
                    name.split(':').next().unwrap_or(name),
                )
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory[i].to_string())
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "cold-start")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            match &world {
                // The cold request: the world's endpoint, secrets and resources.
                Some(w) => {
                    command
                        .env("AWS_ACCESS_KEY_ID", "testing")
                        .env("AWS_SECRET_ACCESS_KEY", "testing")
                        .envs(w.env.iter().map(|(k, v)| (k, v)));
                }
                // The cold start alone: no network, so no secret is read (local keys).
                None => {
                    command
                        .env("AWS_REGION", "eu-central-1")
                        .env("AWS_ACCESS_KEY_ID", "cold-start")
                        .env("AWS_SECRET_ACCESS_KEY", "cold-start")
                        .env("TABLE_NAME", "kezek")
                        .env("DOCUMENTS_BUCKET", "kezek-documents")
                        .env(
                            "SESSION_PUBLIC_KEYS",
                            include_str!("../../../tests/fixtures/keys/session.pub"),
                        )
                        .env(
                            "KEZEK_SESSION_PRIVATE_KEY",
                            include_str!("../../../tests/fixtures/keys/session.key"),
                        )
                        .env("KEZEK_CODE_KEY", "cold-start-code-key-0123456789abcdef")
                        .env("SENDER_EMAIL", "noreply@kezek.example.kz")
                        .env(
                            "NOTIFICATION_QUEUE_URL",
                            "https://sqs.eu-central-1.amazonaws.com/123456789012/kezek-notifications",
                        )
                        .env(
                            "SWEEP_QUEUE_URL",
                            "https://sqs.eu-central-1.amazonaws.com/123456789012/kezek-sweep-parts",
                        )
                        .env("MAX_RECEIVES", "5");
                }
            }
            if let Some(share) = shares.get(&memory[i]) {
                share.apply(&mut command);
            }
            let mut child = command.spawn().unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                tokio::time::sleep(Duration::from_micros(200)).await;
                let r = run.lock().unwrap();
                let answered = r.response.is_some()
                    && r.second.is_none()
                    && (r.second_served.is_none() || r.warm.is_some());
                if answered || r.error.is_some() || Instant::now() > deadline {
                    break;
                }
                drop(r);
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("{label} exited during its cold start ({status}): is its configuration complete?");
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            server.abort();
            {
                let r = run.lock().unwrap();
                if let Some(e) = &r.error {
                    panic!("{label} failed: {e}");
                }
                init[i].push(
                    r.first_next
                        .unwrap_or_else(|| panic!("{label} never asked for an event")),
                );
                first[i].push(
                    r.response
                        .unwrap_or_else(|| panic!("{label} never answered")),
                );
                statuses[i] = r.status;
                if let Some(w) = r.warm {
                    assert_eq!(
                        r.warm_status, r.status,
                        "{label}: the warm request was answered unlike the cold one"
                    );
                    warm[i].push(w);
                }
                if r.calls.len() > calls[i].len() {
                    calls[i] = r.calls.clone();
                }
                // A real request refused at the door made none of its calls.
                if world.is_some() && r.refused {
                    panic!(
                        "{label}: its session was refused ({:?}): no real request",
                        r.status
                    );
                }
            }
            if world.is_some() {
                // The process is stopped: what passed the TLS endpoint is all of its calls.
                tokio::time::sleep(Duration::from_millis(5)).await;
                if let Some(w) = &world {
                    w.drain().await;
                }
                // The warm request's calls: not the cold request's.
                let _ = request::take_calls();
            }
        }
    }
    let base_init = ms(median(init[0].clone()));
    let base_first = ms(median(first[0].clone()));
    if world.is_some() {
        // The naive run each function is set beside: the one of its memory size (at a full
        // core there is one naive run, of the default size, for all).
        let naive_of = |i: usize| {
            runs.iter().enumerate().position(|(j, (l, _))| {
                l.split('@').next() == Some("naive") && (!args.lambda_cpu || memory[j] == memory[i])
            })
        };
        let naive = |i: usize| naive_of(i).map(|j| ms(median(first[j].clone())));
        if args.lambda_cpu {
            println!(
                "cold request at Lambda's CPU share (each process in a cgroup cpu quota of its \
                 MemorySize / {} MB of one core, period {} us; moto at full speed), \
                 profile {}, median of {} runs each (interleaved):",
                cpu::VCPU_MB,
                args.cpu_period_us,
                args.profile,
                args.runs
            );
        } else {
            println!(
                "cold request (exec -> init -> the answer to a real request, AWS calls over TLS), \
                 profile {}, median of {} runs each (interleaved):",
                args.profile, args.runs
            );
        }
        // What the cold start itself costs: the cold request less the same request warm.
        let cost = |i: usize| {
            let w = (!warm[i].is_empty()).then(|| ms(median(warm[i].clone())));
            w.map(|w| (w, ms(median(first[i].clone())) - w))
        };
        let naive_cost = |i: usize| naive_of(i).and_then(cost).map(|(_, c)| c);
        println!(
            "{:<29} {:>4} {:>7} {:>8} {:>7} {:>7} {:>9} {:>7} {:>6} {:>5} {:>7}",
            "function",
            "MB",
            "init ms",
            "cold ms",
            "x naive",
            "warm ms",
            "cold-warm",
            "x naive",
            "answer",
            "calls",
            "zip KB"
        );
        for (i, (label, dir)) in runs.iter().enumerate() {
            let f_ms = ms(median(first[i].clone()));
            let vs_naive = naive(i)
                .map(|n| format!("{:.2}", f_ms / n))
                .unwrap_or_default();
            let (warm_ms, cost_ms, cost_x) = match (cost(i), naive_cost(i)) {
                (Some((w, c)), Some(n)) => (
                    format!("{w:.2}"),
                    format!("{c:.2}"),
                    format!("{:.2}", c / n),
                ),
                (Some((w, c)), None) => (format!("{w:.2}"), format!("{c:.2}"), String::new()),
                _ => ("-".into(), "-".into(), "-".into()),
            };
            println!(
                "{:<29} {:>4} {:>7.2} {:>8.2} {:>7} {:>7} {:>9} {:>7} {:>6} {:>5} {:>7}",
                label,
                memory[i],
                ms(median(init[i].clone())),
                f_ms,
                vs_naive,
                warm_ms,
                cost_ms,
                cost_x,
                statuses[i]
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                calls[i].len(),
                zip_size(dir) / 1024
            );
        }
        println!(
            "(cold ms: exec -> the first answer; warm ms: the same kind of request again in the \
             same process; cold-warm: what the cold start itself adds)"
        );
        println!("the AWS calls of each cold request (most seen in a run):");
        for (i, (label, _)) in runs.iter().enumerate() {
            if !calls[i].is_empty() {
                println!("  {label:<24} {}", request::summary(&calls[i]));
            }
        }
        return;
    }
    println!(
        "cold start, profile {}, median of {} runs each (interleaved), against {}:",
        args.profile, args.runs, args.baseline
    );
    println!(
        "{:<26} {:>9} {:>7} {:>12} {:>7} {:>10} {:>9}",
        "function", "init ms", "ratio", "1st resp ms", "ratio", "binary KB", "zip KB"
    );
    for (i, (label, dir)) in runs.iter().enumerate() {
        let bin = std::fs::metadata(dir.join("bootstrap")).unwrap().len();
        let i_ms = ms(median(init[i].clone()));
        let f_ms = ms(median(first[i].clone()));
        println!(
            "{:<26} {:>9.2} {:>7.2} {:>12.2} {:>7.2} {:>10} {:>9}",
            label,
            i_ms,
            i_ms / base_init,
            f_ms,
            f_ms / base_first,
            bin / 1024,
            zip_size(dir) / 1024
        );
    }
    if args.before.is_some() {
        println!("(<function>@before: the --before build, run interleaved with this one; ratios to this run's {})", args.baseline);
    }
}
