//! QR and NFC pairing: payload encodings and the attack tests of the QR, NFC
//! and trust issue. Each attack test would fail if its defence were missing.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::{Ipv4Addr, SocketAddr};

mod common;

use common::*;
use honeylink_core::Error;
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::pairing::payload::{
    ExpiryClock, MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload, TransportHint,
};
use honeylink_core::pairing::{
    MAX_PAIRING_MESSAGE_LEN, MAX_RUNS_PER_PAYLOAD, PairingMethod, ProximityInitiator,
    ProximityResponder, RUN_TIMEOUT_SECS, RunId, ndef,
};
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::PayloadFlags;

struct Devices {
    creator: DeviceIdentity,
    scanner: DeviceIdentity,
    stranger: DeviceIdentity,
}

fn devices() -> Devices {
    let [creator, scanner, stranger] = identities(0x42);
    Devices {
        creator,
        scanner,
        stranger,
    }
}

const T0: u64 = 1_800_000_000;
const HINT: Option<TransportHint> = Some(TransportHint::Socket(SocketAddr::new(
    std::net::IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
    47_100,
)));

fn responder<'a>(
    d: &'a Devices,
    method: PairingMethod,
    rng: &mut SeededRng,
) -> ProximityResponder<'a> {
    ProximityResponder::new(
        local(&d.creator, "Laptop"),
        method,
        T0,
        300,
        ExpiryClock::WallClock,
        HINT,
        rng,
    )
    .unwrap()
}

/// The scanner's copy of the payload, as it would read it off the code.
fn scanned(r: &ProximityResponder<'_>) -> PairingPayload {
    let mut text = [0u8; MAX_TEXT_LEN];
    let n = r.payload().encode_text(&mut text).unwrap();
    PairingPayload::decode_text(std::str::from_utf8(&text[..n]).unwrap()).unwrap()
}

#[test]
fn qr_pairing_end_to_end_and_sizes() {
    let d = devices();
    let mut rng = SeededRng::new([1; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let mut text = [0u8; MAX_TEXT_LEN];
    let text_len = creator.payload().encode_text(&mut text).unwrap();
    let mut binary = [0u8; MAX_BINARY_LEN];
    let binary_len = creator.payload().encode_binary(&mut binary).unwrap();
    let text = std::str::from_utf8(&text[..text_len]).unwrap();
    println!("pairing payload: binary {binary_len} bytes, text {text_len} characters: {text}");
    // The text is QR alphanumeric: upper case, digits and ':' only.
    assert!(
        text.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b':')
    );
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    println!("QR code at error-correction level M: {:?}", code.version());

    let payload = PairingPayload::decode_text(text).unwrap();
    assert_eq!(payload.device_id, d.creator.device_id());
    assert_eq!(payload.hint, HINT);
    let mut wire = [0u8; 512];
    let (mut scanner, n, warning) = ProximityInitiator::start(
        local(&d.scanner, "Phone"),
        PairingMethod::Qr,
        &payload,
        Some(T0 + 10),
        &mut wire,
        &mut rng,
    )
    .unwrap();
    assert_eq!(warning, None);
    let message1 = wire[..n].to_vec();
    let (n, run) = creator
        .handle_message1(T0 + 11, &message1, &mut wire, &mut rng)
        .unwrap();
    let message2 = wire[..n].to_vec();
    let (n, creator_seen, scanner_keys) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert_eq!(creator_seen.id(), d.creator.device_id());
    assert_eq!(*creator_seen.key(), *d.creator.static_public_key());
    assert_eq!(creator_seen.name().as_str(), "Laptop");
    let (scanner_seen, creator_keys) = creator.handle_message3(T0 + 12, run, &wire[..n]).unwrap();
    assert_eq!(scanner_seen.id(), d.scanner.device_id());
    assert_eq!(*scanner_seen.key(), *d.scanner.static_public_key());
    assert_eq!(scanner_seen.name().as_str(), "Phone");
    assert_eq!(scanner_seen.method(), PairingMethod::Qr);
    assert_eq!(scanner_keys.handshake_hash(), creator_keys.handshake_hash());
    assert!(creator.is_used());
    println!(
        "size_of ProximityResponder = {}, ProximityInitiator = {}",
        size_of::<ProximityResponder<'_>>(),
        size_of::<ProximityInitiator<'_>>()
    );
}

/// `who`, named `name`, reads `payload` and starts a run by `method` with no
/// clock of its own: its run and message 1.
fn scan<'a>(
    who: &'a DeviceIdentity,
    name: &str,
    method: PairingMethod,
    payload: &PairingPayload,
    rng: &mut SeededRng,
) -> Result<(ProximityInitiator<'a>, Vec<u8>), Error> {
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (scanner, n, _) =
        ProximityInitiator::start(local(who, name), method, payload, None, &mut wire, rng)?;
    Ok((scanner, wire[..n].to_vec()))
}

/// The scanner's run against `creator` up to message 3, with message 1
/// answered at `now`: the creator's run and message 3, not yet delivered.
fn up_to_message3(
    d: &Devices,
    creator: &mut ProximityResponder<'_>,
    payload: &PairingPayload,
    method: PairingMethod,
    now: u64,
    rng: &mut SeededRng,
) -> Result<(RunId, Vec<u8>), Error> {
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (mut scanner, message1) = scan(&d.scanner, "Phone", method, payload, rng)?;
    let (n, run) = creator.handle_message1(now, &message1, &mut wire, rng)?;
    let message2 = wire[..n].to_vec();
    let (n, _, _) = scanner.handle_message2(&message2, &mut wire)?;
    Ok((run, wire[..n].to_vec()))
}

/// Runs a whole pairing against `creator` (message 3 a second after
/// message 1); returns the first error.
fn pair_once(
    d: &Devices,
    creator: &mut ProximityResponder<'_>,
    payload: &PairingPayload,
    method: PairingMethod,
    now: u64,
    rng: &mut SeededRng,
) -> Result<(), Error> {
    let (run, message3) = up_to_message3(d, creator, payload, method, now, rng)?;
    creator.handle_message3(now + 1, run, &message3)?;
    Ok(())
}

#[test]
fn an_expired_payload_is_refused_by_its_creator() {
    let d = devices();
    let mut rng = SeededRng::new([2; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 301,
            &mut rng
        ),
        Err(Error::PayloadExpired)
    );
    assert!(!creator.is_used());
    // Expiry is final: the secret is gone, later attempts stay refused.
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 302,
            &mut rng
        ),
        Err(Error::PayloadExpired)
    );
    // The expiry second itself is still valid: message 1 at T0 + 299 and
    // message 3 at T0 + 300 (pair_once sends message 3 one second later).
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 299,
            &mut rng
        ),
        Ok(())
    );
    // Validity is capped at 300 s.
    assert_eq!(
        ProximityResponder::new(
            local(&d.creator, "L"),
            PairingMethod::Qr,
            T0,
            301,
            ExpiryClock::WallClock,
            None,
            &mut rng
        )
        .err(),
        Some(Error::ValidityTooLong)
    );
}

#[test]
fn the_scanner_warns_on_a_past_wall_clock_expiry_only() {
    let d = devices();
    let mut rng = SeededRng::new([3; 32]);
    let creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 128];
    let start = |now, rng: &mut SeededRng| {
        let mut w = [0u8; 128];
        ProximityInitiator::start(
            local(&d.scanner, "P"),
            PairingMethod::Qr,
            &payload,
            now,
            &mut w,
            rng,
        )
        .unwrap()
        .2
    };
    assert_eq!(
        start(Some(T0 + 300 + 60), &mut rng),
        None,
        "within the skew"
    );
    assert_eq!(
        start(Some(T0 + 300 + 61), &mut rng).map(|w| w.seconds_past),
        Some(61)
    );
    assert_eq!(start(None, &mut rng), None);
    // A creator-clock payload is never judged by the scanner.
    let boot = ProximityResponder::new(
        local(&d.creator, "L"),
        PairingMethod::Qr,
        5,
        300,
        ExpiryClock::CreatorClock,
        None,
        &mut rng,
    )
    .unwrap();
    let payload = scanned(&boot);
    let (_, _, warning) = ProximityInitiator::start(
        local(&d.scanner, "P"),
        PairingMethod::Qr,
        &payload,
        Some(T0),
        &mut wire,
        &mut rng,
    )
    .unwrap();
    assert_eq!(warning, None);
}

#[test]
fn a_second_pairing_with_the_same_payload_is_refused() {
    let d = devices();
    let mut rng = SeededRng::new([4; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 1,
            &mut rng
        ),
        Ok(())
    );
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 2,
            &mut rng
        ),
        Err(Error::PayloadUsed)
    );
}

#[test]
fn a_swapped_key_in_the_payload_is_refused_before_message_3() {
    let d = devices();
    let mut rng = SeededRng::new([5; 32]);
    let creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    // A man in the middle who knows the code's secret (it saw the code) and
    // answers with its own static key instead of the creator's.
    let (mut scanner, message1) =
        scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let message2 = KeySwapResponder::answer(&d.stranger, &payload, &message1, &mut rng);
    let mut out = [0u8; 512];
    assert_eq!(
        scanner.handle_message2(&message2, &mut out).err(),
        Some(Error::KeyMismatch)
    );
    assert!(
        out.iter().all(|&b| b == 0),
        "nothing written: the scanner's static key never left"
    );
    // Control: the same responder with the creator's own key passes the check.
    let (mut scanner, message1) =
        scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let message2 = KeySwapResponder::answer(&d.creator, &payload, &message1, &mut rng);
    assert!(scanner.handle_message2(&message2, &mut out).is_ok());
}

/// A responder that knows a payload's secret (and so its PSK) but holds a
/// different static key than the payload names: a man in the middle who
/// swapped the key.
struct KeySwapResponder;

impl KeySwapResponder {
    fn answer(
        identity: &DeviceIdentity,
        payload: &PairingPayload,
        message1: &[u8],
        rng: &mut SeededRng,
    ) -> Vec<u8> {
        use honeylink_core::noise::{HandshakeState, Prologue, Protocol, Role};
        use honeylink_core::wire::HandshakePayload;
        let prologue = Prologue::pairing(PairingMethod::Qr, &payload.binding());
        let mut hs = HandshakeState::new(
            Protocol::XxPsk2(payload.psk(PairingMethod::Qr)),
            Role::Responder,
            &prologue,
            identity.static_secret(),
            rng,
        )
        .unwrap();
        let mut scratch = [0u8; 64];
        hs.read_message(message1, &mut scratch).unwrap();
        let mut encoded = [0u8; HandshakePayload::MAX_LEN];
        let n = HandshakePayload::pairing(payload.device_id, PayloadFlags::empty(), payload.name)
            .encode(&mut encoded)
            .unwrap();
        let mut out = [0u8; 512];
        let len = hs.write_message(&encoded[..n], &mut out).unwrap();
        out[..len].to_vec()
    }
}

#[test]
fn a_scanner_without_the_secret_cannot_pair_and_learns_only_the_codes_key() {
    let d = devices();
    let mut rng = SeededRng::new([6; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    // The stranger knows the public parts (say, from a blurred photo) but
    // guesses the secret: a payload with the right fields and another secret.
    let genuine = scanned(&creator);
    let other = ProximityResponder::new(
        local(&d.creator, "Laptop"),
        PairingMethod::Qr,
        T0,
        300,
        ExpiryClock::WallClock,
        HINT,
        &mut rng,
    )
    .unwrap();
    let mut guess = scanned(&other);
    guess.expires_at = genuine.expires_at;
    assert_eq!(guess.device_id, genuine.device_id);
    assert_eq!(guess.static_key, genuine.static_key);
    let mut wire = [0u8; 512];
    let (_, message1) = scan(&d.stranger, "Evil", PairingMethod::Qr, &guess, &mut rng).unwrap();
    // Message 1 is already authenticated: its payload tag covers the
    // handshake hash, which covers the prologue, whose binding hashes the
    // whole payload with its secret. So the creator refuses it at once and
    // never sends message 2, its static key included.
    assert_eq!(
        creator
            .handle_message1(T0 + 1, &message1, &mut wire, &mut rng)
            .err(),
        Some(Error::Aead)
    );
    assert!(
        !creator.is_busy(T0 + 1),
        "a failed run does not hold the payload"
    );
    assert!(!creator.is_used());
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &genuine,
            PairingMethod::Qr,
            T0 + 2,
            &mut rng
        ),
        Ok(())
    );
}

#[test]
fn an_altered_field_fails_the_handshake() {
    let d = devices();
    let mut rng = SeededRng::new([7; 32]);
    type Alter = fn(&mut PairingPayload);
    let alterations: [(&str, Alter); 4] = [
        ("expiry", |p| p.expires_at += 1),
        ("hint", |p| p.hint = None),
        ("name", |p| p.name = DeviceName::new("Lapt0p").unwrap()),
        ("clock", |p| p.clock = ExpiryClock::CreatorClock),
    ];
    for (field, alter) in alterations {
        let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
        let mut payload = scanned(&creator);
        alter(&mut payload);
        assert_eq!(
            pair_once(
                &d,
                &mut creator,
                &payload,
                PairingMethod::Qr,
                T0 + 1,
                &mut rng
            ),
            Err(Error::Aead),
            "{field}"
        );
    }
    // The id: the binding changes too, and the scanner would also refuse it.
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let mut payload = scanned(&creator);
    payload.device_id = d.stranger.device_id();
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 1,
            &mut rng
        ),
        Err(Error::Aead)
    );
}

#[test]
fn a_stranger_holds_the_payload_no_longer_than_the_run_timeout() {
    let d = devices();
    let mut rng = SeededRng::new([8; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    // Someone with the code sends message 1 and walks away.
    let mut wire = [0u8; 512];
    let (_, message1) = scan(&d.stranger, "Evil", PairingMethod::Qr, &payload, &mut rng).unwrap();
    creator
        .handle_message1(T0 + 10, &message1, &mut wire, &mut rng)
        .unwrap();
    // The genuine scanner is told Busy while the run is live...
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 10 + RUN_TIMEOUT_SECS - 1,
            &mut rng
        ),
        Err(Error::Busy)
    );
    // ...and succeeds once it has gone stale, replacing it.
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 10 + RUN_TIMEOUT_SECS,
            &mut rng
        ),
        Ok(())
    );
    // A message 3 after the timeout is refused and the payload stays usable.
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let (run, message3) =
        up_to_message3(&d, &mut creator, &payload, PairingMethod::Qr, T0, &mut rng).unwrap();
    assert_eq!(
        creator
            .handle_message3(T0 + RUN_TIMEOUT_SECS, run, &message3)
            .err(),
        Some(Error::RunTimedOut)
    );
    assert!(!creator.is_used());
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 40,
            &mut rng
        ),
        Ok(())
    );
}

#[test]
fn nfc_pairing_through_an_ndef_record() {
    let d = devices();
    let mut rng = SeededRng::new([9; 32]);
    let mut creator = responder(&d, PairingMethod::Nfc, &mut rng);
    let mut binary = [0u8; MAX_BINARY_LEN];
    let n = creator.payload().encode_binary(&mut binary).unwrap();
    let mut tag = [0u8; 256];
    let tag_len = ndef::encode(&binary[..n], &mut tag).unwrap();
    println!("NDEF message: {tag_len} bytes for a {n}-byte payload");
    let read = PairingPayload::decode_binary(ndef::find_payload(&tag[..tag_len]).unwrap()).unwrap();
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &read,
            PairingMethod::Nfc,
            T0 + 1,
            &mut rng
        ),
        Ok(())
    );
    // A QR scanner given an NFC creator's payload fails: the mode is bound.
    let mut creator = responder(&d, PairingMethod::Nfc, &mut rng);
    let payload = scanned(&creator);
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + 1,
            &mut rng
        ),
        Err(Error::Aead)
    );
}

#[test]
fn malformed_text_and_binary_payloads_get_specific_errors() {
    let d = devices();
    let mut rng = SeededRng::new([10; 32]);
    let creator = responder(&d, PairingMethod::Qr, &mut rng);
    let mut text = [0u8; MAX_TEXT_LEN];
    let n = creator.payload().encode_text(&mut text).unwrap();
    let text = std::str::from_utf8(&text[..n]).unwrap().to_string();
    assert_eq!(
        PairingPayload::decode_text(&text[4..]).err(),
        Some(Error::MissingPrefix)
    );
    assert_eq!(
        PairingPayload::decode_text(&text.to_lowercase()).err(),
        Some(Error::MissingPrefix)
    );
    // Any single changed character is reported: checksum or a base32 error.
    for position in 4..text.len() {
        let mut damaged = text.clone().into_bytes();
        damaged[position] = if damaged[position] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let err = PairingPayload::decode_text(std::str::from_utf8(&damaged).unwrap()).err();
        assert!(
            matches!(
                err,
                Some(Error::ChecksumMismatch | Error::NonCanonicalBase32)
            ),
            "position {position}: {err:?}"
        );
    }
    let mut bad_char = text.clone().into_bytes();
    bad_char[10] = b'1';
    assert_eq!(
        PairingPayload::decode_text(std::str::from_utf8(&bad_char).unwrap()).err(),
        Some(Error::InvalidCharacter { position: 10 })
    );
    assert!(PairingPayload::decode_text(&text[..text.len() - 8]).is_err());
    assert!(PairingPayload::decode_text(&format!("{text}AAAAAAAA")).is_err());
    assert_eq!(
        PairingPayload::decode_text("HL1:").err(),
        Some(Error::ChecksumMismatch)
    );

    let mut binary = [0u8; MAX_BINARY_LEN + 1];
    let n = creator.payload().encode_binary(&mut binary).unwrap();
    let bytes = &binary[..n];
    assert_eq!(
        PairingPayload::decode_binary(&[]).err(),
        Some(Error::Malformed)
    );
    let mut v2 = bytes.to_vec();
    v2[0] = 2;
    assert_eq!(
        PairingPayload::decode_binary(&v2).err(),
        Some(Error::UnknownVersion { found: 2 })
    );
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert_eq!(
        PairingPayload::decode_binary(&trailing).err(),
        Some(Error::TrailingBytes)
    );
    for cut in 0..n {
        assert!(
            PairingPayload::decode_binary(&bytes[..cut]).is_err(),
            "cut {cut}"
        );
    }
    // A key with bit 255 set: refused as non-canonical.
    let key_at = 1 + 16 + 1 + "Laptop".len();
    let mut high = bytes.to_vec();
    high[key_at + 31] |= 0x80;
    assert_eq!(
        PairingPayload::decode_binary(&high).err(),
        Some(Error::NonCanonicalKey)
    );
    // Pseudo-random garbage never panics.
    let mut x = 0x1234_5678_9abc_def0u64;
    for len in 0..400 {
        let garbage: Vec<u8> = (0..len % 170)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = PairingPayload::decode_binary(&garbage);
        let _ = ndef::find_payload(&garbage);
        if let Ok(s) = std::str::from_utf8(&garbage) {
            let _ = PairingPayload::decode_text(s);
        }
    }
}

#[test]
fn payload_debug_hides_the_secret() {
    let d = devices();
    let mut rng = SeededRng::new([11; 32]);
    let creator = responder(&d, PairingMethod::Qr, &mut rng);
    let shown = format!("{:?}", creator.payload());
    assert!(shown.contains("secret: \"[redacted]\""), "{shown}");
    let shown = format!("{creator:?}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

/// Bytes from another connection cannot end the live run: message 3 must
/// come with the run's id. A clock set back before the payload's creation
/// counts as expired, so it cannot stretch the validity.
#[test]
fn a_foreign_message_3_leaves_the_run_alone_and_clocks_cannot_go_back() {
    let d = devices();
    let mut rng = SeededRng::new([12; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 512];
    // Someone who saw the code opens a run and lets it go stale...
    let (_, message1) = scan(&d.stranger, "Evil", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let (_, their_run) = creator
        .handle_message1(T0 + 1, &message1, &mut wire, &mut rng)
        .unwrap();
    // ...the genuine scanner's run replaces it...
    let late = T0 + 1 + RUN_TIMEOUT_SECS;
    let (mut scanner, message1) =
        scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let (n, run) = creator
        .handle_message1(late, &message1, &mut wire, &mut rng)
        .unwrap();
    assert_ne!(run, their_run);
    let message2 = wire[..n].to_vec();
    // ...and garbage on the old connection cannot end it.
    assert_eq!(
        creator
            .handle_message3(late + 1, their_run, &[0u8; 80])
            .err(),
        Some(Error::WrongRun)
    );
    let (n, _, _) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert!(
        creator.handle_message3(late + 2, run, &wire[..n]).is_ok(),
        "the genuine run survived"
    );

    // A clock set back before creation: refused as expired.
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 - 1,
            &mut rng
        ),
        Err(Error::PayloadExpired)
    );
}

/// The largest payload (32-byte name, furthest expiry, IPv6 hint with the
/// largest port) encodes to exactly the documented maxima.
#[test]
fn the_largest_payload_meets_the_documented_maxima() {
    let d = devices();
    let mut rng = SeededRng::new([13; 32]);
    let name = "N".repeat(32);
    let hint = TransportHint::Socket(SocketAddr::new(
        std::net::IpAddr::V6(std::net::Ipv6Addr::new(0xfe80, 1, 2, 3, 4, 5, 6, 7)),
        u16::MAX,
    ));
    let creator = ProximityResponder::new(
        local(&d.creator, &name),
        PairingMethod::Nfc,
        u64::MAX - 300,
        300,
        ExpiryClock::CreatorClock,
        Some(hint),
        &mut rng,
    )
    .unwrap();
    let mut binary = [0u8; MAX_BINARY_LEN];
    assert_eq!(
        creator.payload().encode_binary(&mut binary),
        Ok(MAX_BINARY_LEN)
    );
    let mut text = [0u8; MAX_TEXT_LEN];
    assert_eq!(creator.payload().encode_text(&mut text), Ok(MAX_TEXT_LEN));
    let code = qrcode::QrCode::with_error_correction_level(&text[..], qrcode::EcLevel::M).unwrap();
    println!(
        "largest payload: binary {MAX_BINARY_LEN} bytes, text {MAX_TEXT_LEN} characters, QR {:?} at level M",
        code.version()
    );
    assert!(PairingPayload::decode_text(std::str::from_utf8(&text).unwrap()).is_ok());
}

/// `MAX_PAIRING_MESSAGE_LEN` is exact: with the longest names, message 2
/// fills a buffer of exactly that size, every message of the run fits one,
/// and a buffer one byte shorter is refused where message 2 or 3 is written.
#[test]
fn the_longest_pairing_messages_fill_max_pairing_message_len_exactly() {
    let d = devices();
    let mut rng = SeededRng::new([15; 32]);
    let longest = "N".repeat(32);
    let mut creator = ProximityResponder::new(
        local(&d.creator, &longest),
        PairingMethod::Qr,
        T0,
        300,
        ExpiryClock::WallClock,
        HINT,
        &mut rng,
    )
    .unwrap();
    let payload = scanned(&creator);
    let mut short = [0u8; MAX_PAIRING_MESSAGE_LEN - 1];
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (mut scanner, n, _) = ProximityInitiator::start(
        local(&d.scanner, &longest),
        PairingMethod::Qr,
        &payload,
        Some(T0 + 1),
        &mut wire,
        &mut rng,
    )
    .unwrap();
    let message1 = wire[..n].to_vec();
    assert!(matches!(
        creator.handle_message1(T0 + 2, &message1, &mut short, &mut rng),
        Err(Error::BufferTooSmall { .. })
    ));
    let (n, run) = creator
        .handle_message1(T0 + 2, &message1, &mut wire, &mut rng)
        .unwrap();
    assert_eq!(
        n, MAX_PAIRING_MESSAGE_LEN,
        "message 2 with the longest name"
    );
    let message2 = wire.to_vec();
    assert!(matches!(
        scanner.handle_message2(&message2, &mut short),
        Err(Error::BufferTooSmall { .. })
    ));
    let (n, seen, _) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert_eq!(seen.name().as_str(), longest);
    assert!(n <= MAX_PAIRING_MESSAGE_LEN);
    let (seen, _) = creator.handle_message3(T0 + 3, run, &wire[..n]).unwrap();
    assert_eq!(seen.name().as_str(), longest);
}

/// Item 3: a recorded message 1 sent again is refused (it cannot keep the
/// creator busy), the live run untouched; the genuine scanner still pairs.
#[test]
fn a_replayed_message_1_is_refused_and_holds_nothing() {
    let d = devices();
    let mut rng = SeededRng::new([14; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 512];
    // A genuine attempt, recorded by an eavesdropper, that goes nowhere.
    let (_, recorded) = scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    creator
        .handle_message1(T0, &recorded, &mut wire, &mut rng)
        .unwrap();
    // Replayed while the run is live, and again each time it would expire.
    assert_eq!(
        creator
            .handle_message1(T0 + 1, &recorded, &mut wire, &mut rng)
            .err(),
        Some(Error::Replayed)
    );
    for k in 1..4 {
        let t = T0 + k * RUN_TIMEOUT_SECS;
        assert_eq!(
            creator
                .handle_message1(t, &recorded, &mut wire, &mut rng)
                .err(),
            Some(Error::Replayed)
        );
        assert!(!creator.is_busy(t), "a replay holds nothing");
    }
    assert_eq!(
        pair_once(
            &d,
            &mut creator,
            &payload,
            PairingMethod::Qr,
            T0 + RUN_TIMEOUT_SECS + 1,
            &mut rng
        ),
        Ok(())
    );
}

/// Item 3: the table of answered ephemerals is bounded; once full the
/// payload refuses new runs with a precise error (and still refuses
/// replays as replays), while the run in progress may finish.
#[test]
fn a_payload_answers_at_most_max_runs() {
    let d = devices();
    let mut rng = SeededRng::new([15; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 512];
    let mut first = Vec::new();
    let mut live = None;
    for k in 0..MAX_RUNS_PER_PAYLOAD as u64 {
        let (scanner, message1) =
            scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
        let t = T0 + k * RUN_TIMEOUT_SECS;
        let (n, run) = creator
            .handle_message1(t, &message1, &mut wire, &mut rng)
            .unwrap();
        if k == 0 {
            first = message1;
        }
        live = Some((scanner, wire[..n].to_vec(), run, t));
    }
    let (mut scanner, message2, run, t) = live.unwrap();
    let (_, fresh) = scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let later = t + RUN_TIMEOUT_SECS;
    assert_eq!(
        creator
            .handle_message1(later, &fresh, &mut wire, &mut rng)
            .err(),
        Some(Error::PayloadExhausted)
    );
    assert_eq!(
        creator
            .handle_message1(later, &first, &mut wire, &mut rng)
            .err(),
        Some(Error::Replayed)
    );
    // The last run, still live at `t + 1`, finishes.
    let (n, _, _) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert!(creator.handle_message3(t + 1, run, &wire[..n]).is_ok());
}

/// Item 7: a too-small buffer for message 3 is refused and the scanner's
/// run survives it (the call borrows the run, it does not consume it); a
/// second call after the run ended is out of order.
#[test]
fn a_too_small_buffer_keeps_the_scanners_run() {
    let d = devices();
    let mut rng = SeededRng::new([16; 32]);
    let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 512];
    let (mut scanner, message1) =
        scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let (n, run) = creator
        .handle_message1(T0, &message1, &mut wire, &mut rng)
        .unwrap();
    let message2 = wire[..n].to_vec();
    assert_eq!(
        scanner.handle_message2(&message2, &mut [0u8; 8]).err(),
        Some(Error::BufferTooSmall {
            needed: MAX_PAIRING_MESSAGE_LEN
        })
    );
    let (n, _, _) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert!(creator.handle_message3(T0 + 1, run, &wire[..n]).is_ok());
    assert_eq!(
        scanner.handle_message2(&message2, &mut wire).err(),
        Some(Error::OutOfOrder)
    );
}

/// Review finding: tickets were numbered from 0 by every creator, so a
/// stale connection from an earlier code's run could present the same
/// ticket to the next code's creator and end its live run. Tickets are now
/// random: the earlier run's ticket is refused as another run's.
#[test]
fn a_ticket_from_an_earlier_codes_run_cannot_end_the_next_codes_run() {
    let d = devices();
    let mut rng = SeededRng::new([15; 32]);
    let mut wire = [0u8; 512];
    let mut first = responder(&d, PairingMethod::Qr, &mut rng);
    let first_payload = scanned(&first);
    let (_, message1) = scan(
        &d.stranger,
        "Old",
        PairingMethod::Qr,
        &first_payload,
        &mut rng,
    )
    .unwrap();
    let (_, stale_run) = first
        .handle_message1(T0, &message1, &mut wire, &mut rng)
        .unwrap();

    let mut second = responder(&d, PairingMethod::Qr, &mut rng);
    let payload = scanned(&second);
    let (mut scanner, message1) =
        scan(&d.scanner, "Phone", PairingMethod::Qr, &payload, &mut rng).unwrap();
    let (n, run) = second
        .handle_message1(T0 + 1, &message1, &mut wire, &mut rng)
        .unwrap();
    let message2 = wire[..n].to_vec();
    assert_ne!(run, stale_run, "two creators handed out the same ticket");
    assert_eq!(
        second.handle_message3(T0 + 2, stale_run, &[0u8; 80]).err(),
        Some(Error::WrongRun)
    );
    let (n, _, _) = scanner.handle_message2(&message2, &mut wire).unwrap();
    assert!(second.handle_message3(T0 + 3, run, &wire[..n]).is_ok());
}

/// `poll_timeout` drops a stale run (its message 3 then finds no run at
/// all) and leaves a live one alone (it still completes).
#[test]
fn poll_timeout_drops_only_a_stale_run() {
    let d = devices();
    let mut rng = SeededRng::new([0x31; 32]);
    for stale in [false, true] {
        let mut creator = responder(&d, PairingMethod::Qr, &mut rng);
        let payload = scanned(&creator);
        let (run, message3) =
            up_to_message3(&d, &mut creator, &payload, PairingMethod::Qr, T0, &mut rng).unwrap();
        let now = if stale {
            T0 + RUN_TIMEOUT_SECS
        } else {
            T0 + RUN_TIMEOUT_SECS - 1
        };
        creator.poll_timeout(now);
        assert_eq!(creator.is_busy(now), !stale);
        let result = creator.handle_message3(now, run, &message3).map(|_| ());
        if stale {
            assert_eq!(
                result,
                Err(Error::OutOfOrder),
                "the stale run was not dropped"
            );
        } else {
            assert_eq!(result, Ok(()), "poll_timeout dropped a live run");
        }
    }
}

/// QR and NFC machines refuse to run as PIN pairing, on both sides.
#[test]
fn proximity_pairing_refuses_the_pin_method() {
    let d = devices();
    let mut rng = SeededRng::new([0x32; 32]);
    assert_eq!(
        ProximityResponder::new(
            local(&d.creator, "Laptop"),
            PairingMethod::Pin,
            T0,
            300,
            ExpiryClock::WallClock,
            HINT,
            &mut rng,
        )
        .err(),
        Some(Error::ModeMismatch)
    );
    let creator = responder(&d, PairingMethod::Nfc, &mut rng);
    let payload = scanned(&creator);
    let mut wire = [0u8; 512];
    assert_eq!(
        ProximityInitiator::start(
            local(&d.scanner, "Phone"),
            PairingMethod::Pin,
            &payload,
            None,
            &mut wire,
            &mut rng,
        )
        .err(),
        Some(Error::ModeMismatch)
    );
}
