//! The SIP2 error-detection checksum (the `AZ` field), used by both the client and the test
//! server. It is a plain function of bytes so the transcript tests and the fuzz target can
//! call it directly; it must not know anything about messages.

/// The checksum SIP2 puts after `AZ`: the two's complement of the 16-bit sum of every byte
/// of the frame up to and including the characters `AZ`.
///
/// The spec defines it this way so that a receiver can add every byte *and* the checksum
/// and expect zero; [`verify`] does exactly that.
pub fn checksum(bytes: &[u8]) -> u16 {
    bytes
        .iter()
        .fold(0u16, |sum, &byte| sum.wrapping_add(u16::from(byte)))
        .wrapping_neg()
}

/// Formats a checksum as SIP2 writes it: four uppercase hex digits.
pub fn format_checksum(value: u16) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let nibble = |shift: u16| HEX[usize::from((value >> shift) & 0xF)];
    [nibble(12), nibble(8), nibble(4), nibble(0)]
}

/// Whether a whole frame (without its terminator) ends in an `AZxxxx` checksum that matches
/// the bytes before it. A frame with no `AZ` trailer does not verify.
pub fn verify(frame: &[u8]) -> bool {
    matches!(
        crate::wire::split_trailer(frame).checksum,
        crate::wire::ChecksumStatus::Valid
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_the_login_line_of_the_evergreen_transcript() {
        // The first client line of the transcript, up to and including "AZ".
        let sum = checksum(b"9300CNscclient|COclientpwd|CPWORKSTATION|AY0AZ");
        assert_eq!(&format_checksum(sum), b"F021");
    }

    #[test]
    fn a_frame_whose_last_hex_digit_changed_does_not_verify() {
        // One changed digit must be caught, or the check is worthless.
        assert!(verify(b"941AY0AZFDFD"));
        assert!(!verify(b"941AY0AZFDFE"));
    }
}
