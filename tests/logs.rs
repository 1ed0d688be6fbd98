//! The logs a flow writes (JSON, as the Lambdas write them) carry no full IIN, phone number,
//! e-mail address, one-time code or token — also when requests are refused and deliveries fail.

use kezek_core::ports::SendError;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_no_personal_data_or_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .init();

    let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
    let parent = env.parent();
    let phone = "+77011234567";
    let email = "private.person@example.kz";
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": email, "phone": phone, "language": "kk"});
    let (s, app) = env
        .http(
            "POST",
            "/v1/applications",
            Some(body.clone()),
            Some(&parent),
        )
        .await;
    assert_eq!(s, 201);
    let id = app["id"].as_str().unwrap().to_owned();
    // Refusals: duplicate child, a bad IIN, another parent, a forged and a missing token.
    assert_eq!(
        env.http("POST", "/v1/applications", Some(body), Some(&parent))
            .await
            .0,
        409
    );
    let bad =
        json!({"district": "KOK", "child_iin": "230315500003", "email": email, "phone": phone});
    assert_eq!(
        env.http("POST", "/v1/applications", Some(bad), Some(&parent))
            .await
            .0,
        400
    );
    let other = env.token("880808300004", kezek_core::Role::Parent, &[]);
    let path = format!("/v1/applications/{id}");
    assert_eq!(env.http("GET", &path, None, Some(&other)).await.0, 403);
    let forged = format!("{}x", &parent[..parent.len() - 1]);
    assert_eq!(env.http("GET", &path, None, Some(&forged)).await.0, 401);
    assert_eq!(env.http("GET", &path, None, None).await.0, 401);
    // Deliveries: one retried, one refused for good.
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(10)
        .await
        .unwrap();
    let batch = json!({"Records": [{"messageId": "m1", "body": serde_json::to_string(&pending[0]).unwrap(),
        "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}]});
    *env.recorder.failing.lock().unwrap() = Some(SendError {
        message: format!("Throttling for {email}"),
        retryable: true,
    });
    env.invoke(Function::Notifier, batch.clone()).await;
    *env.recorder.failing.lock().unwrap() = Some(SendError {
        message: format!("MessageRejected: {phone}"),
        retryable: false,
    });
    env.invoke(Function::Notifier, batch).await;
    env.scheduled(Function::ExpirySweep, json!({})).await;

    // Login: a one-time code (a wrong one, then the right one), sent by SMS, and an EDS login.
    let login = json!({"iin": PARENT, "phone": phone});
    assert_eq!(
        env.http("POST", "/v1/auth/otp", Some(login), None).await.0,
        202
    );
    let sms = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(100)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.kind == kezek_core::domain::NotificationKind::OtpCode)
        .unwrap();
    let code = match &sms.params["code"] {
        kezek_core::domain::Param::Text(c) => c.clone(),
        _ => unreachable!(),
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let verify = |c: &str| json!({"iin": PARENT, "phone": phone, "code": c});
    assert_eq!(
        env.http("POST", "/v1/auth/otp/verify", Some(verify(wrong)), None)
            .await
            .0,
        401
    );
    let (s, session) = env
        .http("POST", "/v1/auth/otp/verify", Some(verify(&code)), None)
        .await;
    assert_eq!(s, 200);
    let session = session["token"].as_str().unwrap().to_owned();
    let sms_batch = json!({"Records": [{"messageId": "m2", "body": serde_json::to_string(&sms).unwrap(),
        "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}]});
    *env.recorder.failing.lock().unwrap() = None;
    env.invoke(Function::Notifier, sms_batch).await;
    let (_, nonce) = env.http("POST", "/v1/auth/eds/challenge", None, None).await;
    let nonce = nonce["nonce"].as_str().unwrap().to_owned();
    let signature = eds_of(PARENT).sign_base64(nonce.as_bytes(), true);
    let (s, eds) = env
        .http(
            "POST",
            "/v1/auth/eds/verify",
            Some(json!({"nonce": nonce, "signature": signature})),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let eds_session = eds["token"].as_str().unwrap().to_owned();

    // Personal data and tokens in paths and queries (issue 16, security probe L-3): refused
    // requests are logged by their route, never by their path.
    for (function, method, path) in [
        (
            Function::ReadApi,
            "GET",
            format!("/v1/applications/{PARENT}"),
        ),
        (
            Function::ReadApi,
            "GET",
            format!("/v1/applications/{phone}/history"),
        ),
        (
            Function::ReadApi,
            "GET",
            format!("/v1/applications/{email}"),
        ),
        (
            Function::ReadApi,
            "GET",
            format!("/v1/applications/{parent}"),
        ),
        (
            Function::ReadApi,
            "DELETE",
            format!("/v1/applications/{CHILD}"),
        ),
        (Function::ReadApi, "GET", format!("/v1/nowhere/{CHILD}")),
        (
            Function::Operator,
            "GET",
            format!("/v1/admin/stats?district={PARENT}"),
        ),
    ] {
        let event = api_event(method, &path, None, Some(&parent), None);
        let (status, _) = response(&env.invoke(function, event).await);
        assert!((400..500).contains(&status), "{method} {path}: {status}");
    }

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.lines().count() >= 5, "the flow logged: {text}");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every log line is JSON");
    }
    for secret in [
        PARENT,
        CHILD,
        "880808300004",
        phone,
        "77011234567",
        "7011234567",
        email,
        &parent,
        &other,
        &code,
        &session,
        &eds_session,
        &signature[..40],
    ] {
        assert!(!text.contains(secret), "the logs contain {secret}:\n{text}");
    }
    println!("{} log lines checked", text.lines().count());
}
