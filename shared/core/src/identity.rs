//! Identity: login by one-time code or by EDS, and the signature of signed actions (service.md,
//! "Identity"; quality.md, "Security"). Every time here is real time (`Identity::clock`), never
//! the simulated business clock: sessions, codes, nonces and rate limits do not move with it.
//!
//! The rules, by name:
//! - a one-time code has [`CODE_DIGITS`] digits, lasts [`CODE_LIFETIME_SECONDS`], allows
//!   [`CODE_ATTEMPTS`] wrong attempts and then locks the IIN out for [`LOCKOUT_SECONDS`]; it works
//!   once and is stored only as a keyed hash;
//! - codes are rate-limited per IIN and per phone: [`CODES_PER_WINDOW`] per [`CODE_WINDOW_SECONDS`],
//!   and a new code no sooner than [`RESEND_AFTER_SECONDS`] after the last one;
//! - an EDS nonce lasts [`NONCE_LIFETIME_SECONDS`] and works once;
//! - a signed action (submit, voucher confirmation, kindergarten choice) carries an EDS signature
//!   over its body (without the `signature` and `code` fields) by the session's own IIN, or a
//!   fresh one-time code of the session's IIN; the history records which.

use crate::access::{Principal, Role};
use crate::domain::{Language, Notification, NotificationKind, Param, SignedWith};
use crate::iin::Iin;
use crate::inputs::valid_phone;
use crate::ports::{Attempt, Clock, CodeRecord, Credentials, Outbox, Registers, SignatureVerifier};
use crate::Failure;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Digits of a one-time code.
pub const CODE_DIGITS: usize = 6;
/// How long a one-time code works.
pub const CODE_LIFETIME_SECONDS: i64 = 5 * 60;
/// Wrong attempts allowed on one code; the next is refused with 429 and a lockout.
pub const CODE_ATTEMPTS: u32 = 5;
/// How long an IIN is locked out after too many wrong attempts.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// Codes sent per IIN, and per phone, in one window.
pub const CODES_PER_WINDOW: u32 = 5;
/// The rate-limit window.
pub const CODE_WINDOW_SECONDS: i64 = 60 * 60;
/// Shortest time between two codes for one IIN.
pub const RESEND_AFTER_SECONDS: i64 = 60;
/// How long an EDS login nonce works.
pub const NONCE_LIFETIME_SECONDS: i64 = 5 * 60;
/// The body fields that carry a signed action's signature, left out of what is signed.
pub const SIGNATURE_FIELDS: [&str; 2] = ["signature", "code"];

/// `POST /v1/auth/otp`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub iin: String,
    pub phone: String,
}

/// `POST /v1/auth/otp/verify`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeLogin {
    pub iin: String,
    pub phone: String,
    pub code: String,
}

/// `POST /v1/auth/eds/verify`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdsLogin {
    pub nonce: String,
    pub signature: String,
}

/// The reply to `POST /v1/auth/otp`.
#[derive(Debug, Clone, Serialize)]
pub struct CodeSent {
    pub expires_at: DateTime<chrono::FixedOffset>,
    pub resend_after: DateTime<chrono::FixedOffset>,
}

/// The reply to `POST /v1/auth/eds/challenge`.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    pub nonce: String,
    pub expires_at: DateTime<chrono::FixedOffset>,
}

/// Who logged in, and the name an EDS certificate gave.
#[derive(Debug, Clone)]
pub struct Login {
    pub principal: Principal,
    pub name: Option<String>,
}

/// The login and signing use cases, over their ports.
#[derive(Clone)]
pub struct Identity {
    pub credentials: Arc<dyn Credentials>,
    pub outbox: Arc<dyn Outbox>,
    pub registers: Arc<dyn Registers>,
    /// Real time.
    pub clock: Arc<dyn Clock>,
    pub verifier: Arc<dyn SignatureVerifier>,
    /// The code key: keys the codes' hashes and the EDS nonces' MACs (each with its own label).
    /// Empty in a function that checks no codes: every code and nonce is then refused.
    pepper: Arc<dyn CodeKeySource>,
}

/// Where the code key comes from: at hand (a key read at start, or a local run's), or read on
/// the first request that checks a code (a function where codes are optional reads its secret
/// only when one is brought).
#[async_trait::async_trait]
pub trait CodeKeySource: Send + Sync {
    /// The key; empty when this function holds none. An error when it cannot be read (503).
    async fn code_key(&self) -> Result<Arc<[u8]>, Failure>;
}

/// A code key at hand.
pub struct FixedCodeKey(pub Arc<[u8]>);

#[async_trait::async_trait]
impl CodeKeySource for FixedCodeKey {
    async fn code_key(&self) -> Result<Arc<[u8]>, Failure> {
        Ok(self.0.clone())
    }
}

fn bad_iin(field: &str) -> Failure {
    Failure::bad("invalid_iin", field)
}

fn code_invalid() -> Failure {
    Failure::Unauthorized {
        code: "code_invalid",
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], Failure> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| Failure::Unavailable(format!("random: {e}")))?;
    Ok(b)
}

/// The bytes of a hex text, if it is one.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Lower-case hex of bytes (keyed hashes, nonces, signed URLs).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A uniformly random code of [`CODE_DIGITS`] digits.
fn new_code() -> Result<String, Failure> {
    const SPACE: u32 = 1_000_000;
    // Rejection sampling: no bias towards low codes.
    let limit = u32::MAX - u32::MAX % SPACE;
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n < limit {
            return Ok(format!("{:06}", n % SPACE));
        }
    }
}

/// A code as typed: exactly six ASCII digits (spaces around are forgiven).
pub fn valid_code(s: &str) -> Result<String, Failure> {
    let t = s.trim();
    if t.len() == CODE_DIGITS && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_owned())
    } else {
        Err(Failure::bad("invalid_code", "code"))
    }
}

/// The body of a signed action as signed: the JSON object without [`SIGNATURE_FIELDS`], keys
/// sorted at every level, no whitespace.
pub fn signed_bytes(body: &serde_json::Value) -> Vec<u8> {
    fn canonical(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                    out.push(':');
                    canonical(&m[*k], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    canonical(&unsigned(body), &mut out);
    out.into_bytes()
}

/// The body without its signature fields.
fn unsigned(body: &serde_json::Value) -> serde_json::Value {
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        for f in SIGNATURE_FIELDS {
            m.remove(f);
        }
    }
    b
}

fn local(t: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
    crate::time::local(t)
}

impl Identity {
    pub fn new(
        credentials: Arc<dyn Credentials>,
        outbox: Arc<dyn Outbox>,
        registers: Arc<dyn Registers>,
        clock: Arc<dyn Clock>,
        verifier: Arc<dyn SignatureVerifier>,
        pepper: &[u8],
    ) -> Identity {
        Identity {
            credentials,
            outbox,
            registers,
            clock,
            verifier,
            pepper: Arc::new(FixedCodeKey(Arc::from(pepper))),
        }
    }

    /// The same identity with its code key from `source` (read when first needed).
    pub fn with_code_key(mut self, source: Arc<dyn CodeKeySource>) -> Identity {
        self.pepper = source;
        self
    }

    /// The code key's HMAC; 503 in a function that holds no code key.
    async fn mac(&self) -> Result<Hmac<Sha256>, Failure> {
        let key = self.pepper.code_key().await?;
        if key.is_empty() {
            return Err(Failure::Unavailable(
                "this function holds no code key".into(),
            ));
        }
        // HMAC accepts a key of any length.
        Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|e| Failure::Unavailable(format!("code key: {e}")))
    }

    async fn hash(&self, iin: &Iin, phone: &str, code: &str) -> Result<String, Failure> {
        let mut mac = self.mac().await?;
        mac.update(b"kezek-otp\0");
        mac.update(iin.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(phone.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }

    fn lock_key(iin: &Iin) -> String {
        format!("LOCK#{}", iin.as_str())
    }

    async fn refuse_if_locked(&self, iin: &Iin, now: DateTime<Utc>) -> Result<(), Failure> {
        match self.credentials.marker(&Self::lock_key(iin)).await? {
            Some(until) if until > now => Err(Failure::RateLimited { code: "locked_out" }),
            _ => Ok(()),
        }
    }

    /// Sends a one-time code by SMS (through the outbox) to a phone registered to the IIN in the
    /// mobile citizens register.
    pub async fn request_code(
        &self,
        input: CodeRequest,
        language: Language,
    ) -> Result<CodeSent, Failure> {
        let iin = Iin::try_from(input.iin).map_err(|_| bad_iin("iin"))?;
        let phone = valid_phone(&input.phone)?;
        let now = self.clock.now();
        self.refuse_if_locked(&iin, now).await?;
        if let Some(last) = self.credentials.code(&iin).await? {
            if now < last.issued_at + Duration::seconds(RESEND_AFTER_SECONDS) {
                return Err(Failure::RateLimited {
                    code: "code_recently_sent",
                });
            }
        }
        if !self
            .registers
            .mobile_registered(&iin, phone.as_str())
            .await?
        {
            return Err(Failure::Forbidden {
                code: "mobile_not_registered",
            });
        }
        let window = now.timestamp().div_euclid(CODE_WINDOW_SECONDS) + 1;
        let window_ends = DateTime::from_timestamp(window * CODE_WINDOW_SECONDS, 0).unwrap_or(now);
        for key in [
            format!("otp-iin#{}", iin.as_str()),
            format!("otp-phone#{phone}"),
        ] {
            if !self
                .credentials
                .hit(&key, window_ends, CODES_PER_WINDOW)
                .await?
            {
                return Err(Failure::RateLimited {
                    code: "rate_limited",
                });
            }
        }
        let code = new_code()?;
        let expires_at = now + Duration::seconds(CODE_LIFETIME_SECONDS);
        let hash = self.hash(&iin, phone.as_str(), &code).await?;
        let id = format!("otp:{}:{}", now.timestamp_micros(), &hash[..16]);
        self.credentials
            .put_code(CodeRecord {
                iin,
                phone: phone.clone().into_string(),
                hash,
                issued_at: now,
                expires_at,
                attempts: 0,
            })
            .await?;
        self.outbox
            .enqueue(Notification {
                id,
                application_id: None,
                kind: NotificationKind::OtpCode,
                language,
                email: None,
                phone: Some(phone.into_string()),
                params: BTreeMap::from([("code".to_owned(), Param::Text(code))]),
                created_at: local(now),
            })
            .await?;
        Ok(CodeSent {
            expires_at: local(expires_at),
            resend_after: local(now + Duration::seconds(RESEND_AFTER_SECONDS)),
        })
    }

    /// Checks a code of the IIN (and, for login, of the phone it was sent to) and uses it up.
    async fn use_code(&self, iin: &Iin, phone: Option<&str>, code: &str) -> Result<(), Failure> {
        let code = valid_code(code)?;
        let now = self.clock.now();
        // The lock and the code are read at once (one round trip): the lock still decides first.
        let (locked, rec) =
            futures::join!(self.refuse_if_locked(iin, now), self.credentials.code(iin));
        locked?;
        let Some(rec) = rec? else {
            return Err(code_invalid());
        };
        if now > rec.expires_at {
            return Err(Failure::Unauthorized {
                code: "code_expired",
            });
        }
        // The key first (read from its secret on a function's first code): a key that cannot be
        // read refuses the request (503) without using up one of the parent's attempts.
        self.mac().await?;
        // The attempt is counted before the comparison, by a write the store refuses at the limit:
        // of any number of simultaneous guesses, at most CODE_ATTEMPTS are ever compared.
        let attempts = match self
            .credentials
            .count_attempt(iin, &rec.hash, CODE_ATTEMPTS)
            .await?
        {
            Attempt::Counted(n) => n,
            Attempt::Exhausted => return Err(Failure::RateLimited { code: "locked_out" }),
            // Used, replaced, or removed by the attempt that locked the IIN out (the lock is set
            // before the code is removed).
            Attempt::Gone => {
                self.refuse_if_locked(iin, self.clock.now()).await?;
                return Err(code_invalid());
            }
        };
        let right_phone = phone.is_none_or(|p| p == rec.phone);
        let hash = self.hash(iin, &rec.phone, &code).await?;
        let right_code = bool::from(hash.as_bytes().ct_eq(rec.hash.as_bytes()));
        if !right_phone || !right_code {
            if attempts >= CODE_ATTEMPTS {
                self.credentials
                    .put_marker(
                        &Self::lock_key(iin),
                        now + Duration::seconds(LOCKOUT_SECONDS),
                    )
                    .await?;
                self.credentials.take_code(iin, &rec.hash).await?;
                return Err(Failure::RateLimited {
                    code: "too_many_attempts",
                });
            }
            return Err(code_invalid());
        }
        if !self.credentials.take_code(iin, &rec.hash).await? {
            // Used by a concurrent request: a code works once.
            return Err(code_invalid());
        }
        Ok(())
    }

    /// The principal of a logged-in IIN: an operator when the staff register lists it.
    async fn principal(&self, iin: Iin) -> Result<Principal, Failure> {
        Ok(match self.credentials.operator_districts(&iin).await? {
            Some(districts) => Principal {
                iin,
                role: Role::Operator,
                districts,
            },
            None => Principal {
                iin,
                role: Role::Parent,
                districts: Vec::new(),
            },
        })
    }

    /// Login by one-time code.
    pub async fn login_with_code(&self, input: CodeLogin) -> Result<Login, Failure> {
        let iin = Iin::try_from(input.iin).map_err(|_| bad_iin("iin"))?;
        let phone = valid_phone(&input.phone)?;
        self.use_code(&iin, Some(phone.as_str()), &input.code)
            .await?;
        Ok(Login {
            principal: self.principal(iin).await?,
            name: None,
        })
    }

    /// A single-use nonce for EDS login.
    ///
    /// Stateless: the nonce is 16 random bytes, its end (seconds) and a MAC over both under the
    /// identity key, so asking for challenges writes nothing; only a login that used one marks it
    /// (single use).
    pub async fn challenge(&self) -> Result<Challenge, Failure> {
        let now = self.clock.now();
        let expires_at = now + Duration::seconds(NONCE_LIFETIME_SECONDS);
        let mut bytes = random_bytes::<16>()?.to_vec();
        bytes.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        let mac = self.nonce_mac(&bytes).await?;
        bytes.extend_from_slice(&mac);
        Ok(Challenge {
            nonce: hex(&bytes),
            expires_at: local(expires_at),
        })
    }

    /// The MAC of a nonce's random part and end (16 bytes of HMAC-SHA256, its own label).
    async fn nonce_mac(&self, body: &[u8]) -> Result<[u8; 16], Failure> {
        let mut out = [0u8; 16];
        let mut mac = self.mac().await?;
        mac.update(b"kezek-eds-nonce\0");
        mac.update(body);
        out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        Ok(out)
    }

    /// The end of a nonce this service made, if its MAC checks out.
    async fn nonce_end(&self, nonce: &str) -> Option<DateTime<Utc>> {
        let bytes = unhex(nonce)?;
        if bytes.len() != 40 {
            return None;
        }
        let (body, mac) = bytes.split_at(24);
        let expected = self.nonce_mac(body).await.ok()?;
        if !bool::from(expected.as_slice().ct_eq(mac)) {
            return None;
        }
        let secs = i64::from_be_bytes(body[16..24].try_into().ok()?);
        DateTime::from_timestamp(secs, 0)
    }

    /// Login by EDS: the nonce is used up first, then the signature over it is checked.
    pub async fn login_with_eds(&self, input: EdsLogin) -> Result<Login, Failure> {
        let nonce = input.nonce.trim();
        if nonce.is_empty() || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Failure::bad("invalid_field", "nonce"));
        }
        if input.signature.trim().is_empty() {
            return Err(Failure::bad("missing_field", "signature"));
        }
        let now = self.clock.now();
        let unknown = || Failure::Unauthorized {
            code: "nonce_unknown",
        };
        let Some(end) = self.nonce_end(nonce).await else {
            return Err(unknown());
        };
        if end < now {
            return Err(Failure::Unauthorized {
                code: "nonce_expired",
            });
        }
        let signed = self
            .verifier
            .verify(&input.signature, Some(nonce.as_bytes()), now)
            .await
            .map_err(|r| Failure::Unauthorized { code: r.0 })?;
        if signed.content != nonce.as_bytes() {
            return Err(Failure::Unauthorized {
                code: "signature_invalid",
            });
        }
        // Single use: the first login with a nonce counts it (a conditional write); any other
        // finds it used.
        if !self
            .credentials
            .hit(&format!("nonce#{}", nonce.to_ascii_lowercase()), end, 1)
            .await?
        {
            return Err(unknown());
        }
        Ok(Login {
            principal: self.principal(signed.iin).await?,
            name: signed.name,
        })
    }

    /// How a signed action's body was signed: an EDS signature over it, a fresh one-time code, or
    /// the session alone. A signature or code that does not check out refuses the action.
    pub async fn sign_off(
        &self,
        who: &Principal,
        body: &serde_json::Value,
    ) -> Result<SignedWith, Failure> {
        let field = |f: &str| match body.get(f) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Failure::bad("invalid_field", f)),
        };
        let signature = field("signature")?;
        let code = field("code")?;
        match (signature, code) {
            (Some(_), Some(_)) => Err(Failure::bad("signature_and_code", "code")),
            (Some(sig), None) => {
                let expected = signed_bytes(body);
                let signed = self
                    .verifier
                    .verify(&sig, Some(&expected), self.clock.now())
                    .await
                    .map_err(|r| Failure::Unauthorized { code: r.0 })?;
                let same = signed.content == expected
                    || serde_json::from_slice::<serde_json::Value>(&signed.content)
                        .is_ok_and(|c| unsigned(&c) == unsigned(body));
                if !same {
                    return Err(Failure::Unauthorized {
                        code: "signature_invalid",
                    });
                }
                if signed.iin != who.iin {
                    return Err(Failure::Forbidden {
                        code: "signer_mismatch",
                    });
                }
                Ok(SignedWith::Eds)
            }
            (None, Some(code)) => {
                self.use_code(&who.iin, None, &code).await?;
                Ok(SignedWith::OneTimeCode)
            }
            (None, None) => Ok(SignedWith::Session),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..200 {
            let c = new_code().unwrap();
            assert_eq!(c.len(), 6);
            assert!(valid_code(&c).is_ok());
        }
        assert!(valid_code("12345").is_err());
        assert!(valid_code("12345a").is_err());
        assert!(valid_code("١٢٣٤٥٦").is_err());
        assert_eq!(valid_code(" 012345 ").unwrap(), "012345");
    }

    #[test]
    fn signed_bytes_sort_keys_and_drop_the_signature() {
        let a = serde_json::json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "т"}, "signature": "s", "code": "1"});
        assert_eq!(
            String::from_utf8(signed_bytes(&a)).unwrap(),
            r#"{"a":{"x":"т","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }
}
