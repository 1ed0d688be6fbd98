//! Issued documents of the preschool e-queue as PDF: the registration
//! document, the voucher and the enrolment document.
//!
//! One A4 PDF per document, Kazakh section first and Russian section second.
//! The text is set in DejaVu Sans, embedded as a subset (only the glyphs the
//! document uses) in a Type 0 / CIDFontType2 font with a `ToUnicode` CMap, so
//! any PDF parser can extract the text.
//!
//! Rendering is pure: no I/O, no clock, no randomness. The same
//! [`DocumentData`] always yields the same bytes. It never panics: control
//! characters become spaces, characters missing from the font become `?`,
//! over-long values are truncated and long lines are wrapped (over several
//! pages if needed).

mod layout;
mod text;
mod writer;

use thiserror::Error;

/// Which document is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Registration in the queue («Кезекке тіркеу туралы куәлік»).
    Registration,
    /// Voucher to a kindergarten («Жолдама» / «Направление»).
    Voucher,
    /// Enrolment in a kindergarten.
    Enrolment,
}

impl DocumentKind {
    /// Stable lowercase name: `registration`, `voucher` or `enrolment`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Registration => "registration",
            DocumentKind::Voucher => "voucher",
            DocumentKind::Enrolment => "enrolment",
        }
    }

    /// Document heading in Kazakh.
    pub fn title_kk(self) -> &'static str {
        match self {
            DocumentKind::Registration => "Кезекке тіркеу туралы куәлік",
            DocumentKind::Voucher => "Жолдама",
            DocumentKind::Enrolment => "Балабақшаға қабылдау туралы құжат",
        }
    }

    /// Document heading in Russian.
    pub fn title_ru(self) -> &'static str {
        match self {
            DocumentKind::Registration => "Свидетельство о постановке в очередь",
            DocumentKind::Voucher => "Направление",
            DocumentKind::Enrolment => "Документ о зачислении в детский сад",
        }
    }
}

/// Everything a document shows, already formatted by the caller (dates,
/// masked IINs, names in each language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentData {
    /// Which document.
    pub kind: DocumentKind,
    /// Registration number, e.g. `KOK-2026-000123`.
    pub registration_number: String,
    /// When the document was issued, e.g. `22.11.2026 14:05`.
    pub issued_at: String,
    /// District name in Kazakh.
    pub district_kk: String,
    /// District name in Russian.
    pub district_ru: String,
    /// Queue name in Kazakh, e.g. `2023 жылы туғандар`.
    pub queue_kk: String,
    /// Queue name in Russian, e.g. `Дети 2023 года рождения`.
    pub queue_ru: String,
    /// Position in the queue, if shown.
    pub position: Option<u64>,
    /// Child's IIN, masked, e.g. `2303••••••02`.
    pub child_iin_masked: String,
    /// Child's birth date, e.g. `15.03.2023`.
    pub child_birth_date: String,
    /// Applicant's IIN, masked.
    pub applicant_iin_masked: String,
    /// Applicant's name, if known.
    pub applicant_name: Option<String>,
    /// Kindergarten name in Kazakh (voucher, if chosen; enrolment).
    pub kindergarten_kk: Option<String>,
    /// Kindergarten name in Russian (voucher, if chosen; enrolment).
    pub kindergarten_ru: Option<String>,
    /// Voucher: confirm it by this date.
    pub confirm_by: Option<String>,
    /// Voucher: choose a kindergarten by this date.
    pub choose_by: Option<String>,
    /// Voucher: the run's entry in the district's public log, e.g.
    /// `№ 12 · SHA-256 3fa2… (64 hex digits in groups of 16)`.
    pub run_log: Option<String>,
}

/// Why a document could not be rendered (only on an internal font fault).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PdfError {
    /// The embedded font could not be read.
    #[error("embedded font cannot be read: {0}")]
    Font(String),
    /// The embedded font could not be subset.
    #[error("font subsetting failed: {0}")]
    Subset(String),
}

/// Renders one document as a PDF (A4, Kazakh section then Russian section).
pub fn render(doc: &DocumentData) -> Result<Vec<u8>, PdfError> {
    let font = text::Font::load()?;
    let blocks = layout::blocks(&font, doc);
    let pages = layout::paginate(&font, &blocks);
    let title = format!(
        "{} / {} {}",
        doc.kind.title_kk(),
        doc.kind.title_ru(),
        text::clean(&doc.registration_number, 100)
    );
    writer::write(&font, &pages, &title)
}
