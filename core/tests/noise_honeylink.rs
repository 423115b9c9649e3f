//! HoneyLink's layer over Noise: prologue, empty message 1, payloads in
//! messages 2 and 3, and the decision points after messages 2 and 3.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use common::*;
use honeylink_core::Error;
use honeylink_core::identity::DeviceName;
use honeylink_core::noise::{
    HandshakeState, MAX_MESSAGE_LEN, Mode, Next, Prologue, Protocol, Role,
};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

fn psk(byte: u8) -> Protocol {
    Protocol::XxPsk2(honeylink_core::crypto::SecretBytes::new([byte; 32]))
}

#[test]
fn session_handshake_with_payloads_and_a_decision_after_message_2() {
    let [phone, laptop] = identities(0x21);
    let mut rng = SeededRng::new([1; 32]);
    let prologue = Prologue::session();
    let mut init = HandshakeState::new(
        Protocol::Xx,
        Role::Initiator,
        &prologue,
        phone.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut resp = HandshakeState::new(
        Protocol::Xx,
        Role::Responder,
        &prologue,
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
    assert_eq!(a.handshake_hash(), b.handshake_hash());
    assert_eq!(*a.remote_static(), *laptop.static_public_key());
    assert_eq!(*b.remote_static(), *phone.static_public_key());
}

#[test]
fn initiator_sees_the_responder_before_message_3_and_may_abort() {
    let [phone, laptop] = identities(0x21);
    let mut rng = SeededRng::new([2; 32]);
    let p = Prologue::session();
    let mut init = HandshakeState::new(
        Protocol::Xx,
        Role::Initiator,
        &p,
        phone.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut resp = HandshakeState::new(
        Protocol::Xx,
        Role::Responder,
        &p,
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
    // Before writing message 3 the initiator already holds the responder's
    // verified key, and nothing of its own static key has left it.
    assert_eq!(init.remote_static(), Some(laptop.static_public_key()));
    assert_eq!(init.next(), Next::Write);
    assert!(resp.remote_static().is_none());
    // It does not like the key it sees: it aborts, writing nothing. The
    // responder, still waiting for message 3, never learns who called.
    init.abort();
    assert_eq!(resp.next(), Next::Read);
    assert!(resp.remote_static().is_none());
}

#[test]
fn pairing_prologue_mode_and_binding_must_match() {
    let [phone, laptop] = identities(0x21);
    let binding = [0x5a; 64];
    let mut other_binding = binding;
    other_binding[63] ^= 1;
    let cases = [
        (
            Prologue::pairing(PairingMethod::Qr, &binding),
            Prologue::pairing(PairingMethod::Qr, &binding),
            true,
        ),
        (
            Prologue::pairing(PairingMethod::Qr, &binding),
            Prologue::pairing(PairingMethod::Nfc, &binding),
            false,
        ),
        (
            Prologue::pairing(PairingMethod::Qr, &binding),
            Prologue::pairing(PairingMethod::Qr, &other_binding),
            false,
        ),
        (
            Prologue::pairing(PairingMethod::Pin, &binding),
            Prologue::pairing(PairingMethod::Pin, &binding),
            true,
        ),
    ];
    for (i, (a, b, ok)) in cases.iter().enumerate() {
        let mut rng = SeededRng::new([i as u8; 32]);
        let mut init =
            HandshakeState::new(psk(9), Role::Initiator, a, phone.static_secret(), &mut rng)
                .unwrap();
        let mut resp =
            HandshakeState::new(psk(9), Role::Responder, b, laptop.static_secret(), &mut rng)
                .unwrap();
        let mut wire = [0u8; 256];
        let mut payload = [0u8; 256];
        let name = DeviceName::new("Laptop").unwrap();
        let mut encoded = [0u8; HandshakePayload::MAX_LEN];
        let len = HandshakePayload::pairing(laptop.device_id(), PayloadFlags::empty(), name)
            .encode(&mut encoded)
            .unwrap();
        let n = init.write_message(&[], &mut wire).unwrap();
        // In XXpsk2 message 1's (empty) payload is already encrypted, with the
        // handshake hash (which covers the prologue) as associated data, so a
        // mismatch shows here.
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

/// A prologue's mode must match the protocol: a pairing never runs without
/// its PSK, and a session never takes one.
#[test]
fn mode_and_protocol_must_agree() {
    let [phone, _] = identities(0x21);
    let mut rng = SeededRng::new([3; 32]);
    let pairing = Prologue::pairing(PairingMethod::Qr, &[1; 64]);
    let session = Prologue::session();
    for (protocol, prologue) in [(Protocol::Xx, &pairing), (psk(1), &session)] {
        assert_eq!(
            HandshakeState::new(
                protocol,
                Role::Initiator,
                prologue,
                phone.static_secret(),
                &mut rng
            )
            .err(),
            Some(Error::ModeMismatch)
        );
    }
    assert!(
        HandshakeState::new(
            psk(1),
            Role::Initiator,
            &pairing,
            phone.static_secret(),
            &mut rng
        )
        .is_ok()
    );
    assert!(
        HandshakeState::new(
            Protocol::Xx,
            Role::Initiator,
            &session,
            phone.static_secret(),
            &mut rng
        )
        .is_ok()
    );
}
