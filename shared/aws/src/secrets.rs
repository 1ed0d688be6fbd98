//! The functions' secrets, one per purpose, each read from Secrets Manager once per process (at
//! its start, or the code key on its first use: [`SecretCodeKey`]) and only by the functions that
//! use it (`infra/template.yaml` grants each its own):
//! - [`SessionSigningSecret`]: the session private key, read by the login function alone (every
//!   other function checks sessions with the public keys in `SESSION_PUBLIC_KEYS`);
//! - [`CodeKeySecret`]: the key of the one-time codes' hashes and the EDS nonces, read by the
//!   functions that check codes;
//! - [`RegistersSecret`]: the registers gateway's bearer token, read by the functions that ask
//!   the registers.
//!
//! The NCA root certificates are public: configuration (`NCA_ROOTS_PEM`), not a secret.

use serde::de::DeserializeOwned;

/// `{"private_key": "<PKCS#8 PEM>", "public_key": "<PEM>"}` (`kezek-admin session-keys` makes
/// it); the public key must be among `SESSION_PUBLIC_KEYS`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSigningSecret {
    pub private_key: String,
    pub public_key: String,
}

/// `{"code_key": "<at least 32 characters>"}` (the template generates it).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeKeySecret {
    pub code_key: String,
}

/// `{"registers_token": "..."}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistersSecret {
    pub registers_token: String,
}

/// Shortest code key accepted.
pub const MIN_CODE_KEY: usize = 32;

/// A secret's text, which must be the JSON object `T` with its fields non-empty: anything else
/// stops the function's start (a bare or garbled text is never taken for a key). The error says
/// where the text is wrong, never what it holds.
pub fn parse_secret<T: DeserializeOwned + Checked>(text: &str) -> Result<T, String> {
    let secret: T = serde_json::from_str(text).map_err(|e| {
        format!(
            "not the JSON object {} (line {}, column {}: {:?})",
            T::SHAPE,
            e.line(),
            e.column(),
            e.classify()
        )
    })?;
    secret.check()?;
    Ok(secret)
}

/// A secret's shape (for errors) and its own checks.
pub trait Checked {
    const SHAPE: &'static str;
    fn check(&self) -> Result<(), String>;
}

impl Checked for SessionSigningSecret {
    const SHAPE: &'static str = "{\"private_key\", \"public_key\"}";
    fn check(&self) -> Result<(), String> {
        if !self.private_key.contains("PRIVATE KEY-----") {
            return Err("its private_key is not a PEM private key".into());
        }
        if !self.public_key.contains("PUBLIC KEY-----") {
            return Err("its public_key is not a PEM public key".into());
        }
        Ok(())
    }
}

impl Checked for CodeKeySecret {
    const SHAPE: &'static str = "{\"code_key\"}";
    fn check(&self) -> Result<(), String> {
        if self.code_key.trim().len() < MIN_CODE_KEY {
            return Err(format!(
                "its code_key is shorter than {MIN_CODE_KEY} characters"
            ));
        }
        Ok(())
    }
}

impl Checked for RegistersSecret {
    const SHAPE: &'static str = "{\"registers_token\"}";
    fn check(&self) -> Result<(), String> {
        if self.registers_token.trim().is_empty() {
            return Err("its registers_token is empty".into());
        }
        Ok(())
    }
}

/// The texts of the secrets `ids` (names or ARNs), in their order, read with one
/// `BatchGetSecretValue` call (one round trip and one TLS connection at cold start, however many
/// secrets a function needs). Errors name the secrets, never their values.
pub async fn read_secret_texts(
    shared: &aws_config::SdkConfig,
    ids: &[&str],
) -> Result<Vec<String>, String> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let client = aws_sdk_secretsmanager::Client::new(shared);
    let out = client
        .batch_get_secret_value()
        .set_secret_id_list(Some(ids.iter().map(|i| (*i).to_owned()).collect()))
        .send()
        .await
        .map_err(|e| {
            format!(
                "secrets {}: {}",
                ids.join(", "),
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        })?;
    if let Some(e) = out.errors().first() {
        return Err(format!(
            "secret {}: {}",
            e.secret_id().unwrap_or("?"),
            e.error_code().unwrap_or("not read")
        ));
    }
    ids.iter()
        .map(|id| {
            out.secret_values()
                .iter()
                .find(|v| v.arn() == Some(*id) || v.name() == Some(*id))
                .ok_or_else(|| format!("secret {id}: not returned"))?
                .secret_string()
                .map(str::to_owned)
                .ok_or_else(|| format!("secret {id} has no text"))
        })
        .collect()
}

/// Reads the secret `id` (name or ARN) as `T`. Errors name the secret, never its value.
pub async fn read_secret<T: DeserializeOwned + Checked>(
    shared: &aws_config::SdkConfig,
    id: &str,
) -> Result<T, String> {
    let client = aws_sdk_secretsmanager::Client::new(shared);
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "secret {id}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| format!("secret {id} has no text"))?;
    parse_secret(text).map_err(|e| format!("secret {id}: {e}"))
}

/// The code key in Secrets Manager, read on the first request that checks a code and kept for
/// the life of the process: a function where codes are optional (submit, confirm, …) reads no
/// secret at start. A malformed secret is refused (503 to the request, an error in the log)
/// and read again by the next request that needs it.
pub struct SecretCodeKey {
    shared: aws_config::SdkConfig,
    id: String,
    key: tokio::sync::OnceCell<std::sync::Arc<[u8]>>,
}

impl SecretCodeKey {
    pub fn new(shared: &aws_config::SdkConfig, id: &str) -> SecretCodeKey {
        SecretCodeKey {
            shared: shared.clone(),
            id: id.to_owned(),
            key: tokio::sync::OnceCell::new(),
        }
    }
}

#[async_trait::async_trait]
impl kezek_core::identity::CodeKeySource for SecretCodeKey {
    async fn code_key(&self) -> Result<std::sync::Arc<[u8]>, kezek_core::Failure> {
        self.key
            .get_or_try_init(|| async {
                let text = read_secret_texts(&self.shared, &[self.id.as_str()])
                    .await?
                    .pop()
                    .unwrap_or_default();
                let secret: CodeKeySecret =
                    parse_secret(&text).map_err(|e| format!("secret {}: {e}", self.id))?;
                Ok::<_, String>(std::sync::Arc::from(secret.code_key.into_bytes()))
            })
            .await
            .cloned()
            .map_err(|e| {
                tracing::error!(error = %e, "the code key was not read");
                kezek_core::Failure::Unavailable("code key not read".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_and_errors_keep_the_text_secret() {
        let s: CodeKeySecret =
            parse_secret(r#"{"code_key":"0123456789abcdef0123456789abcdef"}"#).unwrap();
        assert_eq!(s.code_key.len(), 32);
        // Issue 16: a bare or garbled text is not taken for the key, and the error does not
        // repeat it.
        for text in [
            " bare-secret-key-0123456789-0123456789\n",
            r#"{"code_key":"secret-key-0123456789-0123456789"#,
            r#"{"code_key":"secret-key-0123456789-0123456789","nca_root":"x"}"#,
            r#"{"code_key":"secret-key-0123456789"}"#,
        ] {
            let e = parse_secret::<CodeKeySecret>(text).unwrap_err();
            assert!(!e.contains("secret-key-0123456789"), "{e}");
            assert!(!e.is_empty());
        }
        for text in [
            r#"{"private_key":"secret-key-0123456789","public_key":"-----BEGIN PUBLIC KEY-----"}"#,
            r#"{"private_key":"-----BEGIN PRIVATE KEY-----secret-key-0123456789"}"#,
        ] {
            let e = parse_secret::<SessionSigningSecret>(text).unwrap_err();
            assert!(!e.contains("secret-key-0123456789"), "{e}");
        }
        let e = parse_secret::<RegistersSecret>(r#"{"registers_token":" "}"#).unwrap_err();
        assert!(e.contains("empty"));
    }
}
