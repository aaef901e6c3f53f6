//! Shared set-up: a test server with one patron per state, a client pointed at it, and a
//! scripted server that plays back fixed replies for the cases the test server never produces
//! (bad checksums, resend requests, oversized replies).

use std::net::SocketAddr;
use std::time::Duration;

use chrono::NaiveDate;
use lyceum_sip2::testserver::{TestPatron, TestPatronState, TestServer, TestServerConfig};
use lyceum_sip2::{Sip2Client, Sip2Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const SC_USER: &str = "lyceum";
pub const SC_PASSWORD: &str = "sc-secret";
pub const INSTITUTION: &str = "DEMO";

pub const VALID: &str = "20000001";
pub const EXPIRED: &str = "20000002";
pub const BLOCKED: &str = "20000003";
pub const LOST: &str = "20000004";
pub const PIN: &str = "4711";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

pub fn server_config() -> TestServerConfig {
    let patron = |card: &str, state| TestPatron {
        card: card.to_owned(),
        pin: PIN.to_owned(),
        state,
    };
    TestServerConfig {
        login_user: SC_USER.to_owned(),
        login_password: SC_PASSWORD.to_owned(),
        institution: INSTITUTION.to_owned(),
        patrons: vec![
            patron(VALID, TestPatronState::Valid),
            patron(EXPIRED, TestPatronState::Expired),
            patron(BLOCKED, TestPatronState::Blocked),
            patron(LOST, TestPatronState::Lost),
        ],
    }
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub async fn start_server() -> TestServer {
    TestServer::start(server_config(), loopback())
        .await
        .expect("the test server binds to a free loopback port")
}

pub fn config_for(addr: SocketAddr) -> Sip2Config {
    let mut config = Sip2Config::new(
        addr.ip().to_string(),
        addr.port(),
        INSTITUTION,
        SC_USER,
        SC_PASSWORD.into(),
    );
    config.timeout = Duration::from_secs(2);
    config
}

pub fn client_for(server: &TestServer) -> Sip2Client {
    Sip2Client::new(config_for(server.addr()))
}

/// A one-connection server that answers each frame it reads with the next scripted reply
/// (sent as is, so the script chooses the terminator), then closes.
pub async fn scripted_server(replies: Vec<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind(loopback())
        .await
        .expect("a free loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        for reply in replies {
            // Read one request: up to its CR.
            let mut byte = [0u8; 1];
            loop {
                match socket.read(&mut byte).await {
                    Ok(1) if byte[0] == b'\r' => break,
                    Ok(1) => {}
                    _ => return,
                }
            }
            if socket.write_all(&reply).await.is_err() {
                return;
            }
        }
    });
    addr
}

/// An address where nothing listens: bound once, then released.
pub async fn dead_address() -> SocketAddr {
    let listener = TcpListener::bind(loopback())
        .await
        .expect("a free loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// A frame with its `AZ` checksum (and sequence), as a well-behaved server would send it.
pub fn with_checksum(body: &str, sequence: u8) -> Vec<u8> {
    let mut frame = format!("{body}AY{sequence}AZ").into_bytes();
    let sum = lyceum_sip2::checksum::checksum(&frame);
    frame.extend_from_slice(&lyceum_sip2::checksum::format_checksum(sum));
    frame.push(b'\r');
    frame
}
