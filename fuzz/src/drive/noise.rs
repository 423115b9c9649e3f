//! A raw Noise XX or XXpsk2 handshake between devices 0 (initiator) and 1
//! (responder), with the fuzzer's payloads.

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::noise::{
    HandshakeOutcome, HandshakeState, Next, PairingMethod, Prologue, Protocol, Role,
};

use crate::seed::{Encode, Writer};
use crate::tamper::{Tamper, Transcript};
use crate::{capped, identities, rng};

/// The input of `noise_xx` and `noise_xxpsk2`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct HandshakeInput {
    /// Seeds both parties' RNGs (their ephemeral keys).
    pub seed: u16,
    /// The responder uses another PSK (XXpsk2) or prologue (XX): the
    /// handshake must fail.
    pub mismatch: bool,
    /// The payload of each message (capped).
    pub payloads: [Vec<u8>; 3],
    /// The alterations, on any of the three messages.
    pub tampers: Vec<Tamper>,
}

impl Encode for HandshakeInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.bool(self.mismatch);
        for p in &self.payloads {
            w.bytes(p);
        }
        w.vec(&self.tampers);
    }
}

/// What one side ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The handshake hash.
    pub hash: [u8; 64],
    /// The peer's static key.
    pub remote: [u8; 32],
    /// The sending key.
    pub send: [u8; 32],
    /// The receiving key.
    pub receive: [u8; 32],
}

impl Keys {
    fn of(outcome: HandshakeOutcome) -> Self {
        let hash = *outcome.handshake_hash();
        let remote = *outcome.remote_static().as_bytes();
        let (send, receive) = outcome.into_cipher_states();
        Self {
            hash,
            remote,
            send: send.hazmat_key_bytes(),
            receive: receive.hazmat_key_bytes(),
        }
    }
}

/// What happened in one run.
#[derive(Debug)]
pub struct HandshakeReport {
    /// Which delivered messages were altered.
    pub altered: Vec<bool>,
    /// The messages as written.
    pub written: Vec<Vec<u8>>,
    /// The payload each side read from each message it read successfully.
    pub read: [Option<Vec<u8>>; 3],
    /// The initiator's outcome, if it finished.
    pub initiator: Option<Keys>,
    /// The responder's outcome, if it finished.
    pub responder: Option<Keys>,
}

/// Plays the handshake; `psk` picks XXpsk2. The fuzzer may alter the
/// messages at the `alterable` indices.
///
/// Asserted here, where the state is at hand: a message that fails to read
/// ends the handshake (`Next::Failed`), and the genuine message offered
/// after it is refused with `HandshakeFailed`: a failed handshake is
/// destroyed, not resumable.
pub fn run(psk: bool, input: &HandshakeInput, alterable: &[usize]) -> HandshakeReport {
    let ids = identities();
    let (s_i, s_r) = (ids[0].static_secret(), ids[1].static_secret());
    let psk_bytes = |flip: bool| {
        let mut k = [0x5c; 32];
        k[..2].copy_from_slice(&input.seed.to_le_bytes());
        k[31] ^= u8::from(flip);
        Protocol::XxPsk2(SecretBytes::new(k))
    };
    let binding = [0xb1; 64];
    let (mut ri, mut rr) = (rng(input.seed, 0), rng(input.seed, 1));
    let (init, resp) = if psk {
        let prologue = Prologue::pairing(PairingMethod::Qr, &binding);
        (
            HandshakeState::new(psk_bytes(false), Role::Initiator, &prologue, s_i, &mut ri),
            HandshakeState::new(
                psk_bytes(input.mismatch),
                Role::Responder,
                &prologue,
                s_r,
                &mut rr,
            ),
        )
    } else {
        let prologue = Prologue::session();
        let other = [b"HoneyLink\x01\x07".as_slice(), b"x"].concat();
        let resp_prologue: &[u8] = if input.mismatch {
            &other
        } else {
            prologue.as_bytes()
        };
        (
            HandshakeState::new(Protocol::Xx, Role::Initiator, &prologue, s_i, &mut ri),
            HandshakeState::with_raw_prologue(
                Protocol::Xx,
                Role::Responder,
                resp_prologue,
                s_r,
                &mut rr,
            ),
        )
    };
    let (mut init, mut resp) = (init.expect("rng"), resp.expect("rng"));
    let twin = || {
        let honest = HandshakeInput {
            seed: input.seed ^ 0xa5a5,
            mismatch: false,
            payloads: input.payloads.clone(),
            tampers: Vec::new(),
        };
        run(psk, &honest, &[]).written
    };
    let mut t = Transcript::new(&input.tampers, alterable, twin);
    let mut out = vec![0u8; 70_000];
    let mut payload = vec![0u8; 70_000];
    let mut read: [Option<Vec<u8>>; 3] = [None, None, None];
    let report = |t: Transcript<'_>, read, i: Option<Keys>, r: Option<Keys>| HandshakeReport {
        altered: t.altered,
        written: t.written,
        read,
        initiator: i,
        responder: r,
    };

    for (index, (writer_is_init, payload_in)) in [
        (true, &input.payloads[0]),
        (false, &input.payloads[1]),
        (true, &input.payloads[2]),
    ]
    .into_iter()
    .enumerate()
    {
        let (writer, reader) = if writer_is_init {
            (&mut init, &mut resp)
        } else {
            (&mut resp, &mut init)
        };
        let n = writer
            .write_message(capped(payload_in), &mut out)
            .expect("an honest party writes its turn");
        let genuine = out[..n].to_vec();
        let delivered = t.deliver(&genuine);
        match reader.read_message(&delivered, &mut payload) {
            Ok(len) => read[index] = Some(payload[..len].to_vec()),
            Err(error) => {
                assert!(
                    !matches!(error, Error::BufferTooSmall { .. } | Error::OutOfOrder),
                    "refused, not failed: {error:?}"
                );
                assert_eq!(reader.next(), Next::Failed, "{error:?} did not end it");
                assert_eq!(
                    reader.read_message(&genuine, &mut payload),
                    Err(Error::HandshakeFailed),
                    "a failed handshake took the genuine message"
                );
                // The initiator is done once it has written message 3.
                let i = (index == 2).then(|| Keys::of(init.finish().expect("finished")));
                return report(t, read, i, None);
            }
        }
    }
    assert_eq!(init.next(), Next::Finish);
    assert_eq!(resp.next(), Next::Finish);
    let i = Keys::of(init.finish().expect("finished"));
    let r = Keys::of(resp.finish().expect("finished"));
    report(t, read, Some(i), Some(r))
}

/// The properties `noise_xx` and `noise_xxpsk2` state at their top.
pub fn check(input: &HandshakeInput, report: &HandshakeReport) {
    let ids = identities();
    let honest = !report.altered.iter().any(|a| *a) && !input.mismatch;
    if honest {
        let (Some(i), Some(r)) = (&report.initiator, &report.responder) else {
            panic!("an unaltered handshake failed: {report:?}");
        };
        assert_eq!(i.hash, r.hash);
        assert_eq!((i.send, i.receive), (r.receive, r.send));
        assert_eq!(&i.remote, ids[1].static_public_key().as_bytes());
        assert_eq!(&r.remote, ids[0].static_public_key().as_bytes());
        for (read, sent) in report.read.iter().zip(&input.payloads) {
            assert_eq!(read.as_deref(), Some(capped(sent)));
        }
    }
    if let Some(i) = &report.initiator {
        assert!(
            !input.mismatch && !report.altered[0] && !report.altered[1],
            "the initiator completed after an altered message: {report:?}"
        );
        assert_eq!(&i.remote, ids[1].static_public_key().as_bytes());
    }
    if let Some(r) = &report.responder {
        assert!(honest, "the responder completed after an altered message");
        assert_eq!(Some(r.hash), report.initiator.as_ref().map(|i| i.hash));
    }
}
