//! Turning a patron reply (24 or 64) into the one thing Lyceum keeps: a verdict.
//!
//! The rules are checked in a fixed order, and the first that matches wins:
//!
//! 1. **UnknownCard** when BL (valid patron) is `N`.
//! 2. **WrongPin** when CQ (valid patron password) is not `Y`.
//! 3. **Expired** when PA (expiry date) is before `today`.
//! 4. **Blocked** when the status mask says the card was reported lost, or that the patron
//!    may not borrow.
//! 5. **Valid** otherwise.
//!
//! This room must stay free of I/O and must not look at any field beyond those four, so it
//! can never come to depend on (or leak) the patron's name or address.

use chrono::NaiveDate;

use crate::response::{Expiry, PatronFlag, PatronReply};

/// What a card-and-PIN check concluded. This is all the client returns about a patron.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatronVerdict {
    /// The card exists, the PIN is right, and nothing stops the patron from learning.
    Valid,
    /// The card exists but the PIN is wrong (or the ILS did not confirm it).
    WrongPin,
    /// The ILS does not know this card.
    UnknownCard,
    /// The library has blocked the card.
    Blocked(BlockReason),
    /// The card's expiry date has passed.
    Expired,
}

/// Why a card is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    /// Status mask position 4: the card was reported lost, so whoever holds it may not be
    /// its owner.
    CardReportedLost,
    /// Status mask position 0: the library has withdrawn borrowing rights.
    ChargePrivilegesDenied,
    /// Status mask positions 5 to 13 (too many items, overdues, fines).
    ///
    /// [`Sip2Client::check_patron`](crate::Sip2Client::check_patron) never returns this
    /// today: a late book or a fine does not keep a patron from learning (the reasoning is
    /// in `verdict::decide`). It exists so a library policy that does block on fines can be
    /// added without changing the public enum.
    TooManyItemsOrFines,
}

/// Applies the rules of the module doc to one reply.
pub(crate) fn decide(reply: &PatronReply, today: NaiveDate) -> PatronVerdict {
    // 1. BL=N: the ILS does not know the card. When BL is missing (it is optional in 2.00
    // and older servers leave it out) we only go on if CQ=Y, because an ILS can only have
    // checked a password against a patron it found; otherwise the card is as good as unknown.
    match (reply.is_valid_patron, reply.is_valid_password) {
        (Some(false), _) | (None, None | Some(false)) => return PatronVerdict::UnknownCard,
        _ => {}
    }

    // 2. CQ must be an explicit Y. A missing CQ means the ILS did not tell us it checked the
    // PIN (some servers leave CQ out when they do not verify PINs at all). We refuse rather
    // than let in anyone who knows a card number: that is unsafe for the patron, who is
    // turned away, but safe for the library and for the patron's account, and the library
    // admin can see it at once and fix the ILS configuration. Refusing says "WrongPin" so the
    // patron is told to check the PIN, the only thing they can change.
    if reply.is_valid_password != Some(true) {
        return PatronVerdict::WrongPin;
    }

    // 3. Expiry before blocks: ILSs commonly also deny borrowing to an expired card, and
    // "your card has expired, renew it at the desk" is the message the patron can act on.
    // A card that expires today is still valid today. An unreadable PA is ignored (with a
    // warning that does not include it): it is a non-standard field, and the ILS still
    // blocks expired cards through the status mask.
    match reply.expiry {
        Some(Expiry::On(expiry)) if expiry < today => return PatronVerdict::Expired,
        Some(Expiry::Unreadable) => {
            tracing::warn!("SIP2 reply has a PA (expiry) field that is not YYYYMMDD; ignoring it");
        }
        _ => {}
    }

    // 4. Lost before charge-denied: an ILS usually sets both for a lost card, and "reported
    // lost" is the more useful thing to tell.
    if reply.status.is_set(PatronFlag::CardReportedLost) {
        return PatronVerdict::Blocked(BlockReason::CardReportedLost);
    }
    if reply.status.is_set(PatronFlag::ChargePrivilegesDenied) {
        return PatronVerdict::Blocked(BlockReason::ChargePrivilegesDenied);
    }
    // Positions 1 to 3 (renew, recall, hold denied) and 5 to 13 (too many items, overdues,
    // fines) are about circulation, not about who the patron is. A patron with a late book
    // or an unpaid fine can still take a course: keeping them out of learning would not get
    // the book back, and the library's access to learning should not depend on money owed.
    // (Some ILSs do set position 0 when fines pass a threshold; that one still blocks, as
    // the library chose it.)
    PatronVerdict::Valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{PatronReply, ResponseMessage, parse_response};

    fn reply(line: &[u8]) -> PatronReply {
        match parse_response(line).map(|r| r.message) {
            Ok(
                ResponseMessage::PatronStatus(reply) | ResponseMessage::PatronInformation(reply),
            ) => reply,
            other => panic!("test line must be a patron reply, got {other:?}"),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
    }

    #[test]
    fn the_transcript_verdicts_are_valid_wrong_pin_and_unknown_card() {
        // The three kinds of 24 reply the Evergreen server gave.
        let valid = reply(b"24  Y           00120261124    031222AOUWOLS|AAdjfiander|AEDavid J. Fiander|BLY|CQY|AY2AZE7FB");
        let wrong = reply(b"24  Y           00120261124    031222AOUWOLS|AAdjfiander|AEDavid J. Fiander|BLY|CQN|AY4AZE804");
        let unknown =
            reply(b"24YYYY          00120261124    031222AOUWOLS|AAnobody|AE|BLN|AY5AZEF36");
        assert_eq!(decide(&valid, today()), PatronVerdict::Valid);
        assert_eq!(decide(&wrong, today()), PatronVerdict::WrongPin);
        assert_eq!(decide(&unknown, today()), PatronVerdict::UnknownCard);
    }

    #[test]
    fn a_missing_cq_is_refused_as_a_wrong_pin() {
        // BLY without CQ: the ILS never said the PIN was right.
        let r = reply(b"24              00120261124    031222AOX|AA1|BLY|");
        assert_eq!(decide(&r, today()), PatronVerdict::WrongPin);
    }

    #[test]
    fn a_missing_bl_with_cq_y_is_a_known_patron() {
        // An old server without BL that still confirmed the password.
        let r = reply(b"24              00120261124    031222AOX|AA1|CQY|");
        assert_eq!(decide(&r, today()), PatronVerdict::Valid);
    }

    #[test]
    fn an_expired_card_is_expired_even_when_also_blocked() {
        // Expiry is checked before the status mask.
        let r = reply(b"64Y   Y         00120261124    031222000000000000000000000000AOX|AA1|BLY|CQY|PA20261123|");
        assert_eq!(decide(&r, today()), PatronVerdict::Expired);
    }

    #[test]
    fn a_card_expiring_today_is_still_valid() {
        // "Earlier than today" is strict.
        let r = reply(b"64              00120261124    031222000000000000000000000000AOX|AA1|BLY|CQY|PA20261124|");
        assert_eq!(decide(&r, today()), PatronVerdict::Valid);
    }

    #[test]
    fn a_lost_card_is_reported_lost_rather_than_charge_denied() {
        // Positions 0 and 4 both set, as an ILS does for a lost card.
        let r = reply(b"24Y   Y         00120261124    031222AOX|AA1|BLY|CQY|");
        assert_eq!(
            decide(&r, today()),
            PatronVerdict::Blocked(BlockReason::CardReportedLost)
        );
    }

    #[test]
    fn charge_privileges_denied_blocks() {
        // Position 0 alone.
        let r = reply(b"24Y             00120261124    031222AOX|AA1|BLY|CQY|");
        assert_eq!(
            decide(&r, today()),
            PatronVerdict::Blocked(BlockReason::ChargePrivilegesDenied)
        );
    }

    #[test]
    fn overdue_items_and_fines_do_not_block_learning() {
        // Positions 1-3 and 5-13 all set, position 0 and 4 clear.
        let r = reply(b"24 YYY YYYYYYYYY00120261124    031222AOX|AA1|BLY|CQY|");
        assert!(r.status.has_exceeded_a_limit());
        assert_eq!(decide(&r, today()), PatronVerdict::Valid);
    }

    #[test]
    fn an_unknown_card_wins_over_a_wrong_pin() {
        // BLN and CQN together: the card is the first thing to fix.
        let r = reply(b"24YYYY          00120261124    031222AOX|AA1|BLN|CQN|");
        assert_eq!(decide(&r, today()), PatronVerdict::UnknownCard);
    }
}
