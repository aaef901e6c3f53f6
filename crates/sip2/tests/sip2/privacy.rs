//! The PIN and the SC password never show in `Debug` or error messages, whatever went wrong.

use std::time::Duration;

use lyceum_sip2::testserver::Fault;
use lyceum_sip2::{Sip2Client, Sip2Error};

use crate::helpers::*;

const DISTINCT_PIN: &str = "pin-8c1f";

fn assert_hidden(error: &Sip2Error, secrets: &[&str]) {
    let shown = format!("{error} {error:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} leaked into {shown}");
    }
}

#[test]
fn debug_of_a_config_and_a_client_hides_the_sc_password() {
    // Configs end up in start-up logs.
    let config = config_for(loopback());
    let shown = format!("{config:?} {:?}", Sip2Client::new(config.clone()));
    assert!(!shown.contains(SC_PASSWORD), "{shown}");
}

#[tokio::test]
async fn no_error_contains_the_pin_or_the_sc_password() {
    // Each kind of failure, with a PIN that would be easy to spot.
    let server = start_server().await;
    let secrets = [DISTINCT_PIN, SC_PASSWORD];

    server.set_fault(Fault::Garbage);
    let garbage = client_for(&server)
        .check_patron(VALID, DISTINCT_PIN, today())
        .await;
    assert!(matches!(&garbage, Err(Sip2Error::Protocol(_))));

    server.set_fault(Fault::Slow(Duration::from_secs(2)));
    let mut slow_config = config_for(server.addr());
    slow_config.timeout = Duration::from_millis(100);
    let slow = Sip2Client::new(slow_config)
        .check_patron(VALID, DISTINCT_PIN, today())
        .await;
    assert!(matches!(&slow, Err(Sip2Error::Unavailable(_))));
    server.set_fault(Fault::None);

    let mut refused_config = config_for(server.addr());
    refused_config.login_password = "wrong-sc-secret".into();
    let refused = Sip2Client::new(refused_config)
        .check_patron(VALID, DISTINCT_PIN, today())
        .await;
    assert!(matches!(&refused, Err(Sip2Error::LoginRefused)));

    let injected_pin = "12|AD34";
    let injected = client_for(&server)
        .check_patron(VALID, injected_pin, today())
        .await;
    assert!(matches!(&injected, Err(Sip2Error::Protocol(_))));

    for result in [garbage, slow, refused] {
        if let Err(error) = result {
            assert_hidden(&error, &secrets);
            assert_hidden(&error, &["wrong-sc-secret"]);
        }
    }
    if let Err(error) = injected {
        assert_hidden(&error, &[injected_pin, "AD34"]);
    }
}
