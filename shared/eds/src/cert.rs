//! Certificates: parsing with the exact bytes signatures cover, PEM blocks, and the signer's
//! name and IIN from the subject.

use super::*;

/// A decoded certificate together with the exact bytes needed for comparisons and signatures.
#[derive(Clone)]
pub(crate) struct ParsedCert {
    pub(crate) der: Vec<u8>,
    pub(crate) tbs_raw: Vec<u8>,
    pub(crate) subject_der: Vec<u8>,
    pub(crate) issuer_der: Vec<u8>,
    pub(crate) spki_der: Vec<u8>,
    pub(crate) cert: Certificate,
}

impl ParsedCert {
    pub(crate) fn from_der(bytes: &[u8]) -> Result<ParsedCert, EdsError> {
        let mut input = bytes;
        let outer = der_walk::expect(&mut input, 0x30, "certificate")?;
        if !input.is_empty() {
            return Err(malformed("trailing bytes after certificate"));
        }
        let mut inner = outer.value;
        let tbs = der_walk::expect(&mut inner, 0x30, "tbsCertificate")?;
        let cert =
            Certificate::from_der(bytes).map_err(|e| malformed(format!("certificate: {e}")))?;
        let tbs_cert = &cert.tbs_certificate;
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|e| malformed(format!("certificate: {e}")));
        Ok(ParsedCert {
            der: bytes.to_vec(),
            tbs_raw: tbs.full.to_vec(),
            subject_der: enc(tbs_cert.subject.to_der())?,
            issuer_der: enc(tbs_cert.issuer.to_der())?,
            spki_der: enc(tbs_cert.subject_public_key_info.to_der())?,
            cert,
        })
    }

    pub(crate) fn extension(&self, id: ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == id)
            .map(|e| e.extn_value.as_bytes())
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, EdsError> {
        self.extension(oid::KEY_USAGE)
            .map(|v| KeyUsage::from_der(v).map_err(|e| malformed(format!("keyUsage: {e}"))))
            .transpose()
    }

    pub(crate) fn basic_constraints(&self) -> Result<Option<BasicConstraints>, EdsError> {
        self.extension(oid::BASIC_CONSTRAINTS)
            .map(|v| {
                BasicConstraints::from_der(v)
                    .map_err(|e| malformed(format!("basicConstraints: {e}")))
            })
            .transpose()
    }

    /// The subject key identifier: the extension if present, else SHA-1 of the key bits.
    pub(crate) fn subject_key_id(&self) -> Option<Vec<u8>> {
        if let Some(v) = self.extension(oid::SUBJECT_KEY_ID) {
            return SubjectKeyIdentifier::from_der(v)
                .ok()
                .map(|s| s.0.as_bytes().to_vec());
        }
        let bits = self
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        Some(sha1::Sha1::digest(bits).to_vec())
    }

    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    pub(crate) fn check_validity(&self, now: DateTime<Utc>) -> Result<(), EdsError> {
        let validity = &self.cert.tbs_certificate.validity;
        let not_before = to_chrono(validity.not_before)?;
        let not_after = to_chrono(validity.not_after)?;
        if now < not_before {
            return Err(EdsError::NotYetValid);
        }
        if now > not_after {
            return Err(EdsError::Expired);
        }
        Ok(())
    }

    pub(crate) fn public_key(&self) -> Result<RsaPublicKey, EdsError> {
        rsa_public_key(&self.cert.tbs_certificate.subject_public_key_info)
    }

    /// Verifies that `child` was signed by this certificate's key.
    pub(crate) fn signed(&self, child: &ParsedCert) -> Result<bool, EdsError> {
        let outer = &child.cert.signature_algorithm;
        if outer.oid != child.cert.tbs_certificate.signature.oid {
            return Err(malformed("certificate signature algorithms differ"));
        }
        let signature = child
            .cert
            .signature
            .as_bytes()
            .ok_or_else(|| malformed("certificate signature is not whole bytes"))?;
        self.verifies(outer.oid, &child.tbs_raw, signature)
    }

    /// Whether `signature` (algorithm `algorithm`: RSA with SHA-1 or SHA-2) over `message` was
    /// made with this certificate's key (OCSP responses and CRLs as well as certificates).
    pub(crate) fn verifies(
        &self,
        algorithm: ObjectIdentifier,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, EdsError> {
        let (scheme, hashed) = match algorithm {
            oid::SHA256_WITH_RSA => (
                Pkcs1v15Sign::new::<sha2::Sha256>(),
                sha2::Sha256::digest(message).to_vec(),
            ),
            oid::SHA384_WITH_RSA => (
                Pkcs1v15Sign::new::<sha2::Sha384>(),
                sha2::Sha384::digest(message).to_vec(),
            ),
            oid::SHA512_WITH_RSA => (
                Pkcs1v15Sign::new::<sha2::Sha512>(),
                sha2::Sha512::digest(message).to_vec(),
            ),
            oid::SHA1_WITH_RSA => (
                Pkcs1v15Sign::new::<sha1::Sha1>(),
                sha1::Sha1::digest(message).to_vec(),
            ),
            _ => return Err(EdsError::UnsupportedAlgorithm),
        };
        let key = self.public_key()?;
        Ok(key.verify(scheme, &hashed, signature).is_ok())
    }
}

pub(crate) fn to_chrono(time: x509_cert::time::Time) -> Result<DateTime<Utc>, EdsError> {
    let secs = i64::try_from(time.to_unix_duration().as_secs())
        .map_err(|_| malformed("time out of range"))?;
    DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| malformed("time out of range"))
}

pub(crate) fn rsa_public_key(
    spki: &spki::SubjectPublicKeyInfoOwned,
) -> Result<RsaPublicKey, EdsError> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION {
        return Err(EdsError::UnsupportedAlgorithm);
    }
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| malformed("public key is not whole bytes"))?;
    let key = rsa::pkcs1::RsaPublicKey::from_der(bits)
        .map_err(|e| malformed(format!("RSA public key: {e}")))?;
    let n = BigUint::from_bytes_be(key.modulus.as_bytes());
    let e = BigUint::from_bytes_be(key.public_exponent.as_bytes());
    RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
        .map_err(|e| malformed(format!("RSA public key: {e}")))
}

/// The DER of every `CERTIFICATE` block of a PEM text (other blocks are skipped).
pub(crate) fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, EdsError> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let find =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let mut rest = pem;
    let mut out = Vec::new();
    while let Some(start) = find(rest, BEGIN) {
        let block = rest.get(start..).unwrap_or_default();
        let end = find(block, END)
            .ok_or_else(|| EdsError::BadRoot("PEM: unterminated CERTIFICATE block".into()))?;
        let len = end + END.len();
        let (_, der) = der::pem::decode_vec(block.get(..len).unwrap_or_default())
            .map_err(|e| EdsError::BadRoot(format!("PEM: {e}")))?;
        out.push(der);
        rest = block.get(len..).unwrap_or_default();
    }
    Ok(out)
}

pub(crate) fn directory_string(value: &der::Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            std::str::from_utf8(value.value()).ok().map(str::to_owned)
        }
        Tag::BmpString => {
            let bytes = value.value();
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

pub(crate) fn subject_attr(cert: &ParsedCert, id: ObjectIdentifier) -> Option<String> {
    cert.cert
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == id)
        .and_then(|atv| directory_string(&atv.value))
}

pub(crate) fn signer_of(cert: &ParsedCert) -> Result<Signer, EdsError> {
    let serial_number = subject_attr(cert, oid::SERIAL_NUMBER).ok_or(EdsError::NoIin)?;
    let iin = serial_number
        .strip_prefix("IIN")
        .filter(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(EdsError::NoIin)?;
    let serial_bytes = cert.cert.tbs_certificate.serial_number.as_bytes();
    let trimmed = match serial_bytes.iter().position(|b| *b != 0) {
        Some(i) => serial_bytes.get(i..).unwrap_or_default(),
        None => serial_bytes
            .get(serial_bytes.len().saturating_sub(1)..)
            .unwrap_or_default(),
    };
    Ok(Signer {
        iin: iin.to_owned(),
        common_name: subject_attr(cert, oid::COMMON_NAME),
        serial: trimmed.iter().map(|b| format!("{b:02x}")).collect(),
    })
}
