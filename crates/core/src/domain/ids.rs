//! Typed ids. A `MemberId` cannot be passed where a `JobId` is wanted.
//! All ids are UUIDv7, so they sort by creation time.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A member account (someone who signed up with an email address).
    MemberId
);
typed_id!(
    /// A data subject: the owner of a data key in the keyring. Members are
    /// subjects; guest learners will be too.
    SubjectId
);
typed_id!(
    /// A server-side session row.
    SessionId
);
typed_id!(
    /// A job in the durable queue.
    JobId
);

impl From<MemberId> for SubjectId {
    /// A member is its own data subject: the keyring entry has the member's id.
    fn from(id: MemberId) -> Self {
        SubjectId(id.0)
    }
}

typed_id!(
    /// A library (a tenant): the organisation whose patrons sign in with a card.
    LibraryId
);
typed_id!(
    /// A guest learner: a library patron known only by a keyed pseudonym of
    /// their card. A guest is a data subject with a key of its own.
    GuestId
);

impl From<GuestId> for SubjectId {
    /// A guest is its own data subject, like a member.
    fn from(id: GuestId) -> Self {
        SubjectId(id.0)
    }
}
