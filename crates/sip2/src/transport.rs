//! Opening the byte stream to the ILS: plain TCP or TLS over TCP (rustls, ring provider).
//!
//! Trust for TLS is the webpki root set plus, when configured, the library's own CA file:
//! many ILS installations use a self-signed or in-house certificate, and that file is how a
//! library admin makes it trusted without turning verification off. There is deliberately no
//! "skip verification" switch: it would send PINs to whoever answers.

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// Any stream we can speak SIP2 over.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Connects to `host:port`, wrapping the socket in TLS when asked. Errors are plain text
/// for `Sip2Error::Unavailable`; they hold host names and paths, never credentials.
pub(crate) async fn connect(
    host: &str,
    port: u16,
    tls: bool,
    ca_file: Option<&Path>,
) -> Result<Box<dyn Stream>, String> {
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    // SIP2 is many small request/reply pairs; Nagle would add a delay to each.
    tcp.set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    if !tls {
        return Ok(Box::new(tcp));
    }
    let connector = tls_connector(ca_file)?;
    let server_name = ServerName::try_from(host.to_owned())
        .map_err(|e| format!("{host} is not a valid TLS server name: {e}"))?;
    let stream = connector
        .connect(server_name, tcp)
        .await
        .map_err(|e| format!("TLS handshake with {host}:{port} failed: {e}"))?;
    Ok(Box::new(stream))
}

fn tls_connector(ca_file: Option<&Path>) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let shown = path.display();
        let mut added = 0usize;
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {shown}: {e}"))?
        {
            let cert = cert.map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA file {shown} holds an unusable certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("the CA file {shown} holds no certificate"));
        }
    }
    // The provider is named rather than taken from the process default, because that
    // default panics when two providers are compiled in, which another crate could cause.
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}
