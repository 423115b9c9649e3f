//! The cacophony vector for `Noise_XX_25519_ChaChaPoly_SHA512`, byte for byte
//! through the public API. The ephemeral keys are injected through the RNG:
//! `HandshakeState::with_raw_prologue` draws the ephemeral secret's 32 bytes first.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use common::VectorFile;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::{HandshakeState, Next, Protocol, Role};
use honeylink_core::testing::ScriptedRng;

#[test]
fn cacophony_xx_25519_chachapoly_sha512() {
    let file = VectorFile::parse(
        "vectors/noise_cacophony.json",
        include_str!("../../vectors/noise_cacophony.json"),
    );
    let case = file.case("cacophony-XX-25519-ChaChaPoly-SHA512");
    assert_eq!(case.str("protocol_name"), Protocol::Xx.name());

    let init_static = StaticSecret::from_bytes(SecretBytes::new(case.hex_array("init_static")));
    let resp_static = StaticSecret::from_bytes(SecretBytes::new(case.hex_array("resp_static")));
    let init_e = case.hex("init_ephemeral");
    let resp_e = case.hex("resp_ephemeral");
    let mut init_rng = ScriptedRng::new(&init_e);
    let mut resp_rng = ScriptedRng::new(&resp_e);
    let init_prologue = case.hex("init_prologue");
    let resp_prologue = case.hex("resp_prologue");
    let mut initiator = HandshakeState::with_raw_prologue(
        Protocol::Xx,
        Role::Initiator,
        &init_prologue,
        &init_static,
        &mut init_rng,
    )
    .expect("32 scripted bytes");
    let mut responder = HandshakeState::with_raw_prologue(
        Protocol::Xx,
        Role::Responder,
        &resp_prologue,
        &resp_static,
        &mut resp_rng,
    )
    .expect("32 scripted bytes");
    assert_eq!(
        init_rng.remaining(),
        0,
        "the ephemeral key takes exactly the scripted bytes"
    );

    let messages = case.json["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 6, "{}", case.at("messages"));
    let field = |i: usize, name: &str| {
        common::decode_hex(messages[i][name].as_str().expect("hex"))
            .unwrap_or_else(|e| panic!("{}: message {i}: {e}", case.at(name)))
    };
    let mut wire = [0u8; 1024];
    let mut payload = [0u8; 1024];
    // Handshake: messages 0 and 2 from the initiator, 1 from the responder.
    for i in 0..3 {
        let (writer, reader) = if i % 2 == 0 {
            (&mut initiator, &mut responder)
        } else {
            (&mut responder, &mut initiator)
        };
        let len = writer
            .write_message(&field(i, "payload"), &mut wire)
            .expect("write");
        assert_eq!(
            common::encode_hex(&wire[..len]),
            common::encode_hex(&field(i, "ciphertext")),
            "{}: message {i}",
            case.at("ciphertext")
        );
        let got = reader
            .read_message(&wire[..len], &mut payload)
            .expect("read");
        assert_eq!(
            &payload[..got],
            field(i, "payload").as_slice(),
            "{}: message {i}",
            case.at("payload")
        );
    }
    assert_eq!(initiator.next(), Next::Finish);
    assert_eq!(responder.next(), Next::Finish);
    let init = initiator.finish().expect("finished");
    let resp = responder.finish().expect("finished");
    case.check("handshake_hash", init.handshake_hash());
    case.check("handshake_hash", resp.handshake_hash());
    assert_eq!(*init.remote_static(), *resp_static.public_key());
    assert_eq!(*resp.remote_static(), *init_static.public_key());

    // Transport: the alternation continues, so message 3 is the responder's
    // and messages 4 and 5 the initiator's and the responder's.
    let (mut init_send, mut init_recv) = init.into_cipher_states();
    let (mut resp_send, mut resp_recv) = resp.into_cipher_states();
    for i in 3..6 {
        let plain = field(i, "payload");
        let (send, recv) = if i % 2 == 0 {
            (&mut init_send, &mut resp_recv)
        } else {
            (&mut resp_send, &mut init_recv)
        };
        let len = send.encrypt_to(&[], &plain, &mut wire).expect("encrypt");
        assert_eq!(
            common::encode_hex(&wire[..len]),
            common::encode_hex(&field(i, "ciphertext")),
            "{}: message {i}",
            case.at("ciphertext")
        );
        let got = recv
            .decrypt_to(&[], &wire[..len], &mut payload)
            .expect("decrypt");
        assert_eq!(
            &payload[..got],
            plain.as_slice(),
            "{}: message {i}",
            case.at("payload")
        );
    }
}
