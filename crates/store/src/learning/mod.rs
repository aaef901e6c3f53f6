//! The learning library: providers, the catalog and its import, lessons
//! and quizzes, enrolments and progress, and signed course credentials.
//!
//! Learners are data subjects (a member or a guest learner), so every
//! learning row is keyed by the subject id and leaves with their key on
//! erasure, through the data map like everything else.

mod catalog;
mod collections;
mod credentials;
mod instructors;
mod progress;
mod providers;
mod questions;
mod recommendations;
mod reviews;

pub use catalog::*;
pub use collections::*;
pub use credentials::*;
pub use instructors::*;
pub use progress::*;
pub use providers::*;
pub use questions::*;
pub use recommendations::*;
pub use reviews::*;

use crate::{Store, StoreError};
use lyceum_core::domain::{LibraryId, SubjectId};

/// Learning use cases.
#[derive(Debug, Clone, Copy)]
pub struct Learning<'a> {
    store: &'a Store,
}

impl Store {
    /// The learning library.
    pub fn learning(&self) -> Learning<'_> {
        Learning { store: self }
    }
}

/// Who is learning: the signed-in member or guest, and for a member the
/// guest learners of the library cards they linked, whose courses they
/// carry. New enrolments go to the primary subject; existing ones are
/// found under any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// The member or guest signed in.
    pub primary: SubjectId,
    /// A guest's library (counted in its reports).
    pub library: Option<LibraryId>,
    /// Linked library cards' guests.
    pub linked: Vec<SubjectId>,
}

impl Learner {
    /// A learner with no linked cards.
    pub fn new(primary: SubjectId, library: Option<LibraryId>) -> Self {
        Self {
            primary,
            library,
            linked: Vec::new(),
        }
    }

    /// Every subject whose learning this learner may see and continue.
    pub fn subjects(&self) -> Vec<uuid::Uuid> {
        std::iter::once(self.primary.0)
            .chain(self.linked.iter().map(|s| s.0))
            .collect()
    }
}

/// What a learning request can fail with, besides the database.
#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    /// No such course, lesson or enrolment (for this learner).
    #[error("not found")]
    NotFound,
    /// The course is not in the catalog (draft or in review).
    #[error("this course is not published")]
    NotPublished,
    /// The learner has not enrolled in the course.
    #[error("enrol in the course first")]
    NotEnrolled,
    /// A quiz is finished by passing it, not by marking it done.
    #[error("a quiz is finished by answering its questions")]
    QuizNeedsAnswers,
    /// Answers were sent for a lesson that is not a quiz.
    #[error("this lesson is not a quiz")]
    NotAQuiz,
    /// Answers do not fit the quiz.
    #[error("{0}")]
    BadAnswers(String),
    /// A publishing step the workflow does not allow.
    #[error("{0}")]
    Workflow(String),
    /// A field breaks a rule: which, and what to do.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// The learner may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A certificate was asked for before the course was finished.
    #[error("finish every lesson of the course first")]
    NotCompleted,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for LearningError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::Database(e))
    }
}
