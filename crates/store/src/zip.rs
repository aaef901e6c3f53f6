//! A minimal ZIP writer (stored entries, no compression) for exports. An
//! export is a few JSON files and one HTML page; storing them uncompressed
//! keeps this to a page of code with no compression library, and every
//! unzip tool reads it. Names are marked UTF-8 (general-purpose flag bit 11).

use crc::{CRC_32_ISO_HDLC, Crc};

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
const UTF8_NAMES: u16 = 1 << 11;

/// Builds a ZIP archive in memory.
#[derive(Debug, Default)]
pub struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl ZipWriter {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file. Panics never; sizes over 4 GiB are not expected for an export
    /// and are refused by returning `false`.
    pub fn add(&mut self, name: &str, data: &[u8]) -> bool {
        let (Ok(size), Ok(offset), Ok(name_len)) = (
            u32::try_from(data.len()),
            u32::try_from(self.out.len()),
            u16::try_from(name.len()),
        ) else {
            return false;
        };
        let crc = CRC32.checksum(data);
        // 1980-01-01 00:00 in DOS format: no timestamps, so identical data
        // gives identical archives.
        let (time, date) = (0u16, (1u16 << 5) | 1);
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, UTF8_NAMES, 0, time, date] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        local.extend_from_slice(&name_len.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(&local);
        self.out.extend_from_slice(data);

        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, UTF8_NAMES, 0, time, date] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        self.central.extend_from_slice(&0u32.to_le_bytes());
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
        true
    }

    /// Finishes the archive and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let cd_offset = self.out.len() as u32;
        let cd_size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&cd_size.to_le_bytes());
        self.out.extend_from_slice(&cd_offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// Reads the files of an archive written by [`ZipWriter`] (stored entries),
/// checking each CRC. For tests and for anyone verifying an export.
pub fn read_stored(archive: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let eocd = archive.len().checked_sub(22)?;
    if archive.get(eocd..eocd + 4)? != 0x0605_4b50u32.to_le_bytes() {
        return None;
    }
    let u16_at = |i: usize| {
        archive
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |i: usize| {
        archive
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let entries = u16_at(eocd + 10)?;
    let mut at = u32_at(eocd + 16)? as usize;
    let mut files = Vec::new();
    for _ in 0..entries {
        if u32_at(at)? != 0x0201_4b50 {
            return None;
        }
        let crc = u32_at(at + 16)?;
        let size = u32_at(at + 24)? as usize;
        let name_len = u16_at(at + 28)? as usize;
        let offset = u32_at(at + 42)? as usize;
        let name = String::from_utf8(archive.get(at + 46..at + 46 + name_len)?.to_vec()).ok()?;
        let local_name_len = u16_at(offset + 26)? as usize;
        let start = offset + 30 + local_name_len;
        let data = archive.get(start..start + size)?.to_vec();
        if CRC32.checksum(&data) != crc {
            return None;
        }
        files.push((name, data));
        at += 46 + name_len;
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_round_trips_with_utf8_names() {
        // What is written reads back byte for byte, names in any script included.
        let mut z = ZipWriter::new();
        assert!(z.add("index.html", b"<h1>Hi</h1>"));
        assert!(z.add("data/李明.json", "{\"name\":\"李明\"}".as_bytes()));
        assert!(z.add("empty.txt", b""));
        let bytes = z.finish();
        let files = read_stored(&bytes).expect("valid archive");
        assert_eq!(files.len(), 3);
        assert_eq!(files[1].0, "data/李明.json");
        assert_eq!(files[1].1, "{\"name\":\"李明\"}".as_bytes());
        assert!(files[2].1.is_empty());
    }

    #[test]
    fn a_corrupted_archive_is_detected() {
        // A flipped byte in a file's data fails its CRC.
        let mut z = ZipWriter::new();
        z.add("a.txt", b"hello");
        let mut bytes = z.finish();
        bytes[30 + 5] ^= 0xff;
        assert!(read_stored(&bytes).is_none());
        assert!(read_stored(b"not a zip").is_none());
    }
}
