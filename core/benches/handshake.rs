//! A full Noise XX session handshake, both sides in memory, measured in the
//! same run against the floor of its primitive operations and against snow
//! and clatter. Run twice, with and without the `fast` feature:
//!
//! ```sh
//! cargo bench -p honeylink-core --bench handshake
//! cargo bench -p honeylink-core --bench handshake --features fast
//! ```
//!
//! Rows, with the floor as the baseline (ratio = time / floor's time):
//! - floor: `Noise_XX_25519_ChaChaPoly_SHA512` written straight from the
//!   primitives the core uses (x25519-dalek 3, sha2, hkdf, chacha20poly1305):
//!   two key generations, six Diffie-Hellman operations, every hash, HKDF
//!   and AEAD call the pattern needs, nothing else. It is checked to produce
//!   the same handshake hash as ours before timing starts.
//! - ours, Noise layer: `noise::HandshakeState`, empty payloads.
//! - ours, session: `SessionInitiator`/`SessionResponder` with payloads and
//!   both trust decisions.
//! - snow 0.10 and clatter 2.3, same static keys, same prologue.
//! - the primitives alone, for the breakdown: one key generation, one DH.

#![allow(
    missing_docs,
    clippy::panic,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::indexing_slicing
)]

mod harness;

use std::hint::black_box;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use clatter::Handshaker;
use harness::{Candidate, banner, compare};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::{HandshakeState, Prologue, Protocol, Role};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::session::{SessionEnd, SessionInitiator, SessionResponder};
use honeylink_core::trust::TrustStore;
use honeylink_core::wire::PayloadFlags;
use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha512};

const NAME: &str = "Noise_XX_25519_ChaChaPoly_SHA512";

/// A cheap deterministic RNG (splitmix64), so the RNG does not weigh in the
/// comparison; ours and the floor both draw from it.
pub struct BenchRng(u64);

impl TryRng for BenchRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}
impl TryCryptoRng for BenchRng {}

// ---------------------------------------------------------------------------
// The floor: XX from the primitives, nothing but the required operations.

struct Sym {
    ck: [u8; 64],
    h: [u8; 64],
    k: Option<chacha20poly1305::ChaCha20Poly1305>,
    n: u64,
}

fn nonce(n: u64) -> chacha20poly1305::Nonce {
    let mut out = [0u8; 12];
    out[4..].copy_from_slice(&n.to_le_bytes());
    out.into()
}

impl Sym {
    fn new(prologue: &[u8]) -> Self {
        let mut h = [0u8; 64];
        h[..NAME.len()].copy_from_slice(NAME.as_bytes());
        let mut s = Self {
            ck: h,
            h,
            k: None,
            n: 0,
        };
        s.mix_hash(prologue);
        s
    }
    fn mix_hash(&mut self, data: &[u8]) {
        let mut d = Sha512::new();
        d.update(self.h);
        d.update(data);
        self.h = d.finalize().into();
    }
    fn hkdf2(&self, ikm: &[u8]) -> ([u8; 64], [u8; 64]) {
        let mut okm = [0u8; 128];
        hkdf::Hkdf::<Sha512>::new(Some(&self.ck), ikm)
            .expand(&[], &mut okm)
            .unwrap();
        (okm[..64].try_into().unwrap(), okm[64..].try_into().unwrap())
    }
    fn mix_key(&mut self, ikm: &[u8]) {
        let (ck, k) = self.hkdf2(ikm);
        self.ck = ck;
        self.k = Some(chacha20poly1305::ChaCha20Poly1305::new(
            (&<[u8; 32]>::try_from(&k[..32]).unwrap()).into(),
        ));
        self.n = 0;
    }
    /// Encrypts `out[..len]` in place (appending the tag) and hashes it.
    fn encrypt_and_hash(&mut self, out: &mut [u8], len: usize) -> usize {
        let len = match &self.k {
            Some(k) => {
                let (text, rest) = out.split_at_mut(len);
                let tag = k
                    .encrypt_inout_detached(&nonce(self.n), &self.h, text.into())
                    .unwrap();
                rest[..16].copy_from_slice(&tag);
                self.n += 1;
                len + 16
            }
            None => len,
        };
        self.mix_hash(&out[..len]);
        len
    }
    /// Checks and decrypts `msg` in place, hashing the ciphertext.
    fn decrypt_and_hash(&mut self, msg: &mut [u8]) -> usize {
        let mut h = Sha512::new();
        h.update(self.h);
        h.update(&*msg);
        let next: [u8; 64] = h.finalize().into();
        let len = match &self.k {
            Some(k) => {
                let len = msg.len() - 16;
                let (text, tag) = msg.split_at_mut(len);
                let tag: [u8; 16] = (&*tag).try_into().unwrap();
                k.decrypt_inout_detached(&nonce(self.n), &self.h, text.into(), (&tag).into())
                    .unwrap();
                self.n += 1;
                len
            }
            None => msg.len(),
        };
        self.h = next;
        len
    }
    fn split(&self) -> ([u8; 64], [u8; 64]) {
        self.hkdf2(&[])
    }
}

fn keygen(rng: &mut BenchRng) -> (x25519_dalek::StaticSecret, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rng.try_fill_bytes(&mut bytes).unwrap();
    let secret = x25519_dalek::StaticSecret::from(bytes);
    let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
    (secret, public)
}

fn dh(secret: &x25519_dalek::StaticSecret, public: &[u8; 32]) -> [u8; 32] {
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    assert!(shared.was_contributory());
    shared.to_bytes()
}

struct StaticKeys {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

/// One whole XX handshake from primitives; returns the handshake hash.
fn floor_xx(
    prologue: &[u8],
    a: &StaticKeys,
    b: &StaticKeys,
    rng: &mut BenchRng,
) -> ([u8; 64], [u8; 64]) {
    let mut i = Sym::new(prologue);
    let mut r = Sym::new(prologue);
    let mut msg = [0u8; 256];
    // -> e
    let (ie, ie_pub) = keygen(rng);
    msg[..32].copy_from_slice(&ie_pub);
    i.mix_hash(&ie_pub);
    let n = 32 + i.encrypt_and_hash(&mut msg[32..], 0);
    let re_i: [u8; 32] = msg[..32].try_into().unwrap();
    r.mix_hash(&re_i);
    r.decrypt_and_hash(&mut msg[32..n]);
    // <- e, ee, s, es
    let (re, re_pub) = keygen(rng);
    msg[..32].copy_from_slice(&re_pub);
    r.mix_hash(&re_pub);
    r.mix_key(&dh(&re, &re_i));
    msg[32..64].copy_from_slice(&b.public);
    let mut n = 32 + r.encrypt_and_hash(&mut msg[32..], 32);
    r.mix_key(&dh(&b.secret, &re_i));
    n += r.encrypt_and_hash(&mut msg[n..], 0);
    let re_r: [u8; 32] = msg[..32].try_into().unwrap();
    i.mix_hash(&re_r);
    i.mix_key(&dh(&ie, &re_r));
    i.decrypt_and_hash(&mut msg[32..80]);
    let rs: [u8; 32] = msg[32..64].try_into().unwrap();
    i.mix_key(&dh(&ie, &rs));
    i.decrypt_and_hash(&mut msg[80..n]);
    // -> s, se
    msg[..32].copy_from_slice(&a.public);
    let mut n = i.encrypt_and_hash(&mut msg, 32);
    i.mix_key(&dh(&a.secret, &re_r));
    n += i.encrypt_and_hash(&mut msg[n..], 0);
    r.decrypt_and_hash(&mut msg[..48]);
    let is: [u8; 32] = msg[..32].try_into().unwrap();
    r.mix_key(&dh(&re, &is));
    r.decrypt_and_hash(&mut msg[48..n]);
    black_box((i.split(), r.split()));
    (i.h, r.h)
}

// ---------------------------------------------------------------------------

fn ours_noise(prologue: &Prologue, a: &StaticSecret, b: &StaticSecret, rng: &mut BenchRng) {
    let mut init = HandshakeState::new(Protocol::Xx, Role::Initiator, prologue, a, rng).unwrap();
    let mut resp = HandshakeState::new(Protocol::Xx, Role::Responder, prologue, b, rng).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(&[], &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    black_box((init.finish().unwrap(), resp.finish().unwrap()));
}

fn trusting(peer: &DeviceIdentity) -> TrustStore<4> {
    let mut store = TrustStore::new();
    store
        .add(
            PendingPeer::hazmat_new(
                peer.device_id(),
                DeviceName::new("Peer").unwrap(),
                *peer.static_public_key(),
                PairingMethod::Qr,
            )
            .confirm(0),
        )
        .unwrap();
    store
}

fn ours_session(
    a: &DeviceIdentity,
    b: &DeviceIdentity,
    a_trust: &TrustStore<4>,
    b_trust: &TrustStore<4>,
    rng: &mut BenchRng,
) {
    let mut wire = [0u8; 256];
    let mut responder = SessionResponder::new(b, PayloadFlags::empty(), rng).unwrap();
    let (mut initiator, n) =
        SessionInitiator::start(a, PayloadFlags::empty(), &mut wire, rng).unwrap();
    let m1 = wire;
    let n = responder.respond(&m1[..n], &mut wire).unwrap();
    initiator.read_message2(a_trust, &wire[..n]).unwrap();
    let m2 = wire;
    let _ = m2;
    let (n, _, keys) = initiator.write_message3(&mut wire).unwrap();
    match responder.read_message3(b_trust, &wire[..n]).unwrap() {
        SessionEnd::Established(_, other) => black_box((keys, other)),
        SessionEnd::Refused(_) => panic!("refused"),
    };
}

fn snow_xx(prologue: &[u8], a: &[u8; 32], b: &[u8; 32]) {
    let params: snow::params::NoiseParams = NAME.parse().unwrap();
    let mut init = snow::Builder::new(params.clone())
        .local_private_key(a)
        .unwrap()
        .prologue(prologue)
        .unwrap()
        .build_initiator()
        .unwrap();
    let mut resp = snow::Builder::new(params)
        .local_private_key(b)
        .unwrap()
        .prologue(prologue)
        .unwrap()
        .build_responder()
        .unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(&[], &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    black_box((
        init.into_transport_mode().unwrap(),
        resp.into_transport_mode().unwrap(),
    ));
}

type ClatterXx = clatter::NqHandshake<
    clatter::crypto::dh::X25519,
    clatter::crypto::cipher::ChaChaPoly,
    clatter::crypto::hash::Sha512,
>;

fn clatter_keys(
    secret: &[u8; 32],
) -> clatter::KeyPair<[u8; 32], clatter::bytearray::SensitiveByteArray<[u8; 32]>> {
    use clatter::bytearray::ByteArray;
    use clatter::traits::Dh;
    let secret = clatter::bytearray::SensitiveByteArray::from_slice(secret);
    let public = clatter::crypto::dh::X25519::pubkey(&secret);
    clatter::KeyPair { public, secret }
}

fn clatter_xx(
    prologue: &[u8],
    a: &clatter::KeyPair<[u8; 32], clatter::bytearray::SensitiveByteArray<[u8; 32]>>,
    b: &clatter::KeyPair<[u8; 32], clatter::bytearray::SensitiveByteArray<[u8; 32]>>,
) {
    let pattern = clatter::handshakepattern::noise_xx();
    let mut init = ClatterXx::new(
        pattern.clone(),
        prologue,
        true,
        Some(a.clone()),
        None,
        None,
        None,
    )
    .unwrap();
    let mut resp =
        ClatterXx::new(pattern, prologue, false, Some(b.clone()), None, None, None).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = resp.write_message(&[], &mut wire).unwrap();
    init.read_message(&wire[..n], &mut payload).unwrap();
    let n = init.write_message(&[], &mut wire).unwrap();
    resp.read_message(&wire[..n], &mut payload).unwrap();
    black_box((init.finalize().unwrap(), resp.finalize().unwrap()));
}

fn main() {
    let fast = cfg!(feature = "fast");
    banner("handshake", fast);
    let prologue = Prologue::session();
    let a_bytes = [0x11u8; 32];
    let b_bytes = [0x22u8; 32];
    let a = StaticSecret::from_bytes(SecretBytes::new(a_bytes));
    let b = StaticSecret::from_bytes(SecretBytes::new(b_bytes));
    let floor_a = StaticKeys {
        secret: x25519_dalek::StaticSecret::from(a_bytes),
        public: *a.public_key().as_bytes(),
    };
    let floor_b = StaticKeys {
        secret: x25519_dalek::StaticSecret::from(b_bytes),
        public: *b.public_key().as_bytes(),
    };

    // The floor does exactly what the pattern does: same hash as ours.
    {
        let (hi, hr) = floor_xx(prologue.as_bytes(), &floor_a, &floor_b, &mut BenchRng(7));
        assert_eq!(hi, hr);
        let mut rng = BenchRng(7);
        let mut init =
            HandshakeState::new(Protocol::Xx, Role::Initiator, &prologue, &a, &mut rng).unwrap();
        // The floor draws the responder's ephemeral key after message 1.
        let mut wire = [0u8; 256];
        let mut payload = [0u8; 64];
        let n = init.write_message(&[], &mut wire).unwrap();
        let mut resp =
            HandshakeState::new(Protocol::Xx, Role::Responder, &prologue, &b, &mut rng).unwrap();
        resp.read_message(&wire[..n], &mut payload).unwrap();
        let n = resp.write_message(&[], &mut wire).unwrap();
        init.read_message(&wire[..n], &mut payload).unwrap();
        let n = init.write_message(&[], &mut wire).unwrap();
        resp.read_message(&wire[..n], &mut payload).unwrap();
        assert_eq!(
            init.handshake_hash(),
            &hi,
            "the floor must run the same handshake"
        );
    }

    let mut id_rng = BenchRng(3);
    let ida = DeviceIdentity::generate(&mut id_rng).unwrap();
    let idb = DeviceIdentity::generate(&mut id_rng).unwrap();
    let (ta, tb) = (trusting(&idb), trusting(&ida));
    let (ca, cb) = (clatter_keys(&a_bytes), clatter_keys(&b_bytes));
    let mut r1 = BenchRng(1);
    let mut r2 = BenchRng(2);
    let mut r3 = BenchRng(3);
    let mut r4 = BenchRng(4);
    let mut r5 = BenchRng(5);
    let peer = *b.public_key().as_bytes();
    // snow's and clatter's curve arithmetic (curve25519-dalek 4), for the
    // breakdown: their Diffie-Hellman beside ours.
    let old_secret = x25519_dalek_2::StaticSecret::from(a_bytes);
    let old_peer = x25519_dalek_2::PublicKey::from(peer);
    let p = prologue.as_bytes().to_vec();
    compare(
        &format!(
            "XX handshake, both sides in memory (fast {})",
            if fast { "on" } else { "off" }
        ),
        &mut [
            Candidate::new("floor: primitives straight-line", || {
                black_box(floor_xx(&p, &floor_a, &floor_b, &mut r1));
            }),
            Candidate::new("ours: noise::HandshakeState", || {
                ours_noise(&prologue, &a, &b, &mut r2)
            }),
            Candidate::new("ours: session (payloads + trust)", || {
                ours_session(&ida, &idb, &ta, &tb, &mut r3)
            }),
            Candidate::new("snow 0.10", || snow_xx(&p, &a_bytes, &b_bytes)),
            Candidate::new("clatter 2.3", || clatter_xx(&p, &ca, &cb)),
            Candidate::new("  one X25519 key generation", || {
                black_box(keygen(&mut r4));
            }),
            Candidate::new("  one X25519 Diffie-Hellman", || {
                black_box(dh(&floor_a.secret, &peer));
            }),
            Candidate::new("  one X25519 DH, x25519-dalek 2 (curve 4)", || {
                black_box(old_secret.diffie_hellman(&old_peer));
            }),
            Candidate::new("  one ours EphemeralSecret::generate", || {
                black_box(
                    honeylink_core::crypto::x25519::EphemeralSecret::generate(&mut r5).unwrap(),
                );
            }),
        ],
    );
}
