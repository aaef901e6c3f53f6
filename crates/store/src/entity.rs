//! SeaORM entities, one module per table. Each module declares its
//! `DATA_MAP` beside the model: what every column holds and, for personal
//! fields, why, how long and what erasure does. [`crate::datamap`] collects
//! them.

pub mod breach;
pub mod breach_subject;
pub mod consent_event;
pub mod credential;
pub mod disclosure;
pub mod guest;
pub mod guest_link;
pub mod job;
pub mod library;
pub mod library_audit;
pub mod library_staff;
pub mod member;
pub mod notice_version;
pub mod objection_event;
pub mod oidc_login;
pub mod seat_use;
pub mod session;
pub mod static_patron;
pub mod subject_key;
pub mod usage_count;
