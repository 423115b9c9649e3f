//! `DeviceId::from_str`, a device id a person types or pastes.
//!
//! Properties:
//! - A parsed id displays as text that parses to the same id, and that
//!   text is the input in lower case (one spelling per id).
//! - Its bytes give the same id back.

#![no_main]

use honeylink_core::identity::DeviceId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| device_id(text));

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
