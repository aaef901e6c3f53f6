//! Domain values and rules. Parse, don't validate: every constructor here
//! checks its input and returns a typed error, so a value you hold is valid.

pub mod account;
pub mod consent;
pub mod datamap;
pub mod ids;
pub mod learning;
pub mod library;
pub mod network;
pub mod objection;

pub use account::{DisplayName, Email, NewPassword, Role};
pub use consent::Purpose;
pub use ids::{GuestId, JobId, LibraryId, MemberId, SessionId, SubjectId};
pub use library::{
    BrandColour, CardNumber, LibraryName, LibrarySlug, Licence, Month, PatronAuthMethod, Pin,
};
