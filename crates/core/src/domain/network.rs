//! The professional network's values and rules: who may see what
//! (audiences and the viewer's relation to an author), the five reactions,
//! handles, and the limits on what people write.
//!
//! Every visibility decision in Lyceum goes through [`Audience::admits`],
//! so a rule changes in one place and the visibility matrix test covers
//! every endpoint that shows something.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Who may see a post or a profile section. Settings start at the
/// narrowest level that makes sense (privacy invariant 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Only the person themself.
    OnlyMe,
    /// Their connections.
    Connections,
    /// Anyone signed in as a member.
    Members,
    /// Anyone, signed in or not.
    Public,
}

impl Audience {
    /// Every level, narrowest first.
    pub const ALL: [Audience; 4] = [
        Audience::OnlyMe,
        Audience::Connections,
        Audience::Members,
        Audience::Public,
    ];

    /// The levels a post may have (a post for nobody is a draft, which
    /// Lyceum does not keep).
    pub const FOR_POSTS: [Audience; 3] =
        [Audience::Connections, Audience::Members, Audience::Public];

    /// The stable key used in storage, forms and the API.
    pub fn key(self) -> &'static str {
        match self {
            Audience::OnlyMe => "only_me",
            Audience::Connections => "connections",
            Audience::Members => "members",
            Audience::Public => "public",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Words for a choice list.
    pub fn label(self) -> &'static str {
        match self {
            Audience::OnlyMe => "Only me",
            Audience::Connections => "My connections",
            Audience::Members => "All members",
            Audience::Public => "Anyone, including people not signed in",
        }
    }

    /// Whether someone with this relation to the owner may see what is
    /// shown at this level. A block hides everything both ways.
    pub fn admits(self, viewer: Relation) -> bool {
        match viewer {
            Relation::Myself => true,
            Relation::Blocked => false,
            Relation::Connection => self >= Audience::Connections,
            Relation::Member => self >= Audience::Members,
            Relation::Anyone => self == Audience::Public,
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How a viewer stands to the owner of what they look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The owner.
    Myself,
    /// A connection of the owner.
    Connection,
    /// Another member.
    Member,
    /// Not signed in as a member (a visitor or a guest learner).
    Anyone,
    /// One of the two blocked the other.
    Blocked,
}

impl Relation {
    /// The viewers a "view as" preview offers.
    pub const PREVIEWS: [Relation; 3] = [Relation::Anyone, Relation::Member, Relation::Connection];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Relation::Myself => "myself",
            Relation::Connection => "connection",
            Relation::Member => "member",
            Relation::Anyone => "public",
            Relation::Blocked => "blocked",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        [
            Relation::Myself,
            Relation::Connection,
            Relation::Member,
            Relation::Anyone,
            Relation::Blocked,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }

    /// Words for the preview switcher.
    pub fn label(self) -> &'static str {
        match self {
            Relation::Myself => "you",
            Relation::Connection => "a connection",
            Relation::Member => "a member",
            Relation::Anyone => "the public",
            Relation::Blocked => "someone you blocked",
        }
    }
}

/// The five reactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    /// Like (a single press of the reaction button).
    Like,
    /// Celebrate.
    Celebrate,
    /// Love.
    Love,
    /// Insightful.
    Insightful,
    /// Curious.
    Curious,
}

impl ReactionKind {
    /// Every kind, in the picker's order.
    pub const ALL: [ReactionKind; 5] = [
        ReactionKind::Like,
        ReactionKind::Celebrate,
        ReactionKind::Love,
        ReactionKind::Insightful,
        ReactionKind::Curious,
    ];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            ReactionKind::Like => "like",
            ReactionKind::Celebrate => "celebrate",
            ReactionKind::Love => "love",
            ReactionKind::Insightful => "insightful",
            ReactionKind::Curious => "curious",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The word shown (and read by screen readers).
    pub fn label(self) -> &'static str {
        match self {
            ReactionKind::Like => "Like",
            ReactionKind::Celebrate => "Celebrate",
            ReactionKind::Love => "Love",
            ReactionKind::Insightful => "Insightful",
            ReactionKind::Curious => "Curious",
        }
    }

    /// A symbol shown beside the word (decorative).
    pub fn symbol(self) -> &'static str {
        match self {
            ReactionKind::Like => "👍",
            ReactionKind::Celebrate => "👏",
            ReactionKind::Love => "❤️",
            ReactionKind::Insightful => "💡",
            ReactionKind::Curious => "🤔",
        }
    }

    /// Position in [`ReactionKind::ALL`] (and in count arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A member's handle: the name in their profile's address and in
/// mentions. 3–30 characters: lower-case letters, digits and single
/// hyphens, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

/// Why a handle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Under 3 or over 30 characters.
    #[error("A handle has 3 to 30 characters.")]
    Length,
    /// Something other than letters, digits and hyphens.
    #[error(
        "A handle uses lower-case letters a–z, digits and hyphens, starts with a letter and does not end with a hyphen."
    )]
    Characters,
    /// A word Lyceum's own addresses use.
    #[error("That handle is reserved; choose another.")]
    Reserved,
}

const RESERVED_HANDLES: &[&str] = &[
    "admin",
    "api",
    "me",
    "new",
    "edit",
    "settings",
    "lyceum",
    "moderation",
    "support",
    "privacy",
    "help",
    "static",
    "operator",
];

impl Handle {
    /// Parses a handle; upper-case letters are lowered, surrounding
    /// spaces and a leading `@` are dropped.
    pub fn parse(raw: &str) -> Result<Self, HandleError> {
        let s = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        let n = s.chars().count();
        if !(3..=30).contains(&n) {
            return Err(HandleError::Length);
        }
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let starts = s.starts_with(|c: char| c.is_ascii_lowercase());
        if !ok_chars || !starts || s.ends_with('-') || s.contains("--") {
            return Err(HandleError::Characters);
        }
        if RESERVED_HANDLES.contains(&s.as_str()) {
            return Err(HandleError::Reserved);
        }
        Ok(Self(s))
    }

    /// A handle suggested from a display name: its ASCII letters and
    /// digits, hyphenated, cut to fit, with `suffix` appended.
    pub fn suggest(name: &str, suffix: &str) -> Self {
        let mut base = String::new();
        for c in name.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || (c.is_ascii_digit() && !base.is_empty()) {
                base.push(c);
            } else if !base.is_empty() && !base.ends_with('-') {
                base.push('-');
            }
        }
        let base: String = base.trim_end_matches('-').chars().take(20).collect();
        let base = base.trim_end_matches('-');
        let base = if base.len() < 3 { "member" } else { base };
        Self::parse(&format!("{base}-{suffix}"))
            .unwrap_or_else(|_| Self(format!("member-{suffix}")))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Handle {
    type Error = HandleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Handle> for String {
    fn from(h: Handle) -> String {
        h.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest post, in characters.
pub const MAX_POST_CHARS: usize = 3_000;
/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_250;
/// The longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// The longest note on a connection request, in characters.
pub const MAX_NOTE_CHARS: usize = 300;

/// Text someone wrote for others, checked against a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

/// Why text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but spaces.
    #[error("Write something first.")]
    Empty,
    /// Over the limit.
    #[error("This is {got} characters long; the limit is {max}.")]
    TooLong {
        /// Characters given.
        got: usize,
        /// The limit.
        max: usize,
    },
}

impl Text {
    /// Trims surrounding space and checks the length. Control characters
    /// other than line breaks and tabs are dropped.
    pub fn parse(raw: &str, max: usize) -> Result<Self, TextError> {
        let s: String = raw
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect();
        let s = s.trim().to_owned();
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        let got = s.chars().count();
        if got > max {
            return Err(TextError::TooLong { got, max });
        }
        Ok(Self(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The handles mentioned in a text (`@handle`), each once, in order.
pub fn mentions(text: &str) -> Vec<Handle> {
    let mut out: Vec<Handle> = Vec::new();
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '@') {
            continue; // an email address, not a mention
        }
        let word: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if let Ok(h) = Handle::parse(word.trim_end_matches('-'))
            && !out.contains(&h)
        {
            out.push(h);
        }
    }
    out
}

/// The hashtags in a text (`#word`), lower-cased, each once, in order.
/// A tag is 2–50 letters, digits or underscores and has a letter.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('#') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '&') {
            continue;
        }
        let word: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
            .to_lowercase();
        let n = word.chars().count();
        if (2..=50).contains(&n) && word.chars().any(char::is_alphabetic) && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// Reads a hashtag from an address (`/tags/rust`).
pub fn parse_tag(raw: &str) -> Option<String> {
    let tags = hashtags(&format!("#{}", raw.trim_start_matches('#')));
    (tags.len() == 1).then(|| tags.into_iter().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_admit_exactly_the_right_viewers() {
        use Audience::*;
        use Relation::*;
        let table = [
            (OnlyMe, [true, false, false, false, false]),
            (Connections, [true, true, false, false, false]),
            (Members, [true, true, true, false, false]),
            (Public, [true, true, true, true, false]),
        ];
        for (audience, expected) in table {
            let got = [Myself, Connection, Member, Anyone, Blocked].map(|r| audience.admits(r));
            assert_eq!(got, expected, "{audience:?}");
        }
    }

    #[test]
    fn handles_are_checked_and_suggested() {
        assert_eq!(
            Handle::parse(" @Ada-Lovelace ").expect("valid").as_str(),
            "ada-lovelace"
        );
        assert_eq!(Handle::parse("ab"), Err(HandleError::Length));
        assert_eq!(Handle::parse("1abc"), Err(HandleError::Characters));
        assert_eq!(Handle::parse("ab--c"), Err(HandleError::Characters));
        assert_eq!(Handle::parse("abc-"), Err(HandleError::Characters));
        assert_eq!(Handle::parse("admin"), Err(HandleError::Reserved));
        assert_eq!(
            Handle::suggest("Zoë O'Brien", "x7k2").as_str(),
            "zo-o-brien-x7k2"
        );
        assert_eq!(Handle::suggest("李雷", "x7k2").as_str(), "member-x7k2");
    }

    #[test]
    fn text_is_trimmed_and_limited() {
        assert_eq!(
            Text::parse("  hi\r\nthere \u{7} ", 10)
                .expect("valid")
                .as_str(),
            "hi\nthere"
        );
        assert_eq!(Text::parse("   ", 10), Err(TextError::Empty));
        assert_eq!(
            Text::parse("abcdef", 5),
            Err(TextError::TooLong { got: 6, max: 5 })
        );
    }

    #[test]
    fn mentions_and_tags_are_found() {
        let m =
            mentions("Thanks @ada-lovelace and @Grace! mail me at x@example.org @ada-lovelace @no");
        let m: Vec<_> = m.iter().map(Handle::as_str).collect();
        assert_eq!(m, ["ada-lovelace", "grace"]);
        assert_eq!(
            hashtags("Learning #Rust and #rust_lang, not a#tag or #1 or &#39; #Ünïcode"),
            ["rust", "rust_lang", "ünïcode"]
        );
        assert_eq!(parse_tag("Rust"), Some("rust".into()));
        assert_eq!(parse_tag("a b"), None);
    }

    #[test]
    fn reaction_kinds_round_trip() {
        for k in ReactionKind::ALL {
            assert_eq!(ReactionKind::from_key(k.key()), Some(k));
            assert_eq!(ReactionKind::ALL[k.index()], k);
        }
        assert_eq!(ReactionKind::from_key("dislike"), None);
    }
}
