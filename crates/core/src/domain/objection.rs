//! Processing a person can object to (GDPR Art. 21). Unlike the optional
//! purposes of [`crate::domain::consent`], these run by default because
//! they rest on a legitimate interest, which the person may override by
//! objecting; an objection takes effect at once and needs no reason.

use serde::{Deserialize, Serialize};

/// Processing on the ground of legitimate interest that a person can stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ground {
    /// Counting a guest learner's sign-ins, without naming them, in their
    /// library's usage reports.
    UsageStatistics,
}

impl Ground {
    /// Every ground, in the order pages show them.
    pub const ALL: [Ground; 1] = [Ground::UsageStatistics];

    /// The stable key used in storage and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Ground::UsageStatistics => "usage_statistics",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.key() == key)
    }

    /// A short name.
    pub fn title(self) -> &'static str {
        match self {
            Ground::UsageStatistics => "Your library's usage statistics",
        }
    }

    /// What the processing is and whose interest it serves.
    pub fn explanation(self) -> &'static str {
        match self {
            Ground::UsageStatistics => {
                "Your sign-ins are added to counts that your library sees as totals only, \
                 never with your identity and never below ten people, so it can tell how \
                 the service is used. If you object, your visits are left out of those \
                 counts. Your place under the library's licence is still counted: that is \
                 needed to let you in."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ground_round_trips_through_its_key() {
        // Keys are stable storage and URL values.
        for g in Ground::ALL {
            assert_eq!(Ground::from_key(g.key()), Some(g));
        }
        assert_eq!(Ground::from_key("advertising"), None);
    }
}
