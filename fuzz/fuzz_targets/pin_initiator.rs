//! `PinInitiator` (the device where the PIN is typed): every message it
//! reads (the responder's hello, CPace share with tag, Noise message 2)
//! altered by the fuzzer, the responder playing honestly, the PIN typed
//! right or wrong, and the responder's clock advancing by the fuzzer's
//! delay.
//!
//! Properties (shared with `pin_responder`, checked by `drive::pin::check`):
//! - An unaltered run in time with the right PIN pairs both sides: each
//!   holds the other's real id, name and key (method PIN), with the same
//!   handshake hash, and the guard counts no failure.
//! - A side that completes read only unaltered messages, with the right
//!   PIN; a wrong PIN never pairs.
//! - The guard counts a failure for a wrong PIN exactly when the
//!   responder's confirmation tag went out, and never for a run whose tag
//!   did not go out.

#![no_main]

use honeylink_fuzz::drive::pin::{INITIATOR_READS, PinInput, check, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PinInput| {
    let report = run(&input, &INITIATOR_READS);
    check(&input, &report);
});
