//! Lyceum's domain core: the types and rules every other crate speaks in.
//!
//! This crate does no I/O. It compiles without tokio, SeaORM or axum, so a
//! rule written here can be tested in microseconds and reused by the web
//! layer, the storage layer and the command line alike.
//!
//! - [`domain`] holds values that are valid by construction (an [`domain::Email`]
//!   cannot hold a string without an `@`), typed ids, and the data map types
//!   that declare every personal field the platform stores.
//! - [`clock`] is the one source of time, injectable so that retention and
//!   expiry can be tested without sleeping.
#![deny(missing_docs)]

pub mod catalog_import;
pub mod clock;
pub mod credential;
pub mod domain;
