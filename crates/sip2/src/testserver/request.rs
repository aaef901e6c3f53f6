//! The test server's reading of client requests (93, 99, 23, 63). Like the client's reply
//! parser it must never panic on what arrives; anything it cannot read becomes `Unknown`,
//! which the server answers with 96.

use crate::wire::{self, ChecksumStatus};

pub(super) struct ParsedRequest {
    pub message: RequestMessage,
    pub sequence: Option<u8>,
    pub checksum: ChecksumStatus,
}

pub(super) enum RequestMessage {
    Login { user: String, password: String },
    ScStatus,
    PatronStatus { card: String, pin: Option<String> },
    PatronInformation { card: String, pin: Option<String> },
    Unknown,
}

/// Fixed-part lengths after the id: 93 has two algorithm flags, 99 status + width +
/// version, 23 language + date, 63 language + date + summary.
const LOGIN_FIXED: usize = 2;
const SC_STATUS_FIXED: usize = 1 + 3 + 4;
const PATRON_STATUS_FIXED: usize = 3 + 18;
const PATRON_INFORMATION_FIXED: usize = 3 + 18 + 10;

pub(super) fn parse(line: &[u8]) -> ParsedRequest {
    let trailer = wire::split_trailer(wire::trim_terminators(line));
    let body = trailer.body;
    let rest = body.get(2..).unwrap_or_default();
    let message = match body.get(..2) {
        Some(b"93") => parse_login(rest),
        Some(b"99") if rest.len() >= SC_STATUS_FIXED => RequestMessage::ScStatus,
        Some(b"23") => parse_patron(rest, PATRON_STATUS_FIXED)
            .map_or(RequestMessage::Unknown, |(card, pin)| {
                RequestMessage::PatronStatus { card, pin }
            }),
        Some(b"63") => parse_patron(rest, PATRON_INFORMATION_FIXED)
            .map_or(RequestMessage::Unknown, |(card, pin)| {
                RequestMessage::PatronInformation { card, pin }
            }),
        _ => RequestMessage::Unknown,
    };
    ParsedRequest {
        message,
        sequence: trailer.sequence,
        checksum: trailer.checksum,
    }
}

fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

fn parse_login(rest: &[u8]) -> RequestMessage {
    let Some(variable) = rest.get(LOGIN_FIXED..) else {
        return RequestMessage::Unknown;
    };
    let (mut user, mut password) = (None, None);
    for field in wire::fields(variable) {
        let Ok(field) = field else {
            return RequestMessage::Unknown;
        };
        match &field.code {
            b"CN" if user.is_none() => user = Some(text(field.value)),
            b"CO" if password.is_none() => password = Some(text(field.value)),
            _ => {}
        }
    }
    match (user, password) {
        (Some(user), Some(password)) => RequestMessage::Login { user, password },
        _ => RequestMessage::Unknown,
    }
}

fn parse_patron(rest: &[u8], fixed: usize) -> Option<(String, Option<String>)> {
    let variable = rest.get(fixed..)?;
    let (mut card, mut pin) = (None, None);
    for field in wire::fields(variable) {
        let field = field.ok()?;
        match &field.code {
            b"AA" if card.is_none() => card = Some(text(field.value)),
            b"AD" if pin.is_none() => pin = Some(text(field.value)),
            _ => {}
        }
    }
    Some((card?, pin))
}
