//! Pictures in posts. They arrive already re-encoded without metadata
//! (`lyceum_media::prepare_image`), are stored beside the post encrypted
//! under the author's key, and are served only to people who may see the
//! post, checked on every request like the post itself.

use super::{Network, NetworkError, decrypt};
use crate::entity::post_image;
use crate::{StoreError, from_ms};
use lyceum_core::domain::network::{Text, TextError};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

const ALT_CTX: &str = "post_images.alt";
const LARGE_CTX: &str = "post_images.large";
const SMALL_CTX: &str = "post_images.small";

/// The most pictures one post may carry.
pub const MAX_IMAGES_PER_POST: usize = 4;
/// The longest description of a picture, in characters.
pub const MAX_ALT_CHARS: usize = 1_500;

/// A picture for a new post: two prepared sizes and its description.
#[derive(Debug, Clone)]
pub struct NewPostImage {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// What the picture shows, for people who cannot see it.
    pub alt: String,
    /// The large size: width, height, file.
    pub large: (u32, u32, Vec<u8>),
    /// The small size: width, height, file.
    pub small: (u32, u32, Vec<u8>),
}

/// A picture as a post shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageView {
    /// Id; the files are at `/media/images/{id}/large` and `/small`.
    pub id: Uuid,
    /// What it shows.
    pub alt: String,
    /// Large size, pixels.
    pub width: u32,
    /// Large size, pixels.
    pub height: u32,
    /// Small size, pixels.
    pub small_width: u32,
    /// Small size, pixels.
    pub small_height: u32,
}

/// Which size of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    /// Up to 1280 px on the long side.
    Large,
    /// Up to 480 px on the long side.
    Small,
}

/// A picture's file, decrypted for one viewer.
#[derive(Debug, Clone)]
pub struct ImageFile {
    /// Its content type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Whether anyone at all may see it (so shared caches may keep it).
    pub public: bool,
    /// When it was stored (it never changes afterwards).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn px(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn upx(n: i32) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(0)
}

impl Network<'_> {
    /// Checks pictures for a new post: how many, and that each is
    /// described.
    pub(crate) fn check_images(
        images: Vec<NewPostImage>,
    ) -> Result<Vec<(NewPostImage, Text)>, NetworkError> {
        if images.len() > MAX_IMAGES_PER_POST {
            return Err(NetworkError::Invalid(
                "images",
                format!("A post can carry at most {MAX_IMAGES_PER_POST} pictures."),
            ));
        }
        images
            .into_iter()
            .map(|i| {
                let alt = Text::parse(&i.alt, MAX_ALT_CHARS).map_err(|e| match e {
                    TextError::Empty => NetworkError::Invalid(
                        "image_alt",
                        "Describe the picture for people who cannot see it.".into(),
                    ),
                    e => NetworkError::text("image_alt", e),
                })?;
                Ok((i, alt))
            })
            .collect()
    }

    /// Stores a new post's pictures, inside its transaction.
    pub(crate) async fn insert_images(
        &self,
        conn: &impl ConnectionTrait,
        key: &crate::crypto::DataKey,
        author: MemberId,
        post_id: Uuid,
        images: Vec<(NewPostImage, Text)>,
        now: i64,
    ) -> Result<(), StoreError> {
        for (position, (img, alt)) in images.into_iter().enumerate() {
            post_image::Entity::insert(post_image::ActiveModel {
                id: Set(Uuid::now_v7()),
                post_id: Set(post_id),
                author_id: Set(author.0),
                position: Set(i32::try_from(position).unwrap_or(0)),
                alt_ciphertext: Set(key.encrypt(ALT_CTX, alt.as_str().as_bytes())),
                content_type: Set(img.content_type),
                width: Set(px(img.large.0)),
                height: Set(px(img.large.1)),
                large_ciphertext: Set(key.encrypt(LARGE_CTX, &img.large.2)),
                small_width: Set(px(img.small.0)),
                small_height: Set(px(img.small.1)),
                small_ciphertext: Set(key.encrypt(SMALL_CTX, &img.small.2)),
                created_at: Set(now),
            })
            .exec_without_returning(conn)
            .await?;
        }
        Ok(())
    }

    /// The pictures of some posts (which the caller has checked the viewer
    /// may see), in order, without their files.
    pub(crate) async fn images_of(
        &self,
        posts: &[(Uuid, &crate::crypto::DataKey)],
    ) -> Result<HashMap<Uuid, Vec<ImageView>>, StoreError> {
        if posts.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: HashMap<Uuid, &crate::crypto::DataKey> = posts.iter().copied().collect();
        type Row = (Uuid, Uuid, Vec<u8>, i32, i32, i32, i32);
        let rows: Vec<Row> = post_image::Entity::find()
            .select_only()
            .columns([
                post_image::Column::Id,
                post_image::Column::PostId,
                post_image::Column::AltCiphertext,
                post_image::Column::Width,
                post_image::Column::Height,
                post_image::Column::SmallWidth,
                post_image::Column::SmallHeight,
            ])
            .filter(post_image::Column::PostId.is_in(keys.keys().copied()))
            .order_by_asc(post_image::Column::PostId)
            .order_by_asc(post_image::Column::Position)
            .into_tuple()
            .all(&self.store.db)
            .await?;
        let mut out: HashMap<Uuid, Vec<ImageView>> = HashMap::new();
        for (id, post_id, alt, width, height, small_width, small_height) in rows {
            let Some(key) = keys.get(&post_id) else {
                continue;
            };
            out.entry(post_id).or_default().push(ImageView {
                id,
                alt: decrypt(key, ALT_CTX, &alt)?,
                width: upx(width),
                height: upx(height),
                small_width: upx(small_width),
                small_height: upx(small_height),
            });
        }
        Ok(out)
    }

    /// One size of a picture, for a viewer who may see its post; anything
    /// else is [`NetworkError::NotFound`], exactly as if it did not exist.
    pub async fn image(
        &self,
        viewer: Option<MemberId>,
        id: Uuid,
        size: ImageSize,
    ) -> Result<ImageFile, NetworkError> {
        let column = match size {
            ImageSize::Large => post_image::Column::LargeCiphertext,
            ImageSize::Small => post_image::Column::SmallCiphertext,
        };
        let row: Option<(Uuid, Uuid, String, Vec<u8>, i64)> = post_image::Entity::find_by_id(id)
            .select_only()
            .columns([
                post_image::Column::PostId,
                post_image::Column::AuthorId,
                post_image::Column::ContentType,
            ])
            .column(column)
            .column(post_image::Column::CreatedAt)
            .into_tuple()
            .one(&self.store.db)
            .await?;
        let (post_id, author, content_type, sealed, created_at) =
            row.ok_or(NetworkError::NotFound)?;
        let post = self.visible_post(viewer, post_id).await?;
        let key = match self.store.keyring.get(SubjectId(author)).await {
            Ok(k) => k,
            Err(StoreError::KeyDestroyed) => return Err(NetworkError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let ctx = match size {
            ImageSize::Large => LARGE_CTX,
            ImageSize::Small => SMALL_CTX,
        };
        let bytes = key
            .decrypt(ctx, &sealed)
            .map_err(|e| NetworkError::Store(StoreError::Corrupt(format!("{ctx}: {e}"))))?;
        Ok(ImageFile {
            content_type,
            bytes,
            public: post.removed_at.is_none()
                && super::audience(&post.audience)
                    == lyceum_core::domain::network::Audience::Public,
            created_at: from_ms(created_at),
        })
    }
}
