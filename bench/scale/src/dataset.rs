//! The national-size dataset: live applications over Akmola's 20 districts and generated ones
//! standing for the other regions, with the shapes of a real queue.
//!
//! - **Districts**: their sizes fall off as in a country (a Zipf law with exponent 0.6: at
//!   1,000,000 applications over 200 districts the largest holds about 53,000, Almaty's 49,131 in
//!   2023, the smallest about 2,300).
//! - **Children**: born over the 6 years 4 months before the summer (age groups 0–6 on the next
//!   1 September); each registered 2 weeks to about 2 years after birth (most within months),
//!   from 6 years before the summer on, so registrations spread over 6 years.
//! - **Privileges**: 2% out-of-turn and 8% first-priority claims (the shipped categories of
//!   those ranks), verified 10 days after registration; one claim in 20 rejected.
//! - **Status mix** of the live applications: 89% queued, 8% enrolled (of age groups 2 and
//!   up), 1% offered, 1% active (confirmed, choosing), 1% stop-listed. Every non-queued state is
//!   made by the lifecycle itself (`lifecycle::apply` of the offer, the confirmation, the choice,
//!   the sweep's lapse) at the days it would have happened.
//! - **Reconfirmation**: every application was reconfirmed each year (its `reconfirm_base`
//!   12 months on per year, its version with it), so none has lapsed.
//!
//! Registration numbers follow each district's sequence per year in registration order, as
//! `next_sequence` gives them. The generator is seeded: the same size and seed give the same
//! dataset.

use chrono::{Datelike, Duration, NaiveDate};
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::lifecycle::{self, Command, Context};
use kezek_core::queue::{self, AgeGroup};
use kezek_core::reference::{
    AllocationPolicy, District, Reference, RANK_FIRST_PRIORITY, RANK_OUT_OF_TURN,
};
use kezek_core::time::{local_date, Time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// What to make.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Live applications in all.
    pub applications: usize,
    /// Districts in all: Akmola's 20 first, then generated ones (at most 20 + 676).
    pub districts: usize,
    /// The day of the summer run the dataset stands before (its morning, Asia/Almaty).
    pub summer: NaiveDate,
    pub seed: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            applications: 1_000_000,
            districts: 200,
            summer: NaiveDate::from_ymd_opt(2027, 7, 1).expect("a date"),
            seed: 1,
        }
    }
}

/// Akmola's districts and `count - 20` generated ones: codes `QAA`, `QAB`, … and prefixes
/// `ЯАА`, `ЯАБ`, …, every other one allocating one place in four to first priority.
pub fn reference(count: usize) -> Reference {
    let mut r = Reference::shipped();
    const CYRILLIC: [char; 26] = [
        'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'З', 'И', 'К', 'Л', 'М', 'Н', 'О', 'П', 'Р', 'С', 'Т',
        'У', 'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Э', 'Ю',
    ];
    let generated = count.saturating_sub(r.districts.len()).min(26 * 26);
    for i in 0..generated {
        let (a, b) = (i / 26, i % 26);
        r.districts.push(District {
            code: format!("Q{}{}", (b'A' + a as u8) as char, (b'A' + b as u8) as char),
            prefix: format!("Я{}{}", CYRILLIC[a], CYRILLIC[b]),
            name_kk: format!("Үлгі аудан {}", i + 1),
            name_ru: format!("Условный район {}", i + 1),
            allocation: if i % 2 == 0 {
                AllocationPolicy::Strict
            } else {
                AllocationPolicy::OneInFour
            },
        });
    }
    r.districts.truncate(count.max(1));
    r
}

/// Each district's share of the applications (a Zipf law, exponent 0.6, over a shuffled order
/// so that Akmola's districts are not all the largest), summing to `total`.
pub fn district_sizes(districts: &[District], total: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = districts.len();
    let mut ranks: Vec<usize> = (1..=n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        ranks.swap(i, j);
    }
    let weights: Vec<f64> = ranks.iter().map(|r| 1.0 / (*r as f64).powf(0.6)).collect();
    let sum: f64 = weights.iter().sum();
    let mut sizes: Vec<usize> = weights
        .iter()
        .map(|w| (w / sum * total as f64).floor() as usize)
        .collect();
    let short = total - sizes.iter().sum::<usize>();
    for s in sizes.iter_mut().take(short) {
        *s += 1;
    }
    sizes
}

/// The dataset: the applications, and the kindergartens their enrolments name (one per district,
/// the catalogue's others are the caller's).
pub struct Dataset {
    pub applications: Vec<Application>,
    /// Per status, how many.
    pub statuses: BTreeMap<Status, usize>,
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> Time {
    kezek_core::time::at_local(
        day,
        chrono::NaiveTime::from_hms_opt(hour, minute, 0).expect("a time"),
    )
}

/// 12 months on, as the lifecycle counts them (29 February + 12 months is 28 February).
fn year_on(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(12)).unwrap_or(d)
}

/// The kindergarten every enrolment of a district names (`<code>-K0`).
pub fn home_kindergarten(district: &str) -> Kindergarten {
    Kindergarten {
        id: format!("{district}-K0"),
        version: 1,
        name_kk: format!("{district} балабақшасы"),
        name_ru: format!("Детский сад {district}"),
        district: district.to_owned(),
        address: "—".into(),
        phone: "+7 7172 00 00 00".into(),
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        admission: AdmissionMode::General,
        free_places: queue::AGE_GROUPS.iter().map(|a| (*a, 0)).collect(),
    }
}

/// Makes the dataset for `reference` (installed or not: the generator reads only what it is
/// given).
pub fn generate(shape: &Shape, reference: &Reference, calendar: &Calendar) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let sizes = district_sizes(&reference.districts, shape.applications, &mut rng);
    let out_of_turn: Vec<&str> = reference
        .privileges
        .iter()
        .filter(|p| p.rank == RANK_OUT_OF_TURN)
        .map(|p| p.id.as_str())
        .collect();
    let first: Vec<&str> = reference
        .privileges
        .iter()
        .filter(|p| p.rank == RANK_FIRST_PRIORITY)
        .map(|p| p.id.as_str())
        .collect();
    let summer = shape.summer;
    let earliest_birth = summer - Duration::days(6 * 365 + 120);
    let earliest_registration = summer - Duration::days(6 * 365);
    let mut serials: BTreeMap<(NaiveDate, bool), u32> = BTreeMap::new();
    let mut applications = Vec::with_capacity(shape.applications);
    let mut statuses: BTreeMap<Status, usize> = BTreeMap::new();
    let mut n = 0usize;
    for (district, size) in reference.districts.iter().zip(sizes) {
        // The district's registrations, made first, then numbered in time order.
        let mut regs: Vec<(Time, NaiveDate, Iin, usize)> = Vec::with_capacity(size);
        for _ in 0..size {
            let birth = earliest_birth
                + Duration::days(rng.random_range(0..(summer - earliest_birth).num_days() - 30));
            let male = rng.random_bool(0.5);
            let child = loop {
                let serial = serials.entry((birth, male)).or_default();
                *serial += 1;
                if let Some(iin) = make_iin(birth, male, *serial) {
                    break iin;
                }
            };
            // Most register within months of the birth, a few much later.
            let after = 14.0 + (-rng.random::<f64>().max(1e-9).ln() * 150.0);
            let day = (birth + Duration::days(after.min(900.0) as i64))
                .max(earliest_registration)
                .min(summer - Duration::days(1));
            let registered = at(day, rng.random_range(9..18), rng.random_range(0..60));
            regs.push((registered, birth, child, n));
            n += 1;
        }
        regs.sort_by_key(|r| r.0);
        let mut seq_of_year: BTreeMap<i32, u64> = BTreeMap::new();
        for (registered, birth, child, i) in regs {
            let year = local_date(registered).year();
            let seq = seq_of_year.entry(year).or_default();
            *seq += 1;
            let app = application(
                district,
                &child,
                birth,
                registered,
                *seq,
                i,
                &mut rng,
                (&out_of_turn, &first),
                shape,
                reference,
                calendar,
            );
            *statuses.entry(app.status()).or_default() += 1;
            applications.push(app);
        }
    }
    Dataset {
        applications,
        statuses,
    }
}

/// One application, registered at `registered`, reconfirmed every year since, in the status
/// its dice give.
#[allow(clippy::too_many_arguments)]
fn application(
    district: &District,
    child: &Iin,
    birth: NaiveDate,
    registered: Time,
    seq: u64,
    i: usize,
    rng: &mut ChaCha8Rng,
    (out_of_turn, first): (&[&str], &[&str]),
    shape: &Shape,
    reference: &Reference,
    calendar: &Calendar,
) -> Application {
    let parent_birth =
        NaiveDate::from_ymd_opt(1978, 1, 1).expect("a date") + Duration::days((i % 7300) as i64);
    let parent = (0..20)
        .find_map(|k| {
            make_iin(
                parent_birth,
                i.is_multiple_of(2),
                (i / 7300) as u32 * 20 + k,
            )
        })
        .expect("an IIN in 20 serials");
    let roll: f64 = rng.random();
    let privilege = if roll < 0.02 && !out_of_turn.is_empty() {
        Some(out_of_turn[i % out_of_turn.len()])
    } else if roll < 0.10 && !first.is_empty() {
        Some(first[i % first.len()])
    } else {
        None
    };
    let reg_day = local_date(registered);
    let mut app = Application {
        id: format!("{:08x}-0000-4000-8000-{:012x}", shape.seed as u32, i),
        version: 1,
        registration_number: lifecycle::registration_number(district, reg_day.year(), seq),
        registration_seq: seq,
        state: State::Queued,
        district: district.code.clone(),
        applicant_iin: parent,
        child_iin: child.clone(),
        child_birth_date: birth,
        email: format!("parent{i}@example.kz"),
        phone: format!("+7701{:07}", i % 10_000_000),
        language: if i.is_multiple_of(3) {
            Language::Ru
        } else {
            Language::Kk
        },
        privilege: privilege.map(|category| PrivilegeClaim {
            category: category.to_owned(),
            document_ids: vec![format!("doc-{i}")],
            rejected: (rng.random::<f64>() < 0.05).then(|| PrivilegeRejection {
                reason: "документы не подтверждают льготу".into(),
                at: registered + Duration::days(10),
            }),
            verified_at: Some(registered + Duration::days(10)),
        }),
        registered_at: registered,
        reconfirm_base: year_on(reg_day),
        reconfirm_by: registered,
        restore_used: false,
        reminders_sent: Default::default(),
        updated_at: registered,
    };
    if app.privilege.as_ref().is_some_and(|p| p.rejected.is_some()) {
        app.version += 1;
    }
    // Reconfirmed every year: the base 12 months on until it is after the summer's morning.
    while app.reconfirm_base <= shape.summer + Duration::days(1) {
        app.reconfirm_base = year_on(app.reconfirm_base);
        app.version += 1;
    }
    app.reconfirm_by = kezek_core::rules::reconfirm_by(calendar, app.reconfirm_base);
    // The status: made by the lifecycle at the days it would have happened.
    let age = queue::age_group(birth, shape.summer);
    let roll: f64 = rng.random();
    let ctx = |now: Time| Context {
        now,
        calendar,
        reference,
    };
    let morning = at(shape.summer, 9, 0);
    let step = |app: &Application, command: Command, now: Time| {
        lifecycle::apply(app, command, &Actor::System, ctx(now))
            .map(|d| d.application)
            .ok()
    };
    let offer = |app: &Application, days_before: i64| {
        let now = morning - Duration::days(days_before);
        let age_group: AgeGroup = queue::age_group(birth, local_date(now));
        step(
            app,
            Command::OfferVoucher {
                run_id: format!("{:08x}-run", i / 1000),
                age_group,
                log: None,
            },
            now,
        )
    };
    let state = if roll < 0.08 && age >= 2 {
        // Enrolled last year: offered, confirmed the next day, a kindergarten chosen after.
        offer(&app, 300).and_then(|a| {
            let confirmed = step(
                &a,
                Command::ConfirmVoucher {
                    signed_with: SignedWith::OneTimeCode,
                },
                morning - Duration::days(299),
            )?;
            let mut home = home_kindergarten(&district.code);
            for (_, places) in home.free_places.iter_mut() {
                *places = 1;
            }
            step(
                &confirmed,
                Command::ChooseKindergarten {
                    kindergarten: Box::new(home),
                    signed_with: SignedWith::OneTimeCode,
                },
                morning - Duration::days(297),
            )
        })
    } else if roll < 0.09 {
        offer(&app, 1)
    } else if roll < 0.10 {
        offer(&app, 3).and_then(|a| {
            step(
                &a,
                Command::ConfirmVoucher {
                    signed_with: SignedWith::OneTimeCode,
                },
                morning - Duration::days(2),
            )
        })
    } else if roll < 0.11 {
        // Offered 12 days ago, lapsed to the stop-list by the sweep: restore within 28 days.
        offer(&app, 12).and_then(|a| step(&a, Command::Sweep, morning - Duration::days(5)))
    } else {
        None
    };
    state.unwrap_or(app)
}
