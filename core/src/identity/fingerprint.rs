use core::fmt;
use core::str::FromStr;

use subtle::ConstantTimeEq;

use crate::Error;
use crate::crypto::hash::sha512;
use crate::crypto::x25519::StaticPublicKey;
use crate::wire::base32;

/// Domain-separation label hashed before the key.
const LABEL: &[u8] = b"HoneyLink v1 fingerprint of an X25519 static key";

/// The fingerprint of a device's X25519 static public key: the first 20 bytes
/// (160 bits) of SHA-512 over a domain-separation label and the canonical key.
///
/// Its text form, for people to compare and type, is 8 groups of 5 base32
/// characters separated by `-`: 4 characters of the fingerprint, then a Luhn
/// mod 32 check character over them. Any single mistyped character is
/// reported as a typo in its group rather than read as another fingerprint
/// (most swaps of two adjacent characters are caught too; Luhn cannot catch
/// all of them). Displays and parses round-trip.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint([u8; Fingerprint::LEN]);

impl Fingerprint {
    /// Length in bytes.
    pub const LEN: usize = 20;
    /// Number of groups in the text form.
    pub const GROUPS: usize = 8;
    /// Fingerprint characters per group (the check character comes after).
    pub const GROUP_DATA: usize = 4;
    /// Length of the text form: 8 groups of 5 and 7 separators.
    pub const TEXT_LEN: usize = Self::GROUPS * (Self::GROUP_DATA + 1) + Self::GROUPS - 1;

    /// The fingerprint of a canonical static key.
    #[must_use]
    pub fn of(key: &StaticPublicKey) -> Self {
        let digest = sha512(&[LABEL, key.as_bytes()]);
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(digest.get(..Self::LEN).unwrap_or(&[0; Self::LEN]));
        Self(out)
    }

    /// Wraps 20 raw bytes (as stored beside a trusted key).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// The 20 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The text form as ASCII bytes, e.g. for a display driver.
    #[must_use]
    pub fn to_text(&self) -> [u8; Self::TEXT_LEN] {
        let mut data = [0u8; base32::encoded_len(Self::LEN)];
        // 20 bytes always encode to exactly 32 characters.
        let _ = base32::encode(&self.0, &mut data);
        let mut text = [b'-'; Self::TEXT_LEN];
        for (group, chunk) in data.chunks(Self::GROUP_DATA).enumerate() {
            let start = group * (Self::GROUP_DATA + 2);
            if let Some(slot) = text.get_mut(start..start + Self::GROUP_DATA) {
                slot.copy_from_slice(chunk);
            }
            if let Some(check) = text.get_mut(start + Self::GROUP_DATA) {
                *check = base32::symbol(luhn32_check(chunk));
            }
        }
        text
    }
}

/// Luhn mod N (N = 32) check value for `data`, characters of the base32
/// alphabet: doubling every second value from the right, folding the result
/// back into base 32, and choosing the value that makes the sum divisible by
/// 32. Every single substitution changes the sum mod 32.
fn luhn32_check(data: &[u8]) -> u8 {
    let check = (32 - luhn32_sum(data, true) % 32) % 32;
    u8::try_from(check).unwrap_or(0)
}

/// The Luhn sum of base32 characters, right to left; `double_first` says
/// whether the rightmost character is doubled (true when computing a check
/// character, false when verifying a group that ends with one). Characters
/// outside the alphabet count as zero; callers check them first.
fn luhn32_sum(data: &[u8], double_first: bool) -> u32 {
    let mut double = double_first;
    let mut sum = 0u32;
    for &c in data.iter().rev() {
        let mut addend = u32::from(base32::value(c).unwrap_or(0));
        if double {
            addend *= 2;
            addend = addend / 32 + addend % 32;
        }
        sum += addend;
        double = !double;
    }
    sum
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Fingerprint {}

impl core::hash::Hash for Fingerprint {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text is ASCII by construction.
        let text = self.to_text();
        f.write_str(core::str::from_utf8(&text).unwrap_or("<invalid>"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Parses the text form as a person might type it: lower or upper case,
    /// groups separated by `-`, by spaces, or not at all. Each group's check
    /// character is verified, so a typo is reported as
    /// [`Error::FingerprintChecksum`] naming its group.
    ///
    /// # Errors
    /// [`Error::InvalidCharacter`] for a character that is neither base32 nor
    /// a separator; [`Error::InvalidTextLength`] unless there are exactly 40
    /// base32 characters; [`Error::FingerprintChecksum`] for a group whose
    /// check fails.
    fn from_str(text: &str) -> Result<Self, Error> {
        const CHARS: usize = Fingerprint::GROUPS * (Fingerprint::GROUP_DATA + 1);
        let mut chars = [0u8; CHARS];
        let mut count = 0usize;
        for (position, &c) in text.as_bytes().iter().enumerate() {
            if c == b'-' || c == b' ' {
                continue;
            }
            let upper = c.to_ascii_uppercase();
            if base32::value(upper).is_none() {
                return Err(Error::InvalidCharacter { position });
            }
            *chars.get_mut(count).ok_or(Error::InvalidTextLength)? = upper;
            count += 1;
        }
        if count != CHARS {
            return Err(Error::InvalidTextLength);
        }
        let mut data = [0u8; base32::encoded_len(Fingerprint::LEN)];
        for (group, (chunk, out)) in chars
            .chunks(Self::GROUP_DATA + 1)
            .zip(data.chunks_mut(Self::GROUP_DATA))
            .enumerate()
        {
            if !luhn32_sum(chunk, false).is_multiple_of(32) {
                return Err(Error::FingerprintChecksum {
                    group: u8::try_from(group).unwrap_or(u8::MAX),
                });
            }
            out.copy_from_slice(chunk.get(..Self::GROUP_DATA).unwrap_or(&[b'A'; 4]));
        }
        let mut bytes = [0u8; Self::LEN];
        base32::decode(&data, &mut bytes)?;
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::{String, ToString};

    fn sample() -> Fingerprint {
        let mut key = [0u8; 32];
        key[0] = 9;
        Fingerprint::of(&StaticPublicKey::from_bytes(&key).expect("the base point is valid"))
    }

    #[test]
    fn text_round_trips_in_every_accepted_spelling() {
        let fp = sample();
        let text = fp.to_string();
        assert_eq!(text.len(), Fingerprint::TEXT_LEN);
        assert_eq!(text.parse::<Fingerprint>(), Ok(fp));
        assert_eq!(text.to_lowercase().parse::<Fingerprint>(), Ok(fp));
        assert_eq!(text.replace('-', " ").parse::<Fingerprint>(), Ok(fp));
        assert_eq!(text.replace('-', "").parse::<Fingerprint>(), Ok(fp));
    }

    /// The text form's shape, from the format's definition rather than from
    /// the constant: 8 groups of 4 characters and a check character, joined
    /// by 7 dashes, 47 characters in all.
    #[test]
    fn the_text_form_is_eight_groups_of_five() {
        let text = sample().to_text();
        assert_eq!(text.len(), 47);
        for (i, &c) in text.iter().enumerate() {
            assert_eq!(c == b'-', i % 6 == 5, "position {i}");
        }
    }

    /// A check value is a base32 digit (below 32) that brings its group's
    /// Luhn sum to a multiple of 32, for every group of one repeated value
    /// and a sweep of mixed groups.
    #[test]
    fn a_check_value_is_a_digit_that_completes_the_sum() {
        for a in base32::ALPHABET {
            for b in base32::ALPHABET {
                let group = [*a, *b, *a, *b];
                let check = luhn32_check(&group);
                assert!(check < 32, "{check}");
                let mut with_check = [0u8; 5];
                with_check[..4].copy_from_slice(&group);
                with_check[4] = base32::symbol(check);
                assert_eq!(luhn32_sum(&with_check, false) % 32, 0);
            }
        }
    }

    /// Every single-character substitution, at every position, with every
    /// other base32 character, is caught by its group's check character.
    #[test]
    fn every_single_typo_is_detected_in_its_group() {
        let text = sample().to_string();
        for (position, original) in text.char_indices() {
            if original == '-' {
                continue;
            }
            for &replacement in base32::ALPHABET {
                let replacement = char::from(replacement);
                if replacement == original {
                    continue;
                }
                let mut typo = String::from(&text[..position]);
                typo.push(replacement);
                typo.push_str(&text[position + 1..]);
                let group = (position / 6) as u8;
                assert_eq!(
                    typo.parse::<Fingerprint>(),
                    Err(Error::FingerprintChecksum { group }),
                    "{typo}"
                );
            }
        }
    }

    #[test]
    fn malformed_text_is_refused_specifically() {
        let text = sample().to_string();
        assert_eq!(
            text[..46].parse::<Fingerprint>(),
            Err(Error::InvalidTextLength)
        );
        assert_eq!(
            std::format!("{text}A").parse::<Fingerprint>(),
            Err(Error::InvalidTextLength)
        );
        let with_one = std::format!("1{}", &text[1..]);
        assert_eq!(
            with_one.parse::<Fingerprint>(),
            Err(Error::InvalidCharacter { position: 0 })
        );
        assert_eq!("".parse::<Fingerprint>(), Err(Error::InvalidTextLength));
    }

    #[test]
    fn distinct_keys_have_distinct_fingerprints() {
        let mut other = [0u8; 32];
        other[0] = 10;
        let other = StaticPublicKey::from_bytes(&other).expect("valid");
        assert_ne!(Fingerprint::of(&other), sample());
    }

    /// Check values worked out by hand from the Luhn mod N definition
    /// (N = 32, RFC 4648 alphabet, factor 2 on the rightmost character when
    /// generating, a doubled value folded as `v / 32 + v % 32`).
    #[test]
    fn luhn_check_values_match_hand_computed_ones() {
        // "B" = 1, doubled 2: 32 - 2 = 30.
        assert_eq!(luhn32_check(b"B"), 30);
        // "Q" = 16, doubled 32, folded 1 + 0 = 1: 31.
        assert_eq!(luhn32_check(b"Q"), 31);
        // "7" = 31, doubled 62, folded 1 + 30 = 31: 1.
        assert_eq!(luhn32_check(b"7"), 1);
        // "BA": A doubled 0, B kept 1: 31.
        assert_eq!(luhn32_check(b"BA"), 31);
        // "CD": D = 3 doubled 6, C = 2 kept: 8, so 24.
        assert_eq!(luhn32_check(b"CD"), 24);
        // A group with its check value sums to a multiple of 32.
        assert_eq!(luhn32_sum(b"CDY", false) % 32, 0);
        assert_eq!(base32::symbol(24), b'Y');
    }
}
