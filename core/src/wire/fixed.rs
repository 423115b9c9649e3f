//! Fixed-size byte arrays longer than serde's built-in 32, encoded by
//! postcard as exactly `N` bytes with no length prefix.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Error as _, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `N` bytes on the wire, as a tuple (postcard: no length prefix).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FixedBytes<const N: usize>(pub [u8; N]);

impl<const N: usize> Serialize for FixedBytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(N)?;
        for byte in &self.0 {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }
}

struct FixedVisitor<const N: usize>(PhantomData<[u8; N]>);

impl<'de, const N: usize> Visitor<'de> for FixedVisitor<N> {
    type Value = FixedBytes<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{N} bytes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = [0u8; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = seq
                .next_element()?
                .ok_or_else(|| A::Error::invalid_length(i, &self))?;
        }
        Ok(FixedBytes(out))
    }
}

impl<'de, const N: usize> Deserialize<'de> for FixedBytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_tuple(N, FixedVisitor::<N>(PhantomData))
    }
}

impl<const N: usize> fmt::Debug for FixedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_hex(f, &self.0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::ToString;

    use super::FixedBytes;

    #[test]
    fn postcard_form_is_exactly_n_bytes() {
        let value = FixedBytes([1u8, 2, 3, 0xff]);
        let mut buffer = [0u8; 8];
        let used = postcard::to_slice(&value, &mut buffer).map(|b| b.len());
        assert_eq!(used, Ok(4));
        assert_eq!(buffer[..4], [1, 2, 3, 0xff]);
        assert_eq!(postcard::from_bytes(&buffer[..4]), Ok(value));
        assert!(postcard::from_bytes::<FixedBytes<4>>(&buffer[..3]).is_err());
    }

    #[test]
    fn a_short_sequence_is_refused_with_the_length_expected() {
        let error = serde_json::from_str::<FixedBytes<3>>("[1,2]")
            .expect_err("two bytes are not three")
            .to_string();
        assert!(
            error.starts_with("invalid length 2, expected 3 bytes"),
            "{error}"
        );
        assert_eq!(
            serde_json::from_str::<FixedBytes<3>>("[1,2,3]").ok(),
            Some(FixedBytes([1, 2, 3]))
        );
    }

    #[test]
    fn debug_is_hex() {
        assert_eq!(format!("{:?}", FixedBytes([0x00u8, 0x7f, 0xa0])), "007fa0");
    }
}
