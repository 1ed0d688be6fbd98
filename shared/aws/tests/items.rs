//! Items and messages written before item versions existed still load through the adapter's
//! versioned types. `fixtures/items-before-versions.json` was captured from a table and an SQS
//! outbox filled by the adapter as it was before `items` (a flow to enrolment, a lapse to the
//! stop-list, a withdrawal, a privilege rejection, a profile, a link and a document record), in
//! DynamoDB's JSON form, with the SQS bodies sent then.

use aws_sdk_dynamodb::types::AttributeValue;
use kezek_aws::items::*;
use kezek_core::documents::DocumentRecord;
use kezek_core::domain::*;
use serde_json::Value;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// DynamoDB's JSON form of an attribute back to the SDK's value.
fn attr(v: &Value) -> AttributeValue {
    let (t, x) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("a typed attribute");
    let strings = || -> Vec<String> {
        x.as_array()
            .expect("a set")
            .iter()
            .map(|s| s.as_str().expect("text").to_owned())
            .collect()
    };
    match t.as_str() {
        "S" => AttributeValue::S(x.as_str().expect("text").to_owned()),
        "N" => AttributeValue::N(x.as_str().expect("number text").to_owned()),
        "BOOL" => AttributeValue::Bool(x.as_bool().expect("bool")),
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(item(x)),
        "L" => AttributeValue::L(x.as_array().expect("list").iter().map(attr).collect()),
        "SS" => AttributeValue::Ss(strings()),
        "NS" => AttributeValue::Ns(strings()),
        other => panic!("attribute type {other}"),
    }
}

fn item(v: &Value) -> Item {
    v.as_object()
        .expect("an item")
        .iter()
        .map(|(k, v)| (k.clone(), attr(v)))
        .collect()
}

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/items-before-versions.json")).expect("fixtures")
}

fn decode<I, T>(item: Item) -> T
where
    I: serde::de::DeserializeOwned,
    T: TryFrom<I, Error = kezek_core::ports::StoreError>,
{
    let typed: I = serde_dynamo::from_item(item).expect("decodes as its versioned type");
    typed.try_into().expect("maps to the domain")
}

fn text<'a>(i: &'a Item, k: &str) -> &'a str {
    i.get(k)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

#[test]
fn items_written_before_versions_load_and_write_back_the_same_with_v1() {
    let f = fixtures();
    let (mut apps, mut history, mut kgs, mut outbox, mut profiles, mut docs) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for raw in f["items"].as_array().expect("items") {
        let i = item(raw);
        assert!(!i.contains_key("v"), "captured before versions");
        let (pk, sk) = (text(&i, "PK").to_owned(), text(&i, "SK").to_owned());
        if pk.starts_with("APP#") && sk == "A" {
            let app: Application = decode::<ApplicationItemV1, _>(i.clone());
            // What is written now is the same attributes, plus the version.
            let mut again: Item = serde_dynamo::to_item(ApplicationItemV1::from(&app)).unwrap();
            assert_eq!(again.remove("v"), Some(AttributeValue::N("1".into())));
            for (k, v) in &again {
                assert_eq!(i.get(k), Some(v), "{k} of {pk}");
            }
            apps.push(app);
        } else if pk.starts_with("APP#") && sk.starts_with("H#") {
            history.push(decode::<HistoryItemV1, HistoryEntry>(i));
        } else if sk == "KG" {
            kgs.push(decode::<KindergartenItemV1, Kindergarten>(i));
        } else if let Some(n) = i.get("n") {
            let m: NotificationMessageV1 = serde_dynamo::from_attribute_value(n.clone()).unwrap();
            outbox.push(Notification::try_from(m).unwrap());
        } else if i.contains_key("language") && i.contains_key("iin") {
            profiles.push(decode::<ProfileItemV1, Profile>(i));
        } else if i.contains_key("content_type") {
            docs.push(decode::<DocumentItemV1, DocumentRecord>(i));
        }
    }
    let mut statuses: Vec<Status> = apps.iter().map(|a| a.status()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            Status::Queued,
            Status::Enrolled,
            Status::StopListed,
            Status::Archived
        ]
    );
    let enrolled = apps
        .iter()
        .find(|a| a.status() == Status::Enrolled)
        .unwrap();
    let v = enrolled.voucher().expect("a voucher");
    assert!(v.kindergarten_id.is_some() && v.enrolled_at.is_some() && v.choose_by.is_some());
    assert!(enrolled.privilege.is_some());
    let rejected = apps.iter().find(|a| a.status() == Status::Queued).unwrap();
    assert_eq!(
        rejected
            .privilege
            .as_ref()
            .and_then(|p| p.rejected.as_ref())
            .map(|r| r.reason.as_str()),
        Some("no")
    );
    assert!(history.len() >= 10, "{} history entries", history.len());
    assert!(history
        .iter()
        .any(|h| h.action == Action::ExpireOffer && h.actor == Actor::System));
    assert!(
        history
            .iter()
            .any(|h| matches!(h.actor, Actor::Parent { .. })
                && h.signed_with == Some(SignedWith::Eds))
    );
    assert_eq!(kgs.len(), 1);
    assert!(!kgs[0].free_places.is_empty());
    assert!(outbox.iter().any(|n| n.kind == NotificationKind::StopListed
        && matches!(n.params.get("restore_by"), Some(Param::Time(_)))));
    assert!(outbox.iter().any(|n| n.kind == NotificationKind::Archived
        && matches!(
            n.params.get("reason"),
            Some(Param::Reason(ArchiveReason::Withdrawn))
        )));
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].language, Language::Kk);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].name, "справка.pdf");
}

#[test]
fn sqs_bodies_sent_before_versions_load_and_new_bodies_carry_v1() {
    let f = fixtures();
    let bodies = f["sqs_bodies"].as_array().expect("bodies");
    assert!(!bodies.is_empty());
    for b in bodies {
        let body = b.as_str().expect("a body");
        assert!(!body.contains("\"v\":1,\"id\""), "captured before versions");
        let n = NotificationMessageV1::from_body(body).expect("an old body reads");
        let again = NotificationMessageV1::body(&n).unwrap();
        let value: Value = serde_json::from_str(&again).unwrap();
        assert_eq!(value["v"], 1);
        assert_eq!(NotificationMessageV1::from_body(&again).unwrap(), n);
        // The same fields as before, plus the version.
        let mut old: Value = serde_json::from_str(body).unwrap();
        old["v"] = Value::from(1);
        assert_eq!(old, value);
    }
}

#[test]
fn an_item_of_an_unknown_version_is_refused() {
    let f = fixtures();
    let raw = f["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["SK"]["S"] == "A")
        .unwrap();
    let mut i = item(raw);
    i.insert("v".into(), AttributeValue::N("2".into()));
    let typed: ApplicationItemV1 = serde_dynamo::from_item(i).unwrap();
    let e = Application::try_from(typed).unwrap_err();
    assert!(e.0.contains("version 2"), "{e}");
    let body = r#"{"v":2,"id":"x","application_id":null,"kind":"registered","language":"kk","email":null,"phone":null,"params":{},"created_at":"2026-04-06T10:00:00+05:00"}"#;
    assert!(NotificationMessageV1::from_body(body).is_err());
}
