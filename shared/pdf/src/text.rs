//! The embedded font, input clean-up, measuring and line wrapping.

use crate::PdfError;
use ttf_parser::{Face, GlyphId};

/// DejaVu Sans reduced to Latin, Cyrillic and punctuation (see `fonts/subset.sh`).
pub(crate) const FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans-Kezek.ttf");

/// Shown instead of a character the font has no glyph for.
const REPLACEMENT: char = '?';

/// The parsed embedded font.
pub(crate) struct Font {
    pub(crate) face: Face<'static>,
    pub(crate) units_per_em: f32,
}

impl Font {
    pub(crate) fn load() -> Result<Self, PdfError> {
        let face = Face::parse(FONT_BYTES, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let units_per_em = f32::from(face.units_per_em().max(1));
        if face.glyph_index(REPLACEMENT).is_none() || face.glyph_index(' ').is_none() {
            return Err(PdfError::Font("missing basic glyphs".into()));
        }
        Ok(Self { face, units_per_em })
    }

    /// Glyph of a character that [`clean`] let through (falls back to `?`).
    pub(crate) fn glyph(&self, c: char) -> GlyphId {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index(REPLACEMENT))
            .unwrap_or(GlyphId(0))
    }

    /// Advance of a glyph in text space units (1000 per em).
    pub(crate) fn advance_1000(&self, glyph: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) * 1000.0 / self.units_per_em
    }

    /// Width of a string at a font size, in points.
    pub(crate) fn width(&self, s: &str, size: f32) -> f32 {
        s.chars()
            .map(|c| self.advance_1000(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// Replaces characters the font cannot show (see [`clean`]).
    fn supported(&self, c: char) -> bool {
        matches!(self.face.glyph_index(c), Some(g) if g.0 != 0)
    }

    /// Cleans a value for display: whitespace and control characters become
    /// single spaces, invisible format characters and stray combining marks
    /// are dropped, `и`/`е` + combining breve/diaeresis are composed into
    /// `й`/`ё`, characters missing from the font become `?`, and the result
    /// is cut to `max_chars` characters (ending in `…`).
    pub(crate) fn clean(&self, s: &str, max_chars: usize) -> String {
        let mut out = String::new();
        let mut count = 0usize;
        let mut pending_space = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_whitespace() || c.is_control() {
                pending_space = true;
                continue;
            }
            if is_invisible(c) {
                continue;
            }
            let c = match chars.peek().copied().and_then(|m| compose(c, m)) {
                Some(composed) => {
                    chars.next();
                    composed
                }
                None => c,
            };
            if is_combining(c) {
                continue;
            }
            let c = if self.supported(c) { c } else { REPLACEMENT };
            if count + usize::from(pending_space && count > 0) + 1 > max_chars {
                out.push('…');
                return out;
            }
            if pending_space && count > 0 {
                out.push(' ');
                count += 1;
            }
            pending_space = false;
            out.push(c);
            count += 1;
        }
        out
    }

    /// Breaks `s` (already cleaned) into lines no wider than `max_width`
    /// points at `size`. Words wider than a line are split between
    /// characters. Always returns at least one line.
    pub(crate) fn wrap(&self, s: &str, size: f32, max_width: f32) -> Vec<String> {
        let space = self.width(" ", size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_w = 0.0f32;
        for word in s.split(' ').filter(|w| !w.is_empty()) {
            let word_w = self.width(word, size);
            if !line.is_empty() && line_w + space + word_w <= max_width {
                line.push(' ');
                line.push_str(word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            if word_w <= max_width {
                line.push_str(word);
                line_w = word_w;
                continue;
            }
            // A word longer than the line: split it between characters.
            for c in word.chars() {
                let w = self.width(c.encode_utf8(&mut [0; 4]), size);
                if !line.is_empty() && line_w + w > max_width {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += w;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Cleans without a font at hand (document title): keeps printable
/// characters, maps control characters to spaces, cuts to `max_chars`.
pub(crate) fn clean(s: &str, max_chars: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Zero-width and bidi format characters, soft hyphen, BOM, variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Combining diacritical marks (shown as nothing when they cannot be composed).
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// The decomposed Cyrillic letters that turn up in copied text.
fn compose(base: char, mark: char) -> Option<char> {
    Some(match (base, mark) {
        ('и', '\u{0306}') => 'й',
        ('И', '\u{0306}') => 'Й',
        ('е', '\u{0308}') => 'ё',
        ('Е', '\u{0308}') => 'Ё',
        ('у', '\u{0306}') => 'ў',
        ('У', '\u{0306}') => 'Ў',
        ('і', '\u{0308}') => 'ї',
        ('І', '\u{0308}') => 'Ї',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_has_every_kazakh_and_russian_letter() {
        let font = Font::load().unwrap();
        let letters = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ\
                       аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя•№«»—–…";
        for c in letters.chars() {
            assert!(font.supported(c), "no glyph for {c}");
        }
    }

    #[test]
    fn clean_normalises_odd_input() {
        let font = Font::load().unwrap();
        assert_eq!(font.clean("  a\t\n b\u{0}c  ", 100), "a b c");
        assert_eq!(font.clean("Сергеи\u{0306}", 100), "Сергей");
        assert_eq!(font.clean("x\u{200B}y😀", 100), "xy?");
        assert_eq!(font.clean("abcdef", 3), "abc…");
        assert_eq!(font.clean("", 3), "");
    }

    #[test]
    fn wrap_respects_width() {
        let font = Font::load().unwrap();
        let long = "Қ".repeat(200);
        let lines = font.wrap(&format!("a {long} b"), 10.0, 100.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(font.width(l, 10.0) <= 100.0 + 0.01, "{l}");
        }
        assert_eq!(font.wrap("", 10.0, 100.0), vec![String::new()]);
    }
}
