//! HoneyLink's layer over Noise: prologue, empty message 1, payloads in
//! messages 2 and 3, and the decision points after messages 2 and 3.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::Error;
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::{
    HandshakeState, MAX_MESSAGE_LEN, Mode, Next, Prologue, Protocol, Role,
};
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

fn identities() -> (DeviceIdentity, DeviceIdentity) {
    let mut rng = SeededRng::new([0x21; 32]);
    (
        DeviceIdentity::generate(&mut rng).unwrap(),
        DeviceIdentity::generate(&mut rng).unwrap(),
    )
}

fn psk(byte: u8) -> Protocol {
    Protocol::XxPsk2(honeylink_core::crypto::SecretBytes::new([byte; 32]))
}

#[test]
fn session_handshake_with_payloads_and_a_decision_after_message_2() {
    let (phone, laptop) = identities();
    let mut rng = SeededRng::new([1; 32]);
    let prologue = Prologue::session();
    let mut init = HandshakeState::new(
        Protocol::Xx,
        Role::Initiator,
        prologue.as_bytes(),
        phone.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut resp = HandshakeState::new(
        Protocol::Xx,
        Role::Responder,
        prologue.as_bytes(),
        laptop.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut wire = [0u8; MAX_MESSAGE_LEN];
    let mut payload = [0u8; HandshakePayload::MAX_LEN];
    let mut encoded = [0u8; HandshakePayload::MAX_LEN];

    // Message 1 is empty.
    let n = init.write_message(&[], &mut wire).unwrap();
    assert_eq!(n, 32);
    assert_eq!(resp.read_message(&wire[..n], &mut payload).unwrap(), 0);

    // Message 2: the responder's payload, no name in a session.
    let len = HandshakePayload::session(laptop.device_id(), PayloadFlags::empty())
        .encode(&mut encoded)
        .unwrap();
    let n = resp.write_message(&encoded[..len], &mut wire).unwrap();
    assert!(init.remote_static().is_none());
    let got = init.read_message(&wire[..n], &mut payload).unwrap();
    let theirs = HandshakePayload::decode(&payload[..got], Mode::Session).unwrap();
    // The decision point: key and payload are known before message 3.
    assert_eq!(theirs.device_id, laptop.device_id());
    assert_eq!(init.remote_static(), Some(laptop.static_public_key()));
    assert_eq!(init.next(), Next::Write);

    // Message 3: the initiator continues.
    let len = HandshakePayload::session(phone.device_id(), PayloadFlags::HEADLESS)
        .encode(&mut encoded)
        .unwrap();
    let n = init.write_message(&encoded[..len], &mut wire).unwrap();
    let got = resp.read_message(&wire[..n], &mut payload).unwrap();
    let theirs = HandshakePayload::decode(&payload[..got], Mode::Session).unwrap();
    assert_eq!(theirs.device_id, phone.device_id());
    assert!(theirs.flags.contains(PayloadFlags::HEADLESS));
    assert_eq!(resp.remote_static(), Some(phone.static_public_key()));

    let a = init.finish().unwrap();
    let b = resp.finish().unwrap();
    assert_eq!(a.handshake_hash, b.handshake_hash);
    assert_eq!(a.remote_static, *laptop.static_public_key());
    assert_eq!(b.remote_static, *phone.static_public_key());
}

#[test]
fn aborting_after_message_2_sends_nothing_and_the_responder_gets_no_key() {
    let (phone, laptop) = identities();
    let mut rng = SeededRng::new([2; 32]);
    let p = Prologue::session();
    let mut init = HandshakeState::new(
        Protocol::Xx,
        Role::Initiator,
        p.as_bytes(),
        phone.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut resp = HandshakeState::new(
        Protocol::Xx,
        Role::Responder,
        p.as_bytes(),
        laptop.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(&[], &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    // The initiator does not like the key it sees: it aborts.
    init.abort();
    // The responder never learns the initiator's static key.
    assert!(resp.remote_static().is_none());
    assert_eq!(resp.next(), Next::Read);
}

#[test]
fn pairing_prologue_mode_and_binding_must_match() {
    let (phone, laptop) = identities();
    let binding = [0x5a; 64];
    let mut other_binding = binding;
    other_binding[63] ^= 1;
    let cases = [
        (
            Prologue::pairing(Mode::QrPairing, &binding),
            Prologue::pairing(Mode::QrPairing, &binding),
            true,
        ),
        (
            Prologue::pairing(Mode::QrPairing, &binding),
            Prologue::pairing(Mode::NfcPairing, &binding),
            false,
        ),
        (
            Prologue::pairing(Mode::QrPairing, &binding),
            Prologue::pairing(Mode::QrPairing, &other_binding),
            false,
        ),
        (
            Prologue::pairing(Mode::PinPairing, &binding),
            Prologue::session(),
            false,
        ),
    ];
    for (i, (a, b, ok)) in cases.iter().enumerate() {
        let mut rng = SeededRng::new([i as u8; 32]);
        let mut init = HandshakeState::new(
            psk(9),
            Role::Initiator,
            a.as_bytes(),
            phone.static_secret(),
            &mut rng,
        )
        .unwrap();
        let mut resp = HandshakeState::new(
            psk(9),
            Role::Responder,
            b.as_bytes(),
            laptop.static_secret(),
            &mut rng,
        )
        .unwrap();
        let mut wire = [0u8; 256];
        let mut payload = [0u8; 256];
        let name = DeviceName::new("Laptop").unwrap();
        let mut encoded = [0u8; HandshakePayload::MAX_LEN];
        let len = HandshakePayload::pairing(laptop.device_id(), PayloadFlags::empty(), name)
            .encode(&mut encoded)
            .unwrap();
        let n = init.write_message(&[], &mut wire).unwrap();
        // In XXpsk2 message 1's (empty) payload is already encrypted under a
        // key mixed from the prologue hash, so a mismatch shows here.
        let first = resp.read_message(&wire[..n], &mut payload);
        let result = first.and_then(|_| {
            let n = resp.write_message(&encoded[..len], &mut wire)?;
            init.read_message(&wire[..n], &mut payload)
        });
        assert_eq!(result.is_ok(), *ok, "case {i}: {result:?}");
        if !ok {
            assert!(matches!(result, Err(Error::Aead)), "case {i}: {result:?}");
        }
    }
}
