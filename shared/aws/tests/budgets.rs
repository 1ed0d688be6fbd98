//! DynamoDB request budgets of quality.md, counted exactly by the request-counting interceptor on
//! the SDK client, against moto. `cargo test -p kezek-aws --test budgets -- --nocapture` prints
//! the counts per use case.

mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use kezek_aws::{DynamoStore, RequestCounter};
use kezek_core::calendar::Calendar;
use kezek_core::domain::{
    Actor, AdmissionMode, DdoType, InstructionLanguage, Language, Ownership, SignedWith,
};
use kezek_core::iin::{make_iin, Iin};
use kezek_core::lifecycle::{self, Command, Context, NewApplication, Sweep};
use kezek_core::ports::{BuiltinRegisters, SimClock};
use kezek_core::reference::Reference;
use kezek_core::usecases::{ChooseInput, KindergartenInput, ParentAction, RunInput, SubmitInput};
use kezek_core::{Principal, Role, Service};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

static SERIAL: AtomicU32 = AtomicU32::new(0);

fn iin(birth: NaiveDate) -> Iin {
    loop {
        let s = SERIAL.fetch_add(1, Ordering::Relaxed);
        if let Some(i) = make_iin(birth, s.is_multiple_of(2), s) {
            return i;
        }
    }
}

fn child() -> Iin {
    let n = SERIAL.load(Ordering::Relaxed);
    iin(NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + Duration::days((n % 200) as i64))
}

struct Env {
    svc: Service,
    store: Arc<DynamoStore>,
    counter: RequestCounter,
    clock: Arc<SimClock>,
    parent: Principal,
    operator: Principal,
}

async fn env() -> Env {
    let counter = RequestCounter::new();
    let store = common::store_with(Some(counter.clone())).await;
    let clock = Arc::new(SimClock::new());
    // Monday 1 June 2026, 10:00 in Astana.
    clock.set(Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap());
    let svc = Service::new(
        store.clone(),
        store.clone(),
        clock.clone(),
        Arc::new(BuiltinRegisters),
    );
    let parent = Principal {
        iin: iin(NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()),
        role: Role::Parent,
        districts: vec![],
    };
    let operator = Principal {
        iin: iin(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap()),
        role: Role::Operator,
        districts: vec!["KOK".into()],
    };
    Env {
        svc,
        store,
        counter,
        clock,
        parent,
        operator,
    }
}

impl Env {
    /// Runs `f`, then prints and returns its requests.
    async fn measure<T>(&self, what: &str, f: impl std::future::Future<Output = T>) -> (T, u64) {
        self.counter.reset();
        let out = f.await;
        let counts = self.counter.counts();
        let total = self.counter.total();
        println!("budget: {what:<48} {total} requests {counts:?}");
        (out, total)
    }

    async fn submit(&self) -> String {
        let input = SubmitInput {
            district: "KOK".into(),
            child_iin: child().as_str().into(),
            email: "parent@example.kz".into(),
            phone: "+77011234567".into(),
            language: None,
            privilege: None,
            signature: None,
        };
        self.svc
            .submit(&self.parent, input, Language::Ru)
            .await
            .expect("submit")
            .id
    }

    async fn kindergarten(&self, places: u32) -> String {
        let input = KindergartenInput {
            name_kk: "Балапан".into(),
            name_ru: "Балапан".into(),
            district: "KOK".into(),
            address: "Абай 1".into(),
            phone: "+77162000000".into(),
            ownership: Ownership::State,
            ddo_type: DdoType::Kindergarten,
            languages: InstructionLanguage::Both,
            admission: AdmissionMode::General,
            free_places: Some([("3".to_owned(), places)].into()),
        };
        self.svc
            .create_kindergarten(&self.operator, input)
            .await
            .expect("kindergarten")
            .id
    }

    async fn run(&self) -> Vec<String> {
        self.svc
            .voucher_run(
                Some(&self.operator),
                RunInput {
                    district: "KOK".into(),
                    age_group: 3,
                },
            )
            .await
            .expect("run")
            .application_ids
    }

    async fn act(&self, id: &str, action: ParentAction) -> kezek_core::views::ApplicationView {
        self.svc
            .act(&self.parent, id, action, Language::Ru)
            .await
            .expect("action")
    }
}

#[tokio::test]
async fn parent_routes_stay_within_their_request_budgets() {
    let e = env().await;
    let kg = e.kindergarten(3).await;

    // Submit: the number, one transaction (duplicate check inside), the position query.
    let (id, n) = e.measure("submit", e.submit()).await;
    assert!(n <= 3, "submit: {n}");

    let (_, n) = e
        .measure(
            "GET application (queued: + position)",
            e.svc.application(&e.parent, &id, Language::Kk),
        )
        .await;
    assert!(n <= 2 + 1, "read: {n}");
    let (_, n) = e
        .measure("GET history", e.svc.history(&e.parent, &id, Language::Kk))
        .await;
    assert!(n <= 2, "history: {n}");

    // A voucher run of one offer: catalogue, pool, queue head, one transaction per offer, and
    // the run's two log entries (the newest entries read, its start put before the offers, its
    // outcome after).
    let (offered, n) = e.measure("voucher run (1 offer)", e.run()).await;
    assert_eq!(offered, vec![id.clone()]);
    assert!(n <= 3 + 1 + 3, "run: {n}");

    let (_, n) = e
        .measure("confirm voucher", e.act(&id, ParentAction::ConfirmVoucher))
        .await;
    assert!(n <= 2, "confirm: {n}");
    let choose = ParentAction::Choose(ChooseInput {
        kindergarten_id: kg.clone(),
        signature: None,
    });
    let (v, n) = e.measure("choose kindergarten", e.act(&id, choose)).await;
    assert_eq!(v.status, kezek_core::domain::Status::Enrolled);
    assert!(n <= 2, "choose: {n}");

    // Refuse, restore, withdraw.
    let second = e.submit().await;
    e.run().await;
    let (_, n) = e
        .measure("refuse voucher", e.act(&second, ParentAction::Refuse))
        .await;
    assert!(n <= 2, "refuse: {n}");

    let third = e.submit().await;
    e.run().await;
    e.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 5, 5, 0, 0).unwrap());
    e.svc.sweep(Sweep::Expiry).await.expect("sweep");
    let (v, n) = e
        .measure(
            "restore (queued: + position)",
            e.act(&third, ParentAction::Restore),
        )
        .await;
    assert_eq!(v.status, kezek_core::domain::Status::Queued);
    assert!(n <= 2 + 1, "restore: {n}");
    let (_, n) = e
        .measure("withdraw", e.act(&third, ParentAction::Withdraw))
        .await;
    assert!(n <= 2, "withdraw: {n}");
}

/// The providers as the notifier sees them, accepting every message (only DynamoDB is counted).
struct Accepting;

#[async_trait::async_trait]
impl kezek_core::ports::Sender for Accepting {
    async fn send(
        &self,
        _: &kezek_core::ports::OutgoingMessage,
    ) -> Result<(), kezek_core::ports::SendError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_delivery_reads_the_application_only_when_its_text_names_the_queue() {
    use kezek_core::domain::NotificationKind;
    use kezek_core::ports::Outbox;
    let e = env().await;
    e.kindergarten(1).await;
    let id = e.submit().await;
    e.run().await;
    let pending = e.store.pending(50).await.expect("outbox");
    let of = |kind| {
        pending
            .iter()
            .find(|n| n.kind == kind && n.application_id.as_deref() == Some(id.as_str()))
            .cloned()
            .expect("the notification")
    };
    let (registered, offered) = (
        of(NotificationKind::Registered),
        of(NotificationKind::VoucherOffered),
    );
    // "Registered" names the queue: the application, then a claim and a record per channel and
    // the outbox's mark (the application is no longer queued: no position query).
    let (d, with_read) = e
        .measure(
            "deliver (registered: + application)",
            e.svc.deliver(&registered, &Accepting),
        )
        .await;
    assert_eq!(
        d.expect("delivered"),
        kezek_core::notifications::Delivered::Sent
    );
    // A voucher's notice carries all it says: no application read.
    let (d, without) = e
        .measure(
            "deliver (voucher offered)",
            e.svc.deliver(&offered, &Accepting),
        )
        .await;
    assert_eq!(
        d.expect("delivered"),
        kezek_core::notifications::Delivered::Sent
    );
    assert_eq!(without + 1, with_read, "{without} and {with_read}");
    assert!(without <= 2 + 2 + 2, "deliver: {without}");
    // Delivered twice (an SQS redelivery): the claims find both sent, nothing is sent again.
    let (d, again) = e
        .measure(
            "deliver again (voucher offered)",
            e.svc.deliver(&offered, &Accepting),
        )
        .await;
    assert_eq!(
        d.expect("delivered"),
        kezek_core::notifications::Delivered::Sent
    );
    assert!(again <= 2 + 2 + 2, "again: {again}");
}

#[tokio::test]
async fn a_voucher_run_reads_one_page_and_writes_one_transaction_per_offer() {
    let e = env().await;
    e.kindergarten(5).await;
    for _ in 0..8 {
        e.submit().await;
    }
    let (offered, n) = e.measure("voucher run (5 offers, 8 queued)", e.run()).await;
    assert_eq!(offered.len(), 5);
    assert_eq!(
        n,
        3 + 5 + 3,
        "catalogue + pool + queue page + 5 transactions + the run log (the newest entries, \
         the start put before the offers, the outcome after)"
    );
    let (again, n) = e
        .measure("voucher run again (no places left)", e.run())
        .await;
    assert!(again.is_empty());
    assert_eq!(
        n, 3,
        "catalogue + pool + the log's newest entries (a cut-off run to finish): nothing to \
         offer, the queue is not read"
    );
}

/// An expiry sweep over 10,000 live applications with 10 due reads only the 10 due ones: one
/// query page per shard of the due index, one transaction per due item.
#[tokio::test]
async fn an_expiry_sweep_reads_only_what_is_due() {
    let e = env().await;
    let reference = Reference::builtin();
    let district = reference.district("KOK").expect("KOK").clone();
    let cal = Calendar::builtin();
    let now = e.svc.now();
    let ctx = |t| Context {
        now: t,
        calendar: cal,
        reference,
    };
    let last_week = now - Duration::days(7);
    let mut apps = Vec::new();
    for i in 0..10_000u64 {
        let registered = last_week - Duration::days(30);
        let new = NewApplication {
            id: uuid::Uuid::new_v4().to_string(),
            registration_seq: i + 1,
            district: district.clone(),
            applicant_iin: e.parent.iin.clone(),
            child_iin: child(),
            child_birth_date: NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: Language::Kk,
            privilege: None,
            signed_with: SignedWith::Session,
        };
        let app = lifecycle::submit(new, ctx(registered))
            .expect("submit")
            .application;
        // 9,000 queued; 990 offered today (due later); 10 offered last week (due now).
        let app = match i {
            0..9_000 => app,
            _ => {
                let when = if i >= 9_990 { last_week } else { now };
                let offer = Command::OfferVoucher {
                    run_id: "r".into(),
                    age_group: 3,
                    log: None,
                };
                lifecycle::apply(&app, offer, &Actor::System, ctx(when))
                    .expect("offer")
                    .application
            }
        };
        apps.push(app);
    }
    e.store.import(&apps).await.expect("import");

    let before = e.store.items_read();
    let (report, n) = e
        .measure(
            "expiry sweep: 10,000 live, 10 due",
            e.svc.sweep(Sweep::Expiry),
        )
        .await;
    let report = report.expect("sweep");
    let read = e.store.items_read() - before;
    println!(
        "budget: expiry sweep read {read} items, lapsed {}",
        report.lapsed
    );
    assert_eq!(report.lapsed, 10);
    assert_eq!(read, 10, "only the due items are read");
    let shards = kezek_aws::keys::DUE_SHARDS;
    assert_eq!(
        n,
        shards + 10 + 1,
        "one page per due-index shard + one transaction per due item + the sweep's record"
    );

    let before = e.store.items_read();
    let (_, n) = e
        .measure(
            "reconfirmation sweep: 9,000 queued, none due",
            e.svc.sweep(Sweep::Reconfirmation),
        )
        .await;
    assert_eq!(e.store.items_read() - before, 0);
    assert_eq!(n, shards + 1, "one page per shard + the sweep's record");
}

/// Issue 16: a dependency that accepts and never answers costs a call at most the SDK's
/// operation timeout (the functions' shared config), never the function's whole time.
#[tokio::test]
async fn a_hung_endpoint_fails_within_the_operation_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accepted, never answered
        }
    });
    let config = aws_sdk_dynamodb::config::Builder::new()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "a", "b", None, None, "test",
        ))
        .endpoint_url(format!("http://{addr}"))
        .timeout_config(kezek_aws::sdk_timeouts())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let started = std::time::Instant::now();
    let out = client.list_tables().send().await;
    let took = started.elapsed();
    assert!(out.is_err(), "a hung endpoint answered");
    assert!(
        took <= kezek_aws::SDK_OPERATION_TIMEOUT + std::time::Duration::from_secs(1),
        "took {took:?}"
    );
    println!("a hung endpoint failed after {took:?}");
}

/// Issue 19: a position costs at most 3 requests at any place of a long queue (counted in the
/// queue's book, not by reading every child ahead), and so does the position history. A cohort
/// of 10,000 children registered over more than two years (about 10 a day), position 9,000.
#[tokio::test]
async fn a_position_deep_in_a_long_queue_costs_at_most_three_requests() {
    let e = env().await;
    let reference = Reference::builtin();
    let district = reference.district("KOK").expect("KOK").clone();
    let cal = Calendar::builtin();
    let now = e.svc.now();
    let first = now - Duration::days(900);
    let mut apps = Vec::new();
    for i in 0..10_000i64 {
        let new = NewApplication {
            id: uuid::Uuid::new_v4().to_string(),
            registration_seq: i as u64 + 1,
            district: district.clone(),
            applicant_iin: e.parent.iin.clone(),
            child_iin: child(),
            child_birth_date: NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: Language::Kk,
            privilege: None,
            signed_with: SignedWith::Session,
        };
        let ctx = Context {
            now: first + Duration::minutes(i * 129),
            calendar: cal,
            reference,
        };
        apps.push(lifecycle::submit(new, ctx).expect("submit").application);
    }
    e.store.import(&apps).await.expect("import");
    let deep = &apps[8_999];
    let (position, n) = e
        .measure("position 9,000 of 10,000", e.svc.position(deep, now))
        .await;
    assert_eq!(position.expect("position"), Some(9_000));
    assert!(n <= 3, "position: {n} requests");
    let (moves, n) = e
        .measure(
            "queue history at 9,000 of 10,000",
            e.svc.queue_history(&e.parent, &deep.id, Language::Ru),
        )
        .await;
    let moves = moves.expect("history");
    assert_eq!(moves.last().and_then(|m| m.to_position), Some(9_000));
    assert!(n <= 3, "queue history: {n} requests");
    // no voucher in this cohort yet: the estimate reads the older cohort's book too (the most)
    let (estimate, n) = e
        .measure(
            "wait estimate at 9,000 of 10,000",
            e.svc.wait_estimate(&e.parent, &deep.id, Language::Ru),
        )
        .await;
    let estimate = estimate.expect("estimate");
    assert_eq!(estimate.children_before, 8_999);
    assert!(n <= 3, "wait estimate: {n} requests");
}

/// Issue 19: a district's open data at a cohort of 10,000 queued children reads each age
/// group's queue in pages of 1,000 from where the last page ended, plus the run log's head:
/// counted here, with the bodies' sizes (the JSON must stay well under Lambda's 6 MB response).
#[tokio::test]
async fn a_districts_open_data_at_ten_thousand_children() {
    let e = env().await;
    let reference = Reference::builtin();
    let district = reference.district("KOK").expect("KOK").clone();
    let cal = Calendar::builtin();
    let now = e.svc.now();
    let first = now - Duration::days(900);
    let mut apps = Vec::new();
    for i in 0..10_000i64 {
        let new = NewApplication {
            id: uuid::Uuid::new_v4().to_string(),
            registration_seq: i as u64 + 1,
            district: district.clone(),
            applicant_iin: e.parent.iin.clone(),
            child_iin: child(),
            child_birth_date: NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: Language::Kk,
            privilege: None,
            signed_with: SignedWith::Session,
        };
        let ctx = Context {
            now: first + Duration::minutes(i * 129),
            calendar: cal,
            reference,
        };
        apps.push(lifecycle::submit(new, ctx).expect("submit").application);
    }
    e.store.import(&apps).await.expect("import");
    let (data, n) = e
        .measure(
            "open data of a district, 10,000 queued",
            e.svc.open_data(Some("KOK"), Some("csv")),
        )
        .await;
    let (data, _) = data.expect("open data");
    assert_eq!(data.rows.len(), 10_000);
    assert!(data
        .rows
        .iter()
        .enumerate()
        .all(|(i, r)| r.position == i as u64 + 1));
    assert_eq!(
        data.rows[8_999].registration_number,
        apps[8_999].registration_number
    );
    let (json, csv) = (data.to_json().unwrap(), data.to_csv().unwrap());
    println!(
        "open data at 10,000: {n} requests, JSON {} bytes, CSV {} bytes",
        json.len(),
        csv.len()
    );
    // 10 pages of the cohort (the 10th full page asks once more and finds nothing), one
    // query for each of the 7 empty age groups, one for the run log.
    assert!(n <= 20, "open data: {n} requests");
    assert!(json.len() < 2 << 20, "JSON {} bytes", json.len());
}
