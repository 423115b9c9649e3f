//! `PinResponder` (the device that shows the PIN): every message it reads
//! (the initiator's hello, CPace share, tag with Noise message 1, Noise
//! message 3) altered by the fuzzer, the initiator playing honestly, the
//! PIN typed right or wrong, and the responder's clock advancing by the
//! fuzzer's delay.
//!
//! Properties (shared with `pin_initiator`, checked by `drive::pin::check`):
//! - An unaltered run in time with the right PIN pairs both sides: each
//!   holds the other's real id, name and key (method PIN), with the same
//!   handshake hash, and the guard counts no failure.
//! - A side that completes read only unaltered messages, with the right
//!   PIN; a wrong PIN never pairs.
//! - The guard counts a failure for a wrong PIN exactly when the
//!   responder's confirmation tag went out, and never for a run whose tag
//!   did not go out.

#![no_main]

use honeylink_fuzz::drive::pin::{PinInput, RESPONDER_READS, check, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PinInput| {
    let report = run(&input, &RESPONDER_READS);
    check(&input, &report);
});
