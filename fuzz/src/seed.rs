//! Writes structured inputs as the bytes `arbitrary` reads them from, so the
//! seed generator can store honest runs (and chosen alterations) as corpus
//! files. [`to_bytes`] checks every encoding by parsing it back.
//!
//! The format is `arbitrary` 1.x's: integers little-endian, an enum variant
//! as a `u32` scaled onto the variant count, a collection as elements each
//! preceded by a continuation byte (1), ended by a 0.

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};

/// The bytes being written.
#[derive(Default, Debug)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// A `u8`.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    /// A `u16`.
    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A `u32`.
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A `u64`.
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A `bool`.
    pub fn bool(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    /// Variant `index` of an enum with `count` variants: the smallest `u32`
    /// that `(x * count) >> 32` maps to it.
    pub fn variant(&mut self, index: u32, count: u32) {
        let x = ((u64::from(index) << 32).div_ceil(u64::from(count))) as u32;
        self.u32(x);
    }
    /// A `Vec<u8>`.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0.extend_from_slice(&[1, *b]);
        }
        self.0.push(0);
    }
    /// A `Vec<T>`.
    pub fn vec<T: Encode>(&mut self, items: &[T]) {
        for item in items {
            self.0.push(1);
            item.encode(self);
        }
        self.0.push(0);
    }
}

/// A value the seed generator can write as `arbitrary` input.
pub trait Encode {
    /// Appends this value's bytes.
    fn encode(&self, w: &mut Writer);
}

/// `value` as input bytes; panics if `arbitrary` would not read them back as
/// `value` (the encoder and the derive disagree).
pub fn to_bytes<T>(value: &T) -> Vec<u8>
where
    T: Encode + for<'a> Arbitrary<'a> + PartialEq + Debug,
{
    let mut w = Writer::default();
    value.encode(&mut w);
    let back = T::arbitrary_take_rest(Unstructured::new(&w.0)).expect("parses");
    assert_eq!(&back, value, "the seed encoder disagrees with arbitrary");
    w.0
}
