//! Reminders go out once each, even when scheduled sweeps overlap: two sweeps started at once on
//! a due reminder commit it once (the second loses the conditional write and finds it sent).

use kezek_core::domain::NotificationKind;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};

#[tokio::test]
async fn overlapping_sweeps_send_a_due_reminder_once() {
    let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
    let parent = env.parent();
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "p@example.kz", "phone": "+77011234567"});
    let (s, app) = env
        .http("POST", "/v1/applications", Some(body), Some(&parent))
        .await;
    assert_eq!(s, 201);
    let reconfirm_by =
        chrono::DateTime::parse_from_rfc3339(app["reconfirm_by"].as_str().unwrap()).unwrap();
    // 09:30 on the day 30 days before the deadline: the first reminder is due.
    let day = reconfirm_by.date_naive() - chrono::Duration::days(30);
    use chrono::Datelike;
    env.set_clock(almaty(day.year(), day.month(), day.day(), 9) + chrono::Duration::minutes(30));
    let (a, b, c) = tokio::join!(
        env.scheduled(Function::ReconfirmationReminder, json!({})),
        env.scheduled(Function::ReconfirmationReminder, json!({})),
        env.scheduled(Function::ReconfirmationReminder, json!({})),
    );
    let sent: u64 = [&a, &b, &c]
        .iter()
        .map(|r: &&Value| r["reminders"].as_u64().unwrap())
        .sum();
    assert_eq!(sent, 1, "{a} {b} {c}");
    let pending = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(100)
        .await
        .unwrap();
    let reminders = pending
        .iter()
        .filter(|n| n.kind == NotificationKind::ReconfirmReminder)
        .count();
    assert_eq!(reminders, 1);
    // A late sweep the next day sends nothing more for this reminder.
    env.set_clock(almaty(day.year(), day.month(), day.day(), 9) + chrono::Duration::days(1));
    let r = env
        .scheduled(Function::ReconfirmationReminder, json!({}))
        .await;
    assert_eq!(r["reminders"], 0, "{r}");
}

/// A part with more due work than one invocation takes (its time is up after the first item)
/// stops, sends itself again, and the next invocation finishes it, over more than one page:
/// every due reminder goes out once.
#[tokio::test]
async fn a_sweep_part_left_unfinished_is_sent_again_and_finished() {
    use chrono::NaiveDate;
    let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
    let n = kezek_core::sweeps::SWEEP_PAGE + 20;
    // An IIN of this birth date, from the first serial at `from` that has a check digit.
    let iin = |birth: NaiveDate, male: bool, from: u32| {
        (from..from + 50)
            .find_map(|serial| kezek_core::iin::make_iin(birth, male, serial))
            .unwrap()
    };
    let mut reconfirm_by = None;
    for i in 0..n {
        // At most 10 live applications per applicant: a parent per 9 children.
        let parent = env.token(
            iin(
                NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
                true,
                100 * (1 + (i / 9) as u32),
            )
            .as_str(),
            kezek_core::Role::Parent,
            &[],
        );
        let child = iin(
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(i as i64),
            i % 2 == 0,
            1000,
        );
        let body = json!({"district": "KOK", "child_iin": child.as_str(), "email": "p@example.kz", "phone": "+77011234567"});
        let (s, app) = env
            .http("POST", "/v1/applications", Some(body), Some(&parent))
            .await;
        assert_eq!(s, 201, "{app}");
        reconfirm_by = Some(
            chrono::DateTime::parse_from_rfc3339(app["reconfirm_by"].as_str().unwrap()).unwrap(),
        );
    }
    // The 30-day reminders of all of them are due.
    let day = reconfirm_by.unwrap().date_naive() - chrono::Duration::days(30);
    use chrono::Datelike;
    env.set_clock(almaty(day.year(), day.month(), day.day(), 12));
    let h = env.handler(Function::ReconfirmationReminder);
    // An invocation whose time is nearly up: the part takes one item and hands the rest on.
    let part = r#"{"v":1,"task":"due","sweep":"reconfirmation","part":0}"#;
    let event = sqs_event(&[("m1".into(), part.into(), "1".into())]);
    let invocation: kezek_lambda::Invocation = serde_json::from_value(event).unwrap();
    let mut context = kezek_lambda::lambda_runtime::Context::default();
    context.deadline = chrono::Utc::now().timestamp_millis() as u64 + 1_000;
    let out = h
        .invoke(kezek_lambda::LambdaEvent::new(invocation, context))
        .await
        .unwrap();
    assert_eq!(out["batchItemFailures"], json!([]), "{out}");
    let first = &out["reports"][0];
    assert_eq!(first["more"], true, "{out}");
    assert_eq!(first["reminders"], 1, "{out}");
    // The part was sent again; the next invocation (with time) does the rest.
    let rest = env.drain_parts(Function::ReconfirmationReminder).await;
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["reminders"], n - 1, "{rest:?}");
    assert_eq!(rest[0]["more"], false, "{rest:?}");
    let reminders = env
        .handler(Function::Notifier)
        .service
        .outbox
        .pending(1000)
        .await
        .unwrap()
        .iter()
        .filter(|n| n.kind == NotificationKind::ReconfirmReminder)
        .count();
    assert_eq!(reminders, n);
}

/// A part a sweep cannot do is failed back to the queue (and after its last receive rests in
/// the dead-letter queue): a malformed body, a version it cannot read, the other sweep's part,
/// a part past the due index's last, and the expiry sweep's chores sent to the other sweep.
#[tokio::test]
async fn a_part_a_sweep_cannot_do_is_failed_not_dropped() {
    let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
    for (f, body) in [
        (Function::ReconfirmationReminder, "not a part"),
        (
            Function::ReconfirmationReminder,
            r#"{"v":2,"task":"due","sweep":"reconfirmation","part":0}"#,
        ),
        (
            Function::ReconfirmationReminder,
            r#"{"v":1,"task":"due","sweep":"expiry","part":0}"#,
        ),
        (
            Function::ReconfirmationReminder,
            r#"{"v":1,"task":"due","sweep":"reconfirmation","part":1}"#,
        ),
        (
            Function::ReconfirmationReminder,
            r#"{"v":1,"task":"republish"}"#,
        ),
        (
            Function::ReconfirmationReminder,
            r#"{"v":1,"task":"status_counts"}"#,
        ),
        (
            Function::ExpirySweep,
            r#"{"v":1,"task":"due","sweep":"reconfirmation","part":0}"#,
        ),
    ] {
        let out = env
            .invoke(f, sqs_event(&[("m1".into(), body.into(), "1".into())]))
            .await;
        assert_eq!(
            out["batchItemFailures"],
            json!([{"itemIdentifier": "m1"}]),
            "{} {body}: {out}",
            f.name()
        );
    }
    // And a good one beside a bad one: only the bad one fails.
    let out = env
        .invoke(
            Function::ExpirySweep,
            sqs_event(&[
                (
                    "good".into(),
                    r#"{"v":1,"task":"status_counts"}"#.into(),
                    "1".into(),
                ),
                ("bad".into(), "{}".into(), "1".into()),
            ]),
        )
        .await;
    assert_eq!(
        out["batchItemFailures"],
        json!([{"itemIdentifier": "bad"}]),
        "{out}"
    );
    assert_eq!(out["reports"].as_array().unwrap().len(), 1, "{out}");
}
