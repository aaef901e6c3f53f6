//! The test server itself: conformant replies on the wire (checked with raw frames, not our
//! client), its patrons file, and its counters.

use lyceum_sip2::testserver::{TestPatronState, TestServer, TestServerConfig};
use lyceum_sip2::{ChecksumStatus, ResponseMessage, checksum, parse_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Sends raw frames and returns the raw replies (without CR).
async fn raw_exchange(server: &TestServer, requests: &[&str]) -> Vec<String> {
    let mut socket = TcpStream::connect(server.addr())
        .await
        .expect("the test server accepts");
    let mut replies = Vec::new();
    for request in requests {
        socket
            .write_all(format!("{request}\r").as_bytes())
            .await
            .expect("the socket is open");
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while socket.read_exact(&mut byte).await.is_ok() && byte[0] != b'\r' {
            reply.push(byte[0]);
        }
        replies.push(String::from_utf8_lossy(&reply).into_owned());
    }
    replies
}

fn signed(body: &str, sequence: u8) -> String {
    let bytes = with_checksum(body, sequence);
    String::from_utf8_lossy(bytes.strip_suffix(b"\r").unwrap_or(&bytes)).into_owned()
}

#[tokio::test]
async fn the_test_server_answers_the_transcripts_requests_with_conformant_replies() {
    // The Evergreen client's own frames, sent to our server configured like the demo ILS.
    let mut config = server_config();
    config.login_user = "scclient".to_owned();
    config.login_password = "clientpwd".to_owned();
    config.institution = "UWOLS".to_owned();
    config.patrons[0].card = "djfiander".to_owned();
    config.patrons[0].pin = "6789".to_owned();
    let server = TestServer::start(config, loopback()).await.expect("binds");
    let requests: Vec<&str> = include_str!("../data/evergreen-sipserver-transcript.txt")
        .lines()
        .filter_map(|line| line.strip_prefix("C: "))
        .collect();
    let replies = raw_exchange(&server, &requests).await;
    assert_eq!(replies.len(), 7);
    for (sequence, reply) in (0u8..).zip(&replies) {
        assert!(checksum::verify(reply.as_bytes()), "{reply}");
        let parsed = parse_response(reply.as_bytes()).expect("our server speaks SIP2");
        assert_eq!(parsed.sequence, Some(sequence));
        assert_eq!(parsed.checksum, ChecksumStatus::Valid);
    }
    assert!(replies[0].starts_with("941"));
    assert!(replies[1].starts_with("98Y"));
    // 24: id, 14-char mask, language, 18-char date, then AO first.
    assert_eq!(replies[2].get(37..39), Some("AO"), "{}", replies[2]);
    // 64: the same plus six 4-digit counts.
    assert_eq!(replies[3].get(61..63), Some("AO"), "{}", replies[3]);
    for reply in &replies[2..] {
        assert!(reply.contains("|AE|"), "the name must be empty: {reply}");
    }
    assert!(replies[2].contains("|BLY|CQY|"));
    assert!(replies[4].contains("|BLY|CQN|"));
    assert!(replies[5].contains("|BLN|") && !replies[5].contains("CQ"));
    assert!(replies[5].get(2..6) == Some("YYYY"));
}

#[tokio::test]
async fn the_test_server_asks_for_a_resend_of_a_damaged_or_unknown_frame() {
    // A bad checksum and an unimplemented checkout (11) both get 96.
    let server = start_server().await;
    let replies = raw_exchange(
        &server,
        &[
            "9300CNlyceum|COsc-secret|AY0AZ0000",
            "11YN20261124    120000",
        ],
    )
    .await;
    for reply in replies {
        assert!(
            matches!(
                parse_response(reply.as_bytes()).map(|r| r.message),
                Ok(ResponseMessage::RequestResend)
            ),
            "{reply}"
        );
    }
}

#[tokio::test]
async fn the_test_server_refuses_patron_requests_before_a_login() {
    // An SC must log in first.
    let server = start_server().await;
    let request = signed(
        &format!("2300120261124    120000AO{INSTITUTION}|AA{VALID}|AC|AD{PIN}|"),
        0,
    );
    let replies = raw_exchange(&server, &[&request]).await;
    assert!(replies[0].starts_with("96"), "{}", replies[0]);
    assert_eq!(server.requests_seen(), 1);
}

#[test]
fn the_example_patrons_file_loads_with_one_patron_in_each_state() {
    // crates/sip2/patrons.example.toml is what `lyceum dev sip2-server` users copy.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/patrons.example.toml");
    let config = TestServerConfig::from_file(path).expect("the example file is valid");
    let mut states: Vec<_> = config.patrons.iter().map(|p| p.state).collect();
    states.dedup();
    for state in [
        TestPatronState::Valid,
        TestPatronState::Expired,
        TestPatronState::Blocked,
        TestPatronState::Lost,
    ] {
        assert!(states.contains(&state), "{state:?} missing");
    }
    assert!(!format!("{config:?}").contains(&config.login_password));
}

#[test]
fn a_patrons_file_with_an_unknown_state_is_refused() {
    // A typo must not silently make a patron valid.
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("patrons.toml");
    std::fs::write(
        &path,
        "login_user = \"a\"\nlogin_password = \"b\"\ninstitution = \"c\"\n[[patrons]]\ncard = \"1\"\npin = \"2\"\nstate = \"valdi\"\n",
    )
    .expect("the temp dir is writable");
    assert!(TestServerConfig::from_file(&path).is_err());
    assert!(TestServerConfig::from_file(dir.path().join("missing.toml")).is_err());
}
