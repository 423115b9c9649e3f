//! HoneyLink's Noise prologue: defined once, so host and firmware hash
//! identical bytes.

use crate::crypto::hash::HASH_LEN;

/// The protocol version byte in every prologue and handshake payload.
pub const PROTOCOL_VERSION: u8 = 1;

/// What a handshake is for; the mode byte of the prologue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// A session between devices that already trust each other (XX).
    Session = 0,
    /// Pairing from a scanned QR code (XXpsk2).
    QrPairing = 1,
    /// Pairing after a PIN exchange (XXpsk2).
    PinPairing = 2,
    /// Pairing from an NFC tap (XXpsk2).
    NfcPairing = 3,
}

impl Mode {
    /// Whether this mode pairs (and so runs XXpsk2 with a binding).
    #[must_use]
    pub const fn is_pairing(self) -> bool {
        !matches!(self, Self::Session)
    }
}

/// The prologue bytes: `HoneyLink`, [`PROTOCOL_VERSION`], the [`Mode`] byte
/// and, for pairing, a 64-byte binding (the hash of a QR or NFC payload, or a
/// PIN exchange's session id).
///
/// ```text
/// offset  0      9        10     11 .. 75
///         "HoneyLink"  version  mode   binding (pairing only)
/// ```
///
/// Both sides must build the same bytes or the handshake fails at its first
/// encrypted payload, which is how a mismatched mode or binding is caught.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Prologue {
    bytes: [u8; Prologue::MAX_LEN],
    len: u8,
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

    /// The prologue of a pairing, bound to `binding`. `mode` must be a
    /// pairing mode; [`Mode::Session`] gets a session prologue (no binding).
    #[must_use]
    pub fn pairing(mode: Mode, binding: &[u8; HASH_LEN]) -> Self {
        Self::build(mode, mode.is_pairing().then_some(binding))
    }

    fn build(mode: Mode, binding: Option<&[u8; HASH_LEN]>) -> Self {
        let mut bytes = [0u8; Self::MAX_LEN];
        let (label, rest) = bytes.split_at_mut(Self::LABEL.len());
        label.copy_from_slice(Self::LABEL);
        let (header, tail) = rest.split_at_mut(2);
        header.copy_from_slice(&[PROTOCOL_VERSION, mode as u8]);
        let mut len = Self::SESSION_LEN;
        if let Some(binding) = binding {
            tail.copy_from_slice(binding);
            len = Self::MAX_LEN;
        }
        Self {
            bytes,
            len: u8::try_from(len).unwrap_or(u8::MAX),
        }
    }

    /// The bytes to pass as the Noise prologue.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
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
        let qr = Prologue::pairing(Mode::QrPairing, &binding);
        assert_eq!(qr.as_bytes().len(), 75);
        assert_eq!(&qr.as_bytes()[..11], b"HoneyLink\x01\x01");
        assert_eq!(&qr.as_bytes()[11..], &binding);
        assert_eq!(
            Prologue::pairing(Mode::PinPairing, &binding).as_bytes()[10],
            2
        );
        assert_eq!(
            Prologue::pairing(Mode::NfcPairing, &binding).as_bytes()[10],
            3
        );
        assert_eq!(Prologue::pairing(Mode::Session, &binding), session);
    }
}
