//! The flow from submission to enrolment driven through the Lambda handlers, each built as its
//! Lambda builds it at cold start, on DynamoDB in moto; the notifications of the flow then go
//! through the notifier's SQS handler.

use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};

#[tokio::test]
async fn submission_to_enrolment_through_the_lambda_handlers() {
    let env = Env::dynamodb().await;
    let parent = env.parent();
    let operator = env.operator();

    // Submit (the submit function).
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "parent@example.kz",
        "phone": "+77011234567", "language": "kk"});
    let (s, app) = env
        .http(
            "POST",
            "/v1/applications",
            Some(body.clone()),
            Some(&parent),
        )
        .await;
    assert_eq!(s, 201, "{app}");
    assert_eq!(app["status"], "queued");
    assert_eq!(app["queue"]["position"], 1);
    let id = app["id"].as_str().unwrap().to_owned();
    let age = app["age_group"].as_u64().unwrap();

    // The same child again: 409, nothing written.
    let (s, dup) = env
        .http("POST", "/v1/applications", Some(body), Some(&parent))
        .await;
    assert_eq!(
        (s, dup["error"]["code"].as_str()),
        (409, Some("duplicate_child"))
    );

    // A voucher run (the issue-voucher function, as an operator starts it).
    let run = json!({"district": "KOK", "age_group": age});
    let (s, r) = env
        .http("POST", "/v1/admin/voucher-runs", Some(run), Some(&operator))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["application_ids"], json!([id]));

    // Confirm (the confirm function), then choose and sign (select-kindergarten).
    let (s, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{id}/voucher/confirm"),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(
        (s, a["status"].as_str()),
        (200, Some("voucher_active")),
        "{a}"
    );
    let choose = json!({"kindergarten_id": KINDERGARTEN});
    let (s, a) = env
        .http(
            "POST",
            &format!("/v1/applications/{id}/kindergarten"),
            Some(choose),
            Some(&parent),
        )
        .await;
    assert_eq!((s, a["status"].as_str()), (200, Some("enrolled")), "{a}");
    assert_eq!(a["voucher"]["kindergarten_id"], KINDERGARTEN);

    // Reads (read-api): the application and its history, oldest first.
    let (s, h) = env
        .http(
            "GET",
            &format!("/v1/applications/{id}/history"),
            None,
            Some(&parent),
        )
        .await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submit",
            "offer_voucher",
            "confirm_voucher",
            "choose_kindergarten"
        ]
    );

    // The place is taken in the catalogue; the operator's stats count the enrolment.
    let (_, kgs) = env
        .http(
            "GET",
            &format!("/v1/kindergartens?district=KOK&age_group={age}"),
            None,
            None,
        )
        .await;
    let kg = kgs
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == KINDERGARTEN)
        .unwrap()
        .clone();
    let (_, stats) = env
        .http("GET", "/v1/admin/stats?district=KOK", None, Some(&operator))
        .await;
    assert_eq!(stats["by_status"]["enrolled"], 1, "{stats}");
    assert_eq!(stats["notifications"]["pending"], 4, "{stats}");
    assert!(
        kg["free_places"][age.to_string()].as_u64().is_some(),
        "{kg}"
    );

    // The scheduled sweeps run on the same table and find nothing due.
    let report = env.scheduled(Function::ExpirySweep, json!({})).await;
    assert_eq!(report["lapsed"], 0, "{report}");
    let report = env
        .scheduled(Function::ReconfirmationReminder, json!({}))
        .await;
    assert_eq!(report["lapsed"], 0, "{report}");

    // The flow's notifications through the notifier, as SQS delivers them; a redelivered
    // batch reports no failure.
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(100)
        .await
        .unwrap();
    assert_eq!(pending.len(), 4);
    let records: Vec<Value> = pending
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"messageId": format!("m{i}"), "body": serde_json::to_string(n).unwrap(),
            "eventSource": "aws:sqs", "attributes": {}, "messageAttributes": {}})
        })
        .collect();
    let out = env
        .invoke(Function::Notifier, json!({ "Records": records }))
        .await;
    assert_eq!(out["batchItemFailures"], json!([]), "{out}");
    let sent = env.recorder.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 8, "an e-mail and an SMS each");
    assert!(sent.iter().any(|m| m.to == "parent@example.kz"));
    let (_, stats) = env
        .http("GET", "/v1/admin/stats?district=KOK", None, Some(&operator))
        .await;
    assert_eq!(stats["notifications"]["pending"], 0, "{stats}");
}
