//! The API functions' secrets, read from Secrets Manager once per cold start: the session signing
//! key and the NCA root certificates trusted for EDS.

/// What the secret holds. Its text is JSON `{"session_key": "...", "nca_roots": "<PEM>"}`
/// (`infra/template.yaml` generates `session_key`; operators add the NCA roots).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSecrets {
    pub session_key: String,
    #[serde(default)]
    pub nca_roots: String,
    /// The bearer token of the state registers' gateway (`REGISTERS_URL`), if it needs one.
    #[serde(default)]
    pub registers_token: String,
}

impl ApiSecrets {
    /// The secret's text, which must be the JSON object above with a session key: anything else
    /// stops the function's start (a bare or garbled text is never taken for a key, nor the NCA
    /// roots left out unnoticed). The error says where the text is wrong, never what it holds.
    pub fn parse(text: &str) -> Result<ApiSecrets, String> {
        let secrets: ApiSecrets = serde_json::from_str(text).map_err(|e| {
            format!(
                "not the JSON object {{\"session_key\", \"nca_roots\", \"registers_token\"}} \
                 (line {}, column {}: {:?})",
                e.line(),
                e.column(),
                e.classify()
            )
        })?;
        if secrets.session_key.trim().is_empty() {
            return Err("its session_key is empty".into());
        }
        Ok(secrets)
    }
}

/// Reads the secret `id` (name or ARN). Errors name the secret, never its value.
pub async fn api_secrets(shared: &aws_config::SdkConfig, id: &str) -> Result<ApiSecrets, String> {
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
    ApiSecrets::parse(text).map_err(|e| format!("secret {id}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_and_errors_keep_the_text_secret() {
        let s = ApiSecrets::parse(r#"{"session_key":"k","nca_roots":"-----BEGIN"}"#).unwrap();
        assert_eq!(
            (s.session_key.as_str(), s.nca_roots.as_str()),
            ("k", "-----BEGIN")
        );
        // Issue 16: a bare or garbled text is not taken for the key (it used to be, with no NCA
        // roots), and the error does not repeat it.
        for text in [
            " bare-secret-key-0123456789\n",
            r#"{"session_key":"secret-key-0123456789","nca_roots":"#,
            r#"{"session_key":"secret-key-0123456789","nca_root":"x"}"#,
            r#"{"session_key":"  ","nca_roots":""}"#,
        ] {
            let e = ApiSecrets::parse(text).unwrap_err();
            assert!(!e.contains("secret-key-0123456789"), "{e}");
            assert!(!e.is_empty());
        }
    }
}
