//! How a fuzzer alters the messages between two honest parties.

use arbitrary::Arbitrary;

use crate::seed::{Encode, Writer};

/// One alteration of one message's bytes. Positions and lengths are taken
/// modulo the message's length, so every value means something.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Flip one bit.
    FlipBit {
        /// Byte position.
        at: u16,
        /// Bit, modulo 8.
        bit: u8,
    },
    /// Keep only the first `len` bytes.
    Truncate {
        /// New length, modulo the old one.
        len: u16,
    },
    /// Append bytes.
    Append {
        /// What to append.
        bytes: Vec<u8>,
    },
    /// Overwrite bytes from a position on (growing the message if needed).
    Overwrite {
        /// Where to start.
        at: u16,
        /// What to write.
        bytes: Vec<u8>,
    },
    /// Remove `len` bytes from a position.
    Remove {
        /// Where.
        at: u16,
        /// How many.
        len: u8,
    },
    /// The same message of another honest run (other ephemeral keys, other
    /// nonces), whole.
    SpliceOther,
    /// Bytes from the same message of another honest run, copied over this
    /// one's at the same position.
    SpliceOtherRange {
        /// Where.
        at: u16,
        /// How many.
        len: u16,
    },
    /// An earlier message of this run instead (a replay or a reflection).
    Replay {
        /// Which earlier message, modulo the messages written so far.
        earlier: u8,
    },
    /// Bytes of the fuzzer's choosing instead.
    Replace {
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// An [`Edit`] of the message at index `message` (modulo the messages the
/// target lets the fuzzer alter).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct Tamper {
    /// Which alterable message.
    pub message: u8,
    /// What to do to it.
    pub edit: Edit,
}

impl Edit {
    /// Whether applying this edit needs the other honest run.
    pub fn needs_other(&self) -> bool {
        matches!(self, Self::SpliceOther | Self::SpliceOtherRange { .. })
    }

    /// Applies the edit to `message`, the `index`th of a run whose earlier
    /// messages are `history` and whose twin run wrote `other`.
    pub fn apply(&self, message: &mut Vec<u8>, history: &[Vec<u8>], other: Option<&[u8]>) {
        let len = message.len();
        let pos = |at: u16| if len == 0 { 0 } else { usize::from(at) % len };
        match self {
            Self::FlipBit { at, bit } => {
                if len > 0 {
                    message[pos(*at)] ^= 1 << (bit % 8);
                }
            }
            Self::Truncate { len: new } => message.truncate(pos(*new)),
            Self::Append { bytes } => message.extend_from_slice(bytes),
            Self::Overwrite { at, bytes } => {
                let start = pos(*at);
                let end = start + bytes.len();
                if message.len() < end {
                    message.resize(end, 0);
                }
                message[start..end].copy_from_slice(bytes);
            }
            Self::Remove { at, len: n } => {
                let start = pos(*at);
                let end = (start + usize::from(*n)).min(len);
                message.drain(start..end);
            }
            Self::SpliceOther => {
                if let Some(other) = other {
                    *message = other.to_vec();
                }
            }
            Self::SpliceOtherRange { at, len: n } => {
                if let Some(other) = other {
                    let start = pos(*at);
                    let end = (start + usize::from(*n)).min(len).min(other.len());
                    if start < end {
                        message[start..end].copy_from_slice(&other[start..end]);
                    }
                }
            }
            Self::Replay { earlier } => {
                if !history.is_empty() {
                    *message = history[usize::from(*earlier) % history.len()].clone();
                }
            }
            Self::Replace { bytes } => *message = bytes.clone(),
        }
    }
}

/// The messages of one run: what the honest parties wrote, what was
/// delivered, and which deliveries were altered.
#[derive(Debug)]
pub struct Transcript<'t> {
    tampers: &'t [Tamper],
    /// The indices of the messages the fuzzer may alter, in order.
    alterable: &'t [usize],
    /// The twin honest run's messages, for splicing.
    other: Option<Vec<Vec<u8>>>,
    /// What the honest parties wrote, by index.
    pub written: Vec<Vec<u8>>,
    /// Whether each delivered message differs from what was written (for
    /// message kinds with several encodings of one value, the driver may
    /// correct this with [`Transcript::set_altered`]).
    pub altered: Vec<bool>,
}

impl<'t> Transcript<'t> {
    /// A transcript applying `tampers` to the messages at the `alterable`
    /// indices. `other` runs the twin honest run when an edit needs it.
    pub fn new(
        tampers: &'t [Tamper],
        alterable: &'t [usize],
        other: impl FnOnce() -> Vec<Vec<u8>>,
    ) -> Self {
        let needs_other = tampers.iter().any(|t| t.edit.needs_other());
        Self {
            tampers,
            alterable,
            other: needs_other.then(other),
            written: Vec::new(),
            altered: Vec::new(),
        }
    }

    /// A transcript that alters nothing: an honest run, recorded.
    pub fn honest() -> Transcript<'static> {
        Transcript {
            tampers: &[],
            alterable: &[],
            other: None,
            written: Vec::new(),
            altered: Vec::new(),
        }
    }

    /// Records message `written` (the next index) and returns what is
    /// delivered: it with every tamper aimed at it applied.
    pub fn deliver(&mut self, written: &[u8]) -> Vec<u8> {
        let index = self.written.len();
        let mut delivered = written.to_vec();
        if !self.alterable.is_empty() {
            for tamper in self.tampers {
                let target = self.alterable[usize::from(tamper.message) % self.alterable.len()];
                if target == index {
                    let other = self
                        .other
                        .as_ref()
                        .and_then(|o| o.get(index))
                        .map(Vec::as_slice);
                    tamper.edit.apply(&mut delivered, &self.written, other);
                }
            }
        }
        self.written.push(written.to_vec());
        self.altered.push(delivered != written);
        delivered
    }

    /// Overrides whether message `index` counts as altered (for a message
    /// whose decoder accepts several spellings of one value, the driver
    /// compares the decoded values instead).
    pub fn set_altered(&mut self, index: usize, altered: bool) {
        self.altered[index] = altered;
    }

    /// Whether any of the messages up to and including `last` was altered.
    pub fn altered_up_to(&self, last: usize) -> bool {
        self.altered.iter().take(last + 1).any(|a| *a)
    }

    /// Whether any delivered message was altered.
    pub fn any_altered(&self) -> bool {
        self.altered.iter().any(|a| *a)
    }
}

impl Encode for Edit {
    fn encode(&self, w: &mut Writer) {
        const N: u32 = 9;
        match self {
            Self::FlipBit { at, bit } => {
                w.variant(0, N);
                w.u16(*at);
                w.u8(*bit);
            }
            Self::Truncate { len } => {
                w.variant(1, N);
                w.u16(*len);
            }
            Self::Append { bytes } => {
                w.variant(2, N);
                w.bytes(bytes);
            }
            Self::Overwrite { at, bytes } => {
                w.variant(3, N);
                w.u16(*at);
                w.bytes(bytes);
            }
            Self::Remove { at, len } => {
                w.variant(4, N);
                w.u16(*at);
                w.u8(*len);
            }
            Self::SpliceOther => w.variant(5, N),
            Self::SpliceOtherRange { at, len } => {
                w.variant(6, N);
                w.u16(*at);
                w.u16(*len);
            }
            Self::Replay { earlier } => {
                w.variant(7, N);
                w.u8(*earlier);
            }
            Self::Replace { bytes } => {
                w.variant(8, N);
                w.bytes(bytes);
            }
        }
    }
}

impl Encode for Tamper {
    fn encode(&self, w: &mut Writer) {
        w.u8(self.message);
        self.edit.encode(w);
    }
}
