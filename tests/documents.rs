//! Documents through the Lambda handlers on DynamoDB and S3 in moto: an upload through its
//! presigned URL, a privilege claim on it, the listing with download URLs, and the PDFs the
//! `issue-documents` function makes from the table's stream at registration, voucher confirmation
//! and enrolment — found in S3 before any listing, opened with a PDF parser and read in Kazakh
//! and Russian.
//! Refused: a wrong type, a too-large size, another parent's document, another parent's listing.

use kezek_contract::blobs::{curl_put, curl_to};
use kezek_core::documents::{issued_key, DocumentKind};
use kezek_core::Role;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};

fn text_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text")
}

/// Downloads a listed document through its URL.
fn download(entry: &Value, dir: &std::path::Path) -> Vec<u8> {
    let url = entry["download_url"].as_str().expect("a download URL");
    let out = dir.join(format!("{}.bin", entry["id"].as_str().unwrap()));
    assert_eq!(curl_to(&out.display().to_string(), &[url]), "200", "{url}");
    std::fs::read(out).unwrap()
}

/// The size of an issued document in the issuer's blob store (S3, or the data folder), if it is
/// there.
async fn in_s3(env: &Env, application: &str, kind: DocumentKind) -> Option<u64> {
    let blobs = env.handler(Function::IssueDocuments).service.blobs.clone();
    blobs
        .expect("the issuer's S3")
        .size(&issued_key(application, kind))
        .await
        .unwrap()
}

/// The issuer on the table's stream: the outbox entries inserted so far (issuing is idempotent,
/// so entries seen before change nothing).
async fn issue_from_stream(env: &Env) {
    let response = env
        .invoke(Function::IssueDocuments, env.outbox_stream_event().await)
        .await;
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
}

fn find<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {list}"))
}

#[tokio::test]
async fn uploads_claims_listing_and_issued_pdfs_on_s3() {
    let env = Env::dynamodb(5).await;
    let dir = std::env::temp_dir().join(format!("kezek-docs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let parent = env.parent();
    let other = env.token("880808300004", Role::Parent, &[]);

    // Refused declarations: another type, a size over 10 MB.
    for (body, code) in [
        (
            json!({"name": "x.html", "content_type": "text/html", "size": 10}),
            "unsupported_document_type",
        ),
        (
            json!({"name": "x.pdf", "content_type": "application/pdf", "size": 10 * 1024 * 1024 + 1}),
            "document_too_large",
        ),
    ] {
        let (st, b) = env
            .http("POST", "/v1/documents", Some(body), Some(&parent))
            .await;
        assert_eq!((st, b["error"]["code"].as_str()), (400, Some(code)));
    }

    // An upload through the presigned URL.
    let proof = dir.join("proof.pdf");
    let bytes: Vec<u8> = b"%PDF-1.4 proof of a large family\n".repeat(40);
    std::fs::write(&proof, &bytes).unwrap();
    let declare =
        json!({"name": "справка.pdf", "content_type": "application/pdf", "size": bytes.len()});
    let (st, ticket) = env
        .http("POST", "/v1/documents", Some(declare), Some(&parent))
        .await;
    assert_eq!(st, 201, "{ticket}");
    let doc = ticket["id"].as_str().unwrap().to_owned();
    let url = ticket["upload_url"].as_str().unwrap();
    assert_eq!(curl_put(url, &proof, "application/pdf"), "200");

    // A claim may reference only the parent's own uploads.
    let submit = |child: &str| {
        json!({"district": "KOK", "child_iin": child, "email": "p@example.kz",
            "phone": "+77011234567", "language": "kk",
            "privilege": {"category": "large_family", "document_ids": [doc]}})
    };
    let (st, b) = env
        .http(
            "POST",
            "/v1/applications",
            Some(submit("230420600000")),
            Some(&other),
        )
        .await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (400, Some("unknown_document"))
    );
    let (st, app) = env
        .http(
            "POST",
            "/v1/applications",
            Some(submit(CHILD)),
            Some(&parent),
        )
        .await;
    assert_eq!(st, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let number = app["registration_number"].as_str().unwrap().to_owned();

    // The registration document: made from the stream's entry, not in the parent's request.
    assert_eq!(in_s3(&env, &id, DocumentKind::Registration).await, None);
    issue_from_stream(&env).await;
    let size = in_s3(&env, &id, DocumentKind::Registration).await;
    assert!(size.is_some_and(|n| n > 1000), "{size:?}");

    // The listing: the upload and the registration document, each downloadable.
    let path = format!("/v1/applications/{id}/documents");
    let (st, list) = env.http("GET", &path, None, Some(&parent)).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(download(find(&list, "upload"), &dir), bytes);
    let registration = download(find(&list, "registration"), &dir);
    let text = text_of(&registration);
    for needle in [number.as_str(), "тіркеу", "очеред", "2303"] {
        assert!(
            text.contains(needle),
            "{needle} in the registration PDF: {text}"
        );
    }
    // Not another parent's, nor an operator's.
    let (st, _) = env.http("GET", &path, None, Some(&other)).await;
    assert_eq!(st, 403);
    let (st, _) = env.http("GET", &path, None, Some(&env.operator())).await;
    assert_eq!(st, 403);

    // Voucher and enrolment: issued when they happen.
    let (st, run) = env
        .http(
            "POST",
            "/v1/admin/voucher-runs",
            Some(json!({"district": "KOK", "age_group": app["age_group"]})),
            Some(&env.operator()),
        )
        .await;
    assert_eq!((st, run["offered"].as_u64()), (200, Some(1)), "{run}");
    let (st, _) = env.act(&id, "voucher/confirm", None, &parent).await;
    assert_eq!(st, 200);
    assert_eq!(in_s3(&env, &id, DocumentKind::Voucher).await, None);
    issue_from_stream(&env).await;
    assert!(in_s3(&env, &id, DocumentKind::Voucher).await.is_some());
    let (st, chosen) = env
        .act(
            &id,
            "kindergarten",
            Some(json!({"kindergarten_id": KINDERGARTEN})),
            &parent,
        )
        .await;
    assert_eq!(
        (st, chosen["status"].as_str()),
        (200, Some("enrolled")),
        "{chosen}"
    );
    assert_eq!(in_s3(&env, &id, DocumentKind::Enrolment).await, None);
    issue_from_stream(&env).await;
    assert!(in_s3(&env, &id, DocumentKind::Enrolment).await.is_some());
    // Again: nothing new, the same bytes.
    issue_from_stream(&env).await;
    assert_eq!(in_s3(&env, &id, DocumentKind::Registration).await, size);
    let (_, list) = env.http("GET", &path, None, Some(&parent)).await;
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["upload", "registration", "voucher", "enrolment"]);
    for (kind, kk, ru) in [
        ("voucher", "Жолдама", "Направление"),
        ("enrolment", "қабылдау", "зачислени"),
    ] {
        let pdf = download(find(&list, kind), &dir);
        assert!(pdf.starts_with(b"%PDF-"));
        let text = text_of(&pdf);
        for needle in [number.as_str(), kk, ru] {
            assert!(text.contains(needle), "{needle} in the {kind} PDF: {text}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The voucher's PDF: none while the voucher is only offered (an offer is no issuing event, and
/// the listing makes none either), made at confirmation, and made again with the new choice
/// deadline when the parent takes the extension.
#[tokio::test]
async fn the_voucher_is_issued_at_confirmation_and_again_at_its_extension() {
    // The embedded store: the extension needs the simulated clock (its last day).
    let env = Env::embedded(chrono::Utc::now()).await;
    let parent = env.parent();
    let body = json!({"district": "KOK", "child_iin": CHILD, "email": "parent@example.kz",
        "phone": "+77011234567", "language": "kk"});
    let (st, app) = env
        .http("POST", "/v1/applications", Some(body), Some(&parent))
        .await;
    assert_eq!(st, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let run = json!({"district": "KOK", "age_group": app["age_group"]});
    let (st, run) = env
        .http(
            "POST",
            "/v1/admin/voucher-runs",
            Some(run),
            Some(&env.operator()),
        )
        .await;
    assert_eq!((st, run["offered"].as_u64()), (200, Some(1)), "{run}");
    issue_from_stream(&env).await;
    assert!(in_s3(&env, &id, DocumentKind::Registration).await.is_some());
    assert_eq!(in_s3(&env, &id, DocumentKind::Voucher).await, None);
    let voucher_text = |list: &Value| {
        let url = find(list, "voucher")["download_url"]
            .as_str()
            .unwrap()
            .to_owned();
        text_of(&env.download_local(&url))
    };
    let path = format!("/v1/applications/{id}/documents");
    let (st, list) = env.http("GET", &path, None, Some(&parent)).await;
    assert_eq!(st, 200, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| d["kind"] != "voucher"),
        "no voucher document before confirmation: {list}"
    );

    let (st, confirmed) = env.act(&id, "voucher/confirm", None, &parent).await;
    assert_eq!(st, 200, "{confirmed}");
    issue_from_stream(&env).await;
    let (_, list) = env.http("GET", &path, None, Some(&parent)).await;
    let first = voucher_text(&list);

    let local_date = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Almaty)
            .format("%d.%m.%Y")
            .to_string()
    };
    let choose_by = &confirmed["voucher"]["choose_by"];
    assert!(first.contains(&local_date(choose_by)), "{first}");
    let last_day = chrono::DateTime::parse_from_rfc3339(choose_by.as_str().unwrap()).unwrap();
    env.set_clock(last_day.with_timezone(&chrono::Utc) - chrono::Duration::hours(8));
    let (st, extended) = env.act(&id, "voucher/extend", None, &parent).await;
    assert_eq!(st, 200, "{extended}");
    let new_deadline = local_date(&extended["voucher"]["choose_by"]);
    assert_ne!(new_deadline, local_date(choose_by));
    issue_from_stream(&env).await;
    let (_, list) = env.http("GET", &path, None, Some(&parent)).await;
    let second = voucher_text(&list);
    assert!(
        second.contains(&new_deadline),
        "the extended deadline {new_deadline}: {second}"
    );
}
