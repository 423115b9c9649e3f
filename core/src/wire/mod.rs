//! Wire and text encodings shared by every protocol layer: fixed-length byte
//! fields, lowercase hex for debugging output, and RFC 4648 base32 for the
//! text a person reads or a QR code carries.
//!
//! Decoders here return a fully validated value or a specific [`Error`];
//! they never panic and never allocate.

pub mod base32;
mod fixed;
mod handshake;

pub use fixed::FixedBytes;
pub use handshake::{HandshakePayload, PayloadFlags};

use core::fmt;

use crate::Error;

/// Reads a fixed-size array from a slice of exactly `N` bytes.
///
/// # Errors
/// [`Error::InvalidLength`] naming the expected and the found length.
pub(crate) fn array_from_slice<const N: usize>(bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes.try_into().map_err(|_| Error::InvalidLength {
        expected: N,
        found: bytes.len(),
    })
}

/// Writes `bytes` as lowercase hex (public values only).
pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}
