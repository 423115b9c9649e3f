//! The harnesses. Under Kani each is a `#[kani::proof]` over every value of
//! its inputs; under `cargo test` each is a `#[test]` that runs the same body
//! through [`crate::shim::check`].
//!
//! Loop bounds: subtle compares slices one byte per iteration, so a harness
//! over `N`-byte inputs needs an unwind bound of `N + 1`; the bounds below
//! leave one more for the comparison `==` makes.
//!
//! Harnesses that pick from a small domain call [`choose`] (Kani: a symbolic
//! index with an assumption; the shim: every index in turn, under
//! [`exhaust`]), so the same body is a proof upstream and an exhaustive run
//! here. The submodules hold the harnesses by subject; this one holds the
//! constant-time comparisons and the helpers.

// Harness code, compiled only for tests and Kani: a failed assertion is a
// failed proof, and indexing a fixed array with a bounded index is the
// clearest way to state one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod audit;
mod decoders;
mod handshake;
mod pin;
mod session;
mod text;
mod trust;

use honeylink_core::crypto::ct::{ct_eq, ct_eq_array};
use honeylink_core::identity::{DeviceId, Fingerprint};

#[cfg(not(kani))]
pub(crate) use crate::shim::{self as kani, check, choose, choose_index, exhaust};

/// Under Kani one symbolic run covers every value: nothing to repeat.
#[cfg(kani)]
pub(crate) fn check(mut harness: impl FnMut()) {
    harness();
}

/// Under Kani one symbolic run covers every combination of choices.
#[cfg(kani)]
pub(crate) fn exhaust(_seeds: u64, mut harness: impl FnMut()) -> u64 {
    harness();
    1
}

/// A symbolic index below `bound`.
#[cfg(kani)]
pub(crate) fn choose(bound: u64) -> u64 {
    let value: u64 = kani::any();
    kani::assume(value < bound);
    value
}

/// A symbolic `usize` below `bound`.
#[cfg(kani)]
pub(crate) fn choose_index(bound: usize) -> usize {
    let value: usize = kani::any();
    kani::assume(value < bound);
    value
}

/// Input for a decoder, at most `N` bytes: returns the bytes and the
/// length to use.
///
/// Either any `N` bytes cut at any length (under Kani this branch alone
/// covers every input up to `N` bytes), or `valid` (at most `N` bytes) with
/// up to three bytes replaced, at its own length or cut or extended to
/// another. The second branch adds nothing to a proof; it is there so the
/// shim, which samples, reaches the decoder's later checks, which random
/// bytes almost never get past a header to reach.
pub(crate) fn bytes_near<const N: usize>(valid: &[u8]) -> ([u8; N], usize) {
    let mut bytes: [u8; N] = kani::any();
    let mut len = choose_index(N + 1);
    let start_valid: bool = kani::any();
    if start_valid && valid.len() <= N {
        bytes[..valid.len()].copy_from_slice(valid);
        let keep_len: bool = kani::any();
        if keep_len {
            len = valid.len();
        }
        for _ in 0..choose(4) {
            let at = choose_index(N);
            bytes[at] = kani::any();
        }
    }
    (bytes, len)
}

/// Length of the keys, tags and hashes compared with `ct_eq_array`.
const KEY_LEN: usize = 32;
/// Longest slice in the slice harness (each length up to it is covered).
const MAX_SLICE_LEN: usize = 16;

/// `ct_eq_array::<32>` is `==` on 32-byte arrays.
#[cfg_attr(kani, kani::proof, kani::unwind(34))]
#[cfg_attr(not(kani), test)]
fn ct_eq_array_agrees_with_eq() {
    check(|| {
        let a: [u8; KEY_LEN] = kani::any();
        let b: [u8; KEY_LEN] = kani::any();
        assert_eq!(ct_eq_array(&a, &b), a == b, "{a:02x?} vs {b:02x?}");
    });
}

/// `ct_eq` is `==` on byte slices of every pair of lengths up to
/// [`MAX_SLICE_LEN`], equal or not.
#[cfg_attr(kani, kani::proof, kani::unwind(18))]
#[cfg_attr(not(kani), test)]
fn ct_eq_agrees_with_eq_on_bounded_slices() {
    check(|| {
        let a: [u8; MAX_SLICE_LEN] = kani::any();
        let b: [u8; MAX_SLICE_LEN] = kani::any();
        let a_len: usize = kani::any();
        let b_len: usize = kani::any();
        kani::assume(a_len <= MAX_SLICE_LEN);
        kani::assume(b_len <= MAX_SLICE_LEN);
        match (a.get(..a_len), b.get(..b_len)) {
            (Some(a), Some(b)) => assert_eq!(ct_eq(a, b), a == b, "{a:02x?} vs {b:02x?}"),
            _ => unreachable!("both lengths are assumed to be at most MAX_SLICE_LEN"),
        }
    });
}

/// The `PartialEq` of [`DeviceId`] and [`Fingerprint`], built on subtle, is
/// equality of their bytes.
#[cfg_attr(kani, kani::proof, kani::unwind(22))]
#[cfg_attr(not(kani), test)]
fn id_and_fingerprint_equality_is_byte_equality() {
    check(|| {
        let a: [u8; DeviceId::LEN] = kani::any();
        let b: [u8; DeviceId::LEN] = kani::any();
        assert_eq!(DeviceId::from_bytes(a) == DeviceId::from_bytes(b), a == b);
        let c: [u8; Fingerprint::LEN] = kani::any();
        let d: [u8; Fingerprint::LEN] = kani::any();
        assert_eq!(
            Fingerprint::from_bytes(c) == Fingerprint::from_bytes(d),
            c == d
        );
    });
}
