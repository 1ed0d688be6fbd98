//! One request as a handler sees it: the language, the path's parameters, the query and the
//! body (read once, up to [`MAX_BODY`]), with parsers that name the field at fault.

use crate::error::HttpError;
use crate::{parse_json, Api, MAX_BODY};
use kezek_core::domain::Language;
use kezek_core::{Failure, Principal};
use lambda_http::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

/// A request matched to its route.
pub struct Call {
    /// The language of messages (`Accept-Language`).
    pub lang: Language,
    params: Vec<String>,
    headers: HeaderMap,
    query: String,
    /// The body, or `None` when it was larger than [`MAX_BODY`].
    body: Option<bytes::Bytes>,
}

impl Call {
    /// A call of the route `template` (`/v1/applications/{id}`) for the request path `path`.
    pub fn new(
        template: &str,
        path: &str,
        query: Option<&str>,
        headers: HeaderMap,
        body: Option<bytes::Bytes>,
    ) -> Call {
        let params = template
            .split('/')
            .zip(path.trim_end_matches('/').split('/'))
            .filter(|(t, _)| t.starts_with('{'))
            // As the client sent it, percent-encoded (a registration number is Cyrillic).
            .map(|(_, s)| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        Call {
            lang: crate::language(&headers),
            params,
            headers,
            query: query.unwrap_or_default().to_owned(),
            body,
        }
    }

    /// The `i`-th parameter of the path (`{id}`).
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }

    /// The caller's principal from `Authorization: Bearer <token>`.
    pub fn who(&self, api: &Api) -> Result<Principal, Failure> {
        let unauthorized = Failure::Unauthorized {
            code: "unauthorized",
        };
        let header = self
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(unauthorized.clone())?;
        let token = crate::session::bearer_token(header).ok_or(unauthorized)?;
        api.sessions.verify(token)
    }

    fn bytes(&self) -> Result<&[u8], HttpError> {
        self.body
            .as_deref()
            .ok_or(HttpError::TooLarge { max: MAX_BODY })
    }

    /// The JSON body as `T`.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        Ok(parse_json(self.bytes()?)?)
    }

    /// Actions without a body accept none, `{}` or a JSON object (e.g. with a `signature`).
    pub fn optional_body(&self) -> Result<Option<serde_json::Value>, HttpError> {
        let b = self.bytes()?;
        if b.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let object = parse_json::<serde_json::Map<String, serde_json::Value>>(b)?;
        Ok(Some(serde_json::Value::Object(object)))
    }

    /// The query string as `T`.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_urlencoded::from_str(&self.query).map_err(|_| Failure::BadInput {
            code: "invalid_field",
            field: Some("query".into()),
        })
    }
}
