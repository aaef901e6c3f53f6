//! SeaORM entities, one module per table. Each module declares its
//! `DATA_MAP` beside the model: what every column holds and, for personal
//! fields, why, how long and what erasure does. [`crate::datamap`] collects
//! them.

pub mod consent_event;
pub mod credential;
pub mod disclosure;
pub mod job;
pub mod member;
pub mod session;
pub mod subject_key;
