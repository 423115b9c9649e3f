//! PIN pairing call by call: the fuzzer chooses the sequence of API calls
//! of `PinResponder` (device 1, shows the PIN) and `PinInitiator` (device 0,
//! types it), any method of either side in any order, each handed the
//! honest message the other side wrote last, an altered one, or one written
//! earlier in this input (another run's, a replay, a reflection), and, on
//! the responder, the run's ticket, a stale one (an earlier run's, another
//! responder's) or a forged one; new initiators (typing the PIN right or
//! wrong), new responders on the same `PinGuard` mid-run, output buffers
//! one byte short, and time passing. At the end the exchange in play, if
//! every message so far was honest, is finished honestly.
//!
//! Properties, against a model of the documented rules
//! (`drive::pin_calls`):
//! - Every refusal the docs promise comes, with its documented error and
//!   before anything changes: `PinUsed` (or `PinExpired`, if the PIN expired
//!   before a run began) for a hello once the PIN is spent, `OutOfOrder`
//!   with no run or out of turn, `WrongRun` for any ticket but the run's,
//!   `BufferTooSmall` naming the size, `RunTimedOut` / `PinExpired` by the
//!   responder's clock, `LockedOut` exactly when the guard is locked. A
//!   hello that does not parse changes nothing.
//! - A wrong or stale ticket never disturbs the run, nor do refused calls:
//!   the honest exchange still completes afterwards (every honest delivery
//!   succeeds unless the model predicts a timeout, a lockout or a mistyped
//!   PIN, which fails at the initiator with `CpaceConfirmationFailed`).
//! - No side completes on a message nobody wrote; a completing side holds
//!   the honest peer (id, name, key, flags, method PIN); the responder
//!   completes only with the hash and keys of an initiator that completed
//!   (a record sealed each way opens); the initiator only with a PIN some
//!   responder showed.
//! - The guard counts exactly what its docs say: a run is a failure from
//!   the moment the responder's tag goes out until a verified initiator tag
//!   retracts it (a timeout or a wrong tag counts, a Noise failure after a
//!   verified tag does not, a tag no initiator wrote never verifies, a
//!   dropped responder's run counts at the next run); its export after
//!   every call equals the model's.

#![no_main]

use honeylink_fuzz::drive::pin_calls::{PinCallsInput, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PinCallsInput| run(&input));
