//! QR and NFC pairing call by call: the fuzzer chooses the sequence of API
//! calls of the `ProximityResponder` (device 1, shows a code) and of
//! `ProximityInitiator`s (device 0, each scanning the code in play), each
//! handed the honest message, an altered one, or one written earlier in
//! this input (a replayed message 1, another code's run, a reflection),
//! message 3 presented with the run's ticket, a stale one or a forged one;
//! fresh message 1s until the payload is exhausted, new codes, timer polls,
//! output buffers one byte short, and time passing. At the end the pairing
//! in play is finished honestly, then a fresh one is run.
//!
//! Properties, against a model of the documented rules
//! (`drive::proximity_calls`):
//! - `handle_message1` refuses exactly as documented and in that order:
//!   `BufferTooSmall`; `PayloadUsed` / `PayloadExpired` (dropping the live
//!   run); `Replayed` for an ephemeral already answered and `Busy` while a
//!   run is live (the live run untouched); `PayloadExhausted` after
//!   `MAX_RUNS_PER_PAYLOAD` answered runs. It answers only a message 1 that
//!   an initiator of this code wrote, and always answers one that is not
//!   refused so.
//! - `handle_message3` refuses exactly as documented: `PayloadUsed`,
//!   `PayloadExpired`, `OutOfOrder` with no run, `WrongRun` for any ticket
//!   but the live run's (which stays untouched: the honest message 3 still
//!   completes), `RunTimedOut` for a stale run. It completes only on the
//!   message 3 of the initiator whose message 1 began the run, and always
//!   on that one.
//! - `handle_message2` refuses `OutOfOrder` once handled and
//!   `BufferTooSmall` (nothing changes), and completes exactly on the
//!   message 2 the responder answered this initiator with.
//! - Completing sides hold the honest peer (id, name, key, flags, method),
//!   equal handshake hashes and keys (a record sealed each way opens); a
//!   used payload refuses everything after.

#![no_main]

use honeylink_fuzz::drive::proximity_calls::{ProximityCallsInput, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ProximityCallsInput| run(&input));
