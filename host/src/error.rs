//! The host's one error type.
//!
//! Every variant that concerns a file names it, and where a person can fix
//! the cause, the message says how (the command to run).

use std::fmt;
use std::path::PathBuf;

use crate::keys::{KeyFileProblem, Location, SecretEntry};

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
