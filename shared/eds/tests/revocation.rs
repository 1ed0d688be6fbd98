//! `kezek_eds::revocation` against answers made by `openssl` (Debian's package): OCSP responses
//! by `openssl ocsp -reqin` from an index of the test PKI, CRLs by `openssl ca -gencrl`.
//! Without `openssl` these tests fail (they never skip).

use chrono::{DateTime, TimeDelta, Utc};
use kezek_eds::revocation::{Status, Subject, Unusable};
use kezek_eds::testing::{OpensslCa, TestCa, TestSigner, TestSubject};
use kezek_eds::{verify, Roots};

const NONCE: &[u8] = b"kezek-login-nonce-revocation";

fn ca() -> TestCa {
    TestCa::root("Test NCA Revocation")
}

fn person(iin: &str) -> TestSubject {
    TestSubject::person(iin, "ТЕСТОВ ТЕСТ")
}

fn subject_of(ca: &TestCa, signer: &TestSigner) -> Subject {
    Subject::new(&signer.certificate_der(), &ca.certificate_der()).unwrap()
}

/// The real clock: `openssl` stamps its answers with it.
fn now() -> DateTime<Utc> {
    Utc::now()
}

fn revoked_at() -> Option<DateTime<Utc>> {
    Some(now() - TimeDelta::days(3))
}

/// Three leaves of `ca`: one valid in the index, one revoked, one the index does not list.
fn three_leaves(ca: &TestCa, pki: &OpensslCa) -> [TestSigner; 3] {
    let good = ca.issue(&person("900101300007"));
    let revoked = ca.issue(&person("900101300017"));
    let unlisted = ca.issue(&person("900101300027"));
    pki.record(&good, None);
    pki.record(&revoked, revoked_at());
    [good, revoked, unlisted]
}

#[test]
fn verified_carries_the_signer_and_issuer_certificates() {
    let root = ca();
    let roots = Roots::from_pem(root.certificate_pem().as_bytes()).unwrap();
    let signer = root.issue(&person("900101300007"));
    let v = verify(&signer.sign(NONCE, true), None, &roots, now()).unwrap();
    assert_eq!(v.signer_certificate, signer.certificate_der());
    assert_eq!(v.issuer_certificate, Some(root.certificate_der()));
    let subject = v.revocation_subject().unwrap();
    assert_eq!(
        subject.serial_hex(),
        signer.serial_hex().to_ascii_lowercase()
    );

    // Through an intermediate: the issuer is the intermediate, not the root.
    let intermediate = root.intermediate("Test NCA Revocation Intermediate");
    let signer = intermediate.issue(&person("900101300007"));
    let v = verify(&signer.sign(NONCE, true), None, &roots, now()).unwrap();
    assert_eq!(v.issuer_certificate, Some(intermediate.certificate_der()));

    // A leaf trusted directly has no issuer to ask.
    let roots = Roots::from_pem(signer.certificate_pem().as_bytes()).unwrap();
    let v = verify(&signer.sign(NONCE, true), None, &roots, now()).unwrap();
    assert_eq!(v.issuer_certificate, None);
    assert!(v.revocation_subject().is_none());

    // The issuer must be the certificate's issuer.
    assert!(Subject::new(&signer.certificate_der(), &root.certificate_der()).is_err());
    assert!(Subject::new(b"not DER", &root.certificate_der()).is_err());
}

#[test]
fn urls_from_the_certificate() {
    let root = ca();
    let bare = root.issue(&person("900101300007"));
    assert!(subject_of(&root, &bare).ocsp_urls().is_empty());
    assert!(subject_of(&root, &bare).crl_urls().is_empty());
    let named = root.issue(
        &person("900101300007")
            .with_ocsp_url("http://ocsp.example.kz")
            .with_crl_url("http://crl.example.kz/nca_rsa.crl"),
    );
    let subject = subject_of(&root, &named);
    assert_eq!(subject.ocsp_urls(), ["http://ocsp.example.kz"]);
    assert_eq!(subject.crl_urls(), ["http://crl.example.kz/nca_rsa.crl"]);
    // Only web URLs.
    let ldap = root.issue(&person("900101300007").with_crl_url("ldap://crl.example.kz/x"));
    assert!(subject_of(&root, &ldap).crl_urls().is_empty());
}

#[test]
fn ocsp_good_revoked_unknown() {
    let root = ca();
    let pki = OpensslCa::new(&root);
    let [good, revoked, unlisted] = three_leaves(&root, &pki);
    for (signer, expected) in [
        (&good, Status::Good),
        (&revoked, Status::Revoked),
        (&unlisted, Status::Unknown),
    ] {
        let subject = subject_of(&root, signer);
        let response = pki.ocsp_response(&subject.ocsp_request().unwrap(), "ca", &["-nmin", "5"]);
        assert_eq!(subject.check_ocsp(&response, now()), Ok(expected));
    }
}

#[test]
fn ocsp_freshness() {
    let root = ca();
    let pki = OpensslCa::new(&root);
    let [good, ..] = three_leaves(&root, &pki);
    let subject = subject_of(&root, &good);
    let request = subject.ocsp_request().unwrap();

    // nextUpdate in 5 minutes: usable now, stale in 10 minutes.
    let response = pki.ocsp_response(&request, "ca", &["-nmin", "5"]);
    assert_eq!(subject.check_ocsp(&response, now()), Ok(Status::Good));
    assert_eq!(
        subject.check_ocsp(&response, now() + TimeDelta::minutes(10)),
        Err(Unusable::Stale)
    );
    // Made in the future (our clock an hour behind).
    assert_eq!(
        subject.check_ocsp(&response, now() - TimeDelta::hours(1)),
        Err(Unusable::NotYetValid)
    );
    // No nextUpdate: an hour at most.
    let response = pki.ocsp_response(&request, "ca", &[]);
    assert_eq!(subject.check_ocsp(&response, now()), Ok(Status::Good));
    assert_eq!(
        subject.check_ocsp(&response, now() + TimeDelta::minutes(61)),
        Err(Unusable::Stale)
    );
}

#[test]
fn ocsp_responder_must_be_the_issuer_or_authorised_by_it() {
    let root = ca();
    let pki = OpensslCa::new(&root);
    let [good, revoked, _] = three_leaves(&root, &pki);
    pki.write_signer("delegated", &root.issue_ocsp_responder("Test OCSP", true));
    pki.write_signer("no-eku", &root.issue_ocsp_responder("Test not OCSP", false));
    let other = TestCa::root("Other CA Revocation");
    pki.write_signer("foreign", &other.issue_ocsp_responder("Foreign OCSP", true));
    let subject = subject_of(&root, &revoked);
    let request = subject.ocsp_request().unwrap();

    let response = pki.ocsp_response(&request, "delegated", &["-nmin", "5"]);
    assert_eq!(subject.check_ocsp(&response, now()), Ok(Status::Revoked));
    for rsigner in ["no-eku", "foreign"] {
        let response = pki.ocsp_response(&request, rsigner, &["-nmin", "5"]);
        assert_eq!(
            subject.check_ocsp(&response, now()),
            Err(Unusable::BadSignature),
            "{rsigner}"
        );
    }
    // An answer about another certificate says nothing about this one.
    let response = pki.ocsp_response(&request, "ca", &["-nmin", "5"]);
    assert_eq!(
        subject_of(&root, &good).check_ocsp(&response, now()),
        Err(Unusable::NoAnswer)
    );
    // A changed byte anywhere breaks the signature or the structure, never panics.
    for i in (0..response.len()).step_by(7) {
        let mut changed = response.clone();
        changed[i] ^= 0x20;
        assert_ne!(subject.check_ocsp(&changed, now()), Ok(Status::Good), "{i}");
    }
}

#[test]
fn ocsp_error_statuses_and_garbage_are_unusable() {
    let root = ca();
    let subject = subject_of(&root, &root.issue(&person("900101300007")));
    // OCSPResponse { responseStatus tryLater } and { unauthorized }.
    assert_eq!(
        subject.check_ocsp(&[0x30, 0x03, 0x0a, 0x01, 0x03], now()),
        Err(Unusable::ResponderStatus("tryLater"))
    );
    assert_eq!(
        subject.check_ocsp(&[0x30, 0x03, 0x0a, 0x01, 0x06], now()),
        Err(Unusable::ResponderStatus("unauthorized"))
    );
    for bytes in [
        &[][..],
        &[0x30],
        &[0x30, 0x03, 0x0a, 0x01, 0x00],
        &[0xff; 64],
    ] {
        assert!(subject.check_ocsp(bytes, now()).is_err());
        assert!(subject.check_crl(bytes, now()).is_err());
    }
}

#[test]
fn crl_listed_not_listed_stale_and_foreign() {
    let root = ca();
    let pki = OpensslCa::new(&root);
    let [good, revoked, unlisted] = three_leaves(&root, &pki);
    let crl = pki.crl(&["-crlhours", "1"]);
    assert_eq!(
        subject_of(&root, &good).check_crl(&crl, now()),
        Ok(Status::Good)
    );
    assert_eq!(
        subject_of(&root, &unlisted).check_crl(&crl, now()),
        Ok(Status::Good)
    );
    let subject = subject_of(&root, &revoked);
    assert_eq!(subject.check_crl(&crl, now()), Ok(Status::Revoked));
    // Past nextUpdate.
    assert_eq!(
        subject.check_crl(&crl, now() + TimeDelta::hours(2)),
        Err(Unusable::Stale)
    );
    // A CRL of another CA.
    let other = TestCa::root("Other CA Revocation");
    let foreign = OpensslCa::new(&other).crl(&[]);
    assert_eq!(
        subject.check_crl(&foreign, now()),
        Err(Unusable::WrongIssuer)
    );
    // The signature covers the list.
    let mut changed = crl.clone();
    let last = changed.len() - 1;
    changed[last] ^= 0x01;
    assert_eq!(
        subject.check_crl(&changed, now()),
        Err(Unusable::BadSignature)
    );
    for len in 0..crl.len() {
        assert!(subject.check_crl(&crl[..len], now()).is_err(), "{len}");
    }
}

fn shared_subject() -> &'static Subject {
    static SUBJECT: std::sync::OnceLock<Subject> = std::sync::OnceLock::new();
    SUBJECT.get_or_init(|| {
        let root = ca();
        subject_of(&root, &root.issue(&person("900101300007")))
    })
}

proptest::proptest! {
    #[test]
    fn random_answers_are_refused_without_panic(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024)
    ) {
        let subject = shared_subject();
        proptest::prop_assert!(subject.check_ocsp(&bytes, now()).is_err());
        proptest::prop_assert!(subject.check_crl(&bytes, now()).is_err());
    }
}
