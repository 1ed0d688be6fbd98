//! Handler time of every route on the embedded store (budget: p50 ≤ 1 ms), through the shared HTTP
//! layer as a Lambda or the local runner calls it. The store holds 10,000 queued applications in
//! one district, so queue positions and runs work on a realistic queue.
//!
//! `cargo bench -p kezek-http` (criterion prints the median of each route).

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kezek_core::iin::{make_iin, Iin};
use kezek_core::ports::{BuiltinRegisters, SimClock, StoreError};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::{Principal, Role, Service};
use kezek_http::{Api, Sessions};
use lambda_http::http::Method;
use lambda_http::{Body, Request};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::runtime::Runtime;

const QUEUED: u32 = 10_000;

/// Document bytes in memory (the benchmark times the handlers, not a file system or S3).
#[derive(Default)]
struct MemBlobs(std::sync::Mutex<std::collections::HashMap<String, usize>>);

#[async_trait::async_trait]
impl kezek_core::ports::Blobs for MemBlobs {
    async fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        _: std::time::Duration,
    ) -> Result<String, StoreError> {
        Ok(format!("mem://{key}?type={content_type}&size={size}"))
    }
    async fn download_url(
        &self,
        key: &str,
        name: &str,
        _: std::time::Duration,
    ) -> Result<String, StoreError> {
        Ok(format!("mem://{key}?name={name}"))
    }
    async fn put(&self, key: &str, bytes: Vec<u8>, _: &str) -> Result<(), StoreError> {
        self.0.lock().unwrap().insert(key.to_owned(), bytes.len());
        Ok(())
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.0.lock().unwrap().get(key).map(|n| *n as u64))
    }
    async fn upload_form(
        &self,
        key: &str,
        max_size: u64,
        redirect: &str,
        _: std::time::Duration,
    ) -> Result<kezek_core::ports::UploadForm, StoreError> {
        Ok(kezek_core::ports::UploadForm {
            action: "mem://uploads".into(),
            fields: vec![
                ("key".into(), key.into()),
                ("max".into(), max_size.to_string()),
                ("redirect".into(), redirect.into()),
            ],
        })
    }
    async fn first_bytes(&self, _: &str, _: usize) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(Some(b"%PDF-1.7".to_vec()))
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }
}

/// Submissions per applicant: below the live limit (`MAX_LIVE_APPLICATIONS_PER_APPLICANT`), so a
/// long queue has many parents, as a real one.
const PER_APPLICANT: u32 = 9;

struct Bench {
    api: Api,
    sessions: Sessions,
    parent: String,
    operator: String,
    /// Each applicant's session and uploaded proof, one per [`PER_APPLICANT`] children.
    applicants: std::sync::Mutex<Vec<(String, String)>>,
    /// The session of each application's applicant.
    owners: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// The district's kindergartens (20, as in a real district).
    kgs: Vec<String>,
    next_child: AtomicU32,
    kg: String,
}

fn iin(birth: NaiveDate, serial: u32) -> Iin {
    (serial..serial + 50)
        .find_map(|s| make_iin(birth, true, s))
        .expect("an IIN among 50 serials")
}

/// A distinct child IIN per n (born in 2023, age group 3 in June 2026): 240 birth days, both
/// sexes, and a disjoint window of 4 serials each (almost every serial has a check digit), so
/// over a million children before any repeats.
fn child(n: u32) -> Iin {
    let birth =
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days((n % 240) as i64);
    let k = n / 240;
    let serial = (k / 2) * 4;
    (serial..serial + 4)
        .find_map(|s| make_iin(birth, k.is_multiple_of(2), s))
        .expect("an IIN among 4 serials")
}

fn req(method: Method, path: &str, token: Option<&str>, body: &str) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(path)
        .header("accept-language", "kk");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(if body.is_empty() {
        Body::Empty
    } else {
        Body::from(body.to_owned())
    })
    .expect("request")
}

impl Bench {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> serde_json::Value {
        let resp = self.api.handle(req(method, path, token, body)).await;
        let status = resp.status();
        let v: serde_json::Value = serde_json::from_slice(resp.body().as_ref()).unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// The session and proof upload of the applicant of the `n`th child.
    async fn applicant(&self, n: u32) -> (String, String) {
        let i = (n / PER_APPLICANT) as usize;
        if let Some(a) = self.applicants.lock().unwrap().get(i).cloned() {
            return a;
        }
        let birth = NaiveDate::from_ymd_opt(1975, 1, 1).unwrap()
            + chrono::Duration::days((i % 3000) as i64);
        let who = Principal {
            iin: iin(birth, (i / 3000) as u32 * 50 + 1),
            role: Role::Parent,
            districts: vec![],
        };
        let token = self.sessions.issue(&who, Utc::now()).expect("token").token;
        let proof = self
            .call(
                Method::POST,
                "/v1/documents",
                Some(&token),
                r#"{"name":"справка.pdf","content_type":"application/pdf","size":250000}"#,
            )
            .await;
        let proof = proof["id"].as_str().unwrap_or_default().to_owned();
        let mut all = self.applicants.lock().unwrap();
        if all.len() == i {
            all.push((token, proof));
        }
        all[i].clone()
    }

    /// The session of an application's applicant.
    fn owner(&self, id: &str) -> String {
        self.owners
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// Submits a new child (by the applicant of its turn); `privileged` claims an out-of-turn
    /// category, so a voucher run takes it before the long queue of others.
    async fn submit_as(&self, privileged: bool) -> String {
        let n = self.next_child.fetch_add(1, Ordering::Relaxed);
        let (token, proof) = self.applicant(n).await;
        let privilege = if privileged {
            format!(r#","privilege":{{"category":"military","document_ids":["{proof}"]}}"#)
        } else {
            String::new()
        };
        let body = format!(
            r#"{{"district":"KOK","child_iin":"{}","email":"p@example.kz","phone":"+77011234567"{privilege}}}"#,
            child(n).as_str()
        );
        let v = self
            .call(Method::POST, "/v1/applications", Some(&token), &body)
            .await;
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        self.owners.lock().unwrap().insert(id.clone(), token);
        id
    }

    async fn submit(&self) -> String {
        self.submit_as(true).await
    }

    /// A fresh queued application and one more free place for it in one of the district's
    /// kindergartens (rotating over them, so none nears the places limit).
    async fn placed(&self) -> (String, String) {
        let id = self.submit().await;
        let n = self.next_child.load(Ordering::Relaxed) as usize;
        let kg = self.kgs[n % self.kgs.len()].clone();
        let all = self
            .call(Method::GET, "/v1/kindergartens?district=KOK", None, "")
            .await;
        let free = all
            .as_array()
            .and_then(|l| l.iter().find(|k| k["id"] == kg.as_str()))
            .and_then(|k| k["free_places"]["3"].as_u64())
            .unwrap_or(0);
        let path = format!("/v1/admin/kindergartens/{kg}/places");
        let places = format!(r#"{{"3": {}}}"#, free + 1);
        self.call(Method::PUT, &path, Some(&self.operator), &places)
            .await;
        (id, kg)
    }

    /// The voucher run of one offer.
    async fn run(&self) -> serde_json::Value {
        let body = r#"{"district":"KOK","age_group":3}"#;
        self.call(
            Method::POST,
            "/v1/admin/voucher-runs",
            Some(&self.operator),
            body,
        )
        .await
    }

    /// A fresh application with an offered voucher, and the kindergarten with its place.
    async fn offered(&self) -> (String, String) {
        let (id, kg) = self.placed().await;
        let run = self.run().await;
        let offered = run["application_ids"][0]
            .as_str()
            .map(str::to_owned)
            .unwrap_or(id);
        (offered, kg)
    }
}

fn setup(rt: &Runtime) -> Bench {
    rt.block_on(async {
        let store = Arc::new(EmbeddedStore::new());
        let clock = Arc::new(SimClock::new());
        clock.set(Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap());
        let mut service = Service::new(store.clone(), store.clone(), clock, Arc::new(BuiltinRegisters));
        service.blobs = Some(Arc::new(MemBlobs::default()));
        service.render = Some(kezek_core::documents::render_pdf);
        let public = include_str!("../../../tests/fixtures/keys/session.pub");
        let sessions = Sessions::verifier(public)
            .and_then(|s| s.with_signer(include_str!("../../../tests/fixtures/keys/session.key"), public))
            .expect("key");
        let api = Api::build(service, store.clone(), sessions.clone(), &[9u8; 32], Arc::new(kezek_core::ports::NoRoots));
        let parent_iin = iin(NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(), 1);
        let parent = sessions
            .issue(&Principal { iin: parent_iin, role: Role::Parent, districts: vec![] }, Utc::now())
            .expect("token")
            .token;
        let operator = sessions
            .issue(
                &Principal {
                    iin: iin(NaiveDate::from_ymd_opt(1985, 5, 5).unwrap(), 1),
                    role: Role::Operator,
                    districts: vec!["KOK".into()],
                },
                Utc::now(),
            )
            .expect("token")
            .token;
        let mut b = Bench {
            api,
            sessions,
            parent,
            operator,
            applicants: Default::default(),
            owners: Default::default(),
            kgs: Vec::new(),
            next_child: AtomicU32::new(0),
            kg: String::new(),
        };
        let kg = b
            .call(
                Method::POST,
                "/v1/admin/kindergartens",
                Some(&b.operator),
                r#"{"name_kk":"Балапан","name_ru":"Балапан","district":"KOK","address":"Абай 1","phone":"+77162000000","ownership":"state","type":"kindergarten","languages":"both","admission":"general","free_places":{"3":0}}"#,
            )
            .await;
        b.kg = kg["id"].as_str().unwrap_or_default().to_owned();
        for i in 0..20 {
            let body = format!(
                r#"{{"name_kk":"Айгөлек {i}","name_ru":"Айголек {i}","district":"KOK","address":"Ауэзов {i}","phone":"+77162000001","ownership":"state","type":"kindergarten","languages":"both","admission":"general","free_places":{{"3":0}}}}"#
            );
            let kg = b.call(Method::POST, "/v1/admin/kindergartens", Some(&b.operator), &body).await;
            b.kgs.push(kg["id"].as_str().unwrap_or_default().to_owned());
        }
        // The parent's own applications are few; the queue is long (other parents' children).
        for _ in 0..QUEUED {
            b.submit_as(false).await;
        }
        b
    })
}

fn routes(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let bench = setup(&rt);
    let b = &bench;
    let app = rt.block_on(b.submit());
    let owner = b.owner(&app);
    let app_path = format!("/v1/applications/{app}");
    let history_path = format!("{app_path}/history");
    let documents_path = format!("{app_path}/documents");
    let mut g = c.benchmark_group("routes");
    g.sample_size(50);

    let get_routes: Vec<(&str, String, Option<&str>)> = vec![
        ("GET health", "/v1/health".into(), None),
        ("GET districts", "/v1/districts".into(), None),
        (
            "GET kindergartens",
            "/v1/kindergartens?district=KOK&age_group=3".into(),
            None,
        ),
        (
            "GET application (position in 10k queue)",
            app_path.clone(),
            Some(&owner),
        ),
        ("GET history", history_path, Some(&owner)),
        (
            "GET documents (registration issued)",
            documents_path,
            Some(&owner),
        ),
        (
            "GET applications (journal)",
            "/v1/applications".into(),
            Some(&owner),
        ),
        ("GET me", "/v1/me".into(), Some(&owner)),
        (
            "GET admin queue (first 100)",
            "/v1/admin/queue?district=KOK&age_group=3".into(),
            Some(&b.operator),
        ),
        (
            "GET admin stats",
            "/v1/admin/stats?district=KOK".into(),
            Some(&b.operator),
        ),
    ];
    for (name, path, token) in &get_routes {
        g.bench_function(*name, |bn| {
            bn.to_async(&rt)
                .iter(|| b.call(Method::GET, path, *token, ""))
        });
    }
    g.bench_function("POST applications (submit)", |bn| {
        bn.to_async(&rt).iter(|| b.submit())
    });
    g.bench_function("POST documents (upload URL)", |bn| {
        bn.to_async(&rt).iter(|| {
            b.call(
                Method::POST,
                "/v1/documents",
                Some(&b.parent),
                r#"{"name":"справка.pdf","content_type":"application/pdf","size":250000}"#,
            )
        })
    });
    // Not a route: the issue-documents function's work for one registration (render the PDF in
    // Kazakh and Russian, store it, record it).
    g.bench_function("issue registration PDF (issuer, per event)", |bn| {
        bn.to_async(&rt).iter_batched(
            || futures::executor::block_on(b.submit()),
            |id| async move {
                let service = &b.api.service;
                let app = service.store.application(&id).await.unwrap().unwrap();
                service.issue_documents(&app).await.unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("PUT places", |bn| {
        let path = format!("/v1/admin/kindergartens/{}/places", b.kg);
        bn.to_async(&rt)
            .iter(|| b.call(Method::PUT, &path, Some(&b.operator), r#"{"5": 3}"#))
    });
    g.bench_function("POST voucher/confirm", |bn| {
        bn.to_async(&rt).iter_batched(
            || futures::executor::block_on(b.offered()).0,
            |id| {
                let path = format!("/v1/applications/{id}/voucher/confirm");
                let token = b.owner(&id);
                async move { b.call(Method::POST, &path, Some(&token), "").await }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("POST kindergarten (choose and sign)", |bn| {
        bn.to_async(&rt).iter_batched(
            || {
                futures::executor::block_on(async {
                    let (id, kg) = b.offered().await;
                    b.call(
                        Method::POST,
                        &format!("/v1/applications/{id}/voucher/confirm"),
                        Some(&b.owner(&id)),
                        "",
                    )
                    .await;
                    (id, kg)
                })
            },
            |(id, kg)| {
                let path = format!("/v1/applications/{id}/kindergarten");
                let body = format!(r#"{{"kindergarten_id":"{kg}"}}"#);
                let token = b.owner(&id);
                async move { b.call(Method::POST, &path, Some(&token), &body).await }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("POST withdraw", |bn| {
        bn.to_async(&rt).iter_batched(
            || futures::executor::block_on(b.submit()),
            |id| {
                let path = format!("/v1/applications/{id}/withdraw");
                let token = b.owner(&id);
                async move { b.call(Method::POST, &path, Some(&token), "").await }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("POST voucher-runs (1 offer)", |bn| {
        bn.to_async(&rt).iter_batched(
            || futures::executor::block_on(b.placed()),
            |_| b.run(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("POST sweeps/expiry (nothing due)", |bn| {
        bn.to_async(&rt).iter(|| {
            b.call(
                Method::POST,
                "/v1/admin/sweeps/expiry",
                Some(&b.operator),
                "",
            )
        })
    });
    g.finish();
}

criterion_group!(benches, routes);
criterion_main!(benches);
