//! What the operators' page tests share: a runner with a staff register, the login through
//! pages, a kindergarten's form, and children registered in a queue.

use super::*;
use chrono::NaiveDate;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::ports::Credentials;
use kezek_core::{Principal, Role};
use kezek_local::keys::LocalKeys;
use kezek_local::Local;
use std::sync::Arc;

pub const OPERATOR: &str = "850505300001";
/// An operator of another district (a valid IIN of 1987).
pub fn other_operator() -> String {
    (1..)
        .find_map(|s| make_iin(NaiveDate::from_ymd_opt(1987, 7, 7).unwrap(), false, s))
        .unwrap()
        .as_str()
        .to_owned()
}

/// A runner whose staff register has an operator of KOK and one of another district.
pub async fn runner_with_staff() -> (Local, String) {
    let store = Arc::new(kezek_core::store_embedded::EmbeddedStore::new());
    let local = Local::with_store(
        &LocalKeys::generate().unwrap(),
        store.clone(),
        store.clone(),
        store.clone(),
    );
    let other = kezek_core::reference::Reference::builtin()
        .districts
        .iter()
        .map(|d| d.code.clone())
        .find(|c| c != "KOK")
        .unwrap();
    for (iin, district) in [
        (OPERATOR.to_owned(), "KOK".to_owned()),
        (other_operator(), other.clone()),
    ] {
        let iin = Iin::try_from(iin).unwrap();
        store.put_operator(&iin, vec![district]).await.unwrap();
    }
    (local, other)
}

/// Signs in through the pages with a one-time code; returns the browser and where it landed.
pub async fn sign_in(local: &Local, iin: &str, lang: &'static str) -> (Browser, Option<String>) {
    let mut b = Browser::new(local.clone().router(), lang);
    let done = log_in(&mut b, local, iin).await;
    let done = past_email(&mut b, done).await;
    let landed = done.location.clone();
    (b, landed)
}

/// The fields of a complete kindergarten form.
pub fn kindergarten(token: &str, name: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", token.to_owned()),
        ("district", "KOK".into()),
        ("name_kk", format!("{name} бөбекжайы")),
        ("name_ru", format!("Ясли-сад {name}")),
        ("address", "Кокшетау, ул. Абая 1".into()),
        ("phone", "+7 7162 00 00 00".into()),
        ("ownership", "state".into()),
        ("type", "kindergarten".into()),
        ("languages", "both".into()),
        ("admission", "general".into()),
    ]
}

pub async fn post_owned(b: &mut Browser, path: &str, fields: &[(&'static str, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &borrowed).await
}

/// The kindergartens of KOK as the public API lists them.
pub async fn catalogue(local: &Local) -> Vec<kezek_core::views::KindergartenView> {
    local
        .api
        .service
        .catalogue(kezek_core::inputs::CatalogueFilter {
            district: Some("KOK".into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// `n` children of one cohort registered in KOK, each by a parent of their own.
pub async fn register(local: &Local, n: u32) -> Vec<(String, String)> {
    register_in(local, "KOK", n, 1).await
}

/// `n` children of one cohort registered in `district`, each by a parent of their own; the
/// IINs are drawn from `from` on (another call in the same runner needs another `from`).
pub async fn register_in(
    local: &Local,
    district: &str,
    n: u32,
    from: u32,
) -> Vec<(String, String)> {
    let birth = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
    let mut numbers = Vec::new();
    let mut serial = from;
    while numbers.len() < n as usize {
        serial += 1;
        let (Some(child), Some(parent)) = (
            make_iin(birth, serial.is_multiple_of(2), serial),
            make_iin(
                NaiveDate::from_ymd_opt(1990, 5, 5).unwrap(),
                serial.is_multiple_of(2),
                serial,
            ),
        ) else {
            continue;
        };
        let who = Principal {
            iin: parent,
            role: Role::Parent,
            districts: vec![],
        };
        let input = kezek_core::inputs::SubmitInput {
            district: district.into(),
            child_iin: child.as_str().into(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: None,
            privilege: None,
            signature: None,
        };
        let v = local
            .api
            .service
            .submit(&who, input, kezek_core::domain::Language::Ru)
            .await
            .expect("submit");
        numbers.push((v.registration_number, child.as_str().to_owned()));
    }
    numbers
}

/// A PDF as small as a proof can be.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// A child born on `birth` registered in KOK with a privilege claim and its PDF proof uploaded,
/// by a parent of their own (`serial` picks the IINs); the runner must keep files.
pub async fn claimant(
    local: &Local,
    birth: NaiveDate,
    serial: u32,
) -> kezek_core::views::ApplicationView {
    use kezek_core::ports::Blobs;
    let (child, parent) = (serial..)
        .find_map(|s| {
            Some((
                make_iin(birth, s % 2 == 0, s)?,
                make_iin(NaiveDate::from_ymd_opt(1991, 4, 4).unwrap(), s % 2 == 1, s)?,
            ))
        })
        .unwrap();
    let who = Principal {
        iin: parent,
        role: Role::Parent,
        districts: vec![],
    };
    let svc = &local.api.service;
    let ticket = svc
        .request_upload(
            &who,
            kezek_core::documents::UploadInput {
                name: "spravka.pdf".into(),
                content_type: "application/pdf".into(),
                size: (PDF.len() as u64).into(),
            },
        )
        .await
        .unwrap();
    let record = svc.store.document(&ticket.id).await.unwrap().unwrap();
    local
        .files
        .as_ref()
        .expect("a runner that keeps files")
        .put(&record.key, PDF.to_vec(), "application/pdf")
        .await
        .unwrap();
    let input = kezek_core::inputs::SubmitInput {
        district: "KOK".into(),
        child_iin: child.as_str().into(),
        email: "p@example.kz".into(),
        phone: "+77011234567".into(),
        language: Some("kk".into()),
        privilege: Some(kezek_core::inputs::PrivilegeInput {
            category: svc.reference().privileges[0].id.clone(),
            document_ids: vec![ticket.id],
        }),
        signature: None,
    };
    svc.submit(&who, input, kezek_core::domain::Language::Kk)
        .await
        .unwrap()
}

/// A kindergarten of KOK with `places` free places for the age group of the registered children.
pub async fn places_for(local: &kezek_local::Local, places: u32) -> (u8, String) {
    let today = kezek_core::time::local_date(local.api.service.now());
    let age = kezek_core::queue::age_group(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(), today);
    let operator = kezek_core::Principal {
        iin: kezek_core::iin::Iin::try_from(OPERATOR.to_owned()).unwrap(),
        role: kezek_core::Role::Operator,
        districts: vec!["KOK".into()],
    };
    let kg = local
        .api
        .service
        .create_kindergarten(
            &operator,
            kezek_core::inputs::KindergartenInput {
                name_kk: "Балапан".into(),
                name_ru: "Балапан".into(),
                district: "KOK".into(),
                address: "Абай 1".into(),
                phone: "+77162000000".into(),
                ownership: kezek_core::domain::Ownership::State,
                ddo_type: kezek_core::domain::DdoType::Kindergarten,
                languages: kezek_core::domain::InstructionLanguage::Both,
                admission: kezek_core::domain::AdmissionMode::General,
                free_places: Some([(age.to_string(), places)].into()),
            },
        )
        .await
        .unwrap();
    (age, kg.id)
}

/// A voucher run in KOK for `age`, as the schedule starts it (no operator).
pub async fn run_kok(local: &Local, age: u8) -> kezek_core::views::VoucherRunView {
    local
        .api
        .service
        .voucher_run(
            None,
            kezek_core::inputs::RunInput {
                district: "KOK".into(),
                age_group: i64::from(age),
            },
        )
        .await
        .unwrap()
}

/// A bearer session of KOK's operator.
pub fn operator_token(local: &Local) -> String {
    let operator = Principal {
        iin: Iin::try_from(OPERATOR.to_owned()).unwrap(),
        role: Role::Operator,
        districts: vec!["KOK".into()],
    };
    local
        .api
        .sessions
        .issue(&operator, chrono::Utc::now())
        .unwrap()
        .token
}
