//! Misbehaving servers: slow, disconnecting, gone, speaking garbage, with bad checksums,
//! asking for resends, or sending endless replies. The client must give the right error in
//! bounded time and never panic.

use std::time::{Duration, Instant};

use lyceum_sip2::testserver::Fault;
use lyceum_sip2::{PatronVerdict, Sip2Client, Sip2Error};

use crate::helpers::*;

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_unavailable_within_about_the_timeout() {
    // The ILS hangs; the patron waits the timeout once, not twice.
    let server = start_server().await;
    server.set_fault(Fault::Slow(Duration::from_secs(5)));
    let mut config = config_for(server.addr());
    config.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let result = Sip2Client::new(config)
        .check_patron(VALID, PIN, today())
        .await;
    assert!(
        matches!(result, Err(Sip2Error::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_slows_down_on_a_pooled_connection_is_unavailable_in_bounded_time() {
    // A reused connection is retried once on a fresh one, so at most two timeouts pass.
    let server = start_server().await;
    let mut config = config_for(server.addr());
    config.timeout = Duration::from_millis(300);
    let client = Sip2Client::new(config);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    server.set_fault(Fault::Slow(Duration::from_secs(5)));
    let started = Instant::now();
    let result = client.check_patron(VALID, PIN, today()).await;
    assert!(
        matches!(result, Err(Sip2Error::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_dropped_connection_is_replaced_without_the_patron_noticing() {
    // The ILS restarted between two sign-ins: the second still succeeds.
    let server = start_server().await;
    let client = client_for(&server);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    server.set_fault(Fault::Disconnect);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    assert_eq!(server.connections_accepted(), 2);
    // And the new connection is then reused.
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    assert_eq!(server.connections_accepted(), 2);
}

#[tokio::test]
async fn a_server_that_went_away_is_unavailable() {
    // The ILS is shut down after the first check; the retry finds nobody.
    let server = start_server().await;
    let client = client_for(&server);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    server.shutdown().await;
    let result = client.check_patron(VALID, PIN, today()).await;
    assert!(
        matches!(result, Err(Sip2Error::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_listened_is_unavailable() {
    // Wrong port in the library's settings.
    let client = Sip2Client::new(config_for(dead_address().await));
    let result = client.test_connection().await;
    assert!(
        matches!(result, Err(Sip2Error::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn garbage_from_the_server_is_a_protocol_error() {
    // Not SIP2 at all, at login and on an established connection.
    let server = start_server().await;
    server.set_fault(Fault::Garbage);
    let client = client_for(&server);
    for _ in 0..20 {
        let result = client.check_patron(VALID, PIN, today()).await;
        assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
    }
    server.set_fault(Fault::None);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    server.set_fault(Fault::Garbage);
    let result = client.check_patron(VALID, PIN, today()).await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_reply_with_a_bad_checksum_is_refused() {
    // The transcript's login reply with its last hex digit changed.
    let addr = scripted_server(vec![b"941AY0AZFDFE\r".to_vec()]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_reply_without_a_checksum_is_refused_when_error_detection_is_on() {
    // "941" alone could come from anything.
    let addr = scripted_server(vec![b"941\r".to_vec()]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_patron_reply_with_a_bad_checksum_is_not_a_verdict() {
    // A damaged "valid" reply must not let anyone in.
    let mut damaged = with_checksum(
        "64              00120261124    031222000000000000000000000000AODEMO|AA1|AE|BLY|CQY|",
        1,
    );
    if let Some(digit) = damaged.iter_mut().rev().nth(1) {
        *digit = if *digit == b'0' { b'1' } else { b'0' };
    }
    let addr = scripted_server(vec![with_checksum("941", 0), damaged]).await;
    let result = Sip2Client::new(config_for(addr))
        .check_patron("1", PIN, today())
        .await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_resend_request_is_answered_once() {
    // The server asks for the login again, then accepts it.
    let addr = scripted_server(vec![
        b"96AZFEF6\r".to_vec(),
        with_checksum("941", 0),
        with_checksum("98YNNNNN05000320261124    0312222.00AODEMO|", 1),
    ])
    .await;
    let status = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(status.is_ok(), "{status:?}");
}

#[tokio::test]
async fn a_second_resend_request_is_a_protocol_error() {
    // A server stuck asking for resends must not loop us for ever.
    let addr = scripted_server(vec![b"96\r".to_vec(), b"96\r".to_vec(), b"96\r".to_vec()]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_reply_of_the_wrong_kind_is_a_protocol_error() {
    // A 24 where a 94 belongs.
    let addr = scripted_server(vec![with_checksum(
        "24              00120261124    031222AODEMO|AA1|BLY|CQY|",
        0,
    )])
    .await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn a_reply_with_another_requests_sequence_number_is_refused() {
    // AY1 answering our AY0 is a reply to something else.
    let addr = scripted_server(vec![with_checksum("941", 1)]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn an_endless_reply_is_cut_off_as_a_protocol_error() {
    // 64 KiB without a terminator: we stop at 8 KiB.
    let addr = scripted_server(vec![vec![b'9'; 64 * 1024]]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
}

#[tokio::test]
async fn replies_ending_in_lf_or_crlf_are_accepted() {
    // Not every server ends lines with a lone CR.
    let mut login = with_checksum("941", 0);
    login.push(b'\n');
    let mut status = with_checksum("98YNNNNN05000320261124    0312222.00AODEMO|", 1);
    if let Some(last) = status.last_mut() {
        *last = b'\n';
    }
    let addr = scripted_server(vec![login, status]).await;
    let result = Sip2Client::new(config_for(addr)).test_connection().await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_card_number_with_a_field_separator_is_refused_before_anything_is_sent() {
    // "1|AD0000" would inject a second PIN field.
    let server = start_server().await;
    let client = client_for(&server);
    let result = client.check_patron("1|AD0000", PIN, today()).await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
    let result = client.check_patron(VALID, "47\r11", today()).await;
    assert!(matches!(result, Err(Sip2Error::Protocol(_))), "{result:?}");
    assert_eq!(server.connections_accepted(), 0);
    assert_eq!(server.requests_seen(), 0);
}

#[tokio::test]
async fn a_check_abandoned_mid_exchange_never_answers_the_next_check() {
    // A handler gives up on a slow wrong-PIN check; the next patron, on the same client and
    // without AY/AZ to tell replies apart, must get their own verdict, not the late one.
    let server = start_server().await;
    let mut config = config_for(server.addr());
    config.error_detection = false;
    let client = Sip2Client::new(config);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    server.set_fault(Fault::Slow(Duration::from_millis(300)));
    let abandoned = tokio::time::timeout(
        Duration::from_millis(50),
        client.check_patron(VALID, "0000", today()),
    )
    .await;
    assert!(
        abandoned.is_err(),
        "the check should still have been waiting"
    );
    server.set_fault(Fault::None);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
    assert_eq!(server.connections_accepted(), 2);
}
