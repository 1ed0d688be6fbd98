//! The EDS adapter of the core's [`SignatureVerifier`] port: `kezek-eds` with the configured NCA
//! roots.

use chrono::{DateTime, Utc};
use kezek_core::iin::Iin;
use kezek_core::ports::{SignatureRefused, SignatureVerifier, SignedContent};
use kezek_eds::{EdsError, Roots};

/// Verifies CMS signatures against NCA root certificates.
#[derive(Clone)]
pub struct NcaVerifier {
    roots: Roots,
}

impl NcaVerifier {
    pub fn new(roots: Roots) -> NcaVerifier {
        NcaVerifier { roots }
    }

    /// Roots from PEM text (one or more certificates); empty text trusts nothing.
    pub fn from_pem(pem: &str) -> Result<NcaVerifier, EdsError> {
        if pem.trim().is_empty() {
            return Ok(NcaVerifier::new(Roots::empty()));
        }
        Roots::from_pem(pem.as_bytes()).map(NcaVerifier::new)
    }

    /// How many roots are trusted.
    pub fn roots(&self) -> usize {
        self.roots.len()
    }
}

impl SignatureVerifier for NcaVerifier {
    fn verify(
        &self,
        signature: &str,
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<SignedContent, SignatureRefused> {
        let v = kezek_eds::verify_base64(signature, detached, &self.roots, now)
            .map_err(|e| SignatureRefused(e.code()))?;
        let iin = Iin::try_from(v.signer.iin).map_err(|_| SignatureRefused("eds_no_iin"))?;
        Ok(SignedContent {
            iin,
            name: v.signer.common_name,
            content: v.content,
        })
    }
}

#[cfg(test)]
mod tests {
    use kezek_core::domain::Language;
    use kezek_core::texts::Texts;
    use kezek_eds::EdsError;

    #[test]
    fn every_eds_refusal_has_messages_in_three_languages() {
        let texts = Texts::builtin();
        for e in [
            EdsError::NoRoots,
            EdsError::Malformed(String::new()),
            EdsError::NoContent,
            EdsError::BadSignature,
            EdsError::NotYetValid,
            EdsError::Expired,
            EdsError::UntrustedChain,
            EdsError::SelfSigned,
            EdsError::KeyUsage,
            EdsError::NoIin,
            EdsError::UnsupportedAlgorithm,
        ] {
            assert!(texts.has_error(e.code()), "{}", e.code());
            for lang in [Language::Kk, Language::Ru, Language::En] {
                assert!(!texts.error(e.code(), lang, &[]).trim().is_empty());
            }
        }
    }
}
