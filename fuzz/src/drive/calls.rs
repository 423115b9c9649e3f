//! What the call-sequence targets (`pin_calls`, `proximity_calls`,
//! `session_calls`) share: the fuzzer picks which method of which side runs
//! next, and which bytes and which ticket it is handed. Each driver keeps a
//! small reference model of the documented rules and asserts every result
//! against it.

use arbitrary::Arbitrary;
use honeylink_core::pairing::RunId;

use crate::seed::{Encode, Writer};
use crate::tamper::Edit;

/// Calls one input may make, so one run stays fast.
pub const MAX_CALLS: usize = 48;

/// The bytes a call is handed.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// What the other side wrote last: the honest delivery.
    Last,
    /// A message written earlier by either side of any run of this input
    /// (`back` counts back from the newest, modulo the log): a replay, a
    /// reflection, or a message of an earlier or another run.
    Earlier {
        /// How far back.
        back: u8,
    },
    /// What the other side wrote last, altered.
    Edited {
        /// The alteration (splices of a twin run do nothing here).
        edit: Edit,
    },
}

impl Encode for Msg {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Last => w.variant(0, 3),
            Self::Earlier { back } => {
                w.variant(1, 3);
                w.u8(*back);
            }
            Self::Edited { edit } => {
                w.variant(2, 3);
                edit.encode(w);
            }
        }
    }
}

/// The ticket a call presents.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Ticket {
    /// The current run's (a forged one if there is none).
    Right,
    /// One handed out earlier, by this responder or another (`back` counts
    /// back from the newest, modulo the tickets handed out).
    Stale {
        /// How far back.
        back: u8,
    },
    /// A forged one.
    Forged {
        /// Its value.
        value: u64,
    },
}

impl Encode for Ticket {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Right => w.variant(0, 3),
            Self::Stale { back } => {
                w.variant(1, 3);
                w.u8(*back);
            }
            Self::Forged { value } => {
                w.variant(2, 3);
                w.u64(*value);
            }
        }
    }
}

/// Every message either side wrote, and every ticket handed out, in order.
#[derive(Debug, Default)]
pub struct Log {
    /// The messages.
    pub messages: Vec<Vec<u8>>,
    /// The tickets.
    pub tickets: Vec<RunId>,
}

impl Log {
    /// Records a written message.
    pub fn wrote(&mut self, bytes: &[u8]) {
        self.messages.push(bytes.to_vec());
    }

    /// The bytes `msg` names, `last` being the other side's last message.
    pub fn pick(&self, msg: &Msg, last: &[u8]) -> Vec<u8> {
        match msg {
            Msg::Last => last.to_vec(),
            Msg::Earlier { back } => back_from(&self.messages, *back)
                .cloned()
                .unwrap_or_default(),
            Msg::Edited { edit } => {
                let mut bytes = last.to_vec();
                edit.apply(&mut bytes, &self.messages, None);
                bytes
            }
        }
    }

    /// The ticket `ticket` names, `right` being the current run's.
    pub fn ticket(&self, ticket: &Ticket, right: Option<RunId>) -> RunId {
        match ticket {
            Ticket::Right => right.unwrap_or(RunId::hazmat_new(0x5eed)),
            Ticket::Stale { back } => back_from(&self.tickets, *back)
                .copied()
                .unwrap_or(RunId::hazmat_new(1)),
            Ticket::Forged { value } => RunId::hazmat_new(*value),
        }
    }

    /// Records a ticket handed out, asserting that it was never handed out
    /// before (tickets are random, so those of different runs differ).
    pub fn handed_out(&mut self, ticket: RunId) {
        assert!(!self.tickets.contains(&ticket), "a ticket handed out twice");
        self.tickets.push(ticket);
    }
}

fn back_from<T>(items: &[T], back: u8) -> Option<&T> {
    if items.is_empty() {
        return None;
    }
    let back = usize::from(back) % items.len();
    items.get(items.len() - 1 - back)
}

/// A buffer of `needed` bytes, or one byte short when `small`.
pub fn buffer(needed: usize, small: bool) -> Vec<u8> {
    vec![0u8; if small { needed - 1 } else { needed }]
}
