//! The words of the operators' catalogue pages (kk, ru, en), and the catalogue form's field
//! labels and refusals.

use super::*;
pub(crate) struct Words {
    pub(crate) title: &'static str,
    pub(crate) add: &'static str,
    pub(crate) edit: &'static str,
    pub(crate) save: &'static str,
    pub(crate) saved: &'static str,
    pub(crate) created: &'static str,
    pub(crate) empty: &'static str,
    pub(crate) name_kk: &'static str,
    pub(crate) name_ru: &'static str,
    pub(crate) address: &'static str,
    pub(crate) phone: &'static str,
    pub(crate) phone_hint: &'static str,
    pub(crate) ownership: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) languages: &'static str,
    pub(crate) admission: &'static str,
    pub(crate) free: &'static str,
    pub(crate) places: &'static str,
    pub(crate) places_lead: &'static str,
    pub(crate) places_hint: &'static str,
    pub(crate) age: fn(u8) -> String,
    pub(crate) more: fn(u32, u8) -> String,
    pub(crate) fewer: fn(u32, u8) -> String,
    pub(crate) no_change: &'static str,
    pub(crate) options: [(&'static str, &'static str); 9],
}

const KK: Words = Words {
    title: "Мектепке дейінгі ұйымдар",
    add: "Мектепке дейінгі ұйымды қосу",
    edit: "Деректерін өзгерту",
    save: "Сақтау",
    saved: "Өзгерістер сақталды.",
    created: "Мектепке дейінгі ұйым қосылды. Енді оның бос орындарын енгізіңіз.",
    empty: "Ауданда әлі мектепке дейінгі ұйым жоқ.",
    name_kk: "Атауы (қазақша)",
    name_ru: "Атауы (орысша)",
    address: "Мекен-жайы",
    phone: "Телефон",
    phone_hint: "Ата-аналар хабарласатын нөмір.",
    ownership: "Меншік нысаны",
    kind: "Түрі",
    languages: "Оқыту тілі",
    admission: "Қабылдау режимі",
    free: "Бос орындар",
    places: "Бос орындар",
    places_lead: "Бос орындар санын жас топтары бойынша енгізіңіз. Бос қалған өріс өзгермейді.",
    places_hint: "0-ден 10 000-ға дейін",
    age: |a| format!("{a} жас"),
    more: |n, a| {
        format!("{a} жас тобына {n} орын қосылды: келесі жолдама беру {n} ваучерге дейін көбірек бере алады.")
    },
    fewer: |n, a| {
        format!("{a} жас тобынан {n} орын азайды: келесі жолдама беру {n} ваучерге дейін азырақ береді.")
    },
    no_change: "Бос орындар өзгерген жоқ.",
    options: [
        ("state", "Мемлекеттік меншік"),
        ("private", "Жеке меншік"),
        ("kindergarten", "Балабақша"),
        ("mini_centre", "Шағын орталық"),
        ("kk", "Қазақ"),
        ("ru", "Орыс"),
        ("both", "Қазақ және орыс"),
        ("general", "Жалпы белгіленген"),
        ("special", "Арнайы"),
    ],
};

const RU: Words = Words {
    title: "Дошкольные организации",
    add: "Добавить дошкольную организацию",
    edit: "Изменить данные",
    save: "Сохранить",
    saved: "Изменения сохранены.",
    created: "Дошкольная организация добавлена. Теперь укажите её свободные места.",
    empty: "В районе пока нет дошкольных организаций.",
    name_kk: "Название (на казахском)",
    name_ru: "Название (на русском)",
    address: "Адрес",
    phone: "Телефон",
    phone_hint: "Номер, по которому звонят родители.",
    ownership: "Форма собственности",
    kind: "Вид",
    languages: "Язык обучения",
    admission: "Режим приёма",
    free: "Свободные места",
    places: "Свободные места",
    places_lead: "Укажите число свободных мест по возрастным группам. Пустое поле не меняется.",
    places_hint: "От 0 до 10 000",
    age: |a| format!("{a} лет"),
    more: |n, a| {
        format!("Мест в группе {a} лет больше на {n}: следующее распределение сможет выдать до {n} ваучеров больше.")
    },
    fewer: |n, a| {
        format!("Мест в группе {a} лет меньше на {n}: следующее распределение выдаст до {n} ваучеров меньше.")
    },
    no_change: "Свободные места не изменились.",
    options: [
        ("state", "Государственная"),
        ("private", "Частная"),
        ("kindergarten", "Детский сад"),
        ("mini_centre", "Мини-центр"),
        ("kk", "Казахский"),
        ("ru", "Русский"),
        ("both", "Казахский и русский"),
        ("general", "Общеустановленный"),
        ("special", "Специальный"),
    ],
};

const EN: Words = Words {
    title: "Kindergartens",
    add: "Add a kindergarten",
    edit: "Change its details",
    save: "Save",
    saved: "Your changes are saved.",
    created: "The kindergarten is added. Now enter its free places.",
    empty: "The district has no kindergarten yet.",
    name_kk: "Name (Kazakh)",
    name_ru: "Name (Russian)",
    address: "Address",
    phone: "Phone",
    phone_hint: "The number parents call.",
    ownership: "Ownership",
    kind: "Type",
    languages: "Language of instruction",
    admission: "Admission",
    free: "Free places",
    places: "Free places",
    places_lead: "Enter the free places per age group. A field left empty does not change.",
    places_hint: "From 0 to 10,000",
    age: |a| format!("age {a}"),
    more: |n, a| {
        format!(
            "{n} places more for age group {a}: the next run can offer up to {n} more vouchers."
        )
    },
    fewer: |n, a| {
        format!("{n} places fewer for age group {a}: the next run offers up to {n} fewer vouchers.")
    },
    no_change: "The free places did not change.",
    options: [
        ("state", "State"),
        ("private", "Private"),
        ("kindergarten", "Kindergarten"),
        ("mini_centre", "Mini-centre"),
        ("kk", "Kazakh"),
        ("ru", "Russian"),
        ("both", "Kazakh and Russian"),
        ("general", "General"),
        ("special", "Special"),
    ],
};

pub(crate) fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The age groups a kindergarten's places are entered for.
pub(crate) const AGES: std::ops::RangeInclusive<u8> = 1..=6;

/// The fields of the kindergarten form, in the order of the page.
pub(crate) const FIELDS: [&str; 8] = [
    "name_kk",
    "name_ru",
    "address",
    "phone",
    "ownership",
    "type",
    "languages",
    "admission",
];

pub(crate) fn label<'a>(w: &'a Words, field: &str) -> &'a str {
    match field {
        "name_kk" => w.name_kk,
        "name_ru" => w.name_ru,
        "address" => w.address,
        "phone" => w.phone,
        "ownership" => w.ownership,
        "type" => w.kind,
        "languages" => w.languages,
        _ => w.admission,
    }
}

pub(crate) fn option_label(w: &Words, value: &str) -> &'static str {
    w.options
        .iter()
        .find(|(v, _)| *v == value)
        .map_or("", |(_, l)| *l)
}

/// A catalogue refusal's message on the field it names, in the page's language.
pub(crate) fn refusal(
    web: &Web,
    lang: Language,
    f: &Failure,
    fields: &[&'static str],
) -> (&'static str, String) {
    let field = match f {
        Failure::BadInput {
            field: Some(name), ..
        } => fields
            .iter()
            .find(|x| **x == name.as_str())
            .copied()
            .unwrap_or(fields[0]),
        _ => fields[0],
    };
    let name = if field.starts_with("age_") {
        field.trim_start_matches("age_").to_owned()
    } else {
        label(words(lang), field).to_owned()
    };
    let message = web
        .api
        .service
        .texts()
        .error(f.code(), lang, &[("field", name.as_str())]);
    (field, message)
}
