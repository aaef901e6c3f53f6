//! The SIP2 crate's integration tests, in one binary so the link step happens once: the
//! Evergreen transcript, the client against the test server (every verdict, the faults), TLS,
//! privacy of PINs and patron data, and property tests of the parser and encoder.

mod client;
mod faults;
mod helpers;
mod privacy;
mod properties;
mod testserver;
mod tls;
mod transcript;
