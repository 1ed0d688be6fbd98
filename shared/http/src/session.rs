//! Sessions: short-lived tokens (RS256 JWT) carrying the IIN, role and operator districts.
//!
//! Signed with an RSA private key that only the functions that log people in hold (today `auth`);
//! every other function checks tokens with the public keys alone (`SESSION_PUBLIC_KEYS`), so it
//! reads no secret for sessions. More than one public key may be trusted at once (a key being
//! rotated in or out); each token names its key in `kid`. A token signed by any other key, or with
//! any other algorithm (the HS256 tokens of the old shared key among them), is refused.

use jsonwebtoken::Validation;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header};
use kezek_core::iin::Iin;
use kezek_core::{Failure, Principal, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 30 * 60;
/// The issuer of every session token.
pub const ISSUER: &str = "kezek";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    #[serde(default)]
    districts: Vec<String>,
    iat: i64,
    exp: i64,
    iss: String,
}

/// Issues (with a private key) and checks (with the trusted public keys) session tokens.
#[derive(Clone)]
pub struct Sessions {
    signer: Option<(String, EncodingKey)>,
    trusted: Vec<(String, DecodingKey)>,
    validation: Validation,
}

/// A new session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The token of an `Authorization: Bearer <token>` header value (either case of "bearer").
pub fn bearer_token(header: &str) -> Option<&str> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

/// The PEM blocks of a text, each with its label and its base64 body (whitespace removed).
fn pem_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_owned(), String::new()));
        } else if line.starts_with("-----END ") {
            out.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    out
}

/// A key's id: the first 16 hex digits of the SHA-256 of its public key's PEM body.
fn key_id(public_body: &str) -> String {
    let digest = Sha256::digest(public_body.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn pem(label: &str, body: &str) -> String {
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

impl Sessions {
    /// Checks tokens with the public keys of a PEM text (one or more `PUBLIC KEY` blocks); issues
    /// none. The error names what is wrong, never a key.
    pub fn verifier(public_keys_pem: &str) -> Result<Sessions, String> {
        let mut trusted = Vec::new();
        for (label, body) in pem_blocks(public_keys_pem) {
            if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
                return Err(format!(
                    "session public keys: a {label} block where an RSA PUBLIC KEY belongs"
                ));
            }
            let key = DecodingKey::from_rsa_pem(pem(&label, &body).as_bytes())
                .map_err(|e| format!("session public keys: not an RSA public key ({e})"))?;
            trusted.push((key_id(&body), key));
        }
        if trusted.is_empty() {
            return Err("session public keys: no PUBLIC KEY block".into());
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = vec![Algorithm::RS256];
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Ok(Sessions {
            signer: None,
            trusted,
            validation,
        })
    }

    /// Also issues tokens, with an RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE
    /// KEY` PEM) whose public key must be among the trusted ones (`public_key_pem`: that public
    /// key, which names the tokens' `kid`).
    pub fn with_signer(
        mut self,
        private_key_pem: &str,
        public_key_pem: &str,
    ) -> Result<Sessions, String> {
        let key = EncodingKey::from_rsa_pem(private_key_pem.as_bytes())
            .map_err(|_| "session private key: not an RSA private key in PEM".to_owned())?;
        let Some((_, body)) = pem_blocks(public_key_pem).into_iter().next() else {
            return Err("session signing: no public key given for the private key".into());
        };
        let kid = key_id(&body);
        if !self.trusted.iter().any(|(k, _)| *k == kid) {
            return Err("session signing: its public key is not among SESSION_PUBLIC_KEYS".into());
        }
        // Whether the pair matches shows at the first token issued (checked there): an RSA
        // signature at init would cost the login function's cold start about a millisecond.
        self.signer = Some((kid, key));
        Ok(self)
    }

    /// Whether this function can issue tokens.
    pub fn signs(&self) -> bool {
        self.signer.is_some()
    }

    /// How many public keys are trusted.
    pub fn trusted(&self) -> usize {
        self.trusted.len()
    }

    /// Issues a token for a principal, valid for [`SESSION_SECONDS`] from `now` (real time).
    pub fn issue(
        &self,
        who: &Principal,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Token, Failure> {
        let (kid, key) = self
            .signer
            .as_ref()
            .ok_or_else(|| Failure::Unavailable("this function signs no sessions".into()))?;
        let exp = now.timestamp() + SESSION_SECONDS;
        let claims = Claims {
            sub: who.iin.as_str().to_owned(),
            role: who.role,
            districts: who.districts.clone(),
            iat: now.timestamp(),
            exp,
            iss: ISSUER.into(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.clone());
        let token = encode(&header, &claims, key)
            .map_err(|e| Failure::Unavailable(format!("token: {e}")))?;
        // A private key that is not the pair of its public key would issue tokens nobody
        // accepts: refuse to hand one out (checking costs far less than the signature).
        if !self.signed_by_trusted_key(&token) {
            tracing::error!("session private key does not match its public key");
            return Err(Failure::Unavailable("session key pair mismatch".into()));
        }
        let expires_at =
            kezek_core::time::local(chrono::DateTime::from_timestamp(exp, 0).unwrap_or(now));
        Ok(Token { token, expires_at })
    }

    /// Whether a token's signature verifies with a trusted key, whatever its times say.
    fn signed_by_trusted_key(&self, token: &str) -> bool {
        let Some(key) = decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .and_then(|kid| self.trusted.iter().find(|(k, _)| *k == kid))
            .map(|(_, key)| key)
        else {
            return false;
        };
        let mut any_time = self.validation.clone();
        any_time.validate_exp = false;
        any_time.validate_nbf = false;
        decode::<Claims>(token, key, &any_time).is_ok()
    }

    fn check(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        use jsonwebtoken::errors::ErrorKind;
        let header = decode_header(token)?;
        if header.alg != Algorithm::RS256 {
            return Err(ErrorKind::InvalidAlgorithm.into());
        }
        let key = header
            .kid
            .and_then(|kid| self.trusted.iter().find(|(k, _)| *k == kid))
            .map(|(_, key)| key)
            .ok_or(ErrorKind::InvalidSignature)?;
        decode::<Claims>(token, key, &self.validation).map(|d| d.claims)
    }

    /// The principal of a bearer token; 401 `unauthorized` or `session_expired` otherwise.
    pub fn verify(&self, token: &str) -> Result<Principal, Failure> {
        let c = self.check(token).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => Failure::Unauthorized {
                code: "session_expired",
            },
            _ => Failure::Unauthorized {
                code: "unauthorized",
            },
        })?;
        let iin = Iin::try_from(c.sub).map_err(|_| Failure::Unauthorized {
            code: "unauthorized",
        })?;
        Ok(Principal {
            iin,
            role: c.role,
            districts: c.districts,
        })
    }
}

/// Test keys (`tests/fixtures/keys`, made with `openssl genpkey`; they sign nothing real): the
/// session pair and another pair no function trusts. The other test crates include the same
/// files themselves.
#[cfg(test)]
mod test_keys {
    pub const PRIVATE: &str = include_str!("../../../tests/fixtures/keys/session.key");
    pub const PUBLIC: &str = include_str!("../../../tests/fixtures/keys/session.pub");
    pub const OTHER_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/other.key");
    pub const OTHER_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/other.pub");

    /// Sessions that issue with the test pair.
    pub fn sessions() -> super::Sessions {
        super::Sessions::verifier(PUBLIC)
            .and_then(|s| s.with_signer(PRIVATE, PUBLIC))
            .expect("the test session keys")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent() -> Principal {
        Principal {
            iin: Iin::try_from("900101300007".to_owned()).unwrap(),
            role: Role::Parent,
            districts: vec![],
        }
    }

    #[test]
    fn only_the_trusted_keys_rs256_tokens_pass() {
        let now = chrono::Utc::now();
        let auth = test_keys::sessions();
        let token = auth.issue(&parent(), now).unwrap().token;
        // A function with the public key alone checks it, and cannot issue.
        let reader = Sessions::verifier(test_keys::PUBLIC).unwrap();
        assert_eq!(reader.verify(&token).unwrap().iin, parent().iin);
        assert!(!reader.signs());
        assert!(reader.issue(&parent(), now).is_err());
        // Another key pair: refused, even when it names our kid.
        let other = Sessions::verifier(test_keys::OTHER_PUBLIC)
            .unwrap()
            .with_signer(test_keys::OTHER_PRIVATE, test_keys::OTHER_PUBLIC)
            .unwrap();
        let forged = other.issue(&parent(), now).unwrap().token;
        assert!(reader.verify(&forged).is_err());
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key_id(&pem_blocks(test_keys::PUBLIC)[0].1));
        let claims = Claims {
            sub: "900101300007".into(),
            role: Role::Operator,
            districts: vec![],
            iat: now.timestamp(),
            exp: now.timestamp() + 60,
            iss: ISSUER.into(),
        };
        let key = EncodingKey::from_rsa_pem(test_keys::OTHER_PRIVATE.as_bytes()).unwrap();
        let renamed = encode(&header, &claims, &key).unwrap();
        assert!(reader.verify(&renamed).is_err());
        // An HS256 token of a shared key (the old scheme), even keyed with the public key's text.
        for secret in [
            b"old-shared-session-key-0123456789abcdef".as_slice(),
            test_keys::PUBLIC.as_bytes(),
        ] {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = header.kid.clone();
            let t = encode(&h, &claims, &EncodingKey::from_secret(secret)).unwrap();
            assert!(reader.verify(&t).is_err());
        }
        // Both keys trusted (a rotation): both pass.
        let both = Sessions::verifier(&format!("{}{}", test_keys::PUBLIC, test_keys::OTHER_PUBLIC))
            .unwrap();
        assert_eq!(both.trusted(), 2);
        assert!(both.verify(&token).is_ok() && both.verify(&forged).is_ok());
    }

    #[test]
    fn a_malformed_key_stops_the_start_and_a_mismatched_pair_issues_nothing() {
        assert!(Sessions::verifier("").is_err());
        assert!(Sessions::verifier("not a key").is_err());
        assert!(Sessions::verifier(test_keys::PRIVATE).is_err());
        let reader = Sessions::verifier(test_keys::PUBLIC).unwrap();
        // The other private key with our public key: no token is handed out (503).
        let mismatched = reader
            .clone()
            .with_signer(test_keys::OTHER_PRIVATE, test_keys::PUBLIC)
            .unwrap();
        let who = parent();
        assert_eq!(
            mismatched
                .issue(&who, chrono::Utc::now())
                .unwrap_err()
                .code(),
            "unavailable"
        );
        // A public key that is not trusted.
        assert!(reader
            .clone()
            .with_signer(test_keys::OTHER_PRIVATE, test_keys::OTHER_PUBLIC)
            .is_err());
        let e = reader
            .with_signer("garbage", test_keys::PUBLIC)
            .err()
            .unwrap();
        assert!(!e.contains("garbage"));
    }
}
