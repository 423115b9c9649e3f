//! PIN pairing under attack: a `DeviceId` in the Noise payload that differs
//! from the one bound in CPace, and offline guessing as an active attacker
//! would try it, with a negative control that shows the harness can find a
//! PIN where a protocol allows it.
//!
//! The two offline-guessing tests check all 10^6 PINs and are `#[ignore]`d
//! in debug builds; CI runs them in release (`.ci/run`, step
//! `offline-guessing`):
//! `cargo test --release -p honeylink-core --test pin_attacks -- --ignored`.

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
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::aead::{AeadKey, Tag};
use honeylink_core::crypto::hash::{MacTag, Prk, sha512};
use honeylink_core::crypto::x25519::{self, PublicKey};
use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_core::noise::{CipherState, HandshakeState, Prologue, Protocol, Psk, Role};
use honeylink_core::pairing::cpace::{
    self, ChannelId, DSI_ISK, MAC_KEY_LABEL, Party, Prs, SessionId, Share,
};
use honeylink_core::pairing::{
    CPACE_PURPOSE, PairingMethod, Pin, PinGuard, PinInitiator, PinResponder,
};
use honeylink_core::testing::{ScriptedRng, SeededRng};
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

const T0: u64 = 9_000;

fn digits(pin: u32) -> [u8; 6] {
    let text = format!("{pin:06}");
    text.as_bytes().try_into().unwrap()
}

fn hello(nonce: &[u8; 32], id: DeviceId) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend_from_slice(nonce);
    out.extend_from_slice(id.as_bytes());
    out
}

/// The PIN flow's PSK and prologue, derived as `pairing::pin` documents
/// them (HKDF-SHA512, salt sid, input ISK, its label; binding sid). If they
/// diverged, the handshakes below would fail with `Aead` instead.
fn noise_inputs(isk: &cpace::Isk, sid: &SessionId) -> (Protocol, Prologue) {
    let mut bytes = [0u8; 32];
    Prk::extract(sid.as_bytes(), isk.expose_secret().unwrap())
        .expand(&[b"HoneyLink v1 PIN pairing PSK"], &mut bytes)
        .unwrap();
    let psk = Psk::new(bytes);
    let binding: [u8; 64] = sid.as_bytes().try_into().unwrap();
    (
        Protocol::XxPsk2(psk),
        Prologue::pairing(PairingMethod::Pin, &binding),
    )
}

fn pairing_payload(id: DeviceId) -> Vec<u8> {
    let mut out = [0u8; HandshakePayload::MAX_LEN];
    let n = HandshakePayload::pairing(id, PayloadFlags::empty(), DeviceName::new("Any").unwrap())
        .encode(&mut out)
        .unwrap();
    out[..n].to_vec()
}

/// An initiator that binds one id in CPace and proves another identity in
/// Noise: the responder aborts.
#[test]
fn the_responder_aborts_when_the_noise_id_differs_from_the_cpace_id() {
    let [shower, typer, stranger] = identities(0x61);
    let mut rng = SeededRng::new([1; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = *responder.pin().expose_secret();
    let nonce_i = [7u8; 32];
    let mut b = [0u8; 512];
    // CPace under the stranger's id...
    let (n, ticket) = responder
        .handle_hello(T0, &hello(&nonce_i, stranger.device_id()), &mut b, &mut rng)
        .unwrap();
    let nonce_r: [u8; 32] = b[1..33].try_into().unwrap();
    let responder_id = DeviceId::from_slice(&b[33..n]).unwrap();
    let ci = ChannelId::new(CPACE_PURPOSE, &stranger.device_id(), &responder_id).unwrap();
    let sid = SessionId::from_nonces(&nonce_i, &nonce_r);
    let (party, ya) = Party::start(
        Role::Initiator,
        &Prs::new(&pin).unwrap(),
        &ci,
        &sid,
        b"",
        &mut rng,
    )
    .unwrap();
    let n = responder
        .handle_share(T0, ticket, ya.as_bytes(), &mut b, &mut rng)
        .unwrap();
    let confirming = party
        .receive(&Share::from_slice(&b[..32]).unwrap(), b"")
        .unwrap();
    let ta = confirming.tag();
    let mut isk = cpace::Isk::empty();
    confirming
        .verify(&MacTag(b[32..n].try_into().unwrap()), &mut isk)
        .unwrap();
    // ...then Noise as the typer, whose payload names the typer's id.
    let (protocol, prologue) = noise_inputs(&isk, &sid);
    let mut noise = HandshakeState::new(
        protocol,
        Role::Initiator,
        &prologue,
        typer.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut message = ta.0.to_vec();
    let mut m1 = [0u8; 128];
    let len = noise.write_message(&[], &mut m1).unwrap();
    message.extend_from_slice(&m1[..len]);
    let n = responder
        .handle_tag(T0, ticket, &message, &mut b, &mut rng)
        .unwrap();
    let mut scratch = [0u8; 128];
    noise.read_message(&b[..n], &mut scratch).unwrap();
    let mut m3 = [0u8; 256];
    let len = noise
        .write_message(&pairing_payload(typer.device_id()), &mut m3)
        .unwrap();
    assert_eq!(
        responder.handle_noise3(T0 + 1, ticket, &m3[..len]).err(),
        Some(Error::DeviceIdMismatch)
    );
}

/// A responder that binds one id in CPace and proves another in Noise: the
/// initiator aborts before sending its static key.
#[test]
fn the_initiator_aborts_when_the_noise_id_differs_from_the_cpace_id() {
    let [shower, typer, stranger] = identities(0x61);
    let mut rng = SeededRng::new([2; 32]);
    let pin = [b'2'; 6];
    let mut a = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(
        local(&typer, "Phone"),
        Pin::parse("222222").unwrap(),
        &mut a,
        &mut rng,
    )
    .unwrap();
    let nonce_i: [u8; 32] = a[1..33].try_into().unwrap();
    let initiator_id = DeviceId::from_slice(&a[33..n]).unwrap();
    // The fake responder's hello names the stranger.
    let nonce_r = [9u8; 32];
    let n = initiator
        .handle_hello(&hello(&nonce_r, stranger.device_id()), &mut a, &mut rng)
        .unwrap();
    let ci = ChannelId::new(CPACE_PURPOSE, &initiator_id, &stranger.device_id()).unwrap();
    let sid = SessionId::from_nonces(&nonce_i, &nonce_r);
    let (party, yb) = Party::start(
        Role::Responder,
        &Prs::new(&pin).unwrap(),
        &ci,
        &sid,
        b"",
        &mut rng,
    )
    .unwrap();
    let confirming = party
        .receive(&Share::from_slice(&a[..n]).unwrap(), b"")
        .unwrap();
    let mut share_and_tag = yb.as_bytes().to_vec();
    share_and_tag.extend_from_slice(&confirming.tag().0);
    let n = initiator
        .handle_share_and_tag(&share_and_tag, &mut a, &mut rng)
        .unwrap();
    let mut isk = cpace::Isk::empty();
    confirming
        .verify(&MacTag(a[..64].try_into().unwrap()), &mut isk)
        .unwrap();
    let (protocol, prologue) = noise_inputs(&isk, &sid);
    // Noise as the shower, naming the shower's id.
    let mut noise = HandshakeState::new(
        protocol,
        Role::Responder,
        &prologue,
        shower.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut scratch = [0u8; 64];
    noise.read_message(&a[64..n], &mut scratch).unwrap();
    let mut m2 = [0u8; 256];
    let len = noise
        .write_message(&pairing_payload(shower.device_id()), &mut m2)
        .unwrap();
    let mut out = [0u8; 256];
    assert_eq!(
        initiator.handle_noise2(&m2[..len], &mut out).err(),
        Some(Error::DeviceIdMismatch)
    );
    assert!(
        out.iter().all(|&x| x == 0),
        "message 3 (the static key) was never written"
    );
}

/// What an active attacker keeps from one CPace run against the honest
/// responder: everything it sent and received, and its own scalar's bytes.
struct CpaceMaterial {
    ci: ChannelId,
    sid: SessionId,
    ya_bytes: [u8; 32],
    ya: Share,
    yb: Share,
    tb: MacTag,
}

fn cpace_attack_run(real_pin: u32, guess: u32) -> CpaceMaterial {
    let [shower, attacker, _] = identities(0x61);
    let mut rng = SeededRng::new([3; 32]);
    let mut guard = PinGuard::new();
    let mut responder = PinResponder::new(
        local(&shower, "Speaker"),
        &mut guard,
        T0,
        &mut PinFirst::new(real_pin, 4),
    )
    .unwrap();
    assert_eq!(responder.pin().expose_secret(), &digits(real_pin));
    let nonce_i = [5u8; 32];
    let mut b = [0u8; 512];
    let (n, ticket) = responder
        .handle_hello(T0, &hello(&nonce_i, attacker.device_id()), &mut b, &mut rng)
        .unwrap();
    let nonce_r: [u8; 32] = b[1..33].try_into().unwrap();
    let responder_id = DeviceId::from_slice(&b[33..n]).unwrap();
    let ci = ChannelId::new(CPACE_PURPOSE, &attacker.device_id(), &responder_id).unwrap();
    let sid = SessionId::from_nonces(&nonce_i, &nonce_r);
    let mut ya_bytes = [0x3cu8; 32];
    let (_party, ya) = Party::start(
        Role::Initiator,
        &Prs::new(&digits(guess)).unwrap(),
        &ci,
        &sid,
        b"",
        &mut ScriptedRng::new(&ya_bytes),
    )
    .unwrap();
    ya_bytes[31] &= 0x0f; // as the draft's sample_scalar masks it
    let n = responder
        .handle_share(T0, ticket, ya.as_bytes(), &mut b, &mut rng)
        .unwrap();
    CpaceMaterial {
        ci,
        sid,
        ya_bytes,
        ya,
        yb: Share::from_slice(&b[..32]).unwrap(),
        tb: MacTag(b[32..n].try_into().unwrap()),
    }
}

/// Noise material an attacker kept: its own rebuilt state just before the
/// PSK token, and message 2's encrypted payload.
struct NoiseMaterial {
    before_psk: Symmetric,
    payload: Vec<u8>,
}

/// Everything an active attacker kept from one run of a protocol.
struct Recorded {
    cpace: Option<CpaceMaterial>,
    noise: Option<NoiseMaterial>,
}

/// The one harness, for every protocol: does anything the attacker can
/// compute from `candidate` (and its own secrets and what it recorded)
/// verify against a recorded authenticator? `k` is the only CPace
/// Diffie-Hellman value the attacker can compute, `ya * Yb`, computed once.
fn attacker_confirms(rec: &Recorded, candidate: u32, k: Option<&[u8; 32]>) -> bool {
    let pin = digits(candidate);
    // Keys straight from the PIN: the strawman's PSK against Noise message 2.
    if let Some(noise) = &rec.noise {
        let mut state = noise.before_psk.clone();
        state.mix_key_and_hash(strawman_psk(candidate).expose_secret());
        if state.decrypt_and_hash(&noise.payload).is_some() {
            return true;
        }
    }
    if let (Some(m), Some(k)) = (&rec.cpace, k) {
        // A tag keyed from the PIN alone (what a broken design would send).
        let mut lv = [0u8; 64];
        let len = cpace::lv_cat(&[m.yb.as_bytes(), b""], &mut lv).unwrap();
        if MacTag::compute(&sha512(&[b"PIN-keyed", &pin]), &[&lv[..len]]) == m.tb {
            return true;
        }
        // CPace as the attacker can compute it for this candidate: the
        // candidate's generator, its own scalar times it (its share, had it
        // used this PIN), K = ya * Yb, and the responder's tag over that
        // transcript.
        let generator = cpace::hazmat_generator(&Prs::new(&pin).unwrap(), &m.ci, &m.sid).unwrap();
        let ya_p = cpace::hazmat_scalar_mult_vfy(&m.ya_bytes, &generator);
        let mut input = [0u8; 512];
        let head = cpace::lv_cat(&[DSI_ISK, m.sid.as_bytes(), k], &mut input).unwrap();
        let tail =
            cpace::transcript_ir(&ya_p, b"", m.yb.as_bytes(), b"", &mut input[head..]).unwrap();
        let isk = sha512(&[&input[..head + tail]]);
        let mac_key = sha512(&[MAC_KEY_LABEL, m.sid.as_bytes(), &isk]);
        if MacTag::compute(&mac_key, &[&lv[..len]]) == m.tb {
            return true;
        }
    }
    false
}

fn all_confirmed(test: impl Fn(u32) -> bool + Sync) -> Vec<u32> {
    // Two threads (the machines have two cores).
    std::thread::scope(|s| {
        let test = &test;
        let halves: Vec<_> = [0u32, 500_000]
            .into_iter()
            .map(|start| {
                s.spawn(move || {
                    (start..start + 500_000)
                        .filter(|&p| test(p))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
#[ignore = "checks all 10^6 PINs: run in release (CI step offline-guessing)"]
fn offline_guessing_against_cpace_confirms_at_most_the_attackers_own_guess() {
    for (real, guess) in [(314_159, 271_828), (314_159, 314_159)] {
        let material = cpace_attack_run(real, guess);
        assert_eq!(
            material.ya.as_bytes(),
            &cpace::hazmat_scalar_mult_vfy(
                &material.ya_bytes,
                &cpace::hazmat_generator(
                    &Prs::new(&digits(guess)).unwrap(),
                    &material.ci,
                    &material.sid
                )
                .unwrap()
            ),
            "the harness rebuilds the attacker's share"
        );
        let k = cpace::hazmat_scalar_mult_vfy(&material.ya_bytes, material.yb.as_bytes());
        let recorded = Recorded {
            cpace: Some(material),
            noise: None,
        };
        let confirmed = all_confirmed(|p| attacker_confirms(&recorded, p, Some(&k)));
        if real == guess {
            assert_eq!(
                confirmed,
                vec![guess],
                "a right guess is confirmed, and only it"
            );
        } else {
            assert!(
                confirmed.is_empty(),
                "a wrong guess confirms nothing: {confirmed:?}"
            );
        }
    }
}

/// Noise's symmetric state, rebuilt from public primitives: what an attacker
/// computes for itself. Used only for the strawman.
#[derive(Clone)]
struct Symmetric {
    ck: [u8; 64],
    h: [u8; 64],
    k: Option<[u8; 32]>,
    n: u64,
}

impl Symmetric {
    fn new(name: &str) -> Self {
        let mut h = [0u8; 64];
        h[..name.len()].copy_from_slice(name.as_bytes());
        Self {
            ck: h,
            h,
            k: None,
            n: 0,
        }
    }
    fn mix_hash(&mut self, data: &[u8]) {
        self.h = sha512(&[&self.h, data]);
    }
    fn hkdf<const N: usize>(&self, ikm: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        Prk::extract(&self.ck, ikm).expand(&[], &mut out).unwrap();
        out
    }
    fn mix_key(&mut self, ikm: &[u8]) {
        let out: [u8; 128] = self.hkdf(ikm);
        self.ck.copy_from_slice(&out[..64]);
        self.k = Some(out[64..96].try_into().unwrap());
        self.n = 0;
    }
    fn mix_key_and_hash(&mut self, ikm: &[u8]) {
        let out: [u8; 192] = self.hkdf(ikm);
        self.ck.copy_from_slice(&out[..64]);
        self.mix_hash(&out[64..128]);
        self.k = Some(out[128..160].try_into().unwrap());
        self.n = 0;
    }
    fn decrypt_and_hash(&mut self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        let key = AeadKey::new(SecretBytes::new(self.k?));
        let (text, tag) = ciphertext.split_at(ciphertext.len() - 16);
        let mut plain = vec![0u8; text.len()];
        key.open_to(
            &CipherState::encode_nonce(self.n),
            &self.h,
            text,
            &mut plain,
            &Tag(tag.try_into().unwrap()),
        )
        .ok()?;
        self.n += 1;
        self.mix_hash(ciphertext);
        Some(plain)
    }
}

/// The strawman: a PSK derived straight from the PIN, into XXpsk2.
fn strawman_psk(pin: u32) -> Psk {
    let mut bytes = [0u8; 32];
    Prk::extract(b"strawman", &digits(pin))
        .expand(&[b"psk"], &mut bytes)
        .unwrap();
    Psk::new(bytes)
}

#[test]
#[ignore = "checks all 10^6 PINs: run in release (CI step offline-guessing)"]
fn negative_control_the_same_harness_recovers_the_pin_from_a_strawman() {
    let [shower, attacker, _] = identities(0x61);
    let real = 314_159;
    let guess = 271_828;
    let prologue = Prologue::pairing(PairingMethod::Pin, &[0; 64]);
    let e_bytes = [0x2au8; 32];
    let mut rng = SeededRng::new([6; 32]);
    // The attacker starts with its guess; the honest responder answers
    // message 1 (XXpsk2 mixes the PSK only at the end of message 2).
    let mut initiator = HandshakeState::new(
        Protocol::XxPsk2(strawman_psk(guess)),
        Role::Initiator,
        &prologue,
        attacker.static_secret(),
        &mut ScriptedRng::new(&e_bytes),
    )
    .unwrap();
    let mut responder = HandshakeState::new(
        Protocol::XxPsk2(strawman_psk(real)),
        Role::Responder,
        &prologue,
        shower.static_secret(),
        &mut rng,
    )
    .unwrap();
    let mut m1 = [0u8; 128];
    let n1 = initiator.write_message(&[], &mut m1).unwrap();
    let mut scratch = [0u8; 128];
    responder.read_message(&m1[..n1], &mut scratch).unwrap();
    let mut m2 = [0u8; 256];
    let n2 = responder
        .write_message(&pairing_payload(shower.device_id()), &mut m2)
        .unwrap();
    let (m1, m2) = (&m1[..n1], &m2[..n2]);
    assert_eq!(
        initiator.read_message(m2, &mut scratch).err(),
        Some(Error::Aead),
        "the online guess failed"
    );

    // Offline: rebuild the state up to the PSK token once...
    let mut sym = Symmetric::new(Protocol::XxPsk2(Psk::zero()).name());
    sym.mix_hash(prologue.as_bytes());
    sym.mix_hash(&m1[..32]);
    sym.mix_key(&m1[..32]);
    sym.decrypt_and_hash(&m1[32..]).expect("our own message 1");
    let re = PublicKey::from_slice(&m2[..32]).unwrap();
    sym.mix_hash(&m2[..32]);
    sym.mix_key(&m2[..32]);
    let e = SecretBytes::new(e_bytes);
    sym.mix_key(x25519::x25519(&e, &re).unwrap().expose_secret());
    let rs = sym
        .decrypt_and_hash(&m2[32..80])
        .expect("the static key decrypts before the PSK");
    let rs = PublicKey::from_slice(&rs).unwrap();
    sym.mix_key(x25519::x25519(&e, &rs).unwrap().expose_secret());
    // ...then run the same harness over every PIN.
    let recorded = Recorded {
        cpace: None,
        noise: Some(NoiseMaterial {
            before_psk: sym,
            payload: m2[80..].to_vec(),
        }),
    };
    let confirmed = all_confirmed(|p| attacker_confirms(&recorded, p, None));
    assert_eq!(
        confirmed,
        vec![real],
        "the harness finds the PIN when the protocol lets it"
    );
}
