//! `DeviceName::from_utf8` and `DeviceName::new`, a name from the network
//! or a person.
//!
//! Properties:
//! - An accepted name is exactly the input bytes, valid UTF-8, at most
//!   `MAX_LEN` bytes, with no control characters, and `DeviceName::new`
//!   accepts its text as the same name.
//! - A refusal names the right reason, and printable ASCII is never
//!   refused.

#![no_main]

use honeylink_core::Error;
use honeylink_core::identity::DeviceName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| device_name(data));

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
