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
//! For revocation tests, [`TestSubject::with_ocsp_url`] and [`TestSubject::with_crl_url`] put
//! authorityInfoAccess and cRLDistributionPoints in the leaf, [`TestCa::issue_ocsp_responder`]
//! makes a delegated OCSP responder, [`TestSigner::openssl_index_line`] writes the certificate's
//! line of an `openssl ca` / `openssl ocsp` index, and [`TestCa::key_pem`] / [`TestSigner::key_pem`]
//! give the keys to `openssl`.
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
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, BasicConstraints, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
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
    /// Another algorithm OID in the subject's SubjectPublicKeyInfo (the key bits stay RSA).
    key_algorithm: Option<ObjectIdentifier>,
}

fn build_cert(spec: CertSpec<'_>) -> Certificate {
    let mut spki = spki_of(spec.subject_key);
    if let Some(algorithm) = spec.key_algorithm {
        spki.algorithm = AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters: None,
        };
    }
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

/// A certificate time as `openssl ca` indexes write it (`YYMMDDHHMMSSZ`).
fn x509_time_of(time: Time) -> String {
    let secs = i64::try_from(time.to_unix_duration().as_secs()).expect("time");
    DateTime::<Utc>::from_timestamp(secs, 0)
        .expect("time")
        .format("%y%m%d%H%M%SZ")
        .to_string()
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
            key_algorithm: None,
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
            key_algorithm: None,
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

    /// A delegated OCSP responder certificate issued by this CA (valid 2020..2040), with
    /// extendedKeyUsage id-kp-OCSPSigning if `ocsp_signing`, else id-kp-clientAuth only.
    pub fn issue_ocsp_responder(&self, name: &str, ocsp_signing: bool) -> TestSigner {
        let key = leaf_key();
        let purpose = if ocsp_signing {
            oid::KP_OCSP_SIGNING
        } else {
            ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2")
        };
        let cert = build_cert(CertSpec {
            issuer: &self.cert.tbs_certificate.subject,
            issuer_key: &self.key,
            subject: ca_name(name),
            subject_key: &key.to_public_key(),
            not_before: utc(2020, 1, 1),
            not_after: utc(2040, 1, 1),
            extensions: vec![
                extension(
                    oid::KEY_USAGE,
                    true,
                    &KeyUsage(KeyUsages::DigitalSignature.into()),
                ),
                extension(oid::EXT_KEY_USAGE, false, &ExtendedKeyUsage(vec![purpose])),
            ],
            key_algorithm: None,
        });
        TestSigner {
            key,
            cert,
            chain: self.chain.clone(),
        }
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
            key_algorithm: subject.key_algorithm,
        });
        TestSigner {
            key,
            cert,
            chain: self.chain.clone(),
        }
    }
}

fn uri(url: &str) -> GeneralName {
    GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(url).expect("IA5 URL"))
}

fn leaf_extensions(subject: &TestSubject) -> Vec<Extension> {
    let usage = if subject.key_usage_digital_signature {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    } else {
        KeyUsages::KeyEncipherment.into()
    };
    let mut extensions = vec![extension(oid::KEY_USAGE, true, &KeyUsage(usage))];
    if let Some(url) = &subject.ocsp_url {
        let aia = AuthorityInfoAccessSyntax(vec![AccessDescription {
            access_method: oid::AD_OCSP,
            access_location: uri(url),
        }]);
        extensions.push(extension(oid::AUTHORITY_INFO_ACCESS, false, &aia));
    }
    if let Some(url) = &subject.crl_url {
        let cdp = CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![uri(url)])),
            reasons: None,
            crl_issuer: None,
        }]);
        extensions.push(extension(oid::CRL_DISTRIBUTION_POINTS, false, &cdp));
    }
    extensions
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
    /// An OCSP responder URL for authorityInfoAccess.
    pub ocsp_url: Option<String>,
    /// A CRL URL for cRLDistributionPoints.
    pub crl_url: Option<String>,
    /// Another public-key algorithm OID in the certificate (e.g. GOST 34.10-2015's
    /// 1.2.643.7.1.1.1.2); the key itself stays RSA, so only the OID is "GOST".
    pub key_algorithm: Option<ObjectIdentifier>,
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
            ocsp_url: None,
            crl_url: None,
            key_algorithm: None,
        }
    }

    /// The same subject with authorityInfoAccess naming the OCSP responder `url`.
    pub fn with_ocsp_url(mut self, url: &str) -> TestSubject {
        self.ocsp_url = Some(url.to_owned());
        self
    }

    /// The same subject with cRLDistributionPoints naming the CRL at `url`.
    pub fn with_crl_url(mut self, url: &str) -> TestSubject {
        self.crl_url = Some(url.to_owned());
        self
    }

    /// The same subject whose certificate says its key is GOST 34.10-2015 (512 bits).
    pub fn with_gost_key(mut self) -> TestSubject {
        self.key_algorithm = Some(oid::GOST_2012_KEY_512);
        self
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
            key_algorithm: subject.key_algorithm,
        });
        TestSigner {
            key,
            cert,
            chain: Vec::new(),
        }
    }

    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("key PEM")
            .to_string()
    }

    /// The serial number, uppercase hex (as `openssl ca` indexes write it).
    pub fn serial_hex(&self) -> String {
        self.cert
            .tbs_certificate
            .serial_number
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// The certificate's line of an `openssl ca` index (`index.txt`): valid (`V`), or revoked
    /// (`R`) at `revoked_at`. The subject column is a placeholder: `openssl ocsp` and
    /// `openssl ca -gencrl` look at the status, dates and serial only.
    pub fn openssl_index_line(&self, revoked_at: Option<DateTime<Utc>>) -> String {
        let expiry = x509_time_of(self.cert.tbs_certificate.validity.not_after);
        let (status, revoked) = match revoked_at {
            None => ("V", String::new()),
            Some(at) => ("R", at.format("%y%m%d%H%M%SZ").to_string()),
        };
        format!(
            "{status}\t{expiry}\t{revoked}\t{}\tunknown\t/CN=Test {}\n",
            self.serial_hex(),
            self.serial_hex()
        )
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

/// `openssl` as a revocation authority for a [`TestCa`]: an `openssl ca` index of issued and
/// revoked certificates in a temporary folder (removed on drop), OCSP responses made by
/// `openssl ocsp` (from a request file, or served on a port by [`OpensslCa::serve_ocsp`]) and
/// CRLs made by `openssl ca -gencrl`. Debian's `openssl` package must be installed: without it
/// every method panics saying so (tests fail; they never skip).
pub struct OpensslCa {
    dir: std::path::PathBuf,
}

/// `openssl` with `args`, run in `dir`; panics (naming the command) unless it succeeds.
fn run_openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}): the revocation tests need the openssl command \
                 (Debian package `openssl`)"
            )
        });
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

impl OpensslCa {
    /// A folder with `ca.pem`, `ca.key`, an empty `index.txt`, `crlnumber` and `ca.cnf`.
    pub fn new(ca: &TestCa) -> OpensslCa {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kezek-eds-openssl-{}-{}-{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).expect("temporary file");
        };
        write("ca.pem", &ca.certificate_pem());
        write("ca.key", &ca.key_pem());
        write("index.txt", "");
        write("crlnumber", "01\n");
        write(
            "ca.cnf",
            "[ ca ]\ndefault_ca = test_ca\n[ test_ca ]\ndatabase = index.txt\n\
             crlnumber = crlnumber\ncertificate = ca.pem\nprivate_key = ca.key\n\
             default_md = sha256\ndefault_crl_days = 1\n",
        );
        OpensslCa { dir }
    }

    /// The folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Records `signer` in the index: valid, or revoked at `revoked_at`.
    pub fn record(&self, signer: &TestSigner, revoked_at: Option<DateTime<Utc>>) {
        use std::io::Write as _;
        let mut index = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("index.txt"))
            .expect("index.txt");
        index
            .write_all(signer.openssl_index_line(revoked_at).as_bytes())
            .expect("index.txt");
    }

    /// Writes `signer`'s certificate and key as `<name>.pem` and `<name>.key` (e.g. a delegated
    /// responder for `-rsigner`).
    pub fn write_signer(&self, name: &str, signer: &TestSigner) {
        std::fs::write(
            self.dir.join(format!("{name}.pem")),
            signer.certificate_pem(),
        )
        .expect("certificate file");
        std::fs::write(self.dir.join(format!("{name}.key")), signer.key_pem()).expect("key file");
    }

    /// `openssl ocsp` answering the DER `request` from the index, signed by `rsigner`
    /// (`"ca"` or a name given to [`OpensslCa::write_signer`]), with `extra` arguments
    /// (e.g. `["-nmin", "5"]`): the DER OCSPResponse.
    pub fn ocsp_response(&self, request: &[u8], rsigner: &str, extra: &[&str]) -> Vec<u8> {
        let n = rand::random::<u32>();
        let (req, resp) = (format!("req-{n:08x}.der"), format!("resp-{n:08x}.der"));
        std::fs::write(self.dir.join(&req), request).expect("request file");
        let (cert, key) = (format!("{rsigner}.pem"), format!("{rsigner}.key"));
        let mut args = vec![
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            &cert,
            "-rkey",
            &key,
            "-reqin",
            &req,
            "-respout",
            &resp,
        ];
        args.extend_from_slice(extra);
        run_openssl(&self.dir, &args);
        std::fs::read(self.dir.join(&resp)).expect("response file")
    }

    /// `openssl ca -gencrl` with `extra` arguments (e.g. `["-crlhours", "1"]`): the DER CRL.
    pub fn crl(&self, extra: &[&str]) -> Vec<u8> {
        let n = rand::random::<u32>();
        let (pem, der) = (format!("crl-{n:08x}.pem"), format!("crl-{n:08x}.der"));
        let mut args = vec!["ca", "-config", "ca.cnf", "-gencrl", "-out", &pem];
        args.extend_from_slice(extra);
        run_openssl(&self.dir, &args);
        run_openssl(
            &self.dir,
            &["crl", "-in", &pem, "-outform", "DER", "-out", &der],
        );
        std::fs::read(self.dir.join(&der)).expect("CRL file")
    }

    /// `openssl ocsp` serving the index on `port` (all interfaces; requests one after another),
    /// signed by `rsigner`, with `extra` arguments; returns once it listens (it prints
    /// `ACCEPT …` then; a probe connection would hold up its one-at-a-time loop). The responder
    /// stops when the returned value is dropped.
    pub fn serve_ocsp(&self, port: u16, rsigner: &str, extra: &[&str]) -> OcspResponder {
        use std::io::BufRead as _;
        let (cert, key, port_arg) = (
            format!("{rsigner}.pem"),
            format!("{rsigner}.key"),
            port.to_string(),
        );
        let mut args = vec![
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            &cert,
            "-rkey",
            &key,
            "-port",
            &port_arg,
        ];
        args.extend_from_slice(extra);
        let mut child = std::process::Command::new("openssl")
            .args(&args)
            .current_dir(&self.dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `openssl` ({e}): the revocation tests need the openssl command \
                     (Debian package `openssl`)"
                )
            });
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut responder = OcspResponder {
            child,
            _stdout: None,
        };
        let mut line = String::new();
        loop {
            line.clear();
            let read = stdout.read_line(&mut line).unwrap_or(0);
            if read == 0 {
                let status = responder.child.wait();
                panic!("openssl ocsp -port {port} stopped before listening: {status:?}");
            }
            if line.starts_with("ACCEPT") {
                responder._stdout = Some(stdout);
                return responder;
            }
        }
    }
}

impl Drop for OpensslCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `openssl ocsp` responder, stopped (killed and reaped) on drop.
pub struct OcspResponder {
    child: std::process::Child,
    /// Kept open so that the responder never writes to a closed pipe.
    _stdout: Option<std::io::BufReader<std::process::ChildStdout>>,
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
