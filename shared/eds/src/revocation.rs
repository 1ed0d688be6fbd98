//! Revocation of a signer certificate: OCSP (RFC 6960) and CRLs (RFC 5280), pure.
//!
//! The caller fetches; this module says where ([`Subject::ocsp_urls`], [`Subject::crl_urls`]),
//! builds the OCSP request ([`Subject::ocsp_request`]) and checks what came back
//! ([`Subject::check_ocsp`], [`Subject::check_crl`]). An answer is either a [`Status`] or
//! [`Unusable`] (with the reason, for logs); what to do when nothing usable came back is the
//! caller's policy (Kezek refuses: see `kezek-http`'s `NcaVerifier` and docs/identity.md).
//!
//! What makes an answer usable:
//! - **OCSP**: a `successful` basic response, signed by the issuer itself or by a responder
//!   certificate that the issuer signed, that is valid now and whose extendedKeyUsage has
//!   id-kp-OCSPSigning; with a single response for exactly our certificate (CertID with SHA-1
//!   or SHA-256; the request uses SHA-1, as `openssl ocsp` and most responders expect); fresh:
//!   thisUpdate (and producedAt) not after now + [`CLOCK_SKEW`], and now not after nextUpdate —
//!   or, without nextUpdate, thisUpdate at most [`MAX_AGE_WITHOUT_NEXT_UPDATE`] ago. A stale
//!   answer is unusable whatever it says (the CRL is asked next). No nonce is sent: freshness
//!   rests on these times, as with responders that pre-produce their answers.
//! - **CRL**: a full CRL (no delta, indirect or partial CRL: those are [`Unusable::Unsupported`])
//!   of the certificate's issuer, signed by it (keyUsage cRLSign when the issuer has keyUsage),
//!   fresh by the same rules (thisUpdate/nextUpdate). Listed → revoked (any reason, including
//!   certificateHold); not listed → good. The CRL never answers unknown.
//!
//! The OCSP types are those of the `x509-ocsp` crate. The CRL is walked by hand (the small
//! pieces decoded with `x509-cert`'s types): a national CA's CRL lists hundreds of thousands of
//! serials, and decoding each entry into owned values only to compare one serial would cost
//! far more memory and time than reading the serials in place. The exact bytes that signatures
//! cover (tbsResponseData, tbsCertList) are taken as received, as for certificates.

use chrono::{DateTime, TimeDelta, Utc};
use der::asn1::{BitString, ObjectIdentifier};
use der::{Decode, Encode};
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage, IssuingDistributionPoint,
};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    TbsRequest,
};

use crate::cert::{to_chrono, ParsedCert};
use crate::{der_walk, oid, EdsError};

/// How far in the future a thisUpdate (or producedAt) may be: the responder's clock and ours
/// differ a little.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);
/// How old an answer without nextUpdate may be (its thisUpdate) and still be used.
pub const MAX_AGE_WITHOUT_NEXT_UPDATE: TimeDelta = TimeDelta::hours(1);
/// Most certificates accepted in an OCSP response (bounds the responder search).
const MAX_RESPONSE_CERTIFICATES: usize = 8;

/// What a usable answer says about the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not revoked.
    Good,
    /// Revoked (or on hold).
    Revoked,
    /// The OCSP responder does not know the certificate (never from a CRL).
    Unknown,
}

/// Why an answer (OCSP response or CRL) cannot be used; for logs, never shown to a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// Not well-formed DER of the expected structure.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The OCSP responder answered with an error status (`tryLater`, `unauthorized`, …).
    #[error("OCSP responder status {0}")]
    ResponderStatus(&'static str),
    /// Not a basic OCSP response.
    #[error("not a basic OCSP response")]
    NotBasic,
    /// Not signed by the issuer or by a responder the issuer authorised.
    #[error("not signed by the issuer or a responder it authorised")]
    BadSignature,
    /// The OCSP response has no answer for this certificate.
    #[error("no answer for this certificate")]
    NoAnswer,
    /// The CRL is of another issuer, or the issuer may not sign CRLs.
    #[error("CRL of another issuer")]
    WrongIssuer,
    /// thisUpdate (or producedAt) is in the future.
    #[error("issued in the future")]
    NotYetValid,
    /// Past nextUpdate, or older than [`MAX_AGE_WITHOUT_NEXT_UPDATE`] without nextUpdate.
    #[error("stale")]
    Stale,
    /// A signature algorithm other than RSA with SHA-1 or SHA-2.
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    /// A kind of CRL not handled (delta, indirect, partial, critical extension unknown).
    #[error("unsupported CRL: {0}")]
    Unsupported(&'static str),
}

fn malformed(what: impl std::fmt::Display) -> Unusable {
    Unusable::Malformed(what.to_string())
}

impl From<EdsError> for Unusable {
    fn from(e: EdsError) -> Unusable {
        match e {
            EdsError::UnsupportedAlgorithm | EdsError::GostKey => Unusable::UnsupportedAlgorithm,
            EdsError::Malformed(m) => Unusable::Malformed(m),
            other => Unusable::Malformed(other.to_string()),
        }
    }
}

/// A certificate whose revocation is to be checked, with the certificate that issued it.
#[derive(Clone)]
pub struct Subject {
    cert: ParsedCert,
    issuer: ParsedCert,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("serial", &self.serial_hex())
            .finish()
    }
}

impl Subject {
    /// `certificate` and `issuer`, DER. The issuer's subject must be the certificate's issuer
    /// (the signature itself was checked by [`crate::verify`]).
    pub fn new(certificate: &[u8], issuer: &[u8]) -> Result<Subject, EdsError> {
        let cert = ParsedCert::from_der(certificate)?;
        let issuer = ParsedCert::from_der(issuer)?;
        if cert.issuer_der != issuer.subject_der {
            return Err(EdsError::Malformed(
                "the issuer certificate is not the certificate's issuer".into(),
            ));
        }
        Ok(Subject { cert, issuer })
    }

    /// The certificate's serial number, lowercase hex (for logs: it names a certificate, not
    /// a person's IIN).
    pub fn serial_hex(&self) -> String {
        self.serial()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn serial(&self) -> &SerialNumber {
        &self.cert.cert.tbs_certificate.serial_number
    }

    /// The OCSP responders the certificate names (authorityInfoAccess, id-ad-ocsp), `http://`
    /// and `https://` only; none if the extension is missing or malformed.
    pub fn ocsp_urls(&self) -> Vec<String> {
        let Some(value) = self.cert.extension(oid::AUTHORITY_INFO_ACCESS) else {
            return Vec::new();
        };
        let Ok(aia) = AuthorityInfoAccessSyntax::from_der(value) else {
            return Vec::new();
        };
        aia.0
            .iter()
            .filter(|d| d.access_method == oid::AD_OCSP)
            .filter_map(|d| web_url(&d.access_location))
            .collect()
    }

    /// The CRLs the certificate names (cRLDistributionPoints, full names), `http://` and
    /// `https://` only; none if the extension is missing or malformed.
    pub fn crl_urls(&self) -> Vec<String> {
        let Some(value) = self.cert.extension(oid::CRL_DISTRIBUTION_POINTS) else {
            return Vec::new();
        };
        let Ok(points) = CrlDistributionPoints::from_der(value) else {
            return Vec::new();
        };
        points
            .0
            .iter()
            // A point for some reasons only, or with another CRL issuer, is not our full CRL.
            .filter(|p| p.reasons.is_none() && p.crl_issuer.is_none())
            .filter_map(|p| match &p.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(web_url)
            .collect()
    }

    /// The CertID of the certificate with `hash` (SHA-1 or SHA-256).
    fn cert_id_hashes(&self, hash: &ObjectIdentifier) -> Option<(Vec<u8>, Vec<u8>)> {
        let key = self
            .issuer
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        let name = &self.issuer.subject_der;
        match *hash {
            oid::SHA1 => Some((
                sha1::Sha1::digest(name).to_vec(),
                sha1::Sha1::digest(key).to_vec(),
            )),
            oid::SHA256 => Some((
                sha2::Sha256::digest(name).to_vec(),
                sha2::Sha256::digest(key).to_vec(),
            )),
            _ => None,
        }
    }

    fn matches(&self, id: &CertId) -> bool {
        if id.serial_number.as_bytes() != self.serial().as_bytes() {
            return false;
        }
        self.cert_id_hashes(&id.hash_algorithm.oid)
            .is_some_and(|(name, key)| {
                id.issuer_name_hash.as_bytes() == name && id.issuer_key_hash.as_bytes() == key
            })
    }

    /// The DER OCSPRequest for the certificate (one CertID with SHA-1, unsigned, no nonce), to
    /// POST as `application/ocsp-request`.
    pub fn ocsp_request(&self) -> Result<Vec<u8>, EdsError> {
        let bad = |e: der::Error| EdsError::Malformed(format!("OCSP request: {e}"));
        let (name, key) = self
            .cert_id_hashes(&oid::SHA1)
            .ok_or(EdsError::UnsupportedAlgorithm)?;
        let cert_id = CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: oid::SHA1,
                parameters: Some(der::asn1::Null.into()),
            },
            issuer_name_hash: der::asn1::OctetString::new(name).map_err(bad)?,
            issuer_key_hash: der::asn1::OctetString::new(key).map_err(bad)?,
            serial_number: self.serial().clone(),
        };
        OcspRequest {
            tbs_request: TbsRequest {
                request_list: vec![Request {
                    req_cert: cert_id,
                    single_request_extensions: None,
                }],
                ..TbsRequest::default()
            },
            optional_signature: None,
        }
        .to_der()
        .map_err(bad)
    }

    /// Checks a DER OCSPResponse about the certificate at `now` (see the module docs).
    pub fn check_ocsp(&self, response: &[u8], now: DateTime<Utc>) -> Result<Status, Unusable> {
        let response = OcspResponse::from_der(response)
            .map_err(|e| malformed(format!("OCSPResponse: {e}")))?;
        let status = match response.response_status {
            OcspResponseStatus::Successful => None,
            OcspResponseStatus::MalformedRequest => Some("malformedRequest"),
            OcspResponseStatus::InternalError => Some("internalError"),
            OcspResponseStatus::TryLater => Some("tryLater"),
            OcspResponseStatus::SigRequired => Some("sigRequired"),
            OcspResponseStatus::Unauthorized => Some("unauthorized"),
        };
        if let Some(status) = status {
            return Err(Unusable::ResponderStatus(status));
        }
        let bytes = response
            .response_bytes
            .ok_or_else(|| malformed("successful response without responseBytes"))?;
        if bytes.response_type != oid::OCSP_BASIC {
            return Err(Unusable::NotBasic);
        }
        let raw = bytes.response.as_bytes();
        let basic = BasicOcspResponse::from_der(raw)
            .map_err(|e| malformed(format!("BasicOCSPResponse: {e}")))?;
        let (tbs, certs) = basic_raw_parts(raw)?;
        let signature = basic
            .signature
            .as_bytes()
            .ok_or_else(|| malformed("signature is not whole bytes"))?;
        self.check_responder(basic.signature_algorithm.oid, tbs, signature, &certs, now)?;

        let data = &basic.tbs_response_data;
        let produced_at = ocsp_time(data.produced_at.0)?;
        if produced_at > now + CLOCK_SKEW {
            return Err(Unusable::NotYetValid);
        }
        let single = data
            .responses
            .iter()
            .find(|r| self.matches(&r.cert_id))
            .ok_or(Unusable::NoAnswer)?;
        let this_update = ocsp_time(single.this_update.0)?;
        let next_update = single.next_update.map(|t| ocsp_time(t.0)).transpose()?;
        fresh(this_update, next_update, now)?;
        Ok(match single.cert_status {
            CertStatus::Good(_) => Status::Good,
            CertStatus::Revoked(_) => Status::Revoked,
            CertStatus::Unknown(_) => Status::Unknown,
        })
    }

    /// Whether the issuer, or a responder certificate among `certs` that it authorised, made
    /// `signature` over `tbs`.
    fn check_responder(
        &self,
        algorithm: ObjectIdentifier,
        tbs: &[u8],
        signature: &[u8],
        certs: &[&[u8]],
        now: DateTime<Utc>,
    ) -> Result<(), Unusable> {
        if self.issuer.verifies(algorithm, tbs, signature)? {
            return Ok(());
        }
        for der in certs {
            let Ok(responder) = ParsedCert::from_der(der) else {
                continue;
            };
            if self.authorised(&responder, now) && responder.verifies(algorithm, tbs, signature)? {
                return Ok(());
            }
        }
        Err(Unusable::BadSignature)
    }

    /// A delegated responder: issued (and signed) by our issuer, valid now, for OCSP signing.
    fn authorised(&self, responder: &ParsedCert, now: DateTime<Utc>) -> bool {
        let for_ocsp = responder
            .extension(oid::EXT_KEY_USAGE)
            .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
            .is_some_and(|eku| eku.0.contains(&oid::KP_OCSP_SIGNING));
        for_ocsp
            && responder.issuer_der == self.issuer.subject_der
            && responder.check_validity(now).is_ok()
            && matches!(self.issuer.signed(responder), Ok(true))
    }

    /// Checks a DER CRL for the certificate at `now` (see the module docs): [`Status::Good`]
    /// or [`Status::Revoked`].
    pub fn check_crl(&self, crl: &[u8], now: DateTime<Utc>) -> Result<Status, Unusable> {
        let mut input = crl;
        let outer = der_walk::expect(&mut input, 0x30, "CertificateList")?;
        if !input.is_empty() {
            return Err(malformed("trailing bytes after the CRL"));
        }
        let mut fields = outer.value;
        let tbs = der_walk::expect(&mut fields, 0x30, "tbsCertList")?;
        let algorithm = der_walk::expect(&mut fields, 0x30, "signatureAlgorithm")?;
        let algorithm = AlgorithmIdentifierOwned::from_der(algorithm.full)
            .map_err(|e| malformed(format!("signatureAlgorithm: {e}")))?;
        let signature = der_walk::expect(&mut fields, 0x03, "signatureValue")?;
        let signature = BitString::from_der(signature.full)
            .map_err(|e| malformed(format!("signatureValue: {e}")))?;
        let signature = signature
            .as_bytes()
            .ok_or_else(|| malformed("signature is not whole bytes"))?;
        if !fields.is_empty() {
            return Err(malformed("trailing bytes in CertificateList"));
        }
        if let Some(ku) = self.issuer.key_usage()? {
            if !ku.crl_sign() {
                return Err(Unusable::WrongIssuer);
            }
        }

        let mut t = tbs.value;
        if der_walk::peek_tag(t) == Some(0x02) {
            der_walk::next(&mut t)?; // version
        }
        let inner = der_walk::expect(&mut t, 0x30, "signature")?;
        let inner = AlgorithmIdentifierOwned::from_der(inner.full)
            .map_err(|e| malformed(format!("signature: {e}")))?;
        if inner.oid != algorithm.oid {
            return Err(malformed("CRL signature algorithms differ"));
        }
        let issuer = der_walk::expect(&mut t, 0x30, "issuer")?;
        let issuer = Name::from_der(issuer.full)
            .and_then(|n| n.to_der())
            .map_err(|e| malformed(format!("issuer: {e}")))?;
        if issuer != self.issuer.subject_der {
            return Err(Unusable::WrongIssuer);
        }
        if !self.issuer.verifies(algorithm.oid, tbs.full, signature)? {
            return Err(Unusable::BadSignature);
        }
        let this_update = crl_time(der_walk::next(&mut t)?.full)?;
        let next_update = match der_walk::peek_tag(t) {
            Some(0x17 | 0x18) => Some(crl_time(der_walk::next(&mut t)?.full)?),
            _ => None,
        };
        let mut listed = false;
        if der_walk::peek_tag(t) == Some(0x30) {
            let mut entries = der_walk::next(&mut t)?.value;
            let serial = self.serial().as_bytes();
            while !entries.is_empty() {
                let entry = der_walk::expect(&mut entries, 0x30, "revokedCertificate")?;
                let mut e = entry.value;
                let entry_serial = der_walk::expect(&mut e, 0x02, "userCertificate")?;
                if entry_serial.value != serial {
                    continue;
                }
                listed = true;
                der_walk::next(&mut e)?; // revocationDate
                if der_walk::peek_tag(e) == Some(0x30) {
                    let extensions = Extensions::from_der(der_walk::next(&mut e)?.full)
                        .map_err(|e| malformed(format!("crlEntryExtensions: {e}")))?;
                    // certificateIssuer (indirect CRLs) and anything else critical.
                    if extensions.iter().any(|x| x.critical) {
                        return Err(Unusable::Unsupported("critical CRL entry extension"));
                    }
                }
            }
        }
        if der_walk::peek_tag(t) == Some(0xa0) {
            let explicit = der_walk::next(&mut t)?;
            let extensions = Extensions::from_der(explicit.value)
                .map_err(|e| malformed(format!("crlExtensions: {e}")))?;
            for x in &extensions {
                if x.extn_id == oid::DELTA_CRL_INDICATOR {
                    return Err(Unusable::Unsupported("delta CRL"));
                }
                if x.extn_id == oid::ISSUING_DISTRIBUTION_POINT {
                    let idp = IssuingDistributionPoint::from_der(x.extn_value.as_bytes())
                        .map_err(|e| malformed(format!("issuingDistributionPoint: {e}")))?;
                    if idp.indirect_crl
                        || idp.only_contains_ca_certs
                        || idp.only_contains_attribute_certs
                        || idp.only_some_reasons.is_some()
                    {
                        return Err(Unusable::Unsupported("indirect or partial CRL"));
                    }
                } else if x.critical {
                    return Err(Unusable::Unsupported("critical CRL extension"));
                }
            }
        }
        fresh(this_update, next_update, now)?;
        Ok(if listed {
            Status::Revoked
        } else {
            Status::Good
        })
    }
}

/// An `http://` or `https://` URI of a GeneralName.
fn web_url(name: &GeneralName) -> Option<String> {
    let GeneralName::UniformResourceIdentifier(uri) = name else {
        return None;
    };
    let uri = uri.as_str().trim();
    let lower = uri.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| uri.to_owned())
}

/// The tbsResponseData (as received) and the certificates (as received) of a BasicOCSPResponse.
fn basic_raw_parts(raw: &[u8]) -> Result<(&[u8], Vec<&[u8]>), Unusable> {
    let mut input = raw;
    let outer = der_walk::expect(&mut input, 0x30, "BasicOCSPResponse")?;
    let mut fields = outer.value;
    let tbs = der_walk::expect(&mut fields, 0x30, "tbsResponseData")?;
    der_walk::expect(&mut fields, 0x30, "signatureAlgorithm")?;
    der_walk::expect(&mut fields, 0x03, "signature")?;
    let mut certs = Vec::new();
    if der_walk::peek_tag(fields) == Some(0xa0) {
        let mut explicit = der_walk::next(&mut fields)?.value;
        let mut items = der_walk::expect(&mut explicit, 0x30, "certs")?.value;
        while !items.is_empty() {
            if certs.len() >= MAX_RESPONSE_CERTIFICATES {
                return Err(malformed("too many certificates"));
            }
            certs.push(der_walk::expect(&mut items, 0x30, "certificate")?.full);
        }
    }
    Ok((tbs.full, certs))
}

fn ocsp_time(t: der::asn1::GeneralizedTime) -> Result<DateTime<Utc>, Unusable> {
    Ok(to_chrono(Time::GeneralTime(t))?)
}

fn crl_time(der: &[u8]) -> Result<DateTime<Utc>, Unusable> {
    let time = Time::from_der(der).map_err(|e| malformed(format!("CRL time: {e}")))?;
    Ok(to_chrono(time)?)
}

/// The freshness rules of the module docs.
fn fresh(
    this_update: DateTime<Utc>,
    next_update: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Unusable> {
    if this_update > now + CLOCK_SKEW {
        return Err(Unusable::NotYetValid);
    }
    let stale = match next_update {
        Some(next) => now > next,
        None => now - this_update > MAX_AGE_WITHOUT_NEXT_UPDATE,
    };
    if stale {
        return Err(Unusable::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_750_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn freshness_rules() {
        let this = at(0);
        // With nextUpdate: usable until it, not after.
        assert_eq!(fresh(this, Some(at(600)), at(600)), Ok(()));
        assert_eq!(fresh(this, Some(at(600)), at(601)), Err(Unusable::Stale));
        // Without nextUpdate: an hour.
        assert_eq!(fresh(this, None, at(3600)), Ok(()));
        assert_eq!(fresh(this, None, at(3601)), Err(Unusable::Stale));
        // From the future: a little skew is tolerated.
        assert_eq!(fresh(at(300), None, at(0)), Ok(()));
        assert_eq!(fresh(at(301), None, at(0)), Err(Unusable::NotYetValid));
    }
}
