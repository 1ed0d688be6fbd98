//! The position history on an application's page (issue 19): every change of the child's place
//! in the queue with why, as a list and a small step chart drawn on the server (SVG, no script).
//! The list says everything the chart shows, so the chart is one picture with a title.

use crate::pages::{self, Frame};
use kezek_core::domain::Language;
use kezek_core::transparency::QueueMoveView;
use maud::{html, Markup};

struct Words {
    title: &'static str,
    hint: &'static str,
    chart: &'static str,
    place: &'static str,
    out: &'static str,
    children: &'static str,
}

const KK: Words = Words {
    title: "Кезектегі орынның өзгеруі",
    hint: "Әр өзгеріс және оның себебі. Басқа балалар туралы тек саны көрсетіледі.",
    chart: "Кезектегі орынның өзгеру диаграммасы",
    place: "орын",
    out: "кезектен тыс",
    children: "бала",
};

const RU: Words = Words {
    title: "Как менялось место в очереди",
    hint: "Каждое изменение и его причина. О других детях — только их число.",
    chart: "Диаграмма изменения места в очереди",
    place: "место",
    out: "вне очереди",
    children: "детей",
};

const EN: Words = Words {
    title: "How the place in the queue changed",
    hint: "Every change and why. Of other children, only how many.",
    chart: "Chart of the place in the queue over time",
    place: "place",
    out: "out of the queue",
    children: "children",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The section: nothing when the history is empty (a child never queued).
pub(crate) fn section(f: &Frame, moves: &[QueueMoveView]) -> Markup {
    let w = words(f.lang());
    let at = |p: Option<u64>| p.map_or_else(|| w.out.to_owned(), |p| format!("{} {p}", w.place));
    html! {
        @if !moves.is_empty() {
            h2 #queue-history { (w.title) }
            p.hint { (w.hint) }
            (chart(w.chart, moves))
            ol.history {
                @for m in moves {
                    li {
                        strong { (m.reason_label) }
                        @if m.count > 1 { " (" (m.count) " " (w.children) ")" }
                        " · " (pages::local(&m.at))
                        br;
                        span.hint {
                            @if m.from_position.is_some() { (at(m.from_position)) " → " }
                            (at(m.to_position))
                        }
                    }
                }
            }
        }
    }
}

/// A step chart of the place after each move (place 1 at the top), one step per move.
fn chart(title: &str, moves: &[QueueMoveView]) -> Markup {
    const WIDTH: u64 = 600;
    const HEIGHT: u64 = 160;
    const PAD: u64 = 40;
    let places: Vec<u64> = moves.iter().filter_map(|m| m.to_position).collect();
    let (Some(&low), Some(&high)) = (places.iter().min(), places.iter().max()) else {
        return html! {};
    };
    let span = (high - low).max(1);
    let steps = moves.len().max(2) as u64 - 1;
    let x = |i: usize| PAD + i as u64 * (WIDTH - 2 * PAD) / steps;
    let y = |p: u64| 10 + (p - low) * (HEIGHT - 30) / span;
    let mut points = String::new();
    let mut last: Option<u64> = None;
    for (i, m) in moves.iter().enumerate() {
        if let Some(p) = m.to_position {
            if let Some(prev) = last {
                points.push_str(&format!("{},{} ", x(i), y(prev)));
            }
            points.push_str(&format!("{},{} ", x(i), y(p)));
        }
        last = m.to_position.or(last);
    }
    html! {
        svg.chart role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
            xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            text x="4" y="18" font-size="14" fill="#0b0c0c" { (low) }
            @if high != low {
                text x="4" y=(HEIGHT - 14) font-size="14" fill="#0b0c0c" { (high) }
            }
            polyline points=(points.trim_end()) fill="none" stroke="#1d70b8" stroke-width="3" {}
        }
    }
}
