use core::fmt;

use crate::Error;

/// Default_Ignorable_Code_Point, transcribed from Unicode 16.0.0
/// `DerivedCoreProperties.txt` (inclusive ranges of code points, in order):
/// characters a renderer shows as nothing, such as soft hyphens, joiners,
/// variation selectors, Hangul fillers and tag characters.
const DEFAULT_IGNORABLE: [(u32, u32); 17] = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// General category Cf (format), transcribed from Unicode 16.0.0
/// `extracted/DerivedGeneralCategory.txt` (inclusive ranges, in order):
/// bidirectional controls, invisible operators, prepended number signs and
/// other characters that change how text around them is shown.
const FORMAT: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Line and paragraph separators (general categories Zl and Zp): they move
/// the cursor like a newline.
const SEPARATORS: [(u32, u32); 1] = [(0x2028, 0x2029)];

/// Characters a name may not contain: control characters (C0, C1, DEL),
/// every Default_Ignorable_Code_Point, every format (Cf) character, and the
/// line and paragraph separators: so nothing in a name can move a cursor,
/// reorder text, or hide between the characters a person reads.
fn is_refused(c: char) -> bool {
    let c32 = u32::from(c);
    c.is_control()
        || [&DEFAULT_IGNORABLE[..], &FORMAT, &SEPARATORS]
            .iter()
            .flat_map(|table| table.iter())
            .any(|&(first, last)| (first..=last).contains(&c32))
}

/// A device's human-readable name: UTF-8, 1 to [`DeviceName::MAX_LEN`] bytes,
/// no control, default-ignorable (Unicode `Default_Ignorable_Code_Point`)
/// or format (general category Cf) characters, and no line or paragraph
/// separators.
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

    /// The name's length in bytes (1 to [`DeviceName::MAX_LEN`]), as one
    /// byte for length-prefixed encodings.
    #[must_use]
    pub(crate) const fn len_byte(&self) -> u8 {
        self.len
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

    /// The characters an adversarial review found accepted: each is a
    /// Default_Ignorable_Code_Point or of general category Cf.
    #[test]
    fn invisible_and_format_characters_are_refused() {
        for c in [
            '\u{061C}',
            '\u{3164}',
            '\u{E0020}',
            '\u{00AD}',
            '\u{180E}',
            '\u{206E}',
            '\u{FE0F}',
            '\u{17B4}',
            '\u{034F}',
            '\u{115F}',
            '\u{FFA0}',
            '\u{FFF0}',
            '\u{0600}',
            '\u{08E2}',
            '\u{110BD}',
            '\u{1343F}',
            '\u{1BCA0}',
            '\u{1D17A}',
            '\u{E0001}',
            '\u{E0FFF}',
        ] {
            let name = std::format!("pay{c}lap");
            assert_eq!(
                DeviceName::new(&name),
                Err(Error::NameControlCharacter),
                "U+{:04X}",
                u32::from(c)
            );
        }
        // Visible neighbours stay allowed.
        for c in [
            '\u{00AC}',
            '\u{00AE}',
            '\u{061B}',
            '\u{061D}',
            '\u{3163}',
            '\u{3165}',
            '\u{17B3}',
            '\u{17B6}',
            '\u{FDFF}',
            '\u{FE10}',
            '\u{E1000}',
        ] {
            let name = std::format!("pay{c}lap");
            assert!(DeviceName::new(&name).is_ok(), "U+{:04X}", u32::from(c));
        }
    }

    /// Every range of the tables is refused from its first to its last code
    /// point; each neighbour just outside a range that is in no other range
    /// (and is not a control character or a surrogate) stays allowed.
    #[test]
    fn range_boundaries_and_their_neighbours() {
        let tables: [&[(u32, u32)]; 3] = [&DEFAULT_IGNORABLE, &FORMAT, &SEPARATORS];
        let in_any = |c: u32| {
            tables
                .iter()
                .any(|t| t.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)))
        };
        let check = |c: u32| -> Result<DeviceName, Error> {
            let c = char::from_u32(c).unwrap();
            DeviceName::new(&std::format!("a{c}b"))
        };
        let mut allowed_neighbours = 0;
        for table in tables {
            assert!(table.windows(2).all(|w| w[0].1 < w[1].0), "sorted, apart");
            for &(lo, hi) in table {
                assert!(lo <= hi);
                for c in [lo, hi, lo + (hi - lo) / 2] {
                    assert_eq!(check(c), Err(Error::NameControlCharacter), "U+{c:04X}");
                }
                for c in [lo - 1, hi + 1] {
                    let Some(ch) = char::from_u32(c) else {
                        continue;
                    };
                    if in_any(c) || ch.is_control() {
                        assert_eq!(check(c), Err(Error::NameControlCharacter), "U+{c:04X}");
                    } else {
                        assert!(check(c).is_ok(), "U+{c:04X} should stay allowed");
                        allowed_neighbours += 1;
                    }
                }
            }
        }
        assert!(allowed_neighbours > 60, "{allowed_neighbours}");
    }

    /// `Display` is the name itself, `Debug` quotes it, and a decoder handed
    /// something other than a string says what it expected.
    #[test]
    fn display_debug_and_the_decoders_expectation() {
        use std::format;
        use std::string::ToString;
        let name = DeviceName::new("Kitchen \"speaker\"").expect("valid");
        assert_eq!(name.to_string(), "Kitchen \"speaker\"");
        assert_eq!(format!("{name:?}"), r#"DeviceName("Kitchen \"speaker\"")"#);
        let error = serde_json::from_str::<DeviceName>("5").expect_err("not a string");
        assert!(
            error
                .to_string()
                .contains("expected a device name of 1 to 32 bytes"),
            "{error}"
        );
    }
}
