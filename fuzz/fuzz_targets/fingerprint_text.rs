//! `Fingerprint::from_str`, a fingerprint a person types or pastes.
//!
//! Properties:
//! - A parsed value displays as text that parses to the same value, and
//!   that text is the input in upper case without separators (the check
//!   characters and strict base32 leave one spelling per value).
//! - Its bytes give the same fingerprint back.

#![no_main]

use honeylink_core::identity::Fingerprint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| fingerprint(text));

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
