use core::fmt;

use rand_core::TryCryptoRng;

use super::{DeviceId, Fingerprint};
use crate::Error;
use crate::crypto::SecretBytes;
use crate::crypto::ed25519::{self, Signature, SigningKey, VerifyingKey};
use crate::crypto::hash::{HASH_LEN, sha512};
use crate::crypto::x25519::{self, StaticPublicKey, StaticSecret};

/// A device's long-term identity: its [`DeviceId`], its X25519 static key pair
/// (Noise handshakes, fingerprints) and its Ed25519 signing key pair (audit
/// records).
///
/// Zeroized on drop (each secret part is), redacted in `Debug`, not `Clone`.
/// Public keys are computed once, when the identity is made or loaded.
pub struct DeviceIdentity {
    id: DeviceId,
    x25519: StaticSecret,
    signing: SigningKey,
}

impl DeviceIdentity {
    /// Draws a new identity (id, X25519 secret, Ed25519 seed, in that order)
    /// from the injected RNG.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        Ok(Self {
            id: DeviceId::generate(rng)?,
            x25519: StaticSecret::generate(rng)?,
            signing: SigningKey::generate(rng)?,
        })
    }

    /// Rebuilds an identity from stored secrets.
    #[must_use]
    pub fn from_secrets(secrets: &IdentitySecrets) -> Self {
        Self {
            id: secrets.device_id,
            x25519: StaticSecret::from_bytes(SecretBytes::new(*secrets.x25519.expose_secret())),
            signing: SigningKey::from_seed(&secrets.ed25519_seed),
        }
    }

    /// The secret parts, for the host's keychain or a firmware's flash.
    #[must_use]
    pub fn export_secrets(&self) -> IdentitySecrets {
        IdentitySecrets {
            device_id: self.id,
            x25519: self.x25519.to_bytes(),
            ed25519_seed: self.signing.to_seed(),
        }
    }

    /// The device's stable id.
    #[must_use]
    pub const fn device_id(&self) -> DeviceId {
        self.id
    }

    /// The X25519 static public key peers pin.
    #[must_use]
    pub const fn static_public_key(&self) -> &StaticPublicKey {
        self.x25519.public_key()
    }

    /// The X25519 static secret, for the Noise handshake.
    #[must_use]
    pub const fn static_secret(&self) -> &StaticSecret {
        &self.x25519
    }

    /// The fingerprint of the static public key, as peers show it.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.x25519.public_key())
    }

    /// The Ed25519 public key that verifies this device's audit records.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The Ed25519 signing key, for the audit writer.
    #[must_use]
    pub const fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// Signs `message` for `context` with the device's Ed25519 key.
    ///
    /// What is signed is [`SigningContext`]'s framing of `message` (a fixed
    /// label, the context, and the SHA-512 of `message`), never `message`
    /// itself: a signature made here verifies only through
    /// [`SigningContext::verify`] with the same context and message. It
    /// never verifies as an audit record's signature, a rotation proof, or a
    /// signature for another context, whatever `message` is: audit records
    /// are signed only by [`crate::audit::AuditWriter`].
    #[must_use]
    pub fn sign(&self, context: &SigningContext, message: &[u8]) -> Signature {
        let (framed, len) = context.frame(message);
        self.signing.sign(framed.get(..len).unwrap_or(&framed))
    }
}

/// The purpose a [`DeviceIdentity::sign`] signature is made for: a label of
/// 1 to [`SigningContext::MAX_LEN`] bytes that the signer and the verifier
/// agree on (for example `"myapp config export v1"`).
///
/// The signed message is [`SigningContext::PREFIX`], the label's length
/// (one byte), the label, and SHA-512 of the message (so a message of any
/// length is signed without an allocation). The prefix differs from the
/// first bytes of every audit record body (`HLaudit\0`) and of every
/// rotation statement (`HoneyLink audit key rotation v1\0`), so no message
/// signed here is one the audit chain signs, and the length byte makes the
/// framing injective, so one context's signature never serves another's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigningContext {
    label: [u8; SigningContext::MAX_LEN],
    len: u8,
}

impl SigningContext {
    /// Longest label in bytes.
    pub const MAX_LEN: usize = 64;
    /// The first bytes of every message [`DeviceIdentity::sign`] signs.
    pub const PREFIX: &[u8; 30] = b"HoneyLink v1 device signature\0";
    const FRAMED_MAX: usize = Self::PREFIX.len() + 1 + Self::MAX_LEN + HASH_LEN;

    /// A context named by `label`.
    ///
    /// # Errors
    /// [`Error::InvalidSigningContext`] for an empty label or one longer than
    /// [`SigningContext::MAX_LEN`] bytes.
    pub const fn new(label: &str) -> Result<Self, Error> {
        let bytes = label.as_bytes();
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(Error::InvalidSigningContext);
        }
        let mut stored = [0u8; Self::MAX_LEN];
        let (head, _) = stored.split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        #[expect(
            clippy::cast_possible_truncation,
            reason = "at most MAX_LEN (64) bytes, checked above"
        )]
        let len = bytes.len() as u8;
        Ok(Self { label: stored, len })
    }

    /// The label.
    #[must_use]
    pub fn label(&self) -> &[u8] {
        self.label
            .get(..usize::from(self.len))
            .unwrap_or(&self.label)
    }

    /// The bytes actually signed for `message`, and their length.
    fn frame(&self, message: &[u8]) -> ([u8; Self::FRAMED_MAX], usize) {
        let label = self.label();
        let digest = sha512(&[message]);
        let mut out = [0u8; Self::FRAMED_MAX];
        let parts: [&[u8]; 4] = [Self::PREFIX, &[self.len], label, &digest];
        let mut written = 0;
        for part in parts {
            if let Some(slot) = out.get_mut(written..written + part.len()) {
                slot.copy_from_slice(part);
            }
            written += part.len();
        }
        (out, written)
    }

    /// Verifies a [`DeviceIdentity::sign`] signature over `message` for this
    /// context under `key` (strictly, as [`VerifyingKey::verify`]).
    ///
    /// # Errors
    /// [`Error::SignatureInvalid`] if it was made for another context or
    /// message, by another key, or is not a signature.
    pub fn verify(
        &self,
        key: &VerifyingKey,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), Error> {
        let (framed, len) = self.frame(message);
        key.verify(framed.get(..len).unwrap_or(&framed), signature)
    }
}

impl fmt::Debug for SigningContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SigningContext")
            .field(&core::str::from_utf8(self.label()).unwrap_or("?"))
            .finish()
    }
}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("id", &self.id)
            .field("fingerprint", &self.fingerprint())
            .field("secrets", &"[redacted]")
            .finish()
    }
}

/// The secret parts of a [`DeviceIdentity`], in transit to or from storage.
///
/// Zeroized on drop, redacted in `Debug`, not `Clone`. Its byte form
/// ([`IdentitySecrets::to_bytes`]) is a version byte, the id, the X25519
/// secret and the Ed25519 seed: [`IdentitySecrets::ENCODED_LEN`] bytes.
pub struct IdentitySecrets {
    device_id: DeviceId,
    x25519: SecretBytes<{ x25519::KEY_LEN }>,
    ed25519_seed: SecretBytes<{ ed25519::KEY_LEN }>,
}

impl IdentitySecrets {
    /// Version byte of the current encoding.
    pub const VERSION: u8 = 1;
    /// Length of the byte form.
    pub const ENCODED_LEN: usize = 1 + DeviceId::LEN + x25519::KEY_LEN + ed25519::KEY_LEN;

    /// Assembles secrets from their parts (for example two PKCS#8 files and a
    /// stored id).
    #[must_use]
    pub const fn new(
        device_id: DeviceId,
        x25519: SecretBytes<{ x25519::KEY_LEN }>,
        ed25519_seed: SecretBytes<{ ed25519::KEY_LEN }>,
    ) -> Self {
        Self {
            device_id,
            x25519,
            ed25519_seed,
        }
    }

    /// The device id (not secret).
    #[must_use]
    pub const fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The X25519 static secret.
    #[must_use]
    pub const fn x25519_secret(&self) -> &SecretBytes<{ x25519::KEY_LEN }> {
        &self.x25519
    }

    /// The Ed25519 seed (RFC 8032 private key).
    #[must_use]
    pub const fn ed25519_seed(&self) -> &SecretBytes<{ ed25519::KEY_LEN }> {
        &self.ed25519_seed
    }

    /// The versioned byte form.
    #[must_use]
    pub fn to_bytes(&self) -> SecretBytes<{ Self::ENCODED_LEN }> {
        let mut out = SecretBytes::<{ Self::ENCODED_LEN }>::zero();
        let parts: [&[u8]; 4] = [
            &[Self::VERSION],
            self.device_id.as_bytes(),
            self.x25519.expose_secret(),
            self.ed25519_seed.expose_secret(),
        ];
        let mut rest: &mut [u8] = out.expose_secret_mut();
        for part in parts {
            let (head, tail) = rest.split_at_mut(part.len());
            head.copy_from_slice(part);
            rest = tail;
        }
        out
    }

    /// Decodes the byte form strictly.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] unless exactly
    /// [`IdentitySecrets::ENCODED_LEN`] bytes; [`Error::UnknownVersion`] for
    /// any version but [`IdentitySecrets::VERSION`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != Self::ENCODED_LEN {
            return Err(Error::InvalidLength {
                expected: Self::ENCODED_LEN,
                found: bytes.len(),
            });
        }
        let (version, rest) = bytes.split_first().ok_or(Error::InvalidLength {
            expected: Self::ENCODED_LEN,
            found: 0,
        })?;
        if *version != Self::VERSION {
            return Err(Error::UnknownVersion { found: *version });
        }
        let bytes: &[u8; Self::ENCODED_LEN - 1] =
            rest.try_into().map_err(|_| Error::InvalidLength {
                expected: Self::ENCODED_LEN,
                found: bytes.len(),
            })?;
        let (id, keys) = bytes
            .split_first_chunk::<{ DeviceId::LEN }>()
            .ok_or(Error::Malformed)?;
        let (x, seed) = keys
            .split_first_chunk::<{ x25519::KEY_LEN }>()
            .ok_or(Error::Malformed)?;
        let seed: &[u8; ed25519::KEY_LEN] = seed.try_into().map_err(|_| Error::Malformed)?;
        let secrets = Self::new(
            DeviceId::from_bytes(*id),
            SecretBytes::new(*x),
            SecretBytes::new(*seed),
        );
        Ok(secrets)
    }
}

impl fmt::Debug for IdentitySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentitySecrets")
            .field("device_id", &self.device_id)
            .field("keys", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    /// The framed message covers the message's digest for every label
    /// length up to the longest: a signature made for one message never
    /// verifies for another, nor under another label of the same length.
    #[test]
    fn every_label_length_binds_the_message() {
        let identity = DeviceIdentity::from_secrets(&IdentitySecrets::new(
            DeviceId::from_bytes([3; 16]),
            SecretBytes::new([4; 32]),
            SecretBytes::new([5; 32]),
        ));
        let key = identity.verifying_key();
        for len in [1, 2, SigningContext::MAX_LEN - 1, SigningContext::MAX_LEN] {
            let label = "x".repeat(len);
            let other = "y".repeat(len);
            let context = SigningContext::new(&label).expect("valid label");
            let signature = identity.sign(&context, b"message a");
            assert_eq!(context.verify(&key, b"message a", &signature), Ok(()));
            assert_eq!(
                context.verify(&key, b"message b", &signature),
                Err(Error::SignatureInvalid),
                "label of {len} bytes"
            );
            assert_eq!(
                SigningContext::new(&other).expect("valid label").verify(
                    &key,
                    b"message a",
                    &signature
                ),
                Err(Error::SignatureInvalid),
                "label of {len} bytes"
            );
        }
    }
}
