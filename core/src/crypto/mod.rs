//! Typed primitives over fixed-size arrays: X25519, Ed25519,
//! ChaCha20-Poly1305, SHA-512, HMAC-SHA512, HKDF-SHA512, constant-time
//! comparison and the secret-byte container they share.
//!
//! Everything above this module (Noise, pairing, trust, audit) reaches the
//! RustCrypto and dalek crates only through these types, so the rules of the
//! crate docs (injected randomness, zeroization, canonical keys, strict
//! verification, opaque AEAD failure) are enforced in one place.

pub mod aead;
pub mod ct;
pub mod ed25519;
pub mod hash;
mod random;
mod secret;
pub mod x25519;

pub(crate) use random::fill_random;
pub use secret::SecretBytes;
