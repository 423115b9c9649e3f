//! Signed, hash-chained audit records (spec 11.1), in the exact bytes that
//! firmware and host both sign and verify.
//!
//! Each record is a postcard-encoded, versioned body (domain tag, sequence
//! number, time, SHA-512 of the previous record's full signed bytes, the
//! signer's Ed25519 key, and the [`Event`]), followed by the signer's Ed25519
//! signature over the body. The host stores these signed bytes verbatim beside
//! any readable form, so verification never depends on re-serialising JSON.
//!
//! ## Chain rules
//!
//! - Record 0 is [`Event::Genesis`]: it names the device's [`DeviceId`] and
//!   the signing public key, and is signed by that key.
//! - A signing-key rotation is [`Event::SigningKeyRotation`]: signed by the
//!   old key, and carrying the new key's signature over the chain position
//!   and both keys (proof of possession). Later records are signed by the new
//!   key; a verifier follows the chain across the rotation.
//! - A self-signed first record proves nothing alone, so [`ChainVerifier`]
//!   starts from an [`Anchor`]: the expected signing key (from the device
//!   identity) or the first record's hash; optionally it is given the chain's
//!   head ([`ChainHead`]) kept elsewhere. The key anchor is the chain's
//!   *first* signing key: after a rotation, a verifier still starts from the
//!   original key (or the first record's hash) and follows the rotations, so
//!   a device keeps its original public key (or that hash) for verifiers.
//!
//! ## What the chain proves, and what it does not
//!
//! The chain proves that no one without the signing key changed, removed,
//! reordered or inserted records: each is caught at the first bad record, with
//! the reason. It does not stop whoever holds the signing key (the device
//! itself, or an attacker who compromised it) from writing a whole new chain,
//! or from dropping the newest records and carrying on. A head kept elsewhere
//! (another device, a printout, a backup) detects a truncated tail and any
//! rewrite of records up to that head, but not records written after it,
//! and not a rewrite by the key holder before the head was taken.
//!
//! ## Flood control
//!
//! An unauthenticated peer can present a fresh id and key on every attempt,
//! so "session refused" events pass through a [`RefusalLimiter`]: a fixed
//! table and a budget per refusal reason and time window, keyed by reason,
//! id and key, so cheap refusals never hide the first record of a serious
//! one. See its docs for the bound.
//!
//! [`DeviceId`]: crate::identity::DeviceId

mod event;
mod flood;
mod record;
mod verify;
mod writer;

pub use event::{Event, PairingFailure, RotationKind};
pub use flood::{
    Admission, REFUSAL_BUDGET, REFUSAL_TABLE_SIZE, REFUSAL_WINDOW_SECS, RefusalLimiter,
};
pub use record::{MAX_RECORD_LEN, Record};
pub use verify::{Anchor, ChainVerifier, Rejection, RejectionReason};
pub use writer::{AuditWriter, ChainHead};
