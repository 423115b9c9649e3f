//! SHA-512, HMAC-SHA512 (RFC 2104) and HKDF-SHA512 (RFC 5869).
//!
//! Inputs are given as lists of slices, hashed as their concatenation, so
//! callers never copy parts into a scratch buffer. No hasher state outlives a
//! call: states that persist (Noise, sessions) keep only keys and hashes.

use core::fmt;

use hmac::digest::FixedOutput;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::SecretBytes;
use crate::Error;

/// Length of a SHA-512 output, an HMAC-SHA512 tag and an HKDF-SHA512 PRK.
pub const HASH_LEN: usize = 64;

/// Largest output HKDF-SHA512 can expand to (RFC 5869: 255 hash lengths).
pub const HKDF_MAX_OUTPUT: usize = 255 * HASH_LEN;

type HmacSha512 = hmac::Hmac<Sha512>;

/// SHA-512 of the concatenation of `parts`.
#[must_use]
pub fn sha512(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let mut out = [0; HASH_LEN];
    sha512_into(parts, &mut out);
    out
}

/// SHA-512 of the concatenation of `parts`, written into `out` (for a
/// secret digest: into a zeroizing slot, with no copy returned by value).
pub fn sha512_into(parts: &[&[u8]], out: &mut [u8; HASH_LEN]) {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    Digest::finalize_into(hasher, out.into());
}

/// HMAC-SHA512 of the concatenation of `parts` under `key` (any length).
///
/// The output is returned as a secret: as a KDF output it is key material, as
/// a MAC it is compared with [`MacTag`] in constant time.
#[must_use]
pub fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> SecretBytes<HASH_LEN> {
    let mut out = SecretBytes::zero();
    hmac_sha512_into(key, parts, out.expose_secret_mut());
    out
}

/// HMAC-SHA512 of the concatenation of `parts` under `key`, written into
/// `out` (a zeroizing slot when the tag or key is secret).
pub fn hmac_sha512_into(key: &[u8], parts: &[&[u8]], out: &mut [u8; HASH_LEN]) {
    // HMAC accepts keys of every length, so this constructor cannot fail; the
    // fallback key is never used.
    let mut mac =
        HmacSha512::new_from_slice(key).unwrap_or_else(|_| HmacSha512::new(&[0; 128].into()));
    for part in parts {
        mac.update(part);
    }
    FixedOutput::finalize_into(mac, out.into());
}

/// A 64-byte MAC tag compared in constant time.
#[derive(Clone, Copy)]
pub struct MacTag(pub [u8; HASH_LEN]);

impl MacTag {
    /// HMAC-SHA512 of `parts` under `key`, as a tag.
    #[must_use]
    pub fn compute(key: &[u8], parts: &[&[u8]]) -> Self {
        Self(*hmac_sha512(key, parts).expose_secret())
    }

    /// Whether `self` is the tag of `parts` under `key`, in constant time.
    #[must_use]
    pub fn verify(&self, key: &[u8], parts: &[&[u8]]) -> bool {
        *self == Self::compute(key, parts)
    }
}

impl PartialEq for MacTag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for MacTag {}

impl fmt::Debug for MacTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacTag(")?;
        crate::wire::write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// An HKDF-SHA512 pseudorandom key: the output of extract, the input of
/// expand. Zeroized on drop, redacted, not `Clone`.
#[derive(Debug)]
pub struct Prk(SecretBytes<HASH_LEN>);

impl Prk {
    /// HKDF-Extract: `PRK = HMAC-SHA512(salt, ikm)` (RFC 5869 section 2.2; an
    /// empty salt is `HASH_LEN` zero bytes, which HMAC treats identically).
    #[must_use]
    pub fn extract(salt: &[u8], ikm: &[u8]) -> Self {
        Self(hmac_sha512(salt, &[ikm]))
    }

    /// Wraps an existing 64-byte PRK.
    #[must_use]
    pub const fn from_secret(prk: SecretBytes<HASH_LEN>) -> Self {
        Self(prk)
    }

    /// The PRK bytes.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; HASH_LEN] {
        self.0.expose_secret()
    }

    /// HKDF-Expand (RFC 5869 section 2.3) with `info` the concatenation of
    /// `info_parts`, filling `okm`.
    ///
    /// # Errors
    /// [`Error::KdfOutputTooLong`] if `okm` is longer than
    /// [`HKDF_MAX_OUTPUT`]; `okm` is then untouched.
    pub fn expand(&self, info_parts: &[&[u8]], okm: &mut [u8]) -> Result<(), Error> {
        if okm.len() > HKDF_MAX_OUTPUT {
            return Err(Error::KdfOutputTooLong);
        }
        let hkdf = hkdf::Hkdf::<Sha512>::from_prk(self.expose_secret()).map_err(|_| {
            Error::InvalidLength {
                expected: HASH_LEN,
                found: HASH_LEN,
            }
        })?;
        hkdf.expand_multi_info(info_parts, okm)
            .map_err(|_| Error::KdfOutputTooLong)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::*;

    #[test]
    fn mac_verify_accepts_only_the_same_key_and_message() {
        let tag = MacTag::compute(b"key", &[b"confirm", b"ation"]);
        // The parts are concatenated: how the message is split does not matter.
        assert!(tag.verify(b"key", &[b"confirmation"]));
        assert!(tag.verify(b"key", &[b"conf", b"irm", b"ation"]));
        assert!(!tag.verify(b"kez", &[b"confirmation"]));
        assert!(!tag.verify(b"key", &[b"confirmatiom"]));
        assert!(!tag.verify(b"key", &[b"confirmation", b"x"]));
        let mut flipped = MacTag(tag.0);
        flipped.0[HASH_LEN - 1] ^= 0x80;
        assert!(!flipped.verify(b"key", &[b"confirmation"]));
    }

    #[test]
    fn mac_tag_debug_is_its_hex() {
        let mut bytes = [0u8; HASH_LEN];
        bytes[0] = 0xab;
        bytes[HASH_LEN - 1] = 0x01;
        let shown = format!("{:?}", MacTag(bytes));
        assert!(shown.starts_with("MacTag(ab00"), "{shown}");
        assert!(shown.ends_with("0001)"), "{shown}");
        assert_eq!(shown.len(), "MacTag()".len() + 2 * HASH_LEN);
    }
}
