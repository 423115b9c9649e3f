//! Sessions call by call: the fuzzer chooses the sequence of API calls of
//! `SessionInitiator`s (device 0) and `SessionResponder`s (device 1), with
//! trust stores it chooses, each handed the honest message, an altered one,
//! or one written earlier in this input (another handshake's, a replay, a
//! reflection, a transport record); output buffers too small; and, once a
//! session is established, seal, open and close on either end of a stream
//! transport, in any order, with records replayed, altered, reordered or
//! opened after a failure or after the other end closed. At the end a fresh
//! honest session runs and carries a record each way.
//!
//! Properties, against a model of the documented rules
//! (`drive::session_calls`):
//! - Out of turn is refused with the documented error: `respond` twice or
//!   `read_message2` twice with `OutOfOrder`, after a Noise failure with
//!   `HandshakeFailed`; `write_message3` before a verdict with `OutOfOrder`
//!   and to an untrusted peer with `NotTrusted`; `read_message3` before a
//!   message 1 was answered with `OutOfOrder`; `respond` with a buffer too
//!   small with `BufferTooSmall`, and to a message 1 with a payload with
//!   `UnexpectedPayload`, both before reading anything (the honest message
//!   1 is answered afterwards); `read_message2` of a payload longer than
//!   any valid one with `InputTooLong`, before reading anything.
//! - Messages 2 and 3 are authenticated: an initiator reads only a message
//!   2 a responder wrote, a responder finishes only on a message 3 written
//!   by an initiator that read its own message 2, and always finishes on
//!   that one. Verdicts name the honest peer's id and key and the decision
//!   its trust store must give; a session is established exactly when both
//!   trust the other, with equal handshake hashes.
//! - Transport: a record opens only at its place in the stream, with its
//!   plaintext, and the next record always opens, whatever failed before; a
//!   rejected record or a refused seal leaves the session's whole state
//!   (keys and counters: `hazmat_state_digest`) unchanged; a closed end
//!   takes no calls (the type leaves none), and the other end still opens
//!   what was sealed before the close.

#![no_main]

use honeylink_fuzz::drive::session_calls::{SessionCallsInput, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: SessionCallsInput| run(&input));
