//! Framing shared by both directions of SIP2: splitting a frame into its body and its
//! `AY`/`AZ` error-detection trailer, walking the `|`-separated variable fields, and reading
//! frames off a byte stream with a size bound.
//!
//! Everything here takes bytes from the network and must never panic on them: no slicing
//! by index, only `.get()`. Nothing here logs, because frames carry PINs and patron data.

use secrecy::zeroize::Zeroize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::checksum::checksum;

/// The most bytes one frame may have before its terminator. Real replies are a few hundred
/// bytes; the bound is what stops a garbage-speaking server from filling our memory.
pub const MAX_FRAME_LEN: usize = 8 * 1024;

/// What the `AZ` trailer of a frame says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The frame has no `AZ` trailer (error detection off at the sender).
    Absent,
    /// The trailer is present and matches the bytes before it.
    Valid,
    /// The trailer is present and does not match: the frame was damaged or forged.
    Invalid,
}

/// A frame split into its message body and its error-detection trailer.
pub(crate) struct Trailer<'a> {
    /// Message id, fixed part and variable fields, without `AY`/`AZ`.
    pub body: &'a [u8],
    /// The `AY` sequence number, when the frame carried one.
    pub sequence: Option<u8>,
    pub checksum: ChecksumStatus,
}

/// Splits off `AYn` and `AZxxxx` from the end of a frame.
///
/// We only recognise the trailer at the very end, where the spec puts it, so a field value
/// that happens to contain "AZ" is left alone. `AY` is only looked for in front of `AZ`,
/// because the spec never sends one without the other.
pub(crate) fn split_trailer(frame: &[u8]) -> Trailer<'_> {
    let absent = Trailer {
        body: frame,
        sequence: None,
        checksum: ChecksumStatus::Absent,
    };
    let Some(az_at) = frame.len().checked_sub(6) else {
        return absent;
    };
    let (Some(b"AZ"), Some(hex)) = (frame.get(az_at..az_at + 2), frame.get(az_at + 2..)) else {
        return absent;
    };
    let Some(claimed) = parse_hex4(hex) else {
        return absent;
    };
    let computed = frame.get(..az_at + 2).map(checksum);
    let status = if computed == Some(claimed) {
        ChecksumStatus::Valid
    } else {
        ChecksumStatus::Invalid
    };

    let mut body_end = az_at;
    let mut sequence = None;
    if let Some(ay_at) = body_end.checked_sub(3)
        && frame.get(ay_at..ay_at + 2) == Some(b"AY")
        && let Some(&digit) = frame.get(ay_at + 2)
        && digit.is_ascii_digit()
    {
        sequence = Some(digit - b'0');
        body_end = ay_at;
    }
    Trailer {
        body: frame.get(..body_end).unwrap_or_default(),
        sequence,
        checksum: status,
    }
}

fn parse_hex4(hex: &[u8]) -> Option<u16> {
    if hex.len() != 4 {
        return None;
    }
    hex.iter().try_fold(0u16, |acc, &byte| {
        let digit = char::from(byte).to_digit(16)?;
        Some((acc << 4) | u16::try_from(digit).ok()?)
    })
}

/// One variable field: a two-character code and its value.
pub(crate) struct Field<'a> {
    pub code: [u8; 2],
    pub value: &'a [u8],
}

/// Walks the `|`-separated variable fields of a body. Empty pieces (the `|` that ends the
/// last field) are skipped; a piece too short to hold a field code is an error.
pub(crate) fn fields(variable_part: &[u8]) -> impl Iterator<Item = Result<Field<'_>, ()>> {
    variable_part
        .split(|&byte| byte == b'|')
        .filter(|piece| !piece.is_empty())
        .map(
            |piece| match (piece.first(), piece.get(1), piece.get(2..)) {
                (Some(&a), Some(&b), Some(value)) => Ok(Field {
                    code: [a, b],
                    value,
                }),
                _ => Err(()),
            },
        )
}

/// Strips any CR/LF bytes from the end of a line, so a frame read by someone else (a test,
/// the fuzzer) may still carry its terminator.
pub(crate) fn trim_terminators(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&byte| byte != b'\r' && byte != b'\n')
        .map_or(0, |last| last + 1);
    line.get(..end).unwrap_or_default()
}

/// Why a frame could not be read.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The peer closed the connection before a whole frame arrived.
    Closed,
    /// More than [`MAX_FRAME_LEN`] bytes arrived without a terminator.
    TooLong,
    Io(std::io::Error),
}

/// A byte stream read and written one SIP2 frame at a time.
///
/// Replies carry patron data (names, addresses) and requests carry PINs, so the read buffer
/// is allocated once at its full size (it never reallocates and leaves copies behind) and is
/// zeroed when discarded and on drop.
pub(crate) struct FramedStream<S> {
    stream: S,
    buffer: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> FramedStream<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            // Room for a maximal frame plus one read's worth, so `read_buf` never grows it.
            buffer: Vec::with_capacity(MAX_FRAME_LEN + READ_CHUNK),
        }
    }

    /// Reads one frame, accepting CR, LF or CRLF as its end. Terminators left over from a
    /// previous CRLF frame are skipped, so a server that ends lines differently from us
    /// still works. The returned line has no terminator.
    pub async fn read_frame(&mut self) -> Result<Vec<u8>, FrameError> {
        loop {
            let leading = self
                .buffer
                .iter()
                .position(|&byte| byte != b'\r' && byte != b'\n')
                .unwrap_or(self.buffer.len());
            self.buffer.drain(..leading);
            if let Some(end) = self
                .buffer
                .iter()
                .position(|&byte| byte == b'\r' || byte == b'\n')
            {
                if end > MAX_FRAME_LEN {
                    return Err(FrameError::TooLong);
                }
                return Ok(self.buffer.drain(..end).collect());
            }
            if self.buffer.len() > MAX_FRAME_LEN {
                return Err(FrameError::TooLong);
            }
            let room = (self.buffer.capacity() - self.buffer.len()).min(READ_CHUNK);
            let read = (&mut self.stream)
                .take(u64::try_from(room).unwrap_or(u64::MAX))
                .read_buf(&mut self.buffer)
                .await
                .map_err(FrameError::Io)?;
            if read == 0 {
                return Err(FrameError::Closed);
            }
        }
    }

    /// Writes one whole frame (terminator included) and flushes it.
    pub async fn write_frame(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(frame).await?;
        self.stream.flush().await
    }

    /// Forgets (and zeroes) anything read but not yet taken as a frame. Called before each
    /// request, because bytes that arrived unasked are not the reply to it.
    pub fn discard_buffered(&mut self) {
        self.buffer.zeroize();
    }
}

impl<S> Drop for FramedStream<S> {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

const READ_CHUNK: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trailer_of_a_login_reply_yields_sequence_and_a_valid_checksum() {
        // "941AY0AZFDFD" is the transcript's login reply.
        let trailer = split_trailer(b"941AY0AZFDFD");
        assert_eq!(trailer.body, b"941");
        assert_eq!(trailer.sequence, Some(0));
        assert_eq!(trailer.checksum, ChecksumStatus::Valid);
    }

    #[test]
    fn a_frame_without_az_has_an_absent_checksum_and_keeps_its_body() {
        // Error detection off: nothing is stripped.
        let trailer = split_trailer(b"941");
        assert_eq!(trailer.body, b"941");
        assert_eq!(trailer.sequence, None);
        assert_eq!(trailer.checksum, ChecksumStatus::Absent);
    }

    #[test]
    fn fields_skip_the_empty_piece_after_the_last_separator() {
        // "AOx|AA|" has two fields, the second with an empty value.
        let parsed: Vec<_> = fields(b"AOx|AA|").collect();
        assert_eq!(parsed.len(), 2);
    }

    #[tokio::test]
    async fn frames_ending_in_cr_lf_or_crlf_are_all_read() {
        // Servers differ in how they end lines; we accept all three.
        let (mut client, server) = tokio::io::duplex(256);
        client
            .write_all(b"one\rtwo\nthree\r\nfour\r")
            .await
            .expect("the duplex pipe is open");
        let mut framed = FramedStream::new(server);
        for expected in [&b"one"[..], b"two", b"three", b"four"] {
            let frame = framed.read_frame().await.expect("a whole frame was sent");
            assert_eq!(frame, expected);
        }
    }

    #[tokio::test]
    async fn a_frame_longer_than_the_bound_is_refused() {
        // A server that never sends a terminator must not grow our buffer without limit.
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let junk = vec![b'x'; MAX_FRAME_LEN + 10];
        client
            .write_all(&junk)
            .await
            .expect("the duplex pipe is open");
        let mut framed = FramedStream::new(server);
        assert!(matches!(
            framed.read_frame().await,
            Err(FrameError::TooLong)
        ));
    }
}
