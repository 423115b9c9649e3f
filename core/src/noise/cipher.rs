//! Noise's `CipherState` (section 5.1) with ChaChaPoly (section 12.3).

use core::fmt;

use crate::Error;
use crate::crypto::SecretBytes;
use crate::crypto::aead::{self, AeadKey, Tag};

/// Length of a Noise cipher key.
pub const KEY_LEN: usize = aead::KEY_LEN;
/// Length of the authentication tag Noise appends to every ciphertext.
pub const TAG_LEN: usize = aead::TAG_LEN;

/// A Noise cipher state: a ChaCha20-Poly1305 key and a 64-bit nonce counter.
///
/// The nonce is encoded as Noise's ChaChaPoly specifies: four zero bytes, then
/// the counter little-endian. Nonce `2^64 - 1` is reserved for
/// [`CipherState::rekey`]; encrypting or decrypting with it is refused
/// ([`Error::NonceExhausted`]), so a nonce is never reused. A failed decryption
/// changes nothing. Zeroized on drop, redacted in `Debug`, not `Clone`.
pub struct CipherState {
    key: AeadKey,
    nonce: u64,
}

impl CipherState {
    /// A cipher state with `key` and nonce 0.
    #[must_use]
    pub const fn new(key: SecretBytes<KEY_LEN>) -> Self {
        Self {
            key: AeadKey::new(key),
            nonce: 0,
        }
    }

    /// The nonce the next encryption or decryption will use.
    #[must_use]
    pub const fn nonce(&self) -> u64 {
        self.nonce
    }

    /// Noise's 96-bit ChaChaPoly nonce for counter `n`.
    #[must_use]
    pub fn encode_nonce(n: u64) -> [u8; aead::NONCE_LEN] {
        let mut nonce = [0u8; aead::NONCE_LEN];
        let (_, counter) = nonce.split_at_mut(4);
        counter.copy_from_slice(&n.to_le_bytes());
        nonce
    }

    /// Encrypts `buffer[..plaintext_len]` in place under the current nonce and
    /// writes the tag after it; returns the ciphertext length
    /// (`plaintext_len + TAG_LEN`).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `buffer` cannot hold the tag;
    /// [`Error::NonceExhausted`] at nonce `2^64 - 1`. Nothing changes then.
    pub fn encrypt_in_place(
        &mut self,
        ad: &[u8],
        buffer: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize, Error> {
        let needed = plaintext_len.saturating_add(TAG_LEN);
        let buffer = buffer
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let nonce = self.next_nonce()?;
        let (text, tag_out) = buffer.split_at_mut(plaintext_len);
        let tag = self.key.seal_in_place(&nonce, ad, text)?;
        tag_out.copy_from_slice(&tag.0);
        self.nonce += 1;
        Ok(needed)
    }

    /// Encrypts `plaintext` into `out` (ciphertext, then tag) without copying
    /// it first; returns the length written (`plaintext.len() + TAG_LEN`).
    ///
    /// # Errors
    /// As [`CipherState::encrypt_in_place`].
    pub fn encrypt_to(
        &mut self,
        ad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let needed = plaintext.len().saturating_add(TAG_LEN);
        let out = out
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let nonce = self.next_nonce()?;
        let (text, tag_out) = out.split_at_mut(plaintext.len());
        let tag = self.key.seal_to(&nonce, ad, plaintext, text)?;
        tag_out.copy_from_slice(&tag.0);
        self.nonce += 1;
        Ok(needed)
    }

    /// Checks and decrypts `buffer` (ciphertext then tag) in place under the
    /// current nonce; returns the plaintext length (`buffer.len() - TAG_LEN`),
    /// the plaintext being `buffer[..len]`.
    ///
    /// # Errors
    /// [`Error::MessageTooShort`] if `buffer` is shorter than a tag;
    /// [`Error::NonceExhausted`] at nonce `2^64 - 1`; [`Error::Aead`] if the
    /// tag does not verify. In every case `buffer` and the nonce are unchanged.
    pub fn decrypt_in_place(&mut self, ad: &[u8], buffer: &mut [u8]) -> Result<usize, Error> {
        let (text, tag) = split_tag(buffer.len())
            .map(|len| buffer.split_at_mut(len))
            .ok_or(Error::MessageTooShort)?;
        let nonce = self.next_nonce()?;
        self.key.open_in_place(&nonce, ad, text, &read_tag(tag))?;
        self.nonce += 1;
        Ok(text.len())
    }

    /// Checks `ciphertext` (then tag) and decrypts it into `out` without a
    /// copy; returns the plaintext length.
    ///
    /// # Errors
    /// As [`CipherState::decrypt_in_place`], and [`Error::BufferTooSmall`] if
    /// `out` cannot hold the plaintext. `out` is unchanged on every error.
    pub fn decrypt_to(
        &mut self,
        ad: &[u8],
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (text, tag) = split_tag(ciphertext.len())
            .map(|len| ciphertext.split_at(len))
            .ok_or(Error::MessageTooShort)?;
        let out = out
            .get_mut(..text.len())
            .ok_or(Error::BufferTooSmall { needed: text.len() })?;
        let nonce = self.next_nonce()?;
        self.key.open_to(&nonce, ad, text, out, &read_tag(tag))?;
        self.nonce += 1;
        Ok(text.len())
    }

    fn next_nonce(&self) -> Result<[u8; aead::NONCE_LEN], Error> {
        if self.nonce == u64::MAX {
            return Err(Error::NonceExhausted);
        }
        Ok(Self::encode_nonce(self.nonce))
    }

    /// Noise's `Rekey()` (section 4.2): the new key is the first 32 bytes of
    /// `ENCRYPT(k, 2^64 - 1, "", 32 zero bytes)`. The nonce is unchanged.
    pub fn rekey(&mut self) {
        self.key = rekey(&self.key);
    }

    /// The key alone, for a session that manages its own nonces (datagram
    /// mode, where the counter travels with each record).
    #[must_use]
    pub(crate) fn into_key(self) -> AeadKey {
        self.key
    }

    /// Sets the key and nonce together, for tests that must reach the end of
    /// the nonce space honestly.
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub const fn hazmat_with_nonce(key: SecretBytes<KEY_LEN>, nonce: u64) -> Self {
        Self {
            key: AeadKey::new(key),
            nonce,
        }
    }
}

/// Noise's `REKEY(k)` (section 4.2): the first 32 bytes of
/// `ENCRYPT(k, 2^64 - 1, "", 32 zero bytes)`, as a new key. Used by sessions
/// to move to the next key without signalling.
pub(crate) fn rekey(key: &AeadKey) -> AeadKey {
    let mut next = SecretBytes::<KEY_LEN>::zero();
    // Sealing 32 bytes cannot exceed the AEAD's length limit.
    let _ = key.seal_in_place(
        &CipherState::encode_nonce(u64::MAX),
        &[],
        next.expose_secret_mut(),
    );
    AeadKey::new(next)
}

fn split_tag(len: usize) -> Option<usize> {
    len.checked_sub(TAG_LEN)
}

fn read_tag(bytes: &[u8]) -> Tag {
    let mut tag = [0u8; TAG_LEN];
    if bytes.len() == TAG_LEN {
        tag.copy_from_slice(bytes);
    }
    Tag(tag)
}

#[cfg(feature = "hazmat-testing")]
impl CipherState {
    /// The key's bytes, for state digests in tests. Testing only.
    #[must_use]
    pub fn hazmat_key_bytes(&self) -> [u8; KEY_LEN] {
        *self.key.expose_secret()
    }
}

impl fmt::Debug for CipherState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CipherState")
            .field("key", &"[redacted]")
            .field("nonce", &self.nonce)
            .finish()
    }
}
