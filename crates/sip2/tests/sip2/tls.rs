//! TLS to the ILS: trusted through the library's CA file, refused without it.

use std::path::PathBuf;

use lyceum_sip2::testserver::{TestServer, TestServerTls};
use lyceum_sip2::{PatronVerdict, Sip2Client, Sip2Error};

use crate::helpers::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

async fn start_tls_server() -> TestServer {
    let tls = TestServerTls {
        cert_chain_file: data("server.pem"),
        key_file: data("server.key"),
    };
    TestServer::start_tls(server_config(), loopback(), tls)
        .await
        .expect("the test certificate and key load")
}

#[tokio::test]
async fn a_check_over_tls_with_the_librarys_ca_file_succeeds() {
    // A self-signed ILS certificate, made trusted by its CA file; the name is "localhost".
    let server = start_tls_server().await;
    let mut config = config_for(server.addr());
    config.host = "localhost".to_owned();
    config.tls = true;
    config.tls_ca_file = Some(data("ca.pem"));
    let client = Sip2Client::new(config);
    assert_eq!(
        client.check_patron(VALID, PIN, today()).await.ok(),
        Some(PatronVerdict::Valid)
    );
}

#[tokio::test]
async fn a_tls_server_with_an_untrusted_certificate_is_unavailable() {
    // Without the CA file the certificate is not trusted, and no PIN is sent.
    let server = start_tls_server().await;
    let mut config = config_for(server.addr());
    config.host = "localhost".to_owned();
    config.tls = true;
    let result = Sip2Client::new(config)
        .check_patron(VALID, PIN, today())
        .await;
    assert!(
        matches!(result, Err(Sip2Error::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(server.requests_seen(), 0);
}

#[tokio::test]
async fn a_missing_ca_file_is_unavailable_and_names_the_file() {
    // The admin mistyped the path.
    let server = start_tls_server().await;
    let mut config = config_for(server.addr());
    config.tls = true;
    config.tls_ca_file = Some(data("no-such-ca.pem"));
    let result = Sip2Client::new(config).test_connection().await;
    match result {
        Err(Sip2Error::Unavailable(reason)) => {
            assert!(reason.contains("no-such-ca.pem"), "{reason}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
