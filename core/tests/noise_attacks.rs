//! Attacks on the Noise handshakes. Each test would fail if the defence it
//! names were missing.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::{HandshakeState, Next, Prologue, Protocol, Role};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::testing::SeededRng;

struct Keys {
    init: StaticSecret,
    resp: StaticSecret,
}

fn keys() -> Keys {
    Keys {
        init: StaticSecret::from_bytes(SecretBytes::new([0x61; 32])),
        resp: StaticSecret::from_bytes(SecretBytes::new([0x62; 32])),
    }
}

fn protocol(psk: Option<u8>) -> Protocol {
    match psk {
        None => Protocol::Xx,
        Some(b) => Protocol::XxPsk2(SecretBytes::new([b; 32])),
    }
}

fn prologue(psk: Option<u8>) -> Prologue {
    match psk {
        None => Prologue::session(),
        Some(_) => Prologue::pairing(PairingMethod::Qr, &[7; 64]),
    }
}

fn pair<'a>(keys: &'a Keys, psk: Option<u8>, seed: u8) -> (HandshakeState<'a>, HandshakeState<'a>) {
    let mut rng = SeededRng::new([seed; 32]);
    let p = prologue(psk);
    (
        HandshakeState::new(protocol(psk), Role::Initiator, &p, &keys.init, &mut rng).unwrap(),
        HandshakeState::new(protocol(psk), Role::Responder, &p, &keys.resp, &mut rng).unwrap(),
    )
}

/// Runs the handshake, applying `tamper` to message `target` (0, 1 or 2)
/// before it is read. Returns the first read error, if any.
fn run_tampered(
    psk: Option<u8>,
    target: usize,
    tamper: &dyn Fn(&mut Vec<u8>),
) -> Result<(), Error> {
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, psk, 1);
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    for i in 0..3 {
        let (writer, reader) = if i % 2 == 0 {
            (&mut init, &mut resp)
        } else {
            (&mut resp, &mut init)
        };
        let len = writer
            .write_message(b"payload", &mut wire)
            .expect("writing never fails here");
        let mut message = wire[..len].to_vec();
        if i == target {
            tamper(&mut message);
        }
        reader.read_message(&message, &mut payload)?;
    }
    Ok(())
}

#[test]
fn untampered_handshakes_succeed() {
    for psk in [None, Some(1)] {
        for target in 0..3 {
            assert_eq!(run_tampered(psk, target, &|_| {}), Ok(()));
        }
    }
}

/// Flipping any single bit of any handshake message makes the handshake fail
/// by the next message read (message 1's ephemeral key and, in XX, its
/// plaintext payload are only authenticated by message 2).
#[test]
fn every_single_bit_flip_fails_the_handshake() {
    for psk in [None, Some(1)] {
        let lengths = [
            32 + 7 + if psk.is_some() { 16 } else { 0 },
            32 + 48 + 7 + 16,
            48 + 7 + 16,
        ];
        for (target, len) in lengths.into_iter().enumerate() {
            for bit in 0..len * 8 {
                let result = run_tampered(psk, target, &|m| {
                    assert_eq!(m.len(), len, "message {target} length");
                    m[bit / 8] ^= 1 << (bit % 8);
                });
                assert!(
                    result.is_err(),
                    "psk {psk:?}, message {target}, bit {bit}: accepted"
                );
            }
        }
    }
}

#[test]
fn truncated_extended_and_reordered_messages_are_rejected() {
    for psk in [None, Some(1)] {
        for target in 0..3 {
            assert!(run_tampered(psk, target, &|m| m.truncate(m.len() - 1)).is_err());
            assert!(run_tampered(psk, target, &|m| m.push(0)).is_err());
            assert!(run_tampered(psk, target, &|m| m.truncate(10)).is_err());
            assert!(run_tampered(psk, target, &|m| m.clear()).is_err());
        }
        // Two blocks of a message swapped.
        assert!(
            run_tampered(psk, 1, &|m| {
                let (a, b) = m.split_at_mut(32);
                a.swap_with_slice(&mut b[..32]);
            })
            .is_err()
        );
    }
    // Message 3 delivered in place of message 1: too short for a responder's
    // first read? It is long enough, so it is read as an ephemeral key and a
    // payload, and the initiator then refuses message 2.
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, None, 2);
    let (mut init2, mut resp2) = pair(&keys, None, 3);
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(b"", &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(b"", &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    let n = init.write_message(b"", &mut wire).unwrap();
    let message3 = wire[..n].to_vec();
    // A fresh responder given a message 3 as its message 1.
    let _ = init2.write_message(b"", &mut wire).unwrap();
    resp2
        .read_message(&message3, &mut payload)
        .expect("any bytes parse as e and payload");
    let n = resp2.write_message(b"", &mut wire).unwrap();
    assert!(init2.read_message(&wire[..n], &mut payload).is_err());
}

#[test]
fn replayed_message_1_yields_different_keys() {
    let keys = keys();
    let mut rng = SeededRng::new([9; 32]);
    let p = Prologue::session();
    let mut init =
        HandshakeState::new(Protocol::Xx, Role::Initiator, &p, &keys.init, &mut rng).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(b"", &mut wire).unwrap();
    let message1 = wire[..n].to_vec();
    let mut answers = Vec::new();
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let mut resp =
            HandshakeState::new(Protocol::Xx, Role::Responder, &p, &keys.resp, &mut rng).unwrap();
        resp.read_message(&message1, &mut payload).unwrap();
        let n = resp.write_message(b"", &mut wire).unwrap();
        answers.push(wire[..n].to_vec());
        hashes.push(*resp.handshake_hash());
    }
    assert_ne!(answers[0], answers[1], "fresh ephemeral per responder");
    assert_ne!(hashes[0], hashes[1]);
}

#[test]
fn wrong_psk_fails_the_initiator_on_message_2_before_it_sends_its_static_key() {
    let keys = keys();
    let mut rng = SeededRng::new([4; 32]);
    let p = prologue(Some(0));
    let mut init =
        HandshakeState::new(protocol(Some(1)), Role::Initiator, &p, &keys.init, &mut rng).unwrap();
    let mut resp =
        HandshakeState::new(protocol(Some(2)), Role::Responder, &p, &keys.resp, &mut rng).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(b"", &mut wire).unwrap();
    // Message 1 carries only the ephemeral key and an empty payload's tag.
    assert_eq!(n, 32 + 16);
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(b"", &mut wire).unwrap();
    assert_eq!(
        init.read_message(&wire[..n], &mut payload),
        Err(Error::Aead)
    );
    assert_eq!(init.next(), Next::Failed);
    assert!(
        init.remote_static().is_none(),
        "no key shown on the strength of a decryption alone"
    );
    assert_eq!(
        init.write_message(b"", &mut wire),
        Err(Error::HandshakeFailed),
        "message 3 is never written"
    );
}

#[test]
fn responder_with_wrong_psk_cannot_be_answered() {
    // The initiator holds the right PSK, the responder the wrong one: the
    // responder's message 2 already fails at the initiator, so use a
    // responder that learns nothing either way: both wrong against each
    // other means neither side completes.
    let keys = keys();
    let mut rng = SeededRng::new([5; 32]);
    let p = prologue(Some(0));
    let mut init =
        HandshakeState::new(protocol(Some(3)), Role::Initiator, &p, &keys.init, &mut rng).unwrap();
    let mut resp =
        HandshakeState::new(protocol(Some(4)), Role::Responder, &p, &keys.resp, &mut rng).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(b"", &mut wire).unwrap();
    // Message 1 is encrypted under a key mixed from the ephemeral only (psk
    // handshakes MixKey(e)), so the responder accepts it.
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(b"", &mut wire).unwrap();
    assert!(init.read_message(&wire[..n], &mut payload).is_err());
    assert!(resp.remote_static().is_none());
}

#[test]
fn out_of_order_calls_are_errors_and_leave_the_state_usable() {
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, None, 6);
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    assert_eq!(
        init.read_message(&[0; 64], &mut payload),
        Err(Error::OutOfOrder)
    );
    assert_eq!(resp.write_message(b"", &mut wire), Err(Error::OutOfOrder));
    let n = init.write_message(b"", &mut wire).unwrap();
    assert_eq!(init.write_message(b"", &mut wire), Err(Error::OutOfOrder));
    // A too-small buffer is refused up front and changes nothing.
    assert_eq!(
        resp.read_message(&[0; 40], &mut payload[..4]),
        Err(Error::BufferTooSmall { needed: 8 })
    );
    resp.read_message(&wire[..n], &mut payload).unwrap();
    assert_eq!(
        resp.write_message(b"", &mut wire[..95]),
        Err(Error::BufferTooSmall { needed: 96 })
    );
    let n = resp.write_message(b"", &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    assert_eq!(
        pair(&keys, None, 7).0.finish().err(),
        Some(Error::OutOfOrder),
        "finishing before the last message"
    );
    let n = init.write_message(b"", &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    assert_eq!(init.write_message(b"", &mut wire), Err(Error::OutOfOrder));
    assert!(init.finish().is_ok());
    assert!(resp.finish().is_ok());
}

#[test]
fn after_a_failure_every_call_is_an_error() {
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, None, 8);
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    let n = init.write_message(b"", &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(b"", &mut wire).unwrap();
    wire[40] ^= 1;
    assert_eq!(
        init.read_message(&wire[..n], &mut payload),
        Err(Error::Aead)
    );
    assert_eq!(init.next(), Next::Failed);
    wire[40] ^= 1;
    assert_eq!(
        init.read_message(&wire[..n], &mut payload),
        Err(Error::HandshakeFailed)
    );
    assert_eq!(
        init.write_message(b"", &mut wire),
        Err(Error::HandshakeFailed)
    );
    assert!(init.remote_static().is_none());
    assert_eq!(
        init.handshake_hash(),
        &[0u8; 64],
        "the transcript hash was wiped"
    );
    assert_eq!(init.finish().err(), Some(Error::HandshakeFailed));
}

#[test]
fn oversized_messages_are_refused() {
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, None, 10);
    let big = vec![0u8; 70_000];
    let mut out = vec![0u8; 70_000];
    assert_eq!(
        init.write_message(&big[..65_535 - 32 + 1], &mut out),
        Err(Error::MessageTooLong)
    );
    assert_eq!(
        init.write_message(&big[..65_535 - 32], &mut out),
        Ok(65_535)
    );
    assert_eq!(
        resp.read_message(&big[..65_536], &mut out),
        Err(Error::MessageTooLong)
    );
    assert_eq!(resp.next(), Next::Failed);
}

#[test]
fn handshake_state_fits_the_memory_budget() {
    let size = size_of::<HandshakeState<'_>>();
    println!("size_of::<HandshakeState>() = {size} bytes");
    assert!(size <= 512, "HandshakeState is {size} bytes, budget 512");
}

/// The responder's own PSK check: a message 3 made in a run under PSK A is
/// refused by a responder holding PSK B that sent the very same message 2
/// bytes up to the PSK (same ephemeral keys, injected).
#[test]
fn responder_refuses_message_3_made_under_another_psk() {
    use honeylink_core::testing::ScriptedRng;
    let keys = keys();
    let p = prologue(Some(0));
    let run = |init_psk: u8, resp_psk: u8| {
        let init = HandshakeState::new(
            protocol(Some(init_psk)),
            Role::Initiator,
            &p,
            &keys.init,
            &mut ScriptedRng::new(&[0x31; 32]),
        )
        .unwrap();
        let resp = HandshakeState::new(
            protocol(Some(resp_psk)),
            Role::Responder,
            &p,
            &keys.resp,
            &mut ScriptedRng::new(&[0x32; 32]),
        )
        .unwrap();
        (init, resp)
    };
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    // The genuine run under PSK A yields a valid message 3.
    let (mut init, mut resp_a) = run(1, 1);
    let n = init.write_message(b"", &mut wire).unwrap();
    let message1 = wire[..n].to_vec();
    resp_a.read_message(&message1, &mut payload).unwrap();
    let n = resp_a.write_message(b"", &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    let n = init.write_message(b"", &mut wire).unwrap();
    let message3 = wire[..n].to_vec();
    resp_a.read_message(&message3, &mut payload).unwrap();

    // A responder under PSK B, given the same message 1, refuses message 3.
    let (_, mut resp_b) = run(1, 2);
    resp_b.read_message(&message1, &mut payload).unwrap();
    let _ = resp_b.write_message(b"", &mut wire).unwrap();
    assert_eq!(
        resp_b.read_message(&message3, &mut payload),
        Err(Error::Aead)
    );
    assert!(resp_b.remote_static().is_none());
    assert_eq!(resp_b.next(), Next::Failed);
}

/// A low-order ephemeral key in message 1 makes the responder's `ee` all
/// zeros: refused when writing message 2, and the handshake ends.
#[test]
fn low_order_ephemeral_key_is_refused() {
    let keys = keys();
    let (_, mut resp) = pair(&keys, None, 20);
    let mut payload = [0u8; 64];
    let mut wire = [0u8; 256];
    resp.read_message(&[0u8; 32], &mut payload).unwrap();
    assert_eq!(
        resp.write_message(b"", &mut wire),
        Err(Error::ZeroSharedSecret)
    );
    assert_eq!(resp.next(), Next::Failed);
}

/// The limit is exact on the reading side too: a message of exactly 65,535
/// bytes is read, with its whole payload.
#[test]
fn a_message_of_exactly_the_limit_is_read() {
    let keys = keys();
    let (mut init, mut resp) = pair(&keys, None, 11);
    let payload: Vec<u8> = (0..65_535 - 32).map(|i| (i % 251) as u8).collect();
    let mut message = vec![0u8; 65_535];
    assert_eq!(init.write_message(&payload, &mut message), Ok(65_535));
    let mut read = vec![0u8; 65_535];
    assert_eq!(resp.read_message(&message, &mut read), Ok(payload.len()));
    assert_eq!(&read[..payload.len()], &payload[..]);
    assert_eq!(resp.next(), Next::Write);
}
