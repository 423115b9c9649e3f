//! HoneyLink's Noise prologue: defined once, so host and firmware hash
//! identical bytes.

use serde::{Deserialize, Serialize};

use crate::crypto::hash::HASH_LEN;

/// The protocol version byte in every prologue and handshake payload.
pub const PROTOCOL_VERSION: u8 = 1;

/// How two devices paired (also re-exported as
/// `crate::pairing::PairingMethod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PairingMethod {
    /// A scanned QR code (spec 4.1).
    Qr,
    /// A 6-digit PIN (spec 4.2).
    Pin,
    /// An NFC tap (spec 4.3).
    Nfc,
}

/// What a handshake is for; it sets the prologue's mode byte and the Noise
/// pattern (XX for sessions, XXpsk2 for pairing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A session between devices that already trust each other (XX).
    Session,
    /// A pairing (XXpsk2), by the given method.
    Pairing(PairingMethod),
}

impl Mode {
    /// Whether this mode pairs (and so runs XXpsk2 with a binding).
    #[must_use]
    pub const fn is_pairing(self) -> bool {
        matches!(self, Self::Pairing(_))
    }

    /// The mode byte: session 0, QR pairing 1, PIN pairing 2, NFC pairing 3.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Session => 0,
            Self::Pairing(PairingMethod::Qr) => 1,
            Self::Pairing(PairingMethod::Pin) => 2,
            Self::Pairing(PairingMethod::Nfc) => 3,
        }
    }
}

/// The prologue bytes: `HoneyLink`, [`PROTOCOL_VERSION`], the [`Mode`] byte
/// and, for pairing, a 64-byte binding (the hash of a QR or NFC payload, or a
/// PIN exchange's session id).
///
/// ```text
/// offset  0            9        10     11 .. 75
///         "HoneyLink"  version  mode   binding (pairing only)
/// ```
///
/// Both sides must build the same bytes or the handshake fails at its first
/// encrypted payload, which is how a mismatched mode or binding is caught.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Prologue {
    bytes: [u8; Prologue::MAX_LEN],
    mode: Mode,
}

impl Prologue {
    /// The fixed label that opens every prologue.
    pub const LABEL: &'static [u8; 9] = b"HoneyLink";
    /// Length of a session prologue.
    pub const SESSION_LEN: usize = Self::LABEL.len() + 2;
    /// Length of a pairing prologue.
    pub const MAX_LEN: usize = Self::SESSION_LEN + HASH_LEN;

    /// The prologue of a session between paired devices.
    #[must_use]
    pub fn session() -> Self {
        Self::build(Mode::Session, None)
    }

    /// The prologue of a pairing by `method`, bound to `binding`.
    #[must_use]
    pub fn pairing(method: PairingMethod, binding: &[u8; HASH_LEN]) -> Self {
        Self::build(Mode::Pairing(method), Some(binding))
    }

    fn build(mode: Mode, binding: Option<&[u8; HASH_LEN]>) -> Self {
        let mut bytes = [0u8; Self::MAX_LEN];
        let (label, rest) = bytes.split_at_mut(Self::LABEL.len());
        label.copy_from_slice(Self::LABEL);
        let (header, tail) = rest.split_at_mut(2);
        header.copy_from_slice(&[PROTOCOL_VERSION, mode.byte()]);
        if let Some(binding) = binding {
            tail.copy_from_slice(binding);
        }
        Self { bytes, mode }
    }

    /// The mode this prologue announces.
    #[must_use]
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// The bytes to pass as the Noise prologue.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        let len = if self.mode.is_pairing() {
            Self::MAX_LEN
        } else {
            Self::SESSION_LEN
        };
        self.bytes.get(..len).unwrap_or(&self.bytes)
    }
}

impl core::fmt::Debug for Prologue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Prologue(")?;
        crate::wire::write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_exact() {
        let session = Prologue::session();
        assert_eq!(session.as_bytes(), b"HoneyLink\x01\x00");
        let binding = [0xb1; 64];
        let qr = Prologue::pairing(PairingMethod::Qr, &binding);
        assert_eq!(qr.as_bytes().len(), 75);
        assert_eq!(&qr.as_bytes()[..11], b"HoneyLink\x01\x01");
        assert_eq!(&qr.as_bytes()[11..], &binding);
        assert_eq!(
            Prologue::pairing(PairingMethod::Pin, &binding).as_bytes()[10],
            2
        );
        assert_eq!(
            Prologue::pairing(PairingMethod::Nfc, &binding).as_bytes()[10],
            3
        );
        assert_eq!(qr.mode(), Mode::Pairing(PairingMethod::Qr));
    }

    /// `Debug` shows the prologue's bytes in hex (they are public).
    #[test]
    fn debug_shows_the_bytes_in_hex() {
        extern crate std;
        assert_eq!(
            std::format!("{:?}", Prologue::session()),
            "Prologue(486f6e65794c696e6b0100)"
        );
    }
}
