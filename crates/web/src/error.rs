//! One application error, two faces: an RFC 9457 problem document for the
//! API ([`ApiError`]) and an HTML error page for people ([`PageError`]).
//!
//! Handlers return `Result<_, ApiError>` or `Result<_, PageError>`; both
//! convert from [`AppError`] and from storage errors. A 500 tells the
//! client nothing about internals: the cause chain is logged here with the
//! request id, and the response says only that something went wrong.

use crate::pages::render_error_page;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lyceum_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field name as sent.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, message: impl ToString) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Well-formed input that breaks a rule (422).
    #[error("some fields need attention")]
    Validation(Vec<FieldError>),
    /// The request itself is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, or credentials not right (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in but not allowed, or a form without a valid CSRF token (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here (404).
    #[error("not found")]
    NotFound,
    /// The request conflicts with current state (409).
    #[error("{0}")]
    Conflict(String),
    /// Body over the size limit (413).
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// Wrong content type (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Rate limit reached (429).
    #[error("too many attempts")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// Forbidden for a reason the client can act on, with its own problem
    /// type (a blocked or expired library card, no seats left) (403).
    #[error("{detail}")]
    Refused {
        /// The stable problem type.
        problem: &'static str,
        /// A short title.
        title: &'static str,
        /// What happened and what to do.
        detail: String,
    },
    /// A dependency is down (503).
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an outage (500). The message is logged, never sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(Box::new(e))
    }
}

impl From<lyceum_store::network::NetworkError> for AppError {
    fn from(e: lyceum_store::network::NetworkError) -> Self {
        use lyceum_store::network::NetworkError as N;
        match e {
            N::NotFound => AppError::NotFound,
            N::Invalid(field, m) => AppError::Validation(vec![FieldError::new(field, m)]),
            N::Forbidden(m) => AppError::Forbidden(m),
            N::Conflict(m) => AppError::Conflict(m),
            N::Store(e) => e.into(),
        }
    }
}

impl From<lyceum_store::learning::LearningError> for AppError {
    fn from(e: lyceum_store::learning::LearningError) -> Self {
        use lyceum_store::learning::LearningError as L;
        match e {
            L::NotFound | L::NotPublished => AppError::NotFound,
            L::NotEnrolled => AppError::Conflict("Enrol in the course first.".into()),
            L::QuizNeedsAnswers => AppError::Conflict(
                "A quiz is finished by answering its questions and passing.".into(),
            ),
            L::NotAQuiz => AppError::Conflict("This lesson is not a quiz.".into()),
            L::Workflow(m) => AppError::Conflict(m),
            L::BadAnswers(m) => AppError::Validation(vec![FieldError::new("answers", m)]),
            L::Invalid(field, m) => AppError::Validation(vec![FieldError::new(field, m)]),
            L::Forbidden(m) => AppError::Forbidden(m),
            L::NotCompleted => AppError::Conflict(
                "The certificate comes when every lesson of the course is finished.".into(),
            ),
            L::Store(e) => e.into(),
        }
    }
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Refused { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type clients match on.
    pub fn problem_type(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "urn:lyceum:problem:validation",
            AppError::BadRequest(_) => "urn:lyceum:problem:bad-request",
            AppError::Unauthorized(_) => "urn:lyceum:problem:unauthorized",
            AppError::Forbidden(_) => "urn:lyceum:problem:forbidden",
            AppError::Refused { problem, .. } => problem,
            AppError::NotFound => "urn:lyceum:problem:not-found",
            AppError::Conflict(_) => "urn:lyceum:problem:conflict",
            AppError::PayloadTooLarge => "urn:lyceum:problem:payload-too-large",
            AppError::UnsupportedMediaType(_) => "urn:lyceum:problem:unsupported-media-type",
            AppError::TooManyRequests { .. } => "urn:lyceum:problem:rate-limited",
            AppError::Unavailable(_) => "urn:lyceum:problem:unavailable",
            AppError::Internal(_) => "urn:lyceum:problem:internal",
        }
    }

    /// A short title for the status.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "Some fields need attention",
            AppError::BadRequest(_) => "The request could not be read",
            AppError::Unauthorized(_) => "Not signed in",
            AppError::Forbidden(_) => "Not allowed",
            AppError::Refused { title, .. } => title,
            AppError::NotFound => "Page not found",
            AppError::Conflict(_) => "Conflict",
            AppError::PayloadTooLarge => "Too large",
            AppError::UnsupportedMediaType(_) => "Unsupported content type",
            AppError::TooManyRequests { .. } => "Too many attempts",
            AppError::Unavailable(_) => "Temporarily unavailable",
            AppError::Internal(_) => "Something went wrong",
        }
    }

    /// What a person should know, safe to show.
    pub fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) => {
                errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join(" ")
            }
            AppError::NotFound => "There is nothing at this address. Check the link, or go to the home page.".into(),
            AppError::PayloadTooLarge => "The request body is larger than this server accepts.".into(),
            AppError::TooManyRequests { retry_after } => {
                format!("Too many attempts. Wait {} and try again.", human_wait(*retry_after))
            }
            AppError::Internal(_) => {
                "Something went wrong on our side. Nothing you did caused it; please try again in a moment.".into()
            }
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::Refused { detail, .. } => detail.clone(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            let mut chain = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

fn human_wait(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} seconds")
    } else {
        let minutes = seconds.div_ceil(60);
        if minutes == 1 {
            "a minute".into()
        } else {
            format!("{minutes} minutes")
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, in plain words.
    pub detail: String,
    /// Per-field problems, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let status = e.status();
        let problem = Problem {
            problem_type: e.problem_type().into(),
            title: e.title().into(),
            status: status.as_u16(),
            detail: e.detail(),
            errors: match &e {
                AppError::Validation(v) => v.clone(),
                _ => Vec::new(),
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = e.retry_after() {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Cookie realm=\"lyceum\""),
            );
        }
        res
    }
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let mut res = render_error_page(e.status(), e.title(), &e.detail());
        if let Some(s) = e.retry_after() {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}
