//! Arbitrary bytes into every binary decoder that reads untrusted input:
//! pairing payloads (binary, QR text, NDEF), handshake payloads, audit
//! records (and a verifier fed them), and trust-store flash images. None may
//! panic; whatever decodes must re-encode to exactly the input (one encoding
//! per value).

#![no_main]

use honeylink_core::audit::{Anchor, ChainVerifier, Record};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::Mode;
use honeylink_core::pairing::payload::{MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload};
use honeylink_core::pairing::{PairingMethod, ndef};
use honeylink_core::trust::{ImageKey, TrustStore};
use honeylink_core::wire::HandshakePayload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = PairingPayload::decode_binary(data) {
        let mut out = [0u8; MAX_BINARY_LEN];
        let n = payload
            .encode_binary(&mut out)
            .expect("a decoded payload re-encodes");
        assert_eq!(&out[..n], data, "one binary encoding per payload");
    }
    if let Ok(text) = core::str::from_utf8(data)
        && let Ok(payload) = PairingPayload::decode_text(text)
    {
        let mut out = [0u8; MAX_TEXT_LEN];
        let n = payload
            .encode_text(&mut out)
            .expect("a decoded payload re-encodes");
        assert_eq!(&out[..n], data, "one text encoding per payload");
    }
    if let Ok(inner) = ndef::find_payload(data) {
        assert!(inner.len() <= data.len());
    }
    for mode in [Mode::Session, Mode::Pairing(PairingMethod::Qr)] {
        if let Ok(payload) = HandshakePayload::decode(data, mode) {
            let mut out = [0u8; HandshakePayload::MAX_LEN];
            let n = payload.encode(&mut out).expect("fits");
            assert_eq!(&out[..n], data, "one encoding per handshake payload");
        }
    }
    let _ = Record::decode(data);
    let key = SigningKey::from_seed(&SecretBytes::new([1; 32]));
    let mut verifier = ChainVerifier::new(Anchor::SigningKey(key.verifying_key()), None);
    for chunk in data.chunks(97) {
        if verifier.push(chunk).is_err() {
            break;
        }
    }
    let _ = verifier.finish();
    let image_key = ImageKey::derive(&StaticSecret::from_bytes(SecretBytes::new([2; 32])));
    let _ = TrustStore::<4>::from_image(data, &image_key);
});
