//! Transport records: an honest sender seals, the fuzzer decides what the
//! receiver gets.

use arbitrary::Arbitrary;

use crate::seed::{Encode, Writer};
use crate::tamper::Edit;

/// One step of a stream (TCP-like) exchange.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum StreamStep {
    /// The sender seals `plaintext`; the record is delivered through `edit`
    /// (if any).
    Send {
        /// The plaintext (capped).
        plaintext: Vec<u8>,
        /// How the record is altered on the way.
        edit: Option<Edit>,
    },
    /// The sender seals a record that is lost.
    Lose,
    /// A record sealed earlier arrives again.
    Replay {
        /// Which sealed record, modulo their number.
        which: u8,
    },
    /// Bytes from someone without the keys.
    Inject {
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// The input of `stream_record`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct StreamInput {
    /// Seeds the session keys.
    pub seed: u16,
    /// The steps.
    pub steps: Vec<StreamStep>,
}

/// One step of a datagram (UDP/BLE-like) exchange.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum DatagramStep {
    /// The sender seals `plaintext` and the record is delivered through
    /// `edit` (if any).
    Send {
        /// The plaintext (capped).
        plaintext: Vec<u8>,
        /// How the record is altered on the way.
        edit: Option<Edit>,
    },
    /// The sender seals `plaintext` and the record is held back (delivered
    /// later by [`DatagramStep::Release`], reordered).
    Hold {
        /// The plaintext (capped).
        plaintext: Vec<u8>,
    },
    /// A record sealed earlier arrives (again, or for the first time if it
    /// was held), through `edit` (if any).
    Release {
        /// Which sealed record, modulo their number.
        which: u16,
        /// How it is altered.
        edit: Option<Edit>,
    },
    /// The sender seals `count` records (modulo 1,100) that are all lost.
    Lose {
        /// How many.
        count: u16,
    },
    /// Bytes from someone without the keys.
    Inject {
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// The input of `datagram_record`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct DatagramInput {
    /// Seeds the session keys.
    pub seed: u16,
    /// How many counters before the first epoch boundary the sender starts
    /// (modulo 8), so runs cross into the next epoch.
    pub start_before_epoch: u8,
    /// The steps.
    pub steps: Vec<DatagramStep>,
}

fn option_edit(w: &mut Writer, edit: &Option<Edit>) {
    match edit {
        None => w.bool(false),
        Some(e) => {
            w.bool(true);
            e.encode(w);
        }
    }
}

impl Encode for StreamStep {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Send { plaintext, edit } => {
                w.variant(0, 4);
                w.bytes(plaintext);
                option_edit(w, edit);
            }
            Self::Lose => w.variant(1, 4),
            Self::Replay { which } => {
                w.variant(2, 4);
                w.u8(*which);
            }
            Self::Inject { bytes } => {
                w.variant(3, 4);
                w.bytes(bytes);
            }
        }
    }
}

impl Encode for StreamInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.vec(&self.steps);
    }
}

impl Encode for DatagramStep {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Send { plaintext, edit } => {
                w.variant(0, 5);
                w.bytes(plaintext);
                option_edit(w, edit);
            }
            Self::Hold { plaintext } => {
                w.variant(1, 5);
                w.bytes(plaintext);
            }
            Self::Release { which, edit } => {
                w.variant(2, 5);
                w.u16(*which);
                option_edit(w, edit);
            }
            Self::Lose { count } => {
                w.variant(3, 5);
                w.u16(*count);
            }
            Self::Inject { bytes } => {
                w.variant(4, 5);
                w.bytes(bytes);
            }
        }
    }
}

impl Encode for DatagramInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.u8(self.start_before_epoch);
        w.vec(&self.steps);
    }
}

/// The session key of direction `dir` for `seed`.
pub fn key(seed: u16, dir: u8) -> [u8; 32] {
    let mut k = [0x3c; 32];
    k[..2].copy_from_slice(&seed.to_le_bytes());
    k[2] = dir;
    k
}
