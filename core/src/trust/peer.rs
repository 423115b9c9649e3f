//! Trusted peers and their keys.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::crypto::x25519::StaticPublicKey;
use crate::identity::{DeviceId, DeviceName, Fingerprint};
use crate::pairing::PairingMethod;

/// A static key a person has chosen to trust. Made by confirming a pairing
/// ([`crate::pairing::PendingPeer::confirm`]), by the explicit "trust new
/// key" action, or by deserializing a stored record (the host's trust file,
/// a flash image whose MAC verified): so a key received in a handshake cannot
/// be used where a trusted one is required. Never deserialize one from
/// network bytes.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey(StaticPublicKey);

impl TrustedKey {
    pub(crate) const fn new(key: StaticPublicKey) -> Self {
        Self(key)
    }

    /// The key.
    #[must_use]
    pub const fn key(&self) -> &StaticPublicKey {
        &self.0
    }

    /// Its fingerprint.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.0)
    }
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustedKey({})", self.fingerprint())
    }
}

/// What a device remembers about a peer it trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRecord {
    /// The peer's stable id.
    pub id: DeviceId,
    /// Its name, as the person last saw or set it.
    pub name: DeviceName,
    /// The key trusted for it.
    pub key: TrustedKey,
    /// How it was paired.
    pub method: PairingMethod,
    /// When, by this device's clock.
    pub paired_at: u64,
    /// A different key it presented since, awaiting the person's decision
    /// (spec 7): kept until they choose block, re-verify or trust.
    pub pending_key: Option<StaticPublicKey>,
    /// The person chose to re-verify the key change to `pending_key`: a
    /// pairing with this id that brings exactly that key may replace the
    /// trusted one (and uses the request up). It is bound to the pending key,
    /// not to the id: a pairing that brings any other key for a known id is
    /// refused, so showing someone a code under a known device's id and name
    /// cannot take its place, with or without a request; a newer key change
    /// cancels it. Meaningless (and ignored) without a pending key.
    pub reverify_requested: bool,
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::TrustedKey;
    use crate::crypto::x25519::StaticSecret;
    use crate::identity::Fingerprint;
    use crate::testing::SeededRng;

    #[test]
    fn debug_shows_the_fingerprint_not_the_key_bytes() {
        let secret = StaticSecret::generate(&mut SeededRng::new([6; 32])).expect("seeded");
        let key = *secret.public_key();
        let trusted = TrustedKey::new(key);
        assert_eq!(trusted.fingerprint(), Fingerprint::of(&key));
        let shown = format!("{trusted:?}");
        assert_eq!(shown, format!("TrustedKey({})", Fingerprint::of(&key)));
        // Not even the key's first eight bytes, in hex.
        let hex: std::string::String = key
            .as_bytes()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&hex), "{shown}");
    }
}
