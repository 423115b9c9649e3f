//! `SessionInitiator`: the message it reads (2) altered by the fuzzer, the
//! responder playing honestly, and both trust stores of the fuzzer's
//! choosing (trusted, unknown, blocked device or key, key changed, key
//! under another id).
//!
//! Properties (shared with `session_responder`, checked by
//! `drive::session::check`):
//! - With nothing altered and both sides trusting each other, the session
//!   is established on both sides with the same handshake hash, and a
//!   record sealed by either side opens at the other.
//! - A verdict is given only on unaltered messages, names the peer's real
//!   id and key, and carries the decision its store must give.
//! - Message 3 is written only to a trusted responder; the responder
//!   establishes a session only with a trusted initiator.
//! - An altered message never yields a verdict, a message 3 or a session.

#![no_main]

use honeylink_fuzz::drive::session::{SessionInput, check, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: SessionInput| {
    let report = run(&input, &[1]);
    check(&input, &report);
});
