//! The signed audit log, `logs/audit.log` (spec 11.1), and its retention
//! (spec 11.2).
//!
//! # Format
//!
//! JSON Lines. Each line carries the core's signed record bytes (base64)
//! beside readable fields that say the same thing:
//!
//! ```json
//! {"event":"paired","fields":{"fingerprint":"ABCDE-...","method":"qr","peer":"0f1e..."},"record":"<base64>","seq":7,"time":"2026-03-01T12:00:00Z"}
//! ```
//!
//! Verification runs the core's [`ChainVerifier`] over the record bytes and
//! then renders the line again from the decoded record: the line must be
//! exactly those bytes. So an edit is caught whether it touches the record
//! (a signature or chain failure, [`Error::AuditRejected`]) or only the
//! readable fields ([`Error::AuditLineMismatch`]). Lines are read with a
//! bounded reader, one at a time: a line over [`MAX_LINE_LEN`] bytes is
//! [`Error::LineTooLong`], never read whole.
//!
//! # The head, and crashes
//!
//! The chain's head (last sequence number and hash) is kept outside the log
//! by a [`HeadStore`] ([`FileHeadStore`]: `logs/audit.head`; a keychain
//! store elsewhere), so a cut tail is caught ([`Error::AuditHeadMismatch`],
//! or the core's `Truncated` verdict). An append, under the home's lock,
//! writes the whole line with one `write` to a file opened with `O_APPEND`,
//! flushes it (`fsync`), and only then stores the new head. A crash
//! therefore leaves one of:
//!
//! - no new line, or a torn one (no final newline): the head is the last
//!   complete line. Verification reports the torn line
//!   ([`Verified::interrupted_append`]) and leaves it; the next append (or
//!   [`AuditLog::recover`]) cuts the torn bytes, which never formed a record
//!   anyone was told about. A cut that reaches a record the head names is
//!   still caught: the head's record is missing.
//! - the new line complete, the head one behind: the next append (or
//!   `recover`) rolls the head forward after checking, with the core's
//!   verifier, that the line follows the head's record and is signed by the
//!   chain's key. That is safe: the head only ever moves over a record that
//!   is present, linked and signed, the very record the interrupted append
//!   wrote; it can never move back, so it cannot hide a removal.
//!
//! Verification ([`AuditLog::verify`]) changes nothing: it accepts the head
//! equal to the last record or one behind it (the crash case above, for the
//! same reason), and refuses a head further behind
//! ([`Error::AuditHeadMismatch`]), since records beyond it would be
//! unprotected against truncation.
//!
//! # Refusal flood control
//!
//! Refused sessions pass through the core's [`RefusalLimiter`], kept in
//! memory by the [`AuditLog`] value and not persisted. Refusals come from the
//! one long-running listener, whose limiter lives as long as it does; a new
//! process starts a new window, so each restart adds at most one window's
//! budget, and restarts are not something a remote peer can cause. Call
//! [`AuditLog::finish_refusals`] before exiting so counted refusals are
//! written as a summary.
//!
//! # Retention
//!
//! The active file is `logs/audit.log`. Once it reaches
//! [`Retention::segment_bytes`] it is renamed to
//! `logs/audit.<first sequence number, 20 digits>.log`. [`AuditLog::prune`]
//! verifies the whole chain, then deletes closed segments oldest first while
//! the oldest's last record is older than [`Retention::max_age_secs`] or the
//! segments and the active log together exceed
//! [`Retention::max_total_bytes`]. Before deleting it records where the kept
//! chain starts (a [`Cut`]: sequence number, the previous record's hash, the
//! key that signs it) with the head in the [`HeadStore`], then as a readable
//! note in `logs/audit.pruned`. Verification starts from the head store's
//! cut with the core's [`Anchor::Continuation`], never from a file: with the
//! head in the keychain, deleting the front of the log and writing a
//! matching `audit.pruned` is caught ([`Error::AuditCutMismatch`]), and so is
//! a continuation anchor when the head store says nothing was pruned. With
//! the head in `logs/audit.head` (keys in files) the cut is there too, which
//! protects nothing against an attacker who can write the home: that
//! attacker can read the signing key anyway.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use honeylink_core::audit::{
    Admission, Anchor, AuditWriter, ChainHead, ChainVerifier, Event, MAX_RECORD_LEN,
    PairingFailure, Record, RefusalLimiter, Rejection, RotationKind,
};
use honeylink_core::crypto::ed25519::{SigningKey, VerifyingKey};
use honeylink_core::crypto::hash::HASH_LEN;
use honeylink_core::identity::{DeviceId, Fingerprint};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{KeyChangeAction, RefusalReason};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Error;
use crate::clock::format_rfc3339;
use crate::home::{Home, HomeLock, sync_dir};

/// The longest audit line accepted, newline excluded. The longest line
/// HoneyLink writes is under 900 bytes (see the tests).
pub const MAX_LINE_LEN: usize = 2048;
/// Version of `audit.head` and `audit.pruned`.
pub const STATE_FILE_VERSION: u32 = 1;
const MAX_STATE_FILE_LEN: u64 = 4096;

/// How long the audit log is kept (spec 11.2: 13 months, 500 MB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Closed segments whose newest record is older than this are pruned.
    pub max_age_secs: u64,
    /// Closed segments are pruned, oldest first, while all segments and the
    /// active log together are larger than this.
    pub max_total_bytes: u64,
    /// The active log is closed as a segment once it reaches this size.
    pub segment_bytes: u64,
}

impl Default for Retention {
    /// 13 months (of 30.44 days, rounded up to 396 days), 500 MB, segments
    /// of 16 MiB.
    fn default() -> Self {
        Self {
            max_age_secs: 396 * 86_400,
            max_total_bytes: 500_000_000,
            segment_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Where the kept chain starts after pruning, as the [`HeadStore`] keeps
/// it: the first kept record's sequence number (at least 1), the hash of
/// the record before it, and the key that signs it.
///
/// Kept beside the head, so that an attacker who can write the log's files
/// but not the head store cannot move the start of the chain: verification
/// starts from this cut and from nothing a file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The first kept record's sequence number.
    pub seq: u64,
    /// SHA-512 of the last removed record's signed bytes.
    pub prev_hash: [u8; HASH_LEN],
    /// The Ed25519 key that signs record `seq`.
    pub key: [u8; 32],
}

impl Cut {
    /// The core's anchor for a chain that starts at this cut.
    ///
    /// # Errors
    /// Core `InvalidKey` when `key` is not an Ed25519 public key.
    pub fn anchor(&self) -> Result<Anchor, Error> {
        Ok(Anchor::Continuation {
            key: VerifyingKey::from_bytes(&self.key)?,
            seq: self.seq,
            prev_hash: self.prev_hash,
        })
    }
}

/// What a [`HeadStore`] keeps: the chain's head, and where the kept chain
/// starts when it was pruned (`None`: it starts at its genesis record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeptHead {
    /// The last record's position and hash.
    pub head: ChainHead,
    /// The prune cut, if the chain was pruned.
    pub cut: Option<Cut>,
}

/// Where the audit chain's head (and its prune cut) is kept, outside the
/// log.
pub trait HeadStore {
    /// What was last stored, if anything.
    ///
    /// # Errors
    /// Whatever keeps it failing, or what it holds not being a head.
    fn load(&self) -> Result<Option<KeptHead>, Error>;
    /// Replaces the head and cut durably: when it returns `Ok`, they
    /// survive a crash.
    ///
    /// # Errors
    /// Whatever keeps it failing.
    fn store(&self, kept: &KeptHead) -> Result<(), Error>;
}

/// The head in `logs/audit.head` (0600, atomic writes), for devices whose
/// keys are in files.
#[derive(Clone, Debug)]
pub struct FileHeadStore {
    home: Home,
}

impl FileHeadStore {
    /// The head file of `home`.
    #[must_use]
    pub fn new(home: &Home) -> Self {
        Self { home: home.clone() }
    }

    /// Parses the contents of `logs/audit.head` (the file at `path`): the
    /// byte-level reader [`HeadStore::load`] uses here.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` for anything but the JSON
    /// [`FileHeadStore::encode`] writes: unknown fields (the `key` of
    /// `audit.pruned` included), another version, hashes or keys that are
    /// not base64 of their length, a cut key that is not an Ed25519 key, a
    /// cut at record 0, a head numbered 2^64 - 1 (no chain holds one).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<KeptHead, Error> {
        StoredPosition::decode_kept(path, bytes)
    }

    /// The bytes of `logs/audit.head` for `kept`, as [`HeadStore::store`]
    /// writes them: what [`FileHeadStore::parse`] reads back as `kept`.
    /// One text per head.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if JSON cannot encode it (it always can).
    pub fn encode(kept: &KeptHead) -> Result<Vec<u8>, Error> {
        StoredPosition::of_kept(kept).encode()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPosition {
    version: u32,
    seq: u64,
    hash: String,
    /// In `audit.pruned`: the key that signs record `seq` (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// In `audit.head`: where the kept chain starts after pruning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cut: Option<StoredCut>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCut {
    seq: u64,
    hash: String,
    key: String,
}

impl StoredPosition {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut bytes =
            serde_json::to_vec(self).map_err(|e| Error::corrupt("audit state", e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// `audit.head`: the head and its cut.
    fn of_kept(kept: &KeptHead) -> Self {
        Self {
            version: STATE_FILE_VERSION,
            seq: kept.head.seq,
            hash: Base64::encode_string(&kept.head.hash),
            key: None,
            cut: kept.cut.map(|cut| StoredCut {
                seq: cut.seq,
                hash: Base64::encode_string(&cut.prev_hash),
                key: Base64::encode_string(&cut.key),
            }),
        }
    }

    /// `audit.pruned`: the cut, readable.
    fn of_cut(cut: &Cut) -> Self {
        Self {
            version: STATE_FILE_VERSION,
            seq: cut.seq,
            hash: Base64::encode_string(&cut.prev_hash),
            key: Some(Base64::encode_string(&cut.key)),
            cut: None,
        }
    }

    fn decode_kept(path: &Path, bytes: &[u8]) -> Result<KeptHead, Error> {
        let stored: Self =
            serde_json::from_slice(bytes).map_err(|e| Error::corrupt(path, e.to_string()))?;
        if stored.version != STATE_FILE_VERSION {
            return Err(Error::corrupt(
                path,
                format!("version {} (expected {STATE_FILE_VERSION})", stored.version),
            ));
        }
        if stored.key.is_some() {
            return Err(Error::corrupt(
                path,
                "a key field (audit.pruned's) in the head file",
            ));
        }
        if stored.seq == u64::MAX {
            return Err(Error::corrupt(
                path,
                "head at record 2^64 - 1, which no chain holds",
            ));
        }
        let head = ChainHead {
            seq: stored.seq,
            hash: decode_b64(path, &stored.hash, "hash")?,
        };
        let cut = match &stored.cut {
            None => None,
            Some(cut) => {
                let key = decode_b64(path, &cut.key, "cut key")?;
                VerifyingKey::from_bytes(&key)
                    .map_err(|_| Error::corrupt(path, "cut key is not an Ed25519 public key"))?;
                if cut.seq == 0 {
                    return Err(Error::corrupt(path, "cut at record 0"));
                }
                Some(Cut {
                    seq: cut.seq,
                    prev_hash: decode_b64(path, &cut.hash, "cut hash")?,
                    key,
                })
            }
        };
        Ok(KeptHead { head, cut })
    }
}

/// Decodes base64 of exactly `N` bytes, or says which field is wrong.
fn decode_b64<const N: usize>(path: &Path, text: &str, field: &str) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    match Base64::decode(text, &mut out) {
        Ok(decoded) if decoded.len() == N => Ok(out),
        _ => Err(Error::corrupt(
            path,
            format!("{field} is not base64 of {N} bytes"),
        )),
    }
}

impl HeadStore for FileHeadStore {
    fn load(&self) -> Result<Option<KeptHead>, Error> {
        let path = self.home.audit_head_path();
        let Some(bytes) = self
            .home
            .read_private_if_exists(&path, MAX_STATE_FILE_LEN)?
        else {
            return Ok(None);
        };
        Self::parse(&path, &bytes).map(Some)
    }

    fn store(&self, kept: &KeptHead) -> Result<(), Error> {
        self.home
            .write_private(&self.home.audit_head_path(), &Self::encode(kept)?)
    }
}

/// What a verification found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The chain's last record.
    pub head: ChainHead,
    /// The first record kept (0 unless pruned).
    pub first_seq: u64,
    /// Records verified.
    pub records: u64,
    /// Records after the head kept outside the log (0, or 1 after a crash
    /// between a line and its head).
    pub beyond_kept_head: u64,
    /// The active log ends in an incomplete line: an append a crash cut
    /// short before its record was committed (the kept head never named
    /// it). It is not part of the chain; it is left in place, and the next
    /// append removes it. A cut-short line that the kept head names is
    /// still an error (the head's record is missing), as is one in a closed
    /// segment.
    pub interrupted_append: bool,
}

/// What [`AuditLog::prune`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The segments deleted, oldest first.
    pub removed: Vec<PathBuf>,
    /// The first record kept afterwards.
    pub first_kept_seq: u64,
}

/// The audit log of one home.
#[derive(Debug)]
pub struct AuditLog<H: HeadStore> {
    home: Home,
    heads: H,
    retention: Retention,
    limiter: RefusalLimiter,
}

/// The chain's last record as appends need it.
#[derive(Clone, Copy, Debug)]
struct Tail {
    head: ChainHead,
    event: Event,
    signer: VerifyingKey,
    cut: Option<Cut>,
}

/// The chain's last record, as [`AuditLog::last_locked`] finds it.
#[derive(Clone, Copy, Debug)]
pub struct LastRecord {
    /// Its position and hash.
    pub head: ChainHead,
    /// What it records.
    pub event: Event,
    /// The key that must sign the next record.
    pub next_signer: VerifyingKey,
}

/// The position of a line, for error messages.
#[derive(Clone, Debug)]
struct LinePos {
    index: u64,
    path: PathBuf,
    line: u64,
}

impl<H: HeadStore> AuditLog<H> {
    /// The log of `home`, its head kept by `heads`, with the default
    /// [`Retention`]. Reads and changes nothing.
    pub fn new(home: &Home, heads: H) -> Self {
        Self {
            home: home.clone(),
            heads,
            retention: Retention::default(),
            limiter: RefusalLimiter::new(),
        }
    }

    /// The same log with other retention limits (from `config.toml`).
    #[must_use]
    pub const fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The head store.
    pub const fn heads(&self) -> &H {
        &self.heads
    }

    /// Starts the chain with its genesis record (device id, signing key).
    ///
    /// # Errors
    /// [`Error::AuditExists`] if the log has records or a head is kept;
    /// file errors.
    pub fn start(
        &mut self,
        key: &SigningKey,
        device_id: DeviceId,
        now: u64,
    ) -> Result<ChainHead, Error> {
        let lock = self.home.lock()?;
        self.start_locked(&lock, key, device_id, now)
    }

    /// [`AuditLog::start`] under a lock the caller holds.
    ///
    /// # Errors
    /// As [`AuditLog::start`].
    pub fn start_locked(
        &mut self,
        lock: &HomeLock,
        key: &SigningKey,
        device_id: DeviceId,
        now: u64,
    ) -> Result<ChainHead, Error> {
        if !self.is_empty()? {
            return Err(Error::AuditExists {
                path: self.home.audit_log_path(),
            });
        }
        let mut out = [0u8; MAX_RECORD_LEN];
        let (writer, len) = AuditWriter::genesis(key, device_id, now, &mut out)?;
        self.write_record(lock, &writer, out.get(..len).unwrap_or_default(), None)
    }

    /// After a crash inside [`AuditLog::start`] (the genesis line written,
    /// or torn, before its head was stored): when no head, segment or prune
    /// note exists and the active log holds nothing but that start (torn
    /// bytes, or one complete genesis record with perhaps torn bytes after
    /// it), renames the log aside to `logs/audit.interrupted-<now>.log` so
    /// the chain can start; the bytes are kept, never deleted. No record in
    /// it was ever committed (no head named one). Returns the new path, or
    /// `None` with nothing changed when the log is anything else (empty, or
    /// more than a start: then the usual errors report it).
    ///
    /// # Errors
    /// [`Error::AuditExists`] if the aside path is taken; file and head
    /// store errors.
    pub fn set_aside_interrupted_start(
        &mut self,
        _lock: &HomeLock,
        now: u64,
    ) -> Result<Option<PathBuf>, Error> {
        let active = self.home.audit_log_path();
        if self.heads.load()?.is_some()
            || Home::exists(&self.pruned_path())
            || !self.segments()?.is_empty()
            || file_len(&active)? == 0
        {
            return Ok(None);
        }
        let mut lines = LineReader::open(&self.home, &active)?;
        let mut seen = Vec::new();
        while let Some(line) = lines.next_line()? {
            if seen.len() == 2 {
                return Ok(None);
            }
            seen.push(line);
        }
        let is_genesis = |bytes: &[u8]| {
            parse_line(&active, 1, bytes).is_ok_and(|line| {
                Record::decode(&line.record)
                    .is_ok_and(|r| r.seq == 0 && matches!(r.event, Event::Genesis { .. }))
            })
        };
        let only_a_start = match seen.as_slice() {
            [Line::Torn] => true,
            [Line::Complete(first)] | [Line::Complete(first), Line::Torn] => is_genesis(first),
            _ => false,
        };
        if !only_a_start {
            return Ok(None);
        }
        let aside = self
            .home
            .logs_dir()
            .join(format!("audit.interrupted-{now}.log"));
        if Home::exists(&aside) {
            return Err(Error::AuditExists { path: aside });
        }
        std::fs::rename(&active, &aside).map_err(|e| Error::io("rename", &active, e))?;
        sync_dir(&self.home.logs_dir())?;
        Ok(Some(aside))
    }

    /// Whether the log has never been started: no record, no segment, no
    /// kept head, no record of a prune.
    ///
    /// # Errors
    /// File and head store errors.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.heads.load()?.is_none()
            && !Home::exists(&self.pruned_path())
            && self.segments()?.is_empty()
            && file_len(&self.home.audit_log_path())? == 0)
    }

    /// Appends a signed record of `event` and returns the new head; when it
    /// returns `Ok`, the line and the head are on disk. Repairs what a crash
    /// left first ([`AuditLog::recover`]), and closes the active log as a
    /// segment once it reaches the retention's segment size.
    ///
    /// # Errors
    /// Core `WrongSigningKey` if `key` is not the chain's current key, core
    /// `ReservedEvent` for genesis and signing-key rotation;
    /// [`Error::AuditHeadMissing`], [`Error::AuditHeadMismatch`]; file and
    /// line errors. Must not be called while this process holds the home's
    /// lock ([`AuditLog::append_locked`] then).
    pub fn append(&mut self, key: &SigningKey, now: u64, event: Event) -> Result<ChainHead, Error> {
        let lock = self.home.lock()?;
        self.append_locked(&lock, key, now, event)
    }

    /// [`AuditLog::append`] under a lock the caller holds.
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn append_locked(
        &mut self,
        lock: &HomeLock,
        key: &SigningKey,
        now: u64,
        event: Event,
    ) -> Result<ChainHead, Error> {
        self.write_next(lock, |writer, out| writer.append(key, now, event, out))
    }

    /// Resumes the chain at its recovered tail, has `make` write the next
    /// record, and writes it with its head.
    fn write_next(
        &mut self,
        lock: &HomeLock,
        make: impl FnOnce(&mut AuditWriter, &mut [u8]) -> Result<usize, honeylink_core::Error>,
    ) -> Result<ChainHead, Error> {
        let tail = self.recover_locked(lock)?;
        let mut writer = AuditWriter::resume(tail.head, tail.signer)?;
        let mut out = [0u8; MAX_RECORD_LEN];
        let len = make(&mut writer, &mut out)?;
        self.write_record(lock, &writer, out.get(..len).unwrap_or_default(), tail.cut)
    }

    /// Rotates the chain's signing key (the core's rotation record, signed by
    /// `old` with `new`'s proof); later appends are signed by `new`.
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn rotate_signing_key(
        &mut self,
        old: &SigningKey,
        new: &SigningKey,
        now: u64,
    ) -> Result<ChainHead, Error> {
        let lock = self.home.lock()?;
        self.rotate_signing_key_locked(&lock, old, new, now)
    }

    /// [`AuditLog::rotate_signing_key`] under a lock the caller holds.
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn rotate_signing_key_locked(
        &mut self,
        lock: &HomeLock,
        old: &SigningKey,
        new: &SigningKey,
        now: u64,
    ) -> Result<ChainHead, Error> {
        self.write_next(lock, |writer, out| {
            writer.rotate_signing_key(old, new, now, out)
        })
    }

    /// Records a refused session through the flood control: the record if
    /// the core's [`RefusalLimiter`] admits it, and the summary of a window
    /// that has closed. Returns how many records were written (0, 1 or 2).
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn record_refusal(
        &mut self,
        key: &SigningKey,
        now: u64,
        reason: RefusalReason,
        peer: DeviceId,
        fingerprint: Fingerprint,
    ) -> Result<usize, Error> {
        let events = self.admit(now, reason, peer, fingerprint);
        if events.is_empty() {
            return Ok(0);
        }
        let lock = self.home.lock()?;
        self.append_all_locked(&lock, key, now, &events)
    }

    /// [`AuditLog::record_refusal`] under a lock the caller holds.
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn record_refusal_locked(
        &mut self,
        lock: &HomeLock,
        key: &SigningKey,
        now: u64,
        reason: RefusalReason,
        peer: DeviceId,
        fingerprint: Fingerprint,
    ) -> Result<usize, Error> {
        let events = self.admit(now, reason, peer, fingerprint);
        self.append_all_locked(lock, key, now, &events)
    }

    fn admit(
        &mut self,
        now: u64,
        reason: RefusalReason,
        peer: DeviceId,
        fingerprint: Fingerprint,
    ) -> Vec<Event> {
        let (summary, admission) = self.limiter.admit(now, reason, peer, fingerprint);
        summary
            .into_iter()
            .chain(match admission {
                Admission::Record(event) => Some(event),
                Admission::Counted => None,
            })
            .collect()
    }

    /// Writes the summary of a refusal window that has ended by `now`, if
    /// anything was counted; call it from a timer. Returns the records
    /// written (0 or 1).
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn flush_refusals(&mut self, key: &SigningKey, now: u64) -> Result<usize, Error> {
        let summary = self.limiter.flush(now);
        self.append_all(key, now, summary.as_slice())
    }

    /// Closes the refusal window whether or not it has ended and writes its
    /// summary (before the process exits, so no count is lost).
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn finish_refusals(&mut self, key: &SigningKey, now: u64) -> Result<usize, Error> {
        let summary = self.limiter.flush(u64::MAX);
        self.append_all(key, now, summary.as_slice())
    }

    /// [`AuditLog::flush_refusals`] (`finish` false) or
    /// [`AuditLog::finish_refusals`] (`finish` true) under a lock the caller
    /// holds.
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn flush_refusals_locked(
        &mut self,
        lock: &HomeLock,
        key: &SigningKey,
        now: u64,
        finish: bool,
    ) -> Result<usize, Error> {
        let summary = self.limiter.flush(if finish { u64::MAX } else { now });
        self.append_all_locked(lock, key, now, summary.as_slice())
    }

    fn append_all(&mut self, key: &SigningKey, now: u64, events: &[Event]) -> Result<usize, Error> {
        if events.is_empty() {
            return Ok(0);
        }
        let lock = self.home.lock()?;
        self.append_all_locked(&lock, key, now, events)
    }

    fn append_all_locked(
        &mut self,
        lock: &HomeLock,
        key: &SigningKey,
        now: u64,
        events: &[Event],
    ) -> Result<usize, Error> {
        for event in events {
            self.append_locked(lock, key, now, *event)?;
        }
        Ok(events.len())
    }

    /// The chain's last record, after repairing what a crash left (as
    /// [`AuditLog::recover`]): its head, its event, and the key that signs
    /// the next record (the new key after a signing-key rotation).
    ///
    /// # Errors
    /// As [`AuditLog::recover`].
    pub fn last_locked(&self, lock: &HomeLock) -> Result<LastRecord, Error> {
        let tail = self.recover_locked(lock)?;
        Ok(LastRecord {
            head: tail.head,
            event: tail.event,
            next_signer: tail.signer,
        })
    }

    /// The anchor to verify this log with, for a device whose chain started
    /// with `genesis_key` (`identity.json`'s `audit_key`): that key, or
    /// after pruning the cut kept with the head ([`KeptHead::cut`]). What
    /// `logs/audit.pruned` says is never used: it is a note for people.
    ///
    /// # Errors
    /// Head store errors.
    pub fn anchor(&self, genesis_key: VerifyingKey) -> Result<Anchor, Error> {
        match self.heads.load()?.and_then(|kept| kept.cut) {
            Some(cut) => cut.anchor(),
            None => Ok(Anchor::SigningKey(genesis_key)),
        }
    }

    /// The anchor verification uses: `anchor` checked against the cut kept
    /// with the head. A continuation must be that cut exactly (a cut the
    /// head store does not know, or a continuation when the head store says
    /// nothing was pruned, is [`Error::AuditCutMismatch`]); a signing key
    /// after pruning becomes the kept cut.
    fn checked_anchor(&self, anchor: Anchor, kept: Option<&KeptHead>) -> Result<Anchor, Error> {
        let Some(kept) = kept else {
            // No head: the walk ends with AuditHeadMissing.
            return Ok(anchor);
        };
        let mismatch = |found: Option<u64>| Error::AuditCutMismatch {
            path: self.home.audit_log_path(),
            kept: kept.cut.map(|c| c.seq),
            found,
        };
        match (kept.cut, anchor) {
            (None, Anchor::Continuation { seq, .. }) => Err(mismatch(Some(seq))),
            (None, anchor) => Ok(anchor),
            (Some(_), Anchor::FirstRecordHash(_)) => Err(Error::AuditPruned {
                path: self.pruned_path(),
            }),
            (Some(cut), Anchor::SigningKey(_)) => cut.anchor(),
            (
                Some(cut),
                Anchor::Continuation {
                    key,
                    seq,
                    prev_hash,
                },
            ) => {
                if seq == cut.seq && prev_hash == cut.prev_hash && *key.as_bytes() == cut.key {
                    Ok(anchor)
                } else {
                    Err(mismatch(Some(seq)))
                }
            }
        }
    }

    /// Repairs what a crash during an append left (see the module docs):
    /// cuts a torn last line, rolls the head forward over one complete,
    /// linked, signed line. Returns the chain's head. Takes the home's lock.
    ///
    /// # Errors
    /// [`Error::AuditHeadMissing`], [`Error::AuditHeadMismatch`] (nothing is
    /// changed then), file and line errors.
    pub fn recover(&self) -> Result<ChainHead, Error> {
        let lock = self.home.lock()?;
        self.recover_locked(&lock).map(|tail| tail.head)
    }

    fn recover_locked(&self, _lock: &HomeLock) -> Result<Tail, Error> {
        let active = self.home.audit_log_path();
        let found = self.tail_lines()?;
        let kept = self.heads.load()?;
        let cut = kept.and_then(|k| k.cut);
        let last = found.records.last();
        let head = match (kept.map(|k| k.head), last) {
            (None, None) => return Err(Error::AuditNotStarted { path: active }),
            (None, Some(_)) => return Err(Error::AuditHeadMissing { path: active }),
            (Some(head), None) => {
                return Err(Error::AuditHeadMismatch {
                    path: active,
                    head_seq: head.seq,
                    last_seq: None,
                });
            }
            (Some(head), Some(_)) => head,
        };
        let decoded: Vec<Record<'_>> = found
            .records
            .iter()
            .map(|bytes| Record::decode(bytes))
            .collect::<Result<_, _>>()?;
        let mismatch = |last: Option<&Record<'_>>| Error::AuditHeadMismatch {
            path: active.clone(),
            head_seq: head.seq,
            last_seq: last.map(|r| r.seq),
        };
        let (last, previous) = match decoded.as_slice() {
            [.., previous, last] => (last, Some(previous)),
            [last] => (last, None),
            [] => return Err(mismatch(None)),
        };
        let matches = |r: &Record<'_>| r.seq == head.seq && r.hash == head.hash;
        if matches(last) {
            // The kept head is the last line.
        } else if let Some(previous) = previous.filter(|p| matches(p)) {
            // A crash after the line, before its head: check the line with
            // the core's verifier, starting from the head's own record.
            let anchor = if previous.seq == 0 {
                Anchor::FirstRecordHash(previous.hash)
            } else {
                Anchor::Continuation {
                    key: VerifyingKey::from_bytes(&previous.signer)?,
                    seq: previous.seq,
                    prev_hash: previous.prev_hash,
                }
            };
            let mut verifier = ChainVerifier::new(anchor, Some(head));
            for bytes in found.records.iter().rev().take(2).rev() {
                verifier.push(bytes).map_err(|_| mismatch(Some(last)))?;
            }
            let new_head = verifier.finish().map_err(|_| mismatch(Some(last)))?;
            self.heads.store(&KeptHead {
                head: new_head,
                cut,
            })?;
        } else {
            return Err(mismatch(Some(last)));
        }
        if let Some(complete) = found.torn_at {
            let file = self.home.open_append(&active)?;
            file.set_len(complete)
                .map_err(|e| Error::io("cut the torn last line of", &active, e))?;
            file.sync_all()
                .map_err(|e| Error::io("flush", &active, e))?;
        }
        let signer = match last.event {
            Event::SigningKeyRotation { new_key, .. } => VerifyingKey::from_bytes(&new_key)?,
            _ => VerifyingKey::from_bytes(&last.signer)?,
        };
        Ok(Tail {
            head: ChainHead {
                seq: last.seq,
                hash: last.hash,
            },
            event: last.event,
            signer,
            cut,
        })
    }

    /// Writes one record's line, flushes it, stores the head, and closes the
    /// active log as a segment if it is full.
    fn write_record(
        &self,
        _lock: &HomeLock,
        writer: &AuditWriter,
        signed: &[u8],
        cut: Option<Cut>,
    ) -> Result<ChainHead, Error> {
        let record = Record::decode(signed)?;
        let mut line = render_line(&record, signed).ok_or(Error::Clock)?;
        line.push(b'\n');
        let active = self.home.audit_log_path();
        let created = file_len(&active)? == 0;
        let mut file = self.home.open_append(&active)?;
        // One write of the whole line (O_APPEND): concurrent writers, if the
        // lock were bypassed, would still not interleave within a line.
        file.write_all(&line)
            .map_err(|e| Error::io("append to", &active, e))?;
        file.sync_all()
            .map_err(|e| Error::io("flush", &active, e))?;
        if created {
            sync_dir(&self.home.logs_dir())?;
        }
        let head = writer.head()?;
        self.heads.store(&KeptHead { head, cut })?;
        let size = file
            .metadata()
            .map_err(|e| Error::io("inspect", &active, e))?
            .len();
        if size >= self.retention.segment_bytes {
            self.close_segment(&active)?;
        }
        Ok(head)
    }

    /// Renames the active log to a segment named by its first record.
    fn close_segment(&self, active: &Path) -> Result<(), Error> {
        let mut lines = LineReader::open(&self.home, active)?;
        let first = match lines.next_line()? {
            Some(Line::Complete(bytes)) => parse_line(active, 1, &bytes)?.seq,
            _ => return Ok(()),
        };
        let segment = self.segment_path(first);
        if std::fs::symlink_metadata(&segment).is_ok() {
            return Err(Error::AuditExists { path: segment });
        }
        std::fs::rename(active, &segment).map_err(|e| Error::io("rename", active, e))?;
        sync_dir(&self.home.logs_dir())
    }

    fn segment_path(&self, first_seq: u64) -> PathBuf {
        self.home
            .logs_dir()
            .join(format!("audit.{first_seq:020}.log"))
    }

    fn pruned_path(&self) -> PathBuf {
        self.home.logs_dir().join("audit.pruned")
    }

    /// Closed segments, oldest first, with their first sequence numbers.
    fn segments(&self) -> Result<Vec<(u64, PathBuf)>, Error> {
        let dir = self.home.logs_dir();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(seq) = name
                .strip_prefix("audit.")
                .and_then(|rest| rest.strip_suffix(".log"))
                .filter(|digits| digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|digits| digits.parse::<u64>().ok())
            else {
                continue;
            };
            out.push((seq, entry.path()));
        }
        out.sort();
        Ok(out)
    }

    /// The files to verify, oldest first: kept segments, then the active log.
    fn files(&self, pruned: Option<u64>) -> Result<Vec<PathBuf>, Error> {
        let mut files: Vec<PathBuf> = self
            .segments()?
            .into_iter()
            // Pruning cuts at segment boundaries: a segment that starts
            // before the cut lies wholly before it (a crash between writing
            // the cut and deleting the segment leaves it behind).
            .filter(|(first, _)| pruned.is_none_or(|cut| *first >= cut))
            .map(|(_, path)| path)
            .collect();
        files.push(self.home.audit_log_path());
        Ok(files)
    }

    /// Verifies the whole kept chain against `anchor` (the device's signing
    /// key, or the first record's hash if nothing was pruned) and the head
    /// kept outside the log. Changes nothing.
    ///
    /// # Errors
    /// [`Error::AuditRejected`] with the first bad record's file, line and
    /// the core's reason; [`Error::AuditLineMismatch`]; [`Error::LineTooLong`];
    /// [`Error::Corrupt`] for a line that is not an audit line, or a torn
    /// line anywhere but at the end of the active log;
    /// [`Error::AuditHeadMissing`]; [`Error::AuditHeadMismatch`]
    /// for a head more than one record behind; [`Error::AuditPruned`] for a
    /// hash anchor after pruning.
    pub fn verify(&self, anchor: Anchor) -> Result<Verified, Error> {
        self.verify_each(anchor, |_| {})
    }

    /// [`AuditLog::verify`], calling `visit` with each record once it has
    /// verified in place. The caller must discard what it gathered if this
    /// returns an error. Takes the home's lock, so it never sees an append
    /// half done.
    ///
    /// # Errors
    /// As [`AuditLog::verify`].
    pub fn verify_each(
        &self,
        anchor: Anchor,
        mut visit: impl FnMut(&Record<'_>),
    ) -> Result<Verified, Error> {
        let _lock = self.home.lock()?;
        self.walk(anchor, |_, record, _| visit(record))
            .map(|(verified, _)| verified)
    }

    /// Walks every kept line, verifying; `visit` gets the file's position in
    /// the list, the verified record and the line's length.
    fn walk(
        &self,
        anchor: Anchor,
        mut visit: impl FnMut(usize, &Record<'_>, u64),
    ) -> Result<(Verified, Vec<PathBuf>), Error> {
        let active = self.home.audit_log_path();
        let kept_state = self.heads.load()?;
        let anchor = self.checked_anchor(anchor, kept_state.as_ref())?;
        let kept = kept_state.map(|k| k.head);
        let mut verifier = ChainVerifier::new(anchor, kept);
        let files = self.files(kept_state.and_then(|k| k.cut).map(|c| c.seq))?;
        let mut positions: [Option<LinePos>; 2] = [None, None];
        let mut index = 0u64;
        let mut first_seq = None;
        let mut records = 0u64;
        let mut interrupted_append = false;
        for (file_index, path) in files.iter().enumerate() {
            if file_index + 1 == files.len() && file_len(path)? == 0 {
                break;
            }
            let mut lines = LineReader::open(&self.home, path)?;
            while let Some(line) = lines.next_line()? {
                let number = lines.number();
                let bytes = match line {
                    Line::Complete(bytes) => bytes,
                    // The last line of the active log: an append a crash
                    // cut short. The head check below still requires
                    // every committed record.
                    Line::Torn if *path == active => {
                        interrupted_append = true;
                        break;
                    }
                    Line::Torn => {
                        return Err(Error::corrupt(
                            path,
                            format!(
                                "line {number} is incomplete (a crash during an append; the \
                                 next append removes it)"
                            ),
                        ));
                    }
                };
                let parsed = parse_line(path, number, &bytes)?;
                positions = [
                    positions[1].take(),
                    Some(LinePos {
                        index,
                        path: path.clone(),
                        line: number,
                    }),
                ];
                let outcome = verifier.push(&parsed.record);
                index += 1;
                let verified = match outcome {
                    Ok(verified) => verified,
                    Err(rejection) => {
                        return Err(rejected(rejection, &positions, &active, number));
                    }
                };
                parsed.check_rendering(path, number, &bytes)?;
                if let Some(record) = verified {
                    first_seq.get_or_insert(record.seq);
                    records += 1;
                    visit(file_index, &record, bytes.len() as u64 + 1);
                }
            }
        }
        let lines_in_active = positions
            .iter()
            .flatten()
            .rev()
            .find(|p| p.path == active)
            .map_or(0, |p| p.line);
        let head = verifier
            .finish()
            .map_err(|rejection| rejected(rejection, &positions, &active, lines_in_active + 1))?;
        let beyond_kept_head = match kept {
            None => return Err(Error::AuditHeadMissing { path: active }),
            Some(kept) => head.seq.saturating_sub(kept.seq),
        };
        if beyond_kept_head > 1 {
            return Err(Error::AuditHeadMismatch {
                path: active,
                head_seq: kept.map_or(0, |k| k.seq),
                last_seq: Some(head.seq),
            });
        }
        Ok((
            Verified {
                head,
                first_seq: first_seq.unwrap_or(0),
                records,
                beyond_kept_head,
                interrupted_append,
            },
            files,
        ))
    }

    /// Applies the retention limits at `now`: verifies the whole chain
    /// against `anchor` first (nothing is deleted from a chain that does not
    /// verify), then deletes closed segments oldest first (see the module
    /// docs). The active log is never deleted.
    ///
    /// # Errors
    /// Those of [`AuditLog::verify`], and file errors.
    pub fn prune(&mut self, anchor: Anchor, now: u64) -> Result<PruneReport, Error> {
        let _lock = self.home.lock()?;
        struct Segment {
            bytes: u64,
            last_time: u64,
            last_seq: u64,
            last_hash: [u8; HASH_LEN],
            next_signer: [u8; 32],
        }
        let mut stats: Vec<Option<Segment>> = Vec::new();
        let (verified, files) = self.walk(anchor, |file, record, len| {
            if stats.len() <= file {
                stats.resize_with(file + 1, || None);
            }
            if let Some(slot) = stats.get_mut(file) {
                let bytes = slot.as_ref().map_or(0, |s| s.bytes) + len;
                *slot = Some(Segment {
                    bytes,
                    last_time: record.time,
                    last_seq: record.seq,
                    last_hash: record.hash,
                    next_signer: match record.event {
                        Event::SigningKeyRotation { new_key, .. } => new_key,
                        _ => record.signer,
                    },
                });
            }
        })?;
        let mut total: u64 = stats.iter().flatten().map(|s| s.bytes).sum();
        let cutoff = now.saturating_sub(self.retention.max_age_secs);
        let closed = files.len().saturating_sub(1);
        let mut report = PruneReport {
            removed: Vec::new(),
            first_kept_seq: verified.first_seq,
        };
        let mut cut = None;
        for (path, segment) in files.iter().zip(&stats).take(closed) {
            let Some(segment) = segment else { break };
            if segment.last_time >= cutoff && total <= self.retention.max_total_bytes {
                break;
            }
            total -= segment.bytes;
            cut = Some((segment.last_seq + 1, segment.last_hash, segment.next_signer));
            report.removed.push(path.clone());
        }
        let Some((seq, prev_hash, key)) = cut else {
            return Ok(report);
        };
        let cut = Cut {
            seq,
            prev_hash,
            key,
        };
        // Record the cut with the head first (the commit point): a crash
        // before the deletions leaves segments that verification skips and
        // the next prune deletes. The key that signs the first kept record
        // goes with it, so a chain whose signing key was rotated before the
        // cut still has its anchor. Then the readable note.
        let kept = self.heads.load()?.ok_or_else(|| Error::AuditHeadMissing {
            path: self.home.audit_log_path(),
        })?;
        self.heads.store(&KeptHead {
            head: kept.head,
            cut: Some(cut),
        })?;
        self.home
            .write_private(&self.pruned_path(), &StoredPosition::of_cut(&cut).encode()?)?;
        for path in &report.removed {
            std::fs::remove_file(path).map_err(|e| Error::io("delete", path, e))?;
        }
        // Segments a crash left behind an earlier cut.
        for (first, path) in self.segments()? {
            if first < seq {
                std::fs::remove_file(&path).map_err(|e| Error::io("delete", &path, e))?;
            }
        }
        sync_dir(&self.home.logs_dir())?;
        report.first_kept_seq = seq;
        Ok(report)
    }

    /// The last (up to) two records of the chain, and where a torn last line
    /// starts in the active log.
    fn tail_lines(&self) -> Result<TailLines, Error> {
        let active = self.home.audit_log_path();
        let mut found = read_tail(&self.home, &active)?;
        if found.records.len() < 2
            && let Some((_, newest)) = self.segments()?.pop()
        {
            let older = read_tail(&self.home, &newest)?;
            if older.torn_at.is_some() {
                return Err(Error::corrupt(&newest, "the last line is incomplete"));
            }
            let mut records = older.records;
            records.append(&mut found.records);
            found.records = records;
        }
        Ok(found)
    }
}

/// Maps a rejection to the file and line of the record it names.
fn rejected(
    rejection: Rejection,
    positions: &[Option<LinePos>; 2],
    active: &Path,
    fallback_line: u64,
) -> Error {
    let pos = positions
        .iter()
        .flatten()
        .find(|p| p.index == rejection.index);
    let (path, line) = pos.map_or_else(
        || (active.to_path_buf(), fallback_line),
        |p| (p.path.clone(), p.line),
    );
    Error::AuditRejected {
        path,
        line,
        rejection,
    }
}

fn file_len(path: &Path) -> Result<u64, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io("inspect", path, e)),
    }
}

/// The end of a log file.
struct TailLines {
    /// Record bytes of the last complete lines (at most two), oldest first.
    records: Vec<Vec<u8>>,
    /// Length of the file without a torn last line, if there is one.
    torn_at: Option<u64>,
}

/// Reads the last two complete lines of `path` (nothing if it is missing)
/// from a bounded window at its end.
fn read_tail(home: &Home, path: &Path) -> Result<TailLines, Error> {
    if matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
    {
        return Ok(TailLines {
            records: Vec::new(),
            torn_at: None,
        });
    }
    let mut file = home.open_read(path)?;
    let len = file
        .metadata()
        .map_err(|e| Error::io("inspect", path, e))?
        .len();
    // Two complete lines, a torn one, and one byte to tell whether the
    // window starts at a line's start.
    let window = 3 * (MAX_LINE_LEN as u64 + 1) + 1;
    let start = len.saturating_sub(window);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io("read", path, e))?;
    let mut bytes = Vec::new();
    file.take(window)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    // Drop the partial line the window may start inside.
    let body_start = if start == 0 {
        0
    } else {
        bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1)
    };
    let body = bytes.get(body_start..).unwrap_or_default();
    let complete_len = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = body.len() - complete_len;
    if torn > MAX_LINE_LEN {
        return Err(Error::LineTooLong {
            path: path.into(),
            line: 0,
            limit: MAX_LINE_LEN,
        });
    }
    let torn_at = (torn > 0).then(|| len - torn as u64);
    let complete = body.get(..complete_len).unwrap_or_default();
    let mut records = Vec::new();
    let lines = complete
        .strip_suffix(b"\n")
        .map(|body| body.split(|&b| b == b'\n'));
    for line in lines.into_iter().flatten().rev().take(2) {
        if line.len() > MAX_LINE_LEN {
            return Err(Error::LineTooLong {
                path: path.into(),
                line: 0,
                limit: MAX_LINE_LEN,
            });
        }
        records.insert(0, parse_line(path, 0, line)?.record);
    }
    Ok(TailLines { records, torn_at })
}

/// One line as read by a [`LineReader`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A line with its newline (not included).
    Complete(Vec<u8>),
    /// The file ends without a newline after some bytes.
    Torn,
}

/// Reads an audit log line by line, never holding more than
/// [`MAX_LINE_LEN`] bytes of a line: how verification reads every log
/// segment.
#[derive(Debug)]
pub struct LineReader<R: Read> {
    reader: BufReader<R>,
    path: PathBuf,
    number: u64,
}

impl LineReader<File> {
    fn open(home: &Home, path: &Path) -> Result<Self, Error> {
        Ok(Self::new(path, home.open_read(path)?))
    }
}

impl<R: Read> LineReader<R> {
    /// Reads the lines of `reader`, the contents of the file at `path`.
    pub fn new(path: &Path, reader: R) -> Self {
        Self {
            reader: BufReader::new(reader),
            path: path.into(),
            number: 0,
        }
    }

    /// The number of the line last returned, from 1.
    #[must_use]
    pub const fn number(&self) -> u64 {
        self.number
    }

    /// The next line without its newline; [`Line::Torn`] for bytes after
    /// the last newline; `None` at the end.
    ///
    /// # Errors
    /// [`Error::LineTooLong`] naming the file and line once a line passes
    /// [`MAX_LINE_LEN`] bytes (it is never held whole); [`Error::Io`].
    pub fn next_line(&mut self) -> Result<Option<Line>, Error> {
        let mut line = Vec::new();
        self.number += 1;
        loop {
            let available = self
                .reader
                .fill_buf()
                .map_err(|e| Error::io("read", &self.path, e))?;
            if available.is_empty() {
                return Ok((!line.is_empty()).then_some(Line::Torn));
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            if line.len() + take > MAX_LINE_LEN {
                return Err(Error::LineTooLong {
                    path: self.path.clone(),
                    line: self.number,
                    limit: MAX_LINE_LEN,
                });
            }
            line.extend_from_slice(available.get(..take).unwrap_or_default());
            self.reader.consume(take + usize::from(done));
            if done {
                return Ok(Some(Line::Complete(line)));
            }
        }
    }
}

/// The fields of an audit line, in the order written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFields {
    seq: u64,
    time: String,
    event: String,
    fields: Map<String, Value>,
    record: String,
}

/// An audit line parsed: the sequence number it shows and its record's
/// signed bytes (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    seq: u64,
    record: Vec<u8>,
}

impl AuditLine {
    /// Parses one line (without its newline) of the log at `path`, line
    /// `number` (0: a line read from the file's end, uncounted): the JSON
    /// fields and the record's base64, at most [`MAX_RECORD_LEN`] bytes.
    /// The byte-level reader verification and appends use.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` and the line for anything but the
    /// JSON the log's writer produces (unknown or missing fields included)
    /// or a record that is not base64 of at most [`MAX_RECORD_LEN`] bytes.
    pub fn parse(path: &Path, number: u64, bytes: &[u8]) -> Result<Self, Error> {
        parse_line(path, number, bytes)
    }

    /// The sequence number the line's readable fields show.
    #[must_use]
    pub const fn seq(&self) -> u64 {
        self.seq
    }

    /// The record's signed bytes, as the line carries them.
    #[must_use]
    pub fn record(&self) -> &[u8] {
        &self.record
    }

    /// Decodes the record and checks that `bytes`, the line this was parsed
    /// from, is exactly the line the log's writer renders for it, so the
    /// readable fields say what the record says. Verification runs it after
    /// the chain check (it does not check signatures or the chain).
    ///
    /// # Errors
    /// The core's error for a record that does not decode;
    /// [`Error::AuditLineMismatch`] naming `path` and line `number` when
    /// the line is not the rendering of its record.
    pub fn check_rendering(
        &self,
        path: &Path,
        number: u64,
        bytes: &[u8],
    ) -> Result<Record<'_>, Error> {
        let record = Record::decode(&self.record)?;
        if render_line(&record, &self.record).as_deref() != Some(bytes) {
            return Err(Error::AuditLineMismatch {
                path: path.into(),
                line: number,
            });
        }
        Ok(record)
    }
}

fn parse_line(path: &Path, number: u64, bytes: &[u8]) -> Result<AuditLine, Error> {
    let corrupt = |detail: String| {
        let which = if number == 0 {
            "a line at the end".to_owned()
        } else {
            format!("line {number}")
        };
        Error::corrupt(path, format!("{which}: {detail}"))
    };
    let fields: LineFields =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not an audit line: {e}")))?;
    let mut record = [0u8; MAX_RECORD_LEN];
    let decoded = Base64::decode(&fields.record, &mut record)
        .map_err(|_| corrupt("the record is not base64 of a record".to_owned()))?;
    Ok(AuditLine {
        seq: fields.seq,
        record: decoded.to_vec(),
    })
}

/// The line for a record: readable fields beside the signed bytes. `None`
/// for a time RFC 3339 cannot show (after the year 9999).
fn render_line(record: &Record<'_>, signed: &[u8]) -> Option<Vec<u8>> {
    let (event, fields) = describe(&record.event);
    let line = LineFields {
        seq: record.seq,
        time: format_rfc3339(record.time)?,
        event: event.to_owned(),
        fields,
        record: Base64::encode_string(signed),
    };
    serde_json::to_vec(&line).ok()
}

/// An event's name and readable fields, as the audit line shows them.
#[must_use]
pub fn describe(event: &Event) -> (&'static str, Map<String, Value>) {
    let id = |id: &DeviceId| Value::String(id.to_string());
    let fp = |fp: &Fingerprint| Value::String(fp.to_string());
    let b64 = |bytes: &[u8]| Value::String(Base64::encode_string(bytes));
    let (name, value) = match event {
        Event::Genesis {
            device_id,
            signing_key,
        } => (
            "genesis",
            json!({"device_id": id(device_id), "signing_key": b64(signing_key)}),
        ),
        Event::KeyGenerated { fingerprint } => {
            ("key_generated", json!({"fingerprint": fp(fingerprint)}))
        }
        Event::Paired {
            method,
            peer,
            fingerprint,
        } => (
            "paired",
            json!({"method": method_label(*method), "peer": id(peer), "fingerprint": fp(fingerprint)}),
        ),
        Event::PairingFailed {
            method,
            peer,
            reason,
        } => (
            "pairing_failed",
            json!({
                "method": method_label(*method),
                "peer": peer.as_ref().map_or(Value::Null, id),
                "reason": failure_label(*reason),
            }),
        ),
        Event::Unpaired { peer, fingerprint } => (
            "unpaired",
            json!({"peer": id(peer), "fingerprint": fp(fingerprint)}),
        ),
        Event::DeviceBlocked { peer } => ("device_blocked", json!({"peer": id(peer)})),
        Event::KeyBlocked { fingerprint } => {
            ("key_blocked", json!({"fingerprint": fp(fingerprint)}))
        }
        Event::KeyChangeDetected {
            peer,
            old,
            new,
            action,
        } => (
            "key_change_detected",
            json!({"peer": id(peer), "old": fp(old), "new": fp(new), "action": action_label(*action)}),
        ),
        Event::KeyRotated { kind, old, new } => (
            "key_rotated",
            json!({"reason": rotation_label(*kind), "old": fp(old), "new": fp(new)}),
        ),
        Event::KeysDestroyed { fingerprint } => {
            ("keys_destroyed", json!({"fingerprint": fp(fingerprint)}))
        }
        Event::SessionRefused {
            reason,
            peer,
            fingerprint,
        } => (
            "session_refused",
            json!({"reason": refusal_label(*reason), "peer": id(peer), "fingerprint": fp(fingerprint)}),
        ),
        Event::RefusalsSummarized {
            window_start,
            suppressed,
        } => {
            let counts: Map<String, Value> = RefusalReason::ALL
                .iter()
                .zip(suppressed)
                .map(|(reason, n)| (refusal_label(*reason).to_owned(), Value::from(*n)))
                .collect();
            (
                "refusals_summarized",
                json!({"window_start": window_start, "suppressed": counts}),
            )
        }
        Event::SigningKeyRotation { new_key, proof } => (
            "signing_key_rotation",
            json!({"new_key": b64(new_key), "proof": b64(&proof.0)}),
        ),
    };
    match value {
        Value::Object(map) => (name, map),
        _ => (name, Map::new()),
    }
}

/// The label of a pairing method: `qr`, `pin`, `nfc`.
pub(crate) const fn method_label(method: PairingMethod) -> &'static str {
    match method {
        PairingMethod::Qr => "qr",
        PairingMethod::Pin => "pin",
        PairingMethod::Nfc => "nfc",
    }
}

/// The label of a key-change action (spec 11.2): `block`, `re-verify`,
/// `trust`.
pub(crate) const fn action_label(action: KeyChangeAction) -> &'static str {
    match action {
        KeyChangeAction::Block => "block",
        KeyChangeAction::Reverify => "re-verify",
        KeyChangeAction::TrustNewKey => "trust",
    }
}

/// The label of a rotation reason: `manual`, `emergency`.
pub(crate) const fn rotation_label(kind: RotationKind) -> &'static str {
    match kind {
        RotationKind::Manual => "manual",
        RotationKind::Emergency => "emergency",
    }
}

/// The label of a refusal reason.
pub(crate) const fn refusal_label(reason: RefusalReason) -> &'static str {
    match reason {
        RefusalReason::Untrusted => "untrusted",
        RefusalReason::Blocked => "blocked",
        RefusalReason::KeyChanged => "key_changed",
        RefusalReason::IdentityMismatch => "identity_mismatch",
    }
}

const fn failure_label(reason: PairingFailure) -> &'static str {
    match reason {
        PairingFailure::Expired => "expired",
        PairingFailure::HandshakeFailed => "handshake_failed",
        PairingFailure::KeyMismatch => "key_mismatch",
        PairingFailure::Rejected => "rejected",
        PairingFailure::Blocked => "blocked",
        PairingFailure::LockedOut => "locked_out",
        PairingFailure::TimedOut => "timed_out",
    }
}
