//! The local runner's keys, one per purpose as in AWS: the session key pair (RS256), the code key
//! (one-time codes' hashes, EDS nonces) and the files key (the dev file URLs). Made fresh at each
//! start unless given, so sessions then end with the process.

use kezek_http::Sessions;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;

/// The session pair as PEM texts: PKCS#8 private key and SPKI public key.
#[derive(Clone)]
pub struct SessionPair {
    pub private_pem: String,
    pub public_pem: String,
}

impl SessionPair {
    /// A new RSA-2048 pair.
    pub fn generate() -> Result<SessionPair, String> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .map_err(|e| format!("session key: {e}"))?;
        SessionPair::of(&key)
    }

    /// The pair of a private key in PEM (PKCS#8 `PRIVATE KEY`).
    pub fn from_private_pem(pem: &str) -> Result<SessionPair, String> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| "session private key: not a PKCS#8 RSA private key PEM".to_owned())?;
        SessionPair::of(&key)
    }

    fn of(key: &RsaPrivateKey) -> Result<SessionPair, String> {
        let private_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| format!("session key: {e}"))?
            .to_string();
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("session key: {e}"))?;
        Ok(SessionPair {
            private_pem,
            public_pem,
        })
    }

    /// Sessions that issue with this pair.
    pub fn sessions(&self) -> Result<Sessions, String> {
        Sessions::verifier(&self.public_pem)?.with_signer(&self.private_pem, &self.public_pem)
    }
}

/// A runner's keys.
#[derive(Clone)]
pub struct LocalKeys {
    pub sessions: Sessions,
    /// Keys the one-time codes' hashes and the EDS nonces.
    pub code: Vec<u8>,
    /// Signs the dev file URLs.
    pub files: Vec<u8>,
    /// Keys the portal's CSRF tokens.
    pub web: Vec<u8>,
}

fn random_key() -> Vec<u8> {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

impl LocalKeys {
    /// Sessions with `pair`, and fresh code and files keys.
    pub fn with_pair(pair: &SessionPair) -> Result<LocalKeys, String> {
        Ok(LocalKeys {
            sessions: pair.sessions()?,
            code: random_key(),
            files: random_key(),
            web: random_key(),
        })
    }

    /// Every key fresh.
    pub fn generate() -> Result<LocalKeys, String> {
        LocalKeys::with_pair(&SessionPair::generate()?)
    }
}
