//! `PairingPayload::decode_binary`, the payload an NFC tag carries.
//!
//! Properties:
//! - Whatever decodes re-encodes to exactly the input (one encoding per
//!   payload), at most `MAX_BINARY_LEN` bytes.
//! - Its text form decodes to the same payload.

#![no_main]

use honeylink_core::pairing::payload::{MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = PairingPayload::decode_binary(data) else {
        return;
    };
    let mut out = [0u8; MAX_BINARY_LEN];
    let n = payload
        .encode_binary(&mut out)
        .expect("fits in MAX_BINARY_LEN");
    assert_eq!(&out[..n], data, "one binary encoding per payload");
    let mut text = [0u8; MAX_TEXT_LEN];
    let t = payload
        .encode_text(&mut text)
        .expect("fits in MAX_TEXT_LEN");
    let again = PairingPayload::decode_text(std::str::from_utf8(&text[..t]).expect("ASCII"))
        .expect("a payload's text decodes");
    assert_eq!(again.binding(), payload.binding());
});
