//! `honeylink-host`: everything a HoneyLink device keeps between two runs.
//!
//! This crate is the storage layer under the `honeylink` command: the home
//! directory and its file rules ([`home`]), and, built on them, the device's
//! keys, trusted peers, signed audit log and metrics. It holds no protocol
//! logic: every cryptographic decision is `honeylink-core`'s; this crate
//! stores bytes, checks who may read them, and hands them back.
//!
//! # File rules
//!
//! Every file under the home is private to the user who owns it, as OpenSSH
//! insists for private keys: directories are created `0700`, files `0600`
//! (the mode is set exactly on the open handle, so a restrictive umask cannot
//! leave a file unreadable to its owner), and a file or directory that is
//! group- or world-accessible, owned by someone else, or a symbolic link is
//! refused before a byte is read from it or written over it. Every change is
//! written to a temporary file in the same directory, flushed, renamed over
//! the old file and the directory flushed, so a crash leaves the old file or
//! the new one, never a mix. Changes that read, modify and write take an
//! exclusive lock on the home ([`home::Home::lock`]).
//!
//! # Example
//!
//! ```
//! use honeylink_host::home::Home;
//!
//! # fn main() -> Result<(), honeylink_host::Error> {
//! let dir = tempfile::tempdir().map_err(|e| honeylink_host::Error::io("tempdir", std::env::temp_dir(), e))?;
//! let home = Home::create(dir.path().join("home"))?;
//! let _lock = home.lock()?;
//! home.write_private(&home.config_path(), b"storage = \"file\"\n")?;
//! assert_eq!(home.read_private(&home.config_path(), 1024)?, b"storage = \"file\"\n");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod clock;
mod error;
pub mod home;

pub use error::Error;

// ---- Key storage, configuration and identity ----
pub mod config;
pub mod identity;
pub mod keys;

// --- Records: trusted peers, audit log, metrics, PIN guard state. ---
pub mod audit_log;
pub mod metrics;
pub mod peers;
pub mod pin_state;

// --- Transport: framed TCP connections for pairing and sessions. ---
pub mod transport;
// --- The device: every change with its audit record; rotation; destruction. ---
pub mod device;
pub mod rotation;
