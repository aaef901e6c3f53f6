//! Checking a library patron's card and PIN against the library's ILS over SIP2 (3M
//! Standard Interchange Protocol 2.00), and a conformant test server to check it against.
//!
//! A patron signs in to Lyceum with library card + PIN; [`Sip2Client::check_patron`] asks
//! the ILS live and returns a [`PatronVerdict`]. That verdict is *all* that leaves this crate
//! about a patron: the ILS's reply carries the patron's name, address, e-mail, phone and birth
//! date, and the parser skips them unread, so they cannot be kept, returned or logged. The
//! PIN exists only in memory during the check, inside a buffer zeroed on drop, and no error
//! or `Debug` output contains it.
//!
//! ```no_run
//! # async fn example() -> Result<(), lyceum_sip2::Sip2Error> {
//! use lyceum_sip2::{PatronVerdict, Sip2Client, Sip2Config};
//!
//! let config = Sip2Config::new("ils.example.org", 6001, "MAIN", "lyceum", "sc-secret".into());
//! let client = Sip2Client::new(config);
//! let today = chrono::Utc::now().date_naive();
//! match client.check_patron("20000001", "1234", today).await? {
//!     PatronVerdict::Valid => { /* sign in */ }
//!     other => { /* tell the patron, by the verdict only */ let _ = other; }
//! }
//! # Ok(()) }
//! ```
//!
//! The rooms:
//! - [`client`](Sip2Client): configuration, the pooled connection, retries and timeouts;
//! - `verdict`: the rules that turn a reply into a verdict, in order, with their reasons;
//! - [`message`]: encoding requests (and refusing values that would inject fields);
//! - [`parse_response`]: reading replies, never panicking (fuzzed from `fuzz/`);
//! - [`checksum`]: the `AZ` checksum;
//! - [`testserver`]: the test server used by Lyceum's tests and `lyceum dev sip2-server`.

pub mod checksum;
mod client;
pub mod message;
mod response;
pub mod testserver;
mod transport;
mod verdict;
mod wire;

pub use client::{ServerStatus, Sip2Client, Sip2Config, Sip2Error};
pub use message::Terminator;
pub use response::{
    Expiry, ParseError, PatronFlag, PatronReply, PatronStatusMask, Response, ResponseMessage,
    parse_response,
};
pub use verdict::{BlockReason, PatronVerdict};
pub use wire::{ChecksumStatus, MAX_FRAME_LEN};
