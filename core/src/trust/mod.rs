//! Trust on first use and key-change detection: the vocabulary shared by the
//! trust decision, the audit log and the host.

use serde::{Deserialize, Serialize};

/// What the person chose when a known device presented a new key (spec
/// section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyChangeAction {
    /// Refuse the new key, keep the old one, and remember the new key as
    /// blocked.
    Block,
    /// Pair again by QR, PIN or NFC; success replaces the key.
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
