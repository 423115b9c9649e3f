//! QR and NFC pairing driven call by call: the fuzzer picks the calls of the
//! `ProximityResponder` (device 1, shows codes) and of `ProximityInitiator`s
//! (device 0, each scanning the code in play), the bytes and ticket each is
//! handed, new codes, timer polls and the passing of time. A reference model
//! of the documented rules predicts every refusal; see the
//! `proximity_calls` target for the properties.

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::noise::HandshakeOutcome;
use honeylink_core::pairing::payload::{ExpiryClock, MAX_TEXT_LEN, PairingPayload};
use honeylink_core::pairing::{
    MAX_PAIRING_MESSAGE_LEN, MAX_RUNS_PER_PAYLOAD, PairingMethod, PendingPeer, ProximityInitiator,
    ProximityResponder, RUN_TIMEOUT_SECS, RunId,
};
use honeylink_core::session::StreamSession;
use honeylink_core::testing::SeededRng;

use super::calls::{Log, MAX_CALLS, Msg, Ticket, buffer};
use super::session::one_way;
use crate::seed::{Encode, Writer};
use crate::{local, rng};

/// When the first code is made.
pub const T0: u64 = 70_000;

/// The input of `proximity_calls`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ProximityCallsInput {
    /// Seeds the RNGs.
    pub seed: u16,
    /// NFC rather than QR.
    pub nfc: bool,
    /// Each code's validity, modulo 301 seconds.
    pub validity: u16,
    /// The calls, in order (at most [`MAX_CALLS`]).
    pub calls: Vec<ProximityCall>,
}

/// One call.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum ProximityCall {
    /// A new initiator scans the code in play and writes its message 1.
    NewInitiator,
    /// `ProximityResponder::handle_message1`.
    Message1 {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `ProximityInitiator::handle_message2`, on the newest initiator.
    Message2 {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `ProximityResponder::handle_message3`.
    Message3 {
        /// The ticket.
        ticket: Ticket,
        /// The bytes.
        msg: Msg,
    },
    /// `ProximityResponder::poll_timeout`.
    PollTimeout,
    /// A new responder shows a new code.
    NewResponder,
    /// Time passes.
    Wait {
        /// Seconds.
        secs: u8,
    },
}

impl Encode for ProximityCallsInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.bool(self.nfc);
        w.u16(self.validity);
        w.vec(&self.calls);
    }
}

impl Encode for ProximityCall {
    fn encode(&self, w: &mut Writer) {
        const N: u32 = 7;
        match self {
            Self::NewInitiator => w.variant(0, N),
            Self::Message1 { msg, small } => {
                w.variant(1, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::Message2 { msg, small } => {
                w.variant(2, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::Message3 { ticket, msg } => {
                w.variant(3, N);
                ticket.encode(w);
                msg.encode(w);
            }
            Self::PollTimeout => w.variant(4, N),
            Self::NewResponder => w.variant(5, N),
            Self::Wait { secs } => {
                w.variant(6, N);
                w.u8(*secs);
            }
        }
    }
}

/// The model of the responder in play.
#[derive(Debug)]
struct RModel {
    created_at: u64,
    expires_at: u64,
    used: bool,
    /// The ephemerals of the message 1s answered.
    answered: Vec<[u8; 32]>,
    /// The live run: its ticket, when it began, and which initiator's
    /// message 1 began it.
    run: Option<(RunId, u64, usize)>,
}

impl RModel {
    fn busy(&self, now: u64) -> bool {
        self.run
            .is_some_and(|(_, started, _)| now >= started && now < started + RUN_TIMEOUT_SECS)
    }

    /// The refusal `check_usable` documents, which drops the live run.
    fn unusable(&mut self, now: u64) -> Option<Error> {
        let error = if self.used {
            Error::PayloadUsed
        } else if now > self.expires_at || now < self.created_at {
            Error::PayloadExpired
        } else {
            return None;
        };
        self.run = None;
        Some(error)
    }
}

/// One initiator: which code it scanned, what it wrote, what the responder
/// answered it, and its keys once it finished.
struct Scanner {
    initiator: ProximityInitiator<'static>,
    code: usize,
    message1: Vec<u8>,
    message2: Option<Vec<u8>>,
    message3: Option<Vec<u8>>,
    done: bool,
    finished: Option<([u8; 64], HandshakeOutcome)>,
}

struct World {
    nfc: bool,
    validity: u64,
    now: u64,
    ri: SeededRng,
    rr: SeededRng,
    log: Log,
    responder: ProximityResponder<'static>,
    r: RModel,
    /// The code in play, as QR text, and how many codes were made.
    code: String,
    codes: usize,
    scanners: Vec<Scanner>,
}

impl World {
    fn method(&self) -> PairingMethod {
        if self.nfc {
            PairingMethod::Nfc
        } else {
            PairingMethod::Qr
        }
    }

    fn new_responder(&mut self) {
        self.responder = ProximityResponder::new(
            local(1),
            self.method(),
            self.now,
            self.validity,
            ExpiryClock::CreatorClock,
            None,
            &mut self.rr,
        )
        .expect("a valid code");
        let mut text = [0u8; MAX_TEXT_LEN];
        let n = self
            .responder
            .payload()
            .encode_text(&mut text)
            .expect("fits");
        self.code = String::from_utf8(text[..n].to_vec()).expect("text");
        self.codes += 1;
        self.r = RModel {
            created_at: self.now,
            expires_at: self.responder.payload().expires_at,
            used: false,
            answered: Vec::new(),
            run: None,
        };
        assert_eq!(self.r.expires_at, self.now + self.validity);
    }

    /// The last message 1 or 3 any initiator wrote, and the newest
    /// initiator's message 2.
    fn last_from_initiators(&self) -> Vec<u8> {
        self.scanners
            .last()
            .map(|s| s.message3.clone().unwrap_or_else(|| s.message1.clone()))
            .unwrap_or_default()
    }
}

/// Plays `input`'s calls, then an honest pairing (the one in play, then a
/// fresh one), asserting every result against the model.
pub fn run(input: &ProximityCallsInput) {
    let mut rr = rng(input.seed, 1);
    let validity = u64::from(input.validity % 301);
    let method = if input.nfc {
        PairingMethod::Nfc
    } else {
        PairingMethod::Qr
    };
    let responder = ProximityResponder::new(
        local(1),
        method,
        T0,
        validity,
        ExpiryClock::CreatorClock,
        None,
        &mut rr,
    )
    .expect("a valid code");
    let mut w = World {
        nfc: input.nfc,
        validity,
        now: T0,
        ri: rng(input.seed, 0),
        rr,
        log: Log::default(),
        responder,
        r: RModel {
            created_at: 0,
            expires_at: 0,
            used: false,
            answered: Vec::new(),
            run: None,
        },
        code: String::new(),
        codes: 0,
        scanners: Vec::new(),
    };
    w.now = T0;
    w.new_responder();
    for call in input.calls.iter().take(MAX_CALLS) {
        w.call(call);
    }
    // The pairing in play, finished honestly, then a fresh one.
    if w.scanners
        .last()
        .is_some_and(|s| !s.done && s.code == w.codes)
    {
        w.call(&ProximityCall::Message2 {
            msg: Msg::Last,
            small: false,
        });
        w.call(&ProximityCall::Message3 {
            ticket: Ticket::Right,
            msg: Msg::Last,
        });
    }
    for call in [
        ProximityCall::NewInitiator,
        ProximityCall::Message1 {
            msg: Msg::Last,
            small: false,
        },
        ProximityCall::Message2 {
            msg: Msg::Last,
            small: false,
        },
        ProximityCall::Message3 {
            ticket: Ticket::Right,
            msg: Msg::Last,
        },
    ] {
        w.call(&call);
    }
}

impl World {
    #[allow(clippy::too_many_lines)]
    fn call(&mut self, call: &ProximityCall) {
        match call {
            ProximityCall::Wait { secs } => self.now += u64::from(*secs),
            ProximityCall::NewResponder => self.new_responder(),
            ProximityCall::PollTimeout => {
                self.responder.poll_timeout(self.now);
                if !self.r.busy(self.now) {
                    self.r.run = None;
                }
                assert_eq!(self.responder.is_busy(self.now), self.r.busy(self.now));
            }
            ProximityCall::NewInitiator => {
                let payload = PairingPayload::decode_text(&self.code).expect("the code decodes");
                let mut out = [0u8; MAX_PAIRING_MESSAGE_LEN];
                let (initiator, n, _) = ProximityInitiator::start(
                    local(0),
                    self.method(),
                    &payload,
                    None,
                    &mut out,
                    &mut self.ri,
                )
                .expect("start");
                self.log.wrote(&out[..n]);
                self.scanners.push(Scanner {
                    initiator,
                    code: self.codes,
                    message1: out[..n].to_vec(),
                    message2: None,
                    message3: None,
                    done: false,
                    finished: None,
                });
            }
            ProximityCall::Message1 { msg, small } => {
                let bytes = self.log.pick(msg, &self.last_from_initiators());
                let mut out = buffer(MAX_PAIRING_MESSAGE_LEN, *small);
                let result =
                    self.responder
                        .handle_message1(self.now, &bytes, &mut out, &mut self.rr);
                // The initiator of this code whose message 1 this is, if any.
                let codes = self.codes;
                let honest = self
                    .scanners
                    .iter()
                    .position(|s| s.code == codes && s.message1 == bytes);
                let ephemeral: Option<[u8; 32]> =
                    bytes.get(..32).map(|e| e.try_into().expect("32 bytes"));
                let expected = if *small {
                    Some(Error::BufferTooSmall {
                        needed: MAX_PAIRING_MESSAGE_LEN,
                    })
                } else if let Some(error) = self.r.unusable(self.now) {
                    Some(error)
                } else if ephemeral.is_some_and(|e| self.r.answered.contains(&e)) {
                    Some(Error::Replayed)
                } else if self.r.busy(self.now) {
                    Some(Error::Busy)
                } else if self.r.answered.len() == MAX_RUNS_PER_PAYLOAD {
                    Some(Error::PayloadExhausted)
                } else {
                    None
                };
                if let Some(expected) = expected {
                    assert_eq!(result, Err(expected), "{call:?}");
                    return;
                }
                // A stale run is dropped before the new message is read.
                self.r.run = None;
                match result {
                    Ok((n, ticket)) => {
                        let at = honest.expect("a message 1 no initiator of this code wrote");
                        self.r.answered.push(ephemeral.expect("a valid message 1"));
                        self.r.run = Some((ticket, self.now, at));
                        self.log.handed_out(ticket);
                        self.log.wrote(&out[..n]);
                        self.scanners[at].message2 = Some(out[..n].to_vec());
                    }
                    Err(error) => {
                        assert!(
                            honest.is_none(),
                            "an honest message 1 was refused: {error:?}"
                        );
                    }
                }
            }
            ProximityCall::Message2 { msg, small } => {
                let last = self.log.messages.last().cloned().unwrap_or_default();
                let method = self.method();
                let Some(scanner) = self.scanners.last_mut() else {
                    return;
                };
                // The honest message 2 is the one the responder answered
                // this initiator's message 1 with.
                let honest_bytes = scanner.message2.clone();
                let bytes = self.log.pick(msg, honest_bytes.as_ref().unwrap_or(&last));
                let mut out = buffer(MAX_PAIRING_MESSAGE_LEN, *small);
                let result = scanner.initiator.handle_message2(&bytes, &mut out);
                if scanner.done {
                    assert_eq!(result.err(), Some(Error::OutOfOrder));
                    return;
                }
                if *small {
                    let needed = MAX_PAIRING_MESSAGE_LEN;
                    assert_eq!(result.err(), Some(Error::BufferTooSmall { needed }));
                    return;
                }
                scanner.done = true;
                let honest = honest_bytes.as_ref() == Some(&bytes);
                match result {
                    Ok((n, peer, outcome)) => {
                        assert!(honest, "the initiator paired on a message 2 not its own");
                        expect_peer(&peer, 1, method);
                        scanner.message3 = Some(out[..n].to_vec());
                        scanner.finished = Some((*outcome.handshake_hash(), outcome));
                        self.log.wrote(&out[..n]);
                    }
                    Err(error) => {
                        assert!(!honest, "an honest message 2 was refused: {error:?}");
                    }
                }
            }
            ProximityCall::Message3 { ticket, msg } => {
                let right = self.r.run.map(|(id, _, _)| id);
                let presented = self.log.ticket(ticket, right);
                // The honest message 3 is the one the run's initiator wrote.
                let honest_bytes = self
                    .r
                    .run
                    .and_then(|(_, _, at)| self.scanners[at].message3.clone());
                let base = honest_bytes
                    .clone()
                    .unwrap_or_else(|| self.last_from_initiators());
                let bytes = self.log.pick(msg, &base);
                let result = self.responder.handle_message3(self.now, presented, &bytes);
                let expected = if let Some(error) = self.r.unusable(self.now) {
                    Some(error)
                } else {
                    match self.r.run {
                        None => Some(Error::OutOfOrder),
                        Some((id, _, _)) if id != presented => Some(Error::WrongRun),
                        Some(_) if !self.r.busy(self.now) => {
                            self.r.run = None;
                            Some(Error::RunTimedOut)
                        }
                        Some(_) => None,
                    }
                };
                if let Some(expected) = expected {
                    assert_eq!(result.err(), Some(expected), "{call:?}");
                    return;
                }
                let (_, _, at) = self.r.run.take().expect("a live run");
                let honest = honest_bytes.as_ref() == Some(&bytes);
                match result {
                    Ok((peer, outcome)) => {
                        assert!(honest, "the responder paired on a message 3 not its run's");
                        expect_peer(&peer, 0, self.method());
                        self.r.used = true;
                        assert!(self.responder.is_used());
                        let (hash, initiator) =
                            self.scanners[at].finished.take().expect("it finished");
                        assert_eq!(&hash, outcome.handshake_hash(), "the hashes differ");
                        let mut a = StreamSession::<4>::new(initiator);
                        let mut b = StreamSession::<4>::new(outcome);
                        assert!(one_way(&mut a, &mut b) && one_way(&mut b, &mut a));
                    }
                    Err(error) => {
                        assert!(!honest, "an honest message 3 was refused: {error:?}");
                    }
                }
            }
        }
    }
}

fn expect_peer(peer: &PendingPeer, who: usize, method: PairingMethod) {
    let expected = local(who);
    assert_eq!(peer.id(), expected.identity.device_id());
    assert_eq!(peer.name(), expected.name);
    assert_eq!(peer.key(), expected.identity.static_public_key());
    assert_eq!(peer.flags(), expected.flags);
    assert_eq!(peer.method(), method);
}
