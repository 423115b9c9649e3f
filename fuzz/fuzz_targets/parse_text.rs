//! Arbitrary bytes into every text parser of `honeylink-core`: none may
//! panic, and whatever parses must come back the same way.
//!
//! - `Fingerprint`: a parsed value displays as text that parses to the same
//!   value, and that text is the input in upper case without separators
//!   (the check characters and strict base32 leave one spelling per value).
//! - `DeviceId`: the same, where the text is the input in lower case.
//! - `DeviceName::from_utf8`: an accepted name is exactly the input bytes,
//!   valid UTF-8, at most `MAX_LEN` bytes, with no control characters; a
//!   refusal names the right reason, and printable ASCII is never refused.
//! - `base32::decode` into a fixed buffer: the decoded bytes encode back to
//!   exactly the input; a refusal is the documented error for it; and any
//!   bytes encode to text that decodes back to them.

#![no_main]

use honeylink_core::Error;
use honeylink_core::identity::{DeviceId, DeviceName, Fingerprint};
use honeylink_core::wire::base32;
use libfuzzer_sys::fuzz_target;

/// Decoding buffer size: large enough for most inputs, small enough that
/// long ones exercise [`Error::BufferTooSmall`].
const BUF: usize = 160;

fuzz_target!(|data: &[u8]| {
    device_name(data);
    base32_decode(data);
    base32_encode(data);
    if let Ok(text) = core::str::from_utf8(data) {
        fingerprint(text);
        device_id(text);
    }
});

fn fingerprint(text: &str) {
    let Ok(fp) = text.parse::<Fingerprint>() else {
        return;
    };
    let shown = fp.to_string();
    assert_eq!(shown.len(), Fingerprint::TEXT_LEN);
    assert_eq!(shown.as_bytes(), fp.to_text().as_slice());
    assert_eq!(shown.parse::<Fingerprint>(), Ok(fp), "{shown}");
    let typed: String = text
        .chars()
        .filter(|&c| c != '-' && c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    assert_eq!(typed, shown.replace('-', ""), "{text:?} parsed as {shown}");
    let bytes = Fingerprint::from_bytes(*fp.as_bytes());
    assert_eq!(bytes, fp);
}

fn device_id(text: &str) {
    let Ok(id) = text.parse::<DeviceId>() else {
        return;
    };
    let shown = id.to_string();
    assert_eq!(shown.len(), DeviceId::TEXT_LEN);
    assert_eq!(shown.parse::<DeviceId>(), Ok(id), "{shown}");
    assert_eq!(shown, text.to_ascii_lowercase());
    assert_eq!(DeviceId::from_slice(id.as_bytes()), Ok(id));
}

fn device_name(bytes: &[u8]) {
    match DeviceName::from_utf8(bytes) {
        Ok(name) => {
            let text = name.as_str();
            assert_eq!(text.as_bytes(), bytes);
            assert!(!text.is_empty() && text.len() <= DeviceName::MAX_LEN);
            assert!(!text.chars().any(char::is_control));
            assert_eq!(name.to_string(), text);
            assert_eq!(DeviceName::new(text), Ok(name));
        }
        Err(Error::NameEmpty) => assert!(bytes.is_empty()),
        Err(Error::NameTooLong) => assert!(bytes.len() > DeviceName::MAX_LEN),
        Err(Error::NameNotUtf8) => assert!(core::str::from_utf8(bytes).is_err()),
        // The refused set is the control characters plus some invisible
        // formatting characters (the core's list, not repeated here): all
        // outside printable ASCII, so a printable ASCII name is never refused.
        Err(Error::NameControlCharacter) => {
            let text = core::str::from_utf8(bytes).unwrap_or_default();
            assert!(!text.is_empty() && text.len() <= DeviceName::MAX_LEN);
            assert!(
                text.chars().any(|c| c.is_control() || !c.is_ascii()),
                "a printable ASCII name was refused: {text:?}"
            );
        }
        Err(other) => panic!("unexpected error {other:?} for a name"),
    }
}

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
