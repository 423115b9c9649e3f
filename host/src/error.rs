//! The host's one error type.
//!
//! Every variant that concerns a file names it, and where a person can fix
//! the cause, the message says how (the command to run).

use std::fmt;
use std::path::PathBuf;

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

    // --- Records: trusted peers, audit log, metrics, PIN guard state. ---
    /// No trusted or blocked peer matches a lookup.
    PeerNotFound {
        /// What was looked up (an id prefix or a name).
        query: String,
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
    /// A new audit chain was asked for where one exists.
    AuditExists {
        /// The log.
        path: PathBuf,
    },
    /// An audit log that was pruned can be verified only from a signing key
    /// (the first record and its hash are gone).
    AuditPruned {
        /// The file that records where the kept chain starts.
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

    /// A file whose contents are wrong, with what is wrong.
    pub fn corrupt(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.into(),
            detail: detail.into(),
        }
    }
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
            Self::PeerNotFound { query } => write!(
                f,
                "no paired or blocked device matches '{query}'; list them with: honeylink peers"
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
            Self::AuditExists { path } => {
                write!(f, "{} already holds an audit chain", path.display())
            }
            Self::AuditPruned { path } => write!(
                f,
                "the audit log was pruned (see {}); verify it against the device's signing key",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Core(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Output(e) => Some(e),
            _ => None,
        }
    }
}

impl From<honeylink_core::Error> for Error {
    fn from(e: honeylink_core::Error) -> Self {
        Self::Core(e)
    }
}
