//! Every decoder of untrusted bytes is total: for every input up to a stated
//! length it returns a value or one of its documented errors, never panics;
//! and where an encoder exists, whatever decodes re-encodes to exactly the
//! input (one encoding per value).
//!
//! Inputs come from [`bytes_near`]: under Kani every byte string up to the
//! bound; here a mix of random strings and small edits of a valid encoding.

use honeylink_core::Error;
use honeylink_core::audit::{AuditWriter, Event, MAX_RECORD_LEN, Record};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::hash::{HASH_LEN, MacTag, sha512};
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceName, Fingerprint};
use honeylink_core::noise::Mode;
use honeylink_core::pairing::payload::{
    ExpiryClock, MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload, TransportHint,
};
use honeylink_core::pairing::{PairingMethod, PendingPeer, ndef};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::{ImageKey, KeyChangeAction, TrustStore};
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

#[cfg(not(kani))]
use super::kani;
use super::{bytes_near, check, choose};

fn static_key(seed: u8) -> StaticPublicKey {
    *StaticSecret::from_bytes(SecretBytes::new([seed; 32])).public_key()
}

fn name(text: &str) -> DeviceName {
    DeviceName::new(text).expect("a valid name")
}

/// The errors a binary or text payload decoder may give after its own.
const fn is_name_or_key_error(error: Error) -> bool {
    matches!(
        error,
        Error::NameEmpty
            | Error::NameTooLong
            | Error::NameNotUtf8
            | Error::NameControlCharacter
            | Error::NonCanonicalKey
            | Error::LowOrderKey
    )
}

/// `valid` with the one-byte varint at `at` (below 128) spelled in two
/// bytes: a second encoding of the same value, which a strict decoder must
/// refuse. A near miss for the shim to start from.
fn overlong_at(valid: &[u8], at: usize) -> Vec<u8> {
    assert!(valid[at] < 0x80);
    let mut spelled = valid.to_vec();
    spelled[at] |= 0x80;
    spelled.insert(at + 1, 0x00);
    spelled
}

/// A QR/NFC payload with every optional field set.
fn sample_payload() -> PairingPayload {
    PairingPayload::generate(
        DeviceId::from_bytes([0x42; 16]),
        name("Kitchen display"),
        static_key(7),
        1_700_000_000,
        300,
        ExpiryClock::WallClock,
        Some(TransportHint::Socket(
            "192.0.2.7:7420".parse().expect("an address"),
        )),
        &mut SeededRng::new([3; 32]),
    )
    .expect("a valid payload")
}

/// `audit::Record::decode` on every input up to `MAX_RECORD_LEN + 8` bytes:
/// a record whose hash is the input's SHA-512, or `InputTooLong` (exactly
/// when the input is too long), `UnknownVersion`, `Malformed` or
/// `TrailingBytes`. The record format has no public encoder: the writer's
/// own record decodes to what was written.
#[cfg_attr(kani, kani::proof, kani::unwind(330))]
#[cfg_attr(not(kani), test)]
fn audit_record_decode_is_total() {
    let key = SigningKey::from_seed(&SecretBytes::new([5; 32]));
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, _) = AuditWriter::genesis(&key, DeviceId::from_bytes([1; 16]), 10, &mut out)
        .expect("genesis fits");
    let event = Event::KeyChangeDetected {
        peer: DeviceId::from_bytes([2; 16]),
        old: Fingerprint::from_bytes([3; 20]),
        new: Fingerprint::from_bytes([4; 20]),
        action: KeyChangeAction::Reverify,
    };
    let len = writer
        .append(&key, u64::MAX, event, &mut out)
        .expect("fits");
    let valid = &out[..len];
    check(|| {
        let (bytes, len) = bytes_near::<{ MAX_RECORD_LEN + 8 }>(valid);
        let input = &bytes[..len];
        match Record::decode(input) {
            Ok(record) => {
                assert!(len <= MAX_RECORD_LEN);
                assert_eq!(record.hash, sha512(&[input]));
                if input == valid {
                    assert_eq!(
                        (record.seq, record.time, record.event),
                        (1, u64::MAX, event)
                    );
                }
            }
            Err(Error::InputTooLong { max }) => {
                assert_eq!(max, MAX_RECORD_LEN);
                assert!(len > MAX_RECORD_LEN);
            }
            Err(error) => {
                assert!(len <= MAX_RECORD_LEN, "{error:?} for an over-long input");
                assert!(
                    matches!(
                        error,
                        Error::UnknownVersion { .. } | Error::Malformed | Error::TrailingBytes
                    ),
                    "undocumented error {error:?}"
                );
            }
        }
    });
}

/// `PairingPayload::decode_binary` on every input up to `MAX_BINARY_LEN + 4`
/// bytes: a payload that re-encodes to exactly the input, or a documented
/// error (`InputTooLong` exactly when too long).
#[cfg_attr(kani, kani::proof, kani::unwind(160))]
#[cfg_attr(not(kani), test)]
fn pairing_payload_binary_decode_round_trips() {
    let mut valid = [0u8; MAX_BINARY_LEN];
    let valid_len = sample_payload().encode_binary(&mut valid).expect("fits");
    let valid = &valid[..valid_len];
    // The name's length (byte 17, after the version and the id) over-long.
    let overlong = overlong_at(valid, 17);
    let starts: [&[u8]; 2] = [valid, &overlong];
    check(|| {
        let (bytes, len) = bytes_near::<{ MAX_BINARY_LEN + 4 }>(starts[choose(2) as usize]);
        let input = &bytes[..len];
        match PairingPayload::decode_binary(input) {
            Ok(payload) => {
                let mut out = [0u8; MAX_BINARY_LEN];
                let n = payload.encode_binary(&mut out).expect("re-encodes");
                assert_eq!(&out[..n], input, "one binary encoding per payload");
            }
            Err(Error::InputTooLong { max }) => {
                assert_eq!(max, MAX_BINARY_LEN);
                assert!(len > MAX_BINARY_LEN);
            }
            Err(error) => assert!(
                matches!(
                    error,
                    Error::UnknownVersion { .. } | Error::Malformed | Error::TrailingBytes
                ) || is_name_or_key_error(error),
                "undocumented error {error:?}"
            ),
        }
    });
}

/// The checks both text harnesses make: `decode_text` gives a payload that
/// re-encodes to exactly the text, or a documented error.
fn text_decode_round_trips(input: &[u8]) {
    let Ok(text) = core::str::from_utf8(input) else {
        // Not a `&str`: no text decoder can be given it.
        kani::assume(false);
        return;
    };
    match PairingPayload::decode_text(text) {
        Ok(payload) => {
            let mut out = [0u8; MAX_TEXT_LEN];
            let n = payload.encode_text(&mut out).expect("re-encodes");
            assert_eq!(&out[..n], input, "one text encoding per payload");
        }
        Err(Error::MissingPrefix) => assert!(!text.starts_with("HL1:")),
        Err(Error::InputTooLong { max }) => {
            assert_eq!(max, MAX_TEXT_LEN);
            assert!(input.len() > MAX_TEXT_LEN);
        }
        Err(Error::InvalidCharacter { position }) => {
            assert!((4..input.len()).contains(&position), "position {position}");
        }
        Err(error) => assert!(
            matches!(
                error,
                Error::InvalidTextLength
                    | Error::NonCanonicalBase32
                    | Error::ChecksumMismatch
                    | Error::UnknownVersion { .. }
                    | Error::Malformed
                    | Error::TrailingBytes
            ) || is_name_or_key_error(error),
            "undocumented error {error:?}"
        ),
    }
}

/// `PairingPayload::decode_text` on short inputs (up to 24 bytes, where the
/// prefix, base32 and checksum checks all run): total, and what decodes
/// re-encodes exactly.
#[cfg_attr(kani, kani::proof, kani::unwind(26))]
#[cfg_attr(not(kani), test)]
fn pairing_payload_text_decode_is_total_on_short_inputs() {
    check(|| {
        let (bytes, len) = bytes_near::<24>(b"HL1:AEBAGBAFAYDQQCIK");
        text_decode_round_trips(&bytes[..len]);
    });
}

/// `PairingPayload::decode_text` on every input up to `MAX_TEXT_LEN + 4`
/// bytes: total, and what decodes re-encodes exactly.
#[cfg_attr(kani, kani::proof, kani::unwind(270))]
#[cfg_attr(not(kani), test)]
fn pairing_payload_text_decode_round_trips() {
    let mut valid = [0u8; MAX_TEXT_LEN];
    let valid_len = sample_payload().encode_text(&mut valid).expect("fits");
    let valid = &valid[..valid_len];
    check(|| {
        let (bytes, len) = bytes_near::<{ MAX_TEXT_LEN + 4 }>(valid);
        text_decode_round_trips(&bytes[..len]);
    });
}

/// `HandshakePayload::decode` (the payload of handshake messages 2 and 3)
/// on every input up to `MAX_LEN + 4` bytes, in a session and in a pairing:
/// a payload that re-encodes to exactly the input and carries a name
/// exactly in a pairing, or a documented error.
#[cfg_attr(kani, kani::proof, kani::unwind(60))]
#[cfg_attr(not(kani), test)]
fn handshake_payload_decode_round_trips() {
    let id = DeviceId::from_bytes([0x11; 16]);
    let mut session = [0u8; HandshakePayload::MAX_LEN];
    let session_len = HandshakePayload::session(id, PayloadFlags::HEADLESS)
        .encode(&mut session)
        .expect("fits");
    let mut pairing = [0u8; HandshakePayload::MAX_LEN];
    let pairing_len = HandshakePayload::pairing(id, PayloadFlags::empty(), name("Desk lamp"))
        .encode(&mut pairing)
        .expect("fits");
    // The name's length (byte 19: version, id, flags, option tag) over-long.
    let overlong = overlong_at(&pairing[..pairing_len], 19);
    let starts: [&[u8]; 3] = [&session[..session_len], &pairing[..pairing_len], &overlong];
    check(|| {
        let (bytes, len) =
            bytes_near::<{ HandshakePayload::MAX_LEN + 4 }>(starts[choose(3) as usize]);
        let input = &bytes[..len];
        let mode = if choose(2) == 0 {
            Mode::Session
        } else {
            Mode::Pairing(PairingMethod::Nfc)
        };
        match HandshakePayload::decode(input, mode) {
            Ok(payload) => {
                assert_eq!(payload.name.is_some(), mode.is_pairing());
                let mut out = [0u8; HandshakePayload::MAX_LEN];
                let n = payload.encode(&mut out).expect("fits");
                assert_eq!(&out[..n], input, "one encoding per handshake payload");
            }
            Err(error) => assert!(
                matches!(
                    error,
                    Error::UnknownVersion { .. }
                        | Error::Malformed
                        | Error::TrailingBytes
                        | Error::UnknownFlags
                        | Error::NameMissing
                        | Error::NameUnexpected
                ) || is_name_or_key_error(error),
                "undocumented error {error:?}"
            ),
        }
    });
}

/// `ndef::find_payload` on every message up to 64 bytes: the payload of the
/// one HoneyLink record, which lies inside the message and which `encode`
/// wraps back into a message it finds again, while the message with one
/// more byte is refused; or a documented NDEF error.
#[cfg_attr(kani, kani::proof, kani::unwind(66))]
#[cfg_attr(not(kani), test)]
fn ndef_find_payload_is_total() {
    const PAYLOAD: &[u8] = b"\x01pairing-payload";
    let mut ours = [0u8; 64];
    let ours_len = ndef::encode(PAYLOAD, &mut ours).expect("fits");
    // A URI record first (MB, SR, TNF well-known, type "U"), then ours
    // without MB: what a phone writing two records produces.
    let mut two = [0u8; 64];
    two[..5].copy_from_slice(&[0x91, 1, 1, b'U', 0x00]);
    two[5..5 + ours_len].copy_from_slice(&ours[..ours_len]);
    two[5] &= !0x80;
    let valid: [&[u8]; 2] = [&ours[..ours_len], &two[..5 + ours_len]];
    assert_eq!(ndef::find_payload(valid[0]), Ok(PAYLOAD));
    assert_eq!(ndef::find_payload(valid[1]), Ok(PAYLOAD));
    check(|| {
        let (bytes, len) = bytes_near::<64>(valid[choose(2) as usize]);
        let message = &bytes[..len];
        match ndef::find_payload(message) {
            Ok(payload) => {
                let inside = message.as_ptr_range();
                let found = payload.as_ptr_range();
                assert!(inside.start <= found.start && found.end <= inside.end);
                let mut again = [0u8; 80];
                let n = ndef::encode(payload, &mut again).expect("fits");
                assert_eq!(n, ndef::encoded_len(payload.len()));
                assert_eq!(ndef::find_payload(&again[..n]), Ok(payload));
                // The message ends with its last record: a byte more is not
                // a message.
                if len < bytes.len() {
                    assert_eq!(ndef::find_payload(&bytes[..=len]), Err(Error::NdefFraming));
                }
            }
            Err(error) => assert!(
                matches!(
                    error,
                    Error::NdefTruncated
                        | Error::NdefChunked
                        | Error::NdefFraming
                        | Error::NdefNoRecord
                        | Error::NdefDuplicate
                ),
                "undocumented error {error:?}"
            ),
        }
    });
}

/// `TrustStore::<2>::from_image` on every image of up to 16 bytes more than
/// a one-peer, one-block store's, sealed under the key or not: a store and
/// generation that `to_image` turns back into exactly the image, or
/// `ImageAuthentication` (whenever the MAC is not the body's),
/// `UnknownVersion`, `Malformed` or `TrailingBytes`.
#[cfg_attr(kani, kani::proof, kani::unwind(240))]
#[cfg_attr(not(kani), test)]
fn trust_image_decode_round_trips() {
    const MAX_BODY: usize = 160;
    let key_bytes = [0x5a; HASH_LEN];
    let key = ImageKey::hazmat_from_bytes(SecretBytes::new(key_bytes));
    let mut store = TrustStore::<2>::new();
    let mut peer = PendingPeer::hazmat_new(
        DeviceId::from_bytes([1; 16]),
        name("Phone"),
        static_key(1),
        PairingMethod::Pin,
    )
    .confirm(1_000);
    peer.pending_key = Some(static_key(2));
    store.add(peer).expect("room");
    store.block_key(static_key(3)).expect("room");
    let mut image = [0u8; MAX_BODY + HASH_LEN];
    let image_len = store.to_image(&key, 7, &mut image).expect("fits");
    let body = &image[..image_len - HASH_LEN];
    assert!(body.len() + 16 <= MAX_BODY);
    check(|| {
        let (mut bytes, len) = bytes_near::<{ MAX_BODY + HASH_LEN }>(body);
        let sealed: bool = kani::any();
        let len = if sealed && len <= MAX_BODY {
            let mac = MacTag::compute(&key_bytes, &[&bytes[..len]]);
            bytes[len..len + HASH_LEN].copy_from_slice(&mac.0);
            len + HASH_LEN
        } else {
            len
        };
        let input = &bytes[..len];
        let authentic = len >= HASH_LEN && {
            let (body, mac) = input.split_at(len - HASH_LEN);
            MacTag::compute(&key_bytes, &[body]).0[..] == *mac
        };
        match TrustStore::<2>::from_image(input, &key) {
            Ok((decoded, generation)) => {
                assert!(authentic);
                let mut out = [0u8; MAX_BODY + 2 * HASH_LEN];
                let n = decoded
                    .to_image(&key, generation, &mut out)
                    .expect("re-encodes");
                assert_eq!(&out[..n], input, "one image per store");
            }
            Err(Error::ImageAuthentication) => assert!(!authentic),
            Err(Error::Malformed) if len < HASH_LEN => {}
            Err(error) => {
                assert!(authentic, "{error:?} before the MAC was checked");
                assert!(
                    matches!(
                        error,
                        Error::UnknownVersion { .. } | Error::Malformed | Error::TrailingBytes
                    ),
                    "undocumented error {error:?}"
                );
            }
        }
    });
}

/// `DeviceName::from_utf8` on every input up to 34 bytes: a name whose text
/// is exactly the input, or the one error that describes it: `NameEmpty`
/// exactly for no bytes, `NameTooLong` exactly beyond 32, `NameNotUtf8`
/// exactly for invalid UTF-8, else `NameControlCharacter`; and a name of
/// printable ASCII is always accepted.
#[cfg_attr(kani, kani::proof, kani::unwind(36))]
#[cfg_attr(not(kani), test)]
fn device_name_from_utf8_is_exact() {
    check(|| {
        let (bytes, len) =
            bytes_near::<{ DeviceName::MAX_LEN + 2 }>("Bäckerei \u{1f41d}".as_bytes());
        let input = &bytes[..len];
        let printable = input.iter().all(|b| (0x20..0x7f).contains(b));
        match DeviceName::from_utf8(input) {
            Ok(name) => assert_eq!(name.as_str().as_bytes(), input),
            Err(Error::NameEmpty) => assert!(input.is_empty()),
            Err(Error::NameTooLong) => assert!(len > DeviceName::MAX_LEN),
            Err(Error::NameNotUtf8) => {
                assert!((1..=DeviceName::MAX_LEN).contains(&len));
                assert!(core::str::from_utf8(input).is_err());
            }
            Err(Error::NameControlCharacter) => {
                assert!((1..=DeviceName::MAX_LEN).contains(&len));
                assert!(core::str::from_utf8(input).is_ok());
                assert!(!printable, "printable ASCII refused");
            }
            Err(error) => panic!("undocumented error {error:?}"),
        }
    });
}
