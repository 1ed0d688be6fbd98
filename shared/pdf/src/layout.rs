//! What a document says (per kind and language) and where it goes on the page.

use crate::text::Font;
use crate::{DocumentData, DocumentKind};

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
/// A4 in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 56.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

const HEADER_SIZE: f32 = 8.0;
const TITLE_SIZE: f32 = 15.0;
const SUBTITLE_SIZE: f32 = 12.0;
const BODY_SIZE: f32 = 10.5;
const NOTE_SIZE: f32 = 9.0;
const LEADING: f32 = 1.35;
const LABEL_GAP: f32 = 10.0;

/// Longest shown value, in characters; longer ones are cut with `…`.
const MAX_VALUE_CHARS: usize = 300;
/// Longest registration number shown, in characters.
const MAX_NUMBER_CHARS: usize = 100;

/// One piece of the document, top to bottom.
pub(crate) enum Block {
    /// Small grey line (system name).
    Header(&'static str),
    /// Document heading.
    Title(&'static str),
    /// Registration number under the heading.
    Subtitle(String),
    /// `label: value` row.
    Field { label: &'static str, value: String },
    /// Explanatory sentence.
    Note(&'static str),
    /// Small grey sentence at the end of a section.
    Footer(&'static str),
    /// Horizontal line.
    Rule,
    /// Vertical space in points.
    Gap(f32),
}

/// One line of text placed on a page (baseline at `y`, from the bottom).
pub(crate) struct TextLine {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) size: f32,
    pub(crate) bold: bool,
    pub(crate) gray: f32,
    pub(crate) text: String,
}

/// A placed page: text lines and horizontal rules `(x1, x2, y)`.
#[derive(Default)]
pub(crate) struct Page {
    pub(crate) lines: Vec<TextLine>,
    pub(crate) rules: Vec<(f32, f32, f32)>,
}

/// The labels and fixed sentences of one language.
struct Lang {
    header: &'static str,
    title: fn(DocumentKind) -> &'static str,
    number: &'static str,
    issued_at: &'static str,
    district: &'static str,
    queue: &'static str,
    position: &'static str,
    child_iin: &'static str,
    child_birth_date: &'static str,
    applicant_iin: &'static str,
    applicant_name: &'static str,
    kindergarten: &'static str,
    confirm_by: &'static str,
    choose_by: &'static str,
    run_log: &'static str,
    note: fn(DocumentKind) -> &'static str,
    footer: &'static str,
}

const KK: Lang = Lang {
    header: "Kezek · Мектепке дейінгі ұйымдарға электрондық кезек",
    title: DocumentKind::title_kk,
    number: "Тіркеу нөмірі",
    issued_at: "Берілген күні",
    district: "Аудан",
    queue: "Кезек",
    position: "Кезектегі орны",
    child_iin: "Баланың ЖСН",
    child_birth_date: "Баланың туған күні",
    applicant_iin: "Өтініш берушінің ЖСН",
    applicant_name: "Өтініш беруші",
    kindergarten: "Балабақша",
    confirm_by: "Жолдаманы растау мерзімі",
    choose_by: "Балабақшаны таңдау мерзімі",
    run_log: "Жолдама беру журналы",
    note: |kind| match kind {
        DocumentKind::Registration => "Бала мектепке дейінгі ұйымға орналастыру кезегіне қойылды.",
        DocumentKind::Voucher => "Балаға мектепке дейінгі ұйымға жолдама берілді.",
        DocumentKind::Enrolment => "Бала мектепке дейінгі ұйымға қабылданды.",
    },
    footer: "Құжат Kezek электрондық кезек жүйесінде автоматты түрде жасалды.",
};

const RU: Lang = Lang {
    header: "Kezek · Электронная очередь в дошкольные организации",
    title: DocumentKind::title_ru,
    number: "Регистрационный номер",
    issued_at: "Дата выдачи",
    district: "Район",
    queue: "Очередь",
    position: "Место в очереди",
    child_iin: "ИИН ребёнка",
    child_birth_date: "Дата рождения ребёнка",
    applicant_iin: "ИИН заявителя",
    applicant_name: "Заявитель",
    kindergarten: "Детский сад",
    confirm_by: "Подтвердить направление до",
    choose_by: "Выбрать детский сад до",
    run_log: "Журнал распределения",
    note: |kind| match kind {
        DocumentKind::Registration => {
            "Ребёнок поставлен в очередь на устройство в дошкольную организацию."
        }
        DocumentKind::Voucher => "Ребёнку выдано направление в дошкольную организацию.",
        DocumentKind::Enrolment => "Ребёнок зачислен в дошкольную организацию.",
    },
    footer: "Документ сформирован автоматически системой электронной очереди Kezek.",
};

/// The document's blocks: Kazakh section, rule, Russian section.
pub(crate) fn blocks(font: &Font, doc: &DocumentData) -> Vec<Block> {
    let mut out = Vec::new();
    section(font, doc, &KK, true, &mut out);
    out.push(Block::Gap(14.0));
    out.push(Block::Rule);
    out.push(Block::Gap(18.0));
    section(font, doc, &RU, false, &mut out);
    out
}

fn section(font: &Font, doc: &DocumentData, lang: &Lang, kk: bool, out: &mut Vec<Block>) {
    let value = |s: &str| {
        let v = font.clean(s, MAX_VALUE_CHARS);
        if v.is_empty() {
            "—".to_string()
        } else {
            v
        }
    };
    let number = font.clean(&doc.registration_number, MAX_NUMBER_CHARS);
    let number = if number.is_empty() {
        "—".to_string()
    } else {
        number
    };
    // The other language's text when this one's is missing.
    let pick = |own: &Option<String>, other: &Option<String>| {
        own.as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(other.as_deref())
            .map(value)
    };

    out.push(Block::Header(lang.header));
    out.push(Block::Gap(6.0));
    out.push(Block::Title((lang.title)(doc.kind)));
    out.push(Block::Subtitle(format!("№ {number}")));
    out.push(Block::Gap(4.0));
    out.push(Block::Note((lang.note)(doc.kind)));
    out.push(Block::Gap(8.0));

    let mut field = |label: &'static str, value: String| out.push(Block::Field { label, value });
    field(lang.number, number.clone());
    field(lang.issued_at, value(&doc.issued_at));
    let (district, queue) = if kk {
        (&doc.district_kk, &doc.queue_kk)
    } else {
        (&doc.district_ru, &doc.queue_ru)
    };
    field(lang.district, value(district));
    field(lang.queue, value(queue));
    if let Some(position) = doc.position {
        field(lang.position, position.to_string());
    }
    field(lang.child_iin, value(&doc.child_iin_masked));
    field(lang.child_birth_date, value(&doc.child_birth_date));
    field(lang.applicant_iin, value(&doc.applicant_iin_masked));
    if let Some(name) = &doc.applicant_name {
        field(lang.applicant_name, value(name));
    }
    let kindergarten = if kk {
        pick(&doc.kindergarten_kk, &doc.kindergarten_ru)
    } else {
        pick(&doc.kindergarten_ru, &doc.kindergarten_kk)
    };
    if let Some(kindergarten) = kindergarten {
        field(lang.kindergarten, kindergarten);
    }
    if let Some(date) = &doc.confirm_by {
        field(lang.confirm_by, value(date));
    }
    if let Some(date) = &doc.choose_by {
        field(lang.choose_by, value(date));
    }
    if let Some(entry) = &doc.run_log {
        field(lang.run_log, value(entry));
    }
    out.push(Block::Gap(10.0));
    out.push(Block::Footer(lang.footer));
}

/// Places the blocks on as many A4 pages as they need (at least one).
pub(crate) fn paginate(font: &Font, blocks: &[Block]) -> Vec<Page> {
    // One label column for the whole document: the widest label, within reason.
    let label_width = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Field { label, .. } => Some(font.width(&format!("{label}:"), BODY_SIZE)),
            _ => None,
        })
        .fold(0.0f32, f32::max)
        .min(CONTENT_WIDTH * 0.45);
    let value_x = MARGIN_X + label_width + LABEL_GAP;
    let value_width = PAGE_WIDTH - MARGIN_X - value_x;

    let mut layout = Layouter {
        pages: vec![Page::default()],
        y: PAGE_HEIGHT - MARGIN_TOP,
    };
    for block in blocks {
        match block {
            Block::Header(s) => layout.paragraph(font, s, HEADER_SIZE, false, 0.45),
            Block::Title(s) => layout.paragraph(font, s, TITLE_SIZE, true, 0.0),
            Block::Subtitle(s) => layout.paragraph(font, s, SUBTITLE_SIZE, false, 0.0),
            Block::Note(s) => layout.paragraph(font, s, BODY_SIZE, false, 0.0),
            Block::Footer(s) => layout.paragraph(font, s, NOTE_SIZE, false, 0.4),
            Block::Gap(h) => layout.y -= h,
            Block::Rule => {
                layout.ensure(1.0);
                let y = layout.y;
                layout
                    .page()
                    .rules
                    .push((MARGIN_X, PAGE_WIDTH - MARGIN_X, y));
            }
            Block::Field { label, value } => {
                let labels = font.wrap(&format!("{label}:"), BODY_SIZE, label_width);
                let values = font.wrap(value, BODY_SIZE, value_width);
                let step = BODY_SIZE * LEADING;
                let rows = labels.len().max(values.len());
                for i in 0..rows {
                    layout.ensure(step);
                    layout.y -= step;
                    let y = layout.y;
                    if let Some(l) = labels.get(i) {
                        layout.text(MARGIN_X, y, BODY_SIZE, false, 0.3, l);
                    }
                    if let Some(v) = values.get(i) {
                        layout.text(value_x, y, BODY_SIZE, false, 0.0, v);
                    }
                }
                layout.y -= 2.0;
            }
        }
    }
    layout.pages
}

struct Layouter {
    pages: Vec<Page>,
    /// Top of the free space on the current page.
    y: f32,
}

impl Layouter {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` points still fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM {
            self.pages.push(Page::default());
            self.y = PAGE_HEIGHT - MARGIN_TOP;
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, gray: f32, s: &str) {
        if s.is_empty() {
            return;
        }
        self.page().lines.push(TextLine {
            x,
            y,
            size,
            bold,
            gray,
            text: s.to_string(),
        });
    }

    fn paragraph(&mut self, font: &Font, s: &str, size: f32, bold: bool, gray: f32) {
        for line in font.wrap(s, size, CONTENT_WIDTH) {
            let step = size * LEADING;
            self.ensure(step);
            self.y -= step;
            let y = self.y;
            self.text(MARGIN_X, y, size, bold, gray, &line);
        }
    }
}
