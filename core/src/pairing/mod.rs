//! Pairing by physical proximity: QR code, PIN and NFC.
//!
//! - [`payload`]: the pairing payload and its binary (NFC) and text (QR)
//!   forms.
//! - [`ndef`]: the NFC Forum NDEF record that carries the binary form.
//! - [`ProximityResponder`] / [`ProximityInitiator`]: QR and NFC pairing over
//!   Noise XXpsk2, the PSK derived from the payload's one-time secret.
//! - [`PinResponder`] / [`PinInitiator`]: PIN pairing, CPace ([`cpace`])
//!   then XXpsk2, with a [`PinGuard`] allowing one guess per PIN.
//! - [`PendingPeer`]: what both sides end with, for a person to confirm.

pub mod cpace;
pub mod ndef;
pub mod payload;
mod peer;
mod pin;
mod pin_guard;
mod proximity;
mod run;

pub use peer::PendingPeer;
pub use pin::{
    CPACE_PURPOSE, HELLO_LEN, PIN_PROTOCOL_VERSION, PIN_RUN_SECS, PIN_VALIDITY_SECS, Pin,
    PinInitiator, PinResponder, SHARE_AND_TAG_LEN,
};
pub use pin_guard::{
    LOCKOUT_FAILURES, LOCKOUT_SECS, LOCKOUT_WINDOW_SECS, PinGuard, PinGuardState, RunTicket,
};
pub use proximity::{
    CLOCK_SKEW_SECS, ExpiryWarning, ProximityInitiator, ProximityResponder, RUN_TIMEOUT_SECS, RunId,
};
pub use run::LocalDevice;

use serde::{Deserialize, Serialize};

/// How two devices paired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PairingMethod {
    /// A scanned QR code (spec 4.1).
    Qr,
    /// A 6-digit PIN (spec 4.2).
    Pin,
    /// An NFC tap (spec 4.3).
    Nfc,
}
