//! The simulated world: the real service over the embedded store behind [`Faulty`], a clock that
//! moves only when the simulation says, families who register and act (on time, late, twice at
//! once), operators' runs, the summer's scheduled runs, the sweeps and the deliveries, all as
//! events in time order drawn from one seed.

use crate::check::{self, Violation};
use crate::dice::Dice;
use crate::faulty::{Faults, Faulty, FaultyOutbox};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use kezek_core::access::{Principal, Role};
use kezek_core::domain::*;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::inputs::*;
use kezek_core::ports::*;
use kezek_core::service::Service;
use kezek_core::store_embedded::EmbeddedStore;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use crate::parts::{MemBlobs, Provider, SeededIds, StillClock};
pub use crate::parts::{PROVIDER_DOWN, S3_DOWN};
use crate::types::{at, mix};
pub use crate::types::{micros, Backend, Config, Event, Failed, Report, Step};

pub(crate) struct Family {
    pub(crate) parent: Principal,
    pub(crate) child: Iin,
    pub(crate) district: usize,
    /// The other parent, if any, and whether it has linked the child yet.
    pub(crate) co_parent: Option<(Principal, bool)>,
    /// The privilege it claims at registration, with an upload, if any.
    pub(crate) privilege: Option<&'static str>,
    /// Whether its visits are scheduled (one chain of visits a family).
    pub(crate) visiting: bool,
}

pub const CLOCK_JUMP: &str = "clock jumped past sweeps";
pub const OUTAGE: &str = "provider, SQS or S3 out for a day or more";

impl check::Observed for World {
    fn store(&self) -> &dyn Store {
        &*self.store
    }
    fn outbox(&self) -> &dyn Outbox {
        &*self.outbox
    }
    fn service(&self) -> &Service {
        &self.svc
    }
    fn districts(&self) -> &[String] {
        &self.districts
    }
    fn capacity(&self) -> &BTreeMap<(String, String), u32> {
        &self.capacity
    }
    fn parents(&self) -> Vec<Iin> {
        self.families.iter().map(|f| f.parent.iin.clone()).collect()
    }
    fn histories_checked(&self) -> &Mutex<HashMap<String, u64>> {
        &self.histories
    }
    fn sent(&self) -> HashMap<(String, Channel), u64> {
        self.provider
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The world of one seed.
pub struct World {
    pub(crate) seed: u64,
    pub(crate) cfg: Config,
    pub(crate) dice: Dice,
    /// The store and outbox as they are (the checks read them), past the faults.
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
    pub faults: Arc<Faults>,
    /// S3: the issued documents and the parents' uploads.
    pub blobs: Arc<MemBlobs>,
    /// SQS: the notifier's queue and its dead-letter queue.
    pub queue: Arc<crate::parts::SimQueue>,
    /// The table's stream as the relay reads it: entries not published yet, with their tries.
    pub(crate) relay_stream: std::collections::VecDeque<(Notification, u32)>,
    /// The table's stream as the issuer reads it: outbox entries not issued yet.
    pub(crate) stream: std::collections::VecDeque<Notification>,
    pub(crate) seen: std::collections::HashSet<String>,
    /// Each application's version at its history's last check.
    pub(crate) histories: Mutex<HashMap<String, u64>>,
    pub svc: Service,
    pub(crate) clock: Arc<StillClock>,
    pub provider: Provider,
    pub(crate) families: Vec<Family>,
    pub districts: Vec<String>,
    /// Each kindergarten's places per age group as the operators set them.
    pub capacity: BTreeMap<(String, String), u32>,
    pub(crate) events: BinaryHeap<Reverse<(i64, u64, Event)>>,
    pub(crate) order: u64,
    /// Sweeps do not fire before this instant (a clock jump).
    pub(crate) jumped_to: i64,
    pub(crate) sweep_at: Option<i64>,
    /// The first instant of the simulated year.
    pub(crate) start: i64,
    pub(crate) trail: Vec<String>,
    /// The steps run so far.
    pub(crate) log: Vec<Step>,
    /// A replay: the steps to run, in order, instead of the schedule (nothing is scheduled).
    pub(crate) replay: Option<std::collections::VecDeque<Step>>,
    pub(crate) ids: Arc<SeededIds>,
    /// Whether two deliveries of one message race at once (on the embedded store; on DynamoDB
    /// they go one after the other, so a seed replays).
    pub(crate) racing: bool,
    pub report: Report,
}

const AGES: std::ops::RangeInclusive<u8> = 1..=6;
pub(crate) const SWEEP_EVERY: i64 = 15 * 60 * 1_000_000;

impl World {
    pub async fn new(seed: u64, cfg: Config) -> World {
        match World::on(seed, cfg, Backend::Embedded).await {
            Ok(w) => w,
            Err(_) => unreachable!("the embedded store is always there"),
        }
    }

    /// The world of one seed on the given store.
    pub async fn on(seed: u64, cfg: Config, backend: Backend) -> Result<World, String> {
        let mut dice = Dice::new(seed);
        let faults = Faults::new(dice.split(), cfg.rates);
        // the store as it is (the checks read it) and the one the service writes through
        type Pair = (Arc<dyn Store>, Arc<dyn Outbox>);
        let ((store, outbox), (under, under_outbox)): (Pair, Pair) = match &backend {
            Backend::Embedded => {
                let embedded = Arc::new(EmbeddedStore::new());
                (
                    (embedded.clone(), embedded.clone()),
                    (embedded.clone(), embedded),
                )
            }
            Backend::DynamoDb { endpoint } => {
                let (faulty, clean) = crate::dynamo::stores(endpoint, faults.clone()).await?;
                ((clean.clone(), clean), (faulty.clone(), faulty))
            }
        };
        let faulty: Arc<dyn Store> = Arc::new(Faulty {
            inner: under.clone(),
            faults: faults.clone(),
            // on DynamoDB the SDK client's connector injects the commit faults
            commit_faults: matches!(backend, Backend::Embedded),
        });
        // 2026-09-01 09:00 in Almaty
        let start = Utc.with_ymd_and_hms(2026, 9, 1, 4, 0, 0).unwrap();
        let clock = Arc::new(StillClock(Mutex::new(start)));
        let faulty_outbox: Arc<dyn Outbox> = Arc::new(FaultyOutbox {
            inner: under_outbox,
            faults: faults.clone(),
        });
        let mut svc = Service::new(
            faulty,
            faulty_outbox,
            clock.clone(),
            Arc::new(BuiltinRegisters),
        );
        let ids = Arc::new(SeededIds(Mutex::new(dice.split())));
        svc.ids = ids.clone();
        let blobs = Arc::new(MemBlobs::new(faults.clone(), clock.clone()));
        svc.blobs = Some(blobs.clone());
        svc.render = Some(kezek_pdf::render);
        let districts: Vec<String> = ["KOK", "AST", "STP"]
            .iter()
            .filter(|d| svc.reference().district(d).is_some())
            .take(2)
            .map(|d| (*d).to_owned())
            .collect();
        let queue = Arc::new(crate::parts::SimQueue::new(faults.clone(), clock.clone()));
        let provider = Provider {
            faults: faults.clone(),
            clock: clock.clone(),
            down_until: Mutex::new(start),
            sent: Mutex::new(HashMap::new()),
        };
        let mut w = World {
            seed,
            cfg,
            dice,
            store,
            outbox,
            faults,
            blobs,
            queue,
            relay_stream: Default::default(),
            stream: Default::default(),
            seen: Default::default(),
            histories: Default::default(),
            svc,
            clock,
            provider,
            families: Vec::new(),
            districts,
            capacity: BTreeMap::new(),
            events: BinaryHeap::new(),
            order: 0,
            jumped_to: 0,
            sweep_at: None,
            start: micros(start),
            trail: Vec::new(),
            log: Vec::new(),
            replay: None,
            ids,
            racing: matches!(backend, Backend::Embedded),
            report: Report {
                seed,
                ..Report::default()
            },
        };
        w.setup(start).await;
        Ok(w)
    }

    pub(crate) fn schedule(&mut self, t: i64, e: Event) {
        if self.replay.is_some() {
            return; // a replay runs its given steps only
        }
        self.order += 1;
        self.events.push(Reverse((t, self.order, e)));
    }

    async fn setup(&mut self, start: DateTime<Utc>) {
        let operator = crate::parts::operator;
        for d in self.districts.clone() {
            for k in 0..2 {
                let places: BTreeMap<String, u32> = AGES
                    .map(|a| (a.to_string(), 2 + self.dice.below(3) as u32))
                    .collect();
                let kg = self
                    .svc
                    .create_kindergarten(
                        &operator(&d),
                        KindergartenInput {
                            name_kk: format!("Балапан {k}"),
                            name_ru: format!("Балапан {k}"),
                            district: d.clone(),
                            address: "Абай 1".into(),
                            phone: "+77162000000".into(),
                            ownership: Ownership::State,
                            ddo_type: DdoType::Kindergarten,
                            languages: InstructionLanguage::Both,
                            admission: AdmissionMode::General,
                            free_places: Some(places.clone()),
                        },
                    )
                    .await;
                if let Ok(kg) = kg {
                    for (a, n) in places {
                        self.capacity.insert((kg.id.clone(), a), n);
                    }
                }
            }
        }
        let mut serial = 100;
        while self.families.len() < self.cfg.families {
            serial += 1;
            let born = NaiveDate::from_ymd_opt(2021, 9, 2).unwrap_or_default()
                + Duration::days(self.dice.below(4 * 365 + 270) as i64);
            let parent_born = NaiveDate::from_ymd_opt(1985, 1, 1).unwrap_or_default()
                + Duration::days(self.dice.below(3650) as i64);
            let (Some(child), Some(parent)) = (
                make_iin(born, serial % 2 == 0, serial),
                make_iin(parent_born, serial % 3 == 0, serial),
            ) else {
                continue;
            };
            let district = self.dice.below(self.districts.len() as u64) as usize;
            self.families.push(Family {
                parent: Principal {
                    iin: parent,
                    role: Role::Parent,
                    districts: vec![],
                },
                child,
                district,
                co_parent: self
                    .dice
                    .chance(250)
                    .then(|| {
                        let born = parent_born + Duration::days(400);
                        make_iin(born, serial % 2 == 1, serial + 5000).map(|iin| {
                            let co = Principal {
                                iin,
                                role: Role::Parent,
                                districts: vec![],
                            };
                            (co, false)
                        })
                    })
                    .flatten(),
                privilege: match self.dice.below(20) {
                    0 => Some("military"),
                    1 => Some("large_family"),
                    _ => None,
                },
                visiting: false,
            });
            let f = self.families.len() - 1;
            if self.dice.chance(500) {
                // registered in the year before: it reconfirms (or lapses) in this one
                let back = (1 + self.dice.below(364 * 86_400)) as i64 * 1_000_000;
                self.clock.set(at(micros(start) - back));
                self.register(f).await.ok();
                self.clock.set(start);
            } else {
                let when = micros(start) + self.dice.below(120 * 86_400) as i64 * 1_000_000;
                self.schedule(when, Event::Register(f));
            }
        }
        // Operators' runs on the 10th of each month at 11:00, the summer's scheduled runs on
        // working days of July and August at 10:00, deliveries twice a day.
        let first = start.date_naive();
        for day in 0..self.cfg.days {
            let date = first + Duration::days(day);
            let local =
                |h: u32| Utc.from_utc_datetime(&date.and_hms_opt(h - 5, 0, 0).unwrap_or_default());
            use chrono::{Datelike, Weekday};
            if date.day() == 10 {
                for d in 0..self.districts.len() {
                    for a in AGES {
                        self.schedule(micros(local(11)), Event::Run(d, a));
                    }
                }
            }
            let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            if matches!(date.month(), 7 | 8) && weekday {
                self.schedule(micros(local(10)), Event::Summer);
            }
            self.schedule(micros(local(7)), Event::Relay);
            self.schedule(micros(local(19)), Event::Relay);
            self.schedule(micros(local(8)), Event::Deliver);
            self.schedule(micros(local(20)), Event::Deliver);
            // the stream runs the issuer soon after each commit; here twice a day
            self.schedule(micros(local(9)), Event::Issue);
            self.schedule(micros(local(21)), Event::Issue);
            // operators: places now and then, details rarely, claims reviewed on Wednesdays
            for d in 0..self.districts.len() {
                if self.dice.chance(60) {
                    self.schedule(micros(local(14)), Event::Places(d));
                }
                if self.dice.chance(15) {
                    self.schedule(micros(local(15)), Event::Catalogue(d));
                }
                if date.weekday() == Weekday::Wed {
                    self.schedule(micros(local(16)), Event::Review(d));
                }
            }
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn note(&mut self, s: String) {
        let keep = if self.replay.is_some() { 1000 } else { 40 };
        if self.trail.len() >= keep {
            self.trail.remove(0);
        }
        self.trail
            .push(format!("{} {s}", self.now().format("%Y-%m-%d %H:%M")));
    }

    fn fail(&self, violation: Violation) -> Failed {
        Failed {
            seed: self.seed,
            step: self.report.steps,
            day: (micros(self.now()) - self.start) / (86_400 * 1_000_000),
            config: self.cfg,
            violation,
            trail: self.trail.clone(),
            log: self.log.clone(),
        }
    }

    /// Runs the whole year; the first broken invariant ends it.
    pub async fn run(mut self) -> Result<Report, Failed> {
        let end = micros(self.now()) + self.cfg.days * 86_400 * 1_000_000;
        self.faults.set(true);
        loop {
            let step = match &mut self.replay {
                Some(steps) => match steps.pop_front() {
                    Some(s) => s,
                    None => break,
                },
                None => match self.events.pop() {
                    Some(Reverse((at, _, event))) => Step {
                        index: self.report.steps + 1,
                        at,
                        event,
                    },
                    None => break,
                },
            };
            let (t, e) = (step.at, step.event);
            if t > end {
                break;
            }
            if t > micros(self.now()) {
                self.clock.set(at(t));
            }
            self.report.steps += 1;
            self.log.push(step);
            // The step's chances come from its own stream (the seed and the step's place in the
            // schedule), so a replay of some of the steps gives each the chances it had.
            let mut dice = Dice::new(mix(self.seed, step.index));
            *self.faults.dice.lock().unwrap_or_else(|e| e.into_inner()) = dice.split();
            *self.ids.0.lock().unwrap_or_else(|e| e.into_inner()) = dice.split();
            self.dice = dice;
            // each step is an invocation of its own: a process killed in the last one is gone
            self.faults.revive();
            self.step(e).await.map_err(|v| self.fail(v))?;
            self.faults.revive();
            // every history read again every 100 steps; between, those whose version moved
            let every = self.report.steps.is_multiple_of(100);
            let (checks, apps) = check::all(&self, every).await.map_err(|v| self.fail(v))?;
            self.report.checks += checks;
            if every {
                self.report.checks += check::books(&self).await.map_err(|v| self.fail(v))?;
            }
            self.plan_sweep(&apps);
        }
        // The end: faults off, a live process, the provider up; a last run in each district
        // (it finishes the runs cut off), every pending message delivered.
        self.faults.set(false);
        self.faults.revive();
        self.clock.set(self.now() + Duration::hours(1));
        for d in self.districts.clone() {
            let input = RunInput {
                district: d,
                age_group: 3,
            };
            if let Err(f) = self.svc.voucher_run(None, input).await {
                return Err(self.fail(Violation::new("the last run", f.to_string())));
            }
        }
        // the issuer's retries take what the stream holds
        for _ in 0..3 {
            self.issue().await.map_err(|v| self.fail(v))?;
        }
        if !self.stream.is_empty() {
            return Err(self.fail(Violation::new(
                "every document issued",
                format!(
                    "{} stream entries still fail without faults",
                    self.stream.len()
                ),
            )));
        }
        self.report.checks += self.documents_issued().await.map_err(|v| self.fail(v))?;
        // the relay, its safety net and the notifier until the queue is empty
        for _ in 0..40 {
            self.relay().await.map_err(|v| self.fail(v))?;
            if let Err(f) = self.svc.republish_stale(&*self.queue, 1000).await {
                return Err(self.fail(Violation::new("republish", f.to_string())));
            }
            self.deliver().await.map_err(|v| self.fail(v))?;
            let empty = self
                .queue
                .messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty();
            if empty && self.relay_stream.is_empty() {
                break;
            }
        }
        self.report.checks += check::books(&self).await.map_err(|v| self.fail(v))?;
        let (checks, _) = check::all(&self, true).await.map_err(|v| self.fail(v))?;
        self.report.checks += checks;
        let unrecorded = self
            .faults
            .unrecorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let dead: std::collections::HashSet<String> = self
            .queue
            .dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|n| n.id.clone())
            .collect();
        check::delivered(&self, &unrecorded, &dead)
            .await
            .map_err(|v| self.fail(v))?;
        self.report.recovered_runs = check::run_logs(&self).await.map_err(|v| self.fail(v))?;
        for (k, n) in self
            .faults
            .injected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            self.report.faults.insert((*k).to_owned(), *n);
        }
        self.report.messages = self
            .provider
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum();
        self.report.log = std::mem::take(&mut self.log);
        Ok(self.report)
    }

    pub(crate) fn who(&self, f: usize) -> (&Principal, &Family) {
        (&self.families[f].parent, &self.families[f])
    }

    async fn step(&mut self, e: Event) -> Result<(), Violation> {
        if self.faults.roll(OUTAGE, self.cfg.rates.outage) {
            // the provider (SES, SMS), SQS or S3, for one to three days
            let until = self.now() + Duration::hours(24 + self.dice.below(48) as i64);
            let (what, down) = match self.dice.below(4) {
                0 => ("SQS", &self.queue.down_until),
                1 => ("S3", &self.blobs.down_until),
                _ => ("the provider", &self.provider.down_until),
            };
            *down.lock().unwrap_or_else(|e| e.into_inner()) = until;
            self.note(format!(
                "{what} is out until {}",
                until.format("%m-%d %H:%M")
            ));
        }
        if self.faults.roll(CLOCK_JUMP, self.cfg.rates.clock_jump) {
            // the schedules miss the next hours: no sweep fires before then
            self.jumped_to = micros(self.now()) + (1 + self.dice.below(8) as i64) * 3_600_000_000;
            self.note(format!(
                "clock jump to {}",
                at(self.jumped_to).format("%H:%M")
            ));
        }
        match e {
            Event::Register(f) => self.register(f).await,
            Event::Parent(f) => self.parent(f, true).await,
            Event::Again(f) => self.parent(f, false).await,
            Event::Run(d, a) => {
                let input = RunInput {
                    district: self.districts[d].clone(),
                    age_group: i64::from(a),
                };
                let r = self.svc.voucher_run(None, input).await;
                self.note(format!(
                    "run {} age {a}: {:?}",
                    self.districts[d],
                    r.as_ref().map(|v| v.offered)
                ));
                if let Ok(v) = &r {
                    self.report.offers += v.offered as u64;
                    check::passed_fairly(self, &self.districts[d], &v.run_id).await?;
                }
                Ok(())
            }
            Event::Summer => {
                let r = self.svc.scheduled_voucher_runs(None).await;
                if let Ok(v) = &r {
                    self.report.offers += v.iter().map(|r| r.run.offered as u64).sum::<u64>();
                }
                self.note(format!("summer runs: {}", r.is_ok()));
                Ok(())
            }
            Event::Sweep => self.sweep().await,
            Event::Deliver => self.deliver().await,
            Event::Issue => self.issue().await,
            Event::Relay => self.relay().await,
            Event::Places(d) => self.places(d).await,
            Event::Catalogue(d) => self.catalogue(d).await,
            Event::Review(d) => self.review(d).await,
        }
    }
}
