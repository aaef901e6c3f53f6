//! Optional purposes a person can consent to. Everything Lyceum does
//! without one of these is needed to provide the service; everything here
//! is off until the person turns it on, can be turned off at any time, and
//! no feature refuses to work because it is off (privacy invariant 7).

use serde::{Deserialize, Serialize};

/// An optional purpose of processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Course suggestions computed from your own learning.
    PersonalisedRecommendations,
    /// Suggesting news articles that may mention you.
    NewsMentionSuggestions,
    /// A daily or weekly email summary.
    EmailDigests,
    /// Letting recruiters find your profile.
    RecruiterVisibility,
}

impl Purpose {
    /// Every purpose, in the order the settings page shows them.
    pub const ALL: [Purpose; 4] = [
        Purpose::PersonalisedRecommendations,
        Purpose::NewsMentionSuggestions,
        Purpose::EmailDigests,
        Purpose::RecruiterVisibility,
    ];

    /// The stable key used in storage and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Purpose::PersonalisedRecommendations => "personalised_recommendations",
            Purpose::NewsMentionSuggestions => "news_mention_suggestions",
            Purpose::EmailDigests => "email_digests",
            Purpose::RecruiterVisibility => "recruiter_visibility",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// A short name.
    pub fn title(self) -> &'static str {
        match self {
            Purpose::PersonalisedRecommendations => "Personalised course recommendations",
            Purpose::NewsMentionSuggestions => "News mentions",
            Purpose::EmailDigests => "Email digests",
            Purpose::RecruiterVisibility => "Visible to recruiters",
        }
    }

    /// Exactly what the person agrees to. Changing this text means raising
    /// [`Purpose::wording_version`], so every recorded consent says which
    /// words were agreed to.
    pub fn wording(self) -> &'static str {
        match self {
            Purpose::PersonalisedRecommendations => {
                "Suggest courses from what you have learned here: courses you finished and the skills they teach. Nothing from your network, posts or messages is used."
            }
            Purpose::NewsMentionSuggestions => {
                "Look for news articles that may mention you and show them to you first. Nothing is shown to anyone else unless you confirm it."
            }
            Purpose::EmailDigests => {
                "Send you a summary by email, daily or weekly, of activity you would otherwise see only when you visit. Security messages, such as a notice that your password changed, do not depend on this choice."
            }
            Purpose::RecruiterVisibility => {
                "Let employers' recruiters find your profile in searches and see the sections you have made visible to members."
            }
        }
    }

    /// The version of [`Purpose::wording`].
    pub fn wording_version(self) -> i32 {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        // Every purpose is found again by its key, and no two share one.
        for p in Purpose::ALL {
            assert_eq!(Purpose::from_key(p.key()), Some(p));
        }
        let mut keys: Vec<_> = Purpose::ALL.iter().map(|p| p.key()).collect();
        keys.dedup();
        assert_eq!(keys.len(), Purpose::ALL.len());
        assert_eq!(Purpose::from_key("advertising"), None);
    }
}
