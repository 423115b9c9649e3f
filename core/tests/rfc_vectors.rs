//! RFC test vectors from `vectors/`, run through the core's own API.

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
use honeylink_core::crypto::aead::{AeadKey, Tag};
use honeylink_core::crypto::ed25519::{Signature, SigningKey, VerifyingKey};
use honeylink_core::crypto::hash::hmac_sha512;
use honeylink_core::crypto::x25519::{self, PublicKey, StaticSecret};

fn rfc7748() -> VectorFile {
    VectorFile::parse(
        "vectors/rfc7748.json",
        include_str!("../../vectors/rfc7748.json"),
    )
}

/// Runs the iterated X25519 procedure of RFC 7748 section 5.2.
fn iterate_x25519(iterations: u64) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for _ in 0..iterations {
        let r = x25519::x25519(&SecretBytes::new(k), &PublicKey::from_bytes(u))
            .expect("never zero on this sequence");
        u = k;
        k = *r.expose_secret();
    }
    k
}

#[test]
fn rfc7748_section_5_2_scalar_multiplication() {
    let file = rfc7748();
    let mut ran = 0;
    for case in file.cases().filter(|c| c.kind() == "x25519") {
        let out = x25519::x25519(
            &SecretBytes::new(case.hex_array("scalar")),
            &PublicKey::from_bytes(case.hex_array("u_in")),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.at("u_out")));
        case.check("u_out", out.expose_secret());
        ran += 1;
    }
    assert_eq!(ran, 2, "{}: expected both section 5.2 vectors", file.name);
}

#[test]
fn rfc7748_section_5_2_iterated_1_and_1000() {
    let file = rfc7748();
    for name in ["rfc7748-5.2-iterated-1", "rfc7748-5.2-iterated-1000"] {
        let case = file.case(name);
        case.check("result", &iterate_x25519(case.u64("iterations")));
    }
}

#[test]
#[ignore = "1,000,000 X25519 operations: run with `cargo test --release -- --ignored`"]
fn rfc7748_section_5_2_iterated_1000000() {
    let file = rfc7748();
    let case = file.case("rfc7748-5.2-iterated-1000000");
    case.check("result", &iterate_x25519(case.u64("iterations")));
}

#[test]
fn rfc7748_section_6_1_diffie_hellman() {
    let file = rfc7748();
    let case = file.case("rfc7748-6.1-x25519-dh");
    let alice = StaticSecret::from_bytes(SecretBytes::new(case.hex_array("alice_private")));
    let bob = StaticSecret::from_bytes(SecretBytes::new(case.hex_array("bob_private")));
    case.check("alice_public", alice.public_key().as_bytes());
    case.check("bob_public", bob.public_key().as_bytes());
    let ab = alice
        .diffie_hellman(&bob.public_key().as_dh_input())
        .expect("contributory");
    let ba = bob
        .diffie_hellman(&alice.public_key().as_dh_input())
        .expect("contributory");
    case.check("shared_secret", ab.expose_secret());
    case.check("shared_secret", ba.expose_secret());
}

#[test]
fn rfc8439_aead_seal_and_open() {
    let file = VectorFile::parse(
        "vectors/rfc8439.json",
        include_str!("../../vectors/rfc8439.json"),
    );
    let mut ran = 0;
    for case in file.cases() {
        let key = AeadKey::new(SecretBytes::new(case.hex_array("key")));
        let nonce: [u8; 12] = case.hex_array("nonce");
        let aad = case.hex("aad");
        let tag = Tag(case.hex_array("tag"));

        // Seal the plaintext: ciphertext and tag must match.
        let mut buffer = case.hex("plaintext");
        let sealed = key
            .seal_in_place(&nonce, &aad, &mut buffer)
            .expect("short input");
        case.check("ciphertext", &buffer);
        case.check("tag", &sealed.0);

        // Open the ciphertext: the plaintext must come back.
        let mut buffer = case.hex("ciphertext");
        key.open_in_place(&nonce, &aad, &mut buffer, &tag)
            .unwrap_or_else(|e| panic!("{}: {e}", case.at("tag")));
        case.check("plaintext", &buffer);
        assert_eq!(
            std::str::from_utf8(&buffer).ok(),
            Some(case.str("plaintext_text")),
            "{}",
            case.at("plaintext_text")
        );

        // A tag one bit off is refused.
        let mut bad = tag;
        bad.0[15] ^= 0x80;
        let mut buffer = case.hex("ciphertext");
        assert!(
            key.open_in_place(&nonce, &aad, &mut buffer, &bad).is_err(),
            "{}",
            case.at("tag")
        );
        ran += 1;
    }
    assert_eq!(ran, 2, "{}: expected sections 2.8.2 and A.5", file.name);
}

#[test]
fn rfc8032_ed25519_sign_and_verify_strict() {
    let file = VectorFile::parse(
        "vectors/rfc8032.json",
        include_str!("../../vectors/rfc8032.json"),
    );
    let mut ran = 0;
    for case in file.cases() {
        let key = SigningKey::from_seed(&SecretBytes::new(case.hex_array("secret_key")));
        case.check("public_key", key.verifying_key().as_bytes());
        let message = case.hex("message");
        assert_eq!(
            message.len() as u64,
            case.u64("message_length"),
            "{}",
            case.at("message")
        );
        let signature = key.hazmat_sign(&message);
        case.check("signature", &signature.to_bytes());

        let public = VerifyingKey::from_bytes(&case.hex_array("public_key"))
            .unwrap_or_else(|e| panic!("{}: {e}", case.at("public_key")));
        let published = Signature::from_bytes(&case.hex_array("signature"))
            .unwrap_or_else(|e| panic!("{}: {e}", case.at("signature")));
        public
            .verify(&message, &published)
            .unwrap_or_else(|e| panic!("{}: {e}", case.at("signature")));
        let mut altered = message.clone();
        altered.push(0);
        assert!(
            public.verify(&altered, &published).is_err(),
            "{}",
            case.at("message")
        );
        ran += 1;
    }
    assert_eq!(ran, 4, "{}: expected TEST 1, 2, 3 and 1024", file.name);
}

#[test]
fn rfc4231_hmac_sha512() {
    let file = VectorFile::parse(
        "vectors/rfc4231.json",
        include_str!("../../vectors/rfc4231.json"),
    );
    let mut ran = 0;
    for case in file.cases() {
        let mac = hmac_sha512(&case.hex("key"), &[&case.hex("data")]);
        let mac = mac.expose_secret();
        if case.bool("truncated") {
            let bits = case.u64("truncated_to_bits") as usize;
            case.check("hmac_sha512", &mac[..bits / 8]);
            case.check("hmac_sha512_full_not_in_rfc", mac);
        } else {
            case.check("hmac_sha512", mac);
        }
        // Split input: the MAC is over the concatenation.
        let data = case.hex("data");
        let (a, b) = data.split_at(data.len() / 2);
        let split = hmac_sha512(&case.hex("key"), &[a, b]);
        assert_eq!(split.expose_secret(), mac, "{}", case.at("data"));
        ran += 1;
    }
    assert_eq!(ran, 7, "{}: expected test cases 1 to 7", file.name);
}

#[test]
fn rfc5869_hkdf_sha512_against_independent_computation() {
    use honeylink_core::crypto::hash::Prk;
    let file = VectorFile::parse(
        "vectors/hkdf_sha512.json",
        include_str!("../../vectors/hkdf_sha512.json"),
    );
    let mut ran = 0;
    for case in file.cases() {
        let prk = Prk::extract(&case.hex("salt"), &case.hex("ikm"));
        case.check("prk", prk.expose_secret());
        let mut okm = vec![0u8; case.u64("length") as usize];
        let info = case.hex("info");
        let (i1, i2) = info.split_at(info.len() / 3);
        prk.expand(&[i1, i2], &mut okm)
            .unwrap_or_else(|e| panic!("{}: {e}", case.at("okm")));
        case.check("okm", &okm);
        ran += 1;
    }
    assert_eq!(ran, 4, "{}: expected 4 cases", file.name);
    let prk = Prk::extract(b"", b"");
    let mut too_long = vec![0u8; 255 * 64 + 1];
    assert!(prk.expand(&[], &mut too_long).is_err());
    assert!(prk.expand(&[], &mut too_long[..255 * 64]).is_ok());
}
