//! Renders one voucher and writes it to the path given as the first argument;
//! prints the PDF size and the mean render time (for size and speed checks).
//!
//! `cargo run --release -p kezek-pdf --example size -- /tmp/voucher.pdf [kind]`

use std::time::Instant;

use kezek_pdf::{render, DocumentData, DocumentKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: size OUT.pdf [registration|voucher|enrolment]");
        std::process::exit(2);
    };
    let kind = match args.next().as_deref() {
        Some("registration") => DocumentKind::Registration,
        Some("enrolment") => DocumentKind::Enrolment,
        _ => DocumentKind::Voucher,
    };
    let doc = DocumentData {
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
        kindergarten_kk: Some("«Балапан» бөбекжайы №12".into()),
        kindergarten_ru: Some("Ясли-сад «Балапан» №12".into()),
        confirm_by: Some("25.11.2026".into()),
        choose_by: None,
        run_log: Some(
            "№ 12 · SHA-256 3fa2b9c1d4e5f607 1122334455667788 99aabbccddeeff00 0123456789abcdef"
                .into(),
        ),
    };
    let pdf = match render(&doc) {
        Ok(pdf) => pdf,
        Err(e) => {
            eprintln!("render failed: {e}");
            std::process::exit(1);
        }
    };
    const RUNS: u32 = 50;
    let start = Instant::now();
    for _ in 0..RUNS {
        let _ = render(&doc);
    }
    let per_render = start.elapsed() / RUNS;
    if let Err(e) = std::fs::write(&path, &pdf) {
        eprintln!("cannot write {path}: {e}");
        std::process::exit(1);
    }
    println!("{path}: {} bytes, render {per_render:?}", pdf.len());
}
