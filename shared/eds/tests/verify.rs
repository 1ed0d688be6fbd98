//! End-to-end tests of `kezek_eds::verify` against the test PKI.

use chrono::{DateTime, TimeZone, Utc};
use kezek_eds::testing::{SignOptions, TestCa, TestSigner, TestSubject};
use kezek_eds::{verify, verify_base64, EdsError, Roots};
use proptest::prelude::*;

const IIN: &str = "900101300007";
const CN: &str = "ИВАНОВ ИВАН";
const NONCE: &[u8] = b"kezek-login-nonce-3f2a9c";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn root() -> TestCa {
    TestCa::root("Test NCA")
}

fn roots_of(ca: &TestCa) -> Roots {
    Roots::from_pem(ca.certificate_pem().as_bytes()).unwrap()
}

fn person() -> TestSubject {
    TestSubject::person(IIN, CN)
}

#[test]
fn attached_signature_verifies() {
    let ca = root();
    let signer = ca.issue(&person());
    let verified = verify(&signer.sign(NONCE, true), None, &roots_of(&ca), now()).unwrap();
    assert_eq!(verified.signer.iin, IIN);
    assert_eq!(verified.signer.common_name.as_deref(), Some(CN));
    assert!(!verified.signer.serial.is_empty());
    assert_eq!(verified.content, NONCE);
    assert!(verified.attached);
}

#[test]
fn detached_signature_verifies() {
    let ca = root();
    let signer = ca.issue(&person());
    let signature = signer.sign(NONCE, false);
    let verified = verify(&signature, Some(NONCE), &roots_of(&ca), now()).unwrap();
    assert_eq!(verified.signer.iin, IIN);
    assert_eq!(verified.signer.common_name.as_deref(), Some(CN));
    assert_eq!(verified.content, NONCE);
    assert!(!verified.attached);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::NoContent)
    );
}

#[test]
fn attached_content_wins_over_detached() {
    let ca = root();
    let signature = ca.issue(&person()).sign(NONCE, true);
    let verified = verify(&signature, Some(b"something else"), &roots_of(&ca), now()).unwrap();
    assert_eq!(verified.content, NONCE);
    assert!(verified.attached);
}

#[test]
fn base64_with_newlines_and_without_padding() {
    let ca = root();
    let b64 = ca.issue(&person()).sign_base64(NONCE, true);
    let wrapped: String = b64
        .trim_end_matches('=')
        .as_bytes()
        .chunks(64)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let verified = verify_base64(&wrapped, None, &roots_of(&ca), now()).unwrap();
    assert_eq!(verified.signer.iin, IIN);
    assert_eq!(
        verify_base64(&b64, None, &roots_of(&ca), now())
            .unwrap()
            .content,
        NONCE
    );
    assert!(matches!(
        verify_base64("%%%not base64", None, &roots_of(&ca), now()),
        Err(EdsError::Malformed(_))
    ));
}

#[test]
fn variants_without_signed_attributes_and_with_subject_key_identifier() {
    let ca = root();
    let signer = ca.issue(&person());
    let roots = roots_of(&ca);
    for (signed_attributes, subject_key_identifier) in [(false, false), (true, true), (false, true)]
    {
        for attached in [true, false] {
            let options = SignOptions {
                attached,
                signed_attributes,
                subject_key_identifier,
                include_chain: true,
            };
            let signature = signer.sign_with(NONCE, options);
            let verified = verify(&signature, Some(NONCE), &roots, now()).unwrap();
            assert_eq!(verified.signer.iin, IIN);
            assert_eq!(
                verify(&signature, Some(b"other"), &roots, now()).is_ok(),
                attached,
                "{options:?}"
            );
        }
    }
}

#[test]
fn chain_through_intermediate_verifies_with_only_the_root() {
    let ca = root();
    let intermediate = ca.intermediate("Test NCA Intermediate");
    let signer = intermediate.issue(&person());
    let verified = verify(
        &signer.sign(NONCE, false),
        Some(NONCE),
        &roots_of(&ca),
        now(),
    )
    .unwrap();
    assert_eq!(verified.signer.iin, IIN);

    // Without the intermediate in the CMS the chain cannot be built…
    let options = SignOptions {
        attached: true,
        include_chain: false,
        ..SignOptions::default()
    };
    let bare = signer.sign_with(NONCE, options);
    assert_eq!(
        verify(&bare, None, &roots_of(&ca), now()),
        Err(EdsError::UntrustedChain)
    );
    // …unless the intermediate is configured as trusted.
    let both = format!("{}{}", ca.certificate_pem(), intermediate.certificate_pem());
    let roots = Roots::from_pem(both.as_bytes()).unwrap();
    assert_eq!(roots.len(), 2);
    assert!(verify(&bare, None, &roots, now()).is_ok());
}

#[test]
fn two_intermediates_verify() {
    let ca = root();
    let signer = ca
        .intermediate("Test NCA Level 1")
        .intermediate("Test NCA Level 2")
        .issue(&person());
    assert!(verify(&signer.sign(NONCE, true), None, &roots_of(&ca), now()).is_ok());
}

#[test]
fn expired_and_not_yet_valid_leaf() {
    let ca = root();
    let mut subject = person();
    subject.not_before = date(2022, 1, 1);
    subject.not_after = date(2025, 1, 1);
    let expired = ca.issue(&subject).sign(NONCE, true);
    assert_eq!(
        verify(&expired, None, &roots_of(&ca), now()),
        Err(EdsError::Expired)
    );
    // Still fine at a time inside its validity.
    assert!(verify(&expired, None, &roots_of(&ca), date(2024, 6, 1)).is_ok());

    let mut subject = person();
    subject.not_before = date(2026, 1, 1);
    let future = ca.issue(&subject).sign(NONCE, true);
    assert_eq!(
        verify(&future, None, &roots_of(&ca), now()),
        Err(EdsError::NotYetValid)
    );
}

#[test]
fn expired_intermediate() {
    let ca = root();
    let intermediate = ca.intermediate_with_validity(
        "Test NCA Old Intermediate",
        date(2020, 1, 1),
        date(2023, 1, 1),
    );
    let signature = intermediate.issue(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::Expired)
    );
}

#[test]
fn self_signed_leaf() {
    let ca = root();
    let signature = TestSigner::self_signed(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::SelfSigned)
    );
}

#[test]
fn leaf_from_another_ca() {
    let ca = root();
    let other = TestCa::root("Other CA").issue(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&other, None, &roots_of(&ca), now()),
        Err(EdsError::UntrustedChain)
    );

    // Same name as the trusted root, different key.
    let impostor = TestCa::root_with_key("Test NCA", "impostor key");
    let forged = impostor.issue(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&forged, None, &roots_of(&ca), now()),
        Err(EdsError::UntrustedChain)
    );
    // An impostor intermediate included in the CMS does not help either.
    let forged = impostor
        .intermediate("Impostor Intermediate")
        .issue(&person())
        .sign(NONCE, true);
    assert_eq!(
        verify(&forged, None, &roots_of(&ca), now()),
        Err(EdsError::UntrustedChain)
    );
}

#[test]
fn tampered_content() {
    let ca = root();
    let signer = ca.issue(&person());
    let detached = signer.sign(NONCE, false);
    assert_eq!(
        verify(
            &detached,
            Some(b"kezek-login-nonce-3f2a9d"),
            &roots_of(&ca),
            now()
        ),
        Err(EdsError::BadSignature)
    );

    let mut attached = signer.sign(NONCE, true);
    let at = attached
        .windows(NONCE.len())
        .position(|w| w == NONCE)
        .unwrap();
    attached[at] ^= 0x01;
    assert_eq!(
        verify(&attached, None, &roots_of(&ca), now()),
        Err(EdsError::BadSignature)
    );
}

#[test]
fn tampered_signature_bytes() {
    let ca = root();
    for options in [
        SignOptions::default(),
        SignOptions {
            signed_attributes: false,
            ..SignOptions::default()
        },
    ] {
        let mut signature = ca.issue(&person()).sign_with(NONCE, options);
        // The RSA signature value is the last element of the (only) SignerInfo.
        let last = signature.len() - 1;
        signature[last] ^= 0x01;
        assert_eq!(
            verify(&signature, None, &roots_of(&ca), now()),
            Err(EdsError::BadSignature)
        );
    }
}

#[test]
fn unsupported_digest_algorithm() {
    let ca = root();
    let signature = ca.issue(&person()).sign(NONCE, true);
    let sha256 = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    let mut changed = signature.clone();
    let mut replaced = 0;
    for i in 0..changed.len() - sha256.len() {
        if changed[i..i + sha256.len()] == sha256 {
            changed[i + sha256.len() - 1] = 0x03; // sha512
            replaced += 1;
        }
    }
    assert!(replaced >= 2);
    assert_eq!(
        verify(&changed, None, &roots_of(&ca), now()),
        Err(EdsError::UnsupportedAlgorithm)
    );
}

#[test]
fn certificate_without_iin() {
    let ca = root();
    let mut subject = person();
    subject.iin = None;
    let signature = ca.issue(&subject).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::NoIin)
    );

    let mut subject = person();
    subject.iin = Some("12345".into());
    let signature = ca.issue(&subject).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::NoIin)
    );
}

#[test]
fn key_usage_without_signing() {
    let ca = root();
    let mut subject = person();
    subject.key_usage_digital_signature = false;
    let signature = ca.issue(&subject).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots_of(&ca), now()),
        Err(EdsError::KeyUsage)
    );
}

#[test]
fn empty_roots() {
    let ca = root();
    let signature = ca.issue(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &Roots::empty(), now()),
        Err(EdsError::NoRoots)
    );
    assert_eq!(
        verify(b"garbage", None, &Roots::empty(), now()),
        Err(EdsError::NoRoots)
    );
    assert_eq!(
        verify_base64("garbage", None, &Roots::empty(), now()),
        Err(EdsError::NoRoots)
    );
    assert!(Roots::empty().is_empty());
    assert!(matches!(Roots::from_pem(b""), Err(EdsError::BadRoot(_))));
    assert!(matches!(
        Roots::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA"),
        Err(EdsError::BadRoot(_))
    ));
    assert!(matches!(Roots::from_der(&[]), Err(EdsError::BadRoot(_))));
    assert!(matches!(
        Roots::from_der(&[vec![0x30, 0x00]]),
        Err(EdsError::BadRoot(_))
    ));
}

#[test]
fn truncated_and_corrupted_input_never_panics() {
    let ca = root();
    let intermediate = ca.intermediate("Test NCA Intermediate");
    let roots = roots_of(&ca);
    let signature = intermediate.issue(&person()).sign(NONCE, true);
    for len in 0..signature.len() {
        assert!(
            verify(&signature[..len], None, &roots, now()).is_err(),
            "truncated to {len}"
        );
    }
    for i in 0..signature.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut corrupted = signature.clone();
            corrupted[i] ^= mask;
            let _ = verify(&corrupted, Some(NONCE), &roots, now());
        }
    }
    let mut huge = vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff];
    huge.extend_from_slice(&signature);
    assert!(verify(&huge, None, &roots, now()).is_err());
    assert!(verify(&[], None, &roots, now()).is_err());
}

proptest! {
    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let roots = Roots::from_pem(root().certificate_pem().as_bytes()).unwrap();
        prop_assert!(verify(&bytes, Some(NONCE), &roots, now()).is_err());
        let mut sequence = vec![0x30, 0x82, (bytes.len() >> 8) as u8, bytes.len() as u8];
        sequence.extend_from_slice(&bytes);
        prop_assert!(verify(&sequence, Some(NONCE), &roots, now()).is_err());
    }

    #[test]
    fn random_base64_is_refused(text in "[A-Za-z0-9+/=\\s]{0,512}") {
        let roots = Roots::from_pem(root().certificate_pem().as_bytes()).unwrap();
        prop_assert!(verify_base64(&text, Some(NONCE), &roots, now()).is_err());
    }
}

#[test]
fn roots_from_pem_with_crlf_and_other_blocks() {
    let ca = root();
    let pem = format!(
        "# NCA root\r\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n{}",
        ca.certificate_pem()
    )
    .replace('\n', "\r\n");
    let roots = Roots::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(roots.len(), 1);
    assert!(verify(&ca.issue(&person()).sign(NONCE, true), None, &roots, now()).is_ok());
}

proptest! {
    #[test]
    fn random_pem_never_panics(text in "(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/=\n])*") {
        let _ = Roots::from_pem(text.as_bytes());
    }
}

#[test]
fn roots_from_dir() {
    let dir = std::env::temp_dir().join(format!("kezek-eds-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(matches!(Roots::from_dir(&dir), Err(EdsError::BadRoot(_))));

    let ca = root();
    let intermediate = ca.intermediate("Test NCA Intermediate");
    std::fs::write(dir.join("root.pem"), ca.certificate_pem()).unwrap();
    std::fs::write(dir.join("intermediate.CER"), intermediate.certificate_der()).unwrap();
    std::fs::write(dir.join("README.txt"), "not a certificate").unwrap();
    let roots = Roots::from_dir(&dir).unwrap();
    assert_eq!(roots.len(), 2);
    let signature = intermediate.issue(&person()).sign(NONCE, true);
    assert!(verify(&signature, None, &roots, now()).is_ok());

    std::fs::write(
        dir.join("broken.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert!(matches!(Roots::from_dir(&dir), Err(EdsError::BadRoot(_))));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(Roots::from_dir(&dir), Err(EdsError::BadRoot(_))));
}

#[test]
fn test_ca_round_trips_through_pem() {
    let ca = root();
    let loaded = TestCa::from_pem(&ca.certificate_pem(), &ca.key_pem()).unwrap();
    let signature = loaded.issue(&person()).sign(NONCE, true);
    assert!(verify(&signature, None, &roots_of(&ca), now()).is_ok());
    let other = TestCa::root("Other CA");
    assert!(TestCa::from_pem(&ca.certificate_pem(), &other.key_pem()).is_err());
}

/// A GOST 34.10-2015 certificate (which the NCA issues beside the RSA one) is refused with its
/// own code before any signature arithmetic, so the parent can be told to use the RSA key.
#[test]
fn gost_key_is_refused_with_its_own_error() {
    let ca = root();
    let gost = ca.issue(&person().with_gost_key());
    for attached in [true, false] {
        let signature = gost.sign(NONCE, attached);
        let refused = verify(&signature, Some(NONCE), &roots_of(&ca), now()).unwrap_err();
        assert_eq!(refused, EdsError::GostKey);
        assert_eq!(refused.code(), "eds_gost_key");
    }
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (EdsError::NoRoots, "eds_not_configured"),
        (EdsError::Malformed(String::new()), "eds_malformed"),
        (EdsError::NoContent, "eds_no_content"),
        (EdsError::BadSignature, "eds_bad_signature"),
        (EdsError::NotYetValid, "eds_certificate_not_yet_valid"),
        (EdsError::Expired, "eds_certificate_expired"),
        (EdsError::UntrustedChain, "eds_untrusted_chain"),
        (EdsError::SelfSigned, "eds_self_signed"),
        (EdsError::KeyUsage, "eds_key_usage"),
        (EdsError::NoIin, "eds_no_iin"),
        (EdsError::UnsupportedAlgorithm, "eds_unsupported_algorithm"),
        (EdsError::BadRoot(String::new()), "eds_bad_root"),
        (EdsError::GostKey, "eds_gost_key"),
        (EdsError::Revoked, "eds_certificate_revoked"),
        (EdsError::UnknownCertificate, "eds_certificate_unknown"),
        (
            EdsError::RevocationUnavailable,
            "eds_revocation_unavailable",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

/// Signatures made by `openssl cms -sign` / `openssl smime -sign` (see tests/fixtures/openssl).
#[test]
fn openssl_signatures_verify() {
    let dir = std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("tests/fixtures/openssl");
    let roots = Roots::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let content = std::fs::read(dir.join("content.txt")).unwrap();
    let at = date(2027, 1, 1);
    for (file, attached) in [
        ("attached.der", true),
        ("detached.der", false),
        ("noattr_keyid.der", true),
        ("smime.der", true),
    ] {
        let signature = std::fs::read(dir.join(file)).unwrap();
        let detached = (!attached).then_some(content.as_slice());
        let verified =
            verify(&signature, detached, &roots, at).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(verified.signer.iin, "880202400018", "{file}");
        assert_eq!(
            verified.signer.common_name.as_deref(),
            Some("ТЕСТОВ ТЕСТ"),
            "{file}"
        );
        assert_eq!(verified.content, content, "{file}");
        assert_eq!(verified.attached, attached, "{file}");
        if !attached {
            assert_eq!(
                verify(&signature, Some(b"other"), &roots, at),
                Err(EdsError::BadSignature)
            );
        }
        assert_eq!(
            verify(&signature, detached, &roots, date(2025, 6, 1)),
            Err(EdsError::NotYetValid)
        );
        assert_eq!(
            verify(&signature, detached, &roots, date(2040, 1, 1)),
            Err(EdsError::Expired)
        );
    }
}

#[test]
fn foreign_root_refuses_test_pki_signature() {
    // A signature from the test PKI is refused by an unrelated (OpenSSL) root.
    let dir = std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("tests/fixtures/openssl");
    let roots = Roots::from_dir(&dir).unwrap();
    assert_eq!(roots.len(), 1);
    let signature = root().issue(&person()).sign(NONCE, true);
    assert_eq!(
        verify(&signature, None, &roots, now()),
        Err(EdsError::UntrustedChain)
    );
}
