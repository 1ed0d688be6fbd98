//! The HTTP layer's failures: the core's [`Failure`] of a use case, and the failures only HTTP
//! has (405, 413), in the contract's error shape.

use kezek_core::Failure;

/// Why a request got no answer of its route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// A use case's (or its input's) failure.
    #[error(transparent)]
    Core(#[from] Failure),
    /// 405: the path is a route with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413: the body is larger than `max` bytes.
    #[error("body too large")]
    TooLarge { max: usize },
}

impl HttpError {
    /// The stable error code of the contract.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::Core(f) => f.code(),
            HttpError::MethodNotAllowed => "method_not_allowed",
            HttpError::TooLarge { .. } => "body_too_large",
        }
    }

    /// The HTTP status of the contract.
    pub fn http_status(&self) -> u16 {
        match self {
            HttpError::Core(f) => f.http_status(),
            HttpError::MethodNotAllowed => 405,
            HttpError::TooLarge { .. } => 413,
        }
    }

    /// The HTTP-only failures, each once (their codes must have messages).
    pub fn http_only() -> [HttpError; 2] {
        [HttpError::MethodNotAllowed, HttpError::TooLarge { max: 1 }]
    }
}
