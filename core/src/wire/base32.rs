//! RFC 4648 base32 (section 6): upper-case alphabet `A-Z2-7`, no padding.
//!
//! Decoding is strict: only upper-case letters and `2`-`7`, a length that can
//! come from encoding some byte string, and zero bits after the last byte, so
//! each byte string has exactly one text form. QR codes carry this alphabet in
//! alphanumeric mode.
//!
//! The pairing code's text carries its one-time secret, so both directions
//! run in constant time with respect to the data: a character's value and a
//! value's character are computed with masks ([`subtle`] comparisons and
//! selections), never with a table lookup or a branch on the character or
//! the value. Every character is examined whatever came before it; the only
//! branches depend on lengths, and, after the loop, on whether the whole
//! text was valid. A text that fails to decode leaves zeros, not a partial
//! result, in the caller's buffer.

use subtle::{
    Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess,
};

use crate::Error;

/// The RFC 4648 base32 alphabet.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Number of characters the unpadded encoding of `len` bytes takes.
#[must_use]
pub const fn encoded_len(len: usize) -> usize {
    // ceil(len * 8 / 5) without overflow for any realistic len.
    len / 5 * 8 + (len % 5 * 8).div_ceil(5)
}

/// A character's value (0..32, or 0 when invalid) and whether it is in the
/// alphabet, in constant time.
fn value_ct(c: u8) -> (u8, Choice) {
    let letter = c.ct_gt(&(b'A' - 1)) & c.ct_lt(&(b'Z' + 1));
    let digit = c.ct_gt(&(b'2' - 1)) & c.ct_lt(&(b'7' + 1));
    let as_letter = u8::conditional_select(&0, &c.wrapping_sub(b'A'), letter);
    let as_digit = u8::conditional_select(&0, &c.wrapping_sub(b'2').wrapping_add(26), digit);
    (as_letter | as_digit, letter | digit)
}

/// The value (0..32) of one base32 character, if it is in the alphabet.
///
/// Computed in constant time; only the answer's `Some`/`None` depends on
/// the character.
#[must_use]
pub fn value(c: u8) -> Option<u8> {
    let (v, valid) = value_ct(c);
    bool::from(valid).then_some(v)
}

/// The character for a 5-bit value (the top three bits are ignored), in
/// constant time.
#[must_use]
pub fn symbol(value: u8) -> u8 {
    let v = value & 31;
    let letter = v.ct_lt(&26);
    u8::conditional_select(&v.wrapping_add(b'2' - 26), &v.wrapping_add(b'A'), letter)
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
/// not zero; [`Error::BufferTooSmall`] if `out` cannot hold the result. On
/// any error, the bytes of `out` that a success would have written are zero.
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
    let mut invalid = Choice::from(0);
    let mut first_invalid: usize = 0;
    let mut bytes = out.iter_mut();
    for (position, &c) in text.iter().enumerate() {
        let (v, valid) = value_ct(c);
        // All ones at the first invalid character, else zero: no branch.
        let first = usize::from((!valid & !invalid).unwrap_u8()).wrapping_neg();
        first_invalid = (first_invalid & !first) | (position & first);
        invalid |= !valid;
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
    let non_canonical = !acc.ct_eq(&0);
    if bool::from(invalid | non_canonical) {
        out.fill(0);
        return Err(if bool::from(invalid) {
            Error::InvalidCharacter {
                position: first_invalid,
            }
        } else {
            Error::NonCanonicalBase32
        });
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

    /// A text that fails to decode leaves nothing of what it decoded so far
    /// in the caller's buffer (it may be a secret's first bytes).
    #[test]
    fn a_failed_decode_leaves_no_partial_output() {
        for text in [&b"MZXW6YTB!I"[..], b"MZXW6YTBO1", b"MZXW6YTBOJ"] {
            let mut out = [0xa5u8; 8];
            assert!(decode(text, &mut out).is_err(), "{text:?}");
            assert_eq!(out[..6], [0; 6], "{text:?}");
            assert_eq!(out[6..], [0xa5; 2], "beyond the decoded length untouched");
        }
    }

    /// The table and `match` implementation this module had before it was
    /// made constant-time, kept as the reference.
    fn reference_value(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'2'..=b'7' => Some(c - b'2' + 26),
            _ => None,
        }
    }

    fn reference_decode(text: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let decoded_len = match text.len() % 8 {
            0 | 2 | 4 | 5 | 7 => text.len() / 8 * 5 + (text.len() % 8 * 5) / 8,
            _ => return Err(Error::InvalidTextLength),
        };
        let mut acc: u16 = 0;
        let mut bits = 0;
        let mut n = 0;
        for (position, &c) in text.iter().enumerate() {
            let v = reference_value(c).ok_or(Error::InvalidCharacter { position })?;
            acc = (acc << 5) | u16::from(v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out[n] = (acc >> bits) as u8;
                n += 1;
                acc &= (1 << bits) - 1;
            }
        }
        if acc != 0 {
            return Err(Error::NonCanonicalBase32);
        }
        Ok(decoded_len)
    }

    #[test]
    fn constant_time_code_matches_the_table_for_every_input() {
        // Every byte as a character: the 32 symbols and every invalid one.
        for c in 0..=255u8 {
            assert_eq!(value(c), reference_value(c), "{c:#04x}");
        }
        assert_eq!((0..=255u8).filter(|&c| value(c).is_some()).count(), 32);
        // Every byte as a value: its low five bits pick the symbol.
        for v in 0..=255u8 {
            assert_eq!(symbol(v), ALPHABET[usize::from(v & 31)], "{v}");
            assert_eq!(value(symbol(v)), Some(v & 31));
        }
        // Every one- and two-byte input round-trips through the table's text.
        for a in 0..=255u8 {
            for input in [&[a][..], &[a, a ^ 0x5a], &[0xff, a, 0]] {
                let mut text = [0u8; 8];
                let n = encode(input, &mut text).unwrap();
                let mut expected = [0u8; 8];
                let mut acc = 0u32;
                let mut bits = 0;
                let mut k = 0;
                for &byte in input {
                    acc = (acc << 8) | u32::from(byte);
                    bits += 8;
                    while bits >= 5 {
                        bits -= 5;
                        expected[k] = ALPHABET[((acc >> bits) & 31) as usize];
                        k += 1;
                    }
                }
                if bits > 0 {
                    expected[k] = ALPHABET[((acc << (5 - bits)) & 31) as usize];
                    k += 1;
                }
                assert_eq!(text[..n], expected[..k], "{input:?}");
                let mut back = [0u8; 8];
                assert_eq!(decode(&text[..n], &mut back), Ok(input.len()));
                assert_eq!(&back[..input.len()], input);
            }
        }
        // Every two-character text, valid or not: same result, same error
        // and the same first invalid position.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let text = [a, b, b'A', b'A', b'Q', b'A', b'A'];
                for len in [2, 7] {
                    let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
                    let got = decode(&text[..len], &mut x);
                    assert_eq!(
                        got,
                        reference_decode(&text[..len], &mut y),
                        "{:?}",
                        &text[..len]
                    );
                    if got.is_ok() {
                        assert_eq!(x, y);
                    }
                }
            }
        }
    }
}
