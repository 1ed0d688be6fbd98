//! Each issued document is opened with PDF parsers (pdf-extract, lopdf) and
//! must contain its registration number, the masked IINs and its Kazakh and
//! Russian text; odd input must never panic.

use kezek_pdf::{render, DocumentData, DocumentKind};
use lopdf::{Document, Object};
use proptest::prelude::*;

fn sample(kind: DocumentKind) -> DocumentData {
    let (kindergarten_kk, kindergarten_ru, confirm_by, choose_by) = match kind {
        DocumentKind::Registration => (None, None, None, None),
        DocumentKind::Voucher => (
            Some("«Балапан» бөбекжайы №12".to_string()),
            Some("Ясли-сад «Балапан» №12".to_string()),
            Some("25.11.2026".to_string()),
            None,
        ),
        DocumentKind::Enrolment => (
            Some("«Күншуақ» балабақшасы".to_string()),
            Some("Детский сад «Куншуак»".to_string()),
            None,
            None,
        ),
    };
    DocumentData {
        kind,
        registration_number: "KOK-2026-000123".into(),
        issued_at: "22.11.2026 14:05".into(),
        district_kk: "Көкшетау қаласы".into(),
        district_ru: "город Кокшетау".into(),
        queue_kk: "2023 жылы туғандар".into(),
        queue_ru: "Дети 2023 года рождения".into(),
        position: Some(42),
        child_iin_masked: "2303••••••02".into(),
        child_birth_date: "15.03.2023".into(),
        applicant_iin_masked: "9001••••••17".into(),
        applicant_name: Some("Әлия Серікқызы Нұрғалиева".into()),
        kindergarten_kk,
        kindergarten_ru,
        run_log: (kind == DocumentKind::Voucher).then(|| {
            "№ 12 · SHA-256 3fa2b9c1d4e5f607 1122334455667788 99aabbccddeeff00 0123456789abcdef"
                .to_string()
        }),
        confirm_by,
        choose_by,
    }
}

/// Text as pdf-extract sees it, with runs of whitespace folded to one space
/// (parsers differ in how they space out positioned text).
fn extract(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("pdf-extract reads the PDF");
    fold(&text)
}

/// Text as lopdf's own extractor sees it (second, independent parser).
fn extract_lopdf(pdf: &[u8]) -> String {
    let doc = Document::load_mem(pdf).expect("lopdf reads the PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    fold(&doc.extract_text(&pages).expect("lopdf extracts text"))
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has_embedded_font(pdf: &[u8]) -> bool {
    let doc = Document::load_mem(pdf).expect("lopdf reads the PDF");
    doc.objects.values().any(|obj| match obj {
        Object::Dictionary(d) => d.has(b"FontFile2"),
        _ => false,
    })
}

fn assert_document(kind: DocumentKind, kk: &[&str], ru: &[&str]) {
    let doc = sample(kind);
    let pdf = render(&doc).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"), "PDF header");
    assert!(has_embedded_font(&pdf), "FontFile2 embedded");
    assert!(
        pdf.windows(b"/ToUnicode".len()).any(|w| w == b"/ToUnicode"),
        "ToUnicode CMap"
    );

    for text in [extract(&pdf), extract_lopdf(&pdf)] {
        let must = [
            "KOK-2026-000123",
            "2303••••••02",
            "9001••••••17",
            "15.03.2023",
            "22.11.2026 14:05",
            "Көкшетау қаласы",
            "2023 жылы туғандар",
            "Дети 2023 года рождения",
            "Әлия Серікқызы Нұрғалиева",
        ];
        for needle in must.iter().chain(kk).chain(ru) {
            assert!(
                text.contains(needle),
                "{} PDF lacks {needle:?}; text:\n{text}",
                kind.as_str()
            );
        }
    }
}

#[test]
fn registration_document_is_readable_in_kazakh_and_russian() {
    assert_document(
        DocumentKind::Registration,
        &[
            "Кезекке тіркеу туралы куәлік",
            "Тіркеу нөмірі",
            "Баланың ЖСН",
        ],
        &[
            "Свидетельство о постановке в очередь",
            "Регистрационный номер",
            "ИИН ребёнка",
        ],
    );
}

#[test]
fn voucher_is_readable_in_kazakh_and_russian() {
    assert_document(
        DocumentKind::Voucher,
        &[
            "Жолдама",
            "«Балапан» бөбекжайы №12",
            "Жолдаманы растау мерзімі",
            "Жолдама беру журналы: № 12 · SHA-256 3fa2b9c1d4e5f607",
        ],
        &[
            "Направление",
            "Ясли-сад «Балапан» №12",
            "25.11.2026",
            "Журнал распределения: № 12 · SHA-256 3fa2b9c1d4e5f607",
            "3fa2b9c1d4e5f607",
            "0123456789abcdef",
        ],
    );
}

#[test]
fn enrolment_document_is_readable_in_kazakh_and_russian() {
    assert_document(
        DocumentKind::Enrolment,
        &["Балабақшаға қабылдау туралы құжат", "«Күншуақ» балабақшасы"],
        &[
            "Документ о зачислении в детский сад",
            "Детский сад «Куншуак»",
        ],
    );
}

#[test]
fn kinds_have_stable_names() {
    assert_eq!(DocumentKind::Registration.as_str(), "registration");
    assert_eq!(DocumentKind::Voucher.as_str(), "voucher");
    assert_eq!(DocumentKind::Enrolment.as_str(), "enrolment");
}

#[test]
fn output_is_deterministic() {
    for kind in [
        DocumentKind::Registration,
        DocumentKind::Voucher,
        DocumentKind::Enrolment,
    ] {
        let doc = sample(kind);
        assert_eq!(render(&doc).unwrap(), render(&doc).unwrap());
    }
}

#[test]
fn only_used_glyphs_are_embedded() {
    let pdf = render(&sample(DocumentKind::Voucher)).unwrap();
    // The whole embedded font is ~55 KB; a subset document is a fraction.
    assert!(pdf.len() < 30_000, "PDF is {} bytes", pdf.len());
}

#[test]
fn long_values_wrap_onto_more_pages_and_stay_readable() {
    let mut doc = sample(DocumentKind::Enrolment);
    let long = "Қазақстан Республикасы Ақмола облысы ".repeat(40);
    doc.district_kk = long.clone();
    doc.district_ru = long.clone();
    doc.queue_kk = long.clone();
    doc.queue_ru = long.clone();
    doc.kindergarten_kk = Some("Ө".repeat(5000));
    doc.kindergarten_ru = Some(long.clone());
    doc.applicant_name = Some(long.clone());
    doc.confirm_by = Some(long.clone());
    doc.choose_by = Some(long);
    let pdf = render(&doc).unwrap();
    let pages = Document::load_mem(&pdf).unwrap().get_pages().len();
    assert!(pages > 1, "{pages} page(s)");
    let text = extract(&pdf);
    assert!(text.contains("KOK-2026-000123"));
    assert!(text.contains("Документ о зачислении в детский сад"));
    assert!(text.contains('…'), "long values are cut with an ellipsis");
}

#[test]
fn odd_characters_are_replaced_not_dropped_silently() {
    let mut doc = sample(DocumentKind::Registration);
    doc.applicant_name = Some("Ерлан\u{0}\t😀 Сергеи\u{0306}\u{200B}ұлы".into());
    doc.registration_number = "".into();
    doc.district_kk = "\n\r\t ".into();
    let pdf = render(&doc).unwrap();
    let text = extract(&pdf);
    assert!(text.contains("Ерлан ? Сергейұлы"), "{text}");
    assert!(text.contains("№ —"), "empty number shows a dash: {text}");
}

fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        any::<String>(),
        "[\\p{Cyrillic}\\p{Han}\\p{Arabic} \\t\\n•()\\\\%]{0,400}",
        proptest::collection::vec(any::<char>(), 0..2000).prop_map(|v| v.into_iter().collect()),
    ]
}

fn odd_document() -> impl Strategy<Value = DocumentData> {
    (
        prop_oneof![
            Just(DocumentKind::Registration),
            Just(DocumentKind::Voucher),
            Just(DocumentKind::Enrolment)
        ],
        proptest::collection::vec(odd_string(), 9),
        proptest::collection::vec(proptest::option::of(odd_string()), 6),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(kind, s, o, position)| DocumentData {
            kind,
            registration_number: s[0].clone(),
            issued_at: s[1].clone(),
            district_kk: s[2].clone(),
            district_ru: s[3].clone(),
            queue_kk: s[4].clone(),
            queue_ru: s[5].clone(),
            position,
            child_iin_masked: s[6].clone(),
            child_birth_date: s[7].clone(),
            applicant_iin_masked: s[8].clone(),
            applicant_name: o[0].clone(),
            kindergarten_kk: o[1].clone(),
            kindergarten_ru: o[2].clone(),
            confirm_by: o[3].clone(),
            choose_by: o[4].clone(),
            run_log: o[5].clone(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_input_renders_a_valid_pdf(doc in odd_document()) {
        let pdf = render(&doc).expect("renders");
        prop_assert!(pdf.starts_with(b"%PDF-"));
        let parsed = Document::load_mem(&pdf).expect("lopdf reads the PDF");
        prop_assert!(!parsed.get_pages().is_empty());
    }
}
