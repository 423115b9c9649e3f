//! The events an audit record can carry. Each names the ids and fingerprints
//! it concerns, never a secret.

use serde::{Deserialize, Serialize};

use crate::identity::{DeviceId, Fingerprint};
use crate::pairing::PairingMethod;
use crate::trust::{KeyChangeAction, RefusalReason};
use crate::wire::FixedBytes;

/// Why a pairing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairingFailure {
    /// The pairing code, tag or PIN had expired.
    Expired,
    /// The handshake failed (wrong PSK or PIN, tampered message).
    HandshakeFailed,
    /// The scanned key did not match the code (a man in the middle).
    KeyMismatch,
    /// A person declined the pending peer.
    Rejected,
    /// The peer is blocked.
    Blocked,
    /// PIN pairing is locked out after repeated failures.
    LockedOut,
    /// The run timed out.
    TimedOut,
}

/// Why the device's X25519 identity key was rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationKind {
    /// A planned rotation (device reset).
    Manual,
    /// A rotation after a suspected compromise.
    Emergency,
}

/// One auditable event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The first record of every chain: the device and its signing key.
    Genesis {
        /// The device whose log this is.
        device_id: DeviceId,
        /// The Ed25519 key that signs the chain from here.
        signing_key: [u8; 32],
    },
    /// A device identity key was generated.
    KeyGenerated {
        /// The fingerprint of the new X25519 static key.
        fingerprint: Fingerprint,
    },
    /// A pairing succeeded.
    Paired {
        /// How.
        method: PairingMethod,
        /// The new peer.
        peer: DeviceId,
        /// The fingerprint of its static key.
        fingerprint: Fingerprint,
    },
    /// A pairing failed.
    PairingFailed {
        /// How it was attempted.
        method: PairingMethod,
        /// The peer, if it got far enough to name itself.
        peer: Option<DeviceId>,
        /// Why it failed.
        reason: PairingFailure,
    },
    /// A peer was unpaired.
    Unpaired {
        /// The peer.
        peer: DeviceId,
        /// Its key's fingerprint.
        fingerprint: Fingerprint,
    },
    /// A device id was blocked.
    DeviceBlocked {
        /// The blocked device.
        peer: DeviceId,
    },
    /// A key was blocked, under whatever id it comes.
    KeyBlocked {
        /// The blocked key's fingerprint.
        fingerprint: Fingerprint,
    },
    /// A known device presented a different key.
    KeyChangeDetected {
        /// The device.
        peer: DeviceId,
        /// The trusted key's fingerprint.
        old: Fingerprint,
        /// The presented key's fingerprint.
        new: Fingerprint,
        /// What the person chose.
        action: KeyChangeAction,
    },
    /// This device's X25519 identity key was rotated.
    KeyRotated {
        /// Planned or after a compromise.
        kind: RotationKind,
        /// The old key's fingerprint.
        old: Fingerprint,
        /// The new key's fingerprint.
        new: Fingerprint,
    },
    /// This device's keys were destroyed (spec 8.2).
    KeysDestroyed {
        /// The destroyed key's fingerprint.
        fingerprint: Fingerprint,
    },
    /// A session was refused.
    SessionRefused {
        /// Why.
        reason: RefusalReason,
        /// The id the peer claimed.
        peer: DeviceId,
        /// The fingerprint of the key it presented.
        fingerprint: Fingerprint,
    },
    /// Refusals beyond the budget in one window, counted instead of recorded.
    RefusalsSummarized {
        /// Start of the window (the caller's clock).
        window_start: u64,
        /// How many refusals were not recorded, by reason, in the order of
        /// [`RefusalReason::ALL`].
        suppressed: [u32; 4],
    },
    /// The chain's signing key changes. Written only by
    /// [`crate::audit::AuditWriter::rotate_signing_key`].
    SigningKeyRotation {
        /// The Ed25519 key that signs the chain after this record.
        new_key: [u8; 32],
        /// The new key's signature over the chain position and both keys.
        proof: FixedBytes<64>,
    },
}
