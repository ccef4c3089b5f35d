use std::fmt;

/// What went wrong talking to a registry, precise enough to print to a user.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    /// The class of failure.
    pub kind: ErrorKind,
    /// Human-readable detail (URL, status, digest...). Never contains secrets.
    pub message: String,
}

/// Classes of registry failure; `Transient` ones are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The image reference could not be parsed.
    InvalidReference,
    /// Credentials were refused or missing.
    Unauthorized,
    /// Manifest, tag or blob does not exist.
    NotFound,
    /// The registry sent a manifest we cannot use (bad JSON, schema 1, no matching platform).
    BadManifest,
    /// Content did not hash to the digest it was fetched by.
    DigestMismatch,
    /// Network failure, timeout, 429 or 5xx after all retries.
    Transient,
    /// Any other HTTP status or protocol violation.
    Protocol,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::InvalidReference => "invalid image reference",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::NotFound => "not found",
            ErrorKind::BadManifest => "bad manifest",
            ErrorKind::DigestMismatch => "digest mismatch",
            ErrorKind::Transient => "registry unavailable",
            ErrorKind::Protocol => "registry protocol error",
        })
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
}
