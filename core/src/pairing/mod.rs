//! Pairing by physical proximity: QR code, PIN and NFC.
//!
//! - [`payload`]: the pairing payload and its binary (NFC) and text (QR)
//!   forms.
//! - [`ndef`]: the NFC Forum NDEF record that carries the binary form.
//! - [`ProximityResponder`] / [`ProximityInitiator`]: QR and NFC pairing over
//!   Noise XXpsk2, the PSK derived from the payload's one-time secret.
//! - [`PendingPeer`]: what both sides end with, for a person to confirm.

pub mod ndef;
pub mod payload;
mod peer;
mod proximity;
mod run;

pub use peer::PendingPeer;
pub use proximity::{
    CLOCK_SKEW_SECS, ExpiryWarning, ProximityInitiator, ProximityResponder, RUN_TIMEOUT_SECS,
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
