//! A throw-away PKI for tests and local development (feature `testing`).
//!
//! ```
//! use kezek_eds::testing::{TestCa, TestSubject};
//! let ca = TestCa::root("Test NCA");
//! let signer = ca.issue(&TestSubject::person("900101300007", "ИВАНОВ ИВАН"));
//! let signature_b64 = signer.sign_base64(b"nonce", true);
//! let roots = kezek_eds::Roots::from_pem(ca.certificate_pem().as_bytes()).unwrap();
//! ```
//!
//! RSA-2048 keys are slow to generate, so they are cached per process: CA keys by key label
//! (by default the CA name, so two CAs with different names never share a key), leaf keys in a
//! small round-robin pool. Panics on internal errors: this is test tooling.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{
    Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime,
};
use der::pem::LineEnding;
use der::{Decode, Encode, EncodePem, Tag};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::oid;

const LEAF_POOL: usize = 2;

fn generate_key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key generation")
}

/// The CA key for `label`, generated once per process.
fn ca_key(label: &str) -> RsaPrivateKey {
    static KEYS: OnceLock<Mutex<HashMap<String, RsaPrivateKey>>> = OnceLock::new();
    let mut keys = KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    keys.entry(label.to_owned())
        .or_insert_with(generate_key)
        .clone()
}

/// A leaf key from a small pool (distinct from every CA key).
fn leaf_key() -> RsaPrivateKey {
    static KEYS: OnceLock<Mutex<Vec<RsaPrivateKey>>> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let index = NEXT.fetch_add(1, Ordering::Relaxed) % LEAF_POOL;
    let mut keys = KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    while keys.len() <= index {
        keys.push(generate_key());
    }
    keys[index].clone()
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("valid date")
}

fn x509_time(t: DateTime<Utc>) -> Time {
    let secs = u64::try_from(t.timestamp()).expect("dates after 1970");
    let d = Duration::from_secs(secs);
    if t.timestamp() < utc(2050, 1, 1).timestamp() {
        Time::UtcTime(UtcTime::from_unix_duration(d).expect("UTCTime"))
    } else {
        Time::GeneralTime(GeneralizedTime::from_unix_duration(d).expect("GeneralizedTime"))
    }
}

fn rdn(id: ObjectIdentifier, tag: Tag, value: &str) -> RelativeDistinguishedName {
    let atv = AttributeTypeAndValue {
        oid: id,
        value: Any::new(tag, value.as_bytes()).expect("attribute value"),
    };
    RelativeDistinguishedName(SetOfVec::try_from(vec![atv]).expect("RDN"))
}

fn ca_name(name: &str) -> Name {
    RdnSequence(vec![
        rdn(oid::COMMON_NAME, Tag::Utf8String, name),
        rdn(oid::COUNTRY, Tag::PrintableString, "KZ"),
    ])
}

fn person_name(subject: &TestSubject) -> Name {
    let mut rdns = vec![rdn(oid::COMMON_NAME, Tag::Utf8String, &subject.common_name)];
    if let Some(iin) = &subject.iin {
        rdns.push(rdn(
            oid::SERIAL_NUMBER,
            Tag::PrintableString,
            &format!("IIN{iin}"),
        ));
    }
    rdns.push(rdn(oid::COUNTRY, Tag::PrintableString, "KZ"));
    RdnSequence(rdns)
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    SerialNumber::new(&bytes).expect("serial")
}

fn sha256_with_rsa() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oid::SHA256_WITH_RSA,
        parameters: Some(Any::null()),
    }
}

fn extension(id: ObjectIdentifier, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: id,
        critical,
        extn_value: OctetString::new(value.to_der().expect("extension")).expect("extension"),
    }
}

fn spki_of(key: &RsaPublicKey) -> SubjectPublicKeyInfoOwned {
    let der = key.to_public_key_der().expect("public key");
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).expect("SPKI")
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn rsa_sign(key: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
        .expect("RSA signature")
}

struct CertSpec<'a> {
    issuer: &'a Name,
    issuer_key: &'a RsaPrivateKey,
    subject: Name,
    subject_key: &'a RsaPublicKey,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    extensions: Vec<Extension>,
}

fn build_cert(spec: CertSpec<'_>) -> Certificate {
    let spki = spki_of(spec.subject_key);
    let mut extensions = spec.extensions;
    extensions.push(extension(
        oid::SUBJECT_KEY_ID,
        false,
        &SubjectKeyIdentifier(OctetString::new(key_id(&spki)).expect("SKI")),
    ));
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial(),
        signature: sha256_with_rsa(),
        issuer: spec.issuer.clone(),
        validity: Validity {
            not_before: x509_time(spec.not_before),
            not_after: x509_time(spec.not_after),
        },
        subject: spec.subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let signature = rsa_sign(spec.issuer_key, &tbs.to_der().expect("TBS"));
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: sha256_with_rsa(),
        signature: BitString::from_bytes(&signature).expect("signature bits"),
    }
}

fn ca_extensions() -> Vec<Extension> {
    vec![
        extension(
            oid::BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        ),
        extension(
            oid::KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        ),
    ]
}

fn pem(cert: &Certificate) -> String {
    cert.to_pem(LineEnding::LF).expect("PEM")
}

/// A test certification authority (root or intermediate).
#[derive(Clone)]
pub struct TestCa {
    name: String,
    key: RsaPrivateKey,
    cert: Certificate,
    /// DER of the intermediates from this CA up to (excluding) the root.
    chain: Vec<Certificate>,
}

impl TestCa {
    /// A self-signed root CA valid 2020-01-01..2040-01-01, its key cached by `name`.
    pub fn root(name: &str) -> TestCa {
        TestCa::root_with_key(name, name)
    }

    /// A root CA named `name` whose key is cached under `key_label`: e.g. an impostor CA with
    /// the same name as the real one but a different key.
    pub fn root_with_key(name: &str, key_label: &str) -> TestCa {
        let key = ca_key(key_label);
        let subject = ca_name(name);
        let cert = build_cert(CertSpec {
            issuer: &subject,
            issuer_key: &key,
            subject: subject.clone(),
            subject_key: &key.to_public_key(),
            not_before: utc(2020, 1, 1),
            not_after: utc(2040, 1, 1),
            extensions: ca_extensions(),
        });
        TestCa {
            name: name.to_owned(),
            key,
            cert,
            chain: Vec::new(),
        }
    }

    /// An intermediate CA issued by `self`, valid 2020-01-01..2040-01-01, key cached by `name`.
    pub fn intermediate(&self, name: &str) -> TestCa {
        self.intermediate_with_validity(name, utc(2020, 1, 1), utc(2040, 1, 1))
    }

    /// An intermediate CA issued by `self` with the given validity period.
    pub fn intermediate_with_validity(
        &self,
        name: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> TestCa {
        let key = ca_key(name);
        let cert = build_cert(CertSpec {
            issuer: &self.cert.tbs_certificate.subject,
            issuer_key: &self.key,
            subject: ca_name(name),
            subject_key: &key.to_public_key(),
            not_before,
            not_after,
            extensions: ca_extensions(),
        });
        let mut chain = self.chain.clone();
        chain.insert(0, cert.clone());
        TestCa {
            name: name.to_owned(),
            key,
            cert,
            chain,
        }
    }

    /// Rebuilds a CA from its certificate and PKCS#8 private key (both PEM), as written by
    /// [`TestCa::certificate_pem`] and [`TestCa::key_pem`]. Treated as a root (no chain).
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<TestCa, String> {
        let der = crate::pem_certificates(certificate_pem.as_bytes())
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("no certificate")?;
        let cert = Certificate::from_der(&der).map_err(|e| e.to_string())?;
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem).map_err(|e| e.to_string())?;
        if key.to_public_key()
            != crate::rsa_public_key(&cert.tbs_certificate.subject_public_key_info)
                .map_err(|e| e.to_string())?
        {
            return Err("key does not match the certificate".into());
        }
        Ok(TestCa {
            name: String::new(),
            key,
            cert,
            chain: Vec::new(),
        })
    }

    /// The CA's name as given at creation (empty if loaded with [`TestCa::from_pem`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        pem(&self.cert)
    }

    /// The CA certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.cert.to_der().expect("certificate DER")
    }

    /// The CA private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("key PEM")
            .to_string()
    }

    /// A leaf certificate for `subject` issued by this CA (with a pooled leaf key).
    pub fn issue(&self, subject: &TestSubject) -> TestSigner {
        let key = leaf_key();
        let cert = build_cert(CertSpec {
            issuer: &self.cert.tbs_certificate.subject,
            issuer_key: &self.key,
            subject: person_name(subject),
            subject_key: &key.to_public_key(),
            not_before: subject.not_before,
            not_after: subject.not_after,
            extensions: leaf_extensions(subject),
        });
        TestSigner {
            key,
            cert,
            chain: self.chain.clone(),
        }
    }
}

fn leaf_extensions(subject: &TestSubject) -> Vec<Extension> {
    let usage = if subject.key_usage_digital_signature {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    } else {
        KeyUsages::KeyEncipherment.into()
    };
    vec![extension(oid::KEY_USAGE, true, &KeyUsage(usage))]
}

/// The subject of a test leaf certificate.
#[derive(Debug, Clone)]
pub struct TestSubject {
    /// The IIN (12 digits) put in SERIALNUMBER as `IIN…`; `None` leaves SERIALNUMBER out.
    pub iin: Option<String>,
    /// The CN (UTF8String).
    pub common_name: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// keyUsage digitalSignature + nonRepudiation if true, else keyEncipherment only.
    pub key_usage_digital_signature: bool,
}

impl TestSubject {
    /// A person valid 2024-01-01..2030-01-01 whose key may sign.
    pub fn person(iin: &str, common_name: &str) -> TestSubject {
        TestSubject {
            iin: Some(iin.to_owned()),
            common_name: common_name.to_owned(),
            not_before: utc(2024, 1, 1),
            not_after: utc(2030, 1, 1),
            key_usage_digital_signature: true,
        }
    }
}

/// How [`TestSigner::sign_with`] builds the SignedData.
#[derive(Debug, Clone, Copy)]
pub struct SignOptions {
    /// Put the content inside the signature (eContent).
    pub attached: bool,
    /// Sign signedAttrs (contentType, messageDigest, signingTime) rather than the content.
    pub signed_attributes: bool,
    /// Identify the signer by subjectKeyIdentifier instead of issuerAndSerialNumber.
    pub subject_key_identifier: bool,
    /// Include the intermediate certificates.
    pub include_chain: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            attached: true,
            signed_attributes: true,
            subject_key_identifier: false,
            include_chain: true,
        }
    }
}

/// A leaf key and certificate that can produce CMS signatures.
#[derive(Clone)]
pub struct TestSigner {
    key: RsaPrivateKey,
    cert: Certificate,
    chain: Vec<Certificate>,
}

impl TestSigner {
    /// A self-signed leaf certificate (no CA).
    pub fn self_signed(subject: &TestSubject) -> TestSigner {
        let key = leaf_key();
        let name = person_name(subject);
        let cert = build_cert(CertSpec {
            issuer: &name,
            issuer_key: &key,
            subject: name.clone(),
            subject_key: &key.to_public_key(),
            not_before: subject.not_before,
            not_after: subject.not_after,
            extensions: leaf_extensions(subject),
        });
        TestSigner {
            key,
            cert,
            chain: Vec::new(),
        }
    }

    /// DER CMS SignedData over `content` with signedAttrs, the certificate and chain included.
    pub fn sign(&self, content: &[u8], attached: bool) -> Vec<u8> {
        self.sign_with(
            content,
            SignOptions {
                attached,
                ..SignOptions::default()
            },
        )
    }

    /// [`TestSigner::sign`], base64 (standard, padded).
    pub fn sign_base64(&self, content: &[u8], attached: bool) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.sign(content, attached))
    }

    /// DER CMS SignedData built as `options` say.
    pub fn sign_with(&self, content: &[u8], options: SignOptions) -> Vec<u8> {
        let tbs = &self.cert.tbs_certificate;
        let sid = if options.subject_key_identifier {
            SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
                OctetString::new(key_id(&tbs.subject_public_key_info)).expect("SKI"),
            ))
        } else {
            SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer.clone(),
                serial_number: tbs.serial_number.clone(),
            })
        };
        let (signed_attrs, signature) = if options.signed_attributes {
            let attr = |id: ObjectIdentifier, value: Any| Attribute {
                oid: id,
                values: SetOfVec::try_from(vec![value]).expect("attribute"),
            };
            let now = UtcTime::from_system_time(SystemTime::now()).expect("signing time");
            let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
                attr(
                    oid::CONTENT_TYPE,
                    Any::encode_from(&oid::DATA).expect("OID"),
                ),
                attr(oid::SIGNING_TIME, Any::encode_from(&now).expect("time")),
                attr(
                    oid::MESSAGE_DIGEST,
                    Any::new(Tag::OctetString, Sha256::digest(content).to_vec()).expect("digest"),
                ),
            ])
            .expect("attributes");
            let signature = rsa_sign(&self.key, &attrs.to_der().expect("attributes DER"));
            (Some(attrs), signature)
        } else {
            (None, rsa_sign(&self.key, content))
        };
        let signer_info = SignerInfo {
            version: if options.subject_key_identifier {
                CmsVersion::V3
            } else {
                CmsVersion::V1
            },
            sid,
            digest_alg: AlgorithmIdentifierOwned {
                oid: oid::SHA256,
                parameters: None,
            },
            signed_attrs,
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            signature: OctetString::new(signature).expect("signature"),
            unsigned_attrs: None,
        };
        let mut certs = vec![CertificateChoices::Certificate(self.cert.clone())];
        if options.include_chain {
            certs.extend(
                self.chain
                    .iter()
                    .cloned()
                    .map(CertificateChoices::Certificate),
            );
        }
        let signed_data = SignedData {
            version: if options.subject_key_identifier {
                CmsVersion::V3
            } else {
                CmsVersion::V1
            },
            digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
                oid: oid::SHA256,
                parameters: None,
            }])
            .expect("digest algorithms"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oid::DATA,
                econtent: options
                    .attached
                    .then(|| Any::new(Tag::OctetString, content.to_vec()).expect("eContent")),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(certs).expect("certificates"),
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).expect("signer infos")),
        };
        ContentInfo {
            content_type: oid::SIGNED_DATA,
            content: Any::encode_from(&signed_data).expect("SignedData"),
        }
        .to_der()
        .expect("ContentInfo")
    }

    /// The leaf certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        pem(&self.cert)
    }

    /// The leaf certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.cert.to_der().expect("certificate DER")
    }
}
