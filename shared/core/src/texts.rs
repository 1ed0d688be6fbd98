//! What parents read, in Kazakh, Russian and English: error messages, labels and the e-mail and SMS
//! templates. The texts are data files (`data/texts/*.toml`); this module only looks them up and
//! fills their placeholders.

use crate::domain::{
    Action, ArchiveReason, Language, Notification, NotificationKind, Param, Status,
};
use crate::queue::AgeGroup;
use crate::reference::Reference;
use crate::time::display;
use std::collections::HashMap;
use std::sync::OnceLock;

const ERRORS: &str = include_str!("../data/texts/errors.toml");
const LABELS: &str = include_str!("../data/texts/labels.toml");
const NOTIFICATIONS: &str = include_str!("../data/texts/notifications.toml");

/// Three translations of one text.
#[derive(Debug, Clone, Default)]
struct Tri {
    kk: String,
    ru: String,
    en: String,
}

impl Tri {
    fn get(&self, lang: Language) -> &str {
        match lang {
            Language::Kk => &self.kk,
            Language::Ru => &self.ru,
            Language::En => &self.en,
        }
    }

    fn from_table(t: &toml::Table) -> Option<Tri> {
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Some(Tri {
            kk: s("kk")?,
            ru: s("ru")?,
            en: s("en")?,
        })
    }
}

/// One language's e-mail subject and body and SMS text of a notification kind.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub subject: String,
    pub body: String,
    pub sms: String,
}

/// A rendered message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub sms: String,
}

/// All the texts, loaded once.
#[derive(Debug, Default)]
pub struct Texts {
    errors: HashMap<String, Tri>,
    labels: HashMap<String, Tri>,
    templates: HashMap<(String, Language), Template>,
}

/// The queue facts a message shows, read when it is sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueFacts {
    pub position: Option<u64>,
    pub age_group: Option<AgeGroup>,
}

impl Texts {
    /// The shipped texts (validated by tests).
    pub fn builtin() -> &'static Texts {
        static T: OnceLock<Texts> = OnceLock::new();
        T.get_or_init(|| Texts::from_toml(ERRORS, LABELS, NOTIFICATIONS).unwrap_or_default())
    }

    pub fn from_toml(errors: &str, labels: &str, notifications: &str) -> Result<Texts, String> {
        let parse = |s: &str| s.parse::<toml::Table>().map_err(|e| e.to_string());
        let mut texts = Texts::default();
        for (code, v) in parse(errors)? {
            let t = v
                .as_table()
                .and_then(Tri::from_table)
                .ok_or(format!("errors.{code}: needs kk, ru and en"))?;
            texts.errors.insert(code, t);
        }
        // Labels: one or two levels deep (status.queued, queue_name_one).
        for (group, v) in parse(labels)? {
            let table = v.as_table().ok_or(format!("labels.{group}: not a table"))?;
            if let Some(t) = Tri::from_table(table) {
                texts.labels.insert(group, t);
                continue;
            }
            for (name, inner) in table {
                let t = inner
                    .as_table()
                    .and_then(Tri::from_table)
                    .ok_or(format!("labels.{group}.{name}: needs kk, ru and en"))?;
                texts.labels.insert(format!("{group}.{name}"), t);
            }
        }
        for (kind, v) in parse(notifications)? {
            let table = v.as_table().ok_or(format!("{kind}: not a table"))?;
            for lang in [Language::Kk, Language::Ru, Language::En] {
                let t = table
                    .get(lang.code())
                    .and_then(|x| x.as_table())
                    .ok_or(format!("{kind}.{}: missing", lang.code()))?;
                let s = |k: &str| {
                    t.get(k)
                        .and_then(|x| x.as_str())
                        .map(|x| x.trim().to_owned())
                        .ok_or(format!("{kind}.{}.{k}: missing", lang.code()))
                };
                texts.templates.insert(
                    (kind.clone(), lang),
                    Template {
                        subject: s("subject")?,
                        body: s("body")?,
                        sms: s("sms")?,
                    },
                );
            }
        }
        Ok(texts)
    }

    /// An error message in `lang` with its placeholders filled; the code itself when unknown.
    pub fn error(&self, code: &str, lang: Language, vars: &[(&str, &str)]) -> String {
        match self.errors.get(code) {
            Some(t) => fill(t.get(lang), |k| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }),
            None => code.to_owned(),
        }
    }

    /// Whether an error code has messages.
    pub fn has_error(&self, code: &str) -> bool {
        self.errors.contains_key(code)
    }

    fn label(&self, key: &str, lang: Language) -> String {
        self.labels
            .get(key)
            .map_or_else(|| key.to_owned(), |t| t.get(lang).to_owned())
    }

    /// A label with its `{name}` placeholders filled.
    pub fn label_with(&self, key: &str, lang: Language, vars: &[(&str, String)]) -> String {
        fill(&self.label(key, lang), |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// A calendar month as people write it: "шілде 2027 ж.", "июль 2027", "July 2027".
    pub fn month(&self, year: i32, month: u32, lang: Language) -> String {
        self.label_with(
            "month_year",
            lang,
            &[
                ("month", self.label(&format!("month.{month}"), lang)),
                ("year", year.to_string()),
            ],
        )
    }

    pub fn status(&self, s: Status, lang: Language) -> String {
        self.label(&format!("status.{}", s.as_str()), lang)
    }

    /// Why a child's queue position moved ([`crate::queue_book::MoveWhy`]).
    pub fn queue_move(&self, why: crate::queue_book::MoveWhy, lang: Language) -> String {
        self.label(&format!("queue_move.{}", why.as_str()), lang)
    }

    pub fn archive_reason(&self, r: ArchiveReason, lang: Language) -> String {
        self.label(&format!("archive_reason.{}", r.as_str()), lang)
    }

    pub fn action(&self, a: Action, lang: Language) -> String {
        self.label(&format!("action.{}", a.as_str()), lang)
    }

    /// The queue's name as parents read it: "в очереди, по возрасту, дети достигшие 3 лет, …".
    pub fn queue_name(&self, age: AgeGroup, lang: Language) -> String {
        let n = u32::from(age);
        let form = match (n % 10, n % 100) {
            (1, m) if m != 11 => "queue_name_one",
            (2..=4, m) if !(12..=14).contains(&m) => "queue_name_few",
            _ => "queue_name_many",
        };
        let age = age.to_string();
        fill(&self.label(form, lang), |k| {
            (k == "age").then(|| age.clone())
        })
    }

    /// The template of a kind in a language.
    pub fn template(&self, kind: NotificationKind, lang: Language) -> Option<&Template> {
        self.templates.get(&(kind.as_str().to_owned(), lang))
    }

    /// Whether a notification's text names its queue (`{position}`, `{queue_name}`): only then
    /// does rendering it need the application read.
    pub fn names_queue(&self, kind: NotificationKind, lang: Language) -> bool {
        self.template(kind, lang).is_some_and(|t| {
            [&t.subject, &t.body, &t.sms]
                .iter()
                .any(|s| s.contains("{position}") || s.contains("{queue_name}"))
        })
    }

    /// Renders a notification in its language; `queue` fills `{position}` and `{queue_name}`.
    pub fn render(
        &self,
        n: &Notification,
        reference: &Reference,
        queue: QueueFacts,
    ) -> Option<Rendered> {
        let lang = n.language;
        let t = self.template(n.kind, lang)?;
        let value = |key: &str| -> Option<String> {
            if key == "queue_name" {
                return queue.age_group.map(|a| self.queue_name(a, lang));
            }
            if key == "run_log" {
                // the run's entry in the district's public log, when the offer names one
                let entry = (n.params.get("run_log_entry"), n.params.get("run_log_hash"));
                return Some(match entry {
                    (Some(Param::Number(seq)), Some(Param::Text(hash))) => self.label_with(
                        "run_log_line",
                        lang,
                        &[("seq", seq.to_string()), ("hash", hash.clone())],
                    ),
                    _ => String::new(),
                });
            }
            Some(match n.params.get(key)? {
                Param::Text(s) => s.clone(),
                Param::Number(x) => x.to_string(),
                Param::Time(t) => format!("{} ({})", display(*t), self.label("time_zone", lang)),
                Param::Reason(r) => self.archive_reason(*r, lang),
                Param::District(code) => reference
                    .district(code)
                    .map(|d| match lang {
                        Language::Kk => d.name_kk.clone(),
                        _ => d.name_ru.clone(),
                    })
                    .unwrap_or_else(|| code.clone()),
                Param::QueuePosition => queue
                    .position
                    .map_or_else(|| "—".to_owned(), |p| p.to_string()),
            })
        };
        Some(Rendered {
            subject: fill(&t.subject, value),
            body: fill(&t.body, value),
            sms: fill(&t.sms, value),
        })
    }
}

/// Replaces `{name}` with `value(name)`; unknown names stay as they are.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let name = &after[..end];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The HTML part of an e-mail: the plain text escaped, its blank-line-separated paragraphs as
/// `<p>`, its line breaks as `<br>`, in a document of the parent's language.
pub fn html_email(lang: Language, subject: &str, body: &str) -> String {
    fn escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }
    let paragraphs: String = body
        .trim()
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.trim().lines().map(escape).collect();
            format!("<p>{}</p>\n", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a\">\n{paragraphs}</body>\n</html>\n",
        lang = lang.code(),
        title = escape(subject),
    )
}
