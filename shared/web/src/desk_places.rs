//! A kindergarten's free places per age group: one small form, and after it what the change does
//! to the voucher pool ("3 places more for age group 3: the next run can offer up to 3 more").

use super::*;
use crate::desk::operator;
use crate::desk_catalogue::{managed, name_of};
use crate::desk_words::{refusal, words, AGES};
use crate::pages::{self, Frame};
use kezek_core::views::KindergartenView;
use maud::{html, Markup};
use std::collections::BTreeMap;

const AGE_FIELDS: [&str; 6] = ["age_1", "age_2", "age_3", "age_4", "age_5", "age_6"];

pub(crate) async fn places_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let who = match operator(&web, &visit, &format!("/admin/kindergartens/{id}/places")) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let kg = match managed(&web, &visit, &who, &id).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let mut answers = Answers::default();
    for (field, age) in AGE_FIELDS.iter().zip(AGES) {
        let n = kg.free_places.get(&age.to_string()).copied().unwrap_or(0);
        answers.values.push((field, n.to_string()));
    }
    let w = words(visit.lang);
    // What the change did, from the redirect after it ("3:3,4:-2"): age group and difference.
    let effect: Vec<String> = q
        .get("changed")
        .map(|c| {
            let lines: Vec<String> = c
                .split(',')
                .filter_map(|p| {
                    let (a, d) = p.split_once(':')?;
                    let (a, d) = (a.parse::<u8>().ok()?, d.parse::<i64>().ok()?);
                    let n = u32::try_from(d.unsigned_abs()).ok()?;
                    Some(if d > 0 {
                        (w.more)(n, a)
                    } else {
                        (w.fewer)(n, a)
                    })
                })
                .collect();
            if lines.is_empty() {
                vec![w.no_change.to_owned()]
            } else {
                lines
            }
        })
        .unwrap_or_default();
    let created = q.contains_key("created");
    let frame = Frame::new(&web, &visit, "/admin/kindergartens").operator();
    let html = places_form(&frame, &kg, &answers, created, &effect);
    page(&web, &visit, StatusCode::OK, html)
}

pub(crate) async fn places_post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: BTreeMap<String, String> = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let who = match operator(&web, &visit, "/admin") {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let kg = match managed(&web, &visit, &who, &id).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let mut places = BTreeMap::new();
    let mut refused = None;
    for (field, age) in AGE_FIELDS.iter().zip(AGES) {
        let v = input.get(*field).map(|s| s.trim()).unwrap_or_default();
        if v.is_empty() {
            continue;
        }
        match v.parse::<i64>() {
            Ok(n) => {
                places.insert(age.to_string(), n);
            }
            Err(_) => {
                refused = Some(Failure::bad("invalid_field", field));
                break;
            }
        }
    }
    let result = match refused {
        Some(f) => Err(f),
        None => web.api.service.set_places(&who, &id, places).await,
    };
    match result {
        Ok(after) => {
            let changed: Vec<String> = AGES
                .filter_map(|a| {
                    let key = a.to_string();
                    let before = i64::from(kg.free_places.get(&key).copied().unwrap_or(0));
                    let now = i64::from(after.free_places.get(&key).copied().unwrap_or(0));
                    (now != before).then(|| format!("{a}:{}", now - before))
                })
                .collect();
            see_other(&format!(
                "/admin/kindergartens/{}/places?changed={}",
                after.id,
                changed.join(",")
            ))
        }
        Err(f) if matches!(f, Failure::BadInput { .. }) || f.code() == "places_promised" => {
            // The core names an age group ("3"); the page's field for it is "age_3". A cut
            // below the vouchers outstanding names the first age group cut.
            let status = if f.code() == "places_promised" {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            let f = match f {
                Failure::Conflict { code, .. } => Failure::BadInput {
                    code,
                    field: AGES
                        .zip(AGE_FIELDS)
                        .find(|(a, field)| {
                            let was = kg.free_places.get(&a.to_string()).copied().unwrap_or(0);
                            input
                                .get(*field)
                                .and_then(|v| v.trim().parse::<i64>().ok())
                                .is_some_and(|n| n < i64::from(was))
                        })
                        .map(|(_, field)| field.to_string()),
                },
                Failure::BadInput {
                    code,
                    field: Some(name),
                } if !name.starts_with("age_") => Failure::BadInput {
                    code,
                    field: Some(format!("age_{name}")),
                },
                other => other,
            };
            let mut answers = Answers::default();
            for field in AGE_FIELDS {
                answers
                    .values
                    .push((field, input.get(field).cloned().unwrap_or_default()));
            }
            answers
                .errors
                .push(refusal(&web, visit.lang, &f, &AGE_FIELDS));
            let frame = Frame::new(&web, &visit, "/admin/kindergartens").operator();
            let html = places_form(&frame, &kg, &answers, false, &[]);
            page(&web, &visit, status, html)
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

fn places_form(
    f: &Frame,
    kg: &KindergartenView,
    answers: &Answers,
    created: bool,
    effect: &[String],
) -> Markup {
    let w = words(f.lang());
    pages::layout_error(
        f,
        w.places,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            @if created {
                div.panel role="status" { p { (w.created) } }
            }
            @if !effect.is_empty() {
                div.panel role="status" {
                    @for line in effect { p { (line) } }
                }
            }
            p { a href={ "/admin/kindergartens/" (kg.id) } { (name_of(f, kg)) } }
            h1 { (w.places) ": " (name_of(f, kg)) }
            p { (w.places_lead) }
            form method="post" action={ "/admin/kindergartens/" (kg.id) "/places" } novalidate {
                input type="hidden" name="csrf" value=(f.csrf());
                @for (field, age) in AGE_FIELDS.iter().zip(AGES) {
                    (pages::field(answers, field, &(w.age)(age), w.places_hint, "text", "off", "numeric"))
                }
                button.button type="submit" { (w.save) }
            }
        },
    )
}
