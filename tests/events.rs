//! Every file in `events/` is fed to its function's handler (the folder names the function), on
//! the embedded store, after the set-up the event needs; the response is checked. The table
//! below and the folder must list the same files.

use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// What an event needs before it is sent.
#[derive(Debug, Clone, Copy)]
enum Setup {
    Nothing,
    Queued,
    QueuedWithPrivilege,
    ReconfirmWindow,
    Offered,
    Active,
    ActiveLastDay,
    StopListed,
    /// Offered, and the clock past the offer's deadline (not yet swept).
    OfferLapsed,
}

/// What the response must be.
enum Expect {
    Status(u16),
    /// A page of the portal: this status, its HTML containing this text.
    Page(u16, &'static str),
    /// 4xx with this error code, its message in Kazakh.
    ErrorKk(u16, &'static str),
    /// A scheduled run's report with this field.
    Report(&'static str),
    /// 200 with a CSV body (`text/csv`) starting with this line.
    Csv(&'static str),
    /// An SQS batch response failing exactly these message ids.
    BatchFailures(&'static [&'static str]),
    /// A stream batch relayed whole to the notifier's queue.
    Relayed(usize),
    /// A stream batch whose event issued this document of the application.
    Issued(kezek_core::documents::DocumentKind),
    /// The authorizer's simple response.
    Authorized(bool),
    /// A batch of one unit of the scheduled voucher runs, done: its offers, no places left over.
    RunPart(u64),
    /// A batch of one sweep part, done: its deadlines lapsed and reminders sent.
    Swept {
        lapsed: u64,
        reminders: u64,
    },
}

use Expect::*;
use Setup::*;

const CASES: &[(&str, Setup, Expect)] = &[
    ("read-api/health.json", Nothing, Status(200)),
    ("read-api/districts.json", Nothing, Status(200)),
    ("read-api/kindergartens.json", Nothing, Status(200)),
    ("read-api/voucher-runs.json", Nothing, Status(200)),
    ("read-api/queue-check.json", Queued, Status(200)),
    ("read-api/open-data.json", Queued, Status(200)),
    (
        "read-api/open-data-csv.json",
        Queued,
        Csv("registration_number,registered_on,age_group,status,position"),
    ),
    ("read-api/journal.json", Queued, Status(200)),
    ("read-api/application.json", Queued, Status(200)),
    ("read-api/history.json", Queued, Status(200)),
    ("read-api/queue-history.json", Queued, Status(200)),
    ("read-api/wait-estimate.json", Queued, Status(200)),
    ("submit/submit.json", Nothing, Status(201)),
    (
        "submit/submit-bad-iin.json",
        Nothing,
        ErrorKk(400, "invalid_iin"),
    ),
    ("confirm/reconfirm.json", ReconfirmWindow, Status(200)),
    ("confirm/voucher-confirm.json", Offered, Status(200)),
    ("select-kindergarten/choose.json", Active, Status(200)),
    ("parent-actions/extend.json", ActiveLastDay, Status(200)),
    ("parent-actions/refuse.json", Offered, Status(200)),
    ("parent-actions/restore.json", StopListed, Status(200)),
    ("parent-actions/withdraw.json", Queued, Status(200)),
    ("profile/me.json", Queued, Status(200)),
    ("profile/update-me.json", Queued, Status(200)),
    ("profile/link-child.json", Nothing, Status(200)),
    ("operator/create-kindergarten.json", Nothing, Status(201)),
    ("operator/update-kindergarten.json", Nothing, Status(200)),
    ("operator/places.json", Nothing, Status(200)),
    ("operator/queue.json", Queued, Status(200)),
    ("operator/stats.json", Queued, Status(200)),
    (
        "operator/reject-privilege.json",
        QueuedWithPrivilege,
        Status(200),
    ),
    ("issue-voucher/voucher-run.json", Queued, Status(200)),
    (
        "issue-voucher/scheduled.json",
        Queued,
        Report("voucher_runs"),
    ),
    (
        "issue-voucher/scheduled-district.json",
        Queued,
        Report("voucher_runs"),
    ),
    ("issue-voucher/part.json", Queued, RunPart(1)),
    ("expiry-sweep/sweep.json", Offered, Status(200)),
    ("expiry-sweep/scheduled.json", Offered, Report("parts")),
    (
        "expiry-sweep/part.json",
        OfferLapsed,
        Swept {
            lapsed: 1,
            reminders: 0,
        },
    ),
    ("reconfirmation-reminder/sweep.json", Queued, Status(200)),
    (
        "reconfirmation-reminder/scheduled.json",
        Queued,
        Report("parts"),
    ),
    (
        "reconfirmation-reminder/open-data.json",
        Queued,
        Report("open_data"),
    ),
    (
        "reconfirmation-reminder/part.json",
        ReconfirmWindow,
        Swept {
            lapsed: 0,
            reminders: 1,
        },
    ),
    ("outbox-relay/stream.json", Queued, Relayed(1)),
    (
        "issue-documents/stream.json",
        Queued,
        Issued(kezek_core::documents::DocumentKind::Registration),
    ),
    ("auth/otp.json", Nothing, Status(202)),
    (
        "auth/otp-verify-wrong-code.json",
        Nothing,
        ErrorKk(401, "code_invalid"),
    ),
    ("auth/eds-challenge.json", Nothing, Status(200)),
    (
        "auth/eds-verify-unknown-nonce.json",
        Nothing,
        ErrorKk(401, "nonce_unknown"),
    ),
    ("authorizer/operator.json", Nothing, Authorized(true)),
    ("documents/upload.json", Nothing, Status(201)),
    (
        "documents/upload-too-large.json",
        Nothing,
        ErrorKk(400, "document_too_large"),
    ),
    ("documents/list.json", Queued, Status(200)),
    ("authorizer/parent.json", Nothing, Authorized(false)),
    ("web/home.json", Nothing, Page(200, "<html lang=\"kk\"")),
    // The journal of the session's parent, in the language of the cookie, with the application.
    ("web/journal.json", Queued, Page(200, "Журнал заявлений")),
    (
        "notifier/batch.json",
        Queued,
        BatchFailures(&["6a1b2c3d-0000-4000-8000-000000000002"]),
    ),
];

fn events_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        Path::new(
            &std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("../events")
    })
}

fn files() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in std::fs::read_dir(events_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                let rel = f.strip_prefix(events_dir()).unwrap();
                out.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// Brings an application to the state an event needs; returns its id.
async fn set_up(env: &Env, setup: Setup) -> Option<String> {
    let parent = env.parent();
    let operator = env.operator();
    let submit = |privilege: Option<Value>| {
        let mut body = json!({"district": "KOK", "child_iin": CHILD, "email": "parent@example.kz",
            "phone": "+77011234567", "language": "kk"});
        if let Some(p) = privilege {
            body["privilege"] = p;
        }
        body
    };
    let id = match setup {
        Nothing => return None,
        QueuedWithPrivilege => {
            let upload =
                json!({"name": "справка.pdf", "content_type": "application/pdf", "size": 1000});
            let (s, doc) = env
                .http("POST", "/v1/documents", Some(upload), Some(&parent))
                .await;
            assert_eq!(s, 201, "{doc}");
            let body = submit(Some(
                json!({"category": "military", "document_ids": [doc["id"]]}),
            ));
            let (s, app) = env
                .http("POST", "/v1/applications", Some(body), Some(&parent))
                .await;
            assert_eq!(s, 201, "{app}");
            return Some(app["id"].as_str().unwrap().to_owned());
        }
        _ => {
            let (s, app) = env
                .http(
                    "POST",
                    "/v1/applications",
                    Some(submit(None)),
                    Some(&parent),
                )
                .await;
            assert_eq!(s, 201, "{app}");
            app["id"].as_str().unwrap().to_owned()
        }
    };
    let app = |id: String| async move {
        let (s, app) = env
            .http(
                "GET",
                &format!("/v1/applications/{id}"),
                None,
                Some(&env.parent()),
            )
            .await;
        assert_eq!(s, 200);
        app
    };
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    match setup {
        Queued => {}
        ReconfirmWindow => {
            let a = app(id.clone()).await;
            env.set_clock(time(&a["reconfirm_by"]) - chrono::Duration::days(10));
        }
        _ => {
            let run = json!({"district": "KOK", "age_group": 3});
            let (s, r) = env
                .http("POST", "/v1/admin/voucher-runs", Some(run), Some(&operator))
                .await;
            assert_eq!((s, r["offered"].as_u64()), (200, Some(1)), "{r}");
            match setup {
                Offered => {}
                OfferLapsed => {
                    let a = app(id.clone()).await;
                    env.set_clock(time(&a["voucher"]["confirm_by"]) + chrono::Duration::hours(1));
                }
                StopListed => {
                    let a = app(id.clone()).await;
                    env.set_clock(time(&a["voucher"]["confirm_by"]) + chrono::Duration::hours(1));
                    env.scheduled(Function::ExpirySweep, json!({})).await;
                    assert_eq!(app(id.clone()).await["status"], "stop_listed");
                }
                _ => {
                    let path = format!("/v1/applications/{id}/voucher/confirm");
                    let (s, a) = env.http("POST", &path, None, Some(&parent)).await;
                    assert_eq!(s, 200, "{a}");
                    if let ActiveLastDay = setup {
                        env.set_clock(
                            time(&a["voucher"]["choose_by"]) - chrono::Duration::hours(8),
                        );
                    }
                }
            }
        }
    }
    Some(id)
}

#[tokio::test]
async fn every_sample_event_gets_its_expected_response() {
    let listed: BTreeSet<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    assert_eq!(
        files(),
        listed,
        "events/ and this table must list the same files"
    );
    for f in Function::ALL {
        assert!(
            listed
                .iter()
                .any(|l| l.starts_with(&format!("{}/", f.name()))),
            "function {} has no sample event",
            f.name()
        );
    }
    for (file, setup, expect) in CASES {
        let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
        let id = set_up(&env, *setup).await.unwrap_or_default();
        let function = Function::parse(file.split('/').next().unwrap()).unwrap();
        let text = std::fs::read_to_string(events_dir().join(file)).unwrap();
        let text = text
            .replace("${PARENT_TOKEN}", &env.parent())
            .replace("${OPERATOR_TOKEN}", &env.operator())
            .replace("${APPLICATION_ID}", &id);
        let event: Value = serde_json::from_str(&text).unwrap();
        // The authorizer sees the route it guards, served by another function.
        let route = event.get("routeKey").and_then(Value::as_str);
        // The portal's pages are every path outside /v1: no route of the API's.
        if let Some(route) =
            route.filter(|_| !matches!(function, Function::Authorizer | Function::Web))
        {
            assert_eq!(
                Function::of_route(route),
                Some(function),
                "{file}: its route belongs to its folder's function"
            );
        }
        let out = env.invoke(function, event).await;
        match expect {
            Page(s, text) => {
                assert_eq!(out["statusCode"], *s, "{file}: {out}");
                let html = out["body"].as_str().unwrap_or_default();
                assert!(html.contains(text), "{file}: {html}");
                assert!(
                    out.to_string().contains("content-security-policy"),
                    "{file}: {out}"
                );
            }
            Status(s) => {
                let (status, body) = response(&out);
                assert_eq!(status, *s, "{file}: {body}");
            }
            ErrorKk(s, code) => {
                let (status, body) = response(&out);
                assert_eq!(status, *s, "{file}: {body}");
                assert_eq!(body["error"]["code"], *code, "{file}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(
                    message.chars().any(|c| "әғқңөұүһі".contains(c)),
                    "{file}: a Kazakh message: {message}"
                );
            }
            Authorized(allowed) => {
                assert_eq!(out["isAuthorized"], *allowed, "{file}: {out}");
            }
            Csv(header) => {
                assert_eq!(out["statusCode"], 200, "{file}: {out}");
                assert_eq!(
                    out["headers"]["content-type"], "text/csv; charset=utf-8",
                    "{file}: {out}"
                );
                let csv = out["body"].as_str().unwrap_or_default();
                assert_eq!(csv.split("\r\n").next(), Some(*header), "{file}: {csv}");
                assert_eq!(csv.lines().count(), 2, "the queued child: {csv}");
            }
            Report(field) => {
                assert!(out.get(*field).is_some(), "{file}: {out}");
                if file.starts_with("issue-voucher") {
                    // One unit per age group, of every district or of the one named; the units
                    // from the work queue offer the queued child its voucher.
                    let districts = if file.contains("district") {
                        1
                    } else {
                        kezek_core::reference::Reference::builtin().districts.len()
                    };
                    assert_eq!(out["voucher_runs"], 8 * districts, "{file}: {out}");
                    let runs = env.drain_parts(function).await;
                    assert_eq!(runs.len(), 8 * districts, "{file}");
                    let offered: u64 = runs.iter().filter_map(|r| r["offered"].as_u64()).sum();
                    assert_eq!(offered, 1, "{file}: {runs:?}");
                }
                if *field == "open_data" {
                    // Every district, four files each; KOK's queued child in its rows.
                    let districts = out["open_data"]["districts"].as_array().unwrap();
                    assert!(districts.len() > 1, "{file}: {out}");
                    let kok = districts.iter().find(|d| d["district"] == "KOK").unwrap();
                    assert_eq!(kok["rows"], 1, "{file}: {out}");
                    assert_eq!(kok["keys"].as_array().unwrap().len(), 4, "{file}: {out}");
                }
            }
            RunPart(offered) => {
                assert_eq!(out["batchItemFailures"], json!([]), "{file}: {out}");
                let reports = out["reports"].as_array().unwrap();
                assert_eq!(reports.len(), 1, "{file}: {out}");
                assert_eq!(reports[0]["offered"], *offered, "{file}: {out}");
                assert_eq!(reports[0]["more"], false, "{file}: {out}");
            }
            Swept { lapsed, reminders } => {
                assert_eq!(out["batchItemFailures"], json!([]), "{file}: {out}");
                let reports = out["reports"].as_array().unwrap();
                assert_eq!(reports.len(), 1, "{file}: {out}");
                assert_eq!(reports[0]["lapsed"], *lapsed, "{file}: {out}");
                assert_eq!(reports[0]["reminders"], *reminders, "{file}: {out}");
            }
            Relayed(n) => {
                assert_eq!(out["batchItemFailures"], json!([]), "{file}: {out}");
                let published = env.queue.published.lock().unwrap();
                assert_eq!(published.len(), *n, "{file}");
                assert_eq!(published[0].application_id.as_deref(), Some(id.as_str()));
            }
            Issued(kind) => {
                assert_eq!(out["batchItemFailures"], json!([]), "{file}: {out}");
                let service = &env.handler(kezek_lambda::Function::IssueDocuments).service;
                let id = kezek_core::documents::issued_id(&id, *kind);
                let doc = service.store.document(&id).await.unwrap();
                assert!(doc.is_some_and(|d| d.size > 1000), "{file}: {id} issued");
            }
            BatchFailures(ids) => {
                let failed: Vec<&str> = out["batchItemFailures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["itemIdentifier"].as_str().unwrap())
                    .collect();
                assert_eq!(failed, *ids, "{file}: {out}");
                let sent = env.recorder.sent.lock().unwrap();
                assert_eq!(sent.len(), 2, "the e-mail and the SMS of the good message");
                assert!(sent
                    .iter()
                    .all(|m| m.language == kezek_core::domain::Language::Kk));
            }
        }
    }
}
