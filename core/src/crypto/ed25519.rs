//! Ed25519 (RFC 8032) signing and strict verification.
//!
//! A [`VerifyingKey`] must decode as a curve point and must not have small
//! order; a [`Signature`] must carry a reduced scalar. Verification is
//! `verify_strict`, which also refuses non-canonical `R` encodings, so a
//! signature that verifies here verifies under every strict verifier.

use core::fmt;

use ed25519_dalek::Signer as _;
use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use super::{SecretBytes, fill_random};
use crate::Error;
use crate::wire::{array_from_slice, write_hex};

/// Length of an Ed25519 public key and of a secret seed.
pub const KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signing key (the 32-byte seed of RFC 8032 and its expansion).
///
/// Zeroized on drop (by `ed25519-dalek`'s `zeroize` feature), redacted in
/// `Debug`, not `Clone`.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Draws a fresh 32-byte seed from the injected RNG.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut seed = SecretBytes::<KEY_LEN>::zero();
        fill_random(rng, seed.expose_secret_mut())?;
        Ok(Self::from_seed(&seed))
    }

    /// Rebuilds a signing key from its 32-byte seed (RFC 8032's private key).
    #[must_use]
    pub fn from_seed(seed: &SecretBytes<KEY_LEN>) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed.expose_secret()))
    }

    /// The 32-byte seed, for storage by the host.
    #[must_use]
    pub fn to_seed(&self) -> SecretBytes<KEY_LEN> {
        SecretBytes::new(self.0.to_bytes())
    }

    /// The public key (kept beside the secret, never recomputed).
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic, RFC 8032 Ed25519 "pure").
    ///
    /// Crate-private: this key signs audit records, so outside the core it
    /// signs only through the audit writer or a domain-separated
    /// `DeviceIdentity::sign`, never raw bytes.
    #[must_use]
    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    /// Signs raw `message` bytes, for published test vectors and attack
    /// tests only (feature `hazmat-testing`).
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub fn hazmat_sign(&self, message: &[u8]) -> Signature {
        self.sign(message)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("secret", &"[redacted]")
            .field("public", &self.verifying_key())
            .finish()
    }
}

/// An Ed25519 public key: a valid curve point, not of small order.
#[derive(Clone, Copy)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Decodes and checks a public key.
    ///
    /// # Errors
    /// [`Error::InvalidVerifyingKey`] if the bytes are not a point;
    /// [`Error::WeakVerifyingKey`] if the point has small order.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self, Error> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::InvalidVerifyingKey)?;
        if key.is_weak() {
            return Err(Error::WeakVerifyingKey);
        }
        Ok(Self(key))
    }

    /// [`VerifyingKey::from_bytes`] over a slice of exactly [`KEY_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`], or the errors of `from_bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes(&array_from_slice(bytes)?)
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        self.0.as_bytes()
    }

    /// Strict verification (RFC 8032 with canonical `R` and `s` and no
    /// small-order components).
    ///
    /// # Errors
    /// [`Error::SignatureInvalid`] if the signature does not verify.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), Error> {
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| Error::SignatureInvalid)
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}
impl Eq for VerifyingKey {}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey(")?;
        write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

/// An Ed25519 signature whose scalar `s` is reduced (checked on decoding).
#[derive(Clone, Copy)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Decodes a signature, refusing an unreduced `s` (a malleable encoding).
    ///
    /// # Errors
    /// [`Error::MalformedSignature`] if `s` is not below the group order.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_LEN]) -> Result<Self, Error> {
        let mut s = [0u8; 32];
        s.copy_from_slice(bytes.get(32..).unwrap_or(&[0; 32]));
        if bool::from(curve25519_dalek::Scalar::from_canonical_bytes(s).is_none()) {
            return Err(Error::MalformedSignature);
        }
        Ok(Self(*bytes))
    }

    /// [`Signature::from_bytes`] over a slice of exactly [`SIGNATURE_LEN`]
    /// bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`], or the errors of `from_bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes(&array_from_slice(bytes)?)
    }

    /// The 64-byte encoding (`R` then `s`).
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Signature {}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed(&SecretBytes::new([3; 32]))
    }

    #[test]
    fn sign_verify_and_tamper() {
        let key = key();
        let public = key.verifying_key();
        let signature = key.sign(b"record");
        assert_eq!(public.verify(b"record", &signature), Ok(()));
        assert_eq!(
            public.verify(b"recorD", &signature),
            Err(Error::SignatureInvalid)
        );
        let mut bytes = signature.to_bytes();
        bytes[0] ^= 1;
        let flipped = Signature::from_bytes(&bytes).expect("R is not checked on decoding");
        assert_eq!(
            public.verify(b"record", &flipped),
            Err(Error::SignatureInvalid)
        );
    }

    #[test]
    fn unreduced_scalar_is_refused() {
        let signature = key().sign(b"m").to_bytes();
        let mut bytes = signature;
        // s + L is the classic malleated twin of s; setting the top bits
        // guarantees s >= L whatever s was.
        bytes[63] |= 0xf0;
        assert_eq!(
            Signature::from_bytes(&bytes),
            Err(Error::MalformedSignature)
        );
    }

    #[test]
    fn weak_and_invalid_keys_are_refused() {
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            VerifyingKey::from_bytes(&identity),
            Err(Error::WeakVerifyingKey)
        );
        // y = 2 is not the y-coordinate of any point on the curve.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(
            VerifyingKey::from_bytes(&not_a_point),
            Err(Error::InvalidVerifyingKey)
        );
        assert_eq!(
            VerifyingKey::from_slice(&[0; 31]),
            Err(Error::InvalidLength {
                expected: 32,
                found: 31
            })
        );
        assert_eq!(
            Signature::from_slice(&[0; 65]),
            Err(Error::InvalidLength {
                expected: 64,
                found: 65
            })
        );
    }
}
