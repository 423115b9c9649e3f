//! The trust decision: one pure function for firmware and host.

use super::PeerRecord;
use crate::Error;
use crate::crypto::x25519::{KEY_LEN, StaticPublicKey};
use crate::identity::{DeviceId, Fingerprint};

/// What a device's stored trust says about a presented id and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The id is trusted with exactly this key.
    Trusted,
    /// Neither the id nor the key is known (the spec's "Untrusted Device").
    Unknown,
    /// The device is blocked, or the presented key is a blocked key (under
    /// whatever id it comes).
    Blocked,
    /// A known id presented a different key: warn and let the person choose
    /// an action ([`super::KeyChangeAction`]).
    KeyChanged {
        /// The trusted key's fingerprint.
        old: Fingerprint,
        /// The presented key's fingerprint.
        new: Fingerprint,
    },
    /// A trusted key presented under another id: refused.
    IdentityMismatch,
}

impl Decision {
    /// Whether a session may proceed.
    #[must_use]
    pub const fn is_trusted(&self) -> bool {
        matches!(self, Self::Trusted)
    }
}

/// Read access to stored trust, implemented by [`super::TrustStore`] and by
/// any store a host keeps, so both reach the same [`decide`].
pub trait TrustView {
    /// The record for `id`, if the device is paired.
    fn peer_by_id(&self, id: &DeviceId) -> Option<&PeerRecord>;
    /// The record whose trusted key is `key`, if any (compared in constant
    /// time).
    fn peer_by_key(&self, key: &StaticPublicKey) -> Option<&PeerRecord>;
    /// Whether `id` is blocked.
    fn is_device_blocked(&self, id: &DeviceId) -> bool;
    /// Whether `key` is blocked.
    fn is_key_blocked(&self, key: &StaticPublicKey) -> bool;
}

/// Decides what to do with a presented id and (canonical) key.
///
/// When several answers apply, the first in this order wins: Blocked,
/// IdentityMismatch, KeyChanged, Trusted, Unknown. Pure: it changes nothing;
/// the caller records a pending key or an audit event as it chooses.
#[must_use]
pub fn decide<V: TrustView + ?Sized>(view: &V, id: &DeviceId, key: &StaticPublicKey) -> Decision {
    if view.is_device_blocked(id) || view.is_key_blocked(key) {
        return Decision::Blocked;
    }
    if let Some(owner) = view.peer_by_key(key)
        && owner.id != *id
    {
        return Decision::IdentityMismatch;
    }
    match view.peer_by_id(id) {
        Some(peer) if peer.key.key() == key => Decision::Trusted,
        Some(peer) => Decision::KeyChanged {
            old: peer.key.fingerprint(),
            new: Fingerprint::of(key),
        },
        None => Decision::Unknown,
    }
}

/// [`decide`] for a key in any 32-byte spelling: it is canonicalized first
/// (bit 255 cleared, reduced modulo p), so a trusted or blocked key presented
/// with bit 255 set is still recognised.
///
/// # Errors
/// [`Error::LowOrderKey`] for a key of small order, which no device can own.
pub fn decide_raw<V: TrustView + ?Sized>(
    view: &V,
    id: &DeviceId,
    key: &[u8; KEY_LEN],
) -> Result<Decision, Error> {
    Ok(decide(view, id, &StaticPublicKey::canonicalize(key)?))
}
