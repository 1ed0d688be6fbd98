//! The API functions' secrets, read from Secrets Manager once per cold start: the session signing
//! key and the NCA root certificates trusted for EDS.

/// What the secret holds. Its text is JSON `{"session_key": "...", "nca_roots": "<PEM>"}`
/// (`infra/template.yaml` generates `session_key`; operators add the NCA roots), or the bare
/// session key.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ApiSecrets {
    pub session_key: String,
    #[serde(default)]
    pub nca_roots: String,
    /// The bearer token of the state registers' gateway (`REGISTERS_URL`), if it needs one.
    #[serde(default)]
    pub registers_token: String,
}

impl ApiSecrets {
    /// The secret's text as JSON, or the bare key.
    pub fn parse(text: &str) -> ApiSecrets {
        serde_json::from_str(text).unwrap_or_else(|_| ApiSecrets {
            session_key: text.trim().to_owned(),
            nca_roots: String::new(),
            registers_token: String::new(),
        })
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
    Ok(ApiSecrets::parse(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_or_bare_key() {
        let s = ApiSecrets::parse(r#"{"session_key":"k","nca_roots":"-----BEGIN"}"#);
        assert_eq!(
            (s.session_key.as_str(), s.nca_roots.as_str()),
            ("k", "-----BEGIN")
        );
        let s = ApiSecrets::parse(" bare-key\n");
        assert_eq!(
            (s.session_key.as_str(), s.nca_roots.as_str()),
            ("bare-key", "")
        );
    }
}
