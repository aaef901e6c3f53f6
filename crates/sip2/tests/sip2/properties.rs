//! Property tests: the parser never panics on any bytes, and the encoder never lets a value
//! add, end or break a field.

use chrono::NaiveDateTime;
use lyceum_sip2::message::{self, MAX_FIELD_LEN};
use lyceum_sip2::{Terminator, checksum, parse_response};
use proptest::prelude::*;
use secrecy::ExposeSecret;

fn server_lines() -> Vec<Vec<u8>> {
    include_str!("../data/evergreen-sipserver-transcript.txt")
        .lines()
        .filter_map(|line| line.strip_prefix("S: "))
        .map(|line| line.as_bytes().to_vec())
        .collect()
}

proptest! {
    #[test]
    fn parse_response_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        // Whatever a server sends, we return Ok or Err.
        let _ = parse_response(&bytes);
    }

    #[test]
    fn parse_response_never_panics_on_mutated_real_replies(
        which in 0usize..7,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        // Real replies with bytes replaced, inserted and removed, then truncated.
        let lines = server_lines();
        let mut line = lines.get(which % lines.len()).cloned().unwrap_or_default();
        for (at, byte, kind) in edits {
            if line.is_empty() { break; }
            let at = at.index(line.len());
            match kind {
                0 => line[at] = byte,
                1 => line.insert(at, byte),
                _ => { line.remove(at); }
            }
        }
        let _ = parse_response(&line);
        let keep = cut.index(line.len() + 1);
        let _ = parse_response(&line[..keep]);
    }

    #[test]
    fn the_encoder_never_emits_a_field_injection(card in ".{0,40}", pin in ".{0,40}") {
        // Any card and PIN: either refused, or exactly the fields we meant, one CR, a
        // verifying checksum.
        let at = NaiveDateTime::default();
        match message::patron_information("INST", &card, &pin, at) {
            Err(_) => prop_assert!(
                card.contains('|') || pin.contains('|')
                    || card.chars().any(char::is_control) || pin.chars().any(char::is_control)
                    || card.len() > MAX_FIELD_LEN || pin.len() > MAX_FIELD_LEN
            ),
            Ok(request) => {
                let wire = request.to_wire(Some(3), Terminator::Cr);
                let bytes = wire.expose_secret();
                let frame = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                prop_assert!(!frame.iter().any(|b| *b == b'\r' || *b == b'\n' || *b == 0));
                prop_assert!(checksum::verify(frame));
                let codes: Vec<&[u8]> = frame
                    .split(|b| *b == b'|')
                    .skip(1)
                    .map(|field| field.get(..2).unwrap_or(field))
                    .collect();
                let expected: [&[u8]; 6] = [b"AA", b"AC", b"AD", b"BP", b"BQ", b"AY"];
                prop_assert_eq!(codes, expected.to_vec());
            }
        }
    }
}
