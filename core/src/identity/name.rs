use core::fmt;

use crate::Error;

/// Characters a name may not contain: control characters (C0, C1), and the
/// invisible formatting characters that can reorder or hide what a screen
/// shows: zero-width characters, bidirectional embeddings, overrides and
/// isolates, the word joiner family, line and paragraph separators, and the
/// byte-order mark.
fn is_refused(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// A device's human-readable name: UTF-8, 1 to [`DeviceName::MAX_LEN`] bytes,
/// no control or invisible formatting characters.
///
/// Names come from other devices and are shown to the person deciding whether
/// to trust them, so characters that can move a terminal's cursor, rewrite
/// what was printed, reverse the direction of text or hide in it are refused
/// rather than shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceName {
    bytes: [u8; DeviceName::MAX_LEN],
    len: u8,
}

impl DeviceName {
    /// Longest name in bytes.
    pub const MAX_LEN: usize = 32;

    /// Checks and copies a name.
    ///
    /// # Errors
    /// [`Error::NameEmpty`], [`Error::NameTooLong`] or
    /// [`Error::NameControlCharacter`].
    pub fn new(name: &str) -> Result<Self, Error> {
        Self::from_utf8(name.as_bytes())
    }

    /// Checks and copies a name received as bytes.
    ///
    /// # Errors
    /// [`Error::NameEmpty`], [`Error::NameTooLong`], [`Error::NameNotUtf8`] or
    /// [`Error::NameControlCharacter`].
    pub fn from_utf8(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::NameEmpty);
        }
        let mut stored = [0u8; Self::MAX_LEN];
        stored
            .get_mut(..bytes.len())
            .ok_or(Error::NameTooLong)?
            .copy_from_slice(bytes);
        let text = core::str::from_utf8(bytes).map_err(|_| Error::NameNotUtf8)?;
        if text.chars().any(is_refused) {
            return Err(Error::NameControlCharacter);
        }
        Ok(Self {
            bytes: stored,
            len: u8::try_from(bytes.len()).map_err(|_| Error::NameTooLong)?,
        })
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Validated as UTF-8 on construction.
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceName({:?})", self.as_str())
    }
}

impl serde::Serialize for DeviceName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for DeviceName {
    /// Decodes a name and applies every rule of [`DeviceName::new`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl serde::de::Visitor<'_> for NameVisitor {
            type Value = DeviceName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a device name of 1 to 32 bytes")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DeviceName, E> {
                DeviceName::new(v).map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<DeviceName, E> {
                DeviceName::from_utf8(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn names_are_checked() {
        assert_eq!(DeviceName::new("Kitchen speaker").map(|n| n.len), Ok(15));
        assert_eq!(
            DeviceName::new("Ünïcødé ✓").map(|n| n.as_str() == "Ünïcødé ✓"),
            Ok(true)
        );
        assert_eq!(DeviceName::new(""), Err(Error::NameEmpty));
        assert!(DeviceName::new(&"x".repeat(32)).is_ok());
        assert_eq!(DeviceName::new(&"x".repeat(33)), Err(Error::NameTooLong));
        // 31 ASCII bytes plus a 2-byte character: 33 bytes.
        let mut long = "x".repeat(31);
        long.push('é');
        assert_eq!(DeviceName::new(&long), Err(Error::NameTooLong));
        assert_eq!(
            DeviceName::new("evil\u{1b}[2J"),
            Err(Error::NameControlCharacter)
        );
        assert_eq!(
            DeviceName::new("new\nline"),
            Err(Error::NameControlCharacter)
        );
        for invisible in [
            "\u{202E}", "\u{2066}", "\u{200B}", "\u{FEFF}", "\u{2028}", "\u{85}",
        ] {
            let name = std::format!("pay{invisible}lap");
            assert_eq!(
                DeviceName::new(&name),
                Err(Error::NameControlCharacter),
                "{name:?}"
            );
        }
        assert_eq!(
            DeviceName::from_utf8(&[0x66, 0xff]),
            Err(Error::NameNotUtf8)
        );
        // A multi-byte character cut in half is not UTF-8.
        assert_eq!(
            DeviceName::from_utf8(&"é".as_bytes()[..1]),
            Err(Error::NameNotUtf8)
        );
    }
}
