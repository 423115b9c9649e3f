//! Noise XX (sessions) between two honest parties, every message of which
//! the fuzzer may alter: `read_message` for message 1 and 3 in the responder
//! role and message 2 in the initiator role, with the fuzzer's payloads.
//!
//! Properties:
//! - An unaltered run with matching prologues completes on both sides with
//!   the same handshake hash, complementary keys, each side holding the
//!   other's static key, and every payload read as written.
//! - A side that completes read only unaltered messages (and the prologues
//!   matched): an altered message never completes with the honest side's
//!   keys. The initiator completes on writing message 3, so only messages
//!   1 and 2 matter to it.
//! - A message that fails to read ends the handshake for good: `next()` is
//!   `Failed` and the genuine message is refused after it (asserted in the
//!   driver).

#![no_main]

use honeylink_fuzz::drive::noise::{HandshakeInput, check, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: HandshakeInput| {
    let report = run(false, &input, &[0, 1, 2]);
    check(&input, &report);
});
