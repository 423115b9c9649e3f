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

/// Decodes one postcard value that must fill `bytes` exactly, in its one
/// canonical encoding (postcard accepts over-long varints, so the value is
/// re-measured: a second spelling of the same value is refused).
///
/// # Errors
/// [`Error::Malformed`] if it does not decode or is not canonical;
/// [`Error::TrailingBytes`] if bytes are left over.
pub(crate) fn decode_exact<'a, T>(bytes: &'a [u8]) -> Result<T, Error>
where
    T: serde::Deserialize<'a> + serde::Serialize,
{
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|_| Error::Malformed)?;
    if !rest.is_empty() {
        return Err(Error::TrailingBytes);
    }
    if postcard::experimental::serialized_size(&value).ok() != Some(bytes.len()) {
        return Err(Error::Malformed);
    }
    Ok(value)
}

/// Checks an encoding's fixed header: `magic`, then the version byte, so a
/// later version's layout is never misread.
///
/// # Errors
/// [`Error::UnknownVersion`] after the right magic; [`Error::Malformed`]
/// for anything else.
pub(crate) fn check_header(bytes: &[u8], magic: &[u8], version: u8) -> Result<(), Error> {
    match (bytes.get(..magic.len()), bytes.get(magic.len())) {
        (Some(found_magic), Some(&found)) if found_magic == magic => {
            if found == version {
                Ok(())
            } else {
                Err(Error::UnknownVersion { found })
            }
        }
        _ => Err(Error::Malformed),
    }
}

/// Refuses, before anything changes, an output buffer shorter than `needed`.
///
/// # Errors
/// [`Error::BufferTooSmall`] naming `needed`.
pub(crate) const fn ensure_room(out: &[u8], needed: usize) -> Result<(), Error> {
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    Ok(())
}

/// Writes `bytes` as lowercase hex (public values only).
pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

#[cfg(test)]
mod tests {
    use super::{check_header, ensure_room};
    use crate::Error;

    #[test]
    fn a_header_is_its_magic_then_its_version() {
        assert_eq!(check_header(b"HLx\x01rest", b"HLx", 1), Ok(()));
        assert_eq!(
            check_header(b"HLx\x02", b"HLx", 1),
            Err(Error::UnknownVersion { found: 2 })
        );
        // Any other magic is malformed, whatever version byte follows.
        for wrong in [&b"HLy\x01"[..], b"hLx\x01", b"XLx\x01", b"\0\0\0\x01"] {
            assert_eq!(check_header(wrong, b"HLx", 1), Err(Error::Malformed));
        }
        // Too short for the magic, or for the version byte.
        for short in [&b""[..], b"HL", b"HLx"] {
            assert_eq!(check_header(short, b"HLx", 1), Err(Error::Malformed));
        }
    }

    #[test]
    fn room_is_checked_exactly() {
        assert_eq!(ensure_room(&[0; 8], 8), Ok(()));
        assert_eq!(ensure_room(&[0; 9], 8), Ok(()));
        assert_eq!(
            ensure_room(&[0; 7], 8),
            Err(Error::BufferTooSmall { needed: 8 })
        );
    }
}
