//! Links `honeylink-core` into a `#![no_std]` static library with its own
//! panic handler, so that any use of `std` in the core or its dependencies
//! breaks this build: a second `panic_impl` lang item on a host target, a
//! missing `std` crate on a bare-metal one.
//!
//! [`self_check`] calls enough of the core (identity generation, X25519,
//! Ed25519, SHA-512 fingerprints and their base32 text form) that the code
//! behind those calls is compiled for the target, not only type-checked.

#![no_std]
#![forbid(unsafe_code)]

use core::convert::Infallible;
use core::panic::PanicInfo;

use honeylink_core::identity::{DeviceIdentity, Fingerprint, SigningContext};
use rand_core::{TryCryptoRng, TryRng};

/// A SplitMix64 generator: deterministic and **not** cryptographic. It only
/// gives [`self_check`] something to pass where the core asks for an RNG; a
/// product passes its hardware TRNG.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl TryRng for SplitMix64 {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(word) {
                *d = s;
            }
        }
        Ok(())
    }
}

// Only for this build check; see the type's documentation.
impl TryCryptoRng for SplitMix64 {}

/// Makes two identities from `seed`, and checks that they agree on an X25519
/// shared secret, that a signature verifies (and fails on another message),
/// and that a fingerprint's text form parses back to itself.
///
/// Returns `false` if any step fails; it never panics.
pub fn self_check(seed: u64) -> bool {
    let mut rng = SplitMix64(seed);
    let (Ok(alice), Ok(bob)) = (
        DeviceIdentity::generate(&mut rng),
        DeviceIdentity::generate(&mut rng),
    ) else {
        return false;
    };

    let ab = alice
        .static_secret()
        .diffie_hellman(&bob.static_public_key().as_dh_input());
    let ba = bob
        .static_secret()
        .diffie_hellman(&alice.static_public_key().as_dh_input());
    let agreed = match (ab, ba) {
        (Ok(ab), Ok(ba)) => ab.expose_secret() == ba.expose_secret(),
        _ => false,
    };

    let Ok(context) = SigningContext::new("no-std-check") else {
        return false;
    };
    let signature = alice.sign(&context, b"paired with bob");
    let verifies = context
        .verify(&alice.verifying_key(), b"paired with bob", &signature)
        .is_ok();
    let forgery_refused = context
        .verify(&alice.verifying_key(), b"paired with eve", &signature)
        .is_err();

    let fingerprint = alice.fingerprint();
    let text = fingerprint.to_text();
    let round_trips = core::str::from_utf8(&text)
        .ok()
        .and_then(|t| t.parse::<Fingerprint>().ok())
        .is_some_and(|parsed| parsed == fingerprint);

    agreed && verifies && forgery_refused && round_trips
}

/// Firmware would reset or log here; the check only needs a handler to exist.
#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
