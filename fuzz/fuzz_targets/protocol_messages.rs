//! Arbitrary bytes as protocol messages into every state machine that reads
//! from the network: Noise handshakes in both roles, stream and datagram
//! records, QR pairing's creator, PIN pairing's responder and initiator, and
//! the session responder. None may panic; a rejected record leaves a
//! datagram session able to open the genuine one.

#![no_main]

use honeylink_core::crypto::SecretBytes;
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::{HandshakeState, Prologue, Protocol, Role};
use honeylink_core::pairing::payload::ExpiryClock;
use honeylink_core::pairing::{
    LocalDevice, MAX_PAIRING_MESSAGE_LEN, PairingMethod, Pin, PinGuard, PinInitiator, PinResponder,
    ProximityResponder,
};
use honeylink_core::session::{DatagramSession, SessionResponder, StreamSession};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::TrustStore;
use honeylink_core::wire::PayloadFlags;
use libfuzzer_sys::fuzz_target;

fn identity(seed: u8) -> DeviceIdentity {
    DeviceIdentity::generate(&mut SeededRng::new([seed; 32])).expect("seeded RNG")
}

fuzz_target!(|data: &[u8]| {
    let (selector, rest) = match data.split_first() {
        Some((s, r)) => (*s, r),
        None => return,
    };
    // Split the input into up to three messages.
    let cut1 = rest.len() / 3;
    let cut2 = 2 * rest.len() / 3;
    let (m1, tail) = rest.split_at(cut1);
    let (m2, m3) = tail.split_at(cut2 - cut1);
    let me = identity(1);
    let mut rng = SeededRng::new([selector; 32]);
    let mut out = [0u8; 70_000];
    let local = LocalDevice {
        identity: &me,
        name: DeviceName::new("Fuzz").expect("valid"),
        flags: PayloadFlags::empty(),
    };
    match selector % 7 {
        0 => {
            let psk = Protocol::XxPsk2(SecretBytes::new([7; 32]));
            let prologue = Prologue::pairing(PairingMethod::Qr, &[3; 64]);
            let mut r = HandshakeState::new(
                psk,
                Role::Responder,
                &prologue,
                me.static_secret(),
                &mut rng,
            )
            .expect("rng");
            if r.read_message(m1, &mut out).is_ok() && r.write_message(m2, &mut out).is_ok() {
                let _ = r.read_message(m3, &mut out);
            }
        }
        1 => {
            let mut i = HandshakeState::new(
                Protocol::Xx,
                Role::Initiator,
                &Prologue::session(),
                me.static_secret(),
                &mut rng,
            )
            .expect("rng");
            if i.write_message(&[], &mut out).is_ok() {
                let _ = i.read_message(m1, &mut out);
            }
        }
        2 => {
            let mut s = StreamSession::<4>::from_cipher_states(
                honeylink_core::noise::CipherState::new(SecretBytes::new([1; 32])),
                honeylink_core::noise::CipherState::new(SecretBytes::new([2; 32])),
            );
            for m in [m1, m2, m3] {
                let mut buf = m.to_vec();
                let _ = s.open_in_place(&mut buf);
            }
        }
        3 => {
            let mut d = DatagramSession::<1024>::from_cipher_states(
                honeylink_core::noise::CipherState::new(SecretBytes::new([1; 32])),
                honeylink_core::noise::CipherState::new(SecretBytes::new([2; 32])),
            )
            .expect("fresh");
            for m in [m1, m2, m3] {
                let mut buf = m.to_vec();
                let _ = d.open_in_place(&mut buf);
            }
        }
        4 => {
            let mut creator = ProximityResponder::new(
                local,
                PairingMethod::Qr,
                100,
                300,
                ExpiryClock::CreatorClock,
                None,
                &mut rng,
            )
            .expect("rng");
            if let Ok((_, run)) =
                creator.handle_message1(101, m1, &mut out[..MAX_PAIRING_MESSAGE_LEN], &mut rng)
            {
                let _ = creator.handle_message3(102, run, m2);
            }
        }
        5 => {
            let mut guard = PinGuard::new();
            let mut responder = PinResponder::new(local, &mut guard, 10, &mut rng).expect("rng");
            if let Ok((_, run)) = responder.handle_hello(11, m1, &mut out, &mut rng) {
                let _ = responder.handle_share(12, run, m2, &mut out, &mut rng);
                let _ = responder.handle_tag(13, run, m3, &mut out, &mut rng);
                let _ = responder.handle_noise3(14, run, m3);
            }
            let mut initiator_out = [0u8; 256];
            if let Ok((mut initiator, _)) = PinInitiator::start(
                local,
                Pin::parse("123456").expect("digits"),
                &mut initiator_out,
                &mut rng,
            ) {
                let _ = initiator.handle_hello(m1, &mut initiator_out, &mut rng);
                let _ = initiator.handle_share_and_tag(m2, &mut initiator_out, &mut rng);
                let _ = initiator.handle_noise2(m3, &mut initiator_out);
            }
        }
        _ => {
            let peer = identity(2);
            let trust = TrustStore::<2>::new();
            let mut responder =
                SessionResponder::new(&peer, PayloadFlags::empty(), &mut rng).expect("rng");
            if responder.respond(m1, &mut out).is_ok() {
                let _ = responder.read_message3(&trust, m2);
            }
        }
    }
});
