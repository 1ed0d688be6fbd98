//! EDS (ЭЦП) verification for certificates of Kazakhstan's NCA (НУЦ РК).
//!
//! The client signs some content (for login: the UTF-8 bytes of a server nonce) and sends a
//! CMS (PKCS#7) SignedData, attached or detached, RSA with SHA-256, with its certificate (and
//! optionally intermediates) included. [`verify`] checks the signature, the validity period and
//! key usage of the signer certificate, the chain up to one of the trusted [`Roots`] and extracts
//! the IIN from the subject's SERIALNUMBER attribute.
//!
//! Revocation (OCSP, CRL) is checked by the caller with [`revocation`]: it builds the OCSP
//! request and checks the answers (OCSP response, CRL) for the signer certificate and its issuer
//! that [`Verified`] carries; fetching them is the caller's I/O.
//!
//! GOST 34.10-2015 keys and signatures (which the NCA also issues) are refused with their own
//! error, [`EdsError::GostKey`], before any signature arithmetic: the parent must sign with the
//! RSA key instead.
//!
//! The crate is pure: the clock is passed in, and the only I/O is [`Roots::from_dir`].
//! With the `testing` feature, [`testing`] provides a throw-away PKI for tests and local tools.

#![warn(missing_docs)]

mod cert;
mod der_walk;
pub mod revocation;
#[cfg(feature = "testing")]
pub mod testing;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{BigUint, RsaPublicKey};
use sha2::Digest;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use x509_cert::Certificate;

use cert::*;
use der_walk::Tlv;

/// Object identifiers used by the verifier (and the test PKI).
pub(crate) mod oid {
    use der::asn1::ObjectIdentifier as Oid;

    /// id-signedData.
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    /// id-data.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
    /// id-contentType (signed attribute).
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    /// id-messageDigest (signed attribute).
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    /// id-signingTime (signed attribute).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    /// id-sha256.
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// rsaEncryption.
    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    /// sha1WithRSAEncryption.
    pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
    /// sha256WithRSAEncryption.
    pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    /// sha384WithRSAEncryption.
    pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    /// sha512WithRSAEncryption.
    pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    /// id-at-commonName.
    pub const COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
    /// id-at-serialNumber.
    pub const SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
    /// id-at-countryName.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub const COUNTRY: Oid = Oid::new_unwrap("2.5.4.6");
    /// id-ce-subjectKeyIdentifier.
    pub const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
    /// id-ce-keyUsage.
    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    /// id-ce-basicConstraints.
    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    /// id-ce-extKeyUsage.
    pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
    /// id-kp-OCSPSigning.
    pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
    /// id-pe-authorityInfoAccess.
    pub const AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
    /// id-ad-ocsp (an access method of authorityInfoAccess).
    pub const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
    /// id-pkix-ocsp-basic.
    pub const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
    /// id-ce-cRLDistributionPoints.
    pub const CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
    /// id-ce-deltaCRLIndicator.
    pub const DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
    /// id-ce-issuingDistributionPoint.
    pub const ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
    /// id-sha1 (OCSP CertID).
    pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
    /// GOST R 34.10-2012 / GOST 34.10-2015 public key, 256 bits.
    pub const GOST_2012_KEY_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.1.1");
    /// GOST R 34.10-2012 / GOST 34.10-2015 public key, 512 bits.
    pub const GOST_2012_KEY_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.1.2");
    /// GOST R 34.11-2012 (Streebog) digest, 256 bits.
    pub const GOST_2012_DIGEST_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.2.2");
    /// GOST R 34.11-2012 (Streebog) digest, 512 bits.
    pub const GOST_2012_DIGEST_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.2.3");
    /// GOST 34.10-2015 signature with the 256-bit digest.
    pub const GOST_2012_SIGNATURE_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.3.2");
    /// GOST 34.10-2015 signature with the 512-bit digest.
    pub const GOST_2012_SIGNATURE_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.3.3");

    /// Whether `id` names a GOST 34.10-2015 key, digest or signature algorithm.
    pub fn is_gost(id: &Oid) -> bool {
        [
            GOST_2012_KEY_256,
            GOST_2012_KEY_512,
            GOST_2012_DIGEST_256,
            GOST_2012_DIGEST_512,
            GOST_2012_SIGNATURE_256,
            GOST_2012_SIGNATURE_512,
        ]
        .contains(id)
    }
}

/// Maximum number of issuer certificates above the signer certificate.
const MAX_CHAIN_DEPTH: usize = 5;
/// Most certificates accepted in a SignedData (bounds the work of chain building).
const MAX_CMS_CERTIFICATES: usize = 32;
/// Largest accepted RSA modulus, in bits.
const MAX_RSA_BITS: usize = 8192;

/// Why an EDS signature (or a root certificate) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdsError {
    /// No trusted roots are configured: every verification fails.
    #[error("no trusted NCA roots are configured")]
    NoRoots,
    /// The signature is not a well-formed DER CMS SignedData (or base64).
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The signature is detached and no content was given to verify it against.
    #[error("detached signature without content")]
    NoContent,
    /// The signature does not match the content or the signer's key.
    #[error("signature does not verify")]
    BadSignature,
    /// A certificate of the chain is not valid yet.
    #[error("certificate is not valid yet")]
    NotYetValid,
    /// A certificate of the chain has expired.
    #[error("certificate has expired")]
    Expired,
    /// The chain does not lead to a trusted root.
    #[error("certificate is not issued by a trusted NCA root")]
    UntrustedChain,
    /// The signer certificate is self-signed (and not trusted).
    #[error("self-signed certificate")]
    SelfSigned,
    /// The signer certificate's key usage allows neither digitalSignature nor nonRepudiation.
    #[error("certificate key usage does not allow signing")]
    KeyUsage,
    /// The signer certificate's subject has no SERIALNUMBER of the form `IIN` + 12 digits.
    #[error("certificate has no IIN")]
    NoIin,
    /// A digest, signature or key algorithm other than RSA with SHA-2 (or SHA-1 in the chain).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// A root certificate could not be loaded.
    #[error("bad root certificate: {0}")]
    BadRoot(String),
    /// The signer's key (or the signature) is GOST 34.10-2015: the parent must sign with their
    /// RSA key (the NCA issues both; the RSA key file is named `RSA256_…` or `AUTH_RSA256_…`,
    /// the GOST one `GOST512_…`).
    #[error("GOST key: sign with the RSA key")]
    GostKey,
    /// The certification authority revoked the signer certificate (OCSP or CRL says so).
    #[error("certificate is revoked")]
    Revoked,
    /// The OCSP responder does not know the signer certificate (status `unknown`).
    #[error("certificate is unknown to the OCSP responder")]
    UnknownCertificate,
    /// Neither OCSP nor the CRL gave a usable answer: the certificate's revocation status could
    /// not be checked, so it is refused (see [`revocation`]).
    #[error("revocation status could not be checked")]
    RevocationUnavailable,
}

impl EdsError {
    /// A stable snake_case code for API error bodies and logs.
    pub fn code(&self) -> &'static str {
        match self {
            EdsError::NoRoots => "eds_not_configured",
            EdsError::Malformed(_) => "eds_malformed",
            EdsError::NoContent => "eds_no_content",
            EdsError::BadSignature => "eds_bad_signature",
            EdsError::NotYetValid => "eds_certificate_not_yet_valid",
            EdsError::Expired => "eds_certificate_expired",
            EdsError::UntrustedChain => "eds_untrusted_chain",
            EdsError::SelfSigned => "eds_self_signed",
            EdsError::KeyUsage => "eds_key_usage",
            EdsError::NoIin => "eds_no_iin",
            EdsError::UnsupportedAlgorithm => "eds_unsupported_algorithm",
            EdsError::BadRoot(_) => "eds_bad_root",
            EdsError::GostKey => "eds_gost_key",
            EdsError::Revoked => "eds_certificate_revoked",
            EdsError::UnknownCertificate => "eds_certificate_unknown",
            EdsError::RevocationUnavailable => "eds_revocation_unavailable",
        }
    }
}

fn malformed(what: impl std::fmt::Display) -> EdsError {
    EdsError::Malformed(what.to_string())
}

/// Trusted NCA root certificates (and optionally intermediates, which are then trusted directly).
#[derive(Clone, Default)]
pub struct Roots {
    certs: Vec<ParsedCert>,
}

impl std::fmt::Debug for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roots")
            .field("len", &self.certs.len())
            .finish()
    }
}

impl Roots {
    /// Trusts nothing: every [`verify`] fails with [`EdsError::NoRoots`].
    pub fn empty() -> Roots {
        Roots::default()
    }

    /// Loads one or more PEM `CERTIFICATE` blocks. At least one certificate is required.
    pub fn from_pem(pem: &[u8]) -> Result<Roots, EdsError> {
        Roots::from_der(&pem_certificates(pem)?)
    }

    /// Loads DER certificates. At least one certificate is required.
    pub fn from_der(certs: &[Vec<u8>]) -> Result<Roots, EdsError> {
        if certs.is_empty() {
            return Err(EdsError::BadRoot("no certificates".into()));
        }
        let certs = certs
            .iter()
            .map(|der| {
                ParsedCert::from_der(der).map_err(|e| match e {
                    EdsError::Malformed(m) => EdsError::BadRoot(m),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Roots { certs })
    }

    /// Loads every `*.pem`, `*.crt` and `*.cer` file (PEM or DER) of a folder (not recursive).
    /// A folder without any certificate is an error ([`EdsError::BadRoot`]).
    pub fn from_dir(dir: &std::path::Path) -> Result<Roots, EdsError> {
        let bad = |e: std::io::Error| EdsError::BadRoot(format!("{}: {e}", dir.display()));
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(bad)? {
            let path = entry.map_err(bad)?.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if matches!(ext.as_deref(), Some("pem" | "crt" | "cer")) && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut certs = Vec::new();
        for path in paths {
            let bytes = std::fs::read(&path)
                .map_err(|e| EdsError::BadRoot(format!("{}: {e}", path.display())))?;
            let loaded = if bytes.windows(10).any(|w| w == b"-----BEGIN") {
                Roots::from_pem(&bytes)
            } else {
                Roots::from_der(&[bytes])
            };
            let loaded =
                loaded.map_err(|e| EdsError::BadRoot(format!("{}: {e}", path.display())))?;
            certs.extend(loaded.certs);
        }
        if certs.is_empty() {
            return Err(EdsError::BadRoot(format!(
                "{}: no certificates",
                dir.display()
            )));
        }
        Ok(Roots { certs })
    }

    /// Number of trusted certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether nothing is trusted.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    fn contains(&self, cert: &ParsedCert) -> bool {
        self.certs.iter().any(|r| {
            r.der == cert.der || (r.subject_der == cert.subject_der && r.spki_der == cert.spki_der)
        })
    }
}

/// The person who signed, from the signer certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The IIN (12 digits) from the subject's SERIALNUMBER `IIN…`.
    pub iin: String,
    /// The subject's common name (CN), usually "SURNAME NAME" in Cyrillic.
    pub common_name: Option<String>,
    /// The certificate serial number, lowercase hex without leading zero bytes.
    pub serial: String,
}

/// A successfully verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who signed.
    pub signer: Signer,
    /// The signed content: the eContent if attached, else the detached content given.
    pub content: Vec<u8>,
    /// Whether the content was inside the signature.
    pub attached: bool,
    /// The signer certificate, DER (for the revocation check: [`revocation::Subject`]).
    pub signer_certificate: Vec<u8>,
    /// The certificate that issued the signer certificate, DER; `None` when the signer
    /// certificate itself is configured as trusted (then there is no issuer to ask about it).
    pub issuer_certificate: Option<Vec<u8>>,
}

impl Verified {
    /// The signer certificate and its issuer, ready for the revocation check; `None` when the
    /// signer certificate is trusted directly (no issuer known).
    pub fn revocation_subject(&self) -> Option<revocation::Subject> {
        let issuer = self.issuer_certificate.as_deref()?;
        revocation::Subject::new(&self.signer_certificate, issuer).ok()
    }
}

/// The parts of a SignedData the verifier needs, with the raw bytes where they matter.
struct Parsed<'a> {
    econtent_type: ObjectIdentifier,
    econtent: Option<Vec<u8>>,
    certs: Vec<ParsedCert>,
    signer_info: SignerInfo,
    signed_attrs_raw: Option<&'a [u8]>,
}

fn parse(signature: &[u8]) -> Result<Parsed<'_>, EdsError> {
    let mut input = signature;
    let content_info = der_walk::expect(&mut input, 0x30, "ContentInfo")?;
    if !input.is_empty() {
        return Err(malformed("trailing bytes after ContentInfo"));
    }
    // Validate the outer structure with the typed decoder too.
    let ci = ContentInfo::from_der(content_info.full)
        .map_err(|e| malformed(format!("ContentInfo: {e}")))?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(malformed("not a SignedData"));
    }
    let mut ci_fields = content_info.value;
    der_walk::expect(&mut ci_fields, 0x06, "contentType")?;
    let explicit = der_walk::expect(&mut ci_fields, 0xa0, "content")?;
    let mut sd_outer = explicit.value;
    let signed_data = der_walk::expect(&mut sd_outer, 0x30, "SignedData")?;

    let mut fields = signed_data.value;
    der_walk::expect(&mut fields, 0x02, "version")?;
    der_walk::expect(&mut fields, 0x31, "digestAlgorithms")?;
    let eci = der_walk::expect(&mut fields, 0x30, "encapContentInfo")?;
    let eci = EncapsulatedContentInfo::from_der(eci.full)
        .map_err(|e| malformed(format!("encapContentInfo: {e}")))?;
    let econtent = match &eci.econtent {
        None => None,
        Some(any) if any.tag() == Tag::OctetString => Some(any.value().to_vec()),
        Some(_) => return Err(malformed("eContent is not an OCTET STRING")),
    };

    let mut certs = Vec::new();
    if der_walk::peek_tag(fields) == Some(0xa0) {
        let set = der_walk::next(&mut fields)?;
        let mut items = set.value;
        while !items.is_empty() {
            let item = der_walk::next(&mut items)?;
            // Only plain certificates; other CertificateChoices are ignored.
            if item.tag == 0x30 {
                if certs.len() >= MAX_CMS_CERTIFICATES {
                    return Err(malformed("too many certificates"));
                }
                certs.push(ParsedCert::from_der(item.full)?);
            }
        }
    }
    if der_walk::peek_tag(fields) == Some(0xa1) {
        der_walk::next(&mut fields)?;
    }
    let signer_infos = der_walk::expect(&mut fields, 0x31, "signerInfos")?;
    if !fields.is_empty() {
        return Err(malformed("trailing bytes in SignedData"));
    }
    let mut infos = signer_infos.value;
    if infos.is_empty() {
        return Err(malformed("no SignerInfo"));
    }
    let si_tlv: Tlv<'_> = der_walk::expect(&mut infos, 0x30, "SignerInfo")?;
    let signer_info =
        SignerInfo::from_der(si_tlv.full).map_err(|e| malformed(format!("SignerInfo: {e}")))?;
    let mut si_fields = si_tlv.value;
    der_walk::expect(&mut si_fields, 0x02, "SignerInfo version")?;
    der_walk::next(&mut si_fields)?; // sid
    der_walk::expect(&mut si_fields, 0x30, "digestAlgorithm")?;
    let signed_attrs_raw = if der_walk::peek_tag(si_fields) == Some(0xa0) {
        Some(der_walk::next(&mut si_fields)?.full)
    } else {
        None
    };
    Ok(Parsed {
        econtent_type: eci.econtent_type,
        econtent,
        certs,
        signer_info,
        signed_attrs_raw,
    })
}

fn find_signer<'c>(
    sid: &SignerIdentifier,
    certs: &'c [ParsedCert],
) -> Result<&'c ParsedCert, EdsError> {
    let found = match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            let issuer = ias
                .issuer
                .to_der()
                .map_err(|e| malformed(format!("sid: {e}")))?;
            certs.iter().find(|c| {
                c.issuer_der == issuer
                    && c.cert.tbs_certificate.serial_number.as_bytes()
                        == ias.serial_number.as_bytes()
            })
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs
            .iter()
            .find(|c| c.subject_key_id().as_deref() == Some(ski.0.as_bytes())),
    };
    found.ok_or_else(|| malformed("signer certificate is not included"))
}

/// Checks the signed attributes (if any) and returns the SHA-256 digest the RSA signature covers.
fn signed_digest(parsed: &Parsed<'_>, content: &[u8]) -> Result<Vec<u8>, EdsError> {
    let content_digest = sha2::Sha256::digest(content).to_vec();
    let (Some(attrs), Some(raw)) = (&parsed.signer_info.signed_attrs, parsed.signed_attrs_raw)
    else {
        return Ok(content_digest);
    };
    let single = |id: ObjectIdentifier| -> Result<Option<&der::Any>, EdsError> {
        let mut found = attrs.iter().filter(|a| a.oid == id);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(a), None) if a.values.len() == 1 => Ok(a.values.get(0)),
            _ => Err(EdsError::BadSignature),
        }
    };
    let digest = single(oid::MESSAGE_DIGEST)?.ok_or(EdsError::BadSignature)?;
    if digest.tag() != Tag::OctetString || digest.value() != content_digest.as_slice() {
        return Err(EdsError::BadSignature);
    }
    if let Some(ct) = single(oid::CONTENT_TYPE)? {
        if ct.tag() != Tag::ObjectIdentifier || ct.value() != parsed.econtent_type.as_bytes() {
            return Err(EdsError::BadSignature);
        }
    }
    // The signature covers the DER of the attributes with the SET OF tag instead of [0].
    let mut retagged = raw.to_vec();
    if let Some(first) = retagged.first_mut() {
        *first = 0x31;
    }
    Ok(sha2::Sha256::digest(&retagged).to_vec())
}

/// Builds and checks the chain from `signer` to a trusted certificate; returns the signer's
/// issuer (`None` when the signer certificate is itself trusted).
fn build_chain<'c>(
    signer: &'c ParsedCert,
    cms_certs: &'c [ParsedCert],
    roots: &'c Roots,
    now: DateTime<Utc>,
) -> Result<Option<&'c ParsedCert>, EdsError> {
    let mut current = signer;
    let mut depth = 0;
    let mut issuer = None;
    loop {
        if roots.contains(current) {
            return Ok(issuer);
        }
        if current.is_self_issued() {
            return Err(if depth == 0 {
                EdsError::SelfSigned
            } else {
                EdsError::UntrustedChain
            });
        }
        if depth >= MAX_CHAIN_DEPTH {
            return Err(EdsError::UntrustedChain);
        }
        let mut parent = None;
        for candidate in cms_certs.iter().chain(roots.certs.iter()) {
            if candidate.subject_der != current.issuer_der {
                continue;
            }
            match candidate.signed(current) {
                Ok(true) => {
                    parent = Some(candidate);
                    break;
                }
                Ok(false) => {}
                Err(EdsError::UnsupportedAlgorithm) => return Err(EdsError::UnsupportedAlgorithm),
                Err(_) => {}
            }
        }
        let parent = parent.ok_or(EdsError::UntrustedChain)?;
        parent.check_validity(now)?;
        if let Some(bc) = parent.basic_constraints()? {
            if !bc.ca {
                return Err(EdsError::UntrustedChain);
            }
        }
        if let Some(ku) = parent.key_usage()? {
            if !ku.key_cert_sign() {
                return Err(EdsError::UntrustedChain);
            }
        }
        if depth == 0 {
            issuer = Some(parent);
        }
        current = parent;
        depth += 1;
    }
}

/// Verifies a DER CMS SignedData (see the crate docs for every check made).
///
/// `detached_content` is used only when the signature carries no eContent; if both are present
/// the attached content is verified and returned (compare [`Verified::content`] with what you
/// expected). `now` is the time certificates must be valid at.
pub fn verify(
    signature: &[u8],
    detached_content: Option<&[u8]>,
    roots: &Roots,
    now: DateTime<Utc>,
) -> Result<Verified, EdsError> {
    if roots.is_empty() {
        return Err(EdsError::NoRoots);
    }
    let parsed = parse(signature)?;
    let si = &parsed.signer_info;
    if oid::is_gost(&si.digest_alg.oid) || oid::is_gost(&si.signature_algorithm.oid) {
        return Err(EdsError::GostKey);
    }
    let (content, attached) = match (&parsed.econtent, detached_content) {
        (Some(c), _) => (c.clone(), true),
        (None, Some(d)) => (d.to_vec(), false),
        (None, None) => return Err(EdsError::NoContent),
    };
    if si.digest_alg.oid != oid::SHA256 {
        return Err(EdsError::UnsupportedAlgorithm);
    }
    if si.signature_algorithm.oid != oid::RSA_ENCRYPTION
        && si.signature_algorithm.oid != oid::SHA256_WITH_RSA
    {
        return Err(EdsError::UnsupportedAlgorithm);
    }
    let signer = find_signer(&si.sid, &parsed.certs)?;
    if oid::is_gost(
        &signer
            .cert
            .tbs_certificate
            .subject_public_key_info
            .algorithm
            .oid,
    ) {
        return Err(EdsError::GostKey);
    }
    let key = signer.public_key()?;
    let digest = signed_digest(&parsed, &content)?;
    key.verify(
        Pkcs1v15Sign::new::<sha2::Sha256>(),
        &digest,
        si.signature.as_bytes(),
    )
    .map_err(|_| EdsError::BadSignature)?;
    signer.check_validity(now)?;
    if let Some(ku) = signer.key_usage()? {
        if !ku.digital_signature() && !ku.non_repudiation() {
            return Err(EdsError::KeyUsage);
        }
    }
    let issuer = build_chain(signer, &parsed.certs, roots, now)?;
    Ok(Verified {
        signer: signer_of(signer)?,
        content,
        attached,
        signer_certificate: signer.der.clone(),
        issuer_certificate: issuer.map(|i| i.der.clone()),
    })
}

/// [`verify`] taking the base64 text of the signature: standard alphabet, padding optional,
/// whitespace and newlines ignored.
pub fn verify_base64(
    signature_b64: &str,
    detached_content: Option<&[u8]>,
    roots: &Roots,
    now: DateTime<Utc>,
) -> Result<Verified, EdsError> {
    if roots.is_empty() {
        return Err(EdsError::NoRoots);
    }
    let compact: String = signature_b64
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let der = engine
        .decode(compact.as_bytes())
        .map_err(|e| malformed(format!("base64: {e}")))?;
    verify(&der, detached_content, roots, now)
}
