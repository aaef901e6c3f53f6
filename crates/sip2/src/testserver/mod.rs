//! A small, spec-conformant SIP2 server for tests and local development: Lyceum's own
//! integration tests run against it, and `lyceum dev sip2-server --patrons FILE` serves it
//! so a developer can sign in with a library card without a real ILS.
//!
//! It answers login (93 → 94), SC status (99 → 98), patron status (23 → 24) and patron
//! information (63 → 64); anything else gets 96. When a request carries `AY`/`AZ` the reply
//! echoes the sequence and carries a checksum, and a request whose checksum is wrong gets
//! 96. Patron replies hold BL, CQ (only when a PIN was sent), PA and the status mask, and an
//! empty AE: the test server holds no names, so it cannot leak any.
//!
//! It must not be used as a real ILS: PINs are plain strings in its config, compared in the
//! open, and there is no rate limiting.
//!
//! # The patrons file
//!
//! [`TestServerConfig::from_file`] reads TOML (`crates/sip2/patrons.example.toml` is an
//! example):
//!
//! ```toml
//! login_user = "lyceum"         # the SC login (CN) the server accepts
//! login_password = "sip-secret" # and its password (CO)
//! institution = "DEMO"          # AO in replies
//!
//! [[patrons]]
//! card = "20000001"
//! pin = "1234"
//! state = "valid"   # valid | expired | blocked | lost
//! ```
//!
//! What each state looks like on the wire, modelled on what ILSs do:
//!
//! | state | status mask | PA |
//! |---|---|---|
//! | `valid` | all blank | 20991231 |
//! | `expired` | charge privileges denied | 20200101 |
//! | `blocked` | charge privileges denied | 20991231 |
//! | `lost` | charge privileges denied + card reported lost | 20991231 |
//!
//! An unknown card gets `BLN`, no CQ and the mask `YYYY` followed by blanks, like the
//! Evergreen server in `tests/data/evergreen-sipserver-transcript.txt`.
//!
//! # Faults
//!
//! [`TestServer::set_fault`] makes the server misbehave for tests: answer slowly, drop a
//! connection, or speak garbage. Plain TCP by default; [`TestServer::start_tls`] serves TLS
//! from a PEM certificate chain and key.

mod request;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::checksum::{checksum, format_checksum};
use crate::message::sip_date;
use crate::wire::{ChecksumStatus, FramedStream};
use request::{ParsedRequest, RequestMessage};

/// One patron the test server knows.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPatron {
    /// The card number (AA).
    pub card: String,
    /// The PIN (AD) that makes CQ say Y.
    pub pin: String,
    /// How the ILS sees this card.
    pub state: TestPatronState,
}

impl fmt::Debug for TestPatron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPatron")
            .field("card", &self.card)
            .field("pin", &"[REDACTED]")
            .field("state", &self.state)
            .finish()
    }
}

/// How the test server reports a patron; see the table in the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestPatronState {
    /// In good standing.
    Valid,
    /// Past its expiry date (and, as ILSs do, denied borrowing).
    Expired,
    /// Charge privileges denied.
    Blocked,
    /// Reported lost (and denied borrowing).
    Lost,
}

impl TestPatronState {
    fn status_mask(self) -> &'static str {
        match self {
            Self::Valid => "              ",
            Self::Expired | Self::Blocked => "Y             ",
            Self::Lost => "Y   Y         ",
        }
    }

    fn expiry(self) -> &'static str {
        match self {
            Self::Expired => "20200101",
            Self::Valid | Self::Blocked | Self::Lost => "20991231",
        }
    }
}

/// A way to make the test server misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Wait this long before each reply.
    Slow(Duration),
    /// Close the socket on the next request instead of answering, once: the fault then
    /// resets to `None`, so the client's reconnect finds a working server (a restarted ILS).
    Disconnect,
    /// Reply to every request with random bytes that are not SIP2.
    Garbage,
}

/// What the test server accepts and whom it knows.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestServerConfig {
    /// The SC login user (CN) accepted by 93.
    pub login_user: String,
    /// The SC login password (CO) accepted by 93.
    pub login_password: String,
    /// The institution id (AO) put in replies.
    pub institution: String,
    /// The patrons; any other card is unknown.
    #[serde(default)]
    pub patrons: Vec<TestPatron>,
}

impl fmt::Debug for TestServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServerConfig")
            .field("login_user", &self.login_user)
            .field("login_password", &"[REDACTED]")
            .field("institution", &self.institution)
            .field("patrons", &self.patrons)
            .finish()
    }
}

/// Why a patrons file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TestServerConfigError {
    /// The file could not be read.
    #[error("cannot read the SIP2 test server patrons file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The io error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML in the documented format.
    #[error("the SIP2 test server patrons file {path} is not in the expected format")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said.
        #[source]
        source: toml::de::Error,
    },
}

impl TestServerConfig {
    /// Reads a patrons file in the format of the module doc.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TestServerConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TestServerConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| TestServerConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }
}

/// Where to find the test server's TLS certificate chain and private key (PEM files).
#[derive(Debug, Clone)]
pub struct TestServerTls {
    /// The certificate chain, leaf first.
    pub cert_chain_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// State shared by the accept loop, every connection and the handle.
struct State {
    config: TestServerConfig,
    // A std mutex: it is held for a copy, never across an await.
    fault: std::sync::Mutex<Fault>,
    requests_seen: AtomicUsize,
    connections_accepted: AtomicUsize,
}

impl State {
    fn fault(&self) -> Fault {
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner) = fault;
    }

    /// Disconnect is one-shot: clear it, unless a test set another fault meanwhile.
    fn take_disconnect(&self) {
        let mut fault = self.fault.lock().unwrap_or_else(PoisonError::into_inner);
        if *fault == Fault::Disconnect {
            *fault = Fault::None;
        }
    }
}

/// A running test server. Dropping it stops it; [`TestServer::shutdown`] also waits until
/// every connection is closed.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts serving plain TCP on `addr` (port 0 picks a free port; see [`Self::addr`]).
    pub async fn start(config: TestServerConfig, addr: SocketAddr) -> std::io::Result<TestServer> {
        Self::start_with(config, addr, None).await
    }

    /// Starts serving TLS on `addr` with the given certificate chain and key.
    pub async fn start_tls(
        config: TestServerConfig,
        addr: SocketAddr,
        tls: TestServerTls,
    ) -> std::io::Result<TestServer> {
        let acceptor = tls_acceptor(&tls)?;
        Self::start_with(config, addr, Some(acceptor)).await
    }

    async fn start_with(
        config: TestServerConfig,
        addr: SocketAddr,
        acceptor: Option<TlsAcceptor>,
    ) -> std::io::Result<TestServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            config,
            fault: std::sync::Mutex::new(Fault::None),
            requests_seen: AtomicUsize::new(0),
            connections_accepted: AtomicUsize::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, acceptor, Arc::clone(&state), stopped));
        tracing::info!(%addr, "SIP2 test server listening");
        Ok(TestServer {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Applies a fault to subsequent requests on all connections.
    pub fn set_fault(&self, fault: Fault) {
        self.state.set_fault(fault);
    }

    /// How many request frames the server has read, faulted ones included.
    pub fn requests_seen(&self) -> usize {
        self.state.requests_seen.load(Ordering::SeqCst)
    }

    /// How many TCP connections the server has accepted.
    pub fn connections_accepted(&self) -> usize {
        self.state.connections_accepted.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every connection and waits until they are gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The loop may already have ended; then there is nobody to tell.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Aborting drops the loop's JoinSet, which aborts every connection task.
            task.abort();
        }
    }
}

fn tls_acceptor(tls: &TestServerTls) -> std::io::Result<TlsAcceptor> {
    let invalid =
        |e: &dyn fmt::Display| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string());
    let chain = CertificateDer::pem_file_iter(&tls.cert_chain_file)
        .map_err(|e| invalid(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_file).map_err(|e| invalid(&e))?;
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(&e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let tcp = match accepted {
                    Ok((tcp, _peer)) => tcp,
                    Err(error) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(%error, "SIP2 test server cannot accept");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                state.connections_accepted.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&state);
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    match acceptor {
                        None => serve(tcp, state).await,
                        Some(acceptor) => {
                            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp));
                            if let Ok(Ok(tls)) = handshake.await {
                                serve(tls, state).await;
                            }
                        }
                    }
                });
            }
            // Reap finished connections so the set does not grow for ever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, state: Arc<State>) {
    let mut framed = FramedStream::new(stream);
    let mut is_logged_in = false;
    while let Ok(line) = framed.read_frame().await {
        state.requests_seen.fetch_add(1, Ordering::SeqCst);
        let reply = match state.fault() {
            Fault::Disconnect => {
                state.take_disconnect();
                return;
            }
            Fault::Garbage => garbage(),
            Fault::Slow(delay) => {
                tokio::time::sleep(delay).await;
                reply_to(&state.config, &line, &mut is_logged_in)
            }
            Fault::None => reply_to(&state.config, &line, &mut is_logged_in),
        };
        if framed.write_frame(&reply).await.is_err() {
            return;
        }
    }
}

/// Random bytes ending in CR. The first is never a digit, so garbage can never be mistaken
/// for a reply, and CR/LF are replaced so it arrives as one frame.
fn garbage() -> Vec<u8> {
    let mut rng = rand::rng();
    let len = rng.random_range(8..64);
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| match rng.random::<u8>() {
            b'\r' | b'\n' => b'#',
            byte => byte,
        })
        .collect();
    if let Some(first) = bytes.first_mut()
        && first.is_ascii_digit()
    {
        *first = b'~';
    }
    bytes.push(b'\r');
    bytes
}

fn reply_to(config: &TestServerConfig, line: &[u8], is_logged_in: &mut bool) -> Vec<u8> {
    let ParsedRequest {
        message,
        sequence,
        checksum,
    } = request::parse(line);
    let has_error_detection = checksum != ChecksumStatus::Absent;
    if checksum == ChecksumStatus::Invalid {
        // The spec's answer to a damaged frame: ask for it again.
        return frame("96", None, true);
    }
    let body = match message {
        RequestMessage::Login { user, password } => {
            *is_logged_in = user == config.login_user && password == config.login_password;
            format!("94{}", if *is_logged_in { '1' } else { '0' })
        }
        RequestMessage::ScStatus => format!(
            // Online, no checkin/checkout/renewal/status update/offline; timeout 5.0 s,
            // 3 retries; the date; version 2.00; then the supported-messages mask (BX):
            // patron status, SC status, resend, login, patron information.
            "98YNNNNN050003{}2.00AO{}|BXYNNNYYYYNNNNNNNN|",
            sip_date(chrono::Utc::now().naive_utc()),
            config.institution
        ),
        RequestMessage::PatronStatus { card, pin } if *is_logged_in => {
            patron_reply(config, "24", &card, pin.as_deref())
        }
        RequestMessage::PatronInformation { card, pin } if *is_logged_in => {
            patron_reply(config, "64", &card, pin.as_deref())
        }
        // Patron requests before a login, and anything we do not implement.
        _ => "96".to_owned(),
    };
    frame(&body, sequence, has_error_detection)
}

fn patron_reply(config: &TestServerConfig, id: &str, card: &str, pin: Option<&str>) -> String {
    let patron = config.patrons.iter().find(|patron| patron.card == card);
    let mask = patron.map_or("YYYY          ", |patron| patron.state.status_mask());
    let mut reply = format!("{id}{mask}001{}", sip_date(chrono::Utc::now().naive_utc()));
    if id == "64" {
        // Hold, overdue, charged, fine, recall and unavailable-hold counts.
        reply.push_str("000000000000000000000000");
    }
    reply.push_str(&format!("AO{}|AA{card}|AE|", config.institution));
    match patron {
        None => reply.push_str("BLN|"),
        Some(patron) => {
            reply.push_str("BLY|");
            if let Some(pin) = pin {
                reply.push_str(if pin == patron.pin { "CQY|" } else { "CQN|" });
            }
            reply.push_str(&format!("PA{}|", patron.state.expiry()));
        }
    }
    reply
}

/// Adds `AYn AZxxxx` (when the client used error detection) and the CR terminator.
fn frame(body: &str, sequence: Option<u8>, has_error_detection: bool) -> Vec<u8> {
    let mut out = body.as_bytes().to_vec();
    if has_error_detection {
        if let Some(sequence) = sequence {
            out.extend_from_slice(b"AY");
            out.push(b'0' + sequence % 10);
        }
        out.extend_from_slice(b"AZ");
        let sum = checksum(&out);
        out.extend_from_slice(&format_checksum(sum));
    }
    out.push(b'\r');
    out
}
