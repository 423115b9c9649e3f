//! The Noise Protocol Framework (revision 34) for HoneyLink: the XX pattern
//! for sessions between paired devices and XXpsk2 for pairing, with
//! Curve25519, ChaChaPoly and SHA512.
//!
//! ```text
//! XX:                       XXpsk2:
//!   -> e                      -> e
//!   <- e, ee, s, es           <- e, ee, s, es, psk
//!   -> s, se                  -> s, se
//! ```
//!
//! [`HandshakeState`] follows the specification's `CipherState`,
//! `SymmetricState` and `HandshakeState` exactly (HKDF through HMAC-SHA512,
//! the protocol name as the initial hash input), so any conformant Noise
//! library talks to it: the tests run the cacophony vector for
//! `Noise_XX_25519_ChaChaPoly_SHA512` byte for byte and interoperate with
//! the `snow` crate in both roles for both patterns.
//!
//! ## Why XXpsk2 for pairing
//!
//! With the PSK mixed at the end of message 2, message 2's payload tag proves
//! to the initiator that the responder holds the PSK *before* the initiator
//! sends its own static key in message 3; message 3 proves the same of the
//! initiator. A wrong PSK fails on both sides.
//!
//! ## What XX lets any initiator learn
//!
//! XX encrypts the static keys, but the responder sends its static key in
//! message 2 under keys derived only from ephemeral Diffie-Hellman, to
//! whoever sent message 1 (Noise section 7.8: the responder's identity is
//! exposed to an active attacker). So an anonymous prober that completes
//! message 1 learns the responder's static key, and, in a pairing, that the
//! device is pairing (by the prologue's mode and by the PSK failing). In
//! XXpsk2 the prober learns the static key but cannot complete message 2's
//! verification without the PSK. HoneyLink's session payloads carry no
//! device name, so a prober learns no more than the key.
//!
//! The HoneyLink layer above this module fixes the [`Prologue`] and the
//! payloads ([`crate::wire::HandshakePayload`]); this module takes any
//! prologue and payload the specification allows.

mod cipher;
mod handshake;
mod prologue;
mod symmetric;

pub(crate) use cipher::rekey;
pub use cipher::{CipherState, KEY_LEN, TAG_LEN};
pub use handshake::{HandshakeOutcome, HandshakeState, Next, Role};
pub use prologue::{Mode, PROTOCOL_VERSION, PairingMethod, Prologue};

use crate::crypto::SecretBytes;

/// Largest Noise message, in bytes (Noise section 3).
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// Length of a pre-shared key.
pub const PSK_LEN: usize = 32;

/// A Noise pre-shared key (from a QR secret or a PIN-authenticated key).
pub type Psk = SecretBytes<PSK_LEN>;

/// The Noise protocol a handshake runs.
#[derive(Debug)]
pub enum Protocol {
    /// `Noise_XX_25519_ChaChaPoly_SHA512`: sessions between paired devices.
    Xx,
    /// `Noise_XXpsk2_25519_ChaChaPoly_SHA512`: pairing, with its PSK.
    XxPsk2(Psk),
}

impl Protocol {
    /// The full Noise protocol name, hashed as the handshake's first input.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Xx => "Noise_XX_25519_ChaChaPoly_SHA512",
            Self::XxPsk2(_) => "Noise_XXpsk2_25519_ChaChaPoly_SHA512",
        }
    }
}
