//! Trust on first use and key-change detection (spec 6.3, 7, 8.1): one pure
//! decision function, [`decide`], that firmware and host both call with the
//! presented id and key, and a fixed-capacity [`TrustStore`] for firmware,
//! with an authenticated flash image.
//!
//! A key received in a handshake is a [`StaticPublicKey`]; only a person's
//! confirmation of a pairing (or loading a store) makes a [`TrustedKey`].
//! Keys are compared in their canonical form and in constant time, so a
//! trusted or blocked key is recognised however it is spelled.
//!
//! [`StaticPublicKey`]: crate::crypto::x25519::StaticPublicKey

mod decision;
mod peer;
mod store;

pub use decision::{Decision, TrustView, decide, decide_raw};
pub use peer::{PeerRecord, TrustedKey};
pub use store::{Block, IMAGE_VERSION, ImageKey, TrustStore};

use serde::{Deserialize, Serialize};

/// What the person chose when a known device presented a new key (spec
/// section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyChangeAction {
    /// Refuse the new key, keep the old one, and remember the new key as
    /// blocked.
    Block,
    /// Pair again by QR, PIN or NFC; a pairing that proves the very key
    /// the person was shown (the pending key) replaces the trusted one. A
    /// pairing that brings any other key is refused: the person decided
    /// about one key, so the request is bound to it rather than left open
    /// (an open request would let whoever next shows a code under that id,
    /// with their own key, take the device's place).
    Reverify,
    /// Replace the key without re-pairing: explicit and dangerous.
    TrustNewKey,
}

/// Why a session was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefusalReason {
    /// The device is not trusted (the spec's "Untrusted Device").
    Untrusted,
    /// The device or the key it presented is blocked.
    Blocked,
    /// A known device presented a different key.
    KeyChanged,
    /// A trusted key was presented under another device id.
    IdentityMismatch,
}

impl RefusalReason {
    /// Every reason, in a fixed order (the index of each in summaries).
    pub const ALL: [Self; 4] = [
        Self::Untrusted,
        Self::Blocked,
        Self::KeyChanged,
        Self::IdentityMismatch,
    ];

    /// Position in [`RefusalReason::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}
