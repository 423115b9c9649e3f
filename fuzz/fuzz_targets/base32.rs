//! `base32::decode` into a fixed buffer (the encoding of pairing codes),
//! and `base32::encode`.
//!
//! Properties:
//! - The decoded bytes encode back to exactly the input (one spelling per
//!   value); a refusal is the documented error for it.
//! - Any bytes encode to text that decodes back to them.

#![no_main]

use honeylink_core::Error;
use honeylink_core::wire::base32;
use libfuzzer_sys::fuzz_target;

/// Decoding buffer size: large enough for most inputs, small enough that
/// long ones exercise [`Error::BufferTooSmall`].
const BUF: usize = 160;

fuzz_target!(|data: &[u8]| {
    base32_decode(data);
    base32_encode(data);
});

fn base32_decode(text: &[u8]) {
    let mut out = [0u8; BUF];
    match base32::decode(text, &mut out) {
        Ok(n) => {
            assert_eq!(base32::encoded_len(n), text.len());
            let mut again = vec![0u8; text.len()];
            assert_eq!(base32::encode(&out[..n], &mut again), Ok(text.len()));
            assert_eq!(again, text, "decode then encode changed the text");
        }
        Err(Error::InvalidTextLength) => assert!(matches!(text.len() % 8, 1 | 3 | 6)),
        Err(Error::InvalidCharacter { position }) => {
            assert!(base32::value(text[position]).is_none());
            assert!(text[..position].iter().all(|&c| base32::value(c).is_some()));
        }
        Err(Error::BufferTooSmall { needed }) => {
            assert!(needed > BUF);
            assert_eq!(base32::encoded_len(needed), text.len());
        }
        Err(Error::NonCanonicalBase32) => {
            assert!(text.iter().all(|&c| base32::value(c).is_some()));
        }
        Err(other) => panic!("unexpected error {other:?} from base32::decode"),
    }
}

fn base32_encode(bytes: &[u8]) {
    let mut text = vec![0u8; base32::encoded_len(bytes.len())];
    assert_eq!(base32::encode(bytes, &mut text), Ok(text.len()));
    assert!(text.iter().all(|c| base32::ALPHABET.contains(c)));
    let mut back = vec![0u8; bytes.len()];
    assert_eq!(base32::decode(&text, &mut back), Ok(bytes.len()));
    assert_eq!(back, bytes, "encode then decode changed the bytes");
}
