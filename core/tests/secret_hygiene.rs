//! Secret types print nothing secret, cannot be cloned or copied, and every
//! function that draws randomness turns an RNG failure into an error.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::aead::AeadKey;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::hash::Prk;
use honeylink_core::crypto::x25519::{EphemeralSecret, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceIdentity, IdentitySecrets};
use honeylink_core::testing::{ScriptedRng, SeededRng};

/// Fails to compile if `$t` implements `Clone` or `Copy`: with either impl
/// present the call below is ambiguous (the technique of the
/// `static_assertions` crate's `assert_not_impl_any!`).
macro_rules! assert_not_clone {
    ($($t:ty),* $(,)?) => {$({
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        #[allow(dead_code)]
        struct IsClone;
        impl<T: ?Sized + Clone> AmbiguousIfImpl<IsClone> for T {}
        let _ = <$t as AmbiguousIfImpl<_>>::some_item;
    })*};
}

#[test]
fn secret_types_are_not_clone_or_copy() {
    // Copy implies Clone, so refusing Clone refuses both.
    use honeylink_core::pairing::cpace::{Confirming, Isk, Party, Prs};
    use honeylink_core::pairing::payload::PairingPayload;
    use honeylink_core::pairing::{Pin, PinGuard};
    assert_not_clone!(
        Prs,
        Party,
        Confirming,
        Isk,
        Pin,
        PinGuard,
        PairingPayload,
        SecretBytes<32>,
        StaticSecret,
        EphemeralSecret,
        SigningKey,
        AeadKey,
        Prk,
        DeviceIdentity,
        IdentitySecrets,
    );
}

/// A secret byte pattern that must not appear, in hex or decimal, in any
/// `Debug` output.
const MARK: [u8; 32] = [0xab; 32];

fn assert_redacted(debug: &str) {
    assert!(debug.contains("redacted"), "{debug}");
    assert!(
        !debug.contains("abababab"),
        "hex of the secret leaked: {debug}"
    );
    assert!(
        !debug.contains("171, 171"),
        "decimal of the secret leaked: {debug}"
    );
}

#[test]
fn debug_output_is_redacted() {
    let secret = SecretBytes::new(MARK);
    assert_eq!(format!("{secret:?}"), "SecretBytes<32>([redacted])");
    assert_eq!(
        format!("{:?}", AeadKey::new(SecretBytes::new(MARK))),
        "AeadKey([redacted])"
    );
    assert_redacted(&format!(
        "{:?}",
        StaticSecret::from_bytes(SecretBytes::new(MARK))
    ));
    assert_redacted(&format!(
        "{:?}",
        SigningKey::from_seed(&SecretBytes::new(MARK))
    ));
    assert_redacted(&format!(
        "{:?}",
        Prk::from_secret(SecretBytes::new([0xab; 64]))
    ));
    let secrets = IdentitySecrets::new(
        DeviceId::from_bytes([1; 16]),
        SecretBytes::new(MARK),
        SecretBytes::new(MARK),
    );
    assert_redacted(&format!("{secrets:?}"));
    let identity = DeviceIdentity::from_secrets(&secrets);
    let shown = format!("{identity:?}");
    assert_redacted(&shown);
    // What is shown is public: the id and the fingerprint.
    assert!(
        shown.contains("01010101-0101-0101-0101-010101010101"),
        "{shown}"
    );
    assert!(
        shown.contains(&identity.fingerprint().to_string()),
        "{shown}"
    );
    let ephemeral = EphemeralSecret::generate(&mut ScriptedRng::new(&MARK)).expect("32 bytes");
    assert_redacted(&format!("{ephemeral:?}"));
}

#[test]
fn protocol_states_print_no_keys() {
    use honeylink_core::noise::{CipherState, HandshakeState, Prologue, Protocol, Role};
    use honeylink_core::pairing::PairingMethod;
    use honeylink_core::session::{DatagramSession, StreamSession};
    assert_redacted(&format!("{:?}", CipherState::new(SecretBytes::new(MARK))));
    assert_redacted(&format!("{:?}", Protocol::XxPsk2(SecretBytes::new(MARK))));
    let shared = StaticSecret::from_bytes(SecretBytes::new([1; 32]))
        .diffie_hellman(
            &StaticSecret::from_bytes(SecretBytes::new(MARK))
                .public_key()
                .as_dh_input(),
        )
        .expect("contributory");
    assert_eq!(format!("{shared:?}"), "SharedSecret([redacted])");

    let a = StaticSecret::from_bytes(SecretBytes::new(MARK));
    let b = StaticSecret::from_bytes(SecretBytes::new([0x5c; 32]));
    let p = Prologue::pairing(PairingMethod::Qr, &[0; 64]);
    let mut rng = SeededRng::new([1; 32]);
    let psk = || Protocol::XxPsk2(SecretBytes::new(MARK));
    let mut init = HandshakeState::new(psk(), Role::Initiator, &p, &a, &mut rng).unwrap();
    let mut resp = HandshakeState::new(psk(), Role::Responder, &p, &b, &mut rng).unwrap();
    assert_redacted(&format!("{init:?}"));
    common::complete_handshake(&mut init, &mut resp);
    let outcome = init.finish().unwrap();
    let shown = format!("{outcome:?}");
    assert_redacted(&shown);
    let hash_hex: String = outcome
        .handshake_hash()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        !shown.contains(&hash_hex[..16]),
        "the handshake hash is not shown: {shown}"
    );
    let stream = StreamSession::<16>::new(outcome);
    assert_redacted(&format!("{stream:?}"));
    let datagram = DatagramSession::<1024>::new(resp.finish().unwrap());
    assert_redacted(&format!("{datagram:?}"));
}

#[test]
fn rng_failure_is_an_error_never_a_panic() {
    assert_eq!(
        StaticSecret::generate(&mut ScriptedRng::new(&[0; 31])).err(),
        Some(Error::Rng)
    );
    assert_eq!(
        EphemeralSecret::generate(&mut ScriptedRng::new(&[])).err(),
        Some(Error::Rng)
    );
    assert_eq!(
        SigningKey::generate(&mut ScriptedRng::new(&[1; 8])).err(),
        Some(Error::Rng)
    );
    assert_eq!(
        DeviceId::generate(&mut ScriptedRng::new(&[1; 15])).err(),
        Some(Error::Rng)
    );
    // An identity needs 16 + 32 + 32 bytes; every shorter script fails cleanly.
    for len in 0..80 {
        let script = [7u8; 80];
        assert_eq!(
            DeviceIdentity::generate(&mut ScriptedRng::new(&script[..len])).err(),
            Some(Error::Rng),
            "script of {len} bytes"
        );
    }
    assert!(DeviceIdentity::generate(&mut ScriptedRng::new(&[7u8; 80])).is_ok());
}

#[test]
fn identity_secrets_round_trip_and_strict_decoding() {
    let identity = DeviceIdentity::generate(&mut SeededRng::new([5; 32])).expect("infallible rng");
    let bytes = identity.export_secrets().to_bytes();
    let restored =
        DeviceIdentity::from_secrets(&IdentitySecrets::from_bytes(bytes.expose_secret()).unwrap());
    assert_eq!(restored.device_id(), identity.device_id());
    assert_eq!(restored.static_public_key(), identity.static_public_key());
    assert_eq!(restored.verifying_key(), identity.verifying_key());

    // The byte form is the version, the id, the X25519 secret and the
    // Ed25519 seed, in that order; decoding gives each part back.
    let encoded = bytes.expose_secret();
    let parts = IdentitySecrets::from_bytes(encoded).unwrap();
    assert_eq!(encoded[0], IdentitySecrets::VERSION);
    assert_eq!(&encoded[1..17], identity.device_id().as_bytes());
    assert_eq!(parts.device_id(), identity.device_id());
    assert_eq!(parts.x25519_secret().expose_secret(), &encoded[17..49]);
    assert_eq!(parts.ed25519_seed().expose_secret(), &encoded[49..81]);
    assert_eq!(
        StaticSecret::from_bytes(SecretBytes::new(*parts.x25519_secret().expose_secret()))
            .public_key(),
        identity.static_public_key()
    );
    assert_eq!(
        SigningKey::from_seed(parts.ed25519_seed()).verifying_key(),
        identity.verifying_key()
    );

    assert_eq!(
        IdentitySecrets::from_bytes(&encoded[..80]).err(),
        Some(Error::InvalidLength {
            expected: 81,
            found: 80
        })
    );
    let mut longer = encoded.to_vec();
    longer.push(0);
    assert_eq!(
        IdentitySecrets::from_bytes(&longer).err(),
        Some(Error::InvalidLength {
            expected: 81,
            found: 82
        })
    );
    let mut version_2 = *encoded;
    version_2[0] = 2;
    assert_eq!(
        IdentitySecrets::from_bytes(&version_2).err(),
        Some(Error::UnknownVersion { found: 2 })
    );
    assert!(IdentitySecrets::from_bytes(&[]).is_err());
}

#[test]
fn seeded_identities_are_reproducible_and_distinct() {
    let a = DeviceIdentity::generate(&mut SeededRng::new([1; 32])).unwrap();
    let b = DeviceIdentity::generate(&mut SeededRng::new([1; 32])).unwrap();
    let c = DeviceIdentity::generate(&mut SeededRng::new([2; 32])).unwrap();
    assert_eq!(a.static_public_key(), b.static_public_key());
    assert_ne!(a.static_public_key(), c.static_public_key());
    assert_ne!(a.device_id(), c.device_id());
}

/// Sizes of the identity and the secret types, printed for the record
/// (`--nocapture`); the identity must fit firmware's stack comfortably.
#[test]
fn identity_and_secret_sizes() {
    use honeylink_core::crypto::x25519::SharedSecret;
    use honeylink_core::pairing::Pin;
    use honeylink_core::pairing::cpace::{Confirming, Isk, Party, Prs};
    use honeylink_core::pairing::payload::PairingPayload;
    let sizes = [
        ("DeviceIdentity", size_of::<DeviceIdentity>()),
        ("IdentitySecrets", size_of::<IdentitySecrets>()),
        ("StaticSecret (x25519)", size_of::<StaticSecret>()),
        ("EphemeralSecret (x25519)", size_of::<EphemeralSecret>()),
        ("SharedSecret (x25519)", size_of::<SharedSecret>()),
        ("SigningKey (ed25519)", size_of::<SigningKey>()),
        ("AeadKey", size_of::<AeadKey>()),
        ("Prk (HKDF)", size_of::<Prk>()),
        ("SecretBytes<32>", size_of::<SecretBytes<32>>()),
        ("Pin", size_of::<Pin>()),
        ("PairingPayload", size_of::<PairingPayload>()),
        ("cpace::Prs", size_of::<Prs>()),
        ("cpace::Party", size_of::<Party>()),
        ("cpace::Confirming", size_of::<Confirming>()),
        ("cpace::Isk", size_of::<Isk>()),
    ];
    for (name, size) in sizes {
        println!("size_of::<{name}>() = {size} bytes");
    }
    assert!(size_of::<DeviceIdentity>() <= 512);
}

/// The PIN and CPace's secrets promise to zeroize on drop (`ZeroizeOnDrop`,
/// the `zeroize` crate's marker, implemented only by types whose drop wipes
/// every secret byte they hold: here through `SecretBytes` and zeroized
/// scalars). The in-place derivations are checked by the unit tests of
/// `pairing::cpace` and `pairing::pin`.
#[test]
fn pairing_secrets_zeroize_on_drop() {
    use honeylink_core::pairing::Pin;
    use honeylink_core::pairing::cpace::{Confirming, Isk, Party, Prs};
    fn zeroizes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroizes_on_drop::<Pin>();
    zeroizes_on_drop::<Prs>();
    zeroizes_on_drop::<Party>();
    zeroizes_on_drop::<Confirming>();
    zeroizes_on_drop::<Isk>();
    zeroizes_on_drop::<SecretBytes<6>>();
    // An empty ISK slot holds nothing until a verified tag fills it.
    assert_eq!(
        Isk::empty().expose_secret(),
        Err(Error::CpaceConfirmationFailed)
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The constant-time `==` of every public value agrees with byte equality:
/// a change in any one byte makes two values unequal (and equal bytes make
/// equal values), and `Debug` prints the value's name and all its bytes (a
/// device id in its dashed text form).
#[test]
fn public_values_compare_by_every_byte_and_print_them() {
    use honeylink_core::crypto::aead::Tag;
    use honeylink_core::crypto::ed25519::Signature;
    use honeylink_core::crypto::x25519::{PublicKey, StaticPublicKey};

    /// `make(bytes)` builds a value from `base` with byte `i` changed, for
    /// every `i`; each must differ from the value of `base` itself.
    fn check<T: PartialEq + std::fmt::Debug, const N: usize>(
        name: &str,
        base: [u8; N],
        positions: std::ops::Range<usize>,
        make: impl Fn([u8; N]) -> T,
    ) {
        let value = make(base);
        assert_eq!(value, make(base), "{name}: equal bytes, equal values");
        let debug = format!("{value:?}").replace('-', "");
        assert_eq!(debug, format!("{name}({})", hex(&base)));
        for i in positions {
            let mut other = base;
            other[i] ^= 0x01;
            assert_ne!(value, make(other), "{name}: byte {i} changed");
        }
    }
    let mut base64 = [0u8; 64];
    for (b, value) in base64.iter_mut().zip(1u8..) {
        *b = value;
    }
    let base32: [u8; 32] = base64[..32].try_into().unwrap();
    check("Tag", [7u8; 16], 0..16, Tag);
    // A signature's `s` (the last 32 bytes) must stay below the group order:
    // its top byte here is 0x01, below the order's 0x10.
    base64[63] = 0x01;
    check("Signature", base64, 0..64, |b| {
        Signature::from_bytes(&b).unwrap()
    });
    check("PublicKey", base32, 0..32, PublicKey::from_bytes);
    check("StaticPublicKey", base32, 0..32, |b| {
        StaticPublicKey::from_bytes(&b).unwrap()
    });
    check("DeviceId", [0x5a; 16], 0..16, DeviceId::from_bytes);

    // Ed25519 public keys are curve points, so two keys stand in for the
    // byte changes.
    let (a, b) = (
        SigningKey::from_seed(&SecretBytes::new([1; 32])).verifying_key(),
        SigningKey::from_seed(&SecretBytes::new([2; 32])).verifying_key(),
    );
    assert_eq!(
        a,
        SigningKey::from_seed(&SecretBytes::new([1; 32])).verifying_key()
    );
    assert_ne!(a, b);
    assert_eq!(
        format!("{a:?}"),
        format!("VerifyingKey({})", hex(a.as_bytes()))
    );
}

/// A device id hashes as its bytes do, so maps keyed by peers spread them
/// (a constant hash would make every lookup a linear scan an attacker who
/// sends many ids could lengthen).
#[test]
fn device_ids_hash_as_their_bytes() {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let hasher = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    let id = DeviceId::from_bytes([0x11; 16]);
    assert_eq!(hasher.hash_one(id), hasher.hash_one([0x11u8; 16]));
    assert_ne!(
        hasher.hash_one(id),
        hasher.hash_one(DeviceId::from_bytes([0x12; 16]))
    );
}

/// A fingerprint hashes as its bytes do (the same reason as device ids).
#[test]
fn fingerprints_hash_as_their_bytes() {
    use honeylink_core::identity::Fingerprint;
    use std::hash::{BuildHasher, BuildHasherDefault};
    let hasher = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    let a = StaticSecret::from_bytes(SecretBytes::new([0x21; 32]));
    let b = StaticSecret::from_bytes(SecretBytes::new([0x22; 32]));
    let fa = Fingerprint::of(a.public_key());
    assert_eq!(hasher.hash_one(fa), hasher.hash_one(*fa.as_bytes()));
    assert_ne!(
        hasher.hash_one(fa),
        hasher.hash_one(Fingerprint::of(b.public_key()))
    );
}
