//! `ProximityInitiator` (the scanner) and the code it scans: the QR text
//! (`PairingPayload::decode_text`) or NFC NDEF message
//! (`ndef::find_payload`, `PairingPayload::decode_binary`) and Noise
//! message 2 altered by the fuzzer, the code's creator playing honestly, QR
//! or NFC, either clock, any validity and transport hint, and the clock
//! advancing by the fuzzer's delay.
//!
//! Properties (shared with `proximity_responder`, checked by
//! `drive::proximity::check`):
//! - An unaltered run in time pairs both sides: each holds the other's
//!   real id, name and key with the method used, and the same handshake
//!   hash.
//! - A side that completes read only unaltered messages (for the code:
//!   the scanned payload is the one shown, whatever its spelling).
//! - Once paired, the code is spent: message 1 again is refused with
//!   `PayloadUsed`.

#![no_main]

use honeylink_fuzz::drive::proximity::{INITIATOR_READS, ProximityInput, check, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ProximityInput| {
    let report = run(&input, &INITIATOR_READS);
    check(&input, &report);
});
