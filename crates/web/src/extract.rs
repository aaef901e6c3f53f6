//! Our own extractors. axum's rejections answer in plain text; these turn
//! every malformed body into the same problem documents (API) or error
//! pages (HTML) as any other error, with a message a person can act on.

use crate::error::{ApiError, AppError, PageError};
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

fn body_error(e: &axum::extract::rejection::BytesRejection) -> AppError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit") {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest("The request body could not be read.".into())
    }
}

/// A JSON body; rejections become problem documents.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError(match rejection {
                // Well-formed JSON of the wrong shape: wrong types, missing
                // or unknown fields. serde's message names the field.
                JsonRejection::JsonDataError(e) => {
                    AppError::Validation(vec![crate::error::FieldError::new(
                        "body",
                        clean_serde_message(&e.body_text()),
                    )])
                }
                JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(format!(
                    "The body is not valid JSON: {}",
                    clean_serde_message(&e.body_text())
                )),
                JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                    "Send the body as JSON with `Content-Type: application/json`.".into(),
                ),
                JsonRejection::BytesRejection(e) => body_error(&e),
                _ => AppError::BadRequest("The request body could not be read.".into()),
            })),
        }
    }
}

/// axum prefixes serde's message with its own words; keep serde's part,
/// which names the field and the position.
fn clean_serde_message(text: &str) -> String {
    let msg = text
        .split_once(": ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ");
    msg.to_owned()
}

/// A URL-encoded form body from an HTML page; rejections become error pages.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

impl<S, T> FromRequest<S> for PageForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(rejection) => Err(PageError(match rejection {
                FormRejection::BytesRejection(e) => body_error(&e),
                FormRejection::InvalidFormContentType(_) => AppError::UnsupportedMediaType(
                    "This form must be sent by a web browser.".into(),
                ),
                _ => AppError::BadRequest(
                    "The form could not be read. Go back, reload the page and try again.".into(),
                ),
            })),
        }
    }
}

/// The next part of a multipart form from a page: a body over the limit
/// is 413, anything unreadable a 400 that says what to do.
pub async fn next_part<'a>(
    multipart: &'a mut axum::extract::Multipart,
) -> Result<Option<axum::extract::multipart::Field<'a>>, AppError> {
    match multipart.next_field().await {
        Ok(f) => Ok(f),
        Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            Err(AppError::PayloadTooLarge)
        }
        Err(_) => Err(AppError::BadRequest(
            "The form could not be read. Go back, reload the page and try again.".into(),
        )),
    }
}
