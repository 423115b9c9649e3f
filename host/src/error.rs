//! The host's one error type.
//!
//! Every variant that concerns a file names it, and where a person can fix
//! the cause, the message says how (the command to run).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::keys::{KeyFileProblem, Location, SecretEntry};
use crate::transport::Refusal;

/// Every way a host operation can fail.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The core refused something; its error says what.
    Core(honeylink_core::Error),
    /// An operating-system call on `path` failed.
    Io {
        /// What was being done ("open", "rename", ...).
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An output file the person named (a code image, an NFC record)
    /// already exists, or is a symbolic link: it is never written through
    /// or over, since it would carry a one-time pairing secret.
    OutputExists {
        /// The path named.
        path: PathBuf,
    },
    /// Writing the command's output failed.
    Output(std::io::Error),
    /// A private file or directory can be read or written by others.
    TooOpen {
        /// The file or directory concerned.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// Whether it is a directory (the fix differs).
        is_dir: bool,
    },
    /// A directory above the home can be changed by another user (owned
    /// by someone other than root or you, or writable by group or others
    /// without the sticky bit).
    UnsafeParent {
        /// The directory.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
        /// Its mode bits.
        mode: u32,
    },
    /// A private file or directory belongs to another user.
    NotOwned {
        /// The file or directory concerned.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
        /// The user id of this process.
        user: u32,
    },
    /// A private file or directory is a symbolic link.
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A regular file was expected and something else is there.
    NotAFile {
        /// The path concerned.
        path: PathBuf,
    },
    /// A directory was expected and something else is there.
    NotADirectory {
        /// The path concerned.
        path: PathBuf,
    },
    /// A file is larger than anything HoneyLink writes there.
    TooLarge {
        /// The file concerned.
        path: PathBuf,
        /// The largest size accepted, in bytes.
        limit: u64,
    },
    /// A file's contents do not parse or fail a check.
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// No home directory: neither `HONEYLINK_HOME` nor `HOME` is set.
    NoHome,
    /// The system clock reads before 1970.
    Clock,
    /// A step of the demo did not end as the protocol promises.
    Unexpected(&'static str),

    // ---- Key storage, configuration and identity (keys/, config, identity) ----
    /// A key file is not a key HoneyLink accepts; `problem` says which check
    /// failed. The file is left as it is.
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: KeyFileProblem,
    },
    /// A key file is encrypted and `HONEYLINK_PASSPHRASE` is not set.
    PassphraseRequired {
        /// The encrypted key file.
        path: PathBuf,
    },
    /// The passphrase does not decrypt the key file (or the file is damaged:
    /// PKCS#8 encryption carries no integrity check to tell the two apart).
    WrongPassphrase {
        /// The encrypted key file.
        path: PathBuf,
    },
    /// `storage = "keychain"` and no usable OS keychain is reachable, or the
    /// keys are recorded as kept in a keychain that is not reachable now.
    KeychainUnavailable {
        /// Why the keychain is not usable.
        reason: String,
    },
    /// A keychain call failed after the keychain was found usable.
    Keychain {
        /// What was being done ("read", "write", "delete").
        op: &'static str,
        /// The entry concerned.
        entry: SecretEntry,
        /// The keychain's error.
        detail: String,
    },
    /// A keychain entry holds something HoneyLink never writes there.
    KeychainCorrupt {
        /// The entry concerned.
        entry: SecretEntry,
        /// What is wrong with it.
        detail: String,
    },
    /// The keychain and the key file both hold this key and they differ.
    /// Nothing is chosen silently: one of them must be removed by hand.
    KeyMismatch {
        /// The key concerned.
        entry: SecretEntry,
        /// The key file.
        path: PathBuf,
    },
    /// `identity.json` says the secrets are in the OS keychain, but this
    /// command would use key files and a file audit head instead; refused,
    /// never downgraded.
    KeychainRequired {
        /// `identity.json`.
        path: PathBuf,
        /// Why no keychain is in use.
        why: &'static str,
    },
    /// A key copied into the keychain read back different; the file copy
    /// was kept and nothing else changed.
    KeychainReadBack {
        /// The key concerned.
        entry: SecretEntry,
    },
    /// A secret given to the store has the wrong length for its entry.
    SecretLength {
        /// The entry concerned.
        entry: SecretEntry,
        /// The length the entry holds.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// Storing a key that is already stored (use replace).
    KeyExists {
        /// The key concerned.
        entry: SecretEntry,
        /// Where it already is.
        location: Location,
    },
    /// `identity.json` records a key that no storage holds.
    KeyMissing {
        /// The key concerned.
        entry: SecretEntry,
        /// Where `identity.json` says it is kept.
        location: Location,
    },
    /// A stored secret key's public half differs from `identity.json`.
    PublicKeyMismatch {
        /// The key concerned.
        entry: SecretEntry,
        /// `identity.json`.
        path: PathBuf,
    },
    /// No identity yet: `identity.json` does not exist.
    NoIdentity {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Creating an identity where one already exists.
    IdentityExists {
        /// The existing `identity.json`.
        path: PathBuf,
    },
    /// Key material exists (key files or keychain entries) but no
    /// `identity.json` says whose it is; refusing to create a new identity
    /// over it.
    OrphanKey {
        /// The key found.
        entry: SecretEntry,
        /// Where it was found.
        location: Location,
    },
    // --- Records: trusted peers, audit log, metrics, PIN guard state. ---
    /// No trusted or blocked peer matches a lookup.
    PeerNotFound {
        /// What was looked up (an id prefix or a name).
        query: String,
    },
    /// `connect NAME` named a paired device whose address is not known
    /// (never reached by an address from this device).
    NoPeerAddress {
        /// The device, as `name (short id)`.
        peer: String,
    },
    /// A session reached a device other than the one named (`connect
    /// NAME`): the address now answers for another paired device.
    UnexpectedPeer {
        /// The device named.
        expected: honeylink_core::identity::DeviceId,
        /// The device that answered.
        found: honeylink_core::identity::DeviceId,
    },
    /// Several peers match a lookup; none was chosen.
    AmbiguousPeer {
        /// What was looked up.
        query: String,
        /// The matching peers, as `id (name)`.
        matches: Vec<String>,
    },
    /// The audit chain does not verify: a record was edited, removed,
    /// reordered, inserted, or the tail was cut.
    AuditRejected {
        /// The log segment holding the first bad record (the active log when
        /// the chain ends too early).
        path: PathBuf,
        /// Its line number in that file, from 1.
        line: u64,
        /// The core's verdict.
        rejection: honeylink_core::audit::Rejection,
    },
    /// An audit line's readable fields do not say what its signed record
    /// says: the line was edited.
    AuditLineMismatch {
        /// The log segment.
        path: PathBuf,
        /// The line number, from 1.
        line: u64,
    },
    /// An audit line is longer than any line HoneyLink writes.
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line number, from 1 (0: found reading the file's end, where
        /// appends look, without counting lines).
        line: u64,
        /// The longest line accepted, in bytes.
        limit: usize,
    },
    /// The audit log has records but no chain head is kept, so a cut tail
    /// could not be detected; nothing is appended until it is resolved.
    AuditHeadMissing {
        /// The log.
        path: PathBuf,
    },
    /// The audit log's last records are not the chain head kept outside it
    /// (its tail was cut, or the head is from another log); nothing is
    /// appended.
    AuditHeadMismatch {
        /// The log.
        path: PathBuf,
        /// The kept head's sequence number.
        head_seq: u64,
        /// The last record's sequence number in the log, if any.
        last_seq: Option<u64>,
    },
    /// No audit chain was started in this home (no records, no head).
    AuditNotStarted {
        /// The log.
        path: PathBuf,
    },
    /// `identity.json` records that this identity's audit chain was
    /// started, but the log and its head are gone; a new chain is not
    /// started over it.
    AuditChainLost {
        /// The log.
        path: PathBuf,
    },
    /// A new audit chain was asked for where one exists.
    AuditExists {
        /// The log.
        path: PathBuf,
    },
    /// The audit chain would be verified from a start (prune cut) other
    /// than the one kept with its head: the front of the log was removed,
    /// or `audit.pruned` was forged.
    AuditCutMismatch {
        /// The log.
        path: PathBuf,
        /// The first kept record as the head store says (`None`: never
        /// pruned).
        kept: Option<u64>,
        /// The first record the anchor in use starts at (`None`: genesis).
        found: Option<u64>,
    },
    /// An audit log that was pruned can be verified only from a signing key
    /// (the first record and its hash are gone).
    AuditPruned {
        /// The file that records where the kept chain starts.
        path: PathBuf,
    },
    // --- Transport: TCP connections and frames. ---
    /// A socket call to or from `peer` failed (refused, reset, unreachable).
    Network {
        /// What was being done ("connect to", "send to", ...).
        op: &'static str,
        /// The other side.
        peer: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Listening on `addr` failed (in use, not a local address, not
    /// permitted).
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An address does not resolve.
    BadAddress {
        /// The address as given.
        addr: String,
        /// Why it does not resolve.
        detail: String,
    },
    /// The peer closed the connection.
    PeerClosed {
        /// The other side.
        peer: SocketAddr,
        /// Whether it vanished in the middle of a frame.
        mid_frame: bool,
    },
    /// The peer did not send (or read) in time.
    TimedOut {
        /// What was awaited.
        waiting_for: &'static str,
        /// The other side.
        peer: SocketAddr,
        /// The limit that ran out.
        after: Duration,
    },
    /// A frame announced more bytes than this connection accepts; nothing
    /// was read or allocated for it.
    FrameTooLarge {
        /// The announced length.
        len: usize,
        /// The largest accepted.
        max: usize,
    },
    /// The connection did not start with a HoneyLink preamble this version
    /// reads.
    BadPreamble {
        /// The other side.
        peer: SocketAddr,
        /// What is wrong with it.
        detail: &'static str,
    },
    /// A frame that is not one HoneyLink sends.
    BadFrame {
        /// The other side.
        peer: SocketAddr,
        /// What is wrong with it.
        detail: &'static str,
    },
    /// The peer refused to go on and said why.
    PeerRefused {
        /// The other side.
        peer: SocketAddr,
        /// Its reason.
        refusal: Refusal,
    },
    /// An environment variable holds something HoneyLink cannot use.
    BadSetting {
        /// The variable.
        name: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
    /// This device refused a session with a peer (trust decided so, or the
    /// person chose to block a changed key).
    SessionRefused {
        /// The peer's id.
        peer: honeylink_core::identity::DeviceId,
        /// Why.
        reason: honeylink_core::trust::RefusalReason,
    },

    // --- The command line: what a person answered or typed. ---
    /// The person declined (or `--on-key-change` chose to refuse).
    Declined {
        /// What was declined.
        what: &'static str,
    },
    /// A question needs an answer and there is no terminal to ask on.
    NeedsConfirmation {
        /// What needed confirming.
        what: &'static str,
    },
    /// A command line that parses but cannot be carried out as given.
    Usage(String),

    // ---- The device (device.rs, rotation.rs) ----
    /// The audit chain verifies but is not this device's: it belongs to
    /// another device id, or its current signing key is not the one in
    /// `identity.json`.
    AuditNotThisDevice {
        /// The audit log.
        path: PathBuf,
        /// What differs.
        detail: &'static str,
    },
    /// `identity.json` changed since this device was opened (another
    /// process rotated or destroyed the identity); nothing was changed.
    IdentityChanged {
        /// `identity.json`.
        path: PathBuf,
    },
}

impl Error {
    /// An operating-system failure of `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// A file whose contents are wrong, with what is wrong (control
    /// characters escaped: the detail may quote the file).
    pub fn corrupt(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.into(),
            detail: escape(&detail.into()),
        }
    }
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), so that
/// text read from a file and shown in an error cannot move the cursor,
/// recolour the terminal or forge a line. Everything else is kept.
#[must_use]
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Core(e) => write!(f, "{e}"),
            Self::Io { op, path, source } => {
                write!(f, "cannot {op} {}: {source}", path.display())
            }
            Self::Output(e) => write!(f, "cannot write output: {e}"),
            Self::TooOpen { path, mode, is_dir } => {
                let (want, kind) = if *is_dir { (700, "directory") } else { (600, "file") };
                write!(
                    f,
                    "{} is accessible by other users (mode {:03o}); this private {kind} must be \
                     readable only by you; fix with: chmod {want} '{}'",
                    path.display(),
                    mode & 0o777,
                    path.display()
                )
            }
            Self::UnsafeParent { path, owner, mode } => write!(
                f,
                "{} (above the HoneyLink home) can be changed by other users (owner user id \
                 {owner}, mode {:04o}): they could replace the home; fix with: chmod go-w '{}' \
                 (and make it yours or root's), or set HONEYLINK_HOME to a home under a safe \
                 directory",
                path.display(),
                mode & 0o7777,
                path.display()
            ),
            Self::NotOwned { path, owner, user } => write!(
                f,
                "{} belongs to user id {owner}, not to you (user id {user}); refusing to use it; \
                 fix with: sudo chown {user} '{}'",
                path.display(),
                path.display()
            ),
            Self::Symlink { path } => write!(
                f,
                "{} is a symbolic link; HoneyLink refuses links for private files; replace it \
                 with the file itself",
                path.display()
            ),
            Self::NotAFile { path } => write!(
                f,
                "{} is not a regular file; move whatever is there out of the way",
                path.display()
            ),
            Self::NotADirectory { path } => write!(
                f,
                "{} is not a directory; move whatever is there out of the way",
                path.display()
            ),
            Self::TooLarge { path, limit } => write!(
                f,
                "{} is larger than {limit} bytes, more than HoneyLink ever writes there; it was \
                 left as it is",
                path.display()
            ),
            Self::Corrupt { path, detail } => write!(
                f,
                "{} is corrupt ({detail}); it was left as it is",
                path.display()
            ),
            Self::NoHome => f.write_str(
                "no home directory: set HONEYLINK_HOME (or HOME) to where HoneyLink keeps its files",
            ),
            Self::Clock => f.write_str("the system clock reads before 1970"),
            Self::Unexpected(what) => write!(f, "unexpected outcome: {what}"),
            Self::KeyFile { path, problem } => write!(
                f,
                "{} is not a usable key file: {problem}; it was left as it is",
                path.display()
            ),
            Self::PassphraseRequired { path } => write!(
                f,
                "{} is encrypted; set HONEYLINK_PASSPHRASE to its passphrase",
                path.display()
            ),
            Self::WrongPassphrase { path } => write!(
                f,
                "wrong passphrase for {} (HONEYLINK_PASSPHRASE), or the file is damaged; it was \
                 left as it is",
                path.display()
            ),
            Self::KeychainUnavailable { reason } => write!(
                f,
                "no usable OS keychain: {reason}; unlock or start it, or set storage = \"file\" \
                 in config.toml"
            ),
            Self::Keychain { op, entry, detail } => {
                write!(f, "cannot {op} {entry} in the OS keychain: {detail}")
            }
            Self::KeychainCorrupt { entry, detail } => write!(
                f,
                "the OS keychain's {entry} entry is corrupt ({detail}); it was left as it is"
            ),
            Self::KeyMismatch { entry, path } => write!(
                f,
                "the OS keychain and {} hold different {entry}s; HoneyLink will not choose \
                 between them: remove the wrong one by hand",
                path.display()
            ),
            Self::KeychainRequired { path, why } => write!(
                f,
                "{} says the keys and the audit head are in the OS keychain, but {why}; \
                 HoneyLink will not fall back to key files or logs/audit.head (editing files \
                 must not move them out of the keychain): unlock the OS keychain, and remove \
                 storage = \"file\" from config.toml if it is set",
                path.display()
            ),
            Self::KeychainReadBack { entry } => write!(
                f,
                "the {entry} copied into the OS keychain reads back different; the key file was \
                 kept and nothing else changed"
            ),
            Self::SecretLength {
                entry,
                expected,
                found,
            } => write!(f, "a {entry} is {expected} bytes, not {found}"),
            Self::KeyExists { entry, location } => {
                write!(f, "a {entry} is already stored in the {location}")
            }
            Self::KeyMissing { entry, location } => write!(
                f,
                "identity.json says the {entry} is kept in the {location}, and it is not there"
            ),
            Self::PublicKeyMismatch { entry, path } => write!(
                f,
                "the stored {entry} does not match the public key in {}; refusing to use either",
                path.display()
            ),
            Self::NoIdentity { path } => write!(
                f,
                "no device identity yet ({} does not exist)",
                path.display()
            ),
            Self::IdentityExists { path } => write!(
                f,
                "a device identity already exists ({}); it was left as it is",
                path.display()
            ),
            Self::OrphanKey { entry, location } => write!(
                f,
                "a {entry} is stored in the {location} but no identity.json says whose it is; \
                 refusing to create a new identity over it"
            ),
            Self::PeerNotFound { query } => write!(
                f,
                "no paired or blocked device matches '{query}'; list them with: honeylink peers"
            ),
            Self::OutputExists { path } => write!(
                f,
                "{} already exists (or is a symbolic link); it would carry the pairing secret, \
                 so HoneyLink only creates a new file: remove it or name another",
                path.display()
            ),
            Self::NoPeerAddress { peer } => write!(
                f,
                "no address is known for {peer}: connect to it once by address \
                 (honeylink connect HOST:PORT) or pair again by scanning its code"
            ),
            Self::UnexpectedPeer { expected, found } => write!(
                f,
                "the address answered as device {found}, not {expected} as named; \
                 session closed before any data"
            ),
            Self::AmbiguousPeer { query, matches } => write!(
                f,
                "'{query}' matches {} devices ({}); give more of the id",
                matches.len(),
                matches.join(", ")
            ),
            Self::AuditRejected {
                path,
                line,
                rejection,
            } => write!(
                f,
                "{} does not verify at line {line} (record {}): {:?}; it was left as it is",
                path.display(),
                rejection.index,
                rejection.reason
            ),
            Self::AuditLineMismatch { path, line } => write!(
                f,
                "{} line {line}: the readable fields differ from the signed record (the line \
                 was edited); it was left as it is",
                path.display()
            ),
            Self::LineTooLong { path, line, limit } => {
                let which = if *line == 0 {
                    "a line at the end".to_owned()
                } else {
                    format!("line {line}")
                };
                write!(
                    f,
                    "{} {which} is longer than {limit} bytes, more than HoneyLink ever writes; \
                     it was left as it is",
                    path.display()
                )
            }
            Self::AuditHeadMissing { path } => write!(
                f,
                "{} has records but its chain head is missing, so a cut tail cannot be \
                 detected; nothing was appended",
                path.display()
            ),
            Self::AuditHeadMismatch {
                path,
                head_seq,
                last_seq,
            } => {
                let last = last_seq.map_or_else(|| "none".to_owned(), |s| s.to_string());
                write!(
                    f,
                    "{} ends at record {last}, but the kept chain head is record {head_seq}: \
                     records were removed or the head belongs to another log; nothing was \
                     appended",
                    path.display()
                )
            }
            Self::AuditNotStarted { path } => {
                write!(f, "no audit chain was started in {}", path.display())
            }
            Self::AuditChainLost { path } => write!(
                f,
                "{} is gone, but identity.json records that this device's audit chain was \
                 started: the log was deleted; HoneyLink will not start a new chain for the \
                 same identity (restore the log from a backup, or destroy and re-create the \
                 device)",
                path.display()
            ),
            Self::AuditExists { path } => {
                write!(f, "{} already holds an audit chain", path.display())
            }
            Self::AuditNotThisDevice { path, detail } => write!(
                f,
                "{} verifies, but {detail}: it is not this device's log",
                path.display()
            ),
            Self::IdentityChanged { path } => write!(
                f,
                "{} changed while this command ran (another HoneyLink process rotated or \
                 destroyed the identity); nothing was changed, run the command again",
                path.display()
            ),
            Self::AuditCutMismatch { path, kept, found } => {
                let at = |s: &Option<u64>| {
                    s.map_or_else(|| "its genesis record".to_owned(), |s| format!("record {s}"))
                };
                write!(
                    f,
                    "{} would be verified from {}, but the chain head's store says the kept \
                     chain starts at {}: the front of the log was removed or logs/audit.pruned \
                     was forged; it was left as it is",
                    path.display(),
                    at(found),
                    at(kept)
                )
            }
            Self::AuditPruned { path } => write!(
                f,
                "the audit log was pruned (see {}); verify it against the device's signing key",
                path.display()
            ),
            Self::Network { op, peer, source } => write!(f, "cannot {op} {peer}: {source}"),
            Self::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::BadAddress { addr, detail } => write!(f, "cannot resolve '{addr}': {detail}"),
            Self::PeerClosed { peer, mid_frame } => {
                if *mid_frame {
                    write!(f, "{peer} closed the connection in the middle of a message")
                } else {
                    write!(f, "{peer} closed the connection")
                }
            }
            Self::TimedOut {
                waiting_for,
                peer,
                after,
            } => write!(
                f,
                "timed out after {:.1} s waiting for {waiting_for} from {peer}",
                after.as_secs_f64()
            ),
            Self::FrameTooLarge { len, max } => write!(
                f,
                "a message of {len} bytes is larger than the {max} bytes accepted here"
            ),
            Self::BadPreamble { peer, detail } => {
                write!(f, "{peer} did not open a HoneyLink exchange: {detail}")
            }
            Self::BadFrame { peer, detail } => write!(f, "{peer} sent {detail}"),
            Self::PeerRefused { peer, refusal } => write!(f, "{peer} refused: {refusal}"),
            Self::BadSetting { name, expected } => write!(f, "{name} must be {expected}"),
            Self::SessionRefused { peer, reason } => {
                use honeylink_core::trust::RefusalReason as R;
                let why = match reason {
                    R::Untrusted => "Untrusted Device: it is not paired with this device",
                    R::Blocked => "the device or its key is blocked",
                    R::KeyChanged => "the device presented a different key than the one trusted",
                    R::IdentityMismatch => "a trusted key was presented under another device id",
                };
                write!(f, "refused the session with {peer}: {why}")
            }
            Self::Declined { what } => write!(f, "{what}: declined"),
            Self::NeedsConfirmation { what } => write!(
                f,
                "{what} needs confirmation and there is no terminal to ask on; pass --yes to \
                 confirm"
            ),
            Self::Usage(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Core(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Output(e) => Some(e),
            Self::Network { source, .. } | Self::Listen { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<honeylink_core::Error> for Error {
    fn from(e: honeylink_core::Error) -> Self {
        Self::Core(e)
    }
}
