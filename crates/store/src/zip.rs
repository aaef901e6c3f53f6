//! A ZIP writer for exports that streams: entries are written as they are
//! produced (stored, no compression) and the bytes ready to send are taken
//! out with [`ZipWriter::take`], so an archive of any size is sent while it
//! is being written and never held in memory whole. Each entry's CRC and
//! sizes follow its data in a data descriptor (general-purpose flag bit 3).
//! Names are marked UTF-8 (flag bit 11). Archives with more than 65,534
//! entries or over 4 GiB get the ZIP64 end records; a single entry over
//! 4 GiB is refused. Storing keeps this to a page of code with no
//! compression library, and every unzip tool reads it.

use crc::{CRC_32_ISO_HDLC, Crc, Digest};
use std::io;

static CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
const UTF8_NAMES: u16 = 1 << 11;
const DATA_DESCRIPTOR: u16 = 1 << 3;
// 1980-01-01 00:00 in DOS format: no timestamps, so identical data gives
// identical archives.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

struct Open {
    name: String,
    offset: u64,
    crc: Digest<'static, u32>,
    size: u64,
}

/// Writes a ZIP archive entry by entry into a buffer that the caller
/// empties as it goes.
#[derive(Default)]
pub struct ZipWriter {
    out: Vec<u8>,
    written: u64,
    central: Vec<u8>,
    entries: u64,
    open: Option<Open>,
}

impl std::fmt::Debug for ZipWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipWriter")
            .field("written", &self.written)
            .field("entries", &self.entries)
            .field("open", &self.open.as_ref().map(|o| &o.name))
            .finish()
    }
}

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} is over 4 GiB, more than an export entry may hold"
    ))
}

impl ZipWriter {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes written so far, including those already taken.
    pub fn position(&self) -> u64 {
        self.written + self.out.len() as u64
    }

    /// Starts an entry; what is written next (through [`io::Write`]) is its
    /// content, until [`ZipWriter::end`]. An entry still open is ended first.
    pub fn start(&mut self, name: &str) -> io::Result<()> {
        self.end()?;
        let name_len = u16::try_from(name.len())
            .map_err(|_| io::Error::other(format!("the file name {name} is too long")))?;
        let offset = self.position();
        push(&mut self.out, &0x0403_4b50u32.to_le_bytes());
        for v in [20u16, UTF8_NAMES | DATA_DESCRIPTOR, 0, DOS_TIME, DOS_DATE] {
            push(&mut self.out, &v.to_le_bytes());
        }
        // CRC and sizes are in the data descriptor after the data.
        push(&mut self.out, &[0; 12]);
        push(&mut self.out, &name_len.to_le_bytes());
        push(&mut self.out, &0u16.to_le_bytes());
        push(&mut self.out, name.as_bytes());
        self.open = Some(Open {
            name: name.to_owned(),
            offset,
            crc: CRC32.digest(),
            size: 0,
        });
        Ok(())
    }

    /// Ends the open entry, if any: writes its data descriptor and notes
    /// it for the central directory.
    pub fn end(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let size = u32::try_from(open.size).map_err(|_| too_big(&open.name))?;
        let crc = open.crc.finalize();
        push(&mut self.out, &0x0807_4b50u32.to_le_bytes());
        for v in [crc, size, size] {
            push(&mut self.out, &v.to_le_bytes());
        }
        // Offsets past 4 GiB go in a ZIP64 extra field.
        let (offset, extra) = match u32::try_from(open.offset) {
            Ok(o) => (o, Vec::new()),
            Err(_) => {
                let mut extra = Vec::with_capacity(12);
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&8u16.to_le_bytes());
                extra.extend_from_slice(&open.offset.to_le_bytes());
                (u32::MAX, extra)
            }
        };
        let version = if extra.is_empty() { 20u16 } else { 45 };
        let c = &mut self.central;
        push(c, &0x0201_4b50u32.to_le_bytes());
        for v in [
            version,
            version,
            UTF8_NAMES | DATA_DESCRIPTOR,
            0,
            DOS_TIME,
            DOS_DATE,
        ] {
            push(c, &v.to_le_bytes());
        }
        for v in [crc, size, size] {
            push(c, &v.to_le_bytes());
        }
        // The name fits: start() checked it.
        let name_len = open.name.len() as u16;
        for v in [name_len, extra.len() as u16, 0, 0, 0] {
            push(c, &v.to_le_bytes());
        }
        push(c, &0u32.to_le_bytes());
        push(c, &offset.to_le_bytes());
        push(c, open.name.as_bytes());
        push(c, &extra);
        self.entries += 1;
        Ok(())
    }

    /// Adds a whole file at once.
    pub fn add(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.start(name)?;
        io::Write::write_all(self, data)?;
        self.end()
    }

    /// How many bytes are waiting to be taken.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// The bytes written since the last call, to send on.
    pub fn take(&mut self) -> Vec<u8> {
        self.written += self.out.len() as u64;
        std::mem::take(&mut self.out)
    }

    /// Ends the archive: the central directory and the end records. Returns
    /// the bytes not yet taken.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        self.end()?;
        let cd_offset = self.position();
        let cd_size = self.central.len() as u64;
        let central = std::mem::take(&mut self.central);
        push(&mut self.out, &central);
        let entries16 = u16::try_from(self.entries).ok().filter(|n| *n < u16::MAX);
        let size32 = u32::try_from(cd_size).ok().filter(|n| *n < u32::MAX);
        let offset32 = u32::try_from(cd_offset).ok().filter(|n| *n < u32::MAX);
        if entries16.is_none() || size32.is_none() || offset32.is_none() {
            let zip64_end = self.position();
            let o = &mut self.out;
            push(o, &0x0606_4b50u32.to_le_bytes());
            push(o, &44u64.to_le_bytes());
            for v in [45u16, 45] {
                push(o, &v.to_le_bytes());
            }
            for v in [0u32, 0] {
                push(o, &v.to_le_bytes());
            }
            for v in [self.entries, self.entries, cd_size, cd_offset] {
                push(o, &v.to_le_bytes());
            }
            push(o, &0x0706_4b50u32.to_le_bytes());
            push(o, &0u32.to_le_bytes());
            push(o, &zip64_end.to_le_bytes());
            push(o, &1u32.to_le_bytes());
        }
        let entries = entries16.unwrap_or(u16::MAX);
        let o = &mut self.out;
        push(o, &0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, entries, entries] {
            push(o, &v.to_le_bytes());
        }
        push(o, &size32.unwrap_or(u32::MAX).to_le_bytes());
        push(o, &offset32.unwrap_or(u32::MAX).to_le_bytes());
        push(o, &0u16.to_le_bytes());
        Ok(self.out)
    }
}

impl io::Write for ZipWriter {
    /// Writes into the open entry; an error when no entry is open.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("no archive entry is open"));
        };
        open.crc.update(buf);
        open.size += buf.len() as u64;
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn push(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
}

/// Reads the files of an archive written by [`ZipWriter`] (stored entries,
/// ZIP64 end records included), checking each CRC. For tests and for anyone
/// verifying an export.
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
    let u64_at = |i: usize| {
        archive
            .get(i..i + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    };
    let (mut entries, mut at) = (u64::from(u16_at(eocd + 10)?), u64::from(u32_at(eocd + 16)?));
    if entries == u64::from(u16::MAX) || at == u64::from(u32::MAX) {
        // The ZIP64 locator sits just before the end record.
        let locator = eocd.checked_sub(20)?;
        if u32_at(locator)? != 0x0706_4b50 {
            return None;
        }
        let end64 = usize::try_from(u64_at(locator + 8)?).ok()?;
        if u32_at(end64)? != 0x0606_4b50 {
            return None;
        }
        entries = u64_at(end64 + 32)?;
        at = u64_at(end64 + 48)?;
    }
    let mut at = usize::try_from(at).ok()?;
    let mut files = Vec::new();
    for _ in 0..entries {
        if u32_at(at)? != 0x0201_4b50 {
            return None;
        }
        let crc = u32_at(at + 16)?;
        let size = u32_at(at + 24)? as usize;
        let name_len = u16_at(at + 28)? as usize;
        let extra_len = u16_at(at + 30)? as usize;
        let mut offset = u32_at(at + 42)? as usize;
        let name = String::from_utf8(archive.get(at + 46..at + 46 + name_len)?.to_vec()).ok()?;
        if offset == u32::MAX as usize {
            // The offset is in the ZIP64 extra field.
            let extra = at + 46 + name_len;
            if u16_at(extra)? != 1 {
                return None;
            }
            offset = usize::try_from(u64_at(extra + 4)?).ok()?;
        }
        let local_name_len = u16_at(offset + 26)? as usize;
        let start = offset + 30 + local_name_len;
        let data = archive.get(start..start + size)?.to_vec();
        if CRC32.checksum(&data) != crc {
            return None;
        }
        files.push((name, data));
        at += 46 + name_len + extra_len;
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_archive_round_trips_with_utf8_names() {
        // What is written reads back byte for byte, names in any script included.
        let mut z = ZipWriter::new();
        z.add("index.html", b"<h1>Hi</h1>").expect("add");
        z.add("data/李明.json", "{\"name\":\"李明\"}".as_bytes())
            .expect("add");
        z.add("empty.txt", b"").expect("add");
        let bytes = z.finish().expect("finish");
        let files = read_stored(&bytes).expect("valid archive");
        assert_eq!(files.len(), 3);
        assert_eq!(files[1].0, "data/李明.json");
        assert_eq!(files[1].1, "{\"name\":\"李明\"}".as_bytes());
        assert!(files[2].1.is_empty());
    }

    #[test]
    fn an_archive_taken_piece_by_piece_is_the_same_archive() {
        // Streaming: bytes taken out while entries are being written join up
        // into a valid archive, with each entry whole.
        let mut z = ZipWriter::new();
        let mut sent = Vec::new();
        z.start("rows.json").expect("start");
        for i in 0..1000 {
            writeln!(z, "{{\"row\":{i}}}").expect("write");
            if z.pending() > 500 {
                sent.extend(z.take());
            }
        }
        z.start("second.txt").expect("start");
        z.write_all(b"two").expect("write");
        sent.extend(z.take());
        sent.extend(z.finish().expect("finish"));
        let files = read_stored(&sent).expect("valid archive");
        assert_eq!(files.len(), 2);
        let rows = String::from_utf8(files[0].1.clone()).expect("utf-8");
        assert_eq!(rows.lines().count(), 1000);
        assert!(rows.ends_with("{\"row\":999}\n"));
        assert_eq!(files[1].1, b"two");
    }

    #[test]
    fn more_entries_than_the_classic_format_counts_get_zip64_end_records() {
        // 70,000 entries do not fit the 16-bit count; the ZIP64 records carry it.
        let mut z = ZipWriter::new();
        for i in 0..70_000 {
            z.add(&format!("f/{i}"), b"x").expect("add");
        }
        let bytes = z.finish().expect("finish");
        let files = read_stored(&bytes).expect("valid archive");
        assert_eq!(files.len(), 70_000);
        assert_eq!(files[69_999].0, "f/69999");
    }

    #[test]
    fn writing_outside_an_entry_is_an_error() {
        let mut z = ZipWriter::new();
        assert!(z.write_all(b"stray").is_err());
    }

    #[test]
    fn a_corrupted_archive_is_detected() {
        // A flipped byte in a file's data fails its CRC.
        let mut z = ZipWriter::new();
        z.add("a.txt", b"hello").expect("add");
        let mut bytes = z.finish().expect("finish");
        bytes[30 + 5] ^= 0xff;
        assert!(read_stored(&bytes).is_none());
        assert!(read_stored(b"not a zip").is_none());
    }
}
