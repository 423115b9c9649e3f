//! `StreamSession::open_in_place`: an honest sender seals records (the
//! rekey interval is 4, so keys rotate within a run); the fuzzer loses,
//! alters, replays or injects records on the way.
//!
//! Properties:
//! - A record opens exactly when it is, byte for byte, the genuine record
//!   for the receiver's next nonce, and then yields the sealed plaintext:
//!   no altered, replayed, reordered or injected record ever opens, and the
//!   genuine next record always does.
//! - A rejected record leaves the session byte-identical (the hazmat state
//!   digest, keys and nonces included, is unchanged).

#![no_main]

use honeylink_core::crypto::SecretBytes;
use honeylink_core::noise::CipherState;
use honeylink_core::session::StreamSession;
use honeylink_fuzz::capped;
use honeylink_fuzz::drive::transport::{StreamInput, StreamStep, key};
use libfuzzer_sys::fuzz_target;

type Session = StreamSession<4>;

fn session(send: [u8; 32], receive: [u8; 32]) -> Session {
    Session::from_cipher_states(
        CipherState::new(SecretBytes::new(send)),
        CipherState::new(SecretBytes::new(receive)),
    )
}

fn seal(sender: &mut Session, plaintext: &[u8]) -> Vec<u8> {
    let mut record = plaintext.to_vec();
    record.resize(plaintext.len() + Session::OVERHEAD, 0);
    let n = sender
        .seal_in_place(&mut record, plaintext.len())
        .expect("seal");
    record.truncate(n);
    record
}

fuzz_target!(|input: StreamInput| {
    let (a, b) = (key(input.seed, 0), key(input.seed, 1));
    let mut sender = session(a, b);
    let mut receiver = session(b, a);
    // Every sealed record and its plaintext, indexed by nonce.
    let mut sealed: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for step in input.steps.iter().take(64) {
        let record = match step {
            StreamStep::Send { plaintext, edit } => {
                let plaintext = capped(plaintext).to_vec();
                let record = seal(&mut sender, &plaintext);
                let history: Vec<Vec<u8>> = sealed.iter().map(|(r, _)| r.clone()).collect();
                sealed.push((record.clone(), plaintext));
                let mut delivered = record;
                if let Some(edit) = edit {
                    edit.apply(&mut delivered, &history, None);
                }
                delivered
            }
            StreamStep::Lose => {
                let record = seal(&mut sender, b"lost");
                sealed.push((record, b"lost".to_vec()));
                continue;
            }
            StreamStep::Replay { which } => {
                if sealed.is_empty() {
                    continue;
                }
                sealed[usize::from(*which) % sealed.len()].0.clone()
            }
            StreamStep::Inject { bytes } => bytes.clone(),
        };
        let before = receiver.hazmat_state_digest();
        let genuine = usize::try_from(receiver.received())
            .ok()
            .and_then(|n| sealed.get(n));
        let mut buffer = record.clone();
        match receiver.open_in_place(&mut buffer) {
            Ok(plaintext) => {
                let (expected, text) = genuine.expect("opened a record never sealed");
                assert_eq!(&record, expected, "an altered record opened");
                assert_eq!(plaintext, text.as_slice());
            }
            Err(error) => {
                assert_eq!(
                    before,
                    receiver.hazmat_state_digest(),
                    "rejecting a record ({error:?}) changed the session"
                );
                assert!(
                    genuine.is_none_or(|(g, _)| *g != record),
                    "the genuine next record was refused: {error:?}"
                );
            }
        }
    }
});
