//! `POST /v1/dev/invariants` (the load run's checks, `scripts/load`): with the children and
//! places named, a clean store passes every invariant; places named wrong, or a child left out
//! of the list, are reported as broken, with IINs masked; a bad IIN is a 400 naming the field.

mod pages;
use pages::desk::*;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use kezek_core::domain::Language;
use kezek_core::inputs::{ChooseInput, ParentAction};
use tower::ServiceExt;

async fn invariants(
    local: &kezek_local::Local,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let req = Request::post("/v1/dev/invariants")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = local.clone().router().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn broken(report: &serde_json::Value, invariant: &str) -> u64 {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["invariant"] == invariant)
        .unwrap_or_else(|| panic!("{invariant} in {report}"))["broken"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_clean_store_passes_and_wrong_places_or_a_missing_child_are_reported() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 3).await;
    let (age, kg) = places_for(&local, 2).await;
    assert_eq!(run_kok(&local, age).await.offered, 2);
    // One of the two offered confirms and chooses the kindergarten: a place is taken.
    let svc = &local.api.service;
    let mut offered = Vec::new();
    for (_, child) in &registered {
        let child = kezek_core::iin::Iin::try_from(child.clone()).unwrap();
        let app = svc.store.applications_by_child(&child).await.unwrap()[0].clone();
        if app.status().holds_voucher() {
            offered.push(app);
        }
    }
    let app = &offered[0];
    let parent = kezek_core::Principal {
        iin: app.applicant_iin.clone(),
        role: kezek_core::Role::Parent,
        districts: vec![],
    };
    svc.act(&parent, &app.id, ParentAction::ConfirmVoucher, Language::Ru)
        .await
        .unwrap();
    let choose = ParentAction::Choose(ChooseInput {
        kindergarten_id: kg.clone(),
        signature: None,
    });
    svc.act(&parent, &app.id, choose, Language::Ru)
        .await
        .unwrap();

    let children: Vec<&str> = registered.iter().map(|(_, c)| c.as_str()).collect();
    let places = serde_json::json!({ kg.clone(): { age.to_string(): 2 } });
    let (status, report) = invariants(
        &local,
        serde_json::json!({ "children": children, "places": places }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applications"], 3, "{report}");
    assert_eq!(report["by_status"]["enrolled"], 1, "{report}");
    assert_eq!(report["by_status"]["voucher_offered"], 1, "{report}");
    assert_eq!(report["violations"], serde_json::json!([]), "{report}");
    for c in report["checks"].as_array().unwrap() {
        assert!(c["checked"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(c["broken"], 0, "{report}");
    }

    // The operators set 3, not 2: 1 free + 1 enrolled is a place lost.
    let wrong = serde_json::json!({ kg.clone(): { age.to_string(): 3 } });
    let (_, report) = invariants(
        &local,
        serde_json::json!({ "children": children, "places": wrong }),
    )
    .await;
    assert_eq!(broken(&report, "places kept"), 1, "{report}");
    let seen = report["violations"][0].as_str().unwrap();
    assert!(seen.contains("1 free + 1 enrolled != 3 places"), "{seen}");

    // A child holding a voucher left out: the pool counts a voucher no named child holds.
    let holder = offered[1].child_iin.as_str().to_owned();
    let fewer: Vec<&str> = children.iter().copied().filter(|c| *c != holder).collect();
    let (_, report) = invariants(
        &local,
        serde_json::json!({ "children": fewer, "places": places }),
    )
    .await;
    assert_eq!(
        broken(&report, "the pool counts the vouchers held"),
        1,
        "{report}"
    );
    assert!(
        !report.to_string().contains(&holder),
        "no full IIN: {report}"
    );

    // A bad IIN: 400 naming the field.
    let (status, body) = invariants(&local, serde_json::json!({ "children": ["123"] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "children", "{body}");
}
