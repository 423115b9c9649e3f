//! `DatagramSession::open_in_place`: an honest sender seals records,
//! starting a few counters before the first epoch boundary (epoch length
//! 1,024, the smallest the replay window allows) so runs rotate keys; the
//! fuzzer delivers, holds back and reorders, replays, loses (up to 1,100 in
//! a row, past the next epoch), alters or injects records.
//!
//! Properties:
//! - A record opens only if it is, byte for byte, the genuine record for
//!   its counter, never opened before, and it yields the sealed plaintext
//!   and counter: no altered, replayed or injected record ever opens.
//! - The genuine record of a counter above every counter opened so far,
//!   never opened and at most one epoch ahead of the receiver, opens.
//! - A rejected record leaves the session byte-identical (the hazmat state
//!   digest: keys, previous key, epoch and replay window, is unchanged).

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::aead::AeadKey;
use honeylink_core::noise::CipherState;
use honeylink_core::session::DatagramSession;
use honeylink_fuzz::capped;
use honeylink_fuzz::drive::transport::{DatagramInput, DatagramStep, key};
use honeylink_fuzz::tamper::Edit;
use libfuzzer_sys::fuzz_target;

const L: u64 = 1024;
type Session = DatagramSession<L>;

fn session(send: [u8; 32], receive: [u8; 32]) -> Session {
    Session::from_cipher_states(
        CipherState::new(SecretBytes::new(send)),
        CipherState::new(SecretBytes::new(receive)),
    )
    .expect("fresh cipher states")
}

struct Sender {
    session: Session,
    /// Every sealed record and its plaintext, by counter.
    sealed: BTreeMap<u64, (Vec<u8>, Vec<u8>)>,
    /// The counters in sealing order.
    order: Vec<u64>,
}

impl Sender {
    fn seal(&mut self, plaintext: &[u8]) -> (u64, Vec<u8>) {
        let counter = self.session.send_counter();
        let mut record = vec![0u8; plaintext.len() + Session::OVERHEAD];
        record[Session::HEADER_LEN..][..plaintext.len()].copy_from_slice(plaintext);
        let n = self
            .session
            .seal_in_place(&mut record, plaintext.len())
            .expect("seal");
        record.truncate(n);
        self.sealed
            .insert(counter, (record.clone(), plaintext.to_vec()));
        self.order.push(counter);
        (counter, record)
    }

    fn history(&self) -> Vec<Vec<u8>> {
        self.order
            .iter()
            .map(|c| self.sealed[c].0.clone())
            .collect()
    }
}

fn edited(record: Vec<u8>, edit: Option<&Edit>, history: &[Vec<u8>]) -> Vec<u8> {
    let mut delivered = record;
    if let Some(edit) = edit {
        edit.apply(&mut delivered, history, None);
    }
    delivered
}

fuzz_target!(|input: DatagramInput| {
    let (a, b) = (key(input.seed, 0), key(input.seed, 1));
    let start = L - 1 - u64::from(input.start_before_epoch % 8);
    let mut sender = Sender {
        session: session(a, b).hazmat_with_send_counter(AeadKey::new(SecretBytes::new(a)), start),
        sealed: BTreeMap::new(),
        order: Vec::new(),
    };
    let mut receiver = session(b, a);
    let mut opened = BTreeSet::new();
    for step in input.steps.iter().take(64) {
        let record = match step {
            DatagramStep::Send { plaintext, edit } => {
                let history = sender.history();
                let (_, record) = sender.seal(capped(plaintext));
                edited(record, edit.as_ref(), &history)
            }
            DatagramStep::Hold { plaintext } => {
                sender.seal(capped(plaintext));
                continue;
            }
            DatagramStep::Release { which, edit } => {
                if sender.order.is_empty() {
                    continue;
                }
                let counter = sender.order[usize::from(*which) % sender.order.len()];
                let record = sender.sealed[&counter].0.clone();
                edited(record, edit.as_ref(), &sender.history())
            }
            DatagramStep::Lose { count } => {
                for _ in 0..count % 1100 {
                    sender.seal(b"");
                }
                continue;
            }
            DatagramStep::Inject { bytes } => bytes.clone(),
        };
        let before = receiver.hazmat_state_digest();
        let epoch = receiver.receive_epoch();
        let highest = opened.last().copied();
        let mut buffer = record.clone();
        match receiver.open_in_place(&mut buffer) {
            Ok((counter, plaintext)) => {
                let (genuine, text) = sender
                    .sealed
                    .get(&counter)
                    .expect("opened a counter never sealed");
                assert_eq!(&record, genuine, "an altered record opened");
                assert_eq!(plaintext, text.as_slice());
                assert!(opened.insert(counter), "counter {counter} opened twice");
            }
            Err(error) => {
                assert_eq!(
                    before,
                    receiver.hazmat_state_digest(),
                    "rejecting a record ({error:?}) changed the session"
                );
                let counter = record.first_chunk::<8>().map(|c| u64::from_be_bytes(*c));
                if let Some(counter) = counter
                    && sender
                        .sealed
                        .get(&counter)
                        .is_some_and(|(g, _)| *g == record)
                    && highest.is_none_or(|h| counter > h)
                    && counter / L <= epoch + 1
                {
                    panic!("the genuine record {counter} was refused: {error:?}");
                }
            }
        }
    }
});
