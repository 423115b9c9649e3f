//! `pin_state::parse`, the host's reader of `pin_guard.json` (the PIN
//! lockout state: a file that does not parse must never read as a fresh
//! guard).
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - A parsed state re-encodes (`pin_state::encode`, what `save` writes)
//!   to bytes that parse to the same state, and encoding that again gives
//!   the same bytes.

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::pin_state;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/pin_guard.json");
    let state = match pin_state::parse(path, data) {
        Ok(state) => state,
        Err(e) => return assert_corrupt(&e, path),
    };
    let bytes = pin_state::encode(path, &state).expect("a state encodes");
    let back = pin_state::parse(path, &bytes).expect("the writer's bytes parse");
    assert_eq!(back, state);
    assert_eq!(pin_state::encode(path, &back).expect("encodes"), bytes);
});
