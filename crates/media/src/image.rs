//! Pictures people attach to posts. Every upload is decoded and drawn
//! again from its pixels, so nothing but the picture survives: no EXIF
//! (camera, time, GPS position), no XMP, no ICC profile, no comments.
//! Phone photos are turned upright first, from their EXIF orientation,
//! since that tag is about to be dropped.

use crate::MediaError;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use std::io::Cursor;

/// The largest picture one upload may be.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The widest or tallest picture accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// The long side of the large size (the post's own page).
pub const LARGE_SIDE: u32 = 1280;
/// The long side of the small size (feeds).
pub const SMALL_SIDE: u32 = 480;

/// One size of a prepared picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

/// A picture ready to store: its content type and two sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    /// `image/jpeg`, or `image/png` for pictures with transparency.
    pub content_type: &'static str,
    /// At most [`LARGE_SIDE`] on the long side.
    pub large: Rendition,
    /// At most [`SMALL_SIDE`] on the long side.
    pub small: Rendition,
}

fn refused(msg: &str) -> MediaError {
    MediaError::Refused(msg.to_owned())
}

/// Decodes an upload (JPEG, PNG, GIF's first frame or WebP), turns it
/// upright, and encodes it again in two sizes without any metadata.
/// Anything else, or anything too large, is refused with a reason a person
/// can act on. This is CPU work: call it off the async runtime.
pub fn prepare_image(upload: &[u8]) -> Result<PreparedImage, MediaError> {
    if upload.is_empty() {
        return Err(refused("The picture file is empty."));
    }
    if upload.len() > MAX_IMAGE_BYTES {
        return Err(refused(
            "The picture is larger than 10 MB. Choose a smaller one.",
        ));
    }
    let not_a_picture =
        || refused("That file is not a picture we can show. Choose a JPEG, PNG, GIF or WebP file.");
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|_| not_a_picture())?;
    if reader.format().is_none() {
        return Err(not_a_picture());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| not_a_picture())?;
    let orientation = decoder.orientation().ok();
    let (w, h) = decoder.dimensions();
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(refused(
            "The picture is more than 12,000 pixels wide or tall. Choose a smaller one.",
        ));
    }
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => {
            refused("The picture is too large to process. Choose a smaller one.")
        }
        _ => refused("The picture could not be read; the file may be damaged."),
    })?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let has_alpha = img.color().has_alpha();
    let large = render(&img, LARGE_SIDE, has_alpha, FilterType::Triangle)?;
    let small = render(&img, SMALL_SIDE, has_alpha, FilterType::Triangle)?;
    Ok(PreparedImage {
        content_type: if has_alpha { "image/png" } else { "image/jpeg" },
        large,
        small,
    })
}

fn render(
    img: &DynamicImage,
    side: u32,
    has_alpha: bool,
    filter: FilterType,
) -> Result<Rendition, MediaError> {
    let sized = if img.width() > side || img.height() > side {
        img.resize(side, side, filter)
    } else {
        img.clone()
    };
    let mut bytes = Vec::new();
    let failed = |_| refused("The picture could not be prepared.");
    if has_alpha {
        sized
            .to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(failed)?;
    } else {
        sized
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 85))
            .map_err(failed)?;
    }
    Ok(Rendition {
        width: sized.width(),
        height: sized.height(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .expect("encode");
        out
    }

    /// A JPEG with an APP1 EXIF segment (orientation 6: rotate 90° clockwise,
    /// and a GPS marker string) spliced in after SOI.
    fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let plain = jpeg(w, h);
        // TIFF header (little endian), one IFD entry: Orientation (0x0112),
        // SHORT, count 1, value 6; then a fake GPS text after the IFD.
        let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0];
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPS 51.5072N 0.1276W");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn metadata_is_dropped_and_the_photo_turned_upright() {
        let upload = jpeg_with_exif(300, 200);
        assert!(upload.windows(4).any(|w| w == b"Exif"));
        let p = prepare_image(&upload).expect("prepared");
        for r in [&p.large, &p.small] {
            assert!(!r.bytes.windows(4).any(|w| w == b"Exif"));
            assert!(!r.bytes.windows(3).any(|w| w == b"GPS"));
        }
        // Orientation 6 turns a landscape photo into a portrait one.
        assert_eq!((p.large.width, p.large.height), (200, 300));
        assert_eq!(p.content_type, "image/jpeg");
    }

    #[test]
    fn large_pictures_get_two_smaller_sizes_and_small_ones_keep_theirs() {
        let p = prepare_image(&jpeg(2000, 1000)).expect("prepared");
        assert_eq!((p.large.width, p.large.height), (1280, 640));
        assert_eq!((p.small.width, p.small.height), (480, 240));
        let p = prepare_image(&jpeg(100, 50)).expect("prepared");
        assert_eq!((p.large.width, p.small.width), (100, 100));
    }

    #[test]
    fn transparency_is_kept_as_png() {
        let img = RgbaImage::from_fn(40, 40, |x, _| Rgba([10, 20, 30, (x * 6) as u8]));
        let mut png = Vec::new();
        img.write_with_encoder(PngEncoder::new(&mut png))
            .expect("encode");
        let p = prepare_image(&png).expect("prepared");
        assert_eq!(p.content_type, "image/png");
        assert!(p.small.bytes.starts_with(b"\x89PNG"));
    }

    #[test]
    fn non_pictures_and_damaged_files_are_refused_with_a_reason() {
        for bad in [&b""[..], b"%PDF-1.7 not a picture", &jpeg(50, 50)[..200]] {
            match prepare_image(bad) {
                Err(MediaError::Refused(msg)) => assert!(!msg.is_empty()),
                other => panic!("accepted: {other:?}"),
            }
        }
        let too_big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(
            matches!(prepare_image(&too_big), Err(MediaError::Refused(m)) if m.contains("10 MB"))
        );
    }
}
