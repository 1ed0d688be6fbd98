//! Each function's configuration, in one typed place: read once from the environment at cold
//! start (set by `infra/template.yaml`), checked against what the function needs, with one error
//! naming every variable that is missing.

use crate::function::{Function, Trigger};
use crate::Error;

/// Configuration from the environment, set by `infra/template.yaml`.
#[derive(Clone)]
pub struct Settings {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table: String,
    /// `SESSION_PUBLIC_KEYS`: the RSA public key(s), PEM, that session tokens are checked with
    /// (every function that serves routes, and the authorizer). Configuration, not a secret.
    pub session_public_keys: Option<String>,
    /// `SESSION_SIGNING_SECRET_ID`: the secret with the session private key
    /// ([`kezek_aws::SessionSigningSecret`]), read at cold start by the functions that log people
    /// in, and by no other.
    pub session_signing_secret: Option<String>,
    /// `KEZEK_SESSION_PRIVATE_KEY`: the session private key (PEM) when no secret is named
    /// (local runs); its public key is the first of `SESSION_PUBLIC_KEYS`.
    pub session_private_key: Option<String>,
    /// `CODE_KEY_SECRET_ID`: the secret with the key of the one-time codes' hashes and the EDS
    /// nonces ([`kezek_aws::CodeKeySecret`]), read by the functions that check codes.
    pub code_key_secret: Option<String>,
    /// `KEZEK_CODE_KEY`: that key when no secret is named (local runs).
    pub code_key: Option<Vec<u8>>,
    /// `REGISTERS_SECRET_ID`: the secret with the registers gateway's bearer token
    /// ([`kezek_aws::RegistersSecret`]), read by the functions that ask the registers when
    /// `REGISTERS_URL` is set; none when the gateway needs no token.
    pub registers_secret: Option<String>,
    /// `NCA_ROOTS_PEM`: the NCA root certificates trusted for EDS (public certificates:
    /// configuration, not a secret); none trusted when unset.
    pub nca_roots: Option<String>,
    /// How an EDS signer certificate's revocation is checked: always
    /// [`kezek_http::Revocation::Checked`] from the environment — OCSP at `EDS_OCSP_URL` (else
    /// the responder the certificate names), then the CRL at `EDS_CRL_URL` (else the
    /// certificate's distribution point); both optional. No variable turns the check off:
    /// [`kezek_http::Revocation::NotChecked`] is set in code only (tests with a test PKI).
    pub eds_revocation: kezek_http::Revocation,
    /// `DOCUMENTS_BUCKET`: the S3 bucket of documents (the functions that make or list them).
    pub documents_bucket: Option<String>,
    /// `S3_FORCE_PATH_STYLE`: address the bucket in the path (an endpoint without bucket
    /// subdomains).
    pub s3_path_style: bool,
    /// `REGISTERS_URL`: the state registers' JSON gateway ([`kezek_registers`]); the built-in
    /// registers when unset (development stacks only).
    pub registers_url: Option<String>,
    /// `SENDER_EMAIL`: the SES identity e-mail goes from (the notifier).
    pub sender_email: Option<String>,
    /// `NOTIFICATION_QUEUE_URL`: the notifier's queue (the relay and the expiry sweep).
    pub queue_url: Option<String>,
    /// `SWEEP_QUEUE_URL`: the sweep's work queue (the expiry sweep and the reconfirmation
    /// reminder: a scheduled sweep sends its parts there, and does each part it receives).
    pub sweep_queue_url: Option<String>,
    /// `MAX_RECEIVES`: the queue's receives before the dead-letter queue (the notifier).
    pub max_receives: Option<u32>,
    /// `SUPPORT_PHONE`: the support phone every page of the portal shows (the web function);
    /// eGov's contact centre, 1414, when unset.
    pub support_phone: String,
    /// `NCALAYER_URL`: where the portal's pages find NCALayer; its own address on the parent's
    /// computer (`wss://127.0.0.1:13579`) when unset.
    pub ncalayer_url: Option<String>,
    /// `DASHBOARD_URL`: the stack's CloudWatch dashboard, linked from the operators' numbers
    /// (the web function); no link when unset.
    pub dashboard_url: Option<String>,
    /// `CALENDAR_FROM_TABLE=true`: read the working-day calendar files an operator published in
    /// the table (`kezek-admin calendar-publish`) at cold start, over the shipped years.
    pub calendar_from_table: bool,
}

/// A function's configuration lacks what the function needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Missing {
    pub function: &'static str,
    /// The variables (and what each is for), in the order the function needs them.
    pub variables: Vec<(&'static str, &'static str)>,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: configuration missing:", self.function)?;
        for (i, (name, what)) in self.variables.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}{name} is not set ({what})")?;
        }
        Ok(())
    }
}

/// As the text: a `main` that stops on it prints `Error: <the text>`.
impl std::fmt::Debug for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Missing {}

impl Settings {
    /// Reads the environment once; [`Settings::check`] says what a function lacks.
    pub fn from_env() -> Result<Settings, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Ok(Settings {
            table: var("TABLE_NAME").unwrap_or_default(),
            session_public_keys: var("SESSION_PUBLIC_KEYS"),
            session_signing_secret: var("SESSION_SIGNING_SECRET_ID"),
            session_private_key: var("KEZEK_SESSION_PRIVATE_KEY"),
            code_key_secret: var("CODE_KEY_SECRET_ID"),
            code_key: var("KEZEK_CODE_KEY").map(String::into_bytes),
            registers_secret: var("REGISTERS_SECRET_ID"),
            nca_roots: var("NCA_ROOTS_PEM"),
            eds_revocation: kezek_http::Revocation::Checked(kezek_http::RevocationSources::new(
                var("EDS_OCSP_URL"),
                var("EDS_CRL_URL"),
            )),
            registers_url: var("REGISTERS_URL"),
            documents_bucket: var("DOCUMENTS_BUCKET"),
            s3_path_style: var("S3_FORCE_PATH_STYLE").is_some_and(|v| v == "true"),
            sender_email: var("SENDER_EMAIL"),
            queue_url: var("NOTIFICATION_QUEUE_URL"),
            sweep_queue_url: var("SWEEP_QUEUE_URL"),
            max_receives: var("MAX_RECEIVES").and_then(|v| v.parse().ok()),
            support_phone: var("SUPPORT_PHONE").unwrap_or_else(|| "1414".to_owned()),
            ncalayer_url: var("NCALAYER_URL"),
            dashboard_url: var("DASHBOARD_URL"),
            calendar_from_table: var("CALENDAR_FROM_TABLE").is_some_and(|v| v == "true"),
        })
    }

    /// The environment of `function`, checked: every variable it needs and lacks is named in
    /// one error.
    pub fn for_function(function: Function) -> Result<Settings, Error> {
        let settings = Settings::from_env()?;
        settings.check(function)?;
        Ok(settings)
    }

    /// What `function` needs and this configuration lacks.
    pub fn check(&self, function: Function) -> Result<(), Missing> {
        let mut variables = Vec::new();
        if self.table.is_empty() {
            variables.push(("TABLE_NAME", "the DynamoDB table"));
        }
        if function.needs_sessions() && self.session_public_keys.is_none() {
            variables.push((
                "SESSION_PUBLIC_KEYS",
                "the RSA public key(s) session tokens are checked with",
            ));
        }
        if function.signs_sessions()
            && self.session_signing_secret.is_none()
            && self.session_private_key.is_none()
        {
            variables.push((
                "SESSION_SIGNING_SECRET_ID",
                "the secret with the session private key; KEZEK_SESSION_PRIVATE_KEY on a local run",
            ));
        }
        if function.checks_codes() && self.code_key_secret.is_none() && self.code_key.is_none() {
            variables.push((
                "CODE_KEY_SECRET_ID",
                "the secret with the one-time codes' key; KEZEK_CODE_KEY on a local run",
            ));
        }
        if (function.keeps_documents() || function.publishes_open_data())
            && self.documents_bucket.is_none()
        {
            variables.push((
                "DOCUMENTS_BUCKET",
                "the S3 bucket of documents and of the open data",
            ));
        }
        if function.trigger() == Trigger::Queue && self.sender_email.is_none() {
            variables.push(("SENDER_EMAIL", "the SES identity e-mail goes from"));
        }
        if function.publishes() && self.queue_url.is_none() {
            variables.push(("NOTIFICATION_QUEUE_URL", "the notifier's SQS queue"));
        }
        if function.sweeps() && self.sweep_queue_url.is_none() {
            variables.push(("SWEEP_QUEUE_URL", "the sweep's work queue of parts"));
        }
        if variables.is_empty() {
            Ok(())
        } else {
            Err(Missing {
                function: function.name(),
                variables,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Settings {
        Settings {
            table: String::new(),
            session_public_keys: None,
            session_signing_secret: None,
            session_private_key: None,
            code_key_secret: None,
            code_key: None,
            registers_secret: None,
            nca_roots: None,
            eds_revocation: kezek_http::Revocation::default(),
            documents_bucket: None,
            s3_path_style: false,
            registers_url: None,
            sender_email: None,
            queue_url: None,
            sweep_queue_url: None,
            max_receives: None,
            support_phone: "1414".into(),
            ncalayer_url: None,
            dashboard_url: None,
            calendar_from_table: false,
        }
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let missing = empty().check(Function::ExpirySweep).unwrap_err();
        let names: Vec<&str> = missing.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "TABLE_NAME",
                "SESSION_PUBLIC_KEYS",
                "NOTIFICATION_QUEUE_URL",
                "SWEEP_QUEUE_URL"
            ]
        );
        // Only the login function asks for the signing key; the code-checking ones for the code
        // key; a reader for neither.
        let auth = empty().check(Function::Auth).unwrap_err();
        let names: Vec<&str> = auth.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "TABLE_NAME",
                "SESSION_PUBLIC_KEYS",
                "SESSION_SIGNING_SECRET_ID",
                "CODE_KEY_SECRET_ID"
            ]
        );
        let submit = empty().check(Function::Submit).unwrap_err();
        let names: Vec<&str> = submit.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["TABLE_NAME", "SESSION_PUBLIC_KEYS", "CODE_KEY_SECRET_ID"]
        );
        let read = empty().check(Function::ReadApi).unwrap_err();
        let names: Vec<&str> = read.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["TABLE_NAME", "SESSION_PUBLIC_KEYS"]);
        let text = missing.to_string();
        assert!(
            text.starts_with("expiry-sweep: configuration missing: TABLE_NAME is not set"),
            "{text}"
        );
        assert!(text.contains("NOTIFICATION_QUEUE_URL is not set (the notifier's SQS queue)"));
        let notifier = empty().check(Function::Notifier).unwrap_err();
        let names: Vec<&str> = notifier.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["TABLE_NAME", "SENDER_EMAIL"]);
        let documents = empty().check(Function::IssueDocuments).unwrap_err();
        let names: Vec<&str> = documents.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["TABLE_NAME", "DOCUMENTS_BUCKET"]);
        // The reconfirmation function exports the open data to the bucket.
        let reconfirmation = empty().check(Function::ReconfirmationReminder).unwrap_err();
        let names: Vec<&str> = reconfirmation.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "TABLE_NAME",
                "SESSION_PUBLIC_KEYS",
                "DOCUMENTS_BUCKET",
                "SWEEP_QUEUE_URL"
            ]
        );
    }

    #[test]
    fn a_local_run_needs_the_table_and_its_keys_only() {
        let mut s = empty();
        s.table = "kezek".into();
        s.session_public_keys = Some("PEM".into());
        assert_eq!(s.check(Function::ReadApi), Ok(()));
        assert_eq!(s.check(Function::Authorizer), Ok(()));
        s.code_key = Some(b"k".repeat(32));
        assert_eq!(s.check(Function::Confirm), Ok(()));
        s.session_private_key = Some("PEM".into());
        assert_eq!(s.check(Function::Auth), Ok(()));
        s.session_public_keys = None;
        let missing = s.check(Function::ReadApi).unwrap_err();
        assert_eq!(missing.variables[0].0, "SESSION_PUBLIC_KEYS");
    }
}
