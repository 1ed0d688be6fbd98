//! The portal's pages as the local runner serves them (issue 17's budgets): the server's render
//! time of each page on the embedded store (budget: p50 ≤ 1 ms) and what each page transfers,
//! HTML, CSS and (where the page signs with EDS) its script together (budget: ≤ 60 KB). The
//! parent has one application among 1,000 in the district, its voucher confirmed.
//!
//! `cargo bench -p kezek-local --bench portal` (criterion prints each page's median; the sizes
//! are printed first).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use kezek_core::iin::make_iin;
use kezek_core::{Principal, Role};
use kezek_local::keys::LocalKeys;
use kezek_local::Local;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const PARENT: &str = "900101300007";

fn iin(born: NaiveDate, from: u32) -> String {
    (from..from + 50)
        .find_map(|s| make_iin(born, true, s))
        .expect("an IIN")
        .as_str()
        .to_owned()
}

async fn body(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, bytes.to_vec())
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ACCEPT_LANGUAGE, "kk")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// A runner with 1,000 queued applications in KOK, the parent's first; the parent's session
/// cookie and application id.
async fn world() -> (Router, String, String, String) {
    let local = Local::new(&LocalKeys::generate().unwrap());
    let app = local.clone().router();
    let mut first = None;
    for i in 0..1_000u32 {
        let parent = if i == 0 {
            PARENT.to_owned()
        } else {
            iin(
                NaiveDate::from_ymd_opt(1985, 1, 1).unwrap() + chrono::Duration::days(i as i64 / 9),
                2000,
            )
        };
        let who = Principal {
            iin: kezek_core::iin::Iin::try_from(parent).unwrap(),
            role: Role::Parent,
            districts: vec![],
        };
        let token = local
            .api
            .sessions
            .issue(&who, chrono::Utc::now())
            .unwrap()
            .token;
        let child = iin(
            NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days(i as i64 % 700),
            3000 + i,
        );
        let req = Request::post("/v1/applications")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                r#"{{"district":"KOK","child_iin":"{child}","email":"p@example.kz","phone":"+77011234567"}}"#
            )))
            .unwrap();
        let (status, bytes) = body(&app, req).await;
        if status != StatusCode::CREATED {
            continue; // the same child drawn twice: the other one stands
        }
        if i == 0 {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            first = Some(v["id"].as_str().unwrap().to_owned());
        }
    }
    let who = Principal {
        iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
        role: Role::Parent,
        districts: vec![],
    };
    let token = local
        .api
        .sessions
        .issue(&who, chrono::Utc::now())
        .unwrap()
        .token;
    let cookie = format!("kezek_session={token}; kezek_csrf=0123456789abcdef0123456789abcdef");
    let id = first.expect("the parent's application");
    // The parent's voucher, offered and confirmed, so the kindergarten choice shows the
    // district's list (the seed catalogue).
    kezek_local::seed::seed(local.api.service.store.as_ref())
        .await
        .unwrap();
    let app_row = local
        .api
        .service
        .store
        .application(&id)
        .await
        .unwrap()
        .unwrap();
    let age_group = kezek_core::queue::age_group(
        app_row.child_birth_date,
        kezek_core::time::local_date(local.api.service.now()),
    );
    local
        .api
        .service
        .voucher_run(
            None,
            kezek_core::inputs::RunInput {
                district: "KOK".into(),
                age_group: i64::from(age_group),
            },
        )
        .await
        .unwrap();
    local
        .api
        .service
        .act(
            &who,
            &id,
            kezek_core::inputs::ParentAction::ConfirmVoucher,
            kezek_core::domain::Language::Kk,
        )
        .await
        .unwrap();
    // The seed operator of KOK, for the desk's pages.
    let operator = Principal {
        iin: kezek_core::iin::Iin::try_from("850505300001".to_owned()).unwrap(),
        role: Role::Operator,
        districts: vec!["KOK".into()],
    };
    let token = local
        .api
        .sessions
        .issue(&operator, chrono::Utc::now())
        .unwrap()
        .token;
    let desk = format!("kezek_session={token}; kezek_csrf=0123456789abcdef0123456789abcdef");
    (app, cookie, desk, id)
}

fn pages(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let (app, parent, desk, id) = rt.block_on(world());
    let card = format!("/applications/{id}");
    let pages = [
        ("home", "/".to_owned(), &parent),
        ("login", "/login".to_owned(), &parent),
        ("login by EDS", "/login/eds".to_owned(), &parent),
        ("journal", "/journal".to_owned(), &parent),
        ("application", card.clone(), &parent),
        ("kindergartens", format!("{card}/choose"), &parent),
        ("form, step 1", "/apply".to_owned(), &parent),
        ("profile", "/profile".to_owned(), &parent),
        // The operators' desk on the same district of 1,000 applications.
        ("desk", "/admin?district=KOK".to_owned(), &desk),
        (
            "desk: catalogue",
            "/admin/kindergartens?district=KOK".to_owned(),
            &desk,
        ),
        (
            "desk: queue",
            "/admin/queue?district=KOK&age_group=3".to_owned(),
            &desk,
        ),
        (
            "desk: run preview",
            "/admin/runs?district=KOK&age_group=3".to_owned(),
            &desk,
        ),
        (
            "desk: privileges",
            "/admin/privileges?district=KOK".to_owned(),
            &desk,
        ),
        (
            "desk: numbers",
            "/admin/numbers?district=KOK".to_owned(),
            &desk,
        ),
    ];
    let (_, css) = rt.block_on(body(&app, get("/assets/kezek.css", "")));
    let (_, js) = rt.block_on(body(&app, get("/assets/eds.js", "")));
    println!(
        "page sizes (budget 60 KB each: HTML, CSS and, where a page signs with EDS, its script):"
    );
    for (name, path, cookie) in &pages {
        let (status, html) = rt.block_on(body(&app, get(path, cookie)));
        assert_eq!(
            status,
            StatusCode::OK,
            "{name}: {}",
            String::from_utf8_lossy(&html)
        );
        let script = if String::from_utf8_lossy(&html).contains("/assets/eds.js") {
            js.len()
        } else {
            0
        };
        println!(
            "  {name:<18} HTML {:>6} B + CSS {:>5} B + JS {:>5} B = {:>6.1} KB",
            html.len(),
            css.len(),
            script,
            (html.len() + css.len() + script) as f64 / 1024.0
        );
    }
    let mut group = c.benchmark_group("portal page (budget p50 <= 1 ms)");
    for (name, path, cookie) in &pages {
        group.bench_function(*name, |b| {
            b.to_async(&rt)
                .iter(|| async { body(&app, get(path, cookie)).await })
        });
    }
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
