//! Open data of a district's queue (issue 19) through the local runner's router on the embedded
//! store: the live route in JSON and CSV (every queued child of the district, by age group then
//! position, each position the public check's; no name, IIN, phone, e-mail or privilege), its
//! 400s naming the field in the asked language, the run log's head after a voucher run, and the
//! daily export on the simulated clock to the data folder.

mod pages;
use pages::desk::*;
use pages::fetch;

use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone, Utc};
use kezek_core::ports::Blobs;
use serde_json::Value;

/// The rows of a CSV body, checked against RFC 4180's shape: the header, CRLF line ends, five
/// fields a line (the numbers need no quoting).
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    assert!(csv.ends_with("\r\n"), "CRLF line ends: {csv:?}");
    let mut lines = csv.trim_end_matches("\r\n").split("\r\n");
    assert_eq!(
        lines.next(),
        Some("registration_number,registered_on,age_group,status,position")
    );
    lines
        .map(|l| {
            let fields: Vec<String> = l.split(',').map(str::to_owned).collect();
            assert_eq!(fields.len(), 5, "{l}");
            fields
        })
        .collect()
}

/// The JSON rows as the CSV writes them.
fn as_csv(rows: &[Value]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            [
                "registration_number",
                "registered_on",
                "age_group",
                "status",
                "position",
            ]
            .iter()
            .map(|k| match &r[*k] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect()
        })
        .collect()
}

/// Every row's position and day are the public check's of its number.
async fn positions_are_the_public_checks(local: &kezek_local::Local, rows: &[Value]) {
    for r in rows {
        let number = r["registration_number"].as_str().unwrap();
        let check = local
            .api
            .service
            .public_queue_check(number, kezek_core::domain::Language::Ru)
            .await
            .unwrap();
        assert_eq!(r["position"], check.position.unwrap(), "{number}");
        assert_eq!(r["age_group"], check.age_group, "{number}");
        assert_eq!(
            r["registered_on"],
            check.registered_on.to_string(),
            "{number}"
        );
        assert_eq!(r["status"], "queued");
    }
}

#[tokio::test]
async fn a_districts_queue_is_open_data_live_and_daily() {
    let (mut local, other) = runner_with_staff().await;
    let dir = std::env::temp_dir().join(format!("kezek-open-{}", uuid::Uuid::new_v4().simple()));
    local
        .keep_files(dir.clone(), "http://127.0.0.1:9", &[7u8; 32])
        .unwrap();
    // Monday 1 June 2026, 10:00 in Astana.
    local
        .clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap());

    // KOK: three children of one cohort, a privileged one of the same cohort (ahead of them)
    // and a privileged one of an older cohort; another district's child, not in KOK's data.
    let general = register(&local, 3).await;
    let ahead = claimant(&local, NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(), 500).await;
    let older = claimant(&local, NaiveDate::from_ymd_opt(2022, 6, 1).unwrap(), 700).await;
    let elsewhere = register_in(&local, &other, 1, 900).await;
    let category = local.api.service.reference().privileges[0].id.clone();

    let json = fetch(&local, "/v1/public/queue?district=KOK", Some("ru"), None).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    assert_eq!(json.content_type, "application/json; charset=utf-8");
    assert_eq!(json.head, None, "no run yet");
    let v: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["district"], "KOK");
    assert_eq!(v["run_log_head"], Value::Null);
    assert!(v["generated_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-06-01T10:00"));
    let rows = v["rows"].as_array().unwrap().clone();
    let numbers: Vec<&str> = rows
        .iter()
        .map(|r| r["registration_number"].as_str().unwrap())
        .collect();
    // By age group, then position: the 2024 cohort (age group 2) with the privileged child
    // first, then the 2022 cohort (age group 4).
    let mut expected = vec![ahead.registration_number.as_str()];
    expected.extend(general.iter().map(|(n, _)| n.as_str()));
    expected.push(older.registration_number.as_str());
    assert_eq!(numbers, expected);
    let keys: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["age_group"].as_u64().unwrap(),
                r["position"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys, [(2, 1), (2, 2), (2, 3), (2, 4), (4, 1)]);
    for r in &rows {
        let fields: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "age_group",
                "position",
                "registered_on",
                "registration_number",
                "status"
            ],
            "nothing else"
        );
    }
    positions_are_the_public_checks(&local, &rows).await;

    let csv = fetch(
        &local,
        "/v1/public/queue?district=KOK&format=csv",
        Some("ru"),
        None,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert_eq!(csv_rows(&csv.body), as_csv(&rows), "the same rows");
    assert!(csv.body.contains("КОК."), "Cyrillic numbers in UTF-8");

    // Nothing private, ever: no IIN, e-mail, phone, name, privilege, rank or category.
    for body in [&json.body, &csv.body] {
        let mut private: Vec<String> = general.iter().map(|(_, iin)| iin.clone()).collect();
        private.extend([
            "p@example.kz".into(),
            "+7701".into(),
            "7011234567".into(),
            kezek_core::ports::BUILTIN_PERSON_NAME.into(),
            "privilege".into(),
            "rank".into(),
            "categor".into(),
            category.clone(),
            elsewhere[0].0.clone(),
        ]);
        for p in private {
            assert!(!body.contains(&p), "{p} in {body}");
        }
    }

    // Bad input names its field in the asked language.
    for (query, code, field) in [
        ("", "missing_field", "district"),
        ("?district=", "missing_field", "district"),
        ("?district=ZZZ", "unknown_district", "district"),
        ("?district=KOK&format=xml", "invalid_field", "format"),
    ] {
        let a = fetch(
            &local,
            &format!("/v1/public/queue{query}"),
            Some("kk"),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.body);
        let e: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(e["error"]["code"], code, "{query}");
        assert_eq!(e["error"]["field"], field, "{query}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| "әғқңөұүһі".contains(c)),
            "{query}: a Kazakh message: {message}"
        );
    }
    let a = fetch(
        &local,
        "/v1/public/queue?district=KOK&format=xml",
        Some("en"),
        None,
    )
    .await;
    assert!(a.body.contains("\"field\":\"format\""), "{}", a.body);

    // A voucher run: the offered child leaves the data, the positions close up, and the head
    // of the run log is published (in the JSON and in the header of both formats).
    let (age, _) = places_for(&local, 1).await;
    let operator = kezek_core::Principal {
        iin: kezek_core::iin::Iin::try_from(OPERATOR.to_owned()).unwrap(),
        role: kezek_core::Role::Operator,
        districts: vec!["KOK".into()],
    };
    let run = local
        .api
        .service
        .voucher_run(
            Some(&operator),
            kezek_core::inputs::RunInput {
                district: "KOK".into(),
                age_group: age.into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(run.offered, 1);
    let log = local
        .api
        .service
        .run_log(kezek_core::transparency::RunLogQuery {
            district: Some("KOK".into()),
            after: None,
        })
        .await
        .unwrap();
    let last = log.entries.last().unwrap();
    let json = fetch(
        &local,
        "/v1/public/queue?district=KOK&format=JSON",
        Some("ru"),
        None,
    )
    .await;
    let v: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["run_log_head"]["seq"], last.seq);
    assert_eq!(v["run_log_head"]["hash"], last.hash.as_str());
    let header = format!("{} {}", last.seq, last.hash);
    assert_eq!(json.head.as_deref(), Some(header.as_str()));
    let after = v["rows"].as_array().unwrap().clone();
    assert_eq!(after.len(), 4);
    assert!(!json.body.contains(&ahead.registration_number), "offered");
    assert_eq!(after[0]["registration_number"], general[0].0.as_str());
    assert_eq!(after[0]["position"], 1);
    positions_are_the_public_checks(&local, &after).await;
    let csv = fetch(
        &local,
        "/v1/public/queue?district=KOK&format=csv",
        Some("ru"),
        None,
    )
    .await;
    assert_eq!(csv.head.as_deref(), Some(header.as_str()));
    assert_eq!(csv_rows(&csv.body), as_csv(&after));

    // The daily export on the simulated clock: not before 00:30, then once a day, to
    // open-data/<DISTRICT>/<day> and latest, the same bodies as the route.
    local
        .clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 19, 10, 0).unwrap()); // 2 June, 00:10
    assert_eq!(
        local.open_data_if_due().await.unwrap(),
        None,
        "before 00:30"
    );
    local
        .clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 19, 45, 0).unwrap()); // 2 June, 00:45
    local.sweep_all().await.unwrap(); // the runner's schedule
    assert_eq!(local.open_data_if_due().await.unwrap(), None, "once a day");
    let files = local.files.clone().unwrap();
    let read = |key: &'static str| {
        let files = files.clone();
        async move {
            let bytes = files.first_bytes(key, 1 << 20).await.unwrap();
            String::from_utf8(bytes.unwrap_or_else(|| panic!("{key} written"))).unwrap()
        }
    };
    let day_json: Value =
        serde_json::from_str(&read("open-data/KOK/2026-06-02.json").await).unwrap();
    let latest_json: Value =
        serde_json::from_str(&read("open-data/KOK/latest.json").await).unwrap();
    assert_eq!(day_json, latest_json);
    assert_eq!(day_json["rows"], Value::Array(after.clone()));
    assert_eq!(day_json["run_log_head"]["hash"], last.hash.as_str());
    assert!(day_json["generated_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-06-02T00:45"));
    let day_csv = read("open-data/KOK/2026-06-02.csv").await;
    assert_eq!(day_csv, read("open-data/KOK/latest.csv").await);
    assert_eq!(csv_rows(&day_csv), as_csv(&after));
    // Every district has its files, an empty queue its header line.
    let other_csv = files
        .first_bytes(&format!("open-data/{other}/latest.csv"), 1 << 20)
        .await
        .unwrap()
        .expect("every district");
    assert_eq!(csv_rows(&String::from_utf8(other_csv).unwrap()).len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}
