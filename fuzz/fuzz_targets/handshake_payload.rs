//! `HandshakePayload::decode`, the payload of handshake messages 2 and 3,
//! in session and pairing modes.
//!
//! Properties:
//! - Whatever decodes re-encodes to exactly the input (one encoding per
//!   payload), within `MAX_LEN`.
//! - A session payload carries no name, a pairing payload always one.

#![no_main]

use honeylink_core::noise::{Mode, PairingMethod};
use honeylink_core::wire::HandshakePayload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Session, Mode::Pairing(PairingMethod::Pin)] {
        if let Ok(payload) = HandshakePayload::decode(data, mode) {
            assert_eq!(payload.name.is_some(), mode.is_pairing());
            let mut out = [0u8; HandshakePayload::MAX_LEN];
            let n = payload.encode(&mut out).expect("fits in MAX_LEN");
            assert_eq!(&out[..n], data, "one encoding per handshake payload");
        }
    }
});
