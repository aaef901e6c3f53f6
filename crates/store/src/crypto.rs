//! Field encryption, key wrapping and blind indexes.
//!
//! - The **instance key** (32 random bytes) never encrypts data directly.
//!   Two keys are derived from it with HMAC-SHA-256 and a label: one wraps
//!   subjects' data keys, one computes blind indexes. Labels keep the uses
//!   apart, so a value computed for one can never be replayed as the other.
//! - A **data key** per subject encrypts that subject's personal fields
//!   with XChaCha20-Poly1305. Its 192-bit random nonces cannot collide in
//!   practice, so no nonce counter has to be kept (or lost in a restore).
//!   The associated data binds each ciphertext to its column and subject,
//!   so a ciphertext copied into another row or column fails to decrypt.
//! - A **blind index** (HMAC of a normalised value) lets us find a member
//!   by email without storing the email in a searchable form.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;
use std::path::Path;

/// Version byte at the start of every ciphertext we write, so the format
/// can change without guessing.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// Why a key or ciphertext could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Wrong length, unknown version or failed authentication.
    #[error("ciphertext is not valid for this key and context")]
    Invalid,
    /// The instance key file could not be read or written.
    #[error("instance key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The instance key given is not 64 hex digits.
    #[error("the instance key must be 64 hexadecimal digits (32 bytes)")]
    BadKey,
}

/// The instance's root secret.
#[derive(Clone)]
pub struct InstanceKey {
    wrap: [u8; 32],
    blind: [u8; 32],
}

impl fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstanceKey(<secret>)")
    }
}

fn derive(root: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(root)
        .expect("HMAC takes a key of any length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl InstanceKey {
    /// Builds the key from its 32 raw bytes.
    pub fn from_bytes(root: [u8; 32]) -> Self {
        Self {
            wrap: derive(&root, "lyceum/v1/key-wrapping"),
            blind: derive(&root, "lyceum/v1/blind-index"),
        }
    }

    /// Parses 64 hex digits (from configuration).
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let root: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self::from_bytes(root))
    }

    /// Reads the key file, creating it (mode 0600) with a fresh random key
    /// when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let err = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut root = [0u8; 32];
                rand::rng().fill_bytes(&mut root);
                write_private(path, hex::encode(root).as_bytes()).map_err(err)?;
                Ok(Self::from_bytes(root))
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Wraps a subject's data key; the subject id is bound as associated data.
    pub fn wrap(&self, subject: &[u8], data_key: &DataKey) -> Vec<u8> {
        seal(&self.wrap, subject, &data_key.0)
    }

    /// Unwraps a data key wrapped by [`InstanceKey::wrap`] for this subject.
    pub fn unwrap(&self, subject: &[u8], wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let raw = open(&self.wrap, subject, wrapped)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| CryptoError::Invalid)?;
        Ok(DataKey(key))
    }

    /// Seals an instance-level secret (a library's pseudonym key, its SIP2
    /// password) under the wrapping key; `context` names what it is and
    /// whose, so a sealed value cannot be moved to another place.
    pub fn seal_secret(&self, context: &str, secret: &[u8]) -> Vec<u8> {
        seal(&self.wrap, context.as_bytes(), secret)
    }

    /// Opens a value sealed by [`InstanceKey::seal_secret`] with the same context.
    pub fn open_secret(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(&self.wrap, context.as_bytes(), sealed)
    }

    /// The blind index of a normalised value, for a named purpose.
    pub fn blind_index(&self, purpose: &str, normalised: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.blind)
            .expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Writes a file readable only by its owner.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// One data subject's key. Dropped from memory as soon as it is used.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// Encrypts a field value; `context` names where it is stored
    /// (`"members.email"`), binding the ciphertext to that place.
    pub fn encrypt(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        seal(&self.0, context.as_bytes(), plaintext)
    }

    /// Decrypts a value written by [`DataKey::encrypt`] with the same context.
    pub fn decrypt(&self, context: &str, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(&self.0, context.as_bytes(), ciphertext)
    }

    /// Decrypts a value that must be UTF-8 text.
    pub fn decrypt_string(&self, context: &str, ciphertext: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(context, ciphertext)?).map_err(|_| CryptoError::Invalid)
    }
}

/// What tells one sealed value from every other: its format byte and
/// random nonce. Sealing draws a fresh 192-bit nonce every time, so two
/// values with the same one are the same sealing of the same text, and a
/// cache of decrypted values can check that a row still holds what it
/// decrypted without keeping the ciphertext.
pub fn sealing_id(sealed: &[u8]) -> Option<[u8; 1 + NONCE_LEN]> {
    sealed.get(..1 + NONCE_LEN)?.try_into().ok()
}

fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
        return Err(CryptoError::Invalid);
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
        .try_into()
        .map_err(|_| CryptoError::Invalid)?;
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad,
            },
        )
        .map_err(|_| CryptoError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> InstanceKey {
        InstanceKey::from_bytes([7u8; 32])
    }

    #[test]
    fn a_field_decrypts_only_in_its_own_context() {
        // A ciphertext moved to another column does not decrypt.
        let k = DataKey::generate();
        let ct = k.encrypt("members.email", b"ann@example.org");
        assert_eq!(
            k.decrypt("members.email", &ct).expect("same context"),
            b"ann@example.org"
        );
        assert!(k.decrypt("members.display_name", &ct).is_err());
        assert!(DataKey::generate().decrypt("members.email", &ct).is_err());
    }

    #[test]
    fn a_wrapped_key_unwraps_only_for_its_subject() {
        // Swapping two subjects' wrapped keys is detected.
        let dk = DataKey::generate();
        let w = key().wrap(b"subject-a", &dk);
        let back = key().unwrap(b"subject-a", &w).expect("unwraps");
        assert_eq!(back.0, dk.0);
        assert!(key().unwrap(b"subject-b", &w).is_err());
        assert!(
            InstanceKey::from_bytes([8u8; 32])
                .unwrap(b"subject-a", &w)
                .is_err()
        );
    }

    #[test]
    fn blind_index_is_stable_and_separated_by_purpose() {
        // The same email gives the same index; another purpose gives another.
        let k = key();
        assert_eq!(
            k.blind_index("email", "a@b.org"),
            k.blind_index("email", "a@b.org")
        );
        assert_ne!(
            k.blind_index("email", "a@b.org"),
            k.blind_index("card", "a@b.org")
        );
        assert_ne!(
            k.blind_index("email", "a@b.org"),
            InstanceKey::from_bytes([1; 32]).blind_index("email", "a@b.org")
        );
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        // First start creates the key with mode 0600; the next start reads the same key.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("instance.key");
        let a = InstanceKey::load_or_create(&path).expect("creates");
        let b = InstanceKey::load_or_create(&path).expect("reads");
        assert_eq!(a.blind_index("x", "y"), b.blind_index("x", "y"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    proptest! {
        #[test]
        fn open_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Whatever is in the column, decryption answers an error or a value, never a panic.
            let _ = DataKey::generate().decrypt("ctx", &bytes);
        }

        #[test]
        fn encryption_round_trips(data in proptest::collection::vec(any::<u8>(), 0..500)) {
            // Every plaintext comes back unchanged.
            let k = DataKey::generate();
            prop_assert_eq!(k.decrypt("c", &k.encrypt("c", &data)).expect("round trip"), data);
        }
    }
}
