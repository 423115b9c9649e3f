//! Text forms a person reads or types: device ids, fingerprints and base32.
//! Parsing is total, text round-trips, and a single changed character is
//! refused or read as a different value; for fingerprints, whose groups end
//! in a Luhn mod 32 check character, every single substitution is refused.

use honeylink_core::Error;
use honeylink_core::identity::{DeviceId, Fingerprint};
use honeylink_core::wire::base32;

#[cfg(not(kani))]
use super::kani;
use super::{bytes_near, check, choose, choose_index, exhaust};

/// Characters that parse as themselves in a fingerprint: the same base32
/// character in either case, or a separator for a separator.
fn same_fingerprint_character(original: u8, typed: u8) -> bool {
    let separator = |c: u8| c == b'-' || c == b' ';
    typed.to_ascii_uppercase() == original || (separator(original) && separator(typed))
}

/// `DeviceId` and `Fingerprint` `FromStr` on every input up to 48 bytes:
/// a value whose text form is the input (up to case and, for fingerprints,
/// separators), or a documented error naming a position inside the input or
/// a group of the eight.
#[cfg_attr(kani, kani::proof, kani::unwind(50))]
#[cfg_attr(not(kani), test)]
fn id_and_fingerprint_parsing_is_total() {
    let id =
        DeviceId::from_bytes(*b"\x0f\x1e\x2d\x3c\x4b\x5a\x69\x78\x87\x96\xa5\xb4\xc3\xd2\xe1\xf0")
            .to_string();
    let fingerprint = Fingerprint::from_bytes([0xa7; 20]).to_string();
    let valid: [&[u8]; 2] = [id.as_bytes(), fingerprint.as_bytes()];
    check(|| {
        let (bytes, len) = bytes_near::<48>(valid[choose(2) as usize]);
        let Ok(text) = core::str::from_utf8(&bytes[..len]) else {
            kani::assume(false);
            return;
        };
        match text.parse::<DeviceId>() {
            Ok(id) => assert!(id.to_string().eq_ignore_ascii_case(text)),
            Err(Error::InvalidTextLength) => assert_ne!(len, DeviceId::TEXT_LEN),
            Err(Error::InvalidCharacter { position }) => {
                assert_eq!(len, DeviceId::TEXT_LEN);
                assert!(position < len);
            }
            Err(error) => panic!("undocumented error {error:?}"),
        }
        match text.parse::<Fingerprint>() {
            Ok(fingerprint) => {
                let strip = |s: &str| -> String {
                    s.chars()
                        .filter(|c| *c != '-' && *c != ' ')
                        .map(|c| c.to_ascii_uppercase())
                        .collect()
                };
                assert_eq!(strip(&fingerprint.to_string()), strip(text));
            }
            Err(Error::InvalidCharacter { position }) => assert!(position < len),
            Err(Error::FingerprintChecksum { group }) => {
                assert!(usize::from(group) < Fingerprint::GROUPS);
            }
            Err(Error::InvalidTextLength) => {}
            Err(error) => panic!("undocumented error {error:?}"),
        }
    });
}

/// Every fingerprint's text parses back to it, and every single-character
/// change of that text (each of the 47 positions, each of the 128 ASCII
/// characters; any other single byte is not UTF-8) is refused unless it
/// only changes case or one separator for the other: a base32 character
/// for another fails its group's Luhn check (`FingerprintChecksum` naming
/// that group), a separator where a character was is `InvalidTextLength`,
/// anything else is `InvalidCharacter` at that position.
///
/// Here: exhaustive over positions x characters, for four fingerprints
/// (4 x 47 x 128 = 24,064 runs).
#[cfg_attr(kani, kani::proof, kani::unwind(50))]
#[cfg_attr(not(kani), test)]
fn fingerprint_catches_every_single_substitution() {
    exhaust(4, || {
        let fingerprint = Fingerprint::from_bytes(kani::any());
        let original = fingerprint.to_text();
        let text = core::str::from_utf8(&original).expect("ASCII");
        assert_eq!(text.parse::<Fingerprint>(), Ok(fingerprint));

        let position = choose_index(Fingerprint::TEXT_LEN);
        let typed = choose(128) as u8;
        let mut changed = original;
        changed[position] = typed;
        let changed = core::str::from_utf8(&changed).expect("ASCII");
        let was = original[position];
        let result = changed.parse::<Fingerprint>();
        if same_fingerprint_character(was, typed) {
            assert_eq!(result, Ok(fingerprint));
        } else if was == b'-' {
            // One character more than the 40 a fingerprint has, or one that
            // is in no alphabet.
            let expected = if base32::value(typed.to_ascii_uppercase()).is_some() {
                Error::InvalidTextLength
            } else {
                Error::InvalidCharacter { position }
            };
            assert_eq!(result, Err(expected), "{changed}");
        } else if base32::value(typed.to_ascii_uppercase()).is_some() {
            let group = u8::try_from(position / (Fingerprint::GROUP_DATA + 2)).expect("small");
            assert_eq!(
                result,
                Err(Error::FingerprintChecksum { group }),
                "{changed}"
            );
        } else if typed == b'-' || typed == b' ' {
            assert_eq!(result, Err(Error::InvalidTextLength), "{changed}");
        } else {
            assert_eq!(
                result,
                Err(Error::InvalidCharacter { position }),
                "{changed}"
            );
        }
    });
}

/// Every device id's text parses back to it, and every single-character
/// change (36 positions x 128 ASCII characters) is refused
/// (`InvalidCharacter` at that position) or read as a different id, unless
/// it only changes the case of a hex letter.
///
/// Here: exhaustive over positions x characters, for four ids (18,432 runs).
#[cfg_attr(kani, kani::proof, kani::unwind(40))]
#[cfg_attr(not(kani), test)]
fn device_id_text_round_trips_and_single_changes_show() {
    exhaust(4, || {
        let id = DeviceId::from_bytes(kani::any());
        let text = id.to_string();
        assert_eq!(text.parse::<DeviceId>(), Ok(id));
        let position = choose_index(DeviceId::TEXT_LEN);
        let typed = choose(128) as u8;
        let mut changed = text.clone().into_bytes();
        let was = changed[position];
        changed[position] = typed;
        let changed = String::from_utf8(changed).expect("ASCII");
        let result = changed.parse::<DeviceId>();
        let dash = matches!(position, 8 | 13 | 18 | 23);
        if typed.to_ascii_lowercase() == was {
            assert_eq!(result, Ok(id));
        } else if !dash && typed.is_ascii_hexdigit() {
            let other = result.expect("a hex digit where one was");
            assert_ne!(other, id, "{changed}");
        } else {
            assert_eq!(
                result,
                Err(Error::InvalidCharacter { position }),
                "{changed}"
            );
        }
    });
}

/// Base32 of every byte string up to 8 bytes decodes back to it, and every
/// single-character change (each position x 128 ASCII characters) is
/// refused (`InvalidCharacter` at that position, or `NonCanonicalBase32`
/// when only the unused bits of the last character changed) or decodes to
/// different bytes.
///
/// Here: exhaustive over lengths 1 to 8 x positions x characters, for two
/// inputs per length (15,616 runs, length 0 having no position).
#[cfg_attr(kani, kani::proof, kani::unwind(16))]
#[cfg_attr(not(kani), test)]
fn base32_round_trips_and_single_changes_show() {
    exhaust(2, || {
        let data: [u8; 8] = kani::any();
        let len = choose_index(9);
        let data = &data[..len];
        let mut text = [0u8; 13];
        let text_len = base32::encode(data, &mut text).expect("fits");
        assert_eq!(text_len, base32::encoded_len(len));
        let mut back = [0u8; 8];
        assert_eq!(base32::decode(&text[..text_len], &mut back), Ok(len));
        assert_eq!(&back[..len], data);

        let position = choose_index(text_len);
        let typed = choose(128) as u8;
        let mut changed = text;
        let was = changed[position];
        changed[position] = typed;
        let mut decoded = [0u8; 8];
        let result = base32::decode(&changed[..text_len], &mut decoded);
        if typed == was {
            assert_eq!(result, Ok(len));
        } else if base32::value(typed).is_some() {
            match result {
                Ok(n) => {
                    assert_eq!(n, len);
                    assert_ne!(&decoded[..n], data);
                }
                Err(error) => {
                    assert_eq!(error, Error::NonCanonicalBase32);
                    assert_eq!(position, text_len - 1);
                }
            }
        } else {
            assert_eq!(result, Err(Error::InvalidCharacter { position }));
            assert_eq!(decoded, [0; 8], "a failed decode leaves zeros");
        }
    });
}
