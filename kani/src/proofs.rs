//! The harnesses. Under Kani each is a `#[kani::proof]` over every value of
//! its inputs; under `cargo test` each is a `#[test]` that runs the same body
//! through [`crate::shim::check`].
//!
//! Loop bounds: subtle compares slices one byte per iteration, so a harness
//! over `N`-byte inputs needs an unwind bound of `N + 1`; the bounds below
//! leave one more for the comparison `==` makes.

use honeylink_core::crypto::ct::{ct_eq, ct_eq_array};
use honeylink_core::identity::{DeviceId, Fingerprint};

#[cfg(not(kani))]
use crate::shim::{self as kani, check};

/// Under Kani one symbolic run covers every value: nothing to repeat.
#[cfg(kani)]
fn check(mut harness: impl FnMut()) {
    harness();
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
