//! Outbound email through the operator's SMTP relay (lettre). The relay is
//! a recipient of personal data like any other: it must be listed in
//! `privacy.recipients`, and every email is recorded in the person's
//! ledger before it is handed over (`Store::disclose`).

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use lyceum_store::digests::{Mailer, OutgoingMail};
use serde::{Deserialize, Serialize};

/// The `[mail]` settings. Without `smtp_url` Lyceum sends no email at all.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MailConfig {
    /// `smtps://user:password@host:465`, or `smtp://host:587?tls=required`
    /// (STARTTLS). Plain `smtp://` without TLS is for a relay on the same
    /// machine only.
    pub smtp_url: Option<String>,
    /// The sender, as `Lyceum <lyceum@library.example>`.
    pub from: String,
    /// The relay's key in `privacy.recipients`.
    pub relay: String,
}

impl MailConfig {
    /// Checks the settings and builds the mailer, or `None` when email is
    /// off. Every mistake is named with what to set.
    pub fn mailer(
        &self,
        recipients: &[lyceum_store::ledger::Recipient],
    ) -> anyhow::Result<Option<SmtpMailer>> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from: Mailbox = self.from.parse().with_context(|| {
            format!(
                "mail.from is {:?}; set it to an address such as \"Lyceum <lyceum@library.example>\"",
                self.from
            )
        })?;
        anyhow::ensure!(
            recipients.iter().any(|r| r.key == self.relay),
            "mail.relay is {:?}, but privacy.recipients has no recipient with that key: list the mail relay there (name, country, purpose) and set mail.relay to its key",
            self.relay
        );
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("mail.smtp_url is not a valid SMTP address; use smtps://user:password@host:465 or smtp://host:587?tls=required")?
            .build();
        Ok(Some(SmtpMailer { transport, from }))
    }
}

/// Sends through an SMTP relay.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| "the member's address is not valid for email".to_owned())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| format!("the email could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("the mail relay refused or could not be reached: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay() -> lyceum_store::ledger::Recipient {
        lyceum_store::ledger::Recipient {
            key: "mail-relay".into(),
            name: "Example Mail Ltd".into(),
            country: "Ireland".into(),
            purpose: "Delivering email".into(),
            from: None,
        }
    }

    fn config(url: &str, from: &str, relay: &str) -> MailConfig {
        MailConfig {
            smtp_url: Some(url.into()),
            from: from.into(),
            relay: relay.into(),
        }
    }

    /// A relay that accepts one message and hands back what it received.
    async fn one_message_relay() -> (u16, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.expect("accept");
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            let mut received = String::new();
            write
                .write_all(b"220 relay.test ESMTP\r\n")
                .await
                .expect("greet");
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.expect("write");
                    } else {
                        received.push_str(&line);
                        received.push('\n');
                    }
                    continue;
                }
                let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                    Some("EHLO") | Some("HELO") => b"250 relay.test\r\n",
                    Some("DATA") => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    Some("QUIT") => {
                        write.write_all(b"221 bye\r\n").await.expect("write");
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.expect("write");
            }
            received
        });
        (port, task)
    }

    #[tokio::test]
    async fn an_email_reaches_the_relay_as_plain_text_from_the_configured_sender() {
        let (port, relay_task) = one_message_relay().await;
        let mailer = config(
            &format!("smtp://127.0.0.1:{port}"),
            "Riverside Lyceum <lyceum@riverside.example>",
            "mail-relay",
        )
        .mailer(&[relay()])
        .expect("valid")
        .expect("on");
        mailer
            .send(OutgoingMail {
                to: "ann@example.org".into(),
                subject: "Your Lyceum password was changed".into(),
                body: "If this was you, there is nothing to do.".into(),
            })
            .await
            .expect("sent");
        drop(mailer);
        let received = tokio::time::timeout(std::time::Duration::from_secs(10), relay_task)
            .await
            .expect("the relay finished")
            .expect("relay task");
        assert!(
            received.contains("From: \"Riverside Lyceum\" <lyceum@riverside.example>"),
            "{received}"
        );
        assert!(received.contains("To: ann@example.org"), "{received}");
        assert!(
            received.contains("Subject: Your Lyceum password was changed"),
            "{received}"
        );
        assert!(received.contains("Content-Type: text/plain"), "{received}");
        assert!(
            received.contains("If this was you, there is nothing to do."),
            "{received}"
        );
    }

    #[tokio::test]
    async fn mail_is_off_without_a_relay_and_every_mistake_says_what_to_set() {
        assert!(
            MailConfig::default()
                .mailer(&[relay()])
                .expect("off")
                .is_none()
        );
        let ok = config(
            "smtp://127.0.0.1:2525",
            "Lyceum <lyceum@library.example>",
            "mail-relay",
        );
        assert!(ok.mailer(&[relay()]).expect("valid").is_some());
        let err = |c: MailConfig, recipients: &[lyceum_store::ledger::Recipient]| {
            c.mailer(recipients)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        // A relay that is not a named recipient may not receive anything.
        assert!(err(ok.clone(), &[]).contains("privacy.recipients"));
        assert!(
            err(
                config("smtp://127.0.0.1:2525", "not an address", "mail-relay"),
                &[relay()]
            )
            .contains("mail.from")
        );
        assert!(
            err(
                config("ftp://example", "Lyceum <l@library.example>", "mail-relay"),
                &[relay()]
            )
            .contains("mail.smtp_url")
        );
    }
}
