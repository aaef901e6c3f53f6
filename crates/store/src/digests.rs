//! Outbound email: security notices (on by default, as people expect to
//! hear when their password changes) and email digests.
//!
//! Email digests: a daily or weekly email that says how many unread
//! notifications are waiting, sent only to members who turned on the
//! "Email digests" consent (and have not paused processing). It carries
//! counts and a link, never names or text, so the mail relay learns as
//! little as possible; every digest is recorded in the member's
//! recipients ledger before it is handed to the relay.

use crate::entity::{consent_event, digest_setting, notification};
use crate::ledger::Recipient;
use crate::{Store, StoreError};
use lyceum_core::domain::consent::Purpose;
use lyceum_core::domain::datamap::Category;
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The job that sends digests that are due.
pub const JOB_KIND: &str = "mail.digests";

/// The job that sends one security notice.
pub const SECURITY_JOB_KIND: &str = "mail.security";

/// Something about an account's security that its owner is told by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEvent {
    /// The password was changed.
    PasswordChanged,
    /// Every session was signed out.
    SignedOutEverywhere,
}

impl SecurityEvent {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            SecurityEvent::PasswordChanged => (
                "Your Lyceum password was changed",
                "The password of your Lyceum account was changed, and every other place you were signed in was signed out.",
            ),
            SecurityEvent::SignedOutEverywhere => (
                "You were signed out of Lyceum everywhere",
                "Every session of your Lyceum account was ended, on every device.",
            ),
        }
    }
}

/// How often a digest comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// At most once a day.
    Daily,
    /// At most once a week (the default).
    Weekly,
}

impl Frequency {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            _ => None,
        }
    }

    fn period_ms(self) -> i64 {
        match self {
            Frequency::Daily => 24 * 3600 * 1000,
            Frequency::Weekly => 7 * 24 * 3600 * 1000,
        }
    }
}

/// One email, ready for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// Hands email to the mail relay (SMTP in production).
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; `Err` says why, without personal values.
    async fn send(&self, mail: OutgoingMail) -> Result<(), String>;
}

/// Where digests go and how they are worded.
#[derive(Clone)]
pub struct DigestSender {
    /// The mailer.
    pub mailer: std::sync::Arc<dyn Mailer>,
    /// The configured recipients (the relay must be one of them).
    pub recipients: Vec<Recipient>,
    /// The relay's key in `recipients`.
    pub relay: String,
    /// The instance's address, for the link in the email.
    pub base_url: String,
}

impl std::fmt::Debug for DigestSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestSender")
            .field("relay", &self.relay)
            .finish()
    }
}

/// The member a queued email is for, or `missing` as the job's error.
pub(crate) fn mail_member(payload: &serde_json::Value, missing: &str) -> Result<MemberId, String> {
    payload["member"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .map(MemberId)
        .ok_or_else(|| missing.to_owned())
}

impl Store {
    /// The account a queued email is for; `None` when it was erased or
    /// closed since (the email is then not sent, and the job is done).
    pub(crate) async fn mail_account(
        &self,
        member: MemberId,
    ) -> Result<Option<crate::accounts::Member>, String> {
        match self.accounts().get(member).await {
            Ok(m) => Ok(m),
            Err(StoreError::KeyDestroyed) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// How often the member gets a digest (weekly until they choose).
    pub async fn digest_frequency(&self, member: MemberId) -> Result<Frequency, StoreError> {
        Ok(digest_setting::Entity::find_by_id(member.0)
            .one(&self.db)
            .await?
            .and_then(|r| Frequency::from_key(&r.frequency))
            .unwrap_or(Frequency::Weekly))
    }

    /// Sets how often the member gets a digest.
    pub async fn set_digest_frequency(
        &self,
        member: MemberId,
        frequency: Frequency,
    ) -> Result<(), StoreError> {
        digest_setting::Entity::insert(digest_setting::ActiveModel {
            member_id: Set(member.0),
            frequency: Set(frequency.key().into()),
            last_sent_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(digest_setting::Column::MemberId)
                .update_column(digest_setting::Column::Frequency)
                .to_owned(),
        )
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    /// Queues a security notice for a member; the worker sends it (and
    /// retries it) when a mail relay is configured.
    pub async fn queue_security_mail(
        &self,
        member: MemberId,
        event: SecurityEvent,
    ) -> Result<(), StoreError> {
        self.jobs()
            .enqueue(
                SECURITY_JOB_KIND,
                serde_json::json!({ "member": member.0, "event": event, "at": self.now_ms() }),
                self.now_ms(),
            )
            .await
    }

    /// Sends a queued security notice: recorded in the member's ledger,
    /// then handed to the relay. A member erased meanwhile gets nothing.
    pub async fn send_security_mail(
        &self,
        sender: &DigestSender,
        payload: &serde_json::Value,
    ) -> Result<(), String> {
        let member = mail_member(payload, "a security email without a member")?;
        let event: SecurityEvent = serde_json::from_value(payload["event"].clone())
            .map_err(|_| "a security email of an unknown kind".to_owned())?;
        let at = payload["at"].as_i64().map(crate::from_ms);
        let Some(account) = self.mail_account(member).await? else {
            return Ok(());
        };
        let (subject, what) = event.words();
        let when = at.map_or_else(String::new, |t| {
            format!(" ({})", t.format("%-d %B %Y, %H:%M UTC"))
        });
        let mail = OutgoingMail {
            to: account.email.as_str().to_owned(),
            subject: subject.to_owned(),
            body: format!(
                "{what}{when}\n\nIf this was you, there is nothing to do.\n\n\
                 If it was not you, sign in at {base}/signin, change your password at \
                 {base}/me/security and sign out everywhere.\n\n\
                 Lyceum emails you only about your account's security, and a digest \
                 if you turned one on.\n",
                base = sender.base_url
            ),
        };
        self.disclose(
            &sender.recipients,
            SubjectId(member.0),
            &sender.relay,
            "Telling you about a change to your account's security",
            &[Category::Contact],
            || sender.mailer.send(mail),
        )
        .await
        .map_err(|e| e.to_string())
    }

    /// Sends every digest that is due: to members who consent now, whose
    /// last digest is older than their period, and who have unread
    /// notifications newer than it. Returns how many were sent. A member
    /// whose email fails is tried again at the next run.
    pub async fn send_digests(&self, sender: &DigestSender) -> Result<usize, StoreError> {
        let now = self.now_ms();
        // Anyone who ever turned the consent on; `Consents::has` then
        // decides on the latest choice and on a pause.
        let candidates: Vec<uuid::Uuid> = consent_event::Entity::find()
            .select_only()
            .column(consent_event::Column::SubjectId)
            .distinct()
            .filter(consent_event::Column::Purpose.eq(Purpose::EmailDigests.key()))
            .filter(consent_event::Column::Granted.eq(true))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for id in candidates {
            let subject = SubjectId(id);
            if !self.consents().has(subject, Purpose::EmailDigests).await? {
                continue;
            }
            let setting = digest_setting::Entity::find_by_id(id).one(&self.db).await?;
            let frequency = setting
                .as_ref()
                .and_then(|r| Frequency::from_key(&r.frequency))
                .unwrap_or(Frequency::Weekly);
            let last = setting.as_ref().and_then(|r| r.last_sent_at);
            if last.is_some_and(|l| now - l < frequency.period_ms()) {
                continue;
            }
            let since = last.unwrap_or(now - frequency.period_ms());
            let kinds: Vec<String> = notification::Entity::find()
                .select_only()
                .column(notification::Column::Kind)
                .filter(notification::Column::MemberId.eq(id))
                .filter(notification::Column::ReadAt.is_null())
                .filter(notification::Column::CreatedAt.gt(since))
                .into_tuple()
                .all(&self.db)
                .await?;
            if kinds.is_empty() {
                continue;
            }
            let member = match self.accounts().get(MemberId(id)).await {
                Ok(Some(m)) => m,
                Ok(None) | Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let mail = compose(&kinds, frequency, &sender.base_url, member.email.as_str());
            let disclosed = self
                .disclose(
                    &sender.recipients,
                    subject,
                    &sender.relay,
                    "Delivering the email digest you turned on",
                    &[Category::Contact, Category::SocialContent],
                    || sender.mailer.send(mail),
                )
                .await;
            match disclosed {
                Ok(()) => {
                    digest_setting::Entity::insert(digest_setting::ActiveModel {
                        member_id: Set(id),
                        frequency: Set(frequency.key().into()),
                        last_sent_at: Set(Some(now)),
                    })
                    .on_conflict(
                        OnConflict::column(digest_setting::Column::MemberId)
                            .update_column(digest_setting::Column::LastSentAt)
                            .to_owned(),
                    )
                    .exec_without_returning(&self.writer)
                    .await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "an email digest was not sent");
                }
            }
        }
        Ok(sent)
    }
}

/// The digest's words: counts by kind and a link, nothing else.
fn compose(kinds: &[String], frequency: Frequency, base: &str, to: &str) -> OutgoingMail {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for k in kinds {
        let label = match k.as_str() {
            "connection_request" => ("request to connect", "requests to connect"),
            "connection_accepted" => ("accepted request", "accepted requests"),
            "follow" => ("new follower", "new followers"),
            "reaction" => (
                "reaction to your posts and comments",
                "reactions to your posts and comments",
            ),
            "comment" => ("comment on your posts", "comments on your posts"),
            "reply" => ("reply to your comments", "replies to your comments"),
            "mention" => ("mention", "mentions"),
            "moderation" => ("moderation decision", "moderation decisions"),
            _ => ("other notification", "other notifications"),
        };
        *counts.entry(label).or_default() += 1;
    }
    let period = match frequency {
        Frequency::Daily => "today",
        Frequency::Weekly => "this week",
    };
    let mut body = format!(
        "You have {} unread notification{} on Lyceum {period}:\n\n",
        kinds.len(),
        if kinds.len() == 1 { "" } else { "s" }
    );
    for ((one, many), n) in &counts {
        body.push_str(&format!("- {n} {}\n", if *n == 1 { one } else { many }));
    }
    body.push_str(&format!(
        "\nRead them at {base}/notifications\n\n\
         You get this email because you turned on email digests. To stop \
         them, turn \"Email digests\" off at {base}/me/choices.\n"
    ));
    OutgoingMail {
        to: to.to_owned(),
        subject: format!(
            "{} unread notification{} on Lyceum",
            kinds.len(),
            if kinds.len() == 1 { "" } else { "s" }
        ),
        body,
    }
}
