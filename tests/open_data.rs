//! The daily open-data export through the Lambda handlers on DynamoDB and S3 in moto: the
//! reconfirmation function's `OpenData` schedule (`{"job": "open_data"}`) writes every district's
//! day and `latest` files under `open-data/`; they parse, hold the rows the live route serves and
//! the head of the district's run log; a rerun writes the same keys again.

use kezek_lambda::{Function, OPEN_DATA_JOB};
use kezek_tests::*;
use serde_json::{json, Value};

/// Children of 2023 (the voucher run's age group).
const CHILDREN: [&str; 3] = [CHILD, "230420600000", "230510500002"];

/// Two children of 2024: a younger age group, no run.
fn younger() -> Vec<String> {
    let birth = chrono::NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
    (1..)
        .filter_map(|s| kezek_core::iin::make_iin(birth, s % 2 == 0, s))
        .take(2)
        .map(|i| i.as_str().to_owned())
        .collect()
}

async fn read(env: &Env, key: &str) -> String {
    let blobs = env
        .handler(Function::ReconfirmationReminder)
        .service
        .blobs
        .clone()
        .expect("the exporter's S3");
    let bytes = blobs
        .first_bytes(key, 8 << 20)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{key} is in the bucket"));
    String::from_utf8(bytes).expect("UTF-8")
}

#[tokio::test]
async fn the_daily_export_writes_every_districts_files_to_s3() {
    let env = Env::dynamodb(5).await;
    let parent = env.parent();
    let younger = younger();
    for child in &younger {
        let body = json!({"district": "KOK", "child_iin": child, "email": "parent@example.kz",
            "phone": "+77011234567"});
        let (s, app) = env
            .http("POST", "/v1/applications", Some(body), Some(&parent))
            .await;
        assert_eq!(s, 201, "{app}");
    }
    let mut age = 0;
    for child in CHILDREN {
        let body = json!({"district": "KOK", "child_iin": child, "email": "parent@example.kz",
            "phone": "+77011234567"});
        let (s, app) = env
            .http("POST", "/v1/applications", Some(body), Some(&parent))
            .await;
        assert_eq!(s, 201, "{app}");
        age = app["age_group"].as_u64().unwrap();
    }
    // A voucher run, so that KOK's run log has a head.
    let run = json!({"district": "KOK", "age_group": age});
    let (s, r) = env
        .http(
            "POST",
            "/v1/admin/voucher-runs",
            Some(run),
            Some(&env.operator()),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let offered = r["application_ids"].as_array().unwrap().len();
    assert!(offered >= 1, "{r}");
    let head = env.store.latest_runs("KOK", 1).await.unwrap();
    let head = head.first().expect("a run log entry");

    let answer = env
        .scheduled(
            Function::ReconfirmationReminder,
            json!({ "job": OPEN_DATA_JOB }),
        )
        .await;
    let export = &answer["open_data"];
    let day = export["day"].as_str().expect("the export's day").to_owned();
    let districts = export["districts"].as_array().unwrap();
    let reference = kezek_core::reference::Reference::builtin();
    assert_eq!(districts.len(), reference.districts.len(), "{answer}");
    for d in &reference.districts {
        let mut keys: Vec<String> = ["csv", "json"]
            .iter()
            .flat_map(|ext| {
                [
                    format!("open-data/{}/{day}.{ext}", d.code),
                    format!("open-data/{}/latest.{ext}", d.code),
                ]
            })
            .collect();
        keys.sort();
        let reported = districts
            .iter()
            .find(|x| x["district"] == d.code.as_str())
            .unwrap();
        assert_eq!(reported["keys"], json!(keys), "{}", d.code);
        for key in &keys {
            let body = read(&env, key).await;
            if key.ends_with(".json") {
                let v: Value = serde_json::from_str(&body).expect("JSON");
                assert_eq!(v["district"], d.code.as_str());
            } else {
                assert!(body.starts_with(
                    "registration_number,registered_on,age_group,status,position\r\n"
                ));
            }
        }
    }

    // KOK: the live route's rows and the run log's latest entry.
    let (s, live) = env
        .http("GET", "/v1/public/queue?district=KOK", None, None)
        .await;
    assert_eq!(s, 200, "{live}");
    let day_json: Value =
        serde_json::from_str(&read(&env, &format!("open-data/KOK/{day}.json")).await).unwrap();
    let latest: Value =
        serde_json::from_str(&read(&env, "open-data/KOK/latest.json").await).unwrap();
    assert_eq!(day_json, latest);
    assert_eq!(day_json["rows"], live["rows"]);
    let queued = younger.len() + CHILDREN.len() - offered;
    assert_eq!(
        day_json["rows"].as_array().unwrap().len(),
        queued,
        "the offered left"
    );
    assert_eq!(day_json["run_log_head"]["seq"], head.seq);
    assert_eq!(day_json["run_log_head"]["hash"], head.hash.as_str());
    let csv = read(&env, "open-data/KOK/latest.csv").await;
    let lines: Vec<&str> = csv.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 1 + queued, "{csv}");
    for (line, row) in lines[1..].iter().zip(day_json["rows"].as_array().unwrap()) {
        let expected = format!(
            "{},{},{},{},{}",
            row["registration_number"].as_str().unwrap(),
            row["registered_on"].as_str().unwrap(),
            row["age_group"],
            row["status"].as_str().unwrap(),
            row["position"]
        );
        assert_eq!(*line, expected);
    }
    for child in CHILDREN
        .iter()
        .copied()
        .chain(younger.iter().map(String::as_str))
    {
        assert!(!csv.contains(child) && !latest.to_string().contains(child));
    }

    // Idempotent: a rerun writes the same keys, with the same rows.
    let again = env
        .scheduled(
            Function::ReconfirmationReminder,
            json!({ "job": OPEN_DATA_JOB }),
        )
        .await;
    let summary = |v: &Value| -> Vec<(Value, Value)> {
        v["districts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["rows"].clone(), d["keys"].clone()))
            .collect()
    };
    assert_eq!(summary(&again["open_data"]), summary(export));
    let latest_again: Value =
        serde_json::from_str(&read(&env, "open-data/KOK/latest.json").await).unwrap();
    assert_eq!(latest_again["rows"], latest["rows"]);

    // Another function, or another job, is refused (the schedule's retry and DLQ then show it).
    let event = json!({"version": "0", "detail-type": "Scheduled Event", "source": "kezek.scheduler",
        "time": "2026-06-01T19:30:00Z", "detail": {"job": OPEN_DATA_JOB}});
    assert!(env
        .handler(Function::ExpirySweep)
        .handle(event.clone())
        .await
        .is_err());
    let mut other = event;
    other["detail"]["job"] = json!("nothing");
    assert!(env
        .handler(Function::ReconfirmationReminder)
        .handle(other)
        .await
        .is_err());
}
