//! The flow from submission to enrolment driven through the Lambda handlers, each built as its
//! Lambda builds it at cold start, on DynamoDB, SQS and SES in moto; the flow's notifications go
//! from the outbox through the relay (stream records), the queue and the notifier to SES.

use kezek_core::ports::SendError;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::test]
async fn submission_to_enrolment_through_the_lambda_handlers() {
    let env = Env::dynamodb(5).await;
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
    let (s, a) = env.act(&id, "voucher/confirm", None, &parent).await;
    assert_eq!(
        (s, a["status"].as_str()),
        (200, Some("voucher_active")),
        "{a}"
    );
    let choose = json!({"kindergarten_id": KINDERGARTEN});
    let (s, a) = env.act(&id, "kindergarten", Some(choose), &parent).await;
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

    // The flow's notifications: the relay publishes the outbox entries the stream shows it,
    // the notifier sends each by SES (and SNS) once.
    let event = env.outbox_stream_event().await;
    assert_eq!(event["Records"].as_array().unwrap().len(), 4);
    let out = env.invoke(Function::OutboxRelay, event.clone()).await;
    assert_eq!(out["batchItemFailures"], json!([]), "{out}");
    let (received, failed) = env.poll_notifications().await;
    assert_eq!((received, failed), (4, 0));
    let mails = sent_emails(&env);
    assert_eq!(mails.len(), 4, "{mails:?}");
    for m in &mails {
        assert_eq!(
            m["destinations"]["ToAddresses"],
            json!(["parent@example.kz"]),
            "{m}"
        );
        let subject = m["subject"].as_str().unwrap();
        assert!(
            subject.chars().any(|c| "әғқңөұүһі".contains(c)),
            "the parent asked for Kazakh: {subject}"
        );
    }
    let (_, stats) = env
        .http("GET", "/v1/admin/stats?district=KOK", None, Some(&operator))
        .await;
    assert_eq!(stats["notifications"]["pending"], 0, "{stats}");

    // The same entries published again (a stream retry, the safety net) send nothing twice.
    env.invoke(Function::OutboxRelay, event).await;
    let (received, failed) = env.poll_notifications().await;
    assert_eq!((received, failed), (4, 0));
    assert_eq!(
        sent_emails(&env).len(),
        4,
        "an SQS message delivered twice sends one e-mail"
    );
}

/// The e-mails moto's SES accepted from this environment's sender.
fn sent_emails(env: &Env) -> Vec<Value> {
    let _ = env;
    let url = format!(
        "{}/moto-api/data.json",
        kezek_contract::moto::private_endpoint()
    );
    let out = std::process::Command::new("curl")
        .args(["-s", &url])
        .output()
        .unwrap();
    let data: Value = serde_json::from_slice(&out.stdout).unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.to_string().contains("parent@example.kz"))
        .collect()
}

#[tokio::test]
async fn a_failing_provider_leaves_the_message_for_retry_then_in_the_dead_letter_queue() {
    let failing = Arc::new(Recorder::default());
    *failing.failing.lock().unwrap() = Some(SendError {
        message: "Throttling".into(),
        retryable: true,
    });
    let env = Env::dynamodb(2)
        .await
        .with_notifier_sender(failing.clone(), 2);
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "retry@example.kz",
        "phone": "+77011234567", "language": "ru"});
    let (s, _) = env
        .http("POST", "/v1/applications", Some(body), Some(&env.parent()))
        .await;
    assert_eq!(s, 201);
    let out = env
        .invoke(Function::OutboxRelay, env.outbox_stream_event().await)
        .await;
    assert_eq!(out["batchItemFailures"], json!([]));

    // First receive: the send fails, the message stays for a retry, the outbox entry pending.
    assert_eq!(env.poll_notifications().await, (1, 1));
    assert_eq!(stats(&env).await, (Some(1), Some(0)));
    // The last receive: still failing; recorded as failed, and SQS moves it to the DLQ.
    assert_eq!(env.poll_notifications().await, (1, 1));
    assert_eq!(env.poll_notifications().await, (0, 0));
    assert_eq!(env.dead_letters().await, 1);
    assert_eq!(
        stats(&env).await,
        (Some(0), Some(1)),
        "the outbox keeps it, as failed"
    );
    assert!(failing.sent.lock().unwrap().is_empty());
}

/// (pending, failed) notifications in the operators' stats of Kokshetau.
async fn stats(env: &Env) -> (Option<u64>, Option<u64>) {
    let (_, stats) = env
        .http(
            "GET",
            "/v1/admin/stats?district=KOK",
            None,
            Some(&env.operator()),
        )
        .await;
    let n = &stats["notifications"];
    (n["pending"].as_u64(), n["failed"].as_u64())
}

/// A calendar an operator published in the table is what the functions use after a cold start; a
/// published file that fails the checks is refused and the shipped calendar stays in force.
#[tokio::test]
async fn a_published_calendar_is_read_at_cold_start_and_a_refused_one_falls_back() {
    use chrono::NaiveDate;
    let shared = moto_config(kezek_contract::moto::endpoint()).await;
    let table = format!("kezek-calendar-{}", uuid::Uuid::new_v4().simple());
    let store = kezek_aws::DynamoStore::new(kezek_aws::dynamodb_client_from(&shared, None), &table);
    store.ensure_table().await.unwrap();
    let new_year_eve = NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    let now = kezek_core::time::local(chrono::Utc::now());
    assert!(
        kezek_lambda::published_calendar(&store).await.is_none(),
        "nothing published"
    );

    // 2027 with Friday 31 December made a day off by a (test) decree.
    let shipped = include_str!("../shared/core/data/calendar/2027.toml");
    let corrected = shipped.replace("working_days = 247", "working_days = 246")
        + "\n[[day_off]]\ndate = 2027-12-31\nname = \"test transfer\"\ndecree = \"a test decree\"\n";
    store.publish_calendar(2027, &corrected, now).await.unwrap();
    let calendar = kezek_lambda::published_calendar(&store)
        .await
        .expect("in force");
    assert!(!calendar.is_working_day(new_year_eve));
    assert!(kezek_core::calendar::Calendar::builtin().is_working_day(new_year_eve));
    assert_eq!(
        calendar.working_days_in(2026),
        247,
        "the shipped years stay"
    );

    // A wrong working-day count: refused, the shipped calendar is used.
    let wrong = shipped.replace("working_days = 247", "working_days = 240");
    store.publish_calendar(2027, &wrong, now).await.unwrap();
    assert!(kezek_lambda::published_calendar(&store).await.is_none());
}

/// Issue 16 (security probe L-4): a one-time code's outbox entry on DynamoDB expires with the
/// code (`ttl` within its lifetime) and keeps no code once it is sent.
#[tokio::test]
async fn a_sent_code_leaves_no_code_in_the_outbox() {
    let env = Env::dynamodb(5).await;
    let (st, sent) = env
        .http(
            "POST",
            "/v1/auth/otp",
            Some(json!({"iin": PARENT, "phone": "+77011234567"})),
            None,
        )
        .await;
    assert_eq!(st, 202, "{sent}");
    let expires = chrono::DateTime::parse_from_rfc3339(sent["expires_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    let aws = env.aws.as_ref().unwrap();
    let client = aws_sdk_dynamodb::Client::new(&aws.shared);
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(100)
        .await
        .unwrap();
    let otp = pending
        .iter()
        .find(|n| n.kind == kezek_core::domain::NotificationKind::OtpCode)
        .expect("the code's notification")
        .clone();
    let item = || async {
        client
            .get_item()
            .table_name(&aws.table)
            .key(
                "PK",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("NOTIF#{}", otp.id)),
            )
            .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("N".into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap()
    };
    let before = item().await;
    let ttl: i64 = before["ttl"].as_n().unwrap().parse().unwrap();
    assert!(
        ttl <= expires + 1,
        "ttl {ttl} within the code's lifetime ({expires})"
    );
    let batch = json!({"Records": [{"messageId": "m1", "body": serde_json::to_string(&otp).unwrap(),
        "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}]});
    env.invoke(Function::Notifier, batch).await;
    let after = item().await;
    let params = after["n"].as_m().unwrap()["params"].as_m().unwrap();
    assert!(!params.contains_key("code"), "{params:?}");
    assert!(after.contains_key("delivered_at"), "{after:?}");
}

/// Issue 16: a session secret that is not the expected JSON stops a function's cold start with an
/// error naming the secret, never its text (it used to be taken whole as the key, with no NCA roots).
#[tokio::test]
async fn a_malformed_secret_stops_the_cold_start() {
    let shared = moto_config(kezek_contract::moto::private_endpoint()).await;
    let secret = aws_sdk_secretsmanager::Client::new(&shared)
        .create_secret()
        .name(format!("kezek-bad-{}", uuid::Uuid::new_v4().simple()))
        .secret_string("bare-secret-text-0123456789abcdef0123456789")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let settings = kezek_lambda::Settings {
        table: "kezek-unused".into(),
        session_public_keys: Some(kezek_tests::SESSION_PUBLIC.into()),
        session_signing_secret: Some(secret.clone()),
        session_private_key: None,
        code_key_secret: None,
        code_key: Some(b"code-key-of-the-test-0123456789abcdef".to_vec()),
        registers_secret: None,
        nca_roots: None,
        eds_revocation: Default::default(),
        documents_bucket: None,
        s3_path_style: true,
        registers_url: None,
        sender_email: None,
        queue_url: None,
        sweep_queue_url: None,
        max_receives: None,
        support_phone: "1414".into(),
        ncalayer_url: None,
        dashboard_url: None,
        calendar_from_table: false,
    };
    let err =
        match kezek_lambda::build(Function::Auth, &shared, &settings, Default::default()).await {
            Ok(_) => panic!("a malformed secret was accepted"),
            Err(e) => e.to_string(),
        };
    assert!(err.contains(&secret), "{err}");
    assert!(!err.contains("bare-secret-text"), "{err}");
}

/// An application item that cannot be read (a status without the fields it needs, as only a
/// broken or foreign writer leaves) is left out of the sweep's page and logged, so it cannot hold
/// up the other families' deadlines; reading it alone is still an error.
#[tokio::test]
async fn an_unreadable_item_does_not_stop_the_sweep() {
    let env = Env::dynamodb(5).await;
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "p@example.kz",
        "phone": "+77011234567"});
    let (st, app) = env
        .http("POST", "/v1/applications", Some(body), Some(&env.parent()))
        .await;
    assert_eq!(st, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let aws = env.aws.as_ref().unwrap();
    let client = aws_sdk_dynamodb::Client::new(&aws.shared);
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.to_owned());
    let mut item = client
        .get_item()
        .table_name(&aws.table)
        .key("PK", s(&format!("APP#{id}")))
        .key("SK", s("A"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    // A copy under another id, "voucher_active" without a voucher, due since long ago.
    let bad = uuid::Uuid::new_v4().to_string();
    item.insert("PK".into(), s(&format!("APP#{bad}")));
    item.insert("id".into(), s(&bad));
    item.insert("status".into(), s("voucher_active"));
    for k in ["child_iin", "GSI1PK", "GSI1SK", "GSI3PK", "GSI3SK"] {
        item.remove(k);
    }
    item.insert("child_iin".into(), s("230315500002"));
    item.insert("GSI2SK".into(), s(&format!("00000000000000000#{bad}")));
    client
        .put_item()
        .table_name(&aws.table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    assert!(
        env.store.application(&bad).await.is_err(),
        "read alone, it is refused"
    );
    let due = env
        .store
        .due(
            kezek_core::lifecycle::Sweep::Reconfirmation,
            kezek_core::time::local(env.now()),
            100,
        )
        .await
        .expect("the sweep's page is read");
    assert!(
        due.iter().all(|a| a.id != bad),
        "the unreadable item is left out"
    );
    let report = env.scheduled(Function::ExpirySweep, json!({})).await;
    assert!(report.get("examined").is_some(), "{report}");
}

/// Issue 16: a function where codes are optional (submit) reads no secret at its start; the first
/// request that brings a code reads the code key from Secrets Manager (the same key `auth` read at
/// its start, so the code `auth` sent checks out), and a malformed code-key secret refuses the
/// coded request with 503 and never uses the text as a key.
#[tokio::test]
async fn a_code_signed_submit_reads_the_code_key_when_first_needed() {
    let env = Env::dynamodb(5).await;
    let (st, _) = env
        .http(
            "POST",
            "/v1/auth/otp",
            Some(json!({"iin": PARENT, "phone": "+77011234567"})),
            None,
        )
        .await;
    assert_eq!(st, 202);
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(100)
        .await
        .unwrap();
    let otp = pending
        .iter()
        .find(|n| n.kind == kezek_core::domain::NotificationKind::OtpCode)
        .expect("the code's notification");
    let code = match &otp.params["code"] {
        kezek_core::domain::Param::Text(c) => c.clone(),
        other => panic!("{other:?}"),
    };
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "p@example.kz",
        "phone": "+77011234567", "code": code});
    let (s, app) = env
        .http("POST", "/v1/applications", Some(body), Some(&env.parent()))
        .await;
    assert_eq!(s, 201, "{app}");
    let (s, history) = env
        .http(
            "GET",
            &format!("/v1/applications/{}/history", app["id"].as_str().unwrap()),
            None,
            Some(&env.parent()),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        history.to_string().contains("one_time_code"),
        "signed with the code: {history}"
    );

    // A malformed code-key secret: the key is refused when first needed, with no text used.
    let aws = env.aws.as_ref().unwrap();
    let bad = aws_sdk_secretsmanager::Client::new(&aws.shared)
        .create_secret()
        .name(format!("kezek-bad-code-{}", uuid::Uuid::new_v4().simple()))
        .secret_string("bare-code-key-text-0123456789abcdef0123456789")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let source = kezek_aws::secrets::SecretCodeKey::new(&aws.shared, &bad);
    use kezek_core::identity::CodeKeySource;
    let e = source.code_key().await.unwrap_err();
    assert_eq!(e.http_status(), 503, "{e}");
    assert!(!e.to_string().contains("bare-code-key"), "{e}");
}
