//! HoneyLink's handshake payloads, one layer above the Noise state machine.
//!
//! Message 1 is empty. Messages 2 and 3 carry a [`HandshakePayload`],
//! postcard-encoded and versioned: protocol version, [`DeviceId`], flags and,
//! in pairing only, the device name. Sessions carry no name.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::identity::{DeviceId, DeviceName};
use crate::noise::{Mode, PROTOCOL_VERSION};
#[cfg(test)]
use crate::pairing::PairingMethod;

/// Flags a device announces in its handshake payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PayloadFlags(u8);

impl PayloadFlags {
    /// The device has no screen or keyboard (an accessory): it confirms a
    /// pairing by a physical action or an auto-accept policy, and cannot show
    /// its user the peer's fingerprint.
    pub const HEADLESS: Self = Self(0b0000_0001);
    const KNOWN: u8 = Self::HEADLESS.0;

    /// No flags.
    #[must_use]
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Decodes flags, refusing bits this version does not define.
    ///
    /// # Errors
    /// [`Error::UnknownFlags`].
    pub const fn from_bits(bits: u8) -> Result<Self, Error> {
        if bits & !Self::KNOWN != 0 {
            return Err(Error::UnknownFlags);
        }
        Ok(Self(bits))
    }

    /// The flag bits.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two flag sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// The payload of handshake messages 2 and 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakePayload {
    /// The sender's stable device id.
    pub device_id: DeviceId,
    /// What the sender announces about itself.
    pub flags: PayloadFlags,
    /// The sender's name: present in pairing, absent in sessions.
    pub name: Option<DeviceName>,
}

/// The postcard form. Field order is the wire order.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    version: u8,
    device_id: [u8; DeviceId::LEN],
    flags: u8,
    name: Option<&'a str>,
}

impl HandshakePayload {
    /// Longest encoding: version, id, flags, option tag, length varint, name.
    pub const MAX_LEN: usize = 1 + DeviceId::LEN + 1 + 1 + 1 + DeviceName::MAX_LEN;

    /// A session payload (no name).
    #[must_use]
    pub const fn session(device_id: DeviceId, flags: PayloadFlags) -> Self {
        Self {
            device_id,
            flags,
            name: None,
        }
    }

    /// A pairing payload (with the device's name).
    #[must_use]
    pub const fn pairing(device_id: DeviceId, flags: PayloadFlags, name: DeviceName) -> Self {
        Self {
            device_id,
            flags,
            name: Some(name),
        }
    }

    /// Encodes into `out`; returns the length (at most [`Self::MAX_LEN`]).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `out` is too short.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let wire = Wire {
            version: PROTOCOL_VERSION,
            device_id: *self.device_id.as_bytes(),
            flags: self.flags.bits(),
            name: self.name.as_ref().map(DeviceName::as_str),
        };
        let needed = postcard::experimental::serialized_size(&wire).unwrap_or(Self::MAX_LEN);
        postcard::to_slice(&wire, out)
            .map(|written| written.len())
            .map_err(|_| Error::BufferTooSmall { needed })
    }

    /// Decodes strictly a payload received in a handshake of `mode`.
    ///
    /// # Errors
    /// [`Error::UnknownVersion`] (checked first, so a later version's layout
    /// is never misread); [`Error::Malformed`]; [`Error::TrailingBytes`];
    /// [`Error::UnknownFlags`]; [`Error::NameMissing`] in pairing or
    /// [`Error::NameUnexpected`] in a session; the name's own errors.
    pub fn decode(bytes: &[u8], mode: Mode) -> Result<Self, Error> {
        match bytes.first() {
            Some(&PROTOCOL_VERSION) => {}
            Some(&found) => return Err(Error::UnknownVersion { found }),
            None => return Err(Error::Malformed),
        }
        let wire: Wire<'_> = super::decode_exact(bytes)?;
        let name = wire.name.map(DeviceName::new).transpose()?;
        match (mode.is_pairing(), name.is_some()) {
            (true, false) => return Err(Error::NameMissing),
            (false, true) => return Err(Error::NameUnexpected),
            _ => {}
        }
        Ok(Self {
            device_id: DeviceId::from_bytes(wire.device_id),
            flags: PayloadFlags::from_bits(wire.flags)?,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    fn id() -> DeviceId {
        DeviceId::from_bytes([0x11; 16])
    }

    #[test]
    fn exact_bytes_and_round_trip() {
        let name = DeviceName::new("Desk").expect("valid");
        let payload = HandshakePayload::pairing(id(), PayloadFlags::HEADLESS, name);
        let mut out = [0u8; HandshakePayload::MAX_LEN];
        let len = payload.encode(&mut out).expect("fits");
        let mut expected = [0u8; 24];
        expected[0] = 1;
        expected[1..17].copy_from_slice(&[0x11; 16]);
        expected[17] = 1; // flags
        expected[18] = 1; // Some
        expected[19] = 4; // length
        expected[20..].copy_from_slice(b"Desk");
        assert_eq!(&out[..len], &expected);
        assert_eq!(
            HandshakePayload::decode(&out[..len], Mode::Pairing(PairingMethod::Qr)),
            Ok(payload)
        );

        let session = HandshakePayload::session(id(), PayloadFlags::empty());
        let len = session.encode(&mut out).expect("fits");
        assert_eq!(len, 19);
        assert_eq!(
            HandshakePayload::decode(&out[..len], Mode::Session),
            Ok(session)
        );
    }

    #[test]
    fn strict_decoding() {
        let name = DeviceName::new("x".repeat(32).as_str()).expect("32 bytes");
        let full = HandshakePayload::pairing(id(), PayloadFlags::empty(), name);
        let mut out = [0u8; 64];
        let len = full.encode(&mut out).expect("fits");
        assert_eq!(len, HandshakePayload::MAX_LEN);
        assert_eq!(
            full.encode(&mut [0u8; HandshakePayload::MAX_LEN - 1]),
            Err(Error::BufferTooSmall {
                needed: HandshakePayload::MAX_LEN
            })
        );
        let bytes = &out[..len];
        assert_eq!(
            HandshakePayload::decode(bytes, Mode::Session),
            Err(Error::NameUnexpected)
        );
        assert_eq!(
            HandshakePayload::decode(&bytes[..len - 1], Mode::Pairing(PairingMethod::Qr)),
            Err(Error::Malformed)
        );
        let mut trailing = [0u8; 65];
        trailing[..len].copy_from_slice(bytes);
        assert_eq!(
            HandshakePayload::decode(&trailing[..len + 1], Mode::Pairing(PairingMethod::Qr)),
            Err(Error::TrailingBytes)
        );
        let mut v2 = out;
        v2[0] = 2;
        assert_eq!(
            HandshakePayload::decode(&v2[..len], Mode::Pairing(PairingMethod::Qr)),
            Err(Error::UnknownVersion { found: 2 })
        );
        let mut flags = out;
        flags[17] = 0x80;
        assert_eq!(
            HandshakePayload::decode(&flags[..len], Mode::Pairing(PairingMethod::Qr)),
            Err(Error::UnknownFlags)
        );
        let session = HandshakePayload::session(id(), PayloadFlags::empty());
        let len = session.encode(&mut out).expect("fits");
        assert_eq!(
            HandshakePayload::decode(&out[..len], Mode::Pairing(PairingMethod::Pin)),
            Err(Error::NameMissing)
        );
        assert_eq!(
            HandshakePayload::decode(&[], Mode::Session),
            Err(Error::Malformed)
        );
        // A name length written as an over-long varint (0x84 0x00 for 4): a
        // second encoding of the same payload, refused.
        let mut long = [0u8; 25];
        long[0] = 1;
        long[18] = 1;
        long[19] = 0x84;
        long[20] = 0x00;
        long[21..].copy_from_slice(b"Desk");
        assert_eq!(
            HandshakePayload::decode(&long, Mode::Pairing(PairingMethod::Qr)),
            Err(Error::Malformed)
        );
        // A name with a control character is refused by the name's own rules.
        let mut evil = [0u8; 24];
        evil[0] = 1;
        evil[18] = 1;
        evil[19] = 4;
        evil[20..].copy_from_slice(b"a\x1bbc");
        assert_eq!(
            HandshakePayload::decode(&evil, Mode::Pairing(PairingMethod::Qr)),
            Err(Error::NameControlCharacter)
        );
    }

    /// `contains` and `union` are the set operations they name, on every
    /// pair of flag bytes (decoded or not).
    #[test]
    fn flags_contain_and_unite_as_sets() {
        for a in 0..=u8::MAX {
            for b in 0..=u8::MAX {
                let (x, y) = (PayloadFlags(a), PayloadFlags(b));
                assert_eq!(x.contains(y), a & b == b, "{a:#04x} {b:#04x}");
                assert_eq!(x.union(y).bits(), a | b, "{a:#04x} {b:#04x}");
            }
        }
        let headless = PayloadFlags::HEADLESS;
        assert!(headless.contains(headless));
        assert!(headless.contains(PayloadFlags::empty()));
        assert!(!PayloadFlags::empty().contains(headless));
        assert_eq!(PayloadFlags::empty().union(headless), headless);
    }
}
