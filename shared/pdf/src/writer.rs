//! PDF objects: pages, content streams and the subset Type 0 font.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::layout::{Page, PAGE_HEIGHT, PAGE_WIDTH};
use crate::text::{Font, FONT_BYTES};
use crate::PdfError;

const FONT_RESOURCE: Name<'static> = Name(b"F1");
/// Subset tag + PostScript name (fixed, so output stays deterministic).
const BASE_FONT: Name<'static> = Name(b"KZKPDF+DejaVuSans");
const SYSTEM_INFO: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// Writes the pages with the embedded font subset and returns the PDF bytes.
pub(crate) fn write(font: &Font, pages: &[Page], title: &str) -> Result<Vec<u8>, PdfError> {
    // Every character used, with its glyph in the full font.
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    for line in pages.iter().flat_map(|p| &p.lines) {
        for c in line.text.chars() {
            used.entry(font.glyph(c).0).or_insert(c);
        }
    }
    let glyphs: Vec<u16> = used.keys().copied().collect();
    let remapper = GlyphRemapper::new_from_glyphs_sorted(&glyphs);
    let subset =
        subsetter::subset(FONT_BYTES, 0, &remapper).map_err(|e| PdfError::Subset(e.to_string()))?;
    // CID = glyph id in the subset (CIDToGIDMap /Identity).
    let cid = |c: char| -> u16 { remapper.get(font.glyph(c).0).unwrap_or(0) };

    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let type0_id = Ref::new(3);
    let cid_font_id = Ref::new(4);
    let descriptor_id = Ref::new(5);
    let cmap_id = Ref::new(6);
    let font_file_id = Ref::new(7);
    let info_id = Ref::new(8);
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            let n = i32::try_from(i).unwrap_or(i32::MAX / 4 - 5);
            (Ref::new(9 + 2 * n), Ref::new(10 + 2 * n))
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.set_version(1, 7);
    pdf.catalog(catalog_id).pages(page_tree_id);
    pdf.pages(page_tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("Kezek"));

    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(page_tree_id)
            .contents(*content_id);
        p.resources().fonts().pair(FONT_RESOURCE, type0_id);
        p.finish();

        let mut content = Content::new();
        for (x1, x2, y) in &page.rules {
            content
                .set_stroke_gray(0.6)
                .set_line_width(0.6)
                .move_to(*x1, *y)
                .line_to(*x2, *y)
                .stroke();
        }
        for line in &page.lines {
            let bytes: Vec<u8> = line
                .text
                .chars()
                .flat_map(|c| cid(c).to_be_bytes())
                .collect();
            content.begin_text();
            content.set_font(FONT_RESOURCE, line.size);
            content.set_fill_gray(line.gray);
            if line.bold {
                // Faux bold: fill and stroke the outlines.
                content
                    .set_stroke_gray(line.gray)
                    .set_line_width(line.size * 0.03)
                    .set_text_rendering_mode(TextRenderingMode::FillStroke);
            } else {
                content.set_text_rendering_mode(TextRenderingMode::Fill);
            }
            content.next_line(line.x, line.y);
            content.show(Str(&bytes));
            content.end_text();
        }
        let data = deflate(&content.finish());
        pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
    }

    // Type 0 font with one CIDFontType2 descendant.
    pdf.type0_font(type0_id)
        .base_font(BASE_FONT)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font_id)
        .to_unicode(cmap_id);

    let mut widths = vec![0.0f32; usize::from(remapper.num_gids())];
    for &old in &glyphs {
        if let Some(new) = remapper.get(old) {
            if let Some(w) = widths.get_mut(usize::from(new)) {
                *w = font.advance_1000(ttf_parser::GlyphId(old));
            }
        }
    }
    if let Some(w) = widths.first_mut() {
        *w = font.advance_1000(ttf_parser::GlyphId(0));
    }
    let mut cid_font = pdf.cid_font(cid_font_id);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(BASE_FONT)
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid_font.widths().consecutive(0, widths.iter().copied());
    cid_font.finish();

    let scale = |v: i16| f32::from(v) * 1000.0 / font.units_per_em;
    let face = &font.face;
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor_id)
        .name(BASE_FONT)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(scale(face.ascender()))
        .descent(scale(face.descender()))
        .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(80.0)
        .font_file2(font_file_id);

    let pairs: Vec<(u16, char)> = used
        .iter()
        .filter_map(|(&old, &c)| remapper.get(old).map(|new| (new, c)))
        .collect();
    let cmap_data = deflate(&to_unicode_cmap(&pairs));
    pdf.cmap(cmap_id, &cmap_data).filter(Filter::FlateDecode);

    let font_data = deflate(&subset);
    let font_len = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    pdf.stream(font_file_id, &font_data)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), font_len);

    Ok(pdf.finish())
}

/// The `/ToUnicode` CMap: CID (2 bytes) to UTF-16BE.
///
/// Written here rather than with `pdf_writer::types::UnicodeCmap` because the
/// strict CMap parser of lopdf (used by many Rust PDF tools) rejects the
/// optional `/CMapVersion` and `/WMode` entries that one writes; this minimal
/// form is the one in the PDF specification's example and every reader
/// accepts it.
fn to_unicode_cmap(pairs: &[(u16, char)]) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n\
         12 dict begin\n\
         begincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n\
         /CMapType 2 def\n\
         1 begincodespacerange\n\
         <0000> <FFFF>\n\
         endcodespacerange\n",
    );
    // At most 100 entries per bfchar block.
    for chunk in pairs.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for &(cid, c) in chunk {
            let _ = write!(out, "<{cid:04X}> <");
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "{unit:04X}");
            }
            out.push_str(">\n");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str(
        "endcmap\n\
         CMapName currentdict /CMap defineresource pop\n\
         end\n\
         end\n",
    );
    out.into_bytes()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
