//! Sessions driven call by call: the fuzzer picks the calls of
//! `SessionInitiator`s (device 0) and `SessionResponder`s (device 1), each
//! with a trust store it chooses, and then of the stream transport both
//! ends hold (seal, open, close), and the bytes each is handed. A reference
//! model of the documented rules predicts the refusals; see the
//! `session_calls` target for the properties.

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::noise::HandshakeOutcome;
use honeylink_core::session::{
    PeerVerdict, SessionEnd, SessionInitiator, SessionResponder, StreamSession,
};
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

use super::calls::{Log, MAX_CALLS, Msg};
use super::session::Trust;
use crate::seed::{Encode, Writer};
use crate::{identities, rng};

/// Records per key in the transports here, so rekeys happen within a run.
pub const REKEY: u64 = 4;

type Stream = StreamSession<REKEY>;

/// The input of `session_calls`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct SessionCallsInput {
    /// Seeds the RNGs.
    pub seed: u16,
    /// What the initiator's store says about the responder.
    pub initiator_trust: Trust,
    /// What the responder's store says about the initiator.
    pub responder_trust: Trust,
    /// The calls, in order (at most [`MAX_CALLS`]).
    pub calls: Vec<SessionCall>,
}

/// One call.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum SessionCall {
    /// A new initiator (replacing the one in play) writes message 1.
    StartInitiator,
    /// A new responder replaces the one in play.
    NewResponder,
    /// `SessionResponder::respond`.
    Respond {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short of message 2.
        small: bool,
    },
    /// `SessionInitiator::read_message2`.
    ReadMessage2 {
        /// The bytes.
        msg: Msg,
    },
    /// `SessionInitiator::write_message3` (consumes the initiator).
    WriteMessage3,
    /// `SessionResponder::read_message3` (consumes the responder).
    ReadMessage3 {
        /// The bytes.
        msg: Msg,
    },
    /// `StreamSession::seal_in_place` on one end.
    Seal {
        /// The initiator's end rather than the responder's.
        initiator: bool,
        /// Plaintext length, modulo 64.
        len: u8,
        /// A buffer one byte short.
        small: bool,
    },
    /// `StreamSession::open_in_place` on one end; `Last` is the next record
    /// the other end sealed.
    Open {
        /// The initiator's end rather than the responder's.
        initiator: bool,
        /// The bytes.
        msg: Msg,
    },
    /// One end closes (drops) its transport.
    Close {
        /// The initiator's end rather than the responder's.
        initiator: bool,
    },
}

impl Encode for SessionCallsInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        self.initiator_trust.encode(w);
        self.responder_trust.encode(w);
        w.vec(&self.calls);
    }
}

impl Encode for SessionCall {
    fn encode(&self, w: &mut Writer) {
        const N: u32 = 9;
        match self {
            Self::StartInitiator => w.variant(0, N),
            Self::NewResponder => w.variant(1, N),
            Self::Respond { msg, small } => {
                w.variant(2, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::ReadMessage2 { msg } => {
                w.variant(3, N);
                msg.encode(w);
            }
            Self::WriteMessage3 => w.variant(4, N),
            Self::ReadMessage3 { msg } => {
                w.variant(5, N);
                msg.encode(w);
            }
            Self::Seal {
                initiator,
                len,
                small,
            } => {
                w.variant(6, N);
                w.bool(*initiator);
                w.u8(*len);
                w.bool(*small);
            }
            Self::Open { initiator, msg } => {
                w.variant(7, N);
                w.bool(*initiator);
                msg.encode(w);
            }
            Self::Close { initiator } => {
                w.variant(8, N);
                w.bool(*initiator);
            }
        }
    }
}

/// Where a handshake side stands, as its docs describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the peer's next message.
    Reading,
    /// Read it; this side writes next (the initiator's verdict is in).
    Read,
    /// Noise ended the handshake: every later call is `HandshakeFailed`.
    Failed,
}

struct Initiator {
    side: SessionInitiator<'static>,
    stage: Stage,
    message1: Vec<u8>,
    /// The message 2 it read, and its verdict.
    read2: Option<Vec<u8>>,
    verdict: Option<PeerVerdict>,
}

struct Responder {
    side: SessionResponder<'static>,
    stage: Stage,
    /// The message 2 it wrote.
    message2: Option<Vec<u8>>,
}

/// One end of the transport: the session, and the records it sealed, in
/// order (the other end opens them in that order).
struct End {
    session: Option<Stream>,
    sealed: Vec<(Vec<u8>, Vec<u8>)>,
}

struct Written3 {
    message3: Vec<u8>,
    message2: Vec<u8>,
    hash: [u8; 64],
    outcome: Option<HandshakeOutcome>,
}

struct World {
    ri: SeededRng,
    rr: SeededRng,
    log: Log,
    trust_i: honeylink_core::trust::TrustStore<4>,
    trust_r: honeylink_core::trust::TrustStore<4>,
    initiator_trust: Trust,
    responder_trust: Trust,
    initiator: Option<Initiator>,
    responder: Option<Responder>,
    /// Every message 1 an initiator wrote (message 3s are in `written3`:
    /// one sent to a fresh responder as a message 1 is rightly refused), and
    /// every message 2 a responder wrote.
    written1: Vec<Vec<u8>>,
    written2: Vec<Vec<u8>>,
    /// The message 3s written, each with the message 2 its writer read and
    /// its writer's hash and keys.
    written3: Vec<Written3>,
    /// The transport's two ends, once a session is established.
    ends: Option<[End; 2]>,
}

/// Plays `input`'s calls, then a full honest session and one record each
/// way, asserting every result against the model.
pub fn run(input: &SessionCallsInput) {
    let mut w = World {
        ri: rng(input.seed, 0),
        rr: rng(input.seed, 1),
        log: Log::default(),
        trust_i: input.initiator_trust.store(1),
        trust_r: input.responder_trust.store(0),
        initiator_trust: input.initiator_trust,
        responder_trust: input.responder_trust,
        initiator: None,
        responder: None,
        written1: Vec::new(),
        written2: Vec::new(),
        written3: Vec::new(),
        ends: None,
    };
    w.call(&SessionCall::NewResponder);
    for call in input.calls.iter().take(MAX_CALLS) {
        w.call(call);
    }
    let trusted =
        input.initiator_trust == Trust::Trusted && input.responder_trust == Trust::Trusted;
    for call in [
        SessionCall::StartInitiator,
        SessionCall::NewResponder,
        SessionCall::Respond {
            msg: Msg::Last,
            small: false,
        },
        SessionCall::ReadMessage2 { msg: Msg::Last },
        SessionCall::WriteMessage3,
        SessionCall::ReadMessage3 { msg: Msg::Last },
    ] {
        w.call(&call);
    }
    assert_eq!(
        w.ends.is_some(),
        trusted,
        "an honest session ended otherwise"
    );
    for initiator in [true, false, true] {
        w.call(&SessionCall::Seal {
            initiator,
            len: 9,
            small: false,
        });
        w.call(&SessionCall::Open {
            initiator: !initiator,
            msg: Msg::Last,
        });
    }
}

fn is_noise_message_error(error: Error) -> bool {
    matches!(
        error,
        Error::MessageTooShort
            | Error::MessageTooLong
            | Error::Aead
            | Error::NonCanonicalKey
            | Error::LowOrderKey
            | Error::ZeroSharedSecret
    )
}

impl World {
    fn check_verdict(verdict: &PeerVerdict, peer: usize, trust: Trust) {
        let ids = identities();
        assert_eq!(verdict.id, ids[peer].device_id());
        assert_eq!(&verdict.key, ids[peer].static_public_key());
        assert!(trust.matches(&verdict.decision), "{verdict:?}");
    }

    #[allow(clippy::too_many_lines)]
    fn call(&mut self, call: &SessionCall) {
        let ids = identities();
        match call {
            SessionCall::StartInitiator => {
                let mut out = [0u8; 64];
                let (side, n) =
                    SessionInitiator::start(&ids[0], PayloadFlags::empty(), &mut out, &mut self.ri)
                        .expect("start");
                self.log.wrote(&out[..n]);
                self.written1.push(out[..n].to_vec());
                self.initiator = Some(Initiator {
                    side,
                    stage: Stage::Reading,
                    message1: out[..n].to_vec(),
                    read2: None,
                    verdict: None,
                });
            }
            SessionCall::NewResponder => {
                let side = SessionResponder::new(&ids[1], PayloadFlags::HEADLESS, &mut self.rr)
                    .expect("rng");
                self.responder = Some(Responder {
                    side,
                    stage: Stage::Reading,
                    message2: None,
                });
            }
            SessionCall::Respond { msg, small } => {
                let last = self.initiator.as_ref().map(|i| i.message1.clone());
                let Some(r) = self.responder.as_mut() else {
                    return;
                };
                let bytes = self.log.pick(msg, &last.unwrap_or_default());
                let mut probe = [0u8; 1024];
                let size = if *small { 1 } else { probe.len() };
                let result = r.side.respond(&bytes, &mut probe[..size]);
                match r.stage {
                    Stage::Read => assert_eq!(result, Err(Error::OutOfOrder)),
                    // Only a Noise error fails a responder, and ends it.
                    Stage::Failed if !*small => assert_eq!(result, Err(Error::HandshakeFailed)),
                    Stage::Reading | Stage::Failed if *small => {
                        // Refused before message 1 is read: nothing changes.
                        assert!(
                            matches!(result, Err(Error::BufferTooSmall { .. })),
                            "{result:?}"
                        );
                    }
                    Stage::Reading | Stage::Failed => match result {
                        Ok(n) => {
                            assert_eq!(r.stage, Stage::Reading);
                            // Message 1 is not authenticated: anything of
                            // the right shape is answered.
                            r.stage = Stage::Read;
                            r.message2 = Some(probe[..n].to_vec());
                            self.log.wrote(&probe[..n]);
                            self.written2.push(probe[..n].to_vec());
                        }
                        Err(error) => {
                            assert!(
                                !self.written1.contains(&bytes),
                                "an honest message 1 was refused: {error:?}"
                            );
                            // A message 1 with a payload, of any length, is
                            // refused before it is read: nothing changes. A
                            // Noise error ends the handshake.
                            if error != Error::UnexpectedPayload {
                                assert!(is_noise_message_error(error), "{error:?}");
                                r.stage = Stage::Failed;
                            }
                        }
                    },
                }
            }
            SessionCall::ReadMessage2 { msg } => {
                let last = self
                    .responder
                    .as_ref()
                    .and_then(|r| r.message2.clone())
                    .or_else(|| self.written2.last().cloned());
                let Some(i) = self.initiator.as_mut() else {
                    return;
                };
                let bytes = self.log.pick(msg, &last.unwrap_or_default());
                let result = i.side.read_message2(&self.trust_i, &bytes);
                match i.stage {
                    Stage::Read => assert_eq!(result, Err(Error::OutOfOrder)),
                    Stage::Failed => {
                        assert!(matches!(
                            result,
                            Err(Error::HandshakeFailed | Error::OutOfOrder)
                        ));
                    }
                    Stage::Reading => match result {
                        Ok(verdict) => {
                            assert!(
                                self.written2.contains(&bytes),
                                "a message 2 no responder wrote was read"
                            );
                            Self::check_verdict(&verdict, 1, self.initiator_trust);
                            i.stage = Stage::Read;
                            i.read2 = Some(bytes);
                            i.verdict = Some(verdict);
                        }
                        // A payload longer than any valid one: refused
                        // before anything is read, naming the bound.
                        Err(Error::InputTooLong { max }) => {
                            assert_eq!(max, HandshakePayload::MAX_LEN);
                        }
                        Err(error) => {
                            assert!(!matches!(error, Error::BufferTooSmall { .. }));
                            i.stage = Stage::Failed;
                        }
                    },
                }
            }
            SessionCall::WriteMessage3 => {
                let Some(i) = self.initiator.take() else {
                    return;
                };
                let mut out = [0u8; 1024];
                let result = i.side.write_message3(&mut out);
                match (i.stage, i.verdict) {
                    (Stage::Read, Some(verdict)) if verdict.decision.is_trusted() => {
                        let (n, written, outcome) = result.expect("message 3 to a trusted peer");
                        assert_eq!(written, verdict);
                        self.log.wrote(&out[..n]);
                        self.written3.push(Written3 {
                            message3: out[..n].to_vec(),
                            message2: i.read2.clone().expect("read"),
                            hash: *outcome.handshake_hash(),
                            outcome: Some(outcome),
                        });
                    }
                    (Stage::Read, Some(_)) => assert_eq!(result.err(), Some(Error::NotTrusted)),
                    _ => assert_eq!(result.err(), Some(Error::OutOfOrder)),
                }
            }
            SessionCall::ReadMessage3 { msg } => {
                let last = self.written3.last().map(|m| m.message3.clone());
                let Some(r) = self.responder.take() else {
                    return;
                };
                let bytes = self.log.pick(msg, &last.unwrap_or_default());
                let result = r.side.read_message3(&self.trust_r, &bytes);
                if r.stage != Stage::Read {
                    // Before a message 1 was answered (or after it could not
                    // be): out of turn, before anything is read.
                    assert_eq!(result.err(), Some(Error::OutOfOrder));
                    return;
                }
                // The honest message 3: written by an initiator that read
                // this responder's message 2.
                let honest = self
                    .written3
                    .iter()
                    .position(|m| m.message3 == bytes && r.message2.as_ref() == Some(&m.message2));
                match result {
                    Ok(end) => {
                        let at = honest.expect("a message 3 no initiator wrote was read");
                        let verdict = match &end {
                            SessionEnd::Established(verdict, _) | SessionEnd::Refused(verdict) => {
                                *verdict
                            }
                        };
                        Self::check_verdict(&verdict, 0, self.responder_trust);
                        match end {
                            SessionEnd::Established(_, outcome) => {
                                assert!(verdict.decision.is_trusted());
                                let written = &mut self.written3[at];
                                let hash = &written.hash;
                                assert_eq!(hash, outcome.handshake_hash(), "the hashes differ");
                                let initiator =
                                    written.outcome.take().expect("one responder per message 3");
                                self.ends = Some([
                                    End {
                                        session: Some(Stream::new(initiator)),
                                        sealed: Vec::new(),
                                    },
                                    End {
                                        session: Some(Stream::new(outcome)),
                                        sealed: Vec::new(),
                                    },
                                ]);
                            }
                            SessionEnd::Refused(_) => assert!(!verdict.decision.is_trusted()),
                        }
                    }
                    Err(error) => {
                        // Only a message 3 answering this responder's
                        // message 2 is honest; it must not fail.
                        assert!(
                            honest.is_none(),
                            "an honest message 3 was refused: {error:?}"
                        );
                    }
                }
            }
            SessionCall::Seal {
                initiator,
                len,
                small,
            } => {
                let Some(ends) = self.ends.as_mut() else {
                    return;
                };
                let end = &mut ends[usize::from(!*initiator)];
                let Some(session) = end.session.as_mut() else {
                    // Closed: the type leaves nothing to call.
                    return;
                };
                let plaintext = vec![*len; usize::from(*len % 64)];
                let needed = plaintext.len() + Stream::OVERHEAD;
                let mut buffer = plaintext.clone();
                buffer.resize(if *small { needed - 1 } else { needed }, 0);
                let before = session.hazmat_state_digest();
                let sent = session.sent();
                match session.seal_in_place(&mut buffer, plaintext.len()) {
                    Ok(n) => {
                        assert!(!*small);
                        assert_eq!(n, needed);
                        assert_eq!(session.sent(), sent + 1);
                        self.log.wrote(&buffer[..n]);
                        end.sealed.push((buffer[..n].to_vec(), plaintext));
                    }
                    Err(error) => {
                        assert!(*small, "{error:?}");
                        assert!(matches!(error, Error::BufferTooSmall { .. }));
                        assert_eq!(
                            session.hazmat_state_digest(),
                            before,
                            "a refusal changed it"
                        );
                    }
                }
            }
            SessionCall::Open { initiator, msg } => {
                let Some(ends) = self.ends.as_mut() else {
                    return;
                };
                let (mine, theirs) = if *initiator {
                    let [a, b] = ends;
                    (a, &*b)
                } else {
                    let [a, b] = ends;
                    (b, &*a)
                };
                let Some(session) = mine.session.as_mut() else {
                    return;
                };
                let next = usize::try_from(session.received()).expect("small");
                let expected = theirs.sealed.get(next);
                let base = expected
                    .or(theirs.sealed.last())
                    .map(|r| r.0.clone())
                    .unwrap_or_default();
                let mut bytes = self.log.pick(msg, &base);
                let honest = expected.filter(|r| r.0 == bytes).map(|r| r.1.clone());
                let before = session.hazmat_state_digest();
                match session.open_in_place(&mut bytes) {
                    Ok(plaintext) => {
                        let wanted = honest.expect("a record opened out of its place");
                        assert_eq!(plaintext, &wanted[..]);
                        assert_eq!(session.received(), next as u64 + 1);
                    }
                    Err(error) => {
                        assert!(honest.is_none(), "the next record failed: {error:?}");
                        assert_eq!(
                            session.hazmat_state_digest(),
                            before,
                            "a rejected record changed the session"
                        );
                    }
                }
            }
            SessionCall::Close { initiator } => {
                if let Some(ends) = self.ends.as_mut() {
                    ends[usize::from(!*initiator)].session = None;
                }
            }
        }
    }
}
