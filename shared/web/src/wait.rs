//! The wait estimate on an application's page (issue 19): a range of months when a voucher is
//! likely, and the method with its figures in plain words, "an estimate, not a promise".

use crate::pages::Frame;
use kezek_core::domain::Language;
use kezek_core::transparency::WaitEstimateView;
use maud::{html, Markup};

struct Words {
    title: &'static str,
    likely: &'static str,
    none: &'static str,
}

const KK: Words = Words {
    title: "Жолдама қашан келуі мүмкін",
    likely: "Болжам бойынша:",
    none: "Қазір болжам жасау мүмкін емес.",
};

const RU: Words = Words {
    title: "Когда может прийти путёвка",
    likely: "По оценке:",
    none: "Сейчас оценку дать нельзя.",
};

const EN: Words = Words {
    title: "When a voucher may come",
    likely: "Estimated:",
    none: "No estimate can be given now.",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The section: nothing for an application that is not queued.
pub(crate) fn section(f: &Frame, estimate: Option<&WaitEstimateView>) -> Markup {
    let w = words(f.lang());
    html! {
        @if let Some(e) = estimate {
            h2 #wait-estimate { (w.title) }
            @match &e.range_label {
                Some(range) => p.estimate { (w.likely) " " strong { (range) } },
                None => p.estimate { strong { (w.none) } },
            }
            p.hint { (e.basis) }
        }
    }
}
