//! Parsing what an ILS sends back: login (94), ACS status (98), patron status (24), patron
//! information (64) and the request to resend (96).
//!
//! This is the one place that reads untrusted bytes from the library's server, so it must
//! never panic (no indexing, only `.get()`; a fuzz target in `fuzz/` and property tests
//! hammer it) and it keeps only what a verdict needs. Replies carry the patron's name (AE),
//! address (BD), e-mail (BE), phone (BF), birth date (PB) and more: those fields are skipped
//! without being copied, so no `Response` can leak them to a log or a caller.

use chrono::NaiveDate;

use crate::wire::{self, ChecksumStatus};

/// Why a reply could not be parsed. Messages name message ids and field codes only, never
/// field values, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line was empty or shorter than a message id.
    #[error("empty reply")]
    Empty,
    /// The first two bytes are not a reply id we understand.
    #[error("unknown reply id {0:?}")]
    UnknownMessage(String),
    /// The fixed part is shorter than the spec says for this reply.
    #[error("reply {message} is shorter than its fixed part")]
    Truncated {
        /// The reply id.
        message: &'static str,
    },
    /// A fixed-part field holds a value the spec does not allow.
    #[error("reply {message} has an invalid {field}")]
    InvalidFixedField {
        /// The reply id.
        message: &'static str,
        /// The fixed field's name.
        field: &'static str,
    },
    /// A variable field is too short to have a two-character code.
    #[error("reply has a malformed variable field")]
    MalformedField,
    /// A Y/N variable field holds something else.
    #[error("reply has an invalid {0} field")]
    InvalidFieldValue(&'static str),
}

/// A parsed reply: the message and its error-detection trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// What the server said.
    pub message: ResponseMessage,
    /// The `AY` sequence number echoed by the server, if any.
    pub sequence: Option<u8>,
    /// Whether the `AZ` checksum was present and right.
    pub checksum: ChecksumStatus,
}

/// The replies Lyceum understands, reduced to what it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseMessage {
    /// 94: whether the SC login was accepted.
    Login {
        /// The `ok` flag: `1` accepted, `0` refused.
        is_ok: bool,
    },
    /// 98: the ACS status.
    AcsStatus(crate::ServerStatus),
    /// 24: patron status.
    PatronStatus(PatronReply),
    /// 64: patron information.
    PatronInformation(PatronReply),
    /// 96: the server could not read our last frame and asks us to send it again.
    RequestResend,
}

impl ResponseMessage {
    /// The two-digit reply id.
    pub fn id(&self) -> &'static str {
        match self {
            Self::Login { .. } => "94",
            Self::AcsStatus(_) => "98",
            Self::PatronStatus(_) => "24",
            Self::PatronInformation(_) => "64",
            Self::RequestResend => "96",
        }
    }
}

/// The parts of a 24 or 64 reply that decide a verdict, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatronReply {
    /// The 14-flag patron status mask of the fixed part.
    pub status: PatronStatusMask,
    /// BL, "valid patron"; `None` when the server left it out.
    pub is_valid_patron: Option<bool>,
    /// CQ, "valid patron password"; `None` when the server left it out.
    pub is_valid_password: Option<bool>,
    /// PA, the card's expiry date (an Evergreen and Koha extension).
    pub expiry: Option<Expiry>,
}

/// The PA field as we read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A `YYYYMMDD` date.
    On(NaiveDate),
    /// PA was sent but is not a `YYYYMMDD` date.
    Unreadable,
}

/// The positions of the patron status mask, as the SIP2 spec numbers them. A `Y` at a
/// position means the condition holds (the privilege is denied, the limit is exceeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatronFlag {
    /// 0: the patron may not borrow.
    ChargePrivilegesDenied = 0,
    /// 1: the patron may not renew.
    RenewalPrivilegesDenied = 1,
    /// 2: the patron may not recall.
    RecallPrivilegesDenied = 2,
    /// 3: the patron may not place holds.
    HoldPrivilegesDenied = 3,
    /// 4: the card was reported lost.
    CardReportedLost = 4,
    /// 5: too many items charged.
    TooManyItemsCharged = 5,
    /// 6: too many items overdue.
    TooManyItemsOverdue = 6,
    /// 7: too many renewals.
    TooManyRenewals = 7,
    /// 8: too many claims of items returned.
    TooManyClaimsOfItemsReturned = 8,
    /// 9: too many items lost.
    TooManyItemsLost = 9,
    /// 10: excessive outstanding fines.
    ExcessiveOutstandingFines = 10,
    /// 11: excessive outstanding fees.
    ExcessiveOutstandingFees = 11,
    /// 12: a recalled item is overdue.
    RecallOverdue = 12,
    /// 13: too many items billed.
    TooManyItemsBilled = 13,
}

/// The 14-character patron status mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatronStatusMask([bool; 14]);

impl PatronStatusMask {
    /// Reads the mask. The spec says `Y` or blank; servers also send `N`, so anything but
    /// `Y` (either case) counts as not set.
    fn parse(bytes: &[u8]) -> Self {
        let mut flags = [false; 14];
        for (flag, byte) in flags.iter_mut().zip(bytes) {
            *flag = byte.eq_ignore_ascii_case(&b'Y');
        }
        Self(flags)
    }

    /// Whether the flag at this position is set.
    pub fn is_set(&self, flag: PatronFlag) -> bool {
        self.0.get(flag as usize).copied().unwrap_or(false)
    }

    /// Whether any flag in the positions 5 to 13 (limits exceeded) is set.
    pub fn has_exceeded_a_limit(&self) -> bool {
        self.0.get(5..).is_some_and(|limits| limits.contains(&true))
    }
}

/// Fixed-part lengths, after the two-character id, from the SIP2 2.00 spec.
const LOGIN_FIXED: usize = 1; // ok
const ACS_STATUS_FIXED: usize = 6 + 3 + 3 + 18 + 4; // six flags, timeout, retries, date, version
const PATRON_STATUS_FIXED: usize = 14 + 3 + 18; // status mask, language, date
const PATRON_INFORMATION_FIXED: usize = PATRON_STATUS_FIXED + 6 * 4; // plus six item counts

/// Parses one reply line (with or without its CR/LF terminator).
///
/// Never panics, whatever the bytes. Checksum and sequence are reported, not enforced: the
/// client decides, because it knows whether error detection is on.
pub fn parse_response(line: &[u8]) -> Result<Response, ParseError> {
    let trailer = wire::split_trailer(wire::trim_terminators(line));
    let body = trailer.body;
    let id = body.get(..2).ok_or(ParseError::Empty)?;
    let rest = body.get(2..).unwrap_or_default();
    let message = match id {
        b"94" => parse_login(rest)?,
        b"98" => parse_acs_status(rest)?,
        b"24" => ResponseMessage::PatronStatus(parse_patron(rest, "24", PATRON_STATUS_FIXED)?),
        b"64" => {
            ResponseMessage::PatronInformation(parse_patron(rest, "64", PATRON_INFORMATION_FIXED)?)
        }
        b"96" => ResponseMessage::RequestResend,
        other => return Err(ParseError::UnknownMessage(other.escape_ascii().to_string())),
    };
    Ok(Response {
        message,
        sequence: trailer.sequence,
        checksum: trailer.checksum,
    })
}

fn parse_login(rest: &[u8]) -> Result<ResponseMessage, ParseError> {
    let truncated = ParseError::Truncated { message: "94" };
    match rest.get(..LOGIN_FIXED).ok_or(truncated)? {
        b"1" => Ok(ResponseMessage::Login { is_ok: true }),
        b"0" => Ok(ResponseMessage::Login { is_ok: false }),
        _ => Err(ParseError::InvalidFixedField {
            message: "94",
            field: "ok flag",
        }),
    }
}

fn parse_acs_status(rest: &[u8]) -> Result<ResponseMessage, ParseError> {
    let fixed = rest
        .get(..ACS_STATUS_FIXED)
        .ok_or(ParseError::Truncated { message: "98" })?;
    let is_online = fixed.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'Y'));
    let protocol_version = fixed
        .get(ACS_STATUS_FIXED - 4..)
        .and_then(|version| std::str::from_utf8(version).ok())
        .ok_or(ParseError::InvalidFixedField {
            message: "98",
            field: "protocol version",
        })?
        .to_owned();
    let mut institution = None;
    for field in wire::fields(rest.get(ACS_STATUS_FIXED..).unwrap_or_default()) {
        let field = field.map_err(|()| ParseError::MalformedField)?;
        if &field.code == b"AO" && institution.is_none() && !field.value.is_empty() {
            institution = Some(String::from_utf8_lossy(field.value).into_owned());
        }
    }
    Ok(ResponseMessage::AcsStatus(crate::ServerStatus {
        protocol_version,
        institution,
        online: is_online,
    }))
}

fn parse_patron(
    rest: &[u8],
    message: &'static str,
    fixed_len: usize,
) -> Result<PatronReply, ParseError> {
    let fixed = rest
        .get(..fixed_len)
        .ok_or(ParseError::Truncated { message })?;
    let mut reply = PatronReply {
        status: PatronStatusMask::parse(fixed.get(..14).unwrap_or_default()),
        is_valid_patron: None,
        is_valid_password: None,
        expiry: None,
    };
    for field in wire::fields(rest.get(fixed_len..).unwrap_or_default()) {
        let field = field.map_err(|()| ParseError::MalformedField)?;
        // Only these three are read; AE, BD, BE, BF, PB and the rest are skipped unread.
        match &field.code {
            b"BL" => {
                reply.is_valid_patron = merge_yes_no(reply.is_valid_patron, field.value, "BL")?
            }
            b"CQ" => {
                reply.is_valid_password = merge_yes_no(reply.is_valid_password, field.value, "CQ")?;
            }
            b"PA" if reply.expiry.is_none() && !field.value.is_empty() => {
                reply.expiry = Some(parse_expiry(field.value));
            }
            _ => {}
        }
    }
    Ok(reply)
}

/// Reads a Y/N field. If a server repeats it, a single N wins: a confused reply must not
/// turn a refusal into an acceptance.
fn merge_yes_no(
    previous: Option<bool>,
    value: &[u8],
    code: &'static str,
) -> Result<Option<bool>, ParseError> {
    let this = match value {
        b"Y" | b"y" => true,
        b"N" | b"n" => false,
        _ => return Err(ParseError::InvalidFieldValue(code)),
    };
    Ok(Some(previous.unwrap_or(true) && this))
}

/// Reads PA as `YYYYMMDD`. Some servers send a full SIP date (`YYYYMMDD    HHMMSS`), so only
/// the first eight bytes count.
fn parse_expiry(value: &[u8]) -> Expiry {
    let digits = match value.get(..8) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => digits,
        _ => return Expiry::Unreadable,
    };
    let number = |range: std::ops::Range<usize>| {
        digits.get(range).map_or(0, |part| {
            part.iter()
                .fold(0u32, |acc, digit| acc * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)).unwrap_or(0);
    NaiveDate::from_ymd_opt(year, number(4..6), number(6..8)).map_or(Expiry::Unreadable, Expiry::On)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patron_information_reply_keeps_no_name_address_or_birth_date() {
        // The transcript's 64 reply carries a name, an address, an e-mail, a phone and a
        // birth date; the parsed reply has no place for any of them.
        let line = b"64  Y           00020261124    031222000000000000000100000000AOUWOLS|AAdjfiander|AEDavid J. Fiander|BD2 Meadowvale Dr. St Thomas, ON|BEdjfiander@hotmail.com|BF(519) 555 1234|AQBeacock|BLY|CQY|PA20501231|PB19640925|PCA|PIY|XIdjfiander|AY3AZBB56";
        let parsed = parse_response(line).expect("the transcript line is valid");
        let shown = format!("{parsed:?}");
        for personal in ["David", "Meadowvale", "hotmail", "555", "1964", "djfiander"] {
            assert!(!shown.contains(personal), "{personal} leaked into {shown}");
        }
        let ResponseMessage::PatronInformation(reply) = parsed.message else {
            panic!("a 64 line parses as patron information");
        };
        assert_eq!(reply.is_valid_patron, Some(true));
        assert_eq!(reply.is_valid_password, Some(true));
        assert_eq!(
            reply.expiry,
            NaiveDate::from_ymd_opt(2050, 12, 31).map(Expiry::On)
        );
        assert!(reply.status.is_set(PatronFlag::RecallPrivilegesDenied));
        assert!(!reply.status.is_set(PatronFlag::ChargePrivilegesDenied));
    }

    #[test]
    fn a_repeated_bl_field_with_one_n_reads_as_not_valid() {
        // "BLY|BLN" is contradictory; refusing is the safe reading.
        let line = b"24              00120261124    031222AOX|AA1|BLY|BLN|CQY|";
        let parsed = parse_response(line).expect("well-formed");
        let ResponseMessage::PatronStatus(reply) = parsed.message else {
            panic!("a 24 line parses as patron status");
        };
        assert_eq!(reply.is_valid_patron, Some(false));
    }

    #[test]
    fn a_truncated_fixed_part_is_an_error_not_a_panic() {
        // Cut in the middle of the date.
        assert_eq!(
            parse_response(b"24  Y           0012026"),
            Err(ParseError::Truncated { message: "24" })
        );
    }

    #[test]
    fn an_expiry_that_is_not_a_date_is_unreadable() {
        // 20261399 has month 13.
        assert_eq!(parse_expiry(b"20261399"), Expiry::Unreadable);
        assert_eq!(parse_expiry(b"tomorrow"), Expiry::Unreadable);
        assert_eq!(
            parse_expiry(b"20270101    000000"),
            NaiveDate::from_ymd_opt(2027, 1, 1).map_or(Expiry::Unreadable, Expiry::On)
        );
    }
}
