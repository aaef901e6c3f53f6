//! Lyceum's media: files kept in object storage through `object_store`
//! (a local directory on one node, an S3-compatible store for many), with
//! the checks uploads need (is this really a video? are these captions
//! WebVTT?) and HTTP byte ranges for serving video.

#![deny(missing_docs)]

mod image;

pub use image::*;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};
use std::ops::Range;
use std::sync::Arc;

/// The largest video one upload may be.
pub const MAX_VIDEO_BYTES: u64 = 500 * 1024 * 1024;
/// The largest captions file.
pub const MAX_CAPTIONS_BYTES: usize = 1024 * 1024;

/// What can go wrong with media.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The object store failed.
    #[error("media storage failed: {0}")]
    Store(#[from] object_store::Error),
    /// No such file.
    #[error("no such media file")]
    NotFound,
    /// The upload is not a video we can serve.
    #[error("{0}")]
    Refused(String),
}

/// Where media files live.
#[derive(Clone, Debug)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
}

impl Media {
    /// Files in a local directory (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, MediaError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| MediaError::Refused(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Self {
            store: Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?),
        })
    }

    /// Files in memory (tests, and instances that serve no media).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(object_store::memory::InMemory::new()),
        }
    }

    /// Any object store (an S3-compatible one for several nodes).
    pub fn with_store(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    fn path(key: &str) -> Result<ObjectPath, MediaError> {
        ObjectPath::parse(key).map_err(|e| MediaError::Refused(format!("bad media key: {e}")))
    }

    /// Stores a small file in one request.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError> {
        self.store
            .put(&Self::path(key)?, PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// Stores a video arriving in chunks: the first chunk must look like
    /// MP4 or WebM, and the whole may not exceed `limit` bytes. Nothing is
    /// left behind when it is refused. Returns the content type and size.
    pub async fn put_video<S, E>(
        &self,
        key: &str,
        mut chunks: S,
        limit: u64,
    ) -> Result<(&'static str, u64), MediaError>
    where
        S: futures::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = Self::path(key)?;
        let mut head = Vec::new();
        let mut pending = Vec::new();
        // Read enough to recognise the container before writing anything.
        while head.len() < 12 {
            match chunks.next().await {
                Some(Ok(c)) => {
                    head.extend_from_slice(&c[..c.len().min(12 - head.len().min(12))]);
                    pending.push(c);
                }
                Some(Err(e)) => {
                    return Err(MediaError::Refused(format!("the upload broke off: {e}")));
                }
                None => break,
            }
        }
        let Some(content_type) = sniff_video(&head) else {
            return Err(MediaError::Refused(
                "This file is not an MP4 or WebM video. Export the video as MP4 (H.264) or WebM and upload that.".into(),
            ));
        };
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut size: u64 = 0;
        let mut refuse = None;
        for c in pending {
            size += c.len() as u64;
            writer.write(&c);
        }
        while refuse.is_none() {
            if size > limit {
                refuse = Some(format!(
                    "The video is larger than {} MB. Make it smaller (a lower resolution or bit rate) and try again.",
                    limit / (1024 * 1024)
                ));
                break;
            }
            match chunks.next().await {
                Some(Ok(c)) => {
                    size += c.len() as u64;
                    writer.write(&c);
                }
                Some(Err(e)) => refuse = Some(format!("The upload broke off: {e}")),
                None => break,
            }
        }
        if let Some(reason) = refuse {
            writer.abort().await?;
            return Err(MediaError::Refused(reason));
        }
        writer.finish().await?;
        Ok((content_type, size))
    }

    /// A file's size in bytes.
    pub async fn size(&self, key: &str) -> Result<u64, MediaError> {
        match self.store.head(&Self::path(key)?).await {
            Ok(meta) => Ok(meta.size),
            Err(object_store::Error::NotFound { .. }) => Err(MediaError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// A byte range of a file (or all of it), as a stream.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, MediaError>>, MediaError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        match self.store.get_opts(&Self::path(key)?, options).await {
            Ok(r) => Ok(r.into_stream().map_err(MediaError::from).boxed()),
            Err(object_store::Error::NotFound { .. }) => Err(MediaError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a file; a missing file is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The content type of a video from its first bytes: MP4 (an `ftyp` box)
/// or WebM/Matroska (the EBML magic). Anything else is `None`.
pub fn sniff_video(head: &[u8]) -> Option<&'static str> {
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some("video/mp4")
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else {
        None
    }
}

/// Why a `Range` header cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the requested range is not satisfiable")]
pub struct Unsatisfiable;

/// Reads a `Range: bytes=…` header against a file of `size` bytes: one
/// range (`a-b`, `a-`, or the suffix `-n`). Anything not understood is
/// `Ok(None)` (serve the whole file, as RFC 9110 allows); a range wholly
/// past the end is `Err`.
pub fn parse_range(header: &str, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        // Several ranges: serve the whole file rather than multipart.
        return Ok(None);
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.is_empty(), end.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => {
            let Ok(n) = end.parse::<u64>() else {
                return Ok(None);
            };
            if n == 0 {
                return Err(Unsatisfiable);
            }
            size.saturating_sub(n)..size
        }
        (false, _) => {
            let Ok(a) = start.parse::<u64>() else {
                return Ok(None);
            };
            let b = if end.is_empty() {
                size.saturating_sub(1)
            } else {
                match end.parse::<u64>() {
                    Ok(b) if b >= a => b.min(size.saturating_sub(1)),
                    _ => return Ok(None),
                }
            };
            if a >= size {
                return Err(Unsatisfiable);
            }
            a..b + 1
        }
    };
    Ok(Some(range))
}

/// Checks WebVTT captions: the `WEBVTT` signature and at least one cue
/// timing line. Returns what is wrong, in words.
pub fn check_webvtt(text: &str) -> Result<(), String> {
    let text = text.trim_start_matches('\u{feff}');
    if !text.starts_with("WEBVTT") {
        return Err(
            "The captions file does not start with WEBVTT; save the captions as WebVTT (.vtt)."
                .into(),
        );
    }
    if !text.lines().any(|l| l.contains("-->")) {
        return Err(
            "The captions file has no cues (lines such as 00:00:01.000 --> 00:00:04.000).".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff_video(b"\0\0\0\x18ftypmp42"), Some("video/mp4"));
        assert_eq!(
            sniff_video(&[0x1A, 0x45, 0xDF, 0xA3, 1, 2]),
            Some("video/webm")
        );
        assert_eq!(sniff_video(b"%PDF-1.7 hello"), None);
        assert_eq!(sniff_video(b""), None);
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some(0..100)));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Ok(Some(990..1000)));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=5-1", 1000), Ok(None));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(parse_range("items=0-1", 1000), Ok(None));
        assert_eq!(parse_range("bytes=x-y", 1000), Ok(None));
    }

    #[test]
    fn captions_must_be_webvtt() {
        assert!(check_webvtt("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello").is_ok());
        assert!(check_webvtt("1\n00:00:00,000 --> 00:00:02,000\nHello").is_err());
        assert!(check_webvtt("WEBVTT\n").is_err());
    }

    #[tokio::test]
    async fn a_video_is_stored_read_by_range_and_a_non_video_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let media = Media::local(dir.path()).expect("media");
        let mut mp4 = b"\0\0\0\x18ftypisom".to_vec();
        mp4.extend((0..5000u32).map(|i| (i % 251) as u8));
        let chunks = futures::stream::iter(
            mp4.chunks(1000)
                .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        let (ct, size) = media
            .put_video("lessons/a", chunks, 1 << 20)
            .await
            .expect("stored");
        assert_eq!((ct, size), ("video/mp4", mp4.len() as u64));
        assert_eq!(
            media.size("lessons/a").await.expect("size"),
            mp4.len() as u64
        );
        let part: Vec<Bytes> = media
            .read("lessons/a", Some(4..12))
            .await
            .expect("read")
            .try_collect()
            .await
            .expect("bytes");
        assert_eq!(part.concat(), b"ftypisom");

        let pdf = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(
            b"%PDF-1.7 not a video",
        ))]);
        assert!(matches!(
            media.put_video("lessons/b", pdf, 1 << 20).await,
            Err(MediaError::Refused(_))
        ));
        assert!(matches!(
            media.size("lessons/b").await,
            Err(MediaError::NotFound)
        ));

        let big = futures::stream::iter(
            mp4.chunks(1000)
                .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        assert!(matches!(
            media.put_video("lessons/c", big, 2000).await,
            Err(MediaError::Refused(_))
        ));
        assert!(matches!(
            media.size("lessons/c").await,
            Err(MediaError::NotFound)
        ));
    }
}
