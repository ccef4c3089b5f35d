//! OCI Distribution v2 client.
//!
//! Speaks to real registries over HTTPS (or plain HTTP for `--insecure`
//! registries), handles anonymous, Basic and Bearer-token auth, resolves
//! Docker schema 2 and OCI manifests and multi-platform indexes, and hands out
//! blob streams whose SHA-256 is checked while they are read.

mod auth;
mod client;
mod error;
mod manifest;
mod reference;

pub use auth::{Credentials, DockerConfig};
pub use client::{BlobReader, Client, ClientOptions, ResolvedImage};
pub use error::{Error, ErrorKind};
pub use manifest::{media, Descriptor, Platform};
pub use reference::Reference;
