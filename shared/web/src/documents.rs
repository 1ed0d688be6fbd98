//! The seeds' third tab of an application: its documents, the parent's uploads and the issued
//! PDFs (registration, voucher, enrolment), each with a short-lived download link.

use super::*;
use crate::pages::Frame;
use kezek_core::documents::{DocumentKind, DocumentView};
use maud::{html, Markup};

struct Words {
    title: &'static str,
    none: &'static str,
    upload: &'static str,
    registration: &'static str,
    voucher: &'static str,
    enrolment: &'static str,
    download: &'static str,
    missing: &'static str,
    kb: &'static str,
}

const KK: Words = Words {
    title: "Құжаттар",
    none: "Әзірге құжат жоқ.",
    upload: "Жүктелген құжат",
    registration: "Кезекке тіркеу туралы анықтама",
    voucher: "Ваучер",
    enrolment: "Қабылдау туралы жолдама",
    download: "Жүктеп алу",
    missing: "файл әлі келмеді",
    kb: "КБ",
};

const RU: Words = Words {
    title: "Документы",
    none: "Документов пока нет.",
    upload: "Загруженный документ",
    registration: "Справка о постановке в очередь",
    voucher: "Ваучер",
    enrolment: "Направление о зачислении",
    download: "Скачать",
    missing: "файл ещё не получен",
    kb: "КБ",
};

const EN: Words = Words {
    title: "Documents",
    none: "No documents yet.",
    upload: "Uploaded document",
    registration: "Registration in the queue",
    voucher: "Voucher",
    enrolment: "Enrolment",
    download: "Download",
    missing: "the file has not arrived yet",
    kb: "KB",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The application's documents; none (logged) where the deployment keeps no documents.
pub(crate) async fn documents_of(web: &Web, who: &Principal, id: &str) -> Vec<DocumentView> {
    match web.api.service.documents(who, id).await {
        Ok(d) => d,
        Err(f) => {
            tracing::warn!(error = %f, "documents not listed on the application's page");
            Vec::new()
        }
    }
}

/// The registration document's download link (the confirmation's).
pub(crate) fn registration_link(docs: &[DocumentView]) -> Option<&str> {
    docs.iter()
        .find(|d| d.kind == DocumentKind::Registration)
        .and_then(|d| d.download_url.as_deref())
}

/// The documents' section of the application's page.
pub(crate) fn section(f: &Frame, docs: &[DocumentView]) -> Markup {
    let w = words(f.lang());
    let label = |k: DocumentKind| match k {
        DocumentKind::Upload => w.upload,
        DocumentKind::Registration => w.registration,
        DocumentKind::Voucher => w.voucher,
        DocumentKind::Enrolment => w.enrolment,
    };
    html! {
        h2 #documents { (w.title) }
        @if docs.is_empty() {
            p { (w.none) }
        } @else {
            ul.documents {
                @for d in docs {
                    li {
                        strong { (label(d.kind)) }
                        " · " (d.name) " · " (d.size.div_ceil(1024)) " " (w.kb)
                        br;
                        @match &d.download_url {
                            Some(url) => { a href=(url) download=(d.name) { (w.download) span.visually-hidden { ": " (label(d.kind)) } } }
                            None => { span.hint { (w.missing) } }
                        }
                    }
                }
            }
        }
    }
}
