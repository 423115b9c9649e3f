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
