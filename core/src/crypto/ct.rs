//! Constant-time equality.
//!
//! Keys, tags, ids and PINs are compared with [`subtle`], so the time a
//! comparison takes does not depend on where two values first differ. Every
//! `PartialEq` on such a type in this crate is built on [`ct_eq`].

use subtle::ConstantTimeEq;

/// Whether `a` and `b` hold the same bytes, in time that depends only on
/// their lengths (which are public).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Fixed-size variant of [`ct_eq`]; lengths are equal by construction.
#[must_use]
pub fn ct_eq_array<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_eq_on_edge_cases() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"", b""),
            (b"a", b"a"),
            (b"a", b"b"),
            (b"ab", b"a"),
            (&[0xff; 32], &[0xff; 32]),
            (&[0; 32], &[0x80; 32]),
        ];
        for (a, b) in cases {
            assert_eq!(ct_eq(a, b), a == b, "{a:?} vs {b:?}");
        }
        let mut x = [7u8; 64];
        let y = x;
        assert!(ct_eq_array(&x, &y));
        x[63] ^= 1;
        assert!(!ct_eq_array(&x, &y));
    }
}
