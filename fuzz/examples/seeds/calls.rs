//! Seeds of the call-sequence targets (`pin_calls`, `proximity_calls`,
//! `session_calls`): valid call sequences (honest exchanges) and a few that
//! call out of turn, with stale tickets, replays and exhaustion, each
//! checked to read back as written.

use honeylink_fuzz::drive::calls::{Msg, Ticket};
use honeylink_fuzz::drive::pin_calls::{PinCall, PinCallsInput};
use honeylink_fuzz::drive::proximity_calls::{ProximityCall, ProximityCallsInput};
use honeylink_fuzz::drive::session::Trust;
use honeylink_fuzz::drive::session_calls::{SessionCall, SessionCallsInput};
use honeylink_fuzz::seed::to_bytes;
use honeylink_fuzz::tamper::Edit;

use super::Out;

/// Writes every call-sequence seed.
pub fn write(out: &mut Out) {
    pin(out);
    proximity(out);
    session(out);
}

fn pin(out: &mut Out) {
    use PinCall::*;
    let last = || Msg::Last;
    let right = || Ticket::Right;
    let honest = |wrong| {
        vec![
            StartInitiator { wrong },
            ResponderHello {
                msg: last(),
                small: false,
            },
            InitiatorHello {
                msg: last(),
                small: false,
            },
            ResponderShare {
                ticket: right(),
                msg: last(),
                small: false,
            },
            InitiatorShareAndTag {
                msg: last(),
                small: false,
            },
            ResponderTag {
                ticket: right(),
                msg: last(),
                small: false,
            },
            InitiatorNoise2 {
                msg: last(),
                small: false,
            },
            ResponderNoise3 {
                ticket: right(),
                msg: last(),
            },
        ]
    };
    let put = |out: &mut Out, name: &str, calls: Vec<PinCall>| {
        let input = PinCallsInput { seed: 9, calls };
        out.put("pin_calls", name, &to_bytes(&input));
    };
    put(out, "honest", honest(false));
    put(out, "wrong-pin", honest(true));
    // Before every honest step: a stale ticket, a forged one, a call out of
    // turn on each side, and a buffer one byte short.
    let mut noisy = Vec::new();
    for call in honest(false) {
        noisy.extend([
            ResponderShare {
                ticket: Ticket::Stale { back: 0 },
                msg: Msg::Earlier { back: 1 },
                small: false,
            },
            ResponderTag {
                ticket: Ticket::Forged { value: 7 },
                msg: last(),
                small: false,
            },
            ResponderNoise3 {
                ticket: right(),
                msg: Msg::Earlier { back: 2 },
            },
            InitiatorNoise2 {
                msg: Msg::Earlier { back: 0 },
                small: true,
            },
        ]);
        let small = match &call {
            ResponderHello { msg, .. } => Some(ResponderHello {
                msg: msg.clone(),
                small: true,
            }),
            InitiatorHello { msg, .. } => Some(InitiatorHello {
                msg: msg.clone(),
                small: true,
            }),
            _ => None,
        };
        noisy.extend(small);
        noisy.push(call);
    }
    put(out, "out-of-turn", noisy);
    // A new responder mid-run (the first run counts once its tag is out),
    // then an honest run on the new PIN.
    let mut mid = honest(false)[..4].to_vec();
    mid.push(NewResponder);
    mid.extend(honest(false));
    put(out, "new-responder-mid-run", mid);
    // Three mistyped runs lock PIN pairing; after the lockout an honest run.
    let mut lockout = Vec::new();
    for _ in 0..3 {
        lockout.extend(honest(true)[..5].iter().cloned());
        lockout.push(NewResponder);
    }
    lockout.extend([Wait { secs: 255 }, Wait { secs: 60 }, NewResponder]);
    lockout.extend(honest(false));
    put(out, "lockout", lockout);
    // The run times out before the tag.
    let mut late = honest(false)[..5].to_vec();
    late.push(Wait { secs: 91 });
    late.extend(honest(false)[5..].iter().cloned());
    put(out, "timeout", late);
    // Altered messages end the run.
    let mut altered = honest(false);
    altered[5] = ResponderTag {
        ticket: right(),
        msg: Msg::Edited {
            edit: Edit::FlipBit { at: 70, bit: 1 },
        },
        small: false,
    };
    put(out, "altered-noise1", altered);
}

fn proximity(out: &mut Out) {
    use ProximityCall::*;
    let pairing = || {
        vec![
            NewInitiator,
            Message1 {
                msg: Msg::Last,
                small: false,
            },
            Message2 {
                msg: Msg::Last,
                small: false,
            },
            Message3 {
                ticket: Ticket::Right,
                msg: Msg::Last,
            },
        ]
    };
    let put = |out: &mut Out, name: &str, nfc: bool, validity: u16, calls: Vec<ProximityCall>| {
        let input = ProximityCallsInput {
            seed: 10,
            nfc,
            validity,
            calls,
        };
        out.put("proximity_calls", name, &to_bytes(&input));
    };
    put(out, "qr-honest", false, 120, pairing());
    put(out, "nfc-honest", true, 120, pairing());
    // A replayed message 1, stale and forged tickets, then the honest end,
    // then replays after the payload is used.
    let replay = vec![
        NewInitiator,
        Message1 {
            msg: Msg::Last,
            small: true,
        },
        Message1 {
            msg: Msg::Last,
            small: false,
        },
        Message1 {
            msg: Msg::Earlier { back: 1 },
            small: false,
        },
        Message2 {
            msg: Msg::Last,
            small: false,
        },
        Message3 {
            ticket: Ticket::Forged { value: 3 },
            msg: Msg::Last,
        },
        Message3 {
            ticket: Ticket::Right,
            msg: Msg::Last,
        },
        Message1 {
            msg: Msg::Earlier { back: 3 },
            small: false,
        },
        Message2 {
            msg: Msg::Last,
            small: false,
        },
    ];
    put(out, "replay", false, 120, replay);
    // Nine fresh message 1s, each run ended by a damaged message 3: the
    // ninth finds the payload exhausted.
    let mut exhaust = Vec::new();
    for _ in 0..9 {
        exhaust.extend([
            NewInitiator,
            Message1 {
                msg: Msg::Last,
                small: false,
            },
            Message2 {
                msg: Msg::Last,
                small: false,
            },
            Message3 {
                ticket: Ticket::Right,
                msg: Msg::Edited {
                    edit: Edit::FlipBit { at: 5, bit: 0 },
                },
            },
        ]);
    }
    put(out, "exhaustion", true, 300, exhaust);
    // A second scanner while a run is live (busy), the run going stale,
    // a timer poll, the second answered; a new code; a stale ticket.
    let busy = vec![
        NewInitiator,
        Message1 {
            msg: Msg::Last,
            small: false,
        },
        NewInitiator,
        Message1 {
            msg: Msg::Last,
            small: false,
        },
        Wait { secs: 31 },
        PollTimeout,
        Message1 {
            msg: Msg::Last,
            small: false,
        },
        Message2 {
            msg: Msg::Last,
            small: false,
        },
        NewResponder,
        Message3 {
            ticket: Ticket::Stale { back: 0 },
            msg: Msg::Last,
        },
    ];
    put(out, "busy-timeout-new-code", false, 200, busy);
    let mut expired = pairing();
    expired.insert(2, Wait { secs: 40 });
    put(out, "expired", false, 30, expired);
}

fn session(out: &mut Out) {
    use SessionCall::*;
    let handshake = || {
        vec![
            StartInitiator,
            Respond {
                msg: Msg::Last,
                small: false,
            },
            ReadMessage2 { msg: Msg::Last },
            WriteMessage3,
            ReadMessage3 { msg: Msg::Last },
        ]
    };
    let seal = |initiator, len| Seal {
        initiator,
        len,
        small: false,
    };
    let open = |initiator, msg| Open { initiator, msg };
    let put = |out: &mut Out, name: &str, trust: (Trust, Trust), calls: Vec<SessionCall>| {
        let input = SessionCallsInput {
            seed: 11,
            initiator_trust: trust.0,
            responder_trust: trust.1,
            calls,
        };
        out.put("session_calls", name, &to_bytes(&input));
    };
    let trusted = (Trust::Trusted, Trust::Trusted);
    let mut honest = handshake();
    for i in 0..6u8 {
        honest.push(seal(i % 2 == 0, 5 + i));
        honest.push(open(i % 2 != 0, Msg::Last));
    }
    put(out, "honest", trusted, honest);
    put(
        out,
        "untrusted-responder",
        (Trust::Unknown, Trust::Trusted),
        handshake(),
    );
    put(
        out,
        "untrusted-initiator",
        (Trust::Trusted, Trust::KeyChanged),
        handshake(),
    );
    // Out of turn: message 3 to a fresh responder, message 2 twice, respond
    // twice, a buffer too small, then the honest order.
    let turns = vec![
        ReadMessage3 { msg: Msg::Last },
        NewResponder,
        StartInitiator,
        WriteMessage3,
        StartInitiator,
        Respond {
            msg: Msg::Last,
            small: true,
        },
        Respond {
            msg: Msg::Last,
            small: false,
        },
        Respond {
            msg: Msg::Last,
            small: false,
        },
        ReadMessage2 { msg: Msg::Last },
        ReadMessage2 { msg: Msg::Last },
        WriteMessage3,
        ReadMessage3 {
            msg: Msg::Earlier { back: 1 },
        },
    ];
    put(out, "out-of-turn", trusted, turns);
    // Transport: replays, alterations, reordering, a small buffer, opens
    // after failures and after the other end closed.
    let mut transport = handshake();
    transport.extend([
        seal(true, 3),
        seal(true, 4),
        open(false, Msg::Earlier { back: 0 }),
        open(false, Msg::Last),
        open(false, Msg::Last),
        open(
            false,
            Msg::Edited {
                edit: Edit::FlipBit { at: 2, bit: 5 },
            },
        ),
        Seal {
            initiator: false,
            len: 8,
            small: true,
        },
        seal(false, 8),
        Close { initiator: false },
        seal(false, 1),
        open(true, Msg::Last),
        open(true, Msg::Earlier { back: 0 }),
        seal(true, 63),
        seal(true, 2),
        open(false, Msg::Last),
    ]);
    put(out, "transport", trusted, transport);
}
