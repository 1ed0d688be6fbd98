//! The kk/ru/en texts: every notification kind has a template in every language, rendering leaves
//! no placeholder, every error code the core produces has messages, Russian plural forms.

use chrono::NaiveDate;
use kezek_core::domain::{ArchiveReason, Language, Notification, NotificationKind, Param, Status};
use kezek_core::lifecycle::Refusal;
use kezek_core::ports::{CommitError, Conflict, StoreError};
use kezek_core::reference::Reference;
use kezek_core::texts::{fill, QueueFacts, Rendered, Texts};
use kezek_core::time::end_of_day;
use kezek_core::Failure;
use std::collections::{BTreeMap, BTreeSet};

const LANGS: [Language; 3] = [Language::Kk, Language::Ru, Language::En];

const FACTS: QueueFacts = QueueFacts {
    position: Some(5),
    age_group: Some(3),
};

fn deadline() -> kezek_core::time::Time {
    end_of_day(NaiveDate::from_ymd_opt(2026, 3, 27).expect("date"))
}

/// Every parameter any template might use.
fn all_params(kind: NotificationKind) -> BTreeMap<String, Param> {
    let reason = if kind == NotificationKind::PrivilegeRejected {
        Param::Text("документы не подтверждены".into())
    } else {
        Param::Reason(ArchiveReason::StopListExpired)
    };
    [
        ("registration_number", Param::Text("КОК.2026.248".into())),
        ("district", Param::District("KOK".into())),
        ("position", Param::QueuePosition),
        ("reconfirm_by", Param::Time(deadline())),
        ("confirm_by", Param::Time(deadline())),
        ("choose_by", Param::Time(deadline())),
        ("restore_by", Param::Time(deadline())),
        ("days", Param::Number(2)),
        ("reason", reason),
        ("kindergarten_name", Param::Text("Колокольчик".into())),
        (
            "kindergarten_address",
            Param::Text("Кокшетау, ул. Абая, 1".into()),
        ),
        ("code", Param::Text("123456".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The parameters the lifecycle (and the login use case, for otp_code) actually sends per kind.
fn sent_params(kind: NotificationKind) -> BTreeMap<String, Param> {
    use NotificationKind::*;
    let keys: &[&str] = match kind {
        Registered => &["district", "position", "reconfirm_by"],
        VoucherOffered => &["confirm_by"],
        VoucherConfirmed | Extended => &["choose_by"],
        ExtensionAvailable | ChooseReminder => &["choose_by", "days"],
        Enrolled => &["kindergarten_name", "kindergarten_address"],
        StopListed => &["restore_by"],
        Restored => &["position"],
        Archived => &["reason"],
        ReconfirmReminder => &["reconfirm_by", "days"],
        Reconfirmed => &["reconfirm_by"],
        VoucherConfirmReminder => &["confirm_by", "days"],
        PrivilegeRejected => &["reason", "position"],
        OtpCode => &["code"],
    };
    let all = all_params(kind);
    let mut out: BTreeMap<String, Param> = keys
        .iter()
        .map(|k| ((*k).to_owned(), all[*k].clone()))
        .collect();
    if kind != OtpCode {
        out.insert(
            "registration_number".into(),
            all["registration_number"].clone(),
        );
    }
    out
}

fn notification(
    kind: NotificationKind,
    lang: Language,
    params: BTreeMap<String, Param>,
) -> Notification {
    Notification {
        id: format!("app-1:2:{}", kind.as_str()),
        application_id: Some("app-1".into()),
        kind,
        language: lang,
        email: Some("parent@example.kz".into()),
        phone: Some("+77011234567".into()),
        params,
        created_at: deadline(),
    }
}

/// `{name}` placeholders left in a text.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        if let Some(end) = after.find('}') {
            let name = &after[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push(name.to_owned());
            }
        }
        rest = after;
    }
    out
}

fn render(kind: NotificationKind, lang: Language, params: BTreeMap<String, Param>) -> Rendered {
    Texts::builtin()
        .render(
            &notification(kind, lang, params),
            Reference::builtin(),
            FACTS,
        )
        .unwrap_or_else(|| panic!("no template for {} in {}", kind.as_str(), lang.code()))
}

fn assert_clean(kind: NotificationKind, lang: Language, r: &Rendered) {
    for (part, text) in [("subject", &r.subject), ("body", &r.body), ("sms", &r.sms)] {
        assert!(
            !text.trim().is_empty(),
            "{}.{}.{part} is empty",
            kind.as_str(),
            lang.code()
        );
        let left = placeholders(text);
        assert!(
            left.is_empty(),
            "{}.{}.{part} leaves {left:?}: {text}",
            kind.as_str(),
            lang.code()
        );
    }
}

#[test]
fn every_kind_has_a_template_in_every_language() {
    let texts = Texts::builtin();
    for kind in NotificationKind::ALL {
        for lang in LANGS {
            let t = texts
                .template(kind, lang)
                .unwrap_or_else(|| panic!("{} has no {} template", kind.as_str(), lang.code()));
            assert!(
                !t.subject.is_empty(),
                "{}.{}.subject",
                kind.as_str(),
                lang.code()
            );
            assert!(!t.body.is_empty(), "{}.{}.body", kind.as_str(), lang.code());
            assert!(!t.sms.is_empty(), "{}.{}.sms", kind.as_str(), lang.code());
        }
    }
}

#[test]
fn rendering_with_every_param_leaves_no_placeholder() {
    for kind in NotificationKind::ALL {
        for lang in LANGS {
            let r = render(kind, lang, all_params(kind));
            assert_clean(kind, lang, &r);
        }
    }
}

#[test]
fn rendering_with_the_params_actually_sent_leaves_no_placeholder() {
    for kind in NotificationKind::ALL {
        for lang in LANGS {
            let r = render(kind, lang, sent_params(kind));
            assert_clean(kind, lang, &r);
        }
    }
}

#[test]
fn rendered_values_are_localised() {
    let ru = render(
        NotificationKind::Registered,
        Language::Ru,
        sent_params(NotificationKind::Registered),
    );
    assert!(ru.subject.contains("КОК.2026.248"), "{}", ru.subject);
    assert!(ru.body.contains("город Кокшетау"), "{}", ru.body);
    assert!(
        ru.body.contains("27.03.2026 23:59 (время Астаны)"),
        "{}",
        ru.body
    );
    assert!(
        ru.body.contains("дети достигшие 3 лет"),
        "queue name in the body: {}",
        ru.body
    );
    assert!(ru.sms.contains('5'), "position in the sms: {}", ru.sms);
    let kk = render(
        NotificationKind::Registered,
        Language::Kk,
        sent_params(NotificationKind::Registered),
    );
    assert!(kk.body.contains("Көкшетау қаласы"), "{}", kk.body);
    assert!(kk.body.contains("Астана уақыты"), "{}", kk.body);

    let archived = render(
        NotificationKind::Archived,
        Language::Ru,
        sent_params(NotificationKind::Archived),
    );
    assert!(
        archived
            .body
            .contains("Заявление не восстановлено из стоп-листа в течение 28 календарных дней"),
        "{}",
        archived.body
    );
    let rejected = render(
        NotificationKind::PrivilegeRejected,
        Language::Ru,
        sent_params(NotificationKind::PrivilegeRejected),
    );
    assert!(
        rejected.body.contains("документы не подтверждены"),
        "{}",
        rejected.body
    );
    let otp = render(
        NotificationKind::OtpCode,
        Language::En,
        sent_params(NotificationKind::OtpCode),
    );
    assert!(otp.sms.contains("123456"), "{}", otp.sms);
}

#[test]
fn unknown_position_is_a_dash_not_a_placeholder() {
    let n = notification(
        NotificationKind::Restored,
        Language::Ru,
        sent_params(NotificationKind::Restored),
    );
    let r = Texts::builtin()
        .render(&n, Reference::builtin(), QueueFacts::default())
        .expect("template");
    assert!(placeholders(&r.body).is_empty(), "{}", r.body);
    assert!(r.body.contains('—'), "{}", r.body);
}

/// Error codes written as string literals in a source file.
fn codes_in(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for marker in ["bad(\"", "code: \"", "conflict(\"", " c(\"", "=> \""] {
        let mut rest = source;
        while let Some(i) = rest.find(marker) {
            let after = &rest[i + marker.len()..];
            if let Some(end) = after.find('"') {
                let code = &after[..end];
                if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.insert(code.to_owned());
                }
            }
            rest = after;
        }
    }
    out
}

#[test]
fn every_error_code_has_messages_in_three_languages() {
    let texts = Texts::builtin();
    let mut codes: BTreeSet<String> = BTreeSet::new();
    // What each refusal and commit conflict maps to.
    let refusals = [
        Refusal::NotInStatus(Status::Queued),
        Refusal::DeadlinePassed,
        Refusal::RestoreUsed,
        Refusal::ExtensionUsed,
        Refusal::ExtensionNotAvailable,
        Refusal::ReconfirmNotOpen,
        Refusal::NoPrivilegeClaim,
        Refusal::KindergartenWrongDistrict,
        Refusal::NoFreePlace,
        Refusal::NothingDue,
        Refusal::ChildTooOld,
        Refusal::ChildNotBorn,
        Refusal::ApplicantIsChild,
        Refusal::UnknownPrivilege,
        Refusal::PrivilegeDocumentsRequired,
    ];
    for r in refusals {
        codes.insert(Failure::from(r).code().to_owned());
    }
    for c in [
        Conflict::Stale,
        Conflict::DuplicateChild,
        Conflict::NoFreePlace,
        Conflict::NoVoucherPlace,
        Conflict::ApplicantLimit,
    ] {
        codes.insert(Failure::from(CommitError::Conflict(c)).code().to_owned());
    }
    // The HTTP layer's own failures (`kezek_http::HttpError`: 405, 413).
    codes.extend(["method_not_allowed", "body_too_large"].map(String::from));
    for f in [
        Failure::RateLimited {
            code: "rate_limited",
        },
        Failure::Unavailable("x".into()),
        Failure::from(StoreError("x".into())),
    ] {
        codes.insert(f.code().to_owned());
    }
    // And every literal code in the sources that produce failures.
    codes.extend(codes_in(include_str!("../src/error.rs")));
    // The use cases, by business area.
    for source in [
        include_str!("../src/service.rs"),
        include_str!("../src/inputs.rs"),
        include_str!("../src/applications.rs"),
        include_str!("../src/catalogue.rs"),
        include_str!("../src/profiles.rs"),
        include_str!("../src/vouchers.rs"),
        include_str!("../src/operations.rs"),
        include_str!("../src/sweeps.rs"),
        include_str!("../src/notifications.rs"),
        include_str!("../src/correct_deadlines.rs"),
    ] {
        codes.extend(codes_in(source));
    }
    codes.extend(codes_in(include_str!("../src/identity.rs")));
    codes.extend(codes_in(include_str!("../src/access.rs")));
    codes.extend(codes_in(include_str!("../src/retry.rs")));
    // documents.rs also has kind names after `=> "`: its codes by name.
    for code in codes_in(include_str!("../src/documents.rs")) {
        if !["upload", "registration", "voucher", "enrolment"].contains(&code.as_str()) {
            codes.insert(code);
        }
    }
    {
        use kezek_core::ports::SignatureVerifier;
        let refused = futures::executor::block_on(kezek_core::ports::NoRoots.verify(
            "",
            None,
            chrono::Utc::now(),
        ))
        .unwrap_err();
        codes.insert(refused.0.to_owned());
    }
    for expected in [
        "not_in_status",
        "deadline_passed",
        "restore_used",
        "extension_used",
        "extension_not_available",
        "reconfirm_not_open",
        "no_privilege_claim",
        "no_free_place",
        "kindergarten_wrong_district",
        "child_too_old",
        "child_not_born",
        "applicant_is_child",
        "unknown_privilege",
        "privilege_documents_required",
        "duplicate_child",
        "conflict",
        "forbidden",
        "not_found",
        "invalid_iin",
        "unknown_district",
    ] {
        assert!(codes.contains(expected), "{expected} was not collected");
    }
    // KNOWN GAP (reported, not fixed here: data/texts/errors.toml is outside this change's
    // files): usecases.rs answers `kinship_not_confirmed` when linking a child, and errors.toml has
    // no message for it. Once the message is added this list must be emptied (checked below).
    const KNOWN_MISSING: [&str; 0] = [];
    for code in KNOWN_MISSING {
        assert!(
            !codes.contains(code) || !texts.has_error(code),
            "{code} has messages now: remove it from KNOWN_MISSING"
        );
    }
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !texts.has_error(c) && !KNOWN_MISSING.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without messages: {missing:?}"
    );
    for code in codes.iter().filter(|c| texts.has_error(c)) {
        let mut seen = BTreeSet::new();
        for lang in LANGS {
            let m = texts.error(code, lang, &[]);
            assert!(!m.trim().is_empty(), "{code}.{}", lang.code());
            assert_ne!(&m, code, "{code}.{} falls back to the code", lang.code());
            seen.insert(m);
        }
        assert!(
            seen.len() >= 2,
            "{code}: kk, ru and en are all the same text"
        );
    }
    assert!(!texts.has_error("no_such_code"));
    assert_eq!(
        texts.error("no_such_code", Language::Ru, &[]),
        "no_such_code"
    );
}

#[test]
fn queue_name_russian_plurals() {
    let texts = Texts::builtin();
    let ru = |n: u8| texts.queue_name(n, Language::Ru);
    assert!(ru(1).contains("достигшие 1 года"), "{}", ru(1));
    assert!(ru(3).contains("достигшие 3 лет"), "{}", ru(3));
    assert!(ru(5).contains("достигшие 5 лет"), "{}", ru(5));
    assert!(ru(2).contains("достигшие 2 лет"), "{}", ru(2));
    assert!(ru(21).contains("достигшие 21 года"), "{}", ru(21));
    assert!(ru(11).contains("достигшие 11 лет"), "{}", ru(11));
    assert_eq!(
        ru(3),
        "в очереди, по возрасту, дети достигшие 3 лет, по дате постановки"
    );
    for n in 0..=7u8 {
        for lang in LANGS {
            let s = texts.queue_name(n, lang);
            assert!(s.contains(&n.to_string()), "{s}");
            assert!(placeholders(&s).is_empty(), "{s}");
        }
    }
}

#[test]
fn labels_exist_for_every_status_and_reason() {
    let texts = Texts::builtin();
    for s in Status::ALL {
        for lang in LANGS {
            let l = texts.status(s, lang);
            assert!(!l.starts_with("status."), "{l}");
        }
    }
    assert_eq!(texts.status(Status::Queued, Language::Ru), "В очереди");
    assert_eq!(texts.status(Status::Queued, Language::Kk), "Кезекте");
    for r in [
        ArchiveReason::NotReconfirmed,
        ArchiveReason::VoucherLapsed,
        ArchiveReason::StopListExpired,
        ArchiveReason::NotEnrolled,
        ArchiveReason::VoucherRefused,
        ArchiveReason::Withdrawn,
    ] {
        for lang in LANGS {
            let l = texts.archive_reason(r, lang);
            assert!(!l.starts_with("archive_reason."), "{l}");
        }
    }
}

#[test]
fn fill_replaces_known_names_only() {
    let v = |k: &str| (k == "a").then(|| "1".to_owned());
    assert_eq!(fill("x {a} {b} {", v), "x 1 {b} {");
    assert_eq!(fill("{a}{a}", v), "11");
    assert_eq!(fill("{not a name}", v), "{not a name}");
}
