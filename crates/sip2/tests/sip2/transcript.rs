//! The Evergreen SIPServer transcript in `tests/data`: our encoder must produce the client's
//! lines byte for byte from the same inputs, every checksum must verify, and every server
//! line must parse to what it says.

use chrono::NaiveDate;
use lyceum_sip2::message::{self, Request};
use lyceum_sip2::{ResponseMessage, Terminator, checksum, parse_response};
use secrecy::{ExposeSecret, SecretString};

const TRANSCRIPT: &str = include_str!("../data/evergreen-sipserver-transcript.txt");

fn lines(prefix: &str) -> Vec<&'static str> {
    TRANSCRIPT
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .collect()
}

fn wire_without_terminator(request: &Request, sequence: u8) -> String {
    let wire = request.to_wire(Some(sequence), Terminator::Cr);
    let bytes = wire.expose_secret();
    String::from_utf8_lossy(bytes.strip_suffix(b"\r").unwrap_or(bytes)).into_owned()
}

#[test]
fn the_encoder_reproduces_every_client_line_of_the_transcript() {
    // Same inputs as the Evergreen session: SC login, status, then 23/63 with the date
    // 2026-11-24 12:00:00 and sequence numbers 0 to 6.
    let at = NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("a valid date");
    let password = SecretString::from("clientpwd");
    let encoded = [
        message::login("scclient", &password, Some("WORKSTATION")),
        Ok(message::sc_status()),
        message::patron_status("UWOLS", "djfiander", "6789", at),
        message::patron_information("UWOLS", "djfiander", "6789", at),
        message::patron_status("UWOLS", "djfiander", "0000", at),
        message::patron_status("UWOLS", "nobody", "6789", at),
        message::patron_status("UWOLS", "miker", "6789", at),
    ];
    let expected = lines("C: ");
    assert_eq!(expected.len(), encoded.len());
    for ((sequence, request), expected) in (0u8..).zip(encoded).zip(expected) {
        let request = request.expect("the transcript's values are valid fields");
        assert_eq!(wire_without_terminator(&request, sequence), expected);
    }
}

#[test]
fn every_line_of_the_transcript_has_a_valid_checksum() {
    // Both directions were captured with error detection on.
    for line in lines("C: ").into_iter().chain(lines("S: ")) {
        assert!(checksum::verify(line.as_bytes()), "{line}");
    }
}

#[test]
fn every_server_line_of_the_transcript_parses_to_the_reply_it_is() {
    // 94, 98, then 24/64 replies, each with the sequence number of its request.
    let ids: Vec<&str> = lines("S: ")
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let parsed = parse_response(line.as_bytes()).expect("a real server's reply");
            assert_eq!(parsed.sequence, u8::try_from(index).ok());
            assert_eq!(parsed.checksum, lyceum_sip2::ChecksumStatus::Valid);
            if let ResponseMessage::AcsStatus(status) = &parsed.message {
                assert_eq!(status.protocol_version, "2.00");
                assert_eq!(status.institution.as_deref(), Some("UWOLS"));
                assert!(status.online);
            }
            parsed.message.id()
        })
        .collect();
    assert_eq!(ids, ["94", "98", "24", "64", "24", "24", "24"]);
}
