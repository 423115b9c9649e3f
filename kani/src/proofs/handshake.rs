//! The Noise handshake's state machine refuses every call out of turn.

use std::collections::VecDeque;

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::{HandshakeState, Next, Prologue, Protocol, Role};
use honeylink_core::testing::SeededRng;

use super::{choose, exhaust};

/// Calls in each sequence.
const CALLS: usize = 7;

/// What the model expects of one side: how many of its three messages are
/// done, and whether an error ended its handshake.
#[derive(Clone, Copy)]
struct Model {
    role: Role,
    done: u8,
    failed: bool,
}

impl Model {
    /// What the side should do next (the initiator writes messages 1 and
    /// 3, the responder message 2).
    const fn next(self) -> Next {
        match (self.failed, self.done, self.role) {
            (true, _, _) => Next::Failed,
            (false, 3.., _) => Next::Finish,
            (false, 0 | 2, Role::Initiator) | (false, 1, Role::Responder) => Next::Write,
            (false, _, _) => Next::Read,
        }
    }
}

/// Every sequence of 7 calls of `write_message` and `read_message` on
/// either side, in any order, against a model of whose turn it is:
///
/// - a call when it is not that side's turn is `OutOfOrder`, and the state
///   (what it expects next, its handshake hash) is exactly as before;
/// - a call after an error is `HandshakeFailed`;
/// - a read in turn with no message from the peer (an empty one) ends the
///   handshake (`MessageTooShort`), and every later call fails;
/// - a call in turn with the peer's message succeeds;
///
/// and at the end `finish` succeeds for a side exactly when it completed
/// all three messages, else it is `OutOfOrder` (not yet) or
/// `HandshakeFailed`: no usable state comes out of a broken order.
///
/// Here: exhaustive over the 4^7 = 16,384 sequences.
#[cfg_attr(kani, kani::proof, kani::unwind(8))]
#[cfg_attr(not(kani), test)]
fn handshake_refuses_out_of_order_calls() {
    let initiator_static = StaticSecret::from_bytes(SecretBytes::new([0x31; 32]));
    let responder_static = StaticSecret::from_bytes(SecretBytes::new([0x32; 32]));
    let prologue = Prologue::session();
    exhaust(1, || {
        let mut sides = [
            HandshakeState::new(
                Protocol::Xx,
                Role::Initiator,
                &prologue,
                &initiator_static,
                &mut SeededRng::new([1; 32]),
            )
            .expect("started"),
            HandshakeState::new(
                Protocol::Xx,
                Role::Responder,
                &prologue,
                &responder_static,
                &mut SeededRng::new([2; 32]),
            )
            .expect("started"),
        ];
        let mut models = [
            Model {
                role: Role::Initiator,
                done: 0,
                failed: false,
            },
            Model {
                role: Role::Responder,
                done: 0,
                failed: false,
            },
        ];
        // Messages in flight to each side.
        let mut inbox: [VecDeque<Vec<u8>>; 2] = [VecDeque::new(), VecDeque::new()];
        for _ in 0..CALLS {
            let call = choose(4);
            let side = usize::from(call >= 2);
            let write = call.is_multiple_of(2);
            let wanted = if write { Next::Write } else { Next::Read };
            let model = models[side];
            let state = &mut sides[side];
            assert_eq!(state.next(), model.next());
            let hash_before = *state.handshake_hash();
            let mut out = [0u8; 256];
            let mut message = None;
            let mut had_message = false;
            let result = if write {
                state.write_message(&[], &mut out).inspect(|&n| {
                    message = Some(out[..n].to_vec());
                })
            } else {
                let incoming = if model.next() == Next::Read {
                    inbox[side].pop_front().unwrap_or_default()
                } else {
                    Vec::new()
                };
                had_message = !incoming.is_empty();
                state.read_message(&incoming, &mut out)
            };
            match model.next() {
                Next::Failed => assert_eq!(result, Err(Error::HandshakeFailed)),
                next if next != wanted => {
                    assert_eq!(result, Err(Error::OutOfOrder));
                    assert_eq!(state.next(), next, "a refused call changed the turn");
                    assert_eq!(*state.handshake_hash(), hash_before);
                }
                _ if write => {
                    assert!(result.is_ok(), "{result:?}");
                    inbox[1 - side].push_back(message.expect("written"));
                    models[side].done += 1;
                }
                _ if had_message => {
                    assert!(result.is_ok(), "{result:?}");
                    models[side].done += 1;
                }
                _ => {
                    // In turn, but the peer had sent nothing.
                    assert_eq!(result, Err(Error::MessageTooShort));
                    models[side].failed = true;
                }
            }
            assert_eq!(sides[side].next(), models[side].next());
        }
        for (state, model) in sides.into_iter().zip(models) {
            match (state.finish(), model.next()) {
                (Ok(_), Next::Finish) => {}
                (Err(Error::HandshakeFailed), Next::Failed)
                | (Err(Error::OutOfOrder), Next::Read | Next::Write) => {}
                (result, next) => panic!("finish gave {:?} when {next:?}", result.map(|_| ())),
            }
        }
    });
}
