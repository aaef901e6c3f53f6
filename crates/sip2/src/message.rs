//! Encoding the four requests Lyceum sends: login (93), SC status (99), patron status (23)
//! and patron information (63), and framing them with the `AY`/`AZ` trailer.
//!
//! The encoders take the transaction date as an argument instead of reading the clock, so
//! the transcript tests can reproduce a real client's bytes exactly. Every value that goes
//! into a variable field is checked first: a `|` in a card number would end the field early
//! and let the rest be read as another field (a field-separator injection), and a CR or LF
//! would end the whole frame.
//!
//! A request carries the PIN, so its bytes live in a `SecretSlice` (zeroed on drop) and its
//! `Debug` shows only the message id.

use std::fmt;

use chrono::{Datelike, NaiveDateTime, Timelike};
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use crate::checksum::{checksum, format_checksum};

/// How a frame ends on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    /// A carriage return alone, as the SIP2 spec says.
    #[default]
    Cr,
    /// CR LF, which some ILS front ends (telnet-style listeners) expect.
    CrLf,
}

impl Terminator {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Cr => b"\r",
            Self::CrLf => b"\r\n",
        }
    }
}

/// The longest value we put in one field. Card numbers and PINs are short; the bound keeps a
/// caller from making us send (and the ILS from logging) a huge frame.
pub const MAX_FIELD_LEN: usize = 255;

/// Why a value cannot be put in a request. The message names the field, never its value,
/// because the value may be a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The value contains `|` or a control character (CR, LF, NUL, …).
    #[error("the {field} contains a field separator '|' or a control character")]
    ForbiddenCharacter {
        /// Which field, e.g. "card number".
        field: &'static str,
    },
    /// The value is longer than [`MAX_FIELD_LEN`] bytes.
    #[error("the {field} is longer than {MAX_FIELD_LEN} bytes")]
    TooLong {
        /// Which field, e.g. "PIN".
        field: &'static str,
    },
}

fn checked<'a>(field: &'static str, value: &'a str) -> Result<&'a str, FieldError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(FieldError::TooLong { field });
    }
    if value.chars().any(|c| c == '|' || c.is_control()) {
        return Err(FieldError::ForbiddenCharacter { field });
    }
    Ok(value)
}

/// One encoded request, without its trailer and terminator.
pub struct Request {
    message_id: &'static str,
    body: SecretSlice<u8>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("message_id", &self.message_id)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// The two-digit message id, e.g. "63".
    pub fn message_id(&self) -> &'static str {
        self.message_id
    }

    /// The bytes to write: body, then `AYn AZxxxx` when `sequence` is given (error
    /// detection on), then the terminator.
    ///
    /// A `|` goes before `AY` unless the body already ends in one; that is what the
    /// Evergreen transcript's client does after the fixed-only SC status message
    /// (`9900302.00|AY1…`), and servers accept it after fields too.
    pub fn to_wire(&self, sequence: Option<u8>, terminator: Terminator) -> SecretSlice<u8> {
        let body = self.body.expose_secret();
        // Sized up front so the PIN is never copied by a reallocation into freed memory.
        let mut wire = Vec::with_capacity(body.len() + 16);
        wire.extend_from_slice(body);
        if let Some(sequence) = sequence {
            if !body.ends_with(b"|") {
                wire.push(b'|');
            }
            wire.extend_from_slice(b"AY");
            wire.push(b'0' + sequence % 10);
            wire.extend_from_slice(b"AZ");
            let sum = checksum(&wire);
            wire.extend_from_slice(&format_checksum(sum));
        }
        wire.extend_from_slice(terminator.bytes());
        SecretSlice::from(wire)
    }
}

/// Builds a request from parts, sized up front (see [`Request::to_wire`]).
fn request(message_id: &'static str, parts: &[&str]) -> Request {
    let len = parts.iter().map(|part| part.len()).sum();
    let mut body = Vec::with_capacity(len);
    for part in parts {
        body.extend_from_slice(part.as_bytes());
    }
    Request {
        message_id,
        body: SecretSlice::from(body),
    }
}

/// Formats a SIP2 date, `YYYYMMDDZZZZHHMMSS`, with the zone left blank.
///
/// The spec reads a blank zone as the sender's local time and allows a trailing `Z` for
/// UTC. We send UTC with a blank zone, as Evergreen's own client code does, because the
/// servers we know ignore the transaction date of 23/63 and a `Z` is one more thing an old
/// ILS parser could trip on.
pub fn sip_date(at: NaiveDateTime) -> String {
    // Clamped so an absurd year cannot widen the fixed part and shift every later field.
    let year = at.year().clamp(0, 9999);
    format!(
        "{year:04}{:02}{:02}    {:02}{:02}{:02}",
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Login (93): `9300CN{user}|CO{password}|CP{location}|`. The `00` says user id and
/// password are sent in the clear (the only algorithm servers implement; use TLS).
pub fn login(
    user: &str,
    password: &SecretString,
    location: Option<&str>,
) -> Result<Request, FieldError> {
    let user = checked("SC login user", user)?;
    let password = checked("SC login password", password.expose_secret())?;
    let location = location
        .map(|location| checked("SC location", location))
        .transpose()?;
    let mut parts = vec!["9300CN", user, "|CO", password, "|"];
    if let Some(location) = location {
        parts.extend(["CP", location, "|"]);
    }
    Ok(request("93", &parts))
}

/// SC status (99): status 0 (printer fine), print width 030, protocol version 2.00.
pub fn sc_status() -> Request {
    request("99", &["9900302.00"])
}

/// Patron status (23): language 001 (English), the date, then institution, card, an empty
/// terminal password and the PIN.
pub fn patron_status(
    institution: &str,
    card: &str,
    pin: &str,
    at: NaiveDateTime,
) -> Result<Request, FieldError> {
    let institution = checked("institution id", institution)?;
    let card = checked("card number", card)?;
    let pin = checked("PIN", pin)?;
    let date = sip_date(at);
    Ok(request(
        "23",
        &[
            "23001",
            &date,
            "AO",
            institution,
            "|AA",
            card,
            "|AC|AD",
            pin,
            "|",
        ],
    ))
}

/// Patron information (63): like 23 plus a ten-blank summary (we ask for no item lists) and
/// `BP1|BQ5` (start and end item), which the transcript's client sends and some servers
/// require even when the summary asks for nothing.
pub fn patron_information(
    institution: &str,
    card: &str,
    pin: &str,
    at: NaiveDateTime,
) -> Result<Request, FieldError> {
    let institution = checked("institution id", institution)?;
    let card = checked("card number", card)?;
    let pin = checked("PIN", pin)?;
    let date = sip_date(at);
    Ok(request(
        "63",
        &[
            "63001",
            &date,
            "          AO",
            institution,
            "|AA",
            card,
            "|AC|AD",
            pin,
            "|BP1|BQ5|",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_with_a_field_separator_is_refused_before_encoding() {
        // "123|AD0000" would otherwise smuggle a second PIN field into the request.
        let at = NaiveDateTime::default();
        let refused = patron_status("INST", "123|AD0000", "1", at);
        assert_eq!(
            refused.err(),
            Some(FieldError::ForbiddenCharacter {
                field: "card number"
            })
        );
    }

    #[test]
    fn a_pin_with_a_carriage_return_is_refused_and_the_error_does_not_contain_it() {
        // A CR would end the frame; the error must name the field, not the value.
        let at = NaiveDateTime::default();
        let refused = patron_information("INST", "123", "98\r76", at);
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("PIN"));
        assert!(!message.contains("98"));
    }

    #[test]
    fn debug_of_a_request_shows_only_its_message_id() {
        // Requests hold the PIN; a stray `{:?}` in a log line must not print it.
        let at = NaiveDateTime::default();
        let request = patron_status("INST", "123", "secretpin", at).expect("valid fields");
        let shown = format!("{request:?}");
        assert!(shown.contains("23"));
        assert!(!shown.contains("secretpin"));
    }
}
