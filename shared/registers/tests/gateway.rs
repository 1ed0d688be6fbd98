//! The HTTP registers adapter against a gateway served on a local port (axum): answers, unknown
//! people, refusals, and failures (an error status, garbage, a timeout) as register errors.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use kezek_core::iin::Iin;
use kezek_core::ports::Registers;
use kezek_registers::HttpRegisters;
use serde_json::{json, Value};
use std::time::Duration;

const PARENT: &str = "900101300007";
const CHILD: &str = "230315500002";
const STRANGER: &str = "880808300004";

fn iin(s: &str) -> Iin {
    Iin::try_from(s.to_owned()).unwrap()
}

async fn gateway() -> String {
    let app = Router::new()
        .route(
            "/v1/persons/{iin}",
            get(|Path(iin): Path<String>, headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok())
                    != Some("Bearer gateway-token")
                {
                    return Err(StatusCode::UNAUTHORIZED);
                }
                match iin.as_str() {
                    PARENT => Ok(Json(
                        json!({"birth_date": "1990-01-01", "name": "ЖАНҰЗАҚОВА АЙГҮЛ СЕРІКҚЫЗЫ"}),
                    )),
                    CHILD => Ok(Json(json!({"birth_date": "2023-03-15"}))),
                    "920202400006" => Err(StatusCode::INTERNAL_SERVER_ERROR),
                    "850505300001" => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        Ok(Json(json!({"birth_date": "1985-05-05"})))
                    }
                    "230420600000" => Ok(Json(json!({"birth": "garbage"}))),
                    _ => Err(StatusCode::NOT_FOUND),
                }
            }),
        )
        .route(
            "/v1/mobile-citizens/check",
            post(|Json(b): Json<Value>| async move {
                Json(json!({"registered": b["iin"] == PARENT && b["phone"] == "+77011234567"}))
            }),
        )
        .route(
            "/v1/kinship/check",
            post(|Json(b): Json<Value>| async move {
                Json(json!({"confirmed": b["parent_iin"] == PARENT && b["child_iin"] == CHILD}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_registers_answer_through_the_gateway() {
    let base = gateway().await;
    let r = HttpRegisters::new(&format!("{base}/"), Some("gateway-token".into()))
        .with_timeout(Duration::from_millis(500));
    let child = r.person(&iin(CHILD)).await.unwrap().unwrap();
    assert_eq!(
        (Some(child.birth_date), child.name),
        (chrono::NaiveDate::from_ymd_opt(2023, 3, 15), None)
    );
    let parent = r.person(&iin(PARENT)).await.unwrap().unwrap();
    assert_eq!(parent.name.as_deref(), Some("ЖАНҰЗАҚОВА АЙГҮЛ СЕРІКҚЫЗЫ"));
    assert_eq!(
        r.person(&iin(STRANGER)).await.unwrap(),
        None,
        "404: unknown"
    );
    assert!(r
        .mobile_registered(&iin(PARENT), "+77011234567")
        .await
        .unwrap());
    assert!(!r
        .mobile_registered(&iin(PARENT), "+77019999999")
        .await
        .unwrap());
    assert!(r.kinship(&iin(PARENT), &iin(CHILD)).await.unwrap());
    assert!(!r.kinship(&iin(STRANGER), &iin(CHILD)).await.unwrap());

    // Failures are register errors, never a guess.
    for (who, what) in [
        ("920202400006", "status 500"),
        ("850505300001", "timeout"),
        ("230420600000", "answer"),
    ] {
        let e = r.person(&iin(who)).await.unwrap_err();
        assert!(e.0.contains(what), "{who}: {e}");
    }
    let unauthorized = HttpRegisters::new(&base, None);
    assert!(unauthorized.person(&iin(CHILD)).await.is_err());
    let nobody = HttpRegisters::new("http://127.0.0.1:9", None);
    assert!(nobody.kinship(&iin(PARENT), &iin(CHILD)).await.is_err());
}
