//! The vulnerability database.
//!
//! - [`feeds`]: parsers for each upstream format, pure functions from bytes to records.
//! - [`import`]: walks a directory laid out like the upstream mirrors and builds a [`Db`].
//! - [`store`]: the on-disk form: one generation directory per build, swapped in atomically.
//! - [`update`]: downloads the live feeds (or a mirror) into such a directory.

pub mod feeds;
pub mod import;
pub mod model;
pub mod store;
pub mod update;

pub use model::{Advisory, CvssInfo, Db, FeedInfo, FixState, Interval, Severity, VendorSeverity};
pub use store::{Store, StoreError};

/// Why a feed could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("{feed}: {message}")]
pub struct FeedError {
    /// Feed name (`alpine-secdb`, `debian-tracker`...).
    pub feed: String,
    /// File and reason.
    pub message: String,
}

impl FeedError {
    pub(crate) fn new(feed: &str, message: impl Into<String>) -> Self {
        FeedError {
            feed: feed.to_string(),
            message: message.into(),
        }
    }
}
