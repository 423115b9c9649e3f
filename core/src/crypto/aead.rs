//! ChaCha20-Poly1305 (RFC 8439), in place over the caller's buffer, with a
//! detached tag and a raw 96-bit nonce.
//!
//! The nonce is RFC 8439's 12 bytes as given, so the RFC's vectors run through
//! this API unchanged; Noise's nonce encoding (four zero bytes, then a 64-bit
//! little-endian counter) belongs to the Noise layer. A failed open is the one
//! opaque [`Error::Aead`] and leaves the buffer as it was: the tag is checked
//! before anything is decrypted.

use core::fmt;

use chacha20poly1305::aead::inout::InOutBuf;
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
/// RFC 8439's limit on a plaintext, 2^38 - 64 bytes (saturated to the
/// address space on smaller targets, where it cannot be reached).
#[cfg(target_pointer_width = "64")]
pub const MAX_PLAINTEXT_LEN: usize = (1 << 38) - 64;
/// RFC 8439's limit on a plaintext, 2^38 - 64 bytes (saturated to the
/// address space on smaller targets, where it cannot be reached).
#[cfg(not(target_pointer_width = "64"))]
pub const MAX_PLAINTEXT_LEN: usize = usize::MAX;

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
    /// [`Error::InputTooLong`] beyond [`MAX_PLAINTEXT_LEN`] (unreachable on
    /// 32-bit targets).
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<Tag, Error> {
        let tag = self
            .cipher()
            .encrypt_inout_detached(nonce.into(), aad, buffer.into())
            .map_err(|_| Error::InputTooLong {
                max: MAX_PLAINTEXT_LEN,
            })?;
        Ok(Tag(tag.into()))
    }

    /// Encrypts `plaintext` into `ciphertext_out` (of the same length) and
    /// returns the tag: no copy of the plaintext is made.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] if the two lengths differ;
    /// [`Error::InputTooLong`] beyond [`MAX_PLAINTEXT_LEN`].
    pub fn seal_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
        ciphertext_out: &mut [u8],
    ) -> Result<Tag, Error> {
        let found = ciphertext_out.len();
        let buffer =
            InOutBuf::new(plaintext, ciphertext_out).map_err(|_| Error::InvalidLength {
                expected: plaintext.len(),
                found,
            })?;
        let tag = self
            .cipher()
            .encrypt_inout_detached(nonce.into(), aad, buffer)
            .map_err(|_| Error::InputTooLong {
                max: MAX_PLAINTEXT_LEN,
            })?;
        Ok(Tag(tag.into()))
    }

    /// Checks `tag` over `aad` and `ciphertext`, then decrypts into
    /// `plaintext_out` (of the same length).
    ///
    /// # Errors
    /// [`Error::InvalidLength`] if the two lengths differ; [`Error::Aead`] if
    /// the tag does not match, and `plaintext_out` is then unchanged.
    pub fn open_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
        plaintext_out: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Error> {
        let found = plaintext_out.len();
        let buffer =
            InOutBuf::new(ciphertext, plaintext_out).map_err(|_| Error::InvalidLength {
                expected: ciphertext.len(),
                found,
            })?;
        self.cipher()
            .decrypt_inout_detached(nonce.into(), aad, buffer, (&tag.0).into())
            .map_err(|_| Error::Aead)
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

    /// RFC 8439 section 2.8 states the limit as a number: P_MAX is
    /// 274,877,906,880 bytes. (A buffer that long cannot be allocated in a
    /// test; the refusal itself is one comparison with this constant.)
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_plaintext_limit_is_the_rfcs() {
        assert_eq!(MAX_PLAINTEXT_LEN, 274_877_906_880);
    }

    #[test]
    fn seal_to_refuses_an_output_of_another_length() {
        let key = AeadKey::new(SecretBytes::new([4; 32]));
        let nonce = [5; NONCE_LEN];
        let mut short = [0xee_u8; 11];
        assert_eq!(
            key.seal_to(&nonce, b"", b"twelve bytes", &mut short),
            Err(Error::InvalidLength {
                expected: 12,
                found: 11
            })
        );
        assert_eq!(short, [0xee; 11], "nothing is written");
        let mut long = [0u8; 13];
        assert_eq!(
            key.seal_to(&nonce, b"", b"twelve bytes", &mut long),
            Err(Error::InvalidLength {
                expected: 12,
                found: 13
            })
        );
    }

    #[test]
    fn tag_debug_is_its_hex() {
        extern crate std;
        let mut bytes = [0u8; TAG_LEN];
        bytes[0] = 0x0f;
        bytes[TAG_LEN - 1] = 0xf0;
        assert_eq!(
            std::format!("{:?}", Tag(bytes)),
            "Tag(0f0000000000000000000000000000f0)"
        );
    }

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

    #[test]
    fn out_of_place_matches_in_place_and_failure_writes_nothing() {
        let key = AeadKey::new(SecretBytes::new([9; 32]));
        let nonce = [3; NONCE_LEN];
        let mut in_place = *b"sixteen byte msg";
        let tag = key
            .seal_in_place(&nonce, b"", &mut in_place)
            .expect("short");
        let mut out = [0u8; 16];
        assert_eq!(
            key.seal_to(&nonce, b"", b"sixteen byte msg", &mut out),
            Ok(tag)
        );
        assert_eq!(out, in_place);
        let mut plain = [0x55u8; 16];
        let mut bad = tag;
        bad.0[3] ^= 4;
        assert_eq!(
            key.open_to(&nonce, b"", &out, &mut plain, &bad),
            Err(Error::Aead)
        );
        assert_eq!(plain, [0x55; 16]);
        assert_eq!(key.open_to(&nonce, b"", &out, &mut plain, &tag), Ok(()));
        assert_eq!(&plain, b"sixteen byte msg");
        assert_eq!(
            key.open_to(&nonce, b"", &out, &mut plain[..15], &tag),
            Err(Error::InvalidLength {
                expected: 16,
                found: 15
            })
        );
    }
}
