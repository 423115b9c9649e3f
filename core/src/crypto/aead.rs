//! ChaCha20-Poly1305 (RFC 8439), in place over the caller's buffer, with a
//! detached tag and a raw 96-bit nonce.
//!
//! The nonce is RFC 8439's 12 bytes as given, so the RFC's vectors run through
//! this API unchanged; Noise's nonce encoding (four zero bytes, then a 64-bit
//! little-endian counter) belongs to the Noise layer. A failed open is the one
//! opaque [`Error::Aead`] and leaves the buffer as it was: the tag is checked
//! before anything is decrypted.

use core::fmt;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use subtle::ConstantTimeEq;

use super::SecretBytes;
use crate::Error;

/// Length of a ChaCha20-Poly1305 key.
pub const KEY_LEN: usize = 32;
/// Length of the RFC 8439 nonce.
pub const NONCE_LEN: usize = 12;
/// Length of the Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// A ChaCha20-Poly1305 key. Zeroized on drop, redacted, not `Clone`.
pub struct AeadKey(SecretBytes<KEY_LEN>);

/// A Poly1305 authentication tag, compared in constant time.
#[derive(Clone, Copy)]
pub struct Tag(pub [u8; TAG_LEN]);

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Tag {}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tag(")?;
        crate::wire::write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

impl AeadKey {
    /// Wraps key bytes (from a KDF, or a test vector).
    #[must_use]
    pub const fn new(key: SecretBytes<KEY_LEN>) -> Self {
        Self(key)
    }

    /// The key bytes.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }

    fn cipher(&self) -> chacha20poly1305::ChaCha20Poly1305 {
        // The cipher's copy of the key is zeroized when it drops
        // (chacha20poly1305's `zeroize` feature).
        chacha20poly1305::ChaCha20Poly1305::new(self.0.expose_secret().into())
    }

    /// Encrypts `buffer` in place and returns the tag over `aad` and the
    /// ciphertext.
    ///
    /// # Errors
    /// [`Error::InputTooLong`] beyond RFC 8439's limit of 2^38 - 64 bytes
    /// (unreachable on 32-bit targets).
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<Tag, Error> {
        let tag = self
            .cipher()
            .encrypt_inout_detached(nonce.into(), aad, buffer.into())
            .map_err(|_| Error::InputTooLong { max: usize::MAX })?;
        Ok(Tag(tag.into()))
    }

    /// Checks `tag` over `aad` and the ciphertext in `buffer`, then decrypts it
    /// in place.
    ///
    /// # Errors
    /// [`Error::Aead`] if the tag does not match; `buffer` is then unchanged.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Error> {
        self.cipher()
            .decrypt_inout_detached(nonce.into(), aad, buffer.into(), (&tag.0).into())
            .map_err(|_| Error::Aead)
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AeadKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_open_leaves_buffer_unchanged() {
        let key = AeadKey::new(SecretBytes::new([1; 32]));
        let nonce = [2; NONCE_LEN];
        let mut buffer = *b"attack at dawn";
        let tag = key
            .seal_in_place(&nonce, b"ad", &mut buffer)
            .expect("short input");
        let sealed = buffer;
        let mut bad = tag;
        bad.0[0] ^= 1;
        assert_eq!(
            key.open_in_place(&nonce, b"ad", &mut buffer, &bad),
            Err(Error::Aead)
        );
        assert_eq!(buffer, sealed);
        assert_eq!(
            key.open_in_place(&nonce, b"AD", &mut buffer, &tag),
            Err(Error::Aead)
        );
        assert_eq!(buffer, sealed);
        assert_eq!(key.open_in_place(&nonce, b"ad", &mut buffer, &tag), Ok(()));
        assert_eq!(&buffer, b"attack at dawn");
    }
}
