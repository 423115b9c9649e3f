//! TCP transport for HoneyLink's exchanges: it moves bytes and nothing more.
//!
//! A connection starts with a short preamble from the side that connected:
//! [`MAGIC`], [`PREAMBLE_VERSION`] and one byte naming the [`Exchange`]
//! (a session, QR pairing, PIN pairing or NFC pairing), so a listener never
//! feeds one protocol's bytes to another's state machine. Then each side
//! sends frames: a 2-byte big-endian length (as the Noise specification
//! suggests for TCP) and that many bytes, whose first byte says what the
//! frame is ([`Frame`]): a protocol message, the sender's orderly end of
//! data, its acceptance of the other side, or a refusal with a reason.
//!
//! Every read is bounded in time and size. Opening a connection is bounded
//! by [`Timeouts::connect`]; a frame, once its first byte arrived, must
//! arrive whole within [`Timeouts::read`] (so a peer sending one byte at a
//! time cannot hold a connection); waiting for the next frame is bounded by
//! the caller's choice ([`Timeouts::read`] during handshakes,
//! [`Timeouts::idle`] in sessions). A frame longer than the connection's
//! limit is refused from its length prefix, before anything is allocated
//! for it, and the buffer never grows beyond the largest frame accepted. A
//! [`Listener`] holds at most a fixed number of connections at once; one
//! over the limit gets a [`Refusal::AtCapacity`] frame and is closed.
//!
//! The wire format is decoded by pure functions over bytes
//! ([`decode_preamble`], [`decode_frame_len`], [`decode_frame`]) and
//! encoded by [`encode_preamble`] and [`encode_frame`]: the socket halves
//! only move bytes and apply the time limits, so the fuzz targets drive the
//! very decoder a connection runs.
//!
//! Errors say exactly what happened: [`Error::PeerClosed`] (with whether it
//! was mid-frame), [`Error::TimedOut`], [`Error::FrameTooLarge`],
//! [`Error::BadPreamble`], [`Error::BadFrame`], [`Error::Network`] for the
//! operating system's socket errors.

use std::collections::HashMap;
use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Error;

/// The first four bytes of every HoneyLink connection.
pub const MAGIC: [u8; 4] = *b"HLNK";
/// The preamble version this code speaks.
pub const PREAMBLE_VERSION: u8 = 1;
/// Length of the preamble: magic, version, exchange.
pub const PREAMBLE_LEN: usize = MAGIC.len() + 2;
/// Length of a frame's length prefix.
pub const LENGTH_PREFIX_LEN: usize = 2;
/// The largest frame body the 2-byte prefix can announce.
pub const MAX_FRAME_LEN: usize = u16::MAX as usize;
/// The largest protocol message a frame carries (the body less its kind
/// byte): one byte under the core's largest transport record
/// (`session::MAX_RECORD_LEN`, the Noise limit), so a session over TCP
/// keeps its records below that (the CLI sends 16 KiB chunks).
pub const MAX_MESSAGE_LEN: usize = MAX_FRAME_LEN - 1;

/// Environment variable: milliseconds for [`Timeouts::connect`] and
/// [`Timeouts::read`] (tests make them short).
pub const TIMEOUT_ENV: &str = "HONEYLINK_TIMEOUT_MS";
/// Environment variable: milliseconds for [`Timeouts::idle`].
pub const IDLE_TIMEOUT_ENV: &str = "HONEYLINK_IDLE_TIMEOUT_MS";

/// Which protocol a connection carries, named in its preamble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// A session between paired devices (Noise XX, then records).
    Session,
    /// QR code pairing (Noise XXpsk2 from a scanned code).
    QrPairing,
    /// PIN pairing (CPace, then Noise XXpsk2).
    PinPairing,
    /// NFC pairing (Noise XXpsk2 from a read NDEF record).
    NfcPairing,
}

impl Exchange {
    /// Every exchange, in wire order.
    pub const ALL: [Self; 4] = [
        Self::Session,
        Self::QrPairing,
        Self::PinPairing,
        Self::NfcPairing,
    ];

    /// The preamble byte naming this exchange.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Session => 1,
            Self::QrPairing => 2,
            Self::PinPairing => 3,
            Self::NfcPairing => 4,
        }
    }

    /// The exchange a preamble byte names, if any.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// A short lowercase name for messages.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::QrPairing => "QR pairing",
            Self::PinPairing => "PIN pairing",
            Self::NfcPairing => "NFC pairing",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a side refused to go on, sent in a [`Frame::Refused`]. It carries
/// no secret: at most a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The listener holds as many connections as it serves at once.
    AtCapacity,
    /// The listener does not serve this exchange.
    WrongExchange,
    /// Another pairing run is in progress; try again shortly.
    Busy,
    /// The pairing code was already used.
    CodeUsed,
    /// The pairing code or PIN has expired.
    CodeExpired,
    /// The pairing code answered as many runs as it may.
    CodeExhausted,
    /// The PIN's one run was already taken.
    PinUsed,
    /// The PIN typed was not the PIN shown.
    WrongPin,
    /// PIN pairing is locked after repeated failures, for `remaining`
    /// seconds.
    LockedOut {
        /// Seconds until PIN pairing is possible again.
        remaining: u64,
    },
    /// The pairing handshake failed (a wrong code, a damaged message).
    PairingFailed,
    /// The person on the other side declined the pairing.
    Declined,
    /// The other side does not trust this device ("Untrusted Device").
    Untrusted,
    /// The other side blocks this device or its key.
    Blocked,
    /// The other side knows this device under another key.
    KeyChanged,
    /// The other side trusts this key under another device id.
    IdentityMismatch,
}

impl Refusal {
    const fn code(self) -> u8 {
        match self {
            Self::AtCapacity => 1,
            Self::WrongExchange => 2,
            Self::Busy => 3,
            Self::CodeUsed => 4,
            Self::CodeExpired => 5,
            Self::CodeExhausted => 6,
            Self::PinUsed => 7,
            Self::WrongPin => 8,
            Self::LockedOut { .. } => 9,
            Self::PairingFailed => 10,
            Self::Declined => 11,
            Self::Untrusted => 12,
            Self::Blocked => 13,
            Self::KeyChanged => 14,
            Self::IdentityMismatch => 15,
        }
    }

    fn from_wire(code: u8, detail: u64) -> Option<Self> {
        Some(match code {
            1 => Self::AtCapacity,
            2 => Self::WrongExchange,
            3 => Self::Busy,
            4 => Self::CodeUsed,
            5 => Self::CodeExpired,
            6 => Self::CodeExhausted,
            7 => Self::PinUsed,
            8 => Self::WrongPin,
            9 => Self::LockedOut { remaining: detail },
            10 => Self::PairingFailed,
            11 => Self::Declined,
            12 => Self::Untrusted,
            13 => Self::Blocked,
            14 => Self::KeyChanged,
            15 => Self::IdentityMismatch,
            _ => return None,
        })
    }

    const fn detail(self) -> u64 {
        match self {
            Self::LockedOut { remaining } => remaining,
            _ => 0,
        }
    }

    /// A stable snake_case name, for JSON output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AtCapacity => "at_capacity",
            Self::WrongExchange => "wrong_exchange",
            Self::Busy => "busy",
            Self::CodeUsed => "code_used",
            Self::CodeExpired => "code_expired",
            Self::CodeExhausted => "code_exhausted",
            Self::PinUsed => "pin_used",
            Self::WrongPin => "wrong_pin",
            Self::LockedOut { .. } => "locked_out",
            Self::PairingFailed => "pairing_failed",
            Self::Declined => "declined",
            Self::Untrusted => "untrusted_device",
            Self::Blocked => "blocked",
            Self::KeyChanged => "key_changed",
            Self::IdentityMismatch => "identity_mismatch",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AtCapacity => f.write_str("it serves as many connections as it can; try again"),
            Self::WrongExchange => f.write_str("it is not waiting for this kind of exchange"),
            Self::Busy => f.write_str("another pairing is in progress; try again shortly"),
            Self::CodeUsed => f.write_str("the pairing code was already used; show a new one"),
            Self::CodeExpired => f.write_str("the pairing code has expired; show a new one"),
            Self::CodeExhausted => {
                f.write_str("the pairing code was tried too often; show a new one")
            }
            Self::PinUsed => f.write_str("the PIN was already used; show a new one"),
            Self::WrongPin => f.write_str("wrong PIN; show a new PIN and type it once"),
            Self::LockedOut { remaining } => write!(
                f,
                "PIN pairing is locked after repeated failures for {remaining} more seconds"
            ),
            Self::PairingFailed => f.write_str("the pairing handshake failed"),
            Self::Declined => f.write_str("the person there declined the pairing"),
            Self::Untrusted => f.write_str("Untrusted Device: it has not paired with this device"),
            Self::Blocked => f.write_str("it blocks this device"),
            Self::KeyChanged => f.write_str("it knows this device under another key"),
            Self::IdentityMismatch => f.write_str("it knows this key under another device id"),
        }
    }
}

/// One frame, as received.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A protocol message (a handshake message or a session record).
    Message(&'a [u8]),
    /// The sender will send no more data (a session's end of input).
    End,
    /// The sender accepts the other side (a session is established, a
    /// pairing confirmed).
    Accepted,
    /// The sender refuses to go on, and says why.
    Refused(Refusal),
}

const KIND_MESSAGE: u8 = 1;
const KIND_END: u8 = 2;
const KIND_ACCEPTED: u8 = 3;
const KIND_REFUSED: u8 = 4;
/// A refusal's body after the kind byte: the reason code, then the detail.
const REFUSED_BODY_LEN: usize = 1 + 8;

/// The preamble that opens a connection carrying `exchange`.
#[must_use]
pub fn encode_preamble(exchange: Exchange) -> [u8; PREAMBLE_LEN] {
    let [m0, m1, m2, m3] = MAGIC;
    [m0, m1, m2, m3, PREAMBLE_VERSION, exchange.code()]
}

/// Decodes a connection's preamble from `peer`: the byte-level check
/// [`Incoming::open`] runs. One exchange per preamble ([`encode_preamble`]
/// gives it back).
///
/// # Errors
/// [`Error::BadPreamble`] for wrong magic, an unknown version or an
/// unknown exchange.
pub fn decode_preamble(preamble: [u8; PREAMBLE_LEN], peer: SocketAddr) -> Result<Exchange, Error> {
    let [m0, m1, m2, m3, version, code] = preamble;
    if [m0, m1, m2, m3] != MAGIC {
        return Err(Error::BadPreamble {
            peer,
            detail: "not a HoneyLink connection",
        });
    }
    if version != PREAMBLE_VERSION {
        return Err(Error::BadPreamble {
            peer,
            detail: "an unknown protocol version",
        });
    }
    Exchange::from_code(code).ok_or(Error::BadPreamble {
        peer,
        detail: "an unknown exchange",
    })
}

/// The body length a frame's length prefix announces, checked against the
/// largest frame the reader accepts (`max_frame`), before anything is read
/// or allocated for the body: the byte-level check [`FrameReader::receive`]
/// runs on every prefix.
///
/// # Errors
/// [`Error::FrameTooLarge`] above `max_frame`; [`Error::BadFrame`] for an
/// empty frame.
pub fn decode_frame_len(
    prefix: [u8; LENGTH_PREFIX_LEN],
    max_frame: usize,
    peer: SocketAddr,
) -> Result<usize, Error> {
    let len = usize::from(u16::from_be_bytes(prefix));
    if len > max_frame {
        return Err(Error::FrameTooLarge {
            len,
            max: max_frame,
        });
    }
    if len == 0 {
        return Err(Error::BadFrame {
            peer,
            detail: "an empty frame",
        });
    }
    Ok(len)
}

/// Decodes a frame's body (the bytes its prefix announced) from `peer`:
/// the byte-level decoder [`FrameReader::receive`] runs. A message borrows
/// from `body`; nothing is allocated.
///
/// [`encode_frame`] gives the same bytes back for every frame but a
/// refusal whose reason carries no detail: its detail bytes are ignored
/// when read and written as zero.
///
/// # Errors
/// [`Error::BadFrame`] for an empty body, an unknown kind, a signal with a
/// body, a refusal of the wrong length or with an unknown reason.
pub fn decode_frame(body: &[u8], peer: SocketAddr) -> Result<Frame<'_>, Error> {
    let bad = |detail| Error::BadFrame { peer, detail };
    let (&kind, rest) = body.split_first().ok_or(bad("an empty frame"))?;
    match kind {
        KIND_MESSAGE => Ok(Frame::Message(rest)),
        KIND_END if rest.is_empty() => Ok(Frame::End),
        KIND_ACCEPTED if rest.is_empty() => Ok(Frame::Accepted),
        KIND_REFUSED => {
            let (&code, detail) = rest.split_first().ok_or(bad("a refusal without reason"))?;
            let detail: [u8; 8] = detail
                .try_into()
                .map_err(|_| bad("a refusal of the wrong length"))?;
            Refusal::from_wire(code, u64::from_be_bytes(detail))
                .map(Frame::Refused)
                .ok_or(bad("a refusal with an unknown reason"))
        }
        KIND_END | KIND_ACCEPTED => Err(bad("a signal frame with a body")),
        _ => Err(bad("a frame of unknown kind")),
    }
}

/// The bytes of `frame` on the wire, its length prefix first: what
/// [`FrameWriter::send`] writes in one call.
///
/// # Errors
/// [`Error::FrameTooLarge`] for a message over [`MAX_MESSAGE_LEN`].
pub fn encode_frame(frame: &Frame<'_>) -> Result<Vec<u8>, Error> {
    let mut refused = [0u8; REFUSED_BODY_LEN];
    let (kind, body): (u8, &[u8]) = match frame {
        Frame::Message(m) => (KIND_MESSAGE, m),
        Frame::End => (KIND_END, &[]),
        Frame::Accepted => (KIND_ACCEPTED, &[]),
        Frame::Refused(r) => {
            let (code, detail) = refused.split_at_mut(1);
            code.copy_from_slice(&[r.code()]);
            detail.copy_from_slice(&r.detail().to_be_bytes());
            (KIND_REFUSED, &refused)
        }
    };
    let len = body.len() + 1;
    let too_large = Error::FrameTooLarge {
        len,
        max: MAX_FRAME_LEN,
    };
    if body.len() > MAX_MESSAGE_LEN {
        return Err(too_large);
    }
    let prefix = u16::try_from(len).map_err(|_| too_large)?;
    let mut out = Vec::with_capacity(LENGTH_PREFIX_LEN + len);
    out.extend_from_slice(&prefix.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    Ok(out)
}

/// Time limits on a connection. Every one is finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a TCP connection.
    pub connect: Duration,
    /// Receiving a whole frame once it began, the preamble, and waiting
    /// for a handshake's next message.
    pub read: Duration,
    /// Waiting for the next frame of an established session.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            idle: Duration::from_secs(600),
        }
    }
}

impl Timeouts {
    /// The defaults, with [`TIMEOUT_ENV`] and [`IDLE_TIMEOUT_ENV`] (whole
    /// milliseconds, at least 1) overriding them when set.
    ///
    /// # Errors
    /// [`Error::BadSetting`] when a variable is set to anything else.
    pub fn from_env() -> Result<Self, Error> {
        let mut timeouts = Self::default();
        if let Some(ms) = env_millis(TIMEOUT_ENV)? {
            timeouts.connect = ms;
            timeouts.read = ms;
        }
        if let Some(ms) = env_millis(IDLE_TIMEOUT_ENV)? {
            timeouts.idle = ms;
        }
        Ok(timeouts)
    }
}

fn env_millis(name: &'static str) -> Result<Option<Duration>, Error> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map(|ms| Some(Duration::from_millis(ms)))
        .ok_or(Error::BadSetting {
            name,
            expected: "a whole number of milliseconds, at least 1",
        })
}

fn network(op: &'static str, peer: SocketAddr, source: std::io::Error) -> Error {
    Error::Network { op, peer, source }
}

/// Resolves `addr` ("host:port") to its socket addresses.
///
/// # Errors
/// [`Error::BadAddress`] when it does not resolve.
pub fn resolve(addr: &str) -> Result<Vec<SocketAddr>, Error> {
    let bad = |detail: String| Error::BadAddress {
        addr: addr.to_owned(),
        detail,
    };
    let found: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .collect();
    if found.is_empty() {
        return Err(bad("no address found".to_owned()));
    }
    Ok(found)
}

/// The receiving half of a connection: reads frames within time and size
/// bounds.
#[derive(Debug)]
pub struct FrameReader {
    stream: TcpStream,
    peer: SocketAddr,
    read_timeout: Duration,
    max_frame: usize,
    buffer: Vec<u8>,
    /// Every read ends by this instant, whatever the per-frame waits.
    deadline: Option<Instant>,
}

/// The sending half of a connection.
#[derive(Debug)]
pub struct FrameWriter {
    stream: TcpStream,
    peer: SocketAddr,
}

/// A connection: a [`FrameReader`] and a [`FrameWriter`] over one TCP
/// stream, with the listener's slot (if any) held until it is dropped.
#[derive(Debug)]
pub struct Connection {
    reader: FrameReader,
    writer: FrameWriter,
    timeouts: Timeouts,
    _slot: Option<Slot>,
}

impl Connection {
    /// Connects to `peer` within [`Timeouts::connect`] and sends the
    /// preamble for `exchange`.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::Network`] (refused, unreachable).
    pub fn connect(
        peer: SocketAddr,
        exchange: Exchange,
        timeouts: Timeouts,
    ) -> Result<Self, Error> {
        let stream = TcpStream::connect_timeout(&peer, timeouts.connect).map_err(|e| {
            if is_timeout(&e) {
                Error::TimedOut {
                    waiting_for: "the connection to open",
                    peer,
                    after: timeouts.connect,
                }
            } else {
                network("connect to", peer, e)
            }
        })?;
        let mut connection = Self::from_stream(stream, peer, timeouts, None)?;
        connection.writer.write_all(&encode_preamble(exchange))?;
        Ok(connection)
    }

    fn from_stream(
        stream: TcpStream,
        peer: SocketAddr,
        timeouts: Timeouts,
        slot: Option<Slot>,
    ) -> Result<Self, Error> {
        stream
            .set_nodelay(true)
            .map_err(|e| network("configure", peer, e))?;
        stream
            .set_write_timeout(Some(timeouts.read))
            .map_err(|e| network("configure", peer, e))?;
        let write_half = stream
            .try_clone()
            .map_err(|e| network("configure", peer, e))?;
        Ok(Self {
            reader: FrameReader {
                stream,
                peer,
                read_timeout: timeouts.read,
                max_frame: MAX_FRAME_LEN,
                buffer: Vec::new(),
                deadline: None,
            },
            writer: FrameWriter {
                stream: write_half,
                peer,
            },
            timeouts,
            _slot: slot,
        })
    }

    /// The other side's address.
    #[must_use]
    pub const fn peer(&self) -> SocketAddr {
        self.reader.peer
    }

    /// The connection's time limits.
    #[must_use]
    pub const fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Lowers the largest frame accepted (never above [`MAX_FRAME_LEN`]);
    /// pairing connections accept only pairing-sized frames.
    pub fn limit_frames(&mut self, max_frame: usize) {
        self.reader.max_frame = max_frame.min(MAX_FRAME_LEN);
    }

    /// Sends one frame.
    ///
    /// # Errors
    /// [`Error::FrameTooLarge`] for a message over [`MAX_MESSAGE_LEN`];
    /// [`Error::Network`]; [`Error::TimedOut`] when the peer does not read.
    pub fn send(&mut self, frame: &Frame<'_>) -> Result<(), Error> {
        self.writer.send(frame)
    }

    /// Sends a protocol message.
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub fn send_message(&mut self, message: &[u8]) -> Result<(), Error> {
        self.writer.send(&Frame::Message(message))
    }

    /// Receives the next frame within [`Timeouts::read`].
    ///
    /// # Errors
    /// As [`FrameReader::receive`].
    pub fn receive(&mut self) -> Result<Frame<'_>, Error> {
        let wait = self.timeouts.read;
        self.reader.receive(wait)
    }

    /// Receives the next frame, waiting up to `wait` for it to begin.
    ///
    /// # Errors
    /// As [`FrameReader::receive`].
    pub fn receive_within(&mut self, wait: Duration) -> Result<Frame<'_>, Error> {
        self.reader.receive(wait)
    }

    /// Sets (or, with `None`, lifts) an instant by which every read must
    /// end, however the per-frame waits would allow more: a whole handshake
    /// is bounded this way, so a peer trickling one frame after another
    /// cannot hold a listener's slot for long.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.reader.deadline = deadline;
    }

    /// Receives the next frame and requires a protocol message: a refusal
    /// becomes [`Error::PeerRefused`], anything else [`Error::BadFrame`].
    ///
    /// # Errors
    /// As [`FrameReader::receive`], and those above.
    pub fn receive_message(&mut self) -> Result<&[u8], Error> {
        let wait = self.timeouts.read;
        self.reader.receive_message(wait)
    }

    /// Splits the connection into its halves, for a session that sends and
    /// receives at once; the listener's slot, if any, stays taken until the
    /// returned guard is dropped.
    #[must_use]
    pub fn split(self) -> (FrameReader, FrameWriter, Option<SlotGuard>) {
        (self.reader, self.writer, self._slot.map(SlotGuard))
    }

    /// A handle that can close this connection from another thread (to end
    /// a blocked read when the exchange is over elsewhere).
    ///
    /// # Errors
    /// [`Error::Network`] when the socket cannot be duplicated.
    pub fn closer(&self) -> Result<Closer, Error> {
        self.writer
            .stream
            .try_clone()
            .map(Closer)
            .map_err(|e| network("configure", self.reader.peer, e))
    }

    /// Closes both directions (best effort: the peer may be gone).
    pub fn close(self) {
        let _ = self.writer.stream.shutdown(Shutdown::Both);
    }
}

/// Closes a connection from another thread ([`Connection::closer`]).
#[derive(Debug)]
pub struct Closer(TcpStream);

impl Closer {
    /// Shuts the connection down in both directions (best effort); a read
    /// blocked on it returns.
    pub fn close(&self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// The connections a listener is serving, each closable from the thread
/// that accepts (to end the others when one wins, or when the listener
/// stops). An entry lives only as long as its connection's [`Tracked`]
/// guard, so a finished connection keeps no duplicated descriptor open:
/// connections that come and go never exhaust the process's descriptors.
#[derive(Debug, Default)]
pub struct Closers {
    next: AtomicU64,
    open: Mutex<HashMap<u64, (SocketAddr, Closer)>>,
}

/// Keeps a connection's entry in [`Closers`] until dropped.
#[derive(Debug)]
pub struct Tracked<'a> {
    closers: &'a Closers,
    key: Option<u64>,
}

impl Closers {
    /// None yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Tracks `incoming` until the returned guard is dropped (drop it when
    /// the connection's thread ends). A socket that cannot be duplicated is
    /// not tracked: it still ends by its own timeouts.
    pub fn track(&self, incoming: &Incoming) -> Tracked<'_> {
        let key = match (incoming.closer(), self.open.lock()) {
            (Ok(closer), Ok(mut open)) => {
                let key = self.next.fetch_add(1, Ordering::Relaxed);
                open.insert(key, (incoming.peer(), closer));
                Some(key)
            }
            _ => None,
        };
        Tracked { closers: self, key }
    }

    /// Closes every tracked connection but the one from `keep`.
    pub fn close_all_except(&self, keep: Option<SocketAddr>) {
        if let Ok(open) = self.open.lock() {
            for (peer, closer) in open.values() {
                if Some(*peer) != keep {
                    closer.close();
                }
            }
        }
    }

    /// The number of connections tracked now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.open.lock().map_or(0, |open| open.len())
    }

    /// Whether no connection is tracked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        if let (Some(key), Ok(mut open)) = (self.key, self.closers.open.lock()) {
            open.remove(&key);
        }
    }
}

/// Holds a listener's slot for a split connection.
#[derive(Debug)]
pub struct SlotGuard(#[allow(dead_code)] Slot);

impl FrameWriter {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.stream.write_all(bytes).map_err(|e| {
            if is_timeout(&e) {
                Error::TimedOut {
                    waiting_for: "the peer to read",
                    peer: self.peer,
                    after: Duration::ZERO,
                }
            } else if is_closed(&e) {
                Error::PeerClosed {
                    peer: self.peer,
                    mid_frame: false,
                }
            } else {
                network("send to", self.peer, e)
            }
        })
    }

    /// Sends one frame (its length prefix and body in one write).
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub fn send(&mut self, frame: &Frame<'_>) -> Result<(), Error> {
        let out = encode_frame(frame)?;
        self.write_all(&out)
    }

    /// Sends a protocol message.
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub fn send_message(&mut self, message: &[u8]) -> Result<(), Error> {
        self.send(&Frame::Message(message))
    }

    /// Tells the peer no more data follows, and closes this direction.
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub fn finish(&mut self) -> Result<(), Error> {
        self.send(&Frame::End)?;
        let _ = self.stream.shutdown(Shutdown::Write);
        Ok(())
    }

    /// Closes both directions (best effort).
    pub fn close(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

impl FrameReader {
    /// Fills `out` completely by `deadline`.
    fn read_exact_by(
        &mut self,
        out_range: std::ops::Range<usize>,
        deadline: Instant,
        waiting_for: &'static str,
        started: bool,
    ) -> Result<(), Error> {
        let deadline = self.deadline.map_or(deadline, |end| end.min(deadline));
        let mut at = out_range.start;
        while at < out_range.end {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.timed_out(waiting_for));
            }
            self.stream
                .set_read_timeout(Some(remaining))
                .map_err(|e| network("configure", self.peer, e))?;
            let slot = self
                .buffer
                .get_mut(at..out_range.end)
                .ok_or(Error::Unexpected("the frame buffer holds the frame"))?;
            match self.stream.read(slot) {
                Ok(0) => {
                    return Err(Error::PeerClosed {
                        peer: self.peer,
                        mid_frame: started || at > out_range.start,
                    });
                }
                Ok(n) => at += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    return Err(self.timed_out(waiting_for));
                }
                Err(e) if is_closed(&e) => {
                    return Err(Error::PeerClosed {
                        peer: self.peer,
                        mid_frame: started || at > out_range.start,
                    });
                }
                Err(e) => return Err(network("receive from", self.peer, e)),
            }
        }
        Ok(())
    }

    /// The wait is reported as configured, not as measured.
    fn timed_out(&self, waiting_for: &'static str) -> Error {
        Error::TimedOut {
            waiting_for,
            peer: self.peer,
            after: self.read_timeout,
        }
    }

    /// Receives the next frame: waits up to `wait` for it to begin, then up
    /// to [`Timeouts::read`] for the rest of it.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::PeerClosed`] (`mid_frame` when the peer
    /// vanished inside a frame); [`Error::FrameTooLarge`] from the prefix,
    /// before reading the body; [`Error::BadFrame`] for an empty frame, an
    /// unknown kind or a malformed refusal; [`Error::Network`].
    pub fn receive(&mut self, wait: Duration) -> Result<Frame<'_>, Error> {
        if self.buffer.len() < LENGTH_PREFIX_LEN {
            self.buffer.resize(LENGTH_PREFIX_LEN, 0);
        }
        // The first byte may take `wait`; the rest of the frame `read`.
        let first_by = Instant::now() + wait;
        let saved = self.read_timeout;
        self.read_timeout = wait;
        let first = self.read_exact_by(0..1, first_by, "the next message", false);
        self.read_timeout = saved;
        first?;
        let frame_by = Instant::now() + self.read_timeout;
        self.read_exact_by(
            1..LENGTH_PREFIX_LEN,
            frame_by,
            "the rest of a message",
            true,
        )?;
        let prefix: [u8; LENGTH_PREFIX_LEN] = self
            .buffer
            .first_chunk::<LENGTH_PREFIX_LEN>()
            .copied()
            .ok_or(Error::Unexpected("the prefix was read"))?;
        let len = decode_frame_len(prefix, self.max_frame, self.peer)?;
        // Grows only up to the announced length, itself within the limit.
        if self.buffer.len() < len {
            self.buffer.resize(len, 0);
        }
        self.read_exact_by(0..len, frame_by, "the rest of a message", true)?;
        let body = self
            .buffer
            .get(..len)
            .ok_or(Error::Unexpected("the frame was read"))?;
        decode_frame(body, self.peer)
    }

    /// Receives the next frame and requires a protocol message.
    ///
    /// # Errors
    /// As [`FrameReader::receive`]; [`Error::PeerRefused`] for a refusal;
    /// [`Error::BadFrame`] for any other signal.
    pub fn receive_message(&mut self, wait: Duration) -> Result<&[u8], Error> {
        let peer = self.peer;
        match self.receive(wait)? {
            Frame::Message(m) => Ok(m),
            Frame::Refused(refusal) => Err(Error::PeerRefused { peer, refusal }),
            Frame::End => Err(Error::PeerClosed {
                peer,
                mid_frame: false,
            }),
            Frame::Accepted => Err(Error::BadFrame {
                peer,
                detail: "an acceptance where a message was due",
            }),
        }
    }

    /// The other side's address.
    #[must_use]
    pub const fn peer(&self) -> SocketAddr {
        self.peer
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn is_closed(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

/// A listener's count of open connections; a [`Slot`] is one of them.
#[derive(Debug)]
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP listener that holds at most `limit` connections at once.
#[derive(Debug)]
pub struct Listener {
    inner: TcpListener,
    local: SocketAddr,
    limit: usize,
    open: Arc<AtomicUsize>,
    timeouts: Timeouts,
}

/// A connection just accepted, its preamble not yet read.
#[derive(Debug)]
pub struct Incoming {
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    timeouts: Timeouts,
}

impl Listener {
    /// Listens on `addr` for at most `limit` (at least 1) connections at
    /// once.
    ///
    /// # Errors
    /// [`Error::Listen`] (the address is in use, not local, not permitted).
    pub fn bind(addr: SocketAddr, limit: usize, timeouts: Timeouts) -> Result<Self, Error> {
        let listen_error = |source| Error::Listen { addr, source };
        let inner = TcpListener::bind(addr).map_err(listen_error)?;
        let local = inner.local_addr().map_err(listen_error)?;
        inner.set_nonblocking(true).map_err(listen_error)?;
        Ok(Self {
            inner,
            local,
            limit: limit.max(1),
            open: Arc::new(AtomicUsize::new(0)),
            timeouts,
        })
    }

    /// The address bound (with the port the system chose for port 0).
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How many accepted connections are open now.
    #[must_use]
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Waits up to `wait` for a connection. One beyond the limit is sent
    /// [`Refusal::AtCapacity`] and closed, and the wait goes on. `Ok(None)`
    /// when the time ran out.
    ///
    /// # Errors
    /// [`Error::Listen`] when accepting fails for a reason other than a
    /// connection that vanished before it was accepted.
    pub fn accept_within(&self, wait: Duration) -> Result<Option<Incoming>, Error> {
        let deadline = Instant::now() + wait;
        loop {
            match self.inner.accept() {
                Ok((stream, peer)) => {
                    if let Some(incoming) = self.admit(stream, peer)? {
                        return Ok(Some(incoming));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    std::thread::sleep(
                        deadline
                            .saturating_duration_since(now)
                            .min(Duration::from_millis(20)),
                    );
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted
                            | ErrorKind::ConnectionAborted
                            | ErrorKind::ConnectionReset
                    ) => {}
                // Out of descriptors or buffers for now: connections ending
                // give them back, so wait instead of ending the listener.
                Err(e) if is_exhausted(&e) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    std::thread::sleep(
                        deadline
                            .saturating_duration_since(now)
                            .min(Duration::from_millis(50)),
                    );
                }
                Err(source) => {
                    return Err(Error::Listen {
                        addr: self.local,
                        source,
                    });
                }
            }
        }
    }

    fn admit(&self, stream: TcpStream, peer: SocketAddr) -> Result<Option<Incoming>, Error> {
        let listen_error = |source| Error::Listen {
            addr: self.local,
            source,
        };
        stream.set_nonblocking(false).map_err(listen_error)?;
        let taken = self.open.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(Arc::clone(&self.open));
        if taken >= self.limit {
            // Best effort: the refusal is a courtesy to a well-behaved peer.
            if let Ok(mut connection) = Connection::from_stream(stream, peer, self.timeouts, None) {
                connection
                    .writer
                    .stream
                    .set_write_timeout(Some(Duration::from_millis(200)))
                    .ok();
                let _ = connection.send(&Frame::Refused(Refusal::AtCapacity));
                connection.close();
            }
            drop(slot);
            return Ok(None);
        }
        Ok(Some(Incoming {
            stream,
            peer,
            slot,
            timeouts: self.timeouts,
        }))
    }
}

/// Whether accepting failed for want of descriptors or memory (transient).
fn is_exhausted(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    Errno::from_io_error(e).is_some_and(|errno| {
        matches!(
            errno,
            Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM
        )
    })
}

impl Incoming {
    /// The other side's address.
    #[must_use]
    pub const fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// A handle that can close this connection from another thread, even
    /// while its preamble is awaited.
    ///
    /// # Errors
    /// [`Error::Network`] when the socket cannot be duplicated.
    pub fn closer(&self) -> Result<Closer, Error> {
        self.stream
            .try_clone()
            .map(Closer)
            .map_err(|e| network("configure", self.peer, e))
    }

    /// Reads the preamble within [`Timeouts::read`]; returns the connection
    /// and the exchange it names.
    ///
    /// # Errors
    /// [`Error::BadPreamble`] for wrong magic, an unknown version or an
    /// unknown exchange; [`Error::TimedOut`]; [`Error::PeerClosed`].
    pub fn open(self) -> Result<(Connection, Exchange), Error> {
        let peer = self.peer;
        let mut connection =
            Connection::from_stream(self.stream, peer, self.timeouts, Some(self.slot))?;
        let reader = &mut connection.reader;
        reader.buffer.resize(PREAMBLE_LEN, 0);
        let deadline = Instant::now() + reader.read_timeout;
        reader.read_exact_by(0..PREAMBLE_LEN, deadline, "the preamble", false)?;
        let preamble: [u8; PREAMBLE_LEN] = reader
            .buffer
            .first_chunk::<PREAMBLE_LEN>()
            .copied()
            .ok_or(Error::Unexpected("the preamble was read"))?;
        let exchange = decode_preamble(preamble, peer)?;
        Ok((connection, exchange))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn quick() -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(500),
            read: Duration::from_millis(300),
            idle: Duration::from_millis(300),
        }
    }

    fn listener(limit: usize) -> Listener {
        Listener::bind("127.0.0.1:0".parse().unwrap(), limit, quick()).unwrap()
    }

    fn accept(listener: &Listener) -> Incoming {
        listener
            .accept_within(Duration::from_secs(2))
            .unwrap()
            .expect("a connection")
    }

    #[test]
    fn the_byte_level_decoder_reads_what_the_writer_writes() {
        let peer: SocketAddr = "192.0.2.1:1".parse().unwrap();
        for exchange in Exchange::ALL {
            assert_eq!(
                decode_preamble(encode_preamble(exchange), peer).unwrap(),
                exchange
            );
        }
        let frames = [
            Frame::Message(b"hello"),
            Frame::Message(&[]),
            Frame::End,
            Frame::Accepted,
            Frame::Refused(Refusal::LockedOut { remaining: 7 }),
            Frame::Refused(Refusal::IdentityMismatch),
        ];
        for frame in frames {
            let wire = encode_frame(&frame).unwrap();
            let (prefix, body) = wire.split_first_chunk::<LENGTH_PREFIX_LEN>().unwrap();
            assert_eq!(
                decode_frame_len(*prefix, MAX_FRAME_LEN, peer).unwrap(),
                body.len()
            );
            assert_eq!(decode_frame(body, peer).unwrap(), frame);
        }
        assert!(matches!(
            decode_frame_len([0, 9], 8, peer),
            Err(Error::FrameTooLarge { len: 9, max: 8 })
        ));
        assert!(matches!(
            decode_frame_len([0, 0], 8, peer),
            Err(Error::BadFrame { .. })
        ));
        assert!(matches!(
            decode_frame(&[], peer),
            Err(Error::BadFrame { .. })
        ));
        assert!(matches!(
            encode_frame(&Frame::Message(&[0; MAX_FRAME_LEN])),
            Err(Error::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn frames_round_trip() {
        let l = listener(4);
        let addr = l.local_addr();
        let client = std::thread::spawn(move || {
            let mut c = Connection::connect(addr, Exchange::PinPairing, quick()).unwrap();
            c.send_message(b"hello").unwrap();
            c.send(&Frame::Refused(Refusal::LockedOut { remaining: 42 }))
                .unwrap();
            c.send(&Frame::Accepted).unwrap();
            c.send(&Frame::End).unwrap();
            c.send_message(&[]).unwrap();
            assert_eq!(c.receive_message().unwrap(), b"back");
        });
        let (mut s, exchange) = accept(&l).open().unwrap();
        assert_eq!(exchange, Exchange::PinPairing);
        assert_eq!(s.receive().unwrap(), Frame::Message(b"hello"));
        assert_eq!(
            s.receive().unwrap(),
            Frame::Refused(Refusal::LockedOut { remaining: 42 })
        );
        assert_eq!(s.receive().unwrap(), Frame::Accepted);
        assert_eq!(s.receive().unwrap(), Frame::End);
        assert_eq!(s.receive().unwrap(), Frame::Message(b""));
        s.send_message(b"back").unwrap();
        client.join().unwrap();
    }

    #[test]
    fn every_refusal_round_trips() {
        for code in 0..=255u8 {
            if let Some(r) = Refusal::from_wire(code, 7) {
                assert_eq!(r.code(), code);
                assert_eq!(Refusal::from_wire(r.code(), r.detail()), Some(r));
            }
        }
    }

    fn raw_client(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(bytes).unwrap();
        s
    }

    #[test]
    fn garbage_instead_of_a_preamble_is_refused() {
        let l = listener(4);
        let cases: [(&[u8], &str); 3] = [
            (b"GET / HTTP/1.1\r\n\r\n", "not a HoneyLink connection"),
            (b"HLNK\x09\x01", "an unknown protocol version"),
            (b"HLNK\x01\x63", "an unknown exchange"),
        ];
        for (bytes, expected) in cases {
            let _c = raw_client(l.local_addr(), bytes);
            let err = accept(&l).open().unwrap_err();
            assert!(
                matches!(err, Error::BadPreamble { detail, .. } if detail == expected),
                "{expected}: {err:?}"
            );
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_prefix() {
        let l = listener(4);
        // Announces 60000 bytes and sends none: refused at once, not after
        // a timeout, and nothing was allocated for it.
        let _c = raw_client(l.local_addr(), b"HLNK\x01\x01\xea\x60");
        let (mut s, _) = accept(&l).open().unwrap();
        s.limit_frames(1024);
        let err = s.receive().unwrap_err();
        assert!(
            matches!(
                err,
                Error::FrameTooLarge {
                    len: 60000,
                    max: 1024
                }
            ),
            "{err:?}"
        );
        assert!(s.reader.buffer.capacity() < 1024);
    }

    #[test]
    fn garbage_frames_are_refused() {
        for (bytes, detail) in [
            (&b"\x00\x00"[..], "an empty frame"),
            (b"\x00\x01\x09", "a frame of unknown kind"),
            (b"\x00\x02\x02\x00", "a signal frame with a body"),
            (b"\x00\x02\x04\x01", "a refusal of the wrong length"),
            (
                b"\x00\x0a\x04\xee\x00\x00\x00\x00\x00\x00\x00\x00",
                "a refusal with an unknown reason",
            ),
        ] {
            let l = listener(4);
            let mut all = b"HLNK\x01\x01".to_vec();
            all.extend_from_slice(bytes);
            let _c = raw_client(l.local_addr(), &all);
            let (mut s, _) = accept(&l).open().unwrap();
            let err = s.receive().unwrap_err();
            assert!(
                matches!(&err, Error::BadFrame { detail: d, .. } if *d == detail),
                "{err:?}"
            );
        }
    }

    #[test]
    fn a_stalled_peer_times_out() {
        let l = listener(4);
        // Silent after connecting: the preamble times out.
        let _c = TcpStream::connect(l.local_addr()).unwrap();
        let started = Instant::now();
        let err = accept(&l).open().unwrap_err();
        assert!(
            matches!(
                err,
                Error::TimedOut {
                    waiting_for: "the preamble",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        // A frame begun and left unfinished: times out within `read`, even
        // though bytes trickle in.
        let mut c = raw_client(l.local_addr(), b"HLNK\x01\x01\x00\x10\x01");
        let (mut s, _) = accept(&l).open().unwrap();
        let trickle = std::thread::spawn(move || {
            for _ in 0..8 {
                std::thread::sleep(Duration::from_millis(100));
                if c.write_all(b"x").is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let err = s.receive_within(Duration::from_secs(5)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TimedOut {
                    waiting_for: "the rest of a message",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(900));
        trickle.join().unwrap();
    }

    #[test]
    fn a_vanishing_peer_is_reported_as_closed() {
        let l = listener(4);
        let c = raw_client(l.local_addr(), b"HLNK\x01\x02\x00\x10\x01abc");
        let (mut s, exchange) = accept(&l).open().unwrap();
        assert_eq!(exchange, Exchange::QrPairing);
        drop(c);
        let err = s.receive().unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerClosed {
                    mid_frame: true,
                    ..
                }
            ),
            "{err:?}"
        );
        let c = raw_client(l.local_addr(), b"HLNK\x01\x02");
        let (mut s, _) = accept(&l).open().unwrap();
        drop(c);
        let err = s.receive().unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerClosed {
                    mid_frame: false,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_listener_refuses_connections_beyond_its_limit() {
        let l = listener(1);
        let addr = l.local_addr();
        let first = Connection::connect(addr, Exchange::Session, quick()).unwrap();
        let held = accept(&l);
        assert_eq!(l.open_connections(), 1);
        let mut second = Connection::connect(addr, Exchange::Session, quick()).unwrap();
        assert!(
            l.accept_within(Duration::from_millis(200))
                .unwrap()
                .is_none()
        );
        let err = second.receive_message().unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerRefused {
                    refusal: Refusal::AtCapacity,
                    ..
                }
            ),
            "{err:?}"
        );
        drop(held);
        drop(first);
        assert_eq!(l.open_connections(), 0);
        let _third = Connection::connect(addr, Exchange::Session, quick()).unwrap();
        assert!(l.accept_within(Duration::from_secs(1)).unwrap().is_some());
    }

    #[test]
    fn connecting_to_a_closed_port_is_a_network_error() {
        let l = listener(1);
        let addr = l.local_addr();
        drop(l);
        let err = Connection::connect(addr, Exchange::Session, quick()).unwrap_err();
        assert!(matches!(err, Error::Network { .. }), "{err:?}");
    }

    #[test]
    fn timeouts_come_from_the_environment_or_default() {
        assert_eq!(env_millis("HONEYLINK_TEST_UNSET_VARIABLE").unwrap(), None);
    }
}
