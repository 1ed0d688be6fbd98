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
