//! The main use cases on the embedded store and the pure rules under them.
//! `cargo bench -p kezek-core` (criterion prints the median of each).

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kezek_core::calendar::Calendar;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::{stores::*, BuiltinRegisters, SimClock};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::usecases::{ParentAction, RunInput, SubmitInput};
use kezek_core::{Principal, Role, Service};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::runtime::Runtime;

fn iin(birth: NaiveDate, serial: u32) -> Iin {
    (serial..serial + 50)
        .find_map(|s| make_iin(birth, true, s))
        .expect("IIN")
}

/// A distinct child IIN per n: 240 birth days, both sexes, a disjoint window of 4 serials each.
fn child(n: u32) -> Iin {
    let birth =
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days((n % 240) as i64);
    let k = n / 240;
    let serial = (k / 2) * 4;
    (serial..serial + 4)
        .find_map(|s| make_iin(birth, k.is_multiple_of(2), s))
        .expect("an IIN among 4 serials")
}

fn pure(c: &mut Criterion) {
    let cal = Calendar::builtin();
    let d = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
    c.bench_function("calendar: end of 5th working day (over Nauryz)", |b| {
        b.iter(|| cal.end_of_nth_working_day_after(std::hint::black_box(d), 5))
    });
    c.bench_function("iin: parse and validate", |b| {
        b.iter(|| Iin::parse(std::hint::black_box("900101300007"), d))
    });
}

fn usecases(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let store = Arc::new(EmbeddedStore::new());
    let clock = Arc::new(SimClock::new());
    clock.set(Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap());
    let svc = Service::new(
        store.clone(),
        store.clone(),
        clock,
        Arc::new(BuiltinRegisters),
    );
    // One applicant per 9 children (below the live limit of one applicant), as in a real queue.
    let applicant = |k: u32| {
        let i = k / 9;
        Principal {
            iin: iin(
                NaiveDate::from_ymd_opt(1975, 1, 1).unwrap()
                    + chrono::Duration::days((i % 3000) as i64),
                (i / 3000) * 50 + 1,
            ),
            role: Role::Parent,
            districts: vec![],
        }
    };
    let operator = Principal {
        iin: iin(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(), 1),
        role: Role::Operator,
        districts: vec!["KOK".into()],
    };
    let n = AtomicU32::new(0);
    // Submits the next child by its applicant; a privileged claim references the applicant's own
    // upload (made first).
    let submit = |privileged: bool| {
        let k = n.fetch_add(1, Ordering::Relaxed);
        let who = applicant(k);
        let proof = format!("d{k}");
        let input = SubmitInput {
            district: "KOK".into(),
            child_iin: child(k).as_str().into(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: None,
            privilege: privileged.then(|| kezek_core::usecases::PrivilegeInput {
                category: "military".into(),
                document_ids: vec![proof.clone()],
            }),
            signature: None,
        };
        let svc = &svc;
        let store = &store;
        async move {
            if privileged {
                store
                    .put_document(kezek_core::documents::DocumentRecord {
                        id: proof,
                        owner: who.iin.clone(),
                        kind: kezek_core::documents::DocumentKind::Upload,
                        name: "справка.pdf".into(),
                        content_type: "application/pdf".into(),
                        size: 250_000,
                        application_id: None,
                        key: format!("uploads/bench/d{k}"),
                        created_at: kezek_core::time::local(Utc::now()),
                    })
                    .await
                    .expect("the proof");
            }
            let id = svc
                .submit(&who, input, kezek_core::domain::Language::Ru)
                .await
                .expect("submit")
                .id;
            (who, id)
        }
    };
    rt.block_on(async {
        for _ in 0..10_000 {
            submit(false).await;
        }
    });
    c.bench_function("use case: submit (10k queue)", |b| {
        b.to_async(&rt).iter(|| submit(false))
    });
    let (parent, one) = rt.block_on(submit(false));
    c.bench_function("use case: application view with exact position", |b| {
        b.to_async(&rt)
            .iter(|| svc.application(&parent, &one, kezek_core::domain::Language::Kk))
    });
    c.bench_function("use case: confirm voucher", |b| {
        b.to_async(&rt).iter_batched(
            || {
                futures::executor::block_on(async {
                    let (who, id) = submit(true).await;
                    let kg = kezek_core::usecases::KindergartenInput {
                        name_kk: "Б".into(),
                        name_ru: "Б".into(),
                        district: "KOK".into(),
                        address: "А".into(),
                        phone: "1".into(),
                        ownership: kezek_core::domain::Ownership::State,
                        ddo_type: kezek_core::domain::DdoType::Kindergarten,
                        languages: kezek_core::domain::InstructionLanguage::Both,
                        admission: kezek_core::domain::AdmissionMode::General,
                        free_places: Some([("3".to_string(), 1u32)].into()),
                    };
                    svc.create_kindergarten(&operator, kg).await.expect("kg");
                    let run = RunInput {
                        district: "KOK".into(),
                        age_group: 3,
                    };
                    svc.voucher_run(Some(&operator), run).await.expect("run");
                    (who, id)
                })
            },
            |(who, id)| {
                let svc = &svc;
                async move {
                    svc.act(
                        &who,
                        &id,
                        ParentAction::ConfirmVoucher,
                        kezek_core::domain::Language::Ru,
                    )
                    .await
                    .expect("confirm")
                }
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("use case: expiry sweep, nothing due", |b| {
        b.to_async(&rt).iter(|| svc.sweep(Sweep::Expiry))
    });
}

criterion_group!(benches, pure, usecases);
criterion_main!(benches);
