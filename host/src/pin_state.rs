//! The PIN pairing lockout state, kept in `pin_guard.json` across restarts.
//!
//! The core's [`PinGuard`](honeylink_core::pairing::PinGuard) counts a PIN
//! run as a failure from the moment it begins, and its exported
//! [`PinGuardState`] must be on disk before the responder's first message
//! leaves, so a crash or a forced restart cannot erase a guess. [`save`]
//! returns only once the state is flushed (atomic write), so the caller
//! saves, then sends.
//!
//! A missing file is a fresh guard (no failures); a file that does not parse
//! is an error, never a fresh guard, since treating it as fresh would hand
//! an attacker new guesses for the price of corrupting one file.

use honeylink_core::pairing::PinGuardState;
use serde::{Deserialize, Serialize};

use std::path::Path;

use crate::Error;
use crate::home::Home;

/// Version of the `pin_guard.json` format.
pub const PIN_STATE_VERSION: u32 = 1;
/// The largest `pin_guard.json` read, in bytes (it is under 200).
pub const MAX_PIN_STATE_LEN: u64 = 4096;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinStateFile {
    version: u32,
    state: PinGuardState,
}

/// Reads the lockout state; `PinGuardState::default()` (no failures, no
/// lockout) when no file exists yet.
///
/// # Errors
/// The home's file errors, [`Error::Corrupt`] for a file that does not parse
/// or has another version.
pub fn load(home: &Home) -> Result<PinGuardState, Error> {
    let path = home.pin_guard_path();
    let Some(bytes) = home.read_private_if_exists(&path, MAX_PIN_STATE_LEN)? else {
        return Ok(PinGuardState::default());
    };
    parse(&path, &bytes)
}

/// Parses the contents of `pin_guard.json` (the file at `path`): the
/// byte-level reader [`load`] uses.
///
/// # Errors
/// [`Error::Corrupt`] naming `path` for bytes that are not the JSON
/// [`encode`] writes (unknown fields included) or name another version.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<PinGuardState, Error> {
    let file: PinStateFile =
        serde_json::from_slice(bytes).map_err(|e| Error::corrupt(path, e.to_string()))?;
    if file.version != PIN_STATE_VERSION {
        return Err(Error::corrupt(
            path,
            format!(
                "version {} (this HoneyLink reads version {PIN_STATE_VERSION})",
                file.version
            ),
        ));
    }
    Ok(file.state)
}

/// Writes the lockout state atomically and durably: when it returns `Ok`
/// the state survives a crash. Call it with `PinGuard::export(now)` after
/// `PinGuard::begin` and before the responder's first message is sent.
///
/// # Errors
/// The home's file errors (an existing file that fails the checks is left
/// as it is).
pub fn save(home: &Home, state: &PinGuardState) -> Result<(), Error> {
    let path = home.pin_guard_path();
    home.write_private(&path, &encode(&path, state)?)
}

/// The bytes of `pin_guard.json` holding `state`, as [`save`] writes them:
/// what [`parse`] reads back as `state`. One text per state.
///
/// # Errors
/// [`Error::Corrupt`] naming `path` if JSON cannot encode the state
/// (it always can).
pub fn encode(path: &Path, state: &PinGuardState) -> Result<Vec<u8>, Error> {
    let file = PinStateFile {
        version: PIN_STATE_VERSION,
        state: *state,
    };
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| Error::corrupt(path, format!("cannot encode: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}
