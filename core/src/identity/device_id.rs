use core::fmt;
use core::str::FromStr;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use crate::Error;
use crate::crypto::fill_random;
use crate::wire::array_from_slice;

/// A device's stable identifier: 16 random bytes, drawn once.
///
/// It stays the same when the device's keys rotate, so a peer that sees a
/// known id with a new key reports a key change rather than a stranger
/// (spec section 7). Shown as 32 lowercase hex digits in groups of
/// 8-4-4-4-12, e.g. `0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`; parsing accepts
/// exactly that form (either case) and nothing else.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct DeviceId([u8; DeviceId::LEN]);

impl DeviceId {
    /// Length in bytes.
    pub const LEN: usize = 16;
    /// Length of the text form.
    pub const TEXT_LEN: usize = 36;
    const DASHES: [usize; 4] = [8, 13, 18, 23];

    /// Draws a fresh id from the injected RNG.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut bytes = [0; Self::LEN];
        fill_random(rng, &mut bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps 16 bytes (every value is a valid id).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// Reads an id from exactly 16 bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        array_from_slice(bytes).map(Self)
    }

    /// The 16 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl PartialEq for DeviceId {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for DeviceId {}

impl core::hash::Hash for DeviceId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for DeviceId {
    type Err = Error;

    /// Parses the 8-4-4-4-12 hex form.
    ///
    /// # Errors
    /// [`Error::InvalidTextLength`] unless the text has 36 characters;
    /// [`Error::InvalidCharacter`] at the first misplaced dash or non-hex
    /// digit.
    fn from_str(text: &str) -> Result<Self, Error> {
        let text = text.as_bytes();
        if text.len() != Self::TEXT_LEN {
            return Err(Error::InvalidTextLength);
        }
        let mut bytes = [0u8; Self::LEN];
        let mut nibbles = 0usize;
        for (position, &c) in text.iter().enumerate() {
            let dash_here = Self::DASHES.contains(&position);
            if dash_here != (c == b'-') {
                return Err(Error::InvalidCharacter { position });
            }
            if dash_here {
                continue;
            }
            let v = hex_value(c).ok_or(Error::InvalidCharacter { position })?;
            if let Some(b) = bytes.get_mut(nibbles / 2) {
                *b = (*b << 4) | v;
            }
            nibbles += 1;
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn text_round_trip_and_errors() {
        let id = DeviceId::from_bytes([
            0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2,
            0xe1, 0xf0,
        ]);
        let text = std::format!("{id}");
        let text = text.as_str();
        assert_eq!(text, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        assert_eq!(text.parse::<DeviceId>(), Ok(id));
        assert_eq!(
            "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0".parse::<DeviceId>(),
            Ok(id)
        );
        assert_eq!(
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f".parse::<DeviceId>(),
            Err(Error::InvalidTextLength)
        );
        assert_eq!(
            "0f1e2d3c4-b5a-6978-8796-a5b4c3d2e1f0".parse::<DeviceId>(),
            Err(Error::InvalidCharacter { position: 8 })
        );
        assert_eq!(
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg".parse::<DeviceId>(),
            Err(Error::InvalidCharacter { position: 35 })
        );
        assert_eq!(
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1é".parse::<DeviceId>(),
            Err(Error::InvalidCharacter { position: 34 })
        );
        assert_eq!(
            DeviceId::from_slice(&[0; 15]),
            Err(Error::InvalidLength {
                expected: 16,
                found: 15
            })
        );
    }
}
