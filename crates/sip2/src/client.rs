//! The SIP2 client: configuration, errors, the pooled connection and the two things Lyceum
//! asks of an ILS — "is this card and PIN good?" and "are you there?".
//!
//! The client holds the PIN only while a check runs (inside a zeroed-on-drop request) and
//! returns a [`PatronVerdict`], never anything the ILS said about the patron. It logs
//! connection events only: no card numbers, PINs, frames or patron fields.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::message::{self, Request, Terminator};
use crate::response::{ResponseMessage, parse_response};
use crate::transport::{self, Stream};
use crate::verdict::{PatronVerdict, decide};
use crate::wire::{ChecksumStatus, FrameError, FramedStream};

/// How to reach and speak to one library's ILS.
///
/// `Debug` is safe to log: the SC password is a `SecretString` and prints redacted.
#[derive(Debug, Clone)]
pub struct Sip2Config {
    /// The ILS's SIP2 host name or address; also the TLS server name.
    pub host: String,
    /// The SIP2 port (often 6001).
    pub port: u16,
    /// Speak TLS over TCP (rustls). The certificate must be valid for `host`.
    pub tls: bool,
    /// An extra PEM CA (bundle) to trust, for ILSs with a self-signed or in-house
    /// certificate. `None` trusts the webpki roots only.
    pub tls_ca_file: Option<PathBuf>,
    /// The self-check login user (CN).
    pub login_user: String,
    /// The self-check login password (CO).
    pub login_password: SecretString,
    /// The location code (CP), when the ILS wants one.
    pub location: Option<String>,
    /// The institution id (AO).
    pub institution: String,
    /// Send AY/AZ on requests and require a valid AZ on replies.
    pub error_detection: bool,
    /// How our frames end.
    pub terminator: Terminator,
    /// The bound on each exchange: connecting (with TLS), and each request with its reply.
    pub timeout: Duration,
    /// Ask with patron information (63/64, the default) rather than patron status (23/24).
    /// 64 is where Evergreen and Koha put the PA expiry date; with 23/24 an expired card is
    /// only caught if the ILS also blocks it in the status mask.
    pub use_patron_information: bool,
}

impl Sip2Config {
    /// The timeout used when none is chosen.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A configuration with the defaults: plain TCP, no location, error detection on,
    /// CR terminator, 5 s timeout, patron information (63).
    pub fn new(
        host: impl Into<String>,
        port: u16,
        institution: impl Into<String>,
        login_user: impl Into<String>,
        login_password: SecretString,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            tls: false,
            tls_ca_file: None,
            login_user: login_user.into(),
            login_password,
            location: None,
            institution: institution.into(),
            error_detection: true,
            terminator: Terminator::Cr,
            timeout: Self::DEFAULT_TIMEOUT,
            use_patron_information: true,
        }
    }
}

/// What can go wrong talking to an ILS. Messages carry no PIN, card number or patron data.
#[derive(Debug, thiserror::Error)]
pub enum Sip2Error {
    /// The ILS could not be reached, timed out, or closed the connection (after one retry
    /// on a fresh connection).
    #[error("the library system is unavailable: {0}")]
    Unavailable(String),
    /// The ILS refused the self-check login (94 with ok=0): the CN/CO settings are wrong.
    #[error("the library system refused the SIP2 login; check the SC user and password")]
    LoginRefused,
    /// The ILS sent something that is not the SIP2 we expect (garbage, a bad checksum, the
    /// wrong reply), or a value could not be sent safely.
    #[error("SIP2 protocol error: {0}")]
    Protocol(String),
}

/// What the ILS says about itself in its ACS status (98); nothing else is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    /// The protocol version, e.g. "2.00".
    pub protocol_version: String,
    /// The institution id (AO) the ILS reports, if any.
    pub institution: Option<String>,
    /// Whether the ILS says it is online.
    pub online: bool,
}

/// A SIP2 client for one library. Cheap to clone: clones share one pooled connection.
#[derive(Debug, Clone)]
pub struct Sip2Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Sip2Config,
    // One connection per client, behind an async mutex so checks take turns on it. SIP2 is
    // strictly request/reply on a connection, and ILSs license or limit SC logins, so one
    // logged-in connection per library is the polite shape; patron sign-ins are rare enough
    // that queueing behind the lock costs nothing noticeable.
    connection: Mutex<Option<Connection>>,
}

/// Why one attempt at an exchange failed, before it becomes a `Sip2Error`.
enum Failure {
    /// io error, timeout, closed: the connection is gone and a fresh one may work.
    Transport(String),
    Protocol(String),
    LoginRefused,
}

impl From<Failure> for Sip2Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Transport(reason) => Self::Unavailable(reason),
            Failure::Protocol(reason) => Self::Protocol(reason),
            Failure::LoginRefused => Self::LoginRefused,
        }
    }
}

impl Sip2Client {
    /// Makes a client. Nothing is connected until the first check.
    pub fn new(config: Sip2Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                connection: Mutex::new(None),
            }),
        }
    }

    /// Checks card + PIN; `today` is the date used to decide whether a PA expiry date has
    /// passed (injectable for tests). The rules are in the `verdict` module's doc.
    pub async fn check_patron(
        &self,
        card: &str,
        pin: &str,
        today: NaiveDate,
    ) -> Result<PatronVerdict, Sip2Error> {
        let config = &self.inner.config;
        let now = Utc::now().naive_utc();
        let (request, expected) = if config.use_patron_information {
            (
                message::patron_information(&config.institution, card, pin, now),
                "64",
            )
        } else {
            (
                message::patron_status(&config.institution, card, pin, now),
                "24",
            )
        };
        // Refused before anything is sent: see `message` on field-separator injection.
        let request = request.map_err(|e| Sip2Error::Protocol(e.to_string()))?;
        match self.exchange(&request, expected).await? {
            ResponseMessage::PatronStatus(reply) | ResponseMessage::PatronInformation(reply) => {
                let verdict = decide(&reply, today);
                tracing::debug!(?verdict, "SIP2 patron check done");
                Ok(verdict)
            }
            other => Err(unexpected(expected, &other)),
        }
    }

    /// Connects (if needed), logs in, sends SC status 99 and returns the 98 summary — for the
    /// library admin's "test connection" button.
    pub async fn test_connection(&self) -> Result<ServerStatus, Sip2Error> {
        match self.exchange(&message::sc_status(), "98").await? {
            ResponseMessage::AcsStatus(status) => Ok(status),
            other => Err(unexpected("98", &other)),
        }
    }

    /// Sends one request on the pooled connection and returns the reply.
    ///
    /// If a *reused* connection fails at the transport level we drop it and try once more on
    /// a fresh one: the ILS may have restarted or an idle timeout may have closed the socket
    /// since the last check, and the patron should not see that. A failure on a fresh
    /// connection is not retried, because the ILS is then really down or slow and a retry
    /// would only double the wait (the patron would wait twice the timeout for the same
    /// answer).
    async fn exchange(
        &self,
        request: &Request,
        expected: &'static str,
    ) -> Result<ResponseMessage, Sip2Error> {
        let mut slot = self.inner.connection.lock().await;
        let was_pooled = slot.is_some();
        match self.exchange_on(&mut slot, request, expected).await {
            Err(Failure::Transport(reason)) if was_pooled => {
                tracing::info!(%reason, "pooled SIP2 connection failed; retrying on a fresh one");
                Ok(self.exchange_on(&mut slot, request, expected).await?)
            }
            result => Ok(result?),
        }
    }

    async fn exchange_on(
        &self,
        slot: &mut Option<Connection>,
        request: &Request,
        expected: &'static str,
    ) -> Result<ResponseMessage, Failure> {
        // The connection is taken out of the slot for the exchange and put back only after a
        // whole reply was read. If the caller drops this future half-way (an HTTP handler
        // timing out), the connection is dropped with it: were it kept, its late reply
        // would be read as the answer to the next patron's check.
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => self.open().await?,
        };
        let result = connection
            .exchange(&self.inner.config, request, expected)
            .await;
        // After a failure we cannot know what is still in flight on the stream, so the
        // connection is not put back and the next exchange starts on a new one.
        if result.is_ok() {
            *slot = Some(connection);
        }
        result
    }

    /// Connects and logs in (93/94).
    async fn open(&self) -> Result<Connection, Failure> {
        let config = &self.inner.config;
        let stream = tokio::time::timeout(
            config.timeout,
            transport::connect(
                &config.host,
                config.port,
                config.tls,
                config.tls_ca_file.as_deref(),
            ),
        )
        .await
        .map_err(|_| {
            Failure::Transport(format!(
                "no connection to {}:{} within {:?}",
                config.host, config.port, config.timeout
            ))
        })?
        .map_err(Failure::Transport)?;
        tracing::debug!(host = %config.host, port = config.port, "SIP2 connected");

        let mut connection = Connection {
            stream: FramedStream::new(stream),
            next_sequence: 0,
        };
        let login = message::login(
            &config.login_user,
            &config.login_password,
            config.location.as_deref(),
        )
        .map_err(|e| Failure::Protocol(e.to_string()))?;
        match connection.exchange(config, &login, "94").await? {
            ResponseMessage::Login { is_ok: true } => Ok(connection),
            ResponseMessage::Login { is_ok: false } => {
                tracing::warn!(host = %config.host, "SIP2 login refused by the ILS");
                Err(Failure::LoginRefused)
            }
            other => Err(Failure::Protocol(unexpected_reason("94", &other))),
        }
    }
}

// The rest of Lyceum keeps one client per library in shared state across tasks.
const _: () = {
    const fn is_shareable<T: Send + Sync + Clone + 'static>() {}
    is_shareable::<Sip2Client>();
};

fn unexpected(expected: &str, got: &ResponseMessage) -> Sip2Error {
    Sip2Error::Protocol(unexpected_reason(expected, got))
}

fn unexpected_reason(expected: &str, got: &ResponseMessage) -> String {
    format!("expected a {expected} reply, got {}", got.id())
}

/// One logged-in connection.
struct Connection {
    stream: FramedStream<Box<dyn Stream>>,
    /// The next AY value; cycles 0–9 per connection, as the spec says.
    next_sequence: u8,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("next_sequence", &self.next_sequence)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Writes the request and reads its reply, each round bounded by the timeout. A 96
    /// ("please resend") gets one resend of the same frame; a second 96 is a protocol error.
    async fn exchange(
        &mut self,
        config: &Sip2Config,
        request: &Request,
        expected: &'static str,
    ) -> Result<ResponseMessage, Failure> {
        let sequence = config.error_detection.then(|| {
            let sequence = self.next_sequence;
            self.next_sequence = (sequence + 1) % 10;
            sequence
        });
        let wire = request.to_wire(sequence, config.terminator);
        let mut has_resent = false;
        loop {
            let round = async {
                self.stream.discard_buffered();
                self.stream
                    .write_frame(wire.expose_secret())
                    .await
                    .map_err(|e| Failure::Transport(format!("cannot send: {e}")))?;
                self.stream.read_frame().await.map_err(|e| match e {
                    FrameError::Closed => {
                        Failure::Transport("the server closed the connection".to_owned())
                    }
                    FrameError::Io(e) => Failure::Transport(format!("cannot read: {e}")),
                    FrameError::TooLong => Failure::Protocol(format!(
                        "reply longer than {} bytes",
                        crate::wire::MAX_FRAME_LEN
                    )),
                })
            };
            let mut line = tokio::time::timeout(config.timeout, round)
                .await
                .map_err(|_| {
                    Failure::Transport(format!("no reply within {:?}", config.timeout))
                })??;
            let parsed = parse_response(&line);
            // The line may hold the patron's name and address; it is not needed any more.
            line.zeroize();
            self.stream.discard_buffered();
            let response = parsed.map_err(|e| Failure::Protocol(e.to_string()))?;

            if response.message == ResponseMessage::RequestResend {
                if has_resent {
                    return Err(Failure::Protocol(
                        "the server asked for a resend twice".to_owned(),
                    ));
                }
                tracing::debug!("SIP2 server asked for a resend");
                has_resent = true;
                continue;
            }
            if config.error_detection {
                // A missing checksum is refused like a wrong one: with error detection on,
                // the ILS promised one, and a reply without it may be from something else.
                match response.checksum {
                    ChecksumStatus::Valid => {}
                    ChecksumStatus::Invalid => {
                        return Err(Failure::Protocol("bad checksum on the reply".to_owned()));
                    }
                    ChecksumStatus::Absent => {
                        return Err(Failure::Protocol("reply has no checksum".to_owned()));
                    }
                }
                if response.sequence.is_some() && response.sequence != sequence {
                    return Err(Failure::Protocol(
                        "reply sequence number does not match the request".to_owned(),
                    ));
                }
            }
            if response.message.id() != expected {
                return Err(Failure::Protocol(unexpected_reason(
                    expected,
                    &response.message,
                )));
            }
            return Ok(response.message);
        }
    }
}
