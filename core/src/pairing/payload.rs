//! The pairing payload (spec 4.1): what a QR code or an NFC record carries.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rand_core::TryCryptoRng;
use serde::{Deserialize, Serialize};

use super::PairingMethod;
use crate::Error;
use crate::crypto::hash::{HASH_LEN, Prk, sha512};
use crate::crypto::x25519::StaticPublicKey;
use crate::crypto::{SecretBytes, fill_random};
use crate::identity::{DeviceId, DeviceName};
use crate::noise::Psk;
use crate::wire::base32;

/// Version byte of the binary payload.
pub const PAYLOAD_VERSION: u8 = 1;
/// Longest a pairing code may live: 300 seconds after creation (spec 4.1).
pub const MAX_VALIDITY_SECS: u64 = 300;
/// The text form's prefix (QR alphanumeric mode: upper case, digits, `:`).
pub const TEXT_PREFIX: &str = "HL1:";
/// Bytes of checksum appended to the binary payload in the text form.
const CHECKSUM_LEN: usize = 4;
/// Longest binary payload: version, id, name (length and 32 bytes), key,
/// expiry (10-byte varint), clock flag, secret, and the longest hint.
pub const MAX_BINARY_LEN: usize = 1 + 16 + 1 + 32 + 32 + 10 + 1 + 32 + 1 + 1 + 16 + 3;
/// Longest text form.
pub const MAX_TEXT_LEN: usize =
    TEXT_PREFIX.len() + base32::encoded_len(MAX_BINARY_LEN + CHECKSUM_LEN);

/// Whose clock an expiry time is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryClock {
    /// Wall-clock seconds (Unix time): the scanner can sanity-check it.
    WallClock,
    /// The creator's own clock (for example seconds since boot): only the
    /// creator can judge it.
    CreatorClock,
}

/// Where to reach the creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportHint {
    /// An IP socket address (TCP or UDP).
    Socket(SocketAddr),
    /// A Bluetooth LE device address.
    Ble([u8; 6]),
}

#[derive(Clone, Copy, Serialize, Deserialize)]
enum HintWire {
    V4([u8; 4], u16),
    V6([u8; 16], u16),
    Ble([u8; 6]),
}

impl From<TransportHint> for HintWire {
    fn from(hint: TransportHint) -> Self {
        match hint {
            TransportHint::Socket(SocketAddr::V4(a)) => Self::V4(a.ip().octets(), a.port()),
            TransportHint::Socket(SocketAddr::V6(a)) => Self::V6(a.ip().octets(), a.port()),
            TransportHint::Ble(addr) => Self::Ble(addr),
        }
    }
}

impl From<HintWire> for TransportHint {
    fn from(hint: HintWire) -> Self {
        match hint {
            HintWire::V4(ip, port) => {
                Self::Socket(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
            }
            HintWire::V6(ip, port) => {
                Self::Socket(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
            }
            HintWire::Ble(addr) => Self::Ble(addr),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    version: u8,
    device_id: DeviceId,
    name: &'a str,
    static_key: [u8; 32],
    expires_at: u64,
    clock: ExpiryClock,
    secret: [u8; 32],
    hint: Option<HintWire>,
}

/// The wire form holds a copy of the one-time secret: wipe it when done.
impl Drop for Wire<'_> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// A pairing payload: who the creator is, the key it will prove, until when,
/// and a 32-byte one-time secret. It carries a secret, so it is zeroized on
/// drop, redacted in `Debug` and not `Clone`; it is made fresh for every
/// pairing ([`PairingPayload::generate`]) and decoded only from a scanned
/// code or a read tag.
pub struct PairingPayload {
    /// The creator's id.
    pub device_id: DeviceId,
    /// The creator's name.
    pub name: DeviceName,
    /// The creator's static key: the scanner refuses any other.
    pub static_key: StaticPublicKey,
    /// When the code stops being valid.
    pub expires_at: u64,
    /// Whose clock `expires_at` is on.
    pub clock: ExpiryClock,
    /// Where to reach the creator, if known.
    pub hint: Option<TransportHint>,
    secret: SecretBytes<32>,
}

impl PairingPayload {
    /// A fresh payload with a new one-time secret from `rng`, valid for
    /// `validity_secs` (at most [`MAX_VALIDITY_SECS`]) from `now`.
    ///
    /// # Errors
    /// [`Error::ValidityTooLong`]; [`Error::Rng`].
    #[allow(clippy::too_many_arguments)]
    pub fn generate<R: TryCryptoRng + ?Sized>(
        device_id: DeviceId,
        name: DeviceName,
        static_key: StaticPublicKey,
        now: u64,
        validity_secs: u64,
        clock: ExpiryClock,
        hint: Option<TransportHint>,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if validity_secs > MAX_VALIDITY_SECS {
            return Err(Error::ValidityTooLong);
        }
        let mut secret = SecretBytes::zero();
        fill_random(rng, secret.expose_secret_mut())?;
        Ok(Self {
            device_id,
            name,
            static_key,
            expires_at: now.saturating_add(validity_secs),
            clock,
            hint,
            secret,
        })
    }

    /// Wipes the one-time secret once the payload is used up or expired.
    pub(crate) fn wipe_secret(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }

    fn wire(&self) -> Wire<'_> {
        Wire {
            version: PAYLOAD_VERSION,
            device_id: self.device_id,
            name: self.name.as_str(),
            static_key: *self.static_key.as_bytes(),
            expires_at: self.expires_at,
            clock: self.clock,
            secret: *self.secret.expose_secret(),
            hint: self.hint.map(HintWire::from),
        }
    }

    /// The binary form (postcard), for NFC; returns its length (at most
    /// [`MAX_BINARY_LEN`]).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode_binary(&self, out: &mut [u8]) -> Result<usize, Error> {
        let wire = self.wire();
        let needed = postcard::experimental::serialized_size(&wire).unwrap_or(MAX_BINARY_LEN);
        let len = postcard::to_slice(&wire, out)
            .map(|written| written.len())
            .map_err(|_| Error::BufferTooSmall { needed });
        drop(wire); // wipes the wire copy of the secret
        len
    }

    /// Decodes the binary form strictly.
    ///
    /// # Errors
    /// [`Error::InputTooLong`] beyond [`MAX_BINARY_LEN`];
    /// [`Error::UnknownVersion`] (before any other field is read);
    /// [`Error::Malformed`]; [`Error::TrailingBytes`]; the key's and the
    /// name's own errors.
    pub fn decode_binary(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BINARY_LEN {
            return Err(Error::InputTooLong {
                max: MAX_BINARY_LEN,
            });
        }
        match bytes.first() {
            Some(&PAYLOAD_VERSION) => {}
            Some(&found) => return Err(Error::UnknownVersion { found }),
            None => return Err(Error::Malformed),
        }
        let wire: Wire<'_> = crate::wire::decode_exact(bytes)?;
        Ok(Self {
            device_id: wire.device_id,
            name: DeviceName::new(wire.name)?,
            static_key: StaticPublicKey::from_bytes(&wire.static_key)?,
            expires_at: wire.expires_at,
            clock: wire.clock,
            hint: wire.hint.as_ref().map(|h| TransportHint::from(*h)),
            secret: SecretBytes::new(wire.secret),
        })
    }

    /// The text form for a QR code: `HL1:` then RFC 4648 base32 (upper case,
    /// no padding) of the binary form and a 4-byte checksum. Returns its
    /// length (at most [`MAX_TEXT_LEN`]).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode_text(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut binary = SecretBytes::<{ MAX_BINARY_LEN + CHECKSUM_LEN }>::zero();
        let len = self.encode_binary(binary.expose_secret_mut())?;
        let checksum = checksum(binary.expose_secret().get(..len).unwrap_or(&[]));
        let with_sum = len + CHECKSUM_LEN;
        if let Some(slot) = binary.expose_secret_mut().get_mut(len..with_sum) {
            slot.copy_from_slice(&checksum);
        }
        let needed = TEXT_PREFIX.len() + base32::encoded_len(with_sum);
        let out = out
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let (prefix, rest) = out.split_at_mut(TEXT_PREFIX.len());
        prefix.copy_from_slice(TEXT_PREFIX.as_bytes());
        base32::encode(binary.expose_secret().get(..with_sum).unwrap_or(&[]), rest)?;
        Ok(needed)
    }

    /// Decodes scanned text strictly.
    ///
    /// # Errors
    /// [`Error::MissingPrefix`] without `HL1:`; [`Error::InputTooLong`];
    /// base32 errors ([`Error::InvalidCharacter`] with the position in the
    /// whole text, [`Error::InvalidTextLength`], [`Error::NonCanonicalBase32`]);
    /// [`Error::ChecksumMismatch`] for a damaged or mistyped code; then the
    /// errors of [`PairingPayload::decode_binary`].
    pub fn decode_text(text: &str) -> Result<Self, Error> {
        let body = text.strip_prefix(TEXT_PREFIX).ok_or(Error::MissingPrefix)?;
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::InputTooLong { max: MAX_TEXT_LEN });
        }
        let mut binary = SecretBytes::<{ MAX_BINARY_LEN + CHECKSUM_LEN }>::zero();
        let len =
            base32::decode(body.as_bytes(), binary.expose_secret_mut()).map_err(|e| match e {
                Error::InvalidCharacter { position } => Error::InvalidCharacter {
                    position: position + TEXT_PREFIX.len(),
                },
                other => other,
            })?;
        let payload_len = len
            .checked_sub(CHECKSUM_LEN)
            .ok_or(Error::ChecksumMismatch)?;
        let bytes = binary.expose_secret().get(..len).unwrap_or(&[]);
        let (payload, sum) = bytes.split_at(payload_len);
        // The checksum is a hash over the secret-carrying bytes: compared in
        // constant time like everything derived from a secret.
        if !crate::crypto::ct::ct_eq(&checksum(payload), sum) {
            return Err(Error::ChecksumMismatch);
        }
        Self::decode_binary(payload)
    }

    /// SHA-512 over a domain label and every field of the payload: the
    /// prologue's binding and the PSK's salt, so every field (id, name, key,
    /// expiry, clock, hint, secret) is bound to the handshake.
    ///
    /// The layout is fixed and injective, and nothing in it can fail: the
    /// label `HoneyLink v1 pairing payload binding`, the version byte, the
    /// 16-byte id, the name's length (one byte) and its bytes, the 32-byte
    /// key, the expiry as 8 big-endian bytes, the clock (0 wall clock, 1
    /// creator's clock), the hint (0 none; 1, 4 address bytes and the port
    /// as 2 big-endian bytes; 2, 16 address bytes and the port; 3 and 6 BLE
    /// address bytes), then the 32-byte secret. It is not computed through
    /// an encoder with an error path, so no error can drop the secret from
    /// it.
    ///
    /// It covers the one-time secret on purpose: the prologue enters the
    /// handshake hash, which authenticates message 1's payload, so a
    /// responder refuses a message 1 from anyone who has not seen the code
    /// before it reveals anything, its static key included. Removing the
    /// secret from this hash would let anyone in range learn that key.
    #[must_use]
    pub fn binding(&self) -> [u8; HASH_LEN] {
        let clock: u8 = match self.clock {
            ExpiryClock::WallClock => 0,
            ExpiryClock::CreatorClock => 1,
        };
        let (v4, v6, ble, port);
        let hint: [&[u8]; 3] = match self.hint.map(HintWire::from) {
            None => [&[0], &[], &[]],
            Some(HintWire::V4(ip, p)) => {
                (v4, port) = (ip, p.to_be_bytes());
                [&[1], &v4, &port]
            }
            Some(HintWire::V6(ip, p)) => {
                (v6, port) = (ip, p.to_be_bytes());
                [&[2], &v6, &port]
            }
            Some(HintWire::Ble(addr)) => {
                ble = addr;
                [&[3], &ble, &[]]
            }
        };
        let [hint_tag, hint_address, hint_port] = hint;
        sha512(&[
            b"HoneyLink v1 pairing payload binding",
            &[PAYLOAD_VERSION],
            self.device_id.as_bytes(),
            &[self.name.len_byte()],
            self.name.as_str().as_bytes(),
            self.static_key.as_bytes(),
            &self.expires_at.to_be_bytes(),
            &[clock],
            hint_tag,
            hint_address,
            hint_port,
            self.secret.expose_secret(),
        ])
    }

    /// The XXpsk2 PSK: HKDF-SHA512 with the payload's binding as salt, the
    /// one-time secret as input, and a label naming the method.
    #[must_use]
    pub fn psk(&self, method: PairingMethod) -> Psk {
        let prk = Prk::extract(&self.binding(), self.secret.expose_secret());
        let label: &[u8] = match method {
            PairingMethod::Qr => b"HoneyLink v1 QR pairing PSK",
            PairingMethod::Nfc => b"HoneyLink v1 NFC pairing PSK",
            PairingMethod::Pin => b"HoneyLink v1 PIN pairing PSK",
        };
        let mut psk = Psk::zero();
        // 32 bytes are far below HKDF's limit.
        let _ = prk.expand(&[label], psk.expose_secret_mut());
        psk
    }
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = sha512(&[b"HoneyLink v1 pairing text checksum", bytes]);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(digest.get(..CHECKSUM_LEN).unwrap_or(&[0; CHECKSUM_LEN]));
    out
}

impl fmt::Debug for PairingPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingPayload")
            .field("device_id", &self.device_id)
            .field("name", &self.name)
            .field("static_key", &self.static_key)
            .field("expires_at", &self.expires_at)
            .field("clock", &self.clock)
            .field("hint", &self.hint)
            .field("secret", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRng;

    fn payload(hint: Option<TransportHint>) -> PairingPayload {
        PairingPayload::generate(
            DeviceId::from_bytes([0x11; 16]),
            DeviceName::new("Kitchen").unwrap(),
            StaticPublicKey::from_bytes(&[9; 32]).unwrap(),
            1000,
            MAX_VALIDITY_SECS,
            ExpiryClock::CreatorClock,
            hint,
            &mut SeededRng::new([3; 32]),
        )
        .unwrap()
    }

    /// The binding is SHA-512 over a fixed, injective layout of every field,
    /// computed without any encoding step that could fail, so no error path
    /// can leave the secret (or any field) out of it.
    #[test]
    fn binding_hashes_every_field_in_the_documented_layout() {
        let hints = [
            (None, [0u8].to_vec()),
            (
                Some(TransportHint::Socket("192.0.2.7:4433".parse().unwrap())),
                [&[1u8][..], &[192, 0, 2, 7], &4433u16.to_be_bytes()].concat(),
            ),
            (
                Some(TransportHint::Socket("[2001:db8::1]:80".parse().unwrap())),
                [
                    &[2u8][..],
                    &"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets(),
                    &80u16.to_be_bytes(),
                ]
                .concat(),
            ),
            (
                Some(TransportHint::Ble([1, 2, 3, 4, 5, 6])),
                [&[3u8][..], &[1, 2, 3, 4, 5, 6]].concat(),
            ),
        ];
        for (hint, hint_bytes) in hints {
            let p = payload(hint);
            let expected = sha512(&[
                b"HoneyLink v1 pairing payload binding",
                &[PAYLOAD_VERSION],
                &[0x11; 16],
                &[7],
                b"Kitchen",
                p.static_key.as_bytes(),
                &1300u64.to_be_bytes(),
                &[1],
                &hint_bytes,
                p.secret.expose_secret(),
            ]);
            assert_eq!(p.binding(), expected, "{hint:?}");
        }
        // Every field moves it, the secret included.
        let base = payload(None).binding();
        let mut p = payload(None);
        p.wipe_secret();
        assert_ne!(p.binding(), base);
        let mut p = payload(None);
        p.expires_at += 1;
        assert_ne!(p.binding(), base);
        let mut p = payload(None);
        p.clock = ExpiryClock::WallClock;
        assert_ne!(p.binding(), base);
        let mut p = payload(None);
        p.name = DeviceName::new("Kitchen2").unwrap();
        assert_ne!(p.binding(), base);
        let mut p = payload(None);
        p.device_id = DeviceId::from_bytes([0x12; 16]);
        assert_ne!(p.binding(), base);
    }

    /// The wire form's copy of the one-time secret is wiped when it drops.
    #[cfg(not(miri))]
    #[test]
    fn dropping_the_wire_form_wipes_its_secret() {
        let payload = payload(None);
        let secret = *payload.secret.expose_secret();
        let block = crate::freed_on_drop(payload.wire());
        assert!(!block.contains(&secret), "the secret survived");
        assert_eq!(block.bytes().len(), size_of::<Wire<'_>>());
    }
}
