//! Pictures in posts, on the way in and out: a post form or API request
//! with files (multipart), each picture prepared off the async runtime
//! (re-encoded without metadata, in two sizes), and the files served to
//! those who may see the post.

use crate::AppState;
use crate::error::{AppError, FieldError};
use crate::extract::next_part;
use crate::session::Ctx;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lyceum_media::{MAX_IMAGE_BYTES, MediaError, prepare_image};
use lyceum_store::network::{ImageSize, MAX_IMAGES_PER_POST, NewPostImage};

/// Pictures being prepared at once, across all requests.
static PREPARING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The largest post request: its pictures and some room for the text.
pub const MAX_POST_REQUEST_BYTES: usize = MAX_IMAGES_PER_POST * MAX_IMAGE_BYTES + 64 * 1024;

/// A post as a multipart form sends it.
#[derive(Debug, Default)]
pub struct PostInput {
    /// The page form's CSRF token.
    pub csrf: String,
    /// The text.
    pub body: String,
    /// Who may see it.
    pub audience: String,
    /// Each chosen file with the description given beside it.
    pub images: Vec<(Bytes, String)>,
    /// Every other field, by name (the last value of a repeated one).
    pub fields: std::collections::HashMap<String, String>,
}

/// Whether a request carries a multipart body.
pub fn is_multipart(req: &axum::extract::Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

impl PostInput {
    /// Reads a form, multipart (with pictures) or plain (a page cached
    /// from before pictures, or a client without them).
    pub async fn from_page(req: axum::extract::Request) -> Result<Self, AppError> {
        use axum::extract::FromRequest;
        if is_multipart(&req) {
            let multipart = Multipart::from_request(req, &()).await.map_err(|_| {
                AppError::BadRequest(
                    "The form could not be read. Go back, reload the page and try again.".into(),
                )
            })?;
            return Self::read(multipart).await;
        }
        let crate::extract::PageForm(mut fields) = crate::extract::PageForm::<
            std::collections::HashMap<String, String>,
        >::from_request(req, &())
        .await
        .map_err(|e| e.0)?;
        Ok(Self {
            csrf: fields.remove("csrf").unwrap_or_default(),
            body: fields.remove("body").unwrap_or_default(),
            audience: fields.remove("audience").unwrap_or_default(),
            images: Vec::new(),
            fields,
        })
    }

    /// Reads the form: `body`, `audience`, and pairs of `image` (a file)
    /// and `image_alt`, matched in order. A file input left empty (a
    /// browser still sends it) and its description are dropped.
    pub async fn read(mut multipart: Multipart) -> Result<Self, AppError> {
        let mut input = Self::default();
        let mut files: Vec<Bytes> = Vec::new();
        let mut alts: Vec<String> = Vec::new();
        while let Some(field) = next_part(&mut multipart).await? {
            let name = field.name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
            let text = || String::from_utf8_lossy(&bytes).into_owned();
            match name.as_str() {
                "csrf" => input.csrf = text(),
                "body" => input.body = text(),
                "audience" => input.audience = text(),
                "image_alt" => alts.push(text()),
                "image" => files.push(bytes),
                _ => {
                    input.fields.insert(name, text());
                }
            }
        }
        alts.resize(files.len(), String::new());
        input.images = files
            .into_iter()
            .zip(alts)
            .filter(|(f, _)| !f.is_empty())
            .collect();
        Ok(input)
    }
}

/// Prepares each picture (decode, turn upright, re-encode without
/// metadata, two sizes) on the blocking pool. A file that is not a
/// picture, or too large, is a 422 on the `image` field saying why.
pub async fn prepare(images: Vec<(Bytes, String)>) -> Result<Vec<NewPostImage>, AppError> {
    if images.len() > MAX_IMAGES_PER_POST {
        return Err(AppError::Validation(vec![FieldError::new(
            "image",
            format!("A post can carry at most {MAX_IMAGES_PER_POST} pictures."),
        )]));
    }
    let mut out = Vec::with_capacity(images.len());
    for (bytes, alt) in images {
        // Decoding a large photo takes memory and a core for a moment;
        // two at a time keeps a small machine responsive under a burst.
        let _permit = PREPARING
            .acquire()
            .await
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let prepared = tokio::task::spawn_blocking(move || prepare_image(&bytes))
            .await
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let p = match prepared {
            Ok(p) => p,
            Err(MediaError::Refused(m)) => {
                return Err(AppError::Validation(vec![FieldError::new("image", m)]));
            }
            Err(e) => return Err(AppError::Internal(Box::new(e))),
        };
        out.push(NewPostImage {
            content_type: p.content_type.to_owned(),
            alt,
            large: (p.large.width, p.large.height, p.large.bytes),
            small: (p.small.width, p.small.height, p.small.bytes),
        });
    }
    Ok(out)
}

/// `GET /media/images/{id}/{size}`: a picture for someone who may see its
/// post; 404 for anyone else, as if it did not exist. Pictures never
/// change, so browsers keep them; only pictures in public posts may be
/// kept by shared caches.
pub async fn serve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, size)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, crate::error::PageError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let size = size_of(&size)?;
    let viewer = ctx.member.as_ref().map(|m| m.id);
    let file = state
        .store
        .network()
        .image(viewer, id, size)
        .await
        .map_err(AppError::from)?;
    Ok(picture_response(id, file, &headers))
}

/// Which size a picture address asks for (404 for anything else).
pub fn size_of(size: &str) -> Result<ImageSize, AppError> {
    match size {
        "large" => Ok(ImageSize::Large),
        "small" => Ok(ImageSize::Small),
        _ => Err(AppError::NotFound),
    }
}

/// A stored picture as a response: its type, an ETag (pictures never
/// change), and caching that only a public picture may be shared.
pub fn picture_response(
    id: uuid::Uuid,
    file: lyceum_store::network::ImageFile,
    headers: &HeaderMap,
) -> Response {
    let etag = format!("\"{id}-{}\"", file.created_at.timestamp_millis());
    let cache = if file.public {
        "public, max-age=86400"
    } else {
        "private, max-age=86400"
    };
    let mut res = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, file.bytes).into_response();
        if let Ok(v) = HeaderValue::from_str(&file.content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Cookies decide who may see a private picture.
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    res
}
