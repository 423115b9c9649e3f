//! Noise's `SymmetricState` (section 5.2) with SHA512 (section 12.5).

use zeroize::Zeroize;

use super::cipher::{CipherState, KEY_LEN, TAG_LEN};
use crate::Error;
use crate::crypto::SecretBytes;
use crate::crypto::hash::{HASH_LEN, Prk, sha512};

/// Chaining key, handshake hash and the optional cipher state. No hasher or
/// HMAC instance is kept between calls.
pub(crate) struct SymmetricState {
    ck: SecretBytes<HASH_LEN>,
    h: [u8; HASH_LEN],
    cipher: Option<CipherState>,
}

/// Noise's `HKDF(chaining_key, input_key_material, n)` (section 4.3): RFC 5869
/// extract with the chaining key as salt, then expand with empty info.
fn hkdf<const N: usize>(ck: &SecretBytes<HASH_LEN>, ikm: &[u8]) -> SecretBytes<N> {
    const { assert!(N <= crate::crypto::hash::HKDF_MAX_OUTPUT) };
    let mut out = SecretBytes::<N>::zero();
    // N is checked against HKDF's limit at compile time, so expand succeeds.
    let _ = Prk::extract(ck.expose_secret(), ikm).expand(&[], out.expose_secret_mut());
    out
}

/// Splits a 2- or 3-output HKDF result into its 64-byte parts.
fn part(out: &[u8], index: usize) -> &[u8] {
    out.get(index * HASH_LEN..(index + 1) * HASH_LEN)
        .unwrap_or(&[])
}

fn cipher_key(bytes: &[u8]) -> SecretBytes<KEY_LEN> {
    let mut key = SecretBytes::zero();
    if let Some(truncated) = bytes.get(..KEY_LEN) {
        key.expose_secret_mut().copy_from_slice(truncated);
    }
    key
}

impl SymmetricState {
    /// `InitializeSymmetric(protocol_name)`.
    pub(crate) fn new(protocol_name: &[u8]) -> Self {
        let mut h = [0u8; HASH_LEN];
        match h.get_mut(..protocol_name.len()) {
            Some(prefix) => prefix.copy_from_slice(protocol_name),
            None => h = sha512(&[protocol_name]),
        }
        Self {
            ck: SecretBytes::new(h),
            h,
            cipher: None,
        }
    }

    pub(crate) const fn handshake_hash(&self) -> &[u8; HASH_LEN] {
        &self.h
    }

    pub(crate) const fn has_key(&self) -> bool {
        self.cipher.is_some()
    }

    pub(crate) fn mix_hash(&mut self, data: &[u8]) {
        self.h = sha512(&[&self.h, data]);
    }

    pub(crate) fn mix_key(&mut self, ikm: &[u8]) {
        let out = hkdf::<{ 2 * HASH_LEN }>(&self.ck, ikm);
        self.ck
            .expose_secret_mut()
            .copy_from_slice(part(out.expose_secret(), 0));
        self.cipher = Some(CipherState::new(cipher_key(part(out.expose_secret(), 1))));
    }

    pub(crate) fn mix_key_and_hash(&mut self, ikm: &[u8]) {
        let out = hkdf::<{ 3 * HASH_LEN }>(&self.ck, ikm);
        self.ck
            .expose_secret_mut()
            .copy_from_slice(part(out.expose_secret(), 0));
        self.mix_hash(part(out.expose_secret(), 1));
        self.cipher = Some(CipherState::new(cipher_key(part(out.expose_secret(), 2))));
    }

    /// `EncryptAndHash(plaintext)` into `out`; returns the length written
    /// (plaintext plus tag once a key is set).
    pub(crate) fn encrypt_and_hash(
        &mut self,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let len = plaintext.len().saturating_add(self.overhead());
        let out = out
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { needed: len })?;
        match &mut self.cipher {
            Some(cipher) => {
                cipher.encrypt_to(&self.h, plaintext, out)?;
            }
            None => out.copy_from_slice(plaintext),
        }
        self.h = sha512(&[&self.h, out]);
        Ok(len)
    }

    /// `DecryptAndHash(ciphertext)` into `out`; returns the plaintext length.
    pub(crate) fn decrypt_and_hash(
        &mut self,
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let len = ciphertext
            .len()
            .checked_sub(self.overhead())
            .ok_or(Error::MessageTooShort)?;
        let out = out
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { needed: len })?;
        match &mut self.cipher {
            Some(cipher) => {
                cipher.decrypt_to(&self.h, ciphertext, out)?;
            }
            None => out.copy_from_slice(ciphertext),
        }
        self.h = sha512(&[&self.h, ciphertext]);
        Ok(len)
    }

    /// Bytes `EncryptAndHash` adds to a plaintext right now.
    pub(crate) const fn overhead(&self) -> usize {
        if self.has_key() { TAG_LEN } else { 0 }
    }

    /// `Split()`: the initiator's sending and the responder's sending cipher
    /// states, in that order.
    pub(crate) fn split(&self) -> (CipherState, CipherState) {
        let out = hkdf::<{ 2 * HASH_LEN }>(&self.ck, &[]);
        (
            CipherState::new(cipher_key(part(out.expose_secret(), 0))),
            CipherState::new(cipher_key(part(out.expose_secret(), 1))),
        )
    }

    /// Wipes every secret; used when a handshake fails.
    pub(crate) fn wipe(&mut self) {
        self.ck.zeroize();
        self.h.zeroize();
        self.cipher = None;
    }
}

impl Drop for SymmetricState {
    fn drop(&mut self) {
        // `ck` and the cipher key wipe themselves; the handshake hash is not
        // secret but reveals the transcript, so it goes too.
        self.h.zeroize();
    }
}

#[cfg(test)]
#[cfg(not(miri))]
mod tests {
    use super::SymmetricState;

    /// Dropping wipes the handshake hash and the chaining key (a new state
    /// holds the protocol name in both).
    #[test]
    fn drop_wipes_the_hash_and_the_chaining_key() {
        const NAME: &[u8] = b"Noise_XX_25519_ChaChaPoly_SHA512";
        let block = crate::freed_on_drop(SymmetricState::new(NAME));
        assert!(!block.contains(NAME), "the hash or chaining key survived");
    }
}
