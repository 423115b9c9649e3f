//! What the fuzz targets share: the honest parties (fixed identities,
//! seeded RNGs), the alterations a fuzzer makes to the messages between them
//! ([`tamper`]), the structured inputs of the state-machine targets and the
//! drivers that play both sides ([`drive`]), and the encoder that writes
//! those inputs as bytes for the seed corpora ([`seed`]).
//!
//! A driver plays both sides of an exchange honestly and passes every message
//! through a [`tamper::Transcript`], which applies the fuzzer's alterations
//! and remembers which delivered messages differ from what was written. The
//! properties the targets assert are stated at the top of each target.

pub mod drive;
pub mod host;
pub mod seed;
pub mod tamper;

use std::sync::OnceLock;

use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::pairing::LocalDevice;
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::PayloadFlags;

/// Longest plaintext or payload a driver takes from the input, so one run
/// stays small and fast.
pub const MAX_PLAINTEXT: usize = 96;

/// Three fixed device identities: 0 and 1 are the honest parties, 2 a
/// third device (for trust stores that know someone else). Generated once.
pub fn identities() -> &'static [DeviceIdentity; 3] {
    static IDS: OnceLock<[DeviceIdentity; 3]> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut rng = SeededRng::new([0x1d; 32]);
        std::array::from_fn(|_| DeviceIdentity::generate(&mut rng).expect("seeded RNG"))
    })
}

/// The names the honest parties use.
pub const NAMES: [&str; 3] = ["Alice's phone", "Bob's lock", "Mallory"];

/// Device `i` as it presents itself in pairing.
pub fn local(i: usize) -> LocalDevice<'static> {
    LocalDevice {
        identity: &identities()[i],
        name: DeviceName::new(NAMES[i]).expect("valid name"),
        flags: if i == 1 {
            PayloadFlags::HEADLESS
        } else {
            PayloadFlags::empty()
        },
    }
}

/// A deterministic RNG for one party of one run: the same `seed` and
/// `party` always give the same bytes.
pub fn rng(seed: u16, party: u8) -> SeededRng {
    let mut key = [0u8; 32];
    key[..2].copy_from_slice(&seed.to_le_bytes());
    key[2] = party;
    key[3] = 0xf2;
    SeededRng::new(key)
}

/// At most [`MAX_PLAINTEXT`] bytes of `bytes`.
pub fn capped(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(MAX_PLAINTEXT)]
}
