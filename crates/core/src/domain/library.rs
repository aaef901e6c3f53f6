//! Library (tenant) values: slugs, names, cards and PINs, branding colours,
//! licences, the month a seat is counted in, and the small-count
//! suppression every library report goes through.
//!
//! A card number and a PIN are only ever held in memory, for the length of
//! one sign-in. Neither type can be serialised, and their `Debug` output
//! hides the value, so neither can reach a log or a database by accident.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why a library's short name was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SlugError {
    /// Not 2–40 characters of a–z, 0–9 and inner hyphens.
    #[error(
        "A short name is 2 to 40 characters: lower-case letters, digits and hyphens, \
         not starting or ending with a hyphen."
    )]
    Malformed,
}

/// A library's short name, used in addresses (`/libraries/{slug}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LibrarySlug(String);

impl LibrarySlug {
    /// Parses a short name; upper case is folded, surrounding space trimmed.
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (2..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err(SlugError::Malformed)
        }
    }

    /// The short name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LibrarySlug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<LibrarySlug> for String {
    fn from(s: LibrarySlug) -> String {
        s.0
    }
}

impl fmt::Display for LibrarySlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a library name (or town, or contact line) was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LibraryNameError {
    /// Nothing was typed.
    #[error("Enter the library's name.")]
    Empty,
    /// Longer than 120 characters.
    #[error("A library name can be at most 120 characters long.")]
    TooLong,
    /// Holds control characters.
    #[error("A library name cannot contain control characters.")]
    ControlCharacters,
}

/// A library's public name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LibraryName(String);

impl LibraryName {
    /// Parses a name: trimmed, 1–120 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, LibraryNameError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(LibraryNameError::Empty);
        }
        if s.chars().count() > 120 {
            return Err(LibraryNameError::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(LibraryNameError::ControlCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LibraryName {
    type Error = LibraryNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<LibraryName> for String {
    fn from(s: LibraryName) -> String {
        s.0
    }
}

/// Why a library card number was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CardError {
    /// Nothing was typed.
    #[error("Enter your library card number.")]
    Empty,
    /// Not 4–32 letters and digits after spaces and hyphens are removed.
    #[error("A library card number is 4 to 32 letters and digits, as printed on your card.")]
    Malformed,
}

/// A library card number, normalised the way patrons' typing varies:
/// spaces and hyphens removed, letters upper-cased (`2 9012-3456` and
/// `29012 3456` are one card). The normal form is what the pseudonym is
/// computed from, so the same card always maps to the same guest.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// Parses a card number as typed.
    pub fn parse(raw: &str) -> Result<Self, CardError> {
        let s: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        if s.is_empty() {
            return Err(CardError::Empty);
        }
        if !(4..=32).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CardError::Malformed);
        }
        Ok(Self(s))
    }

    /// The normal form. Use it only to send to the library's system or to
    /// compute the pseudonym; never store or log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardNumber(<hidden>)")
    }
}

/// Why a PIN was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PinError {
    /// Nothing was typed.
    #[error("Enter your PIN.")]
    Empty,
    /// Longer than 64 characters or holding control characters.
    #[error("A PIN is at most 64 characters, without control characters.")]
    Malformed,
}

/// A PIN (or library password) as typed. Never trimmed: some libraries
/// allow spaces in passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Parses a PIN.
    pub fn parse(raw: &str) -> Result<Self, PinError> {
        if raw.is_empty() {
            return Err(PinError::Empty);
        }
        if raw.chars().count() > 64 || raw.chars().any(char::is_control) {
            return Err(PinError::Malformed);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The PIN, for the one check it exists for.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<hidden>)")
    }
}

/// Why a brand colour was refused.
#[derive(Debug, Error, PartialEq)]
pub enum ColourError {
    /// Not `#rrggbb`.
    #[error("Give the colour as # followed by six hexadecimal digits, like #1d4ed8.")]
    Malformed,
    /// White text on it would be hard to read (WCAG 2.2 asks for 4.5:1).
    #[error(
        "White text on {0} has a contrast ratio of {1:.1}:1; choose a darker colour \
         (at least 4.5:1 is needed so everyone can read the buttons)."
    )]
    TooLight(String, f64),
}

/// A library's brand colour. Pages put white text on it (buttons, the
/// header band), so a colour is only accepted when that text meets the
/// WCAG 2.2 AA contrast ratio of 4.5:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrandColour([u8; 3]);

impl BrandColour {
    /// The default: a blue that passes with white text.
    pub const DEFAULT: BrandColour = BrandColour([0x1d, 0x4e, 0xd8]);

    /// Parses `#rrggbb` and checks the contrast with white.
    pub fn parse(raw: &str) -> Result<Self, ColourError> {
        let s = raw.trim();
        let hex = s.strip_prefix('#').ok_or(ColourError::Malformed)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ColourError::Malformed);
        }
        let byte =
            |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
        let c = BrandColour([byte(0), byte(2), byte(4)]);
        let ratio = contrast_ratio(c.0, [255, 255, 255]);
        if ratio < 4.5 {
            return Err(ColourError::TooLight(c.to_string(), ratio));
        }
        Ok(c)
    }

    /// The contrast ratio of white text on this colour.
    pub fn contrast_with_white(self) -> f64 {
        contrast_ratio(self.0, [255, 255, 255])
    }
}

impl fmt::Display for BrandColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

/// WCAG 2.2 relative luminance of an sRGB colour.
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG 2.2 contrast ratio between two colours (1 to 21).
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// What a library has bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "seats")]
pub enum Licence {
    /// Any number of patrons.
    Unlimited,
    /// At most this many distinct patrons active in a calendar month.
    SeatsPerMonth(u32),
}

/// How a library's patrons prove they hold a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatronAuthMethod {
    /// Card + PIN checked live against the library's system over SIP2.
    Sip2,
    /// Card + PIN checked against a list the library uploaded (PINs as
    /// argon2 hashes): for small libraries without a SIP2 server.
    StaticList,
    /// The library's own identity provider, over OpenID Connect.
    Oidc,
    /// Patron sign-in is switched off.
    Disabled,
}

impl PatronAuthMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PatronAuthMethod::Sip2 => "sip2",
            PatronAuthMethod::StaticList => "static_list",
            PatronAuthMethod::Oidc => "oidc",
            PatronAuthMethod::Disabled => "disabled",
        }
    }

    /// Back from the stored name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "sip2" => Some(PatronAuthMethod::Sip2),
            "static_list" => Some(PatronAuthMethod::StaticList),
            "oidc" => Some(PatronAuthMethod::Oidc),
            "disabled" => Some(PatronAuthMethod::Disabled),
            _ => None,
        }
    }
}

/// A calendar month, stored as `yyyymm` (202611): seats are counted and
/// reports are grouped by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Month(pub i32);

impl Month {
    /// The month a moment falls in (UTC).
    pub fn of(t: chrono::DateTime<chrono::Utc>) -> Self {
        use chrono::Datelike;
        Month(t.year() * 100 + t.month() as i32)
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.trim().split_once('-')?;
        let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
        ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then_some(Month(y * 100 + m))
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        let (y, m) = (self.0 / 100, self.0 % 100);
        if m == 12 {
            Month((y + 1) * 100 + 1)
        } else {
            Month(self.0 + 1)
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The smallest count a library report shows. Fewer people than this in a
/// cell could be recognised (the only patron from a small town who took a
/// course on a rare illness), so such a cell is shown as suppressed.
pub const REPORT_MIN_COUNT: u64 = 10;

/// A report cell: the count when it is at least [`REPORT_MIN_COUNT`], else
/// nothing. Zero is shown as zero: "nobody" reveals no one.
pub fn reportable(count: u64) -> Option<u64> {
    (count == 0 || count >= REPORT_MIN_COUNT).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn card_numbers_typed_differently_are_one_card() {
        // A patron types spaces or hyphens, or lower-case letters.
        let a = CardNumber::parse(" 2 9012-3456 ").expect("valid");
        let b = CardNumber::parse("290123456").expect("valid");
        assert_eq!(a, b);
        assert_eq!(CardNumber::parse("ab12").expect("valid").expose(), "AB12");
        assert_eq!(CardNumber::parse("  "), Err(CardError::Empty));
        assert_eq!(CardNumber::parse("12|4"), Err(CardError::Malformed));
    }

    #[test]
    fn card_and_pin_never_show_in_debug_output() {
        // A stray `?` in a log line must not print a card or PIN.
        let card = CardNumber::parse("29012345").expect("valid");
        let pin = Pin::parse("6789").expect("valid");
        let shown = format!("{card:?} {pin:?}");
        assert!(
            !shown.contains("29012345") && !shown.contains("6789"),
            "{shown}"
        );
    }

    #[test]
    fn brand_colours_must_keep_white_text_readable() {
        // Yellow with white text fails WCAG AA; dark blue passes.
        assert!(matches!(
            BrandColour::parse("#ffff00"),
            Err(ColourError::TooLight(..))
        ));
        assert_eq!(
            BrandColour::parse("#1D4ED8").expect("dark").to_string(),
            "#1d4ed8"
        );
        assert!(BrandColour::DEFAULT.contrast_with_white() >= 4.5);
        assert_eq!(BrandColour::parse("blue"), Err(ColourError::Malformed));
        assert!((contrast_ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn small_counts_are_suppressed_in_reports() {
        // 1–9 could single someone out; 0 and 10+ cannot.
        assert_eq!(reportable(0), Some(0));
        for n in 1..REPORT_MIN_COUNT {
            assert_eq!(reportable(n), None);
        }
        assert_eq!(reportable(10), Some(10));
    }

    #[test]
    fn months_parse_print_and_roll_over() {
        // Reports are grouped by month.
        let m = Month::parse("2026-12").expect("valid");
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.next(), Month(202701));
        assert_eq!(Month::parse("2026-13"), None);
    }

    proptest! {
        #[test]
        fn slugs_are_safe_in_addresses(s in "\\PC{0,50}") {
            if let Ok(slug) = LibrarySlug::parse(&s) {
                prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }

        #[test]
        fn parsed_cards_hold_only_letters_and_digits(s in "\\PC{0,60}") {
            if let Ok(card) = CardNumber::parse(&s) {
                prop_assert!(card.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
                prop_assert_eq!(CardNumber::parse(card.expose()).ok(), Some(card.clone()));
            }
        }

        #[test]
        fn pins_never_carry_control_characters(s in "\\PC{0,80}") {
            if let Ok(pin) = Pin::parse(&s) {
                prop_assert!(!pin.expose().chars().any(char::is_control));
            }
        }
    }
}
