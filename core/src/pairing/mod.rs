//! Pairing by physical proximity: QR code, PIN and NFC.

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
