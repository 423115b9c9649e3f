//! # honeylink-core
//!
//! The cryptographic and protocol core of HoneyLink, a peer-to-peer
//! key-management stack: devices pair by physical proximity (QR code, PIN,
//! NFC), trust each other's keys on first use, detect key changes, and talk
//! over Noise sessions. This crate is `#![no_std]`, uses no allocator and no
//! `unsafe`, and does no I/O: the desktop host and an accessory's firmware
//! link the same code and drive the same API.
//!
//! ```
//! use honeylink_core::identity::{DeviceIdentity, Fingerprint, SigningContext};
//! use honeylink_core::testing::SeededRng; // a real device passes its OS or hardware RNG
//!
//! let mut rng = SeededRng::new([7; 32]);
//! let alice = DeviceIdentity::generate(&mut rng)?;
//! let bob = DeviceIdentity::generate(&mut rng)?;
//!
//! // Both sides of a Diffie-Hellman agree.
//! let ab = alice.static_secret().diffie_hellman(&bob.static_public_key().as_dh_input())?;
//! let ba = bob.static_secret().diffie_hellman(&alice.static_public_key().as_dh_input())?;
//! assert_eq!(ab.expose_secret(), ba.expose_secret());
//!
//! // A fingerprint survives being read aloud and typed back in lower case.
//! let typed = alice.fingerprint().to_string().to_lowercase();
//! assert_eq!(typed.parse::<Fingerprint>()?, alice.fingerprint());
//!
//! // The device's Ed25519 key signs audit records (through the audit
//! // writer) and, framed by a named context, anything else: such a
//! // signature verifies only for its context, never as an audit record.
//! let context = SigningContext::new("example: pairing note v1")?;
//! let signature = alice.sign(&context, b"paired with bob");
//! context.verify(&alice.verifying_key(), b"paired with bob", &signature)?;
//! assert!(alice.verifying_key().verify(b"paired with bob", &signature).is_err());
//! # Ok::<(), honeylink_core::Error>(())
//! ```
//!
//! ## Shared decisions
//!
//! Every module, and the host and firmware above them, builds on these rules.
//!
//! - **Randomness is injected.** Every function that needs randomness takes
//!   `&mut R` with `R: rand_core::TryCryptoRng + ?Sized` (rand_core 0.10)
//!   and turns an RNG failure into [`Error::Rng`], never a panic. Secrets are
//!   built from bytes the core draws itself. The host passes getrandom 0.4's
//!   `SysRng` (the spec's `OsRng` no longer exists in rand_core 0.10);
//!   firmware passes its hardware TRNG; tests pass a seeded or scripted RNG
//!   from `testing` (feature `hazmat-testing`).
//! - **Time is injected.** The caller passes `now` as `u64` seconds. A device
//!   without a wall clock may pass seconds since boot, so every expiry is
//!   judged by the side that created the thing that expires, against its own
//!   clock; the other side can only warn.
//! - **Errors.** One small `Copy` enum, [`Error`], with precise variants and
//!   no secret data. A failed AEAD open is the one opaque [`Error::Aead`]. A
//!   failed handshake message ends that handshake (Noise's rule: the state is
//!   destroyed and zeroized); a rejected transport record leaves the session
//!   exactly as it was.
//! - **X25519.** The Diffie-Hellman function accepts any 32 bytes
//!   ([`crypto::x25519::PublicKey`]; RFC 7748 section 5 masks bit 255 and its
//!   vectors rely on that) and refuses an all-zero result, which every
//!   low-order input produces. A key that identifies a device is a
//!   [`crypto::x25519::StaticPublicKey`]: canonical (bit 255 clear, `u < p`)
//!   and not of small order, so one key has one encoding and one fingerprint,
//!   and a blocked or trusted key cannot come back in another spelling.
//! - **Ed25519.** Public keys must decode as a curve point and not have small
//!   order; signatures must carry a reduced scalar; verification is
//!   `verify_strict`.
//! - **AEAD.** ChaCha20-Poly1305 takes a raw 96-bit nonce (RFC 8439), in
//!   place over the caller's buffer with a detached tag, so RFC vectors run
//!   through our own API; Noise's nonce encoding belongs to the Noise layer.
//! - **Identity.** A [`identity::DeviceId`] is 16 random bytes that stay the
//!   same when keys rotate, so a peer sees a key change rather than a
//!   stranger (spec section 7); its text form is 8-4-4-4-12 hex. A
//!   [`identity::Fingerprint`] is the first 20 bytes (160 bits) of SHA-512
//!   over a domain-separation label and the canonical X25519 static key,
//!   shown as base32 in groups that each end in a Luhn mod 32 check
//!   character, so any single mistyped character is reported as a typo.
//!   Device names are UTF-8, at most [`identity::DeviceName::MAX_LEN`] (32)
//!   bytes, with no control, default-ignorable or format (Cf) characters
//!   (Unicode 16.0.0 tables).
//! - **Secrets** ([`crypto::SecretBytes`], [`crypto::x25519::StaticSecret`],
//!   [`crypto::x25519::EphemeralSecret`], [`crypto::ed25519::SigningKey`],
//!   [`crypto::aead::AeadKey`], [`crypto::hash::Prk`],
//!   [`identity::DeviceIdentity`], [`identity::IdentitySecrets`]) are
//!   zeroized on drop, print `[redacted]` in `Debug`, are neither `Clone` nor
//!   `Copy`, and are reached only through methods named `expose_secret`,
//!   `to_bytes` or `to_seed` (for storage). Keys, tags, ids and PINs compare in constant time
//!   ([`crypto::ct`]).
//! - **Buffers** belong to the caller; a buffer that is too small is
//!   [`Error::BufferTooSmall`] with the size needed. Capacities are constants
//!   or const generics.
//!
//! ## Privacy
//!
//! A [`session::SessionResponder`] can be recognised by anyone who reaches
//! it. In Noise XX the responder's static key travels in message 2,
//! encrypted only under the ephemeral-ephemeral secret, so every active
//! prober that sends a message 1 learns it, and the key is a stable
//! identifier by itself. Message 2's payload adds the responder's
//! [`identity::DeviceId`] and flags. Sending the id later, after the
//! initiator is authenticated, would not hide the device while its static
//! key is sent to anyone, so the core does not pretend to: it documents the
//! exposure instead. Hiding the device would take a pattern in which paired
//! devices never send their static keys (Noise KK, keys known from
//! pairing), which the core does not offer yet. The prober learns this for
//! free and the responder learns nothing about the prober (message 1 is an
//! ephemeral key only). The initiator is not exposed the same way: it sends
//! its static key and id (message 3) only to a responder it already trusts.
//! A device should answer session handshakes only where being recognisable
//! is acceptable.
//!
//! ## Features
//!
//! - `fast` (off by default): precomputed basepoint tables for X25519 and
//!   Ed25519, about 30 KiB more flash for faster key generation and signing.
//!   The host turns it on; firmware chooses.
//! - `hazmat-testing` (off by default): deterministic RNGs in the `testing`
//!   module, and accessors that expose secrets or skip a check (methods and
//!   functions named `hazmat_*`, and `HandshakeState::with_raw_prologue`),
//!   for tests, fuzzers and published vectors. Never in a product build.
//!
//! There is no `std` feature: [`Error`] implements `core::error::Error`,
//! which is the same trait as `std::error::Error`, so nothing in the crate
//! needs std.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::cast_possible_truncation
    )
)]

pub mod audit;
pub mod crypto;
mod error;
pub mod identity;
pub mod noise;
pub mod pairing;
pub mod session;
#[cfg(any(test, feature = "hazmat-testing"))]
pub mod testing;
pub mod trust;
pub mod wire;

pub use error::{Error, Result};

/// The unit tests' allocator: it lets a test see a heap block as it stood
/// when freed, to show that a secret's `Drop` wiped it (`freed_on_drop`).
/// Not under Miri, which would rightly refuse its reading of padding.
#[cfg(test)]
#[cfg(not(miri))]
#[global_allocator]
static FREED_SCANNER: honeylink_probe::ScanningAlloc = honeylink_probe::ScanningAlloc;

/// Boxes `value`, drops it, and returns the box's memory as it stood when
/// it was freed: what a `Drop` that forgot to wipe would leave behind.
/// Checks that the block seen is the box itself, not one the value freed
/// inside its own drop.
#[cfg(test)]
#[cfg(not(miri))]
fn freed_on_drop<T>(value: T) -> honeylink_probe::FreedBlock {
    extern crate std;
    // `black_box`: an optimised build could otherwise elide the allocation.
    let boxed = core::hint::black_box(std::boxed::Box::new(value));
    let ((), block) = honeylink_probe::last_freed(|| drop(boxed));
    let block = block.expect("the box was freed while scanning");
    assert_eq!(block.bytes().len(), size_of::<T>(), "not the box's block");
    block
}

#[cfg(test)]
#[cfg(not(miri))]
mod freed_memory_tests {
    /// The control: a block freed without wiping shows its bytes, so a
    /// wiped one's missing bytes mean something.
    #[test]
    fn the_scanner_sees_what_an_unwiped_drop_leaves() {
        let block = super::freed_on_drop([0xabu8; 48]);
        assert_eq!(block.bytes(), &[0xab; 48]);
        assert!(block.contains(&[0xab; 32]));
    }
}
