//! RFC 4648 base32 (section 6): upper-case alphabet `A-Z2-7`, no padding.
//!
//! Decoding is strict: only upper-case letters and `2`-`7`, a length that can
//! come from encoding some byte string, and zero bits after the last byte, so
//! each byte string has exactly one text form. QR codes carry this alphabet in
//! alphanumeric mode.

use crate::Error;

/// The RFC 4648 base32 alphabet.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Number of characters the unpadded encoding of `len` bytes takes.
#[must_use]
pub const fn encoded_len(len: usize) -> usize {
    // ceil(len * 8 / 5) without overflow for any realistic len.
    len / 5 * 8 + (len % 5 * 8).div_ceil(5)
}

/// The value (0..32) of one base32 character, if it is in the alphabet.
#[must_use]
pub const fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// The character for a 5-bit value (the top three bits are ignored).
#[must_use]
pub fn symbol(value: u8) -> u8 {
    ALPHABET
        .get(usize::from(value & 31))
        .copied()
        .unwrap_or(b'A')
}

/// Encodes `input` into `out` and returns the number of characters written.
///
/// # Errors
/// [`Error::BufferTooSmall`] if `out` is shorter than
/// [`encoded_len`]`(input.len())`; nothing is written then.
pub fn encode(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let needed = encoded_len(input.len());
    let out = out
        .get_mut(..needed)
        .ok_or(Error::BufferTooSmall { needed })?;
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    let mut chars = out.iter_mut();
    for &byte in input {
        acc = (acc << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            if let Some(c) = chars.next() {
                *c = symbol(((acc >> bits) & 31) as u8);
            }
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0
        && let Some(c) = chars.next()
    {
        *c = symbol(((acc << (5 - bits)) & 31) as u8);
    }
    Ok(needed)
}

/// Decodes base32 `text` into `out` and returns the number of bytes written.
///
/// # Errors
/// [`Error::InvalidCharacter`] at the first character outside the alphabet;
/// [`Error::InvalidTextLength`] if no byte string encodes to this many
/// characters; [`Error::NonCanonicalBase32`] if the unused trailing bits are
/// not zero; [`Error::BufferTooSmall`] if `out` cannot hold the result.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the accumulator holds fewer than 13 bits; the byte taken is its top 8"
)]
pub fn decode(text: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    // Lengths mod 8 of 1, 3 and 6 never come out of the encoder.
    let decoded_len = match text.len() % 8 {
        0 | 2 | 4 | 5 | 7 => text.len() / 8 * 5 + (text.len() % 8 * 5) / 8,
        _ => return Err(Error::InvalidTextLength),
    };
    let out = out.get_mut(..decoded_len).ok_or(Error::BufferTooSmall {
        needed: decoded_len,
    })?;
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    let mut bytes = out.iter_mut();
    for (position, &c) in text.iter().enumerate() {
        let v = value(c).ok_or(Error::InvalidCharacter { position })?;
        acc = (acc << 5) | u16::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            if let Some(b) = bytes.next() {
                *b = (acc >> bits) as u8;
            }
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(Error::NonCanonicalBase32);
    }
    Ok(decoded_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 section 10 test vectors, without their padding.
    #[test]
    fn rfc4648_section_10() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (plain, text) in cases {
            let mut out = [0u8; 16];
            let n = encode(plain, &mut out).expect("fits");
            assert_eq!(&out[..n], text.as_bytes(), "encode {plain:?}");
            let mut back = [0u8; 16];
            let n = decode(text.as_bytes(), &mut back).expect("valid");
            assert_eq!(&back[..n], plain, "decode {text}");
        }
    }

    #[test]
    fn strict_decoding() {
        let mut out = [0u8; 16];
        assert_eq!(
            decode(b"mzxw6", &mut out),
            Err(Error::InvalidCharacter { position: 0 })
        );
        assert_eq!(decode(b"MZXW6=", &mut out), Err(Error::InvalidTextLength));
        assert_eq!(decode(b"MZX", &mut out), Err(Error::InvalidTextLength));
        // "MZ" is "f"; "MZ" with a low bit set in the padding bits is not.
        assert_eq!(decode(b"M3", &mut out), Err(Error::NonCanonicalBase32));
        assert_eq!(
            decode(b"MZXW6YTBOI", &mut out[..5]),
            Err(Error::BufferTooSmall { needed: 6 })
        );
        assert_eq!(
            encode(b"foobar", &mut out[..9]),
            Err(Error::BufferTooSmall { needed: 10 })
        );
    }
}
