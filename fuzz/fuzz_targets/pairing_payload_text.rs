//! `PairingPayload::decode_text`, the `HL1:` text a QR code carries.
//!
//! Properties:
//! - Whatever decodes re-encodes to exactly the input (upper-case base32,
//!   no padding, one spelling per payload), at most `MAX_TEXT_LEN` bytes.
//! - An `InvalidCharacter` error points into the input at a character
//!   outside the base32 alphabet, after the prefix.

#![no_main]

use honeylink_core::Error;
use honeylink_core::pairing::payload::{MAX_TEXT_LEN, PairingPayload, TEXT_PREFIX};
use honeylink_core::wire::base32;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match PairingPayload::decode_text(text) {
        Ok(payload) => {
            let mut out = [0u8; MAX_TEXT_LEN];
            let n = payload.encode_text(&mut out).expect("fits in MAX_TEXT_LEN");
            assert_eq!(&out[..n], text.as_bytes(), "one text encoding per payload");
        }
        Err(Error::InvalidCharacter { position }) => {
            assert!(position >= TEXT_PREFIX.len());
            assert!(base32::value(text.as_bytes()[position]).is_none());
        }
        Err(_) => {}
    }
});
