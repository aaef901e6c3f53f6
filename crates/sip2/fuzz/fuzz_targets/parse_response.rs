//! Feeds arbitrary bytes to the SIP2 reply parser and the checksum check, which read what a
//! library's server sends and must never panic on it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lyceum_sip2::parse_response(data);
    let _ = lyceum_sip2::checksum::verify(data);
});
