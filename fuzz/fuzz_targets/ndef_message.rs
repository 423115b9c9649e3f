//! `ndef::find_payload`, the NDEF message an NFC reader hands over.
//!
//! Properties:
//! - A payload found is a slice of the message.
//! - Encoding the found payload as a message of its own and parsing that
//!   gives the same payload back; so does encoding the input itself.

#![no_main]

use honeylink_core::pairing::ndef;
use libfuzzer_sys::fuzz_target;

fn round_trip(payload: &[u8]) {
    let mut out = vec![0u8; ndef::encoded_len(payload.len())];
    let n = ndef::encode(payload, &mut out).expect("sized by encoded_len");
    assert_eq!(n, out.len());
    assert_eq!(ndef::find_payload(&out), Ok(payload));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = ndef::find_payload(data) {
        let range = data.as_ptr_range();
        assert!(range.contains(&payload.as_ptr()) || payload.is_empty());
        assert!(payload.len() <= data.len());
        round_trip(payload);
    }
    round_trip(data);
});
