//! The national-scale machinery at a small size, in the test command: the dataset's shapes, its
//! load into the embedded store, and the fanned-out summer run with every district and age group
//! checked, a unit that sends itself again, and each district's run log verified.
//! (`kezek-scale` runs the same at 1,000,000 applications.)

use kezek_core::domain::Status;
use kezek_core::ports::{BuiltinRegisters, CatalogueStore, QueueReads, Records};
use kezek_core::reference::Reference;
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::values::RegistrationNumber;
use kezek_core::vouchers::OFFERS_PER_PART;
use kezek_core::Service;
use kezek_scale::{dataset, summer, At};
use std::collections::BTreeSet;
use std::sync::Arc;

#[tokio::test]
async fn a_small_country_is_loaded_and_its_summer_run_fans_out_and_checks() {
    let shape = dataset::Shape {
        applications: 30_000,
        districts: 24,
        seed: 7,
        ..dataset::Shape::default()
    };
    // The whole test binary runs with Akmola's districts and 4 generated ones.
    let reference = Reference::install(dataset::reference(shape.districts))
        .unwrap_or_else(|_| panic!("the reference was read before the test installed it"));
    assert_eq!(reference.districts.len(), 24);
    assert_eq!(reference.districts[20].code, "QAA");
    let calendar = kezek_core::calendar::Calendar::builtin();
    let data = dataset::generate(&shape, reference, calendar);
    let apps = &data.applications;
    assert_eq!(apps.len(), 30_000);

    // Shapes: every live status, privilege shares, six years of registrations.
    for s in [
        Status::Queued,
        Status::VoucherOffered,
        Status::VoucherActive,
        Status::Enrolled,
        Status::StopListed,
    ] {
        assert!(
            data.statuses.get(&s).copied().unwrap_or(0) > 0,
            "{s}: {:?}",
            data.statuses
        );
    }
    assert_eq!(data.statuses.get(&Status::Archived), None);
    let queued = data.statuses[&Status::Queued] as f64 / apps.len() as f64;
    assert!((0.86..0.92).contains(&queued), "queued share {queued}");
    let privileged = apps.iter().filter(|a| a.privilege.is_some()).count() as f64;
    assert!((0.08..0.12).contains(&(privileged / apps.len() as f64)));
    let years: BTreeSet<i32> = apps
        .iter()
        .map(|a| chrono::Datelike::year(&a.registered_at))
        .collect();
    assert!(years.len() >= 6, "{years:?}");
    // One live application per child; numbers unique and readable against the reference; no
    // reconfirmation lapsed on the summer's morning.
    let children: BTreeSet<_> = apps.iter().map(|a| a.child_iin.clone()).collect();
    assert_eq!(children.len(), apps.len());
    let numbers: BTreeSet<_> = apps.iter().map(|a| a.registration_number.clone()).collect();
    assert_eq!(numbers.len(), apps.len());
    for a in apps.iter().step_by(97) {
        let n = RegistrationNumber::parse(&a.registration_number, reference)
            .unwrap_or_else(|| panic!("{} does not parse", a.registration_number));
        assert_eq!(n.as_str(), a.registration_number);
    }
    let morning = kezek_core::time::at_local(
        shape.summer,
        chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
    );
    assert!(apps.iter().all(|a| a.reconfirm_by > morning));

    // The embedded store takes it whole, and a second load adds nothing.
    let store = Arc::new(EmbeddedStore::new());
    assert_eq!(store.import(apps.iter().cloned()), apps.len());
    assert_eq!(store.import(apps.iter().take(10).cloned()), 0);
    let svc = Service::new(
        store.clone(),
        store.clone(),
        Arc::new(At::new(morning.with_timezone(&chrono::Utc))),
        Arc::new(BuiltinRegisters),
    );
    // A queued child's position is its place in its cohort's order.
    let a = apps.iter().find(|a| a.status() == Status::Queued).unwrap();
    let p = svc.position(a, morning).await.unwrap().unwrap();
    let cohort = kezek_core::queue::cohort_of(a.child_birth_date);
    let order = store.queue(&a.district, cohort, usize::MAX).await.unwrap();
    assert_eq!(order[(p - 1) as usize].id, a.id);

    // Places: the test's one long queue gets places for all its children, so its run takes
    // more than one unit.
    let districts: Vec<String> = reference.districts.iter().map(|d| d.code.clone()).collect();
    let mut places = summer::places_for(apps, &districts, shape.summer);
    let queued_by_age = summer::queued_by_age(apps, shape.summer);
    let (long, q) = queued_by_age
        .iter()
        .max_by_key(|(_, q)| **q)
        .map(|(k, q)| (k.clone(), *q))
        .unwrap();
    assert!(q as usize > OFFERS_PER_PART, "the longest queue holds {q}");
    let outstanding = summer::outstanding(apps);
    places.insert(
        long.clone(),
        q + outstanding.get(&long).copied().unwrap_or(0),
    );
    for kg in summer::catalogue(&districts, &places) {
        store.put_kindergarten(kg, None).await.unwrap();
    }

    let run = summer::run(&svc).await.unwrap();
    assert_eq!(
        run.units.iter().filter(|u| !u.more).count(),
        districts.len() * 8
    );
    let (wrong, long_enough) = summer::check(&run, &places, &queued_by_age, &outstanding);
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(long_enough > 0);
    // The long queue's run went in units of at most OFFERS_PER_PART, sent again while places
    // were left, until every child of it was offered.
    let units: Vec<_> = run
        .units
        .iter()
        .filter(|u| (u.district.clone(), u.age_group) == long)
        .collect();
    assert_eq!(
        units.len(),
        (q as usize).div_ceil(OFFERS_PER_PART),
        "{units:?}"
    );
    assert!(units.iter().all(|u| u.offered <= OFFERS_PER_PART));
    assert_eq!(units.iter().map(|u| u.offered).sum::<usize>(), q as usize);
    assert!(run.largest().unwrap().offered <= OFFERS_PER_PART);

    // Every district's run log verifies, and its offers are the run's.
    let mut logged = 0;
    for d in &districts {
        let log = store.runs(d, 0, usize::MAX).await.unwrap();
        let v = kezek_core::run_log::verify(&log).unwrap_or_else(|e| panic!("{d}: {e:?}"));
        logged += v.offers;
    }
    assert_eq!(logged, run.offered());
    // A second summer run finds no place left: nothing more is offered.
    let again = summer::run(&svc).await.unwrap();
    assert_eq!(again.offered(), 0);
}
