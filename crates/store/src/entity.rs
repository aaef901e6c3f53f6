//! SeaORM entities, one module per table. Each module declares its
//! `DATA_MAP` beside the model: what every column holds and, for personal
//! fields, why, how long and what erasure does. [`crate::datamap`] collects
//! them.

pub mod block;
pub mod breach;
pub mod breach_subject;
pub mod comment;
pub mod connection;
pub mod connection_request;
pub mod consent_event;
pub mod course;
pub mod course_instructor;
pub mod course_review;
pub mod course_section;
pub mod course_skill;
pub mod credential;
pub mod disclosure;
pub mod enrolment;
pub mod follow;
pub mod guest;
pub mod guest_link;
pub mod instructor;
pub mod issued_credential;
pub mod job;
pub mod lesson;
pub mod lesson_progress;
pub mod library;
pub mod library_audit;
pub mod library_provider;
pub mod library_staff;
pub mod member;
pub mod message;
pub mod moderation_action;
pub mod notice_version;
pub mod notification;
pub mod notification_setting;
pub mod objection_event;
pub mod oidc_login;
pub mod post;
pub mod post_tag;
pub mod profile;
pub mod profile_certificate;
pub mod profile_entry;
pub mod provider;
pub mod provider_staff;
pub mod quiz_question;
pub mod reaction;
pub mod report;
pub mod review_report;
pub mod seat_use;
pub mod session;
pub mod signing_key;
pub mod static_patron;
pub mod subject_key;
pub mod timeline;
pub mod usage_count;
