//! Member account values: email, display name, password rules, roles.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why an email address was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmailError {
    /// Nothing was typed.
    #[error("Enter your email address.")]
    Empty,
    /// More than the 254 characters an address can have (RFC 5321).
    #[error("An email address can be at most 254 characters long.")]
    TooLong,
    /// Not of the form name@domain.
    #[error("Enter an email address like name@example.org.")]
    Malformed,
}

/// A syntactically plausible email address, trimmed, with the domain part in
/// lower case. The local part keeps its case (RFC 5321 lets servers treat
/// it as case-sensitive), but [`Email::normalised`] folds it for look-ups so
/// that `Ann@x.org` and `ann@x.org` are one account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address typed by a person.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !domain_ok || !local_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as given (domain lower-cased).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for the blind index: entirely lower case.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Debug for Email {
    // Personal data never reaches a log through Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

/// Why a display name was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DisplayNameError {
    /// Nothing but spaces.
    #[error("Enter the name you want others to see.")]
    Empty,
    /// Longer than 100 characters.
    #[error("A name can be at most 100 characters long.")]
    TooLong,
    /// Control characters (line breaks, escapes) are not part of a name.
    #[error("A name cannot contain line breaks or control characters.")]
    ControlCharacter,
}

/// The name a member shows to others; any script, 1–100 characters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a name typed by a person; surrounding spaces are dropped.
    pub fn parse(raw: &str) -> Result<Self, DisplayNameError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if s.chars().count() > 100 {
            return Err(DisplayNameError::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(DisplayNameError::ControlCharacter);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = DisplayNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DisplayName> for String {
    fn from(d: DisplayName) -> Self {
        d.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DisplayName(<redacted>)")
    }
}

/// Why a new password was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Shorter than [`NewPassword::MIN_CHARS`].
    #[error("Choose a password of at least 12 characters.")]
    TooShort,
    /// Longer than [`NewPassword::MAX_CHARS`]; the cap keeps hashing cheap
    /// to refuse (NIST SP 800-63B allows a cap of at least 64).
    #[error("A password can be at most 256 characters long.")]
    TooLong,
}

/// A password someone is choosing. Follows NIST SP 800-63B: a length rule,
/// no composition rules, any characters including spaces.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// The shortest password accepted.
    pub const MIN_CHARS: usize = 12;
    /// The longest password accepted.
    pub const MAX_CHARS: usize = 256;

    /// Checks a password being chosen.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if n > Self::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// What a member account may do on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary member.
    Member,
    /// Runs the instance: creates libraries, sees operator pages.
    Operator,
}

impl Role {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Operator => "operator",
        }
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Role::Member),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_domain_is_lower_cased_and_local_part_kept() {
        // Someone types their address with capitals; the domain folds, the local part stays.
        let e = Email::parse("  Ann.Lee@Example.ORG ").expect("valid");
        assert_eq!(e.as_str(), "Ann.Lee@example.org");
        assert_eq!(e.normalised(), "ann.lee@example.org");
    }

    #[test]
    fn obviously_wrong_emails_are_refused_with_a_reason() {
        // Typing mistakes get a message, not an account.
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("ann"), Err(EmailError::Malformed));
        assert_eq!(Email::parse("ann@localhost"), Err(EmailError::Malformed));
        assert_eq!(Email::parse("a b@x.org"), Err(EmailError::Malformed));
        assert_eq!(Email::parse("ann@x..org"), Err(EmailError::Malformed));
    }

    #[test]
    fn debug_output_never_shows_personal_values() {
        // A stray `{:?}` in a log line must not leak an address or a name.
        let e = Email::parse("ann@example.org").expect("valid");
        let n = DisplayName::parse("Ann Lee").expect("valid");
        assert!(!format!("{e:?}{n:?}").contains("ann"));
        assert!(!format!("{n:?}").contains("Lee"));
    }

    #[test]
    fn password_length_is_the_only_rule() {
        // Long passphrases with spaces are welcome; short ones are not.
        assert!(NewPassword::parse("correct horse battery staple").is_ok());
        assert_eq!(
            NewPassword::parse("short").err(),
            Some(PasswordError::TooShort)
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(257)).err(),
            Some(PasswordError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn email_parse_never_panics_and_round_trips(s in "\\PC{0,80}") {
            // Any input either parses to an address that parses again to itself, or is refused.
            if let Ok(e) = Email::parse(&s) {
                let again = Email::parse(e.as_str()).expect("a parsed email parses again");
                prop_assert_eq!(again.as_str(), e.as_str());
                prop_assert!(e.as_str().contains('@'));
            }
        }

        #[test]
        fn generated_addresses_are_accepted(local in "[a-z0-9._%+-]{1,30}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,10}") {
            // Ordinary addresses are never refused.
            let raw = format!("{local}@{domain}");
            let parsed = Email::parse(&raw);
            prop_assert!(parsed.is_ok(), "refused {}", raw);
        }

        #[test]
        fn display_names_are_trimmed_and_bounded(s in "\\PC{0,150}") {
            // Whatever is typed, an accepted name is trimmed, non-empty and at most 100 characters.
            if let Ok(n) = DisplayName::parse(&s) {
                prop_assert!(!n.as_str().is_empty());
                prop_assert_eq!(n.as_str(), n.as_str().trim());
                prop_assert!(n.as_str().chars().count() <= 100);
            }
        }

        #[test]
        fn password_rule_is_exactly_length(s in "\\PC{0,300}") {
            // Acceptance depends on the character count and on nothing else.
            let n = s.chars().count();
            prop_assert_eq!(NewPassword::parse(&s).is_ok(), (12..=256).contains(&n));
        }
    }
}
