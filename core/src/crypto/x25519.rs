//! X25519 (RFC 7748): secrets, public keys and Diffie-Hellman.
//!
//! Two public-key types carry two different rules:
//! - [`PublicKey`] is any 32 bytes, as RFC 7748 section 5 defines the
//!   function's input (bit 255 is masked, non-canonical values are reduced).
//!   Ephemeral keys read off the wire are of this type.
//! - [`StaticPublicKey`] identifies a device. It refuses non-canonical
//!   encodings (bit 255 set, or `u >= p`) and the points of small order, so a
//!   key has exactly one encoding and one fingerprint, and a blocked or trusted
//!   key cannot come back in another spelling.
//!
//! [`StaticSecret::diffie_hellman`] and [`EphemeralSecret::diffie_hellman`]
//! refuse an all-zero result, which every low-order input produces.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use super::{SecretBytes, fill_random};
use crate::Error;
use crate::wire::{array_from_slice, write_hex};

/// Length of every X25519 key and shared secret.
pub const KEY_LEN: usize = 32;

/// The u-coordinates of the points of small order on Curve25519, in canonical
/// form (the list libsodium and others block): 0, 1, two points of order 8,
/// and p - 1. Their non-canonical spellings are refused as non-canonical.
const LOW_ORDER: [[u8; KEY_LEN]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether `bytes`, read little-endian, is below p = 2^255 - 19 with bit 255
/// clear. Public data, so ordinary comparisons are fine.
fn is_canonical(bytes: &[u8; KEY_LEN]) -> bool {
    let [low, middle @ .., high] = bytes;
    if *high & 0x80 != 0 {
        return false;
    }
    // With bit 255 clear the only values >= p are 0x7fff..ff ed..ff.
    !(*high == 0x7f && middle.iter().all(|b| *b == 0xff) && *low >= 0xed)
}

/// An X25519 public value as the Diffie-Hellman function takes it: any 32
/// bytes (RFC 7748 section 5). Use [`StaticPublicKey`] for a key that names a
/// device.
#[derive(Clone, Copy)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes; every value is a valid input to X25519.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a key from a slice of exactly [`KEY_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        array_from_slice(bytes).map(Self)
    }

    /// The 32 bytes as given.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// An X25519 public key that identifies a device: canonical and not of small
/// order. Built only through checks, so holding one proves both.
#[derive(Clone, Copy)]
pub struct StaticPublicKey([u8; KEY_LEN]);

impl StaticPublicKey {
    /// Checks and wraps a device's static public key.
    ///
    /// # Errors
    /// [`Error::NonCanonicalKey`] if bit 255 is set or `u >= 2^255 - 19`;
    /// [`Error::LowOrderKey`] if the point has small order.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self, Error> {
        if !is_canonical(bytes) {
            return Err(Error::NonCanonicalKey);
        }
        if LOW_ORDER.iter().any(|low| low == bytes) {
            return Err(Error::LowOrderKey);
        }
        Ok(Self(*bytes))
    }

    /// [`StaticPublicKey::from_bytes`] over a slice of exactly [`KEY_LEN`]
    /// bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`], or the errors of `from_bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes(&array_from_slice(bytes)?)
    }

    /// The canonical form of any 32-byte spelling of a key: bit 255 cleared
    /// and `u` reduced modulo p, exactly as X25519 reads its input. Two
    /// spellings of one key give the same result, so a trust store compares
    /// keys in this form. Still refuses keys of small order.
    ///
    /// # Errors
    /// [`Error::LowOrderKey`] if the point has small order.
    pub fn canonicalize(bytes: &[u8; KEY_LEN]) -> Result<Self, Error> {
        let mut reduced = *bytes;
        if let Some(high) = reduced.last_mut() {
            *high &= 0x7f;
        }
        if !is_canonical(&reduced) {
            // u is in [p, 2^255): u - p = u + 19 - 2^255, which lies in 0..19
            // and fits in the low byte once bit 255 is dropped.
            let low = reduced.first().copied().unwrap_or(0);
            reduced = [0; KEY_LEN];
            if let Some(first) = reduced.first_mut() {
                *first = low.wrapping_add(19);
            }
        }
        Self::from_bytes(&reduced)
    }

    /// The 32 canonical bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The same key as a Diffie-Hellman input.
    #[must_use]
    pub const fn as_dh_input(&self) -> PublicKey {
        PublicKey(self.0)
    }
}

impl serde::Serialize for StaticPublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for StaticPublicKey {
    /// Decodes 32 bytes and applies every rule of
    /// [`StaticPublicKey::from_bytes`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = <[u8; KEY_LEN]>::deserialize(deserializer)?;
        Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

impl PartialEq for StaticPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for StaticPublicKey {}

impl fmt::Debug for StaticPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticPublicKey(")?;
        write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// A Diffie-Hellman result: secret, never all zeros. Zeroized on drop (by
/// `x25519-dalek`), redacted in `Debug`, not `Clone`.
pub struct SharedSecret(x25519_dalek::SharedSecret);

impl SharedSecret {
    /// The 32 shared bytes.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret([redacted])")
    }
}

/// Performs X25519 and refuses an all-zero result (checked in constant time).
fn diffie_hellman(
    secret: &x25519_dalek::StaticSecret,
    public: &PublicKey,
) -> Result<SharedSecret, Error> {
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(public.0));
    if !shared.was_contributory() {
        return Err(Error::ZeroSharedSecret);
    }
    Ok(SharedSecret(shared))
}

/// Builds the dalek secret from our container; the container is wiped when
/// dropped, the dalek secret when it is.
fn dalek_secret(bytes: &SecretBytes<KEY_LEN>) -> x25519_dalek::StaticSecret {
    x25519_dalek::StaticSecret::from(*bytes.expose_secret())
}

/// A device's long-term X25519 secret with its public key, computed once.
///
/// Zeroized on drop, redacted in `Debug`, not `Clone`. Exportable (for the
/// host's keychain) through [`StaticSecret::to_bytes`].
pub struct StaticSecret {
    secret: x25519_dalek::StaticSecret,
    public: StaticPublicKey,
}

impl StaticSecret {
    /// Draws a fresh secret from the injected RNG.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut secret = SecretBytes::zero();
        fill_random(rng, secret.expose_secret_mut())?;
        Ok(Self::from_bytes(secret))
    }

    /// Rebuilds a secret from its stored bytes (any 32 bytes are a valid
    /// X25519 scalar; clamping happens inside the function).
    #[must_use]
    pub fn from_bytes(bytes: SecretBytes<KEY_LEN>) -> Self {
        let secret = dalek_secret(&bytes);
        // The public key of a clamped scalar is a canonical u of large order.
        let public = StaticPublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes());
        Self { secret, public }
    }

    /// The secret's 32 bytes, for storage by the host.
    #[must_use]
    pub fn to_bytes(&self) -> SecretBytes<KEY_LEN> {
        SecretBytes::new(self.secret.to_bytes())
    }

    /// The public key, computed when the secret was made.
    #[must_use]
    pub const fn public_key(&self) -> &StaticPublicKey {
        &self.public
    }

    /// X25519 with the peer's public value.
    ///
    /// # Errors
    /// [`Error::ZeroSharedSecret`] if the result is all zeros.
    pub fn diffie_hellman(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        diffie_hellman(&self.secret, peer)
    }
}

impl fmt::Debug for StaticSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticSecret")
            .field("secret", &"[redacted]")
            .field("public", &self.public)
            .finish()
    }
}

/// A per-handshake X25519 secret with its public key, computed once. Cannot be
/// exported; made only from the injected RNG.
///
/// Zeroized on drop, redacted in `Debug`, not `Clone`.
pub struct EphemeralSecret {
    secret: x25519_dalek::StaticSecret,
    public: PublicKey,
}

impl EphemeralSecret {
    /// Draws a fresh ephemeral secret from the injected RNG. Tests that need a
    /// given ephemeral key (published vectors) pass an RNG that yields its
    /// bytes.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut bytes = SecretBytes::zero();
        fill_random(rng, bytes.expose_secret_mut())?;
        let secret = dalek_secret(&bytes);
        let public = PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes());
        Ok(Self { secret, public })
    }

    /// The public key, computed when the secret was made.
    #[must_use]
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// X25519 with the peer's public value.
    ///
    /// # Errors
    /// [`Error::ZeroSharedSecret`] if the result is all zeros.
    pub fn diffie_hellman(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        diffie_hellman(&self.secret, peer)
    }
}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralSecret")
            .field("secret", &"[redacted]")
            .field("public", &self.public)
            .finish()
    }
}

/// The raw X25519 function of RFC 7748 section 5 (bit 255 of `u` masked),
/// for published test vectors. Refuses an all-zero result like every other
/// Diffie-Hellman in the crate.
///
/// # Errors
/// [`Error::ZeroSharedSecret`] if the result is all zeros.
pub fn x25519(scalar: &SecretBytes<KEY_LEN>, u: &PublicKey) -> Result<SharedSecret, Error> {
    diffie_hellman(&dalek_secret(scalar), u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_boundaries() {
        let mut p_minus_20 = [0xff; 32];
        p_minus_20[0] = 0xeb;
        p_minus_20[31] = 0x7f;
        assert!(StaticPublicKey::from_bytes(&p_minus_20).is_ok());
        let mut p = p_minus_20;
        p[0] = 0xed;
        assert_eq!(StaticPublicKey::from_bytes(&p), Err(Error::NonCanonicalKey));
        let mut high_bit = [9u8; 32];
        high_bit[31] |= 0x80;
        assert_eq!(
            StaticPublicKey::from_bytes(&high_bit),
            Err(Error::NonCanonicalKey)
        );
        assert_eq!(
            StaticPublicKey::canonicalize(&high_bit).map(|k| *k.as_bytes()),
            Ok([9u8; 32])
        );
        // p + 9 reduces to 9.
        let mut p_plus_9 = p;
        p_plus_9[0] = 0xf6;
        let mut nine = [0u8; 32];
        nine[0] = 9;
        assert_eq!(
            StaticPublicKey::canonicalize(&p_plus_9).map(|k| *k.as_bytes()),
            Ok(nine)
        );
        // p reduces to 0, which has small order.
        assert_eq!(StaticPublicKey::canonicalize(&p), Err(Error::LowOrderKey));
    }

    /// Every entry of the low-order list really makes X25519 return zero, and
    /// every one is refused as a device key and by Diffie-Hellman.
    #[test]
    fn low_order_points_are_refused() {
        let secret = StaticSecret::from_bytes(SecretBytes::new([0x42; 32]));
        for low in LOW_ORDER {
            assert_eq!(StaticPublicKey::from_bytes(&low), Err(Error::LowOrderKey));
            assert_eq!(
                secret.diffie_hellman(&PublicKey::from_bytes(low)).err(),
                Some(Error::ZeroSharedSecret)
            );
        }
    }

    #[test]
    fn generated_public_key_is_canonical() {
        let secret = StaticSecret::from_bytes(SecretBytes::new([0xa5; 32]));
        let public = secret.public_key();
        assert!(StaticPublicKey::from_bytes(public.as_bytes()).is_ok());
    }
}
