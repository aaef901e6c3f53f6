//! The client against the test server: every verdict, both patron messages, both
//! terminators, error detection on and off, the SC login, and connection reuse.

use lyceum_sip2::{BlockReason, PatronVerdict, Sip2Client, Sip2Error, Terminator};

use crate::helpers::*;

async fn verdict_with(
    configure: impl FnOnce(&mut lyceum_sip2::Sip2Config),
    card: &str,
    pin: &str,
) -> Result<PatronVerdict, Sip2Error> {
    let server = start_server().await;
    let mut config = config_for(server.addr());
    configure(&mut config);
    let verdict = Sip2Client::new(config)
        .check_patron(card, pin, today())
        .await;
    server.shutdown().await;
    verdict
}

async fn verdict(card: &str, pin: &str) -> Result<PatronVerdict, Sip2Error> {
    verdict_with(|_| {}, card, pin).await
}

#[tokio::test]
async fn a_valid_card_and_pin_are_valid() {
    // The patron in good standing signs in.
    assert_eq!(verdict(VALID, PIN).await.ok(), Some(PatronVerdict::Valid));
}

#[tokio::test]
async fn a_wrong_pin_is_a_wrong_pin() {
    // Right card, wrong PIN.
    assert_eq!(
        verdict(VALID, "0000").await.ok(),
        Some(PatronVerdict::WrongPin)
    );
}

#[tokio::test]
async fn an_unknown_card_is_an_unknown_card() {
    // A card the ILS has never seen.
    assert_eq!(
        verdict("99999999", PIN).await.ok(),
        Some(PatronVerdict::UnknownCard)
    );
}

#[tokio::test]
async fn an_expired_card_is_expired() {
    // PA in the past; the ILS also denies borrowing, but expiry is what the patron hears.
    assert_eq!(
        verdict(EXPIRED, PIN).await.ok(),
        Some(PatronVerdict::Expired)
    );
}

#[tokio::test]
async fn a_blocked_card_is_blocked_for_charge_privileges() {
    // Status mask position 0.
    assert_eq!(
        verdict(BLOCKED, PIN).await.ok(),
        Some(PatronVerdict::Blocked(BlockReason::ChargePrivilegesDenied))
    );
}

#[tokio::test]
async fn a_lost_card_is_blocked_as_reported_lost() {
    // Status mask positions 0 and 4; "lost" is the more specific reason.
    assert_eq!(
        verdict(LOST, PIN).await.ok(),
        Some(PatronVerdict::Blocked(BlockReason::CardReportedLost))
    );
}

#[tokio::test]
async fn a_wrong_pin_on_a_lost_card_is_a_wrong_pin() {
    // The PIN is checked before blocks, so a stranger with a lost card learns nothing.
    assert_eq!(
        verdict(LOST, "0000").await.ok(),
        Some(PatronVerdict::WrongPin)
    );
}

#[tokio::test]
async fn patron_status_messages_give_the_same_verdicts() {
    // 23/24 instead of 63/64; the test server sends PA in 24 too.
    let use_23 = |c: &mut lyceum_sip2::Sip2Config| c.use_patron_information = false;
    for (card, pin, expected) in [
        (VALID, PIN, PatronVerdict::Valid),
        (VALID, "1", PatronVerdict::WrongPin),
        ("nobody", PIN, PatronVerdict::UnknownCard),
        (EXPIRED, PIN, PatronVerdict::Expired),
        (
            LOST,
            PIN,
            PatronVerdict::Blocked(BlockReason::CardReportedLost),
        ),
    ] {
        assert_eq!(verdict_with(use_23, card, pin).await.ok(), Some(expected));
    }
}

#[tokio::test]
async fn checks_work_without_error_detection_and_with_crlf() {
    // Some ILSs run without AY/AZ, some front ends want CRLF.
    let plain = |c: &mut lyceum_sip2::Sip2Config| {
        c.error_detection = false;
        c.terminator = Terminator::CrLf;
    };
    assert_eq!(
        verdict_with(plain, VALID, PIN).await.ok(),
        Some(PatronVerdict::Valid)
    );
    assert_eq!(
        verdict_with(plain, VALID, "0").await.ok(),
        Some(PatronVerdict::WrongPin)
    );
}

#[tokio::test]
async fn a_location_is_sent_and_accepted() {
    // CP is optional; with it the login still works.
    let located = |c: &mut lyceum_sip2::Sip2Config| c.location = Some("BRANCH1".to_owned());
    assert_eq!(
        verdict_with(located, VALID, PIN).await.ok(),
        Some(PatronVerdict::Valid)
    );
}

#[tokio::test]
async fn a_wrong_sc_password_is_login_refused() {
    // The library admin typed the SC password wrong.
    let server = start_server().await;
    let mut config = config_for(server.addr());
    config.login_password = "not-it".into();
    let client = Sip2Client::new(config);
    assert!(matches!(
        client.check_patron(VALID, PIN, today()).await,
        Err(Sip2Error::LoginRefused)
    ));
    assert!(matches!(
        client.test_connection().await,
        Err(Sip2Error::LoginRefused)
    ));
}

#[tokio::test]
async fn test_connection_reports_the_servers_status() {
    // The admin's "test connection" button.
    let server = start_server().await;
    let status = client_for(&server)
        .test_connection()
        .await
        .expect("the test server answers 99");
    assert_eq!(status.protocol_version, "2.00");
    assert_eq!(status.institution.as_deref(), Some(INSTITUTION));
    assert!(status.online);
}

#[tokio::test]
async fn one_connection_is_reused_across_checks_and_clones() {
    // Three checks from two clones of one client: one connection, one login.
    let server = start_server().await;
    let client = client_for(&server);
    let clone = client.clone();
    for checker in [&client, &clone, &client] {
        assert_eq!(
            checker.check_patron(VALID, PIN, today()).await.ok(),
            Some(PatronVerdict::Valid)
        );
    }
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.requests_seen(), 4);
}

#[tokio::test]
async fn sequence_numbers_wrap_after_nine_on_a_long_lived_connection() {
    // Login takes AY0; fourteen checks take AY1..9 and wrap to AY0..4.
    let server = start_server().await;
    let client = client_for(&server);
    for _ in 0..14 {
        assert_eq!(
            client.check_patron(VALID, PIN, today()).await.ok(),
            Some(PatronVerdict::Valid)
        );
    }
    assert_eq!(server.connections_accepted(), 1);
}

#[tokio::test]
async fn concurrent_checks_share_the_connection_without_mixing_replies() {
    // Eight patrons at once: each gets their own verdict.
    let server = start_server().await;
    let client = client_for(&server);
    let mut checks = tokio::task::JoinSet::new();
    for (card, pin, expected) in [
        (VALID, PIN, PatronVerdict::Valid),
        (VALID, "0", PatronVerdict::WrongPin),
        (EXPIRED, PIN, PatronVerdict::Expired),
        (
            BLOCKED,
            PIN,
            PatronVerdict::Blocked(BlockReason::ChargePrivilegesDenied),
        ),
        (
            LOST,
            PIN,
            PatronVerdict::Blocked(BlockReason::CardReportedLost),
        ),
        ("x", PIN, PatronVerdict::UnknownCard),
        (VALID, PIN, PatronVerdict::Valid),
        (EXPIRED, "0", PatronVerdict::WrongPin),
    ] {
        let client = client.clone();
        checks.spawn(async move { (client.check_patron(card, pin, today()).await.ok(), expected) });
    }
    while let Some(joined) = checks.join_next().await {
        let (got, expected) = joined.expect("a check task does not panic");
        assert_eq!(got, Some(expected));
    }
    assert_eq!(server.connections_accepted(), 1);
}
