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
///
/// Only a pairing run makes one (its fields are private), so only a person's
/// confirmation of a verified pairing turns a received key into a
/// [`TrustedKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingPeer {
    id: DeviceId,
    name: DeviceName,
    key: StaticPublicKey,
    method: PairingMethod,
    flags: PayloadFlags,
}

impl PendingPeer {
    pub(crate) const fn new(
        id: DeviceId,
        name: DeviceName,
        key: StaticPublicKey,
        method: PairingMethod,
        flags: PayloadFlags,
    ) -> Self {
        Self {
            id,
            name,
            key,
            method,
            flags,
        }
    }

    /// A pending peer made by hand, as if a pairing had verified it. Testing
    /// only: real ones come from pairing runs.
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub const fn hazmat_new(
        id: DeviceId,
        name: DeviceName,
        key: StaticPublicKey,
        method: PairingMethod,
    ) -> Self {
        Self::new(id, name, key, method, PayloadFlags::empty())
    }

    /// The peer's id, as it sent it in the handshake.
    #[must_use]
    pub const fn id(&self) -> DeviceId {
        self.id
    }

    /// The peer's name.
    #[must_use]
    pub const fn name(&self) -> DeviceName {
        self.name
    }

    /// The peer's static key, verified by the handshake but not yet trusted.
    #[must_use]
    pub const fn key(&self) -> &StaticPublicKey {
        &self.key
    }

    /// Its fingerprint, to show.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.key)
    }

    /// How the pairing ran.
    #[must_use]
    pub const fn method(&self) -> PairingMethod {
        self.method
    }

    /// What the peer announced about itself.
    #[must_use]
    pub const fn flags(&self) -> PayloadFlags {
        self.flags
    }

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
            reverify_requested: false,
        }
    }

    /// The person declined: nothing is trusted.
    pub const fn reject(self) {}
}

#[cfg(test)]
mod tests {
    use super::PendingPeer;
    use crate::crypto::x25519::StaticSecret;
    use crate::identity::{DeviceId, DeviceName, Fingerprint};
    use crate::pairing::PairingMethod;
    use crate::testing::SeededRng;
    use crate::wire::PayloadFlags;

    #[test]
    fn confirming_trusts_exactly_what_the_handshake_verified() {
        let key = *StaticSecret::generate(&mut SeededRng::new([3; 32]))
            .expect("seeded")
            .public_key();
        let id = DeviceId::from_bytes([4; 16]);
        let name = DeviceName::new("lock").expect("valid name");
        let peer = PendingPeer::new(id, name, key, PairingMethod::Nfc, PayloadFlags::HEADLESS);
        assert_eq!(peer.flags(), PayloadFlags::HEADLESS);
        assert_eq!(peer.fingerprint(), Fingerprint::of(&key));
        assert_eq!(peer.method(), PairingMethod::Nfc);
        let record = peer.confirm(1_700_000_000);
        assert_eq!(record.id, id);
        assert_eq!(record.name, name);
        assert_eq!(record.key.key(), &key);
        assert_eq!(record.method, PairingMethod::Nfc);
        assert_eq!(record.paired_at, 1_700_000_000);
        assert_eq!(record.pending_key, None);
        assert!(!record.reverify_requested);
    }
}
