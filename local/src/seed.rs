//! Seed data for local runs: kindergartens with free places in several districts, so a new user
//! can click through the whole flow.

use kezek_core::domain::*;
use kezek_core::ports::stores::*;
use kezek_core::Failure;
use std::collections::BTreeMap;

struct Seed {
    district: &'static str,
    name_kk: &'static str,
    name_ru: &'static str,
    address: &'static str,
    phone: &'static str,
    ownership: Ownership,
    ddo_type: DdoType,
    languages: InstructionLanguage,
    places: &'static [(u8, u32)],
}

const SEEDS: &[Seed] = &[
    Seed {
        district: "KOK",
        name_kk: "«Балапан» бөбекжай-бақшасы",
        name_ru: "Ясли-сад «Балапан»",
        address: "Көкшетау қ., Абай к-сі, 45",
        phone: "+7 7162 25 10 01",
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        places: &[(2, 3), (3, 5), (4, 4), (5, 2)],
    },
    Seed {
        district: "KOK",
        name_kk: "«Айгөлек» балабақшасы",
        name_ru: "Детский сад «Айголек»",
        address: "Көкшетау қ., Ауэзов к-сі, 112",
        phone: "+7 7162 25 10 02",
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Kk,
        places: &[(3, 2), (4, 3)],
    },
    Seed {
        district: "KOK",
        name_kk: "«Күншуақ» шағын орталығы",
        name_ru: "Мини-центр «Куншуак»",
        address: "Көкшетау қ., Назарбаев даңғ., 9",
        phone: "+7 7162 25 10 03",
        ownership: Ownership::Private,
        ddo_type: DdoType::MiniCentre,
        languages: InstructionLanguage::Ru,
        places: &[(3, 1), (4, 1)],
    },
    Seed {
        district: "STP",
        name_kk: "«Ертегі» балабақшасы",
        name_ru: "Детский сад «Сказка»",
        address: "Степногорск қ., 4 шағын аудан, 17",
        phone: "+7 71645 6 20 11",
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Ru,
        places: &[(3, 4), (4, 2)],
    },
    Seed {
        district: "BUR",
        name_kk: "«Қарлығаш» балабақшасы",
        name_ru: "Детский сад «Карлыгаш»",
        address: "Щучинск қ., Ленин к-сі, 30",
        phone: "+7 71636 4 11 22",
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        places: &[(2, 2), (3, 3), (4, 3)],
    },
    Seed {
        district: "TSE",
        name_kk: "«Нұрлы жол» балабақшасы",
        name_ru: "Детский сад «Нурлы жол»",
        address: "Ақмол а., Гагарин к-сі, 5",
        phone: "+7 71651 3 15 40",
        ownership: Ownership::Private,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Kk,
        places: &[(3, 2), (5, 2)],
    },
];

/// Puts the seed kindergartens into the store; returns their ids.
pub async fn seed(store: &dyn Store) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for (i, s) in SEEDS.iter().enumerate() {
        // Stable ids, so the README's walkthrough can name them.
        let id = format!("00000000-0000-4000-8000-{:012}", i + 1);
        let kg = Kindergarten {
            id: id.clone(),
            version: 1,
            name_kk: s.name_kk.into(),
            name_ru: s.name_ru.into(),
            district: s.district.into(),
            address: s.address.into(),
            phone: s.phone.into(),
            ownership: s.ownership,
            ddo_type: s.ddo_type,
            languages: s.languages,
            admission: AdmissionMode::General,
            free_places: s.places.iter().copied().collect::<BTreeMap<_, _>>(),
        };
        // A store that outlives the runner (DynamoDB) keeps its catalogue: seed once.
        if store.kindergarten(&id).await?.is_none() {
            store.put_kindergarten(kg, None).await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The seed operator, for logging in by one-time code or EDS as an operator of every district.
pub const SEED_OPERATOR: &str = "850505300001";

/// Puts the seed operator into the staff register, for every district of the region.
pub async fn seed_staff(credentials: &dyn kezek_core::ports::Credentials) -> Result<(), Failure> {
    let iin = kezek_core::iin::Iin::try_from(SEED_OPERATOR.to_owned())
        .map_err(|_| Failure::Unavailable("seed operator IIN".into()))?;
    let districts = kezek_core::reference::Reference::builtin()
        .districts
        .iter()
        .map(|d| d.code.clone())
        .collect();
    credentials.put_operator(&iin, districts).await?;
    Ok(())
}
