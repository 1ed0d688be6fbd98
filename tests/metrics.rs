//! The EMF lines a flow logs carry every metric the operators' dashboard in
//! `infra/template.yaml` reads, with the dimensions it searches by; and every metric the service
//! emits is on the dashboard. (Its own test binary: the metrics recorder is process-wide.)

use kezek_core::ports::SendError;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// (metric, dimensions) pairs the dashboard searches in the Kezek namespace.
fn dashboard() -> BTreeSet<(String, Vec<String>)> {
    let text = std::fs::read_to_string(format!(
        "{}/../infra/template.yaml",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    ))
    .unwrap();
    let mut out = BTreeSet::new();
    for part in text.split("SEARCH('{Kezek,").skip(1) {
        let dims: Vec<String> = part
            .split('}')
            .next()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        let name = part
            .split("MetricName=\\\"")
            .nth(1)
            .and_then(|r| r.split("\\\"").next())
            .expect("a MetricName in the search");
        out.insert((name.to_owned(), dims));
    }
    out
}

fn emitted(lines: &str) -> BTreeMap<String, BTreeSet<Vec<String>>> {
    let mut out: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let doc: Value = serde_json::from_str(line).expect("each EMF line is JSON");
        for d in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(d["Namespace"], kezek_lambda::METRICS_NAMESPACE);
            let mut dims: Vec<String> = d["Dimensions"][0]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            dims.sort();
            for m in d["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap().to_owned();
                assert!(
                    doc.get(&name).is_some(),
                    "the value of {name} is in the document"
                );
                out.entry(name).or_default().insert(dims.clone());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_flow_emits_every_metric_the_dashboard_reads() {
    let metrics = kezek_lambda::metrics_collector().unwrap();
    let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
    let parent = env.parent();
    let operator = env.operator();
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let mut ids = Vec::new();
    for child in [CHILD, "230420600000", "230510500002"] {
        let body = json!({"district": "KOK", "child_iin": child, "email": "p@example.kz", "phone": "+77011234567"});
        let (s, a) = env
            .http("POST", "/v1/applications", Some(body), Some(&parent))
            .await;
        assert_eq!(s, 201, "{a}");
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    // Three vouchers: one confirmed and enrolled, one lapses to the stop-list and is restored,
    // one refused.
    let run = json!({"district": "KOK", "age_group": 3});
    let (_, r) = env
        .http("POST", "/v1/admin/voucher-runs", Some(run), Some(&operator))
        .await;
    assert_eq!(r["offered"], 3, "{r}");
    let (_, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{}/voucher/confirm", ids[0]),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(a["status"], "voucher_active");
    let kg = json!({"kindergarten_id": KINDERGARTEN});
    let (s, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{}/kindergarten", ids[0]),
            Some(kg),
            Some(&parent),
        )
        .await;
    assert_eq!((s, a["status"].as_str()), (200, Some("enrolled")), "{a}");
    let (_, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{}/voucher/refuse", ids[2]),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(a["status"], "archived");
    let (_, a) = env
        .http(
            "GET",
            &format!("/v1/applications/{}", ids[1]),
            None,
            Some(&parent),
        )
        .await;
    env.set_clock(time(&a["voucher"]["confirm_by"]) + chrono::Duration::minutes(5));
    let report = env.scheduled(Function::ExpirySweep, json!({})).await;
    assert_eq!(report["lapsed"], 1, "{report}");
    let (_, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{}/restore", ids[1]),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(a["status"], "queued", "{a}");
    // The reconfirmation window: a reminder, then the reconfirmation.
    env.set_clock(time(&a["reconfirm_by"]) - chrono::Duration::days(6));
    let report = env
        .scheduled(Function::ReconfirmationReminder, json!({}))
        .await;
    assert!(report["reminders"].as_u64().unwrap() >= 1, "{report}");
    let (s, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{}/reconfirm", ids[1]),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    // Notifications: one sent, one refused for good.
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(2)
        .await
        .unwrap();
    let batch = |n: &kezek_core::domain::Notification| json!({"Records": [{"messageId": n.id, "body": serde_json::to_string(n).unwrap(), "eventSource": "aws:sqs"}]});
    env.invoke(Function::Notifier, batch(&pending[0])).await;
    *env.recorder.failing.lock().unwrap() = Some(SendError {
        message: "MessageRejected".into(),
        retryable: false,
    });
    env.invoke(Function::Notifier, batch(&pending[1])).await;

    let mut buf = Vec::new();
    metrics.flush(&mut buf).unwrap();
    let emitted = emitted(&String::from_utf8(buf).unwrap());
    let dashboard = dashboard();
    assert!(!dashboard.is_empty());
    for (name, dims) in &dashboard {
        let mut dims = dims.clone();
        dims.sort();
        let seen = emitted
            .get(name)
            .unwrap_or_else(|| panic!("the flow emitted no {name}: {emitted:?}"));
        assert!(
            seen.contains(&dims),
            "{name} is emitted with {seen:?}, the dashboard searches {dims:?}"
        );
    }
    let on_dashboard: BTreeSet<&str> = dashboard.iter().map(|(n, _)| n.as_str()).collect();
    for name in kezek_core::telemetry::ALL {
        assert!(
            on_dashboard.contains(name),
            "{name} is emitted but not on the dashboard"
        );
    }
    println!(
        "EMF metrics emitted by the flow: {:?}",
        emitted.keys().collect::<Vec<_>>()
    );
}
