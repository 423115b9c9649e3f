//! PIN pairing driven call by call: the fuzzer picks any method of the
//! `PinResponder` (device 1) or the `PinInitiator` (device 0) in any order,
//! the bytes and ticket each is handed, new initiators and new responders on
//! the same `PinGuard`, and the passing of time. A reference model of the
//! documented rules predicts every refusal and the guard's every count; see
//! the `pin_calls` target for the properties.

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::noise::HandshakeOutcome;
use honeylink_core::pairing::cpace::{SHARE_LEN, TAG_LEN};
use honeylink_core::pairing::{
    HELLO_LEN, LOCKOUT_FAILURES, LOCKOUT_SECS, LOCKOUT_WINDOW_SECS, MAX_PAIRING_MESSAGE_LEN,
    PIN_RUN_SECS, PIN_VALIDITY_SECS, PairingMethod, PendingPeer, Pin, PinGuard, PinGuardState,
    PinInitiator, PinResponder, RunId, SHARE_AND_TAG_LEN, TAG_AND_NOISE1_LEN,
};
use honeylink_core::session::StreamSession;
use honeylink_core::testing::SeededRng;

use super::calls::{Log, MAX_CALLS, Msg, Ticket, buffer};
use super::session::one_way;
use crate::seed::{Encode, Writer};
use crate::{local, rng};

/// When the first PIN is shown.
pub const T0: u64 = 10_000;

/// The input of `pin_calls`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct PinCallsInput {
    /// Seeds the RNGs.
    pub seed: u16,
    /// The calls, in order (at most [`MAX_CALLS`]).
    pub calls: Vec<PinCall>,
}

/// One call.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum PinCall {
    /// A new initiator (replacing the current one) types the PIN shown, one
    /// digit wrong if `wrong`, and writes its hello.
    StartInitiator {
        /// Type it wrong.
        wrong: bool,
    },
    /// `PinInitiator::handle_hello`.
    InitiatorHello {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinInitiator::handle_share_and_tag`.
    InitiatorShareAndTag {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinInitiator::handle_noise2`.
    InitiatorNoise2 {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinResponder::handle_hello`.
    ResponderHello {
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinResponder::handle_share`.
    ResponderShare {
        /// The ticket.
        ticket: Ticket,
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinResponder::handle_tag`.
    ResponderTag {
        /// The ticket.
        ticket: Ticket,
        /// The bytes.
        msg: Msg,
        /// An output buffer one byte short.
        small: bool,
    },
    /// `PinResponder::handle_noise3`.
    ResponderNoise3 {
        /// The ticket.
        ticket: Ticket,
        /// The bytes.
        msg: Msg,
    },
    /// The responder is dropped and a new one shows a new PIN on the same
    /// guard.
    NewResponder,
    /// Time passes.
    Wait {
        /// Seconds.
        secs: u8,
    },
}

impl Encode for PinCallsInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.vec(&self.calls);
    }
}

impl Encode for PinCall {
    fn encode(&self, w: &mut Writer) {
        const N: u32 = 10;
        match self {
            Self::StartInitiator { wrong } => {
                w.variant(0, N);
                w.bool(*wrong);
            }
            Self::InitiatorHello { msg, small } => {
                w.variant(1, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::InitiatorShareAndTag { msg, small } => {
                w.variant(2, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::InitiatorNoise2 { msg, small } => {
                w.variant(3, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::ResponderHello { msg, small } => {
                w.variant(4, N);
                msg.encode(w);
                w.bool(*small);
            }
            Self::ResponderShare { ticket, msg, small } => {
                w.variant(5, N);
                ticket.encode(w);
                msg.encode(w);
                w.bool(*small);
            }
            Self::ResponderTag { ticket, msg, small } => {
                w.variant(6, N);
                ticket.encode(w);
                msg.encode(w);
                w.bool(*small);
            }
            Self::ResponderNoise3 { ticket, msg } => {
                w.variant(7, N);
                ticket.encode(w);
                msg.encode(w);
            }
            Self::NewResponder => w.variant(8, N),
            Self::Wait { secs } => {
                w.variant(9, N);
                w.u8(*secs);
            }
        }
    }
}

/// The guard as its docs describe it: a failure is a run whose tag went
/// out and was not retracted, dated when the tag went out; three within
/// the window lock PIN pairing for [`LOCKOUT_SECS`] from when the third is
/// learned of. Time only moves forward here.
#[derive(Clone, Debug, Default)]
struct GuardModel {
    failures: Vec<u64>,
    locked_until: Option<u64>,
    in_progress: Option<u64>,
}

impl GuardModel {
    fn recent(&self, now: u64) -> usize {
        self.failures
            .iter()
            .filter(|&&t| t + LOCKOUT_WINDOW_SECS > now)
            .count()
    }

    fn record(&mut self, at: u64, now: u64) {
        self.failures.push(at);
        if self.recent(now) >= LOCKOUT_FAILURES {
            self.locked_until = Some(now + LOCKOUT_SECS);
        }
    }

    fn locked_for(&self, now: u64) -> Option<u64> {
        self.locked_until.filter(|&u| now < u).map(|u| u - now)
    }

    fn would_refuse(&self, now: u64) -> Option<u64> {
        self.locked_for(now).or_else(|| {
            (self.recent(now) + usize::from(self.in_progress.is_some()) >= LOCKOUT_FAILURES)
                .then_some(LOCKOUT_SECS)
        })
    }

    fn begin(&mut self, now: u64) -> Result<(), Error> {
        if let Some(started) = self.in_progress.take() {
            self.record(started, now);
        }
        if let Some(remaining) = self.locked_for(now) {
            return Err(Error::LockedOut { remaining });
        }
        self.in_progress = Some(now);
        Ok(())
    }

    fn fail(&mut self, now: u64) {
        if let Some(started) = self.in_progress.take() {
            self.record(started, now);
        }
    }

    fn succeed(&mut self) {
        self.in_progress = None;
    }

    /// What an export at `now` must hold: the lockout left and the ages of
    /// the failures in the window (the last [`LOCKOUT_FAILURES`]), sorted.
    fn export(&self, now: u64) -> (u64, Vec<u64>) {
        let mut counted = self.clone();
        counted.fail(now);
        let start = counted.failures.len().saturating_sub(LOCKOUT_FAILURES);
        let mut ages: Vec<u64> = counted.failures[start..]
            .iter()
            .filter(|&&t| t + LOCKOUT_WINDOW_SECS > now)
            .map(|&t| now - t)
            .collect();
        ages.sort_unstable();
        (counted.locked_for(now).unwrap_or(0), ages)
    }
}

fn exported(state: &PinGuardState) -> (u64, Vec<u64>) {
    let mut ages: Vec<u64> = state.failure_ages.iter().flatten().copied().collect();
    ages.sort_unstable();
    (state.lockout_remaining, ages)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RPhase {
    Hello,
    Share,
    Tag,
    Noise3,
    Over,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IPhase {
    Hello,
    ShareAndTag,
    Noise2,
    Over,
}

/// The model of the responder in play.
#[derive(Debug)]
struct RModel {
    phase: RPhase,
    run: Option<RunId>,
    shown_at: u64,
    pin: [u8; 6],
    last: Vec<u8>,
}

/// The model of the initiator in play.
#[derive(Debug)]
struct IModel {
    phase: IPhase,
    typed: [u8; 6],
    last: Vec<u8>,
}

/// The exchange between the responder and the initiator in play: whether
/// every message either accepted was the other's honest one, in order, and
/// which message (0 to 6) is next.
#[derive(Debug, Default)]
struct Conv {
    clean: bool,
    step: usize,
}

struct World {
    now: u64,
    ri: SeededRng,
    rr: SeededRng,
    log: Log,
    guard: GuardModel,
    r: Option<RModel>,
    i: Option<IModel>,
    initiator: Option<PinInitiator<'static>>,
    conv: Conv,
    /// The handshake hash and keys of every initiator that finished.
    finished: Vec<([u8; 64], HandshakeOutcome)>,
    /// Every PIN shown, the last one last.
    pins: Vec<[u8; 6]>,
}

/// Plays `input`'s calls, then finishes the exchange in play honestly,
/// asserting every result against the model.
pub fn run(input: &PinCallsInput) {
    let mut w = World {
        now: T0,
        ri: rng(input.seed, 0),
        rr: rng(input.seed, 1),
        log: Log::default(),
        guard: GuardModel::default(),
        r: None,
        i: None,
        initiator: None,
        conv: Conv::default(),
        finished: Vec::new(),
        pins: Vec::new(),
    };
    let mut guard = PinGuard::new();
    let mut calls = input.calls.iter().take(MAX_CALLS);
    loop {
        let expected = w.guard.would_refuse(w.now);
        let more = match PinResponder::new(local(1), &mut guard, w.now, &mut w.rr) {
            Ok(mut responder) => {
                assert_eq!(expected, None, "a responder made while locked");
                let pin = *responder.pin().expose_secret();
                w.pins.push(pin);
                w.r = Some(RModel {
                    phase: RPhase::Hello,
                    run: None,
                    shown_at: w.now,
                    pin,
                    last: Vec::new(),
                });
                w.conv = Conv {
                    clean: w.i.as_ref().is_some_and(|i| i.phase == IPhase::Hello),
                    step: 0,
                };
                let more = w.play(Some(&mut responder), &mut calls);
                if !more {
                    w.finish(&mut responder);
                }
                more
            }
            Err(error) => {
                assert_eq!(
                    Some(error),
                    expected.map(|remaining| Error::LockedOut { remaining })
                );
                w.r = None;
                w.conv = Conv::default();
                w.play(None, &mut calls)
            }
        };
        assert_eq!(exported(&guard.export(w.now)), w.guard.export(w.now));
        if !more {
            break;
        }
    }
}

impl World {
    /// Plays calls until a new responder is asked for (true) or the calls
    /// run out (false).
    fn play<'c>(
        &mut self,
        mut responder: Option<&mut PinResponder<'_>>,
        calls: &mut impl Iterator<Item = &'c PinCall>,
    ) -> bool {
        for call in calls {
            if matches!(call, PinCall::NewResponder) {
                return true;
            }
            self.call(responder.as_deref_mut(), call);
            if let Some(responder) = responder.as_deref() {
                assert_eq!(
                    exported(&responder.guard_state(self.now)),
                    self.guard.export(self.now),
                    "the guard counts otherwise than documented after {call:?}"
                );
            }
        }
        false
    }

    /// Delivers the rest of the exchange in play honestly, if it is clean:
    /// every step must then succeed unless the model predicts its refusal
    /// (time, lockout, a mistyped PIN).
    fn finish(&mut self, responder: &mut PinResponder<'_>) {
        while self.conv.clean && self.conv.step < 7 {
            let step = self.conv.step;
            let call = match step {
                0 => PinCall::ResponderHello {
                    msg: Msg::Last,
                    small: false,
                },
                1 => PinCall::InitiatorHello {
                    msg: Msg::Last,
                    small: false,
                },
                2 => PinCall::ResponderShare {
                    ticket: Ticket::Right,
                    msg: Msg::Last,
                    small: false,
                },
                3 => PinCall::InitiatorShareAndTag {
                    msg: Msg::Last,
                    small: false,
                },
                4 => PinCall::ResponderTag {
                    ticket: Ticket::Right,
                    msg: Msg::Last,
                    small: false,
                },
                5 => PinCall::InitiatorNoise2 {
                    msg: Msg::Last,
                    small: false,
                },
                _ => PinCall::ResponderNoise3 {
                    ticket: Ticket::Right,
                    msg: Msg::Last,
                },
            };
            self.call(Some(&mut *responder), &call);
            if self.conv.step == step {
                break;
            }
        }
    }

    /// Whether `bytes`, handed to the consumer of message `step`, is the
    /// honest delivery.
    fn honest(&self, step: usize, bytes: &[u8]) -> bool {
        let producer = if step % 2 == 0 {
            self.i.as_ref().map(|i| &i.last)
        } else {
            self.r.as_ref().map(|r| &r.last)
        };
        self.conv.clean && self.conv.step == step && producer.is_some_and(|p| p == bytes)
    }

    /// Moves the exchange on after a call that accepted `bytes` as message
    /// `step`.
    fn accepted(&mut self, step: usize, honest: bool) {
        if honest {
            self.conv.step = step + 1;
        } else {
            self.conv.clean = false;
        }
    }

    fn initiator_last(&self) -> Vec<u8> {
        self.i.as_ref().map(|i| i.last.clone()).unwrap_or_default()
    }

    fn responder_last(&self) -> Vec<u8> {
        self.r.as_ref().map(|r| r.last.clone()).unwrap_or_default()
    }

    #[allow(clippy::too_many_lines)]
    fn call(&mut self, responder: Option<&mut PinResponder<'_>>, call: &PinCall) {
        match call {
            PinCall::NewResponder => {}
            PinCall::Wait { secs } => self.now += u64::from(*secs),
            PinCall::StartInitiator { wrong } => {
                let mut typed = self.pins.last().copied().unwrap_or(*b"000000");
                if *wrong {
                    typed[0] = b'0' + (typed[0] - b'0' + 1) % 10;
                }
                let pin = Pin::parse(std::str::from_utf8(&typed).expect("digits")).expect("pin");
                let mut out = [0u8; HELLO_LEN];
                let (initiator, n) =
                    PinInitiator::start(local(0), pin, &mut out, &mut self.ri).expect("start");
                self.log.wrote(&out[..n]);
                self.initiator = Some(initiator);
                self.i = Some(IModel {
                    phase: IPhase::Hello,
                    typed,
                    last: out[..n].to_vec(),
                });
                self.conv = Conv {
                    clean: self.r.as_ref().is_some_and(|r| r.phase == RPhase::Hello),
                    step: 0,
                };
            }
            PinCall::ResponderHello { msg, small } => {
                let Some(responder) = responder else { return };
                let bytes = self.log.pick(msg, &self.initiator_last());
                let honest = self.honest(0, &bytes);
                let mut out = buffer(HELLO_LEN, *small);
                let result = responder.handle_hello(self.now, &bytes, &mut out, &mut self.rr);
                let r = self.r.as_mut().expect("modelled");
                if r.phase != RPhase::Hello {
                    let expected = if r.run.is_some() {
                        Error::PinUsed
                    } else {
                        Error::PinExpired
                    };
                    assert_eq!(result, Err(expected));
                } else if *small {
                    assert_eq!(result, Err(Error::BufferTooSmall { needed: HELLO_LEN }));
                } else if self.now > r.shown_at + PIN_VALIDITY_SECS {
                    assert_eq!(result, Err(Error::PinExpired));
                    r.phase = RPhase::Over;
                    self.conv.clean = false;
                } else {
                    match result {
                        Ok((n, run)) => {
                            r.phase = RPhase::Share;
                            r.run = Some(run);
                            r.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.log.handed_out(run);
                            self.accepted(0, honest);
                        }
                        Err(error) => {
                            // A hello that does not parse changes nothing.
                            assert!(!honest, "an honest hello was refused: {error:?}");
                            assert!(!matches!(
                                error,
                                Error::PinUsed | Error::PinExpired | Error::BufferTooSmall { .. }
                            ));
                        }
                    }
                }
            }
            PinCall::ResponderShare { ticket, msg, small } => {
                let Some(responder) = responder else { return };
                let bytes = self.log.pick(msg, &self.initiator_last());
                let honest = self.honest(2, &bytes);
                let r = self.r.as_mut().expect("modelled");
                let presented = self.log.ticket(ticket, r.run);
                let mut out = buffer(SHARE_AND_TAG_LEN, *small);
                let result =
                    responder.handle_share(self.now, presented, &bytes, &mut out, &mut self.rr);
                if let Some(refusal) = refused(r, presented, RPhase::Share) {
                    assert_eq!(result, Err(refusal), "{call:?}");
                } else if *small {
                    let needed = SHARE_AND_TAG_LEN;
                    assert_eq!(result, Err(Error::BufferTooSmall { needed }));
                } else if self.now > r.shown_at + PIN_RUN_SECS {
                    assert_eq!(result, Err(Error::RunTimedOut));
                    r.phase = RPhase::Over;
                    self.conv.clean = false;
                } else {
                    let mut begun = self.guard.clone();
                    let admitted = begun.begin(self.now);
                    match result {
                        Ok(n) => {
                            assert_eq!(admitted, Ok(()));
                            self.guard = begun;
                            r.phase = RPhase::Tag;
                            r.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.accepted(2, honest);
                        }
                        Err(error @ Error::LockedOut { .. }) => {
                            assert_eq!(admitted, Err(error));
                            self.guard = begun;
                            r.phase = RPhase::Over;
                            self.conv.clean = false;
                        }
                        Err(error) => {
                            assert!(!honest, "an honest share was refused: {error:?}");
                            r.phase = RPhase::Over;
                            self.conv.clean = false;
                        }
                    }
                }
            }
            PinCall::ResponderTag { ticket, msg, small } => {
                let Some(responder) = responder else { return };
                let bytes = self.log.pick(msg, &self.initiator_last());
                let honest = self.honest(4, &bytes);
                // The honest tag of this clean exchange verifies; a tag no
                // initiator wrote never does.
                let right_tag = honest;
                let tag_written = bytes.len() >= TAG_LEN
                    && self
                        .log
                        .messages
                        .iter()
                        .any(|m| m.len() >= TAG_LEN && m[..TAG_LEN] == bytes[..TAG_LEN]);
                let r = self.r.as_mut().expect("modelled");
                let presented = self.log.ticket(ticket, r.run);
                let mut out = buffer(MAX_PAIRING_MESSAGE_LEN, *small);
                let result =
                    responder.handle_tag(self.now, presented, &bytes, &mut out, &mut self.rr);
                if let Some(refusal) = refused(r, presented, RPhase::Tag) {
                    assert_eq!(result, Err(refusal), "{call:?}");
                } else if *small {
                    let needed = MAX_PAIRING_MESSAGE_LEN;
                    assert_eq!(result, Err(Error::BufferTooSmall { needed }));
                } else if self.now > r.shown_at + PIN_RUN_SECS {
                    assert_eq!(result, Err(Error::RunTimedOut));
                    r.phase = RPhase::Over;
                    self.guard.fail(self.now);
                    self.conv.clean = false;
                } else {
                    match result {
                        Ok(n) => {
                            assert!(tag_written, "a tag no initiator wrote verified");
                            self.guard.succeed();
                            r.phase = RPhase::Noise3;
                            r.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.accepted(4, honest);
                        }
                        Err(error) => {
                            assert!(!right_tag, "an honest tag was refused: {error:?}");
                            // Only a verified tag retracts the failure; what
                            // became of Noise message 1 after it does not
                            // matter to the guard.
                            let verified = !(error == Error::CpaceConfirmationFailed
                                || bytes.len() < TAG_LEN && error == Error::MessageTooShort);
                            if verified {
                                assert!(tag_written, "a tag no initiator wrote verified");
                                self.guard.succeed();
                            } else {
                                self.guard.fail(self.now);
                            }
                            r.phase = RPhase::Over;
                            self.conv.clean = false;
                        }
                    }
                }
            }
            PinCall::ResponderNoise3 { ticket, msg } => {
                let Some(responder) = responder else { return };
                let bytes = self.log.pick(msg, &self.initiator_last());
                let honest = self.honest(6, &bytes);
                let r = self.r.as_mut().expect("modelled");
                let presented = self.log.ticket(ticket, r.run);
                let result = responder.handle_noise3(self.now, presented, &bytes);
                if let Some(refusal) = refused(r, presented, RPhase::Noise3) {
                    assert_eq!(result.err(), Some(refusal), "{call:?}");
                    return;
                }
                r.phase = RPhase::Over;
                if self.now > r.shown_at + PIN_RUN_SECS {
                    assert_eq!(result.err(), Some(Error::RunTimedOut));
                    self.conv.clean = false;
                    return;
                }
                match result {
                    Ok((peer, outcome)) => {
                        assert!(
                            self.log.messages.contains(&bytes),
                            "the responder paired on a message no initiator wrote"
                        );
                        expect_peer(&peer, 0);
                        let at = self
                            .finished
                            .iter()
                            .position(|(hash, _)| hash == outcome.handshake_hash())
                            .expect("no initiator finished with the responder's hash");
                        let (_, initiator) = self.finished.swap_remove(at);
                        let mut a = StreamSession::<4>::new(initiator);
                        let mut b = StreamSession::<4>::new(outcome);
                        assert!(one_way(&mut a, &mut b) && one_way(&mut b, &mut a));
                        self.accepted(6, honest);
                    }
                    Err(error) => {
                        assert!(!honest, "an honest message 3 was refused: {error:?}");
                        self.conv.clean = false;
                    }
                }
            }
            PinCall::InitiatorHello { msg, small } => {
                if self.initiator.is_none() {
                    return;
                }
                let bytes = self.log.pick(msg, &self.responder_last());
                let honest = self.honest(1, &bytes);
                let mut out = buffer(SHARE_LEN, *small);
                let initiator = self.initiator.as_mut().expect("present");
                let result = initiator.handle_hello(&bytes, &mut out, &mut self.ri);
                let i = self.i.as_mut().expect("modelled");
                if i.phase != IPhase::Hello {
                    assert_eq!(result, Err(Error::OutOfOrder));
                } else if *small {
                    assert_eq!(result, Err(Error::BufferTooSmall { needed: SHARE_LEN }));
                } else {
                    match result {
                        Ok(n) => {
                            i.phase = IPhase::ShareAndTag;
                            i.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.accepted(1, honest);
                        }
                        Err(error) => {
                            assert!(!honest, "an honest hello was refused: {error:?}");
                            i.phase = IPhase::Over;
                            self.conv.clean = false;
                        }
                    }
                }
            }
            PinCall::InitiatorShareAndTag { msg, small } => {
                if self.initiator.is_none() {
                    return;
                }
                let bytes = self.log.pick(msg, &self.responder_last());
                let honest = self.honest(3, &bytes);
                let pin_right = self.r.as_ref().map(|r| r.pin) == self.i.as_ref().map(|i| i.typed);
                let mut out = buffer(TAG_AND_NOISE1_LEN, *small);
                let initiator = self.initiator.as_mut().expect("present");
                let result = initiator.handle_share_and_tag(&bytes, &mut out, &mut self.ri);
                let i = self.i.as_mut().expect("modelled");
                if i.phase != IPhase::ShareAndTag {
                    assert_eq!(result, Err(Error::OutOfOrder));
                } else if *small {
                    let needed = TAG_AND_NOISE1_LEN;
                    assert_eq!(result, Err(Error::BufferTooSmall { needed }));
                } else {
                    match result {
                        Ok(n) => {
                            assert!(
                                honest && pin_right
                                    || self.log.messages.contains(&bytes)
                                        && self.pins.contains(&i.typed),
                                "a tag verified that no responder with the typed PIN wrote"
                            );
                            i.phase = IPhase::Noise2;
                            i.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.accepted(3, honest);
                        }
                        Err(error) => {
                            if honest {
                                assert!(!pin_right, "an honest tag was refused: {error:?}");
                                assert_eq!(error, Error::CpaceConfirmationFailed);
                            }
                            i.phase = IPhase::Over;
                            self.conv.clean = false;
                        }
                    }
                }
            }
            PinCall::InitiatorNoise2 { msg, small } => {
                if self.initiator.is_none() {
                    return;
                }
                let bytes = self.log.pick(msg, &self.responder_last());
                let honest = self.honest(5, &bytes);
                let mut out = buffer(MAX_PAIRING_MESSAGE_LEN, *small);
                let initiator = self.initiator.as_mut().expect("present");
                let result = initiator.handle_noise2(&bytes, &mut out);
                let i = self.i.as_mut().expect("modelled");
                if i.phase != IPhase::Noise2 {
                    assert_eq!(result.err(), Some(Error::OutOfOrder));
                } else if *small {
                    let needed = MAX_PAIRING_MESSAGE_LEN;
                    assert_eq!(result.err(), Some(Error::BufferTooSmall { needed }));
                } else {
                    i.phase = IPhase::Over;
                    match result {
                        Ok((n, peer, outcome)) => {
                            assert!(
                                self.log.messages.contains(&bytes),
                                "the initiator paired on a message no responder wrote"
                            );
                            expect_peer(&peer, 1);
                            i.last = out[..n].to_vec();
                            self.log.wrote(&out[..n]);
                            self.finished.push((*outcome.handshake_hash(), outcome));
                            self.accepted(5, honest);
                        }
                        Err(error) => {
                            assert!(!honest, "an honest message 2 was refused: {error:?}");
                            self.conv.clean = false;
                        }
                    }
                }
            }
        }
    }
}

/// The refusal the responder's docs promise, before anything changes, for
/// a call with ticket `presented` that expects the responder at `phase`:
/// `OutOfOrder` with no run, `WrongRun` for another ticket, `OutOfOrder`
/// out of turn.
fn refused(r: &RModel, presented: RunId, phase: RPhase) -> Option<Error> {
    match r.run {
        None => Some(Error::OutOfOrder),
        Some(run) if run != presented => Some(Error::WrongRun),
        Some(_) if r.phase != phase => Some(Error::OutOfOrder),
        Some(_) => None,
    }
}

fn expect_peer(peer: &PendingPeer, who: usize) {
    let expected = local(who);
    assert_eq!(peer.id(), expected.identity.device_id());
    assert_eq!(peer.name(), expected.name);
    assert_eq!(peer.key(), expected.identity.static_public_key());
    assert_eq!(peer.flags(), expected.flags);
    assert_eq!(peer.method(), PairingMethod::Pin);
}
