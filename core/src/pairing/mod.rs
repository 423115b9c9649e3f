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
    PinInitiator, PinResponder, SHARE_AND_TAG_LEN, TAG_AND_NOISE1_LEN,
};
pub use pin_guard::{
    LOCKOUT_FAILURES, LOCKOUT_SECS, LOCKOUT_WINDOW_SECS, PinGuard, PinGuardState, RunTicket,
};
pub use proximity::{
    CLOCK_SKEW_SECS, ExpiryWarning, MAX_RUNS_PER_PAYLOAD, ProximityInitiator, ProximityResponder,
    RUN_TIMEOUT_SECS,
};
pub use run::{LocalDevice, RunId};

pub use crate::noise::PairingMethod;

/// The longest message of a pairing handshake (Noise message 2: the
/// ephemeral key, the encrypted static key, the largest HoneyLink payload
/// and its tag): an output buffer of this size fits every pairing message.
pub const MAX_PAIRING_MESSAGE_LEN: usize = 32
    + (32 + crate::noise::TAG_LEN)
    + crate::wire::HandshakePayload::MAX_LEN
    + crate::noise::TAG_LEN;
