//! The outcome of a pairing before a person confirms it.

use crate::crypto::x25519::StaticPublicKey;
use crate::identity::{DeviceId, DeviceName, Fingerprint};
use crate::trust::{PeerRecord, TrustedKey};
use crate::wire::PayloadFlags;

use super::PairingMethod;

/// A peer whose key a pairing handshake has verified, awaiting a person's
/// decision.
///
/// The spec asks the scanner's user to confirm physical proximity, and the
/// creator's user also sees who scanned before the peer is trusted, so
/// whoever photographs a code cannot pair unseen. Both sides therefore end
/// with a `PendingPeer` and call [`PendingPeer::confirm`] or
/// [`PendingPeer::reject`].
///
/// A device without a screen (an NFC accessory) confirms by a physical action
/// its firmware reports (a button press) and then calls `confirm`. Firmware
/// that calls `confirm` with no action at all is an auto-accept policy: its
/// risk is that anyone who obtains the code while it is valid (who reads the
/// freshly written tag, or photographs the QR code) pairs without anyone
/// noticing; the payload's short validity and single use bound that window,
/// but do not close it. Such firmware should at least signal every pairing
/// (a light, a sound) and offer a way to list and remove peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingPeer {
    /// The peer's id, as it sent it in the handshake.
    pub id: DeviceId,
    /// The peer's name.
    pub name: DeviceName,
    /// The peer's static key, verified by the handshake but not yet trusted.
    pub key: StaticPublicKey,
    /// Its fingerprint, to show.
    pub fingerprint: Fingerprint,
    /// How the pairing ran.
    pub method: PairingMethod,
    /// What the peer announced about itself.
    pub flags: PayloadFlags,
}

impl PendingPeer {
    /// The person confirmed: the key becomes trusted, as of `now`.
    #[must_use]
    pub const fn confirm(self, now: u64) -> PeerRecord {
        PeerRecord {
            id: self.id,
            name: self.name,
            key: TrustedKey::new(self.key),
            method: self.method,
            paired_at: now,
            pending_key: None,
        }
    }

    /// The person declined: nothing is trusted.
    pub const fn reject(self) {}
}
