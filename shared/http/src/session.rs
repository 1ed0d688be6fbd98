//! Sessions: short-lived signed tokens (HS256 JWT) carrying the IIN, role and operator districts.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kezek_core::iin::Iin;
use kezek_core::{Failure, Principal, Role};
use serde::{Deserialize, Serialize};

/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 30 * 60;
/// Shortest signing key accepted.
pub const MIN_KEY_BYTES: usize = 32;

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

/// Issues and checks session tokens with one secret key.
#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
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

impl Sessions {
    /// A key of at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(key: &[u8]) -> Result<Sessions, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "session key must have at least {MIN_KEY_BYTES} bytes"
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["kezek"]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Ok(Sessions {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
        })
    }

    /// Issues a token for a principal, valid for [`SESSION_SECONDS`] from `now` (real time).
    pub fn issue(
        &self,
        who: &Principal,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Token, Failure> {
        let exp = now.timestamp() + SESSION_SECONDS;
        let claims = Claims {
            sub: who.iin.as_str().to_owned(),
            role: who.role,
            districts: who.districts.clone(),
            iat: now.timestamp(),
            exp,
            iss: "kezek".into(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Failure::Unavailable(format!("token: {e}")))?;
        let expires_at =
            kezek_core::time::local(chrono::DateTime::from_timestamp(exp, 0).unwrap_or(now));
        Ok(Token { token, expires_at })
    }

    /// The principal of a bearer token; 401 `unauthorized` or `session_expired` otherwise.
    pub fn verify(&self, token: &str) -> Result<Principal, Failure> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => Failure::Unauthorized {
                        code: "session_expired",
                    },
                    _ => Failure::Unauthorized {
                        code: "unauthorized",
                    },
                }
            })?;
        let c = data.claims;
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
