//! The device: everything a HoneyLink device keeps, opened together, and the
//! one place where a change and the audit record it causes are written.
//!
//! [`Device::init`] creates (or opens) the home, the identity and the audit
//! chain; [`Device::open`] opens an existing one. Every change takes the
//! home's lock once and, under it:
//!
//! 1. checks that `identity.json` is still the identity this value holds
//!    ([`Error::IdentityChanged`] otherwise) and completes a rotation a crash
//!    left half done;
//! 2. loads the peers and applies the change in memory (a refused change
//!    writes nothing);
//! 3. appends the signed audit record and flushes it with its head;
//! 4. writes the changed file.
//!
//! A crash between 3 and 4 leaves a record of a change that did not happen
//! and whose call did not return; never a change without its record.
//!
//! Events and the operations that write them:
//!
//! | event | operation |
//! |---|---|
//! | `Genesis`, `KeyGenerated` | [`Device::init`] |
//! | `Paired` | [`Device::confirm_pairing`], [`Device::confirm_pairing_at`] |
//! | `PairingFailed` | [`Device::pairing_failed`] |
//! | `Unpaired` | [`Device::unpair`], [`Device::rotate`] (each trusted peer) |
//! | `DeviceBlocked` | [`Device::block_device`] |
//! | `KeyBlocked` | [`Device::block_key`] |
//! | `KeyChangeDetected` | [`Device::resolve_key_change`] (with the action) |
//! | `SessionRefused`, `RefusalsSummarized` | [`Device::session_refused`], [`Device::key_change_detected`], [`Device::key_change_presented`], [`Device::flush_refusals`], [`Device::finish_refusals`] |
//! | `SigningKeyRotation`, `KeyRotated` | [`Device::rotate`] |
//! | `KeysDestroyed` | [`Device::destroy`] |
//!
//! Unblocking, renaming and unblocking a key have no event in the core and
//! are not audited.
//!
//! # The audit head
//!
//! When the keys are in the OS keychain the chain's head is kept there too
//! ([`SecretEntry::AuditHead`] through [`SecretHeadStore`]); otherwise in
//! `logs/audit.head`. A head found in the file while the keys are in the
//! keychain (keys moved there) is copied into the keychain, read back, and
//! the file removed.
//!
//! # Verification anchor
//!
//! The chain is verified from the key it started with, `identity.json`'s
//! `audit_key` (after pruning: from the key recorded in `logs/audit.pruned`
//! where the kept chain starts), and must end signed by `identity.json`'s
//! current signing key, for `identity.json`'s device id.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use honeylink_core::audit::{Anchor, ChainHead, Event, PairingFailure, RotationKind};
use honeylink_core::crypto::x25519::StaticPublicKey;
use honeylink_core::identity::{DeviceId, DeviceIdentity, DeviceName, Fingerprint};
use honeylink_core::pairing::{PairingMethod, PendingPeer, PinGuard, PinGuardState};
use honeylink_core::trust::{Decision, KeyChangeAction, PeerRecord, RefusalReason, decide};
use serde_json::{Map, Value};

use crate::Error;
use crate::audit_log::{
    AuditLog, FileHeadStore, HeadStore, KeptHead, PruneReport, Retention, Verified, describe,
};
use crate::config::{Config, StorageMode};
use crate::home::{self, Home, HomeLock};
use crate::identity::{self, IdentityInfo, LoadedIdentity};
use crate::keys::{
    KeyStorage, Keychain, Location, Notice, SecretEntry, SecretHeadStore, SecretStore,
};
use crate::metrics::Metrics;
use crate::peers::TrustedPeers;
use crate::pin_state;
use crate::rotation;

/// The name a device gets when none is given and the host name is unusable.
pub const DEFAULT_NAME: &str = "HoneyLink device";

/// Where the device's audit head is kept.
#[derive(Debug)]
pub enum DeviceHeads {
    /// `logs/audit.head` (keys in files).
    File(FileHeadStore),
    /// The keychain's [`SecretEntry::AuditHead`] (keys in the keychain).
    Keychain(SecretHeadStore<Keychain>),
}

impl DeviceHeads {
    /// The keychain holding the head, if it is there.
    #[must_use]
    pub const fn keychain(&self) -> Option<&Keychain> {
        match self {
            Self::File(_) => None,
            Self::Keychain(store) => Some(&store.0),
        }
    }

    /// Where the head is.
    #[must_use]
    pub const fn location(&self) -> Location {
        match self {
            Self::File(_) => Location::File,
            Self::Keychain(_) => Location::Keychain,
        }
    }
}

impl HeadStore for DeviceHeads {
    fn load(&self) -> Result<Option<KeptHead>, Error> {
        match self {
            Self::File(store) => store.load(),
            Self::Keychain(store) => store.load(),
        }
    }

    fn store(&self, head: &KeptHead) -> Result<(), Error> {
        match self {
            Self::File(store) => store.store(head),
            Self::Keychain(store) => store.store(head),
        }
    }
}

/// One audit record as `audit show` prints it, verified.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// Its position in the chain.
    pub seq: u64,
    /// When it was written, seconds since 1970.
    pub time: u64,
    /// The event's name (`paired`, `key_rotated`, ...).
    pub name: &'static str,
    /// The event's readable fields, as in the log line.
    pub fields: Map<String, Value>,
    /// The event itself.
    pub event: Event,
}

/// What [`Device::rotate`] did.
#[derive(Clone, Debug)]
pub struct RotationReport {
    /// Manual or emergency.
    pub kind: RotationKind,
    /// The old X25519 key's fingerprint.
    pub old_fingerprint: Fingerprint,
    /// The new X25519 key's fingerprint.
    pub new_fingerprint: Fingerprint,
    /// The peers that were unpaired (every trusted peer; blocked devices and
    /// keys stay blocked).
    pub unpaired: Vec<PeerRecord>,
}

/// What [`Device::destroy`] did.
#[derive(Clone, Debug, Default)]
pub struct DestroyReport {
    /// The destroyed X25519 key's fingerprint, when it was known.
    pub fingerprint: Option<Fingerprint>,
    /// Whether the `KeysDestroyed` record could be written first (it is
    /// erased with the log; it matters only if destruction is interrupted).
    pub audited: bool,
    /// Files overwritten ([`home::ERASE_PASSES`] passes) and deleted.
    pub erased: Vec<PathBuf>,
    /// Keychain entries deleted.
    pub keychain_entries: Vec<SecretEntry>,
    /// What was left in the home (files HoneyLink does not know, so the
    /// home directory itself stays).
    pub left: Vec<PathBuf>,
}

/// An opened device: home, configuration, identity with its keys, audit log.
#[derive(Debug)]
pub struct Device {
    home: Home,
    config: Config,
    loaded: LoadedIdentity,
    audit: AuditLog<DeviceHeads>,
    notices: Vec<Notice>,
}

impl Device {
    /// Creates the home at `root` and the device in it: keys (stored as
    /// `config.toml` says), `identity.json`, and the audit chain (`Genesis`,
    /// `KeyGenerated`). With an identity already there, opens it unchanged
    /// (as [`Device::open`]), only completing an `init` a crash interrupted
    /// (a chain never started). `name` defaults to the host name. The flag
    /// says whether the identity was created now.
    ///
    /// # Errors
    /// The home's file errors, key storage errors, [`Error::OrphanKey`],
    /// audit errors.
    pub fn init(root: &Path, name: Option<DeviceName>, now: u64) -> Result<(Self, bool), Error> {
        let home = Home::create(root)?;
        let config = Config::load(&home)?;
        let lock = home.lock()?;
        if Home::exists(&home.identity_path()) {
            let mut device = Self::open_locked(home, config, &lock)?;
            device.finish_init_locked(&lock, now)?;
            return Ok((device, false));
        }
        let name = match name {
            Some(name) => name,
            None => default_name()?,
        };
        let loaded = identity::create(&home, &lock, &config, name, now)?;
        let mut device = Self::assemble(home, config, loaded, &lock)?;
        device.finish_init_locked(&lock, now)?;
        Ok((device, true))
    }

    /// Opens the device at `root`: completes or rolls back a rotation a
    /// crash interrupted, loads the identity and its keys, and finds the
    /// audit head.
    ///
    /// # Errors
    /// [`Error::NoIdentity`] when there is no device; [`Error::AuditNotStarted`]
    /// or [`Error::AuditHeadMissing`] when `init` was interrupted before the
    /// chain's first head was stored (run it again: it sets the interrupted
    /// start aside); the home's file errors, key storage errors.
    pub fn open(root: &Path) -> Result<Self, Error> {
        let identity_path = root.join("identity.json");
        if !Home::exists(&identity_path) {
            return Err(Error::NoIdentity {
                path: identity_path,
            });
        }
        let home = Home::open(root)?;
        let config = Config::load(&home)?;
        let lock = home.lock()?;
        let device = Self::open_locked(home, config, &lock)?;
        if device.audit.is_empty()? {
            let path = device.home.audit_log_path();
            return Err(if device.loaded.info.audit_genesis.is_some() {
                Error::AuditChainLost { path }
            } else {
                Error::AuditNotStarted { path }
            });
        }
        Ok(device)
    }

    fn open_locked(home: Home, config: Config, lock: &HomeLock) -> Result<Self, Error> {
        let mut notices = rotation::recover(&home, &config, lock)?;
        erase_key_temp_files(&home)?;
        let loaded = identity::load(&home, lock, &config)?;
        let mut device = Self::assemble(home, config, loaded, lock)?;
        notices.append(&mut device.notices);
        device.notices = notices;
        Ok(device)
    }

    fn assemble(
        home: Home,
        config: Config,
        mut loaded: LoadedIdentity,
        _lock: &HomeLock,
    ) -> Result<Self, Error> {
        let mut notices = std::mem::take(&mut loaded.notices);
        let (heads, moved) = heads_for(&home, &loaded.storage, &loaded.info, config.storage)?;
        notices.extend(moved);
        let audit = AuditLog::new(&home, heads).with_retention(retention(&config));
        Ok(Self {
            home,
            config,
            loaded,
            audit,
            notices,
        })
    }

    /// Starts the audit chain if it was never started, and writes
    /// `KeyGenerated` if the chain stops after its genesis record.
    ///
    /// Refuses ([`Error::AuditChainLost`]) to start a chain for an identity
    /// whose `identity.json` records that its chain was started: deleting
    /// the logs does not make `init` begin a clean one.
    fn finish_init_locked(&mut self, lock: &HomeLock, now: u64) -> Result<(), Error> {
        let key = self.loaded.identity.signing_key();
        // An earlier init that crashed while writing the genesis line (before
        // its head was stored) left a start nobody was told about: set it
        // aside, kept, and start the chain.
        if self.loaded.info.audit_genesis.is_none()
            && let Some(aside) = self.audit.set_aside_interrupted_start(lock, now)?
        {
            self.notices.push(Notice::new(format!(
                "an audit chain start that a crash interrupted was set aside as {}",
                aside.display()
            )));
        }
        if self.audit.is_empty()? {
            if self.loaded.info.audit_genesis.is_some() {
                return Err(Error::AuditChainLost {
                    path: self.home.audit_log_path(),
                });
            }
            let genesis =
                self.audit
                    .start_locked(lock, key, self.loaded.identity.device_id(), now)?;
            self.loaded.info.audit_genesis = Some(genesis.hash);
            self.loaded.info.save(&self.home, lock)?;
        }
        let last = self.audit.last_locked(lock)?;
        if matches!(last.event, Event::Genesis { .. }) {
            self.audit.append_locked(
                lock,
                key,
                now,
                Event::KeyGenerated {
                    fingerprint: self.loaded.info.fingerprint,
                },
            )?;
        }
        Ok(())
    }

    /// Lines for the person running HoneyLink (keychain fallback, keys or
    /// head moved into the keychain, a rotation completed or rolled back).
    #[must_use]
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// The identity with its secret keys.
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentity {
        &self.loaded.identity
    }

    /// The public facts, as in `identity.json`.
    #[must_use]
    pub const fn info(&self) -> &IdentityInfo {
        &self.loaded.info
    }

    /// The device's name.
    #[must_use]
    pub const fn name(&self) -> &DeviceName {
        &self.loaded.info.name
    }

    /// The home.
    #[must_use]
    pub const fn home(&self) -> &Home {
        &self.home
    }

    /// The settings read when the device was opened.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Where the audit head is kept.
    #[must_use]
    pub const fn audit_head_location(&self) -> Location {
        self.audit.heads().location()
    }

    /// The trusted and blocked peers, read now.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::load`].
    pub fn peers(&self) -> Result<TrustedPeers, Error> {
        TrustedPeers::load(&self.home)
    }

    /// The core's decision for a peer presenting `key` under `id`, from the
    /// peers as stored now.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::load`].
    pub fn decide(&self, id: &DeviceId, key: &StaticPublicKey) -> Result<Decision, Error> {
        Ok(decide(&self.peers()?, id, key))
    }

    /// Takes the lock for a change: completes an interrupted rotation and
    /// refuses if `identity.json` is no longer this identity.
    fn begin(&self) -> Result<HomeLock, Error> {
        let lock = self.home.lock()?;
        // Another process's interrupted rotation: complete or roll it back.
        rotation::recover(&self.home, &self.config, &lock)?;
        let path = self.home.identity_path();
        let current = IdentityInfo::read(&self.home)?;
        let same = current.is_some_and(|c| {
            c.device_id == self.loaded.info.device_id
                && c.x25519_public_key == self.loaded.info.x25519_public_key
                && c.ed25519_public_key == self.loaded.info.ed25519_public_key
        });
        if !same {
            return Err(Error::IdentityChanged { path });
        }
        Ok(lock)
    }

    fn append(&mut self, lock: &HomeLock, now: u64, event: Event) -> Result<ChainHead, Error> {
        self.audit
            .append_locked(lock, self.loaded.identity.signing_key(), now, event)
    }

    /// The person confirmed a verified pairing: the peer becomes trusted as
    /// of `now`, audited as `Paired` with the pairing's method.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::add`] (blocked, key trusted under another
    /// id, key change not approved), audit and file errors.
    pub fn confirm_pairing(&mut self, peer: PendingPeer, now: u64) -> Result<PeerRecord, Error> {
        self.confirm_pairing_at(peer, None, now)
    }

    /// [`Device::confirm_pairing`], also remembering `address` as where the
    /// peer was reached (the scanning side knows it from the code's
    /// transport hint or `--connect`), in the same write.
    ///
    /// # Errors
    /// As [`Device::confirm_pairing`].
    pub fn confirm_pairing_at(
        &mut self,
        peer: PendingPeer,
        address: Option<SocketAddr>,
        now: u64,
    ) -> Result<PeerRecord, Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        let event = Event::Paired {
            method: peer.method(),
            peer: peer.id(),
            fingerprint: peer.fingerprint(),
        };
        let record = peer.confirm(now);
        peers.add(record)?;
        if let Some(address) = address {
            peers.set_address(&record.id, address)?;
        }
        self.append(&lock, now, event)?;
        peers.save_locked(&self.home, &lock)?;
        Ok(record)
    }

    /// Records a failed pairing (`PairingFailed`).
    ///
    /// # Errors
    /// Audit errors.
    pub fn pairing_failed(
        &mut self,
        method: PairingMethod,
        failure: PairingFailure,
        peer: Option<DeviceId>,
        now: u64,
    ) -> Result<(), Error> {
        let lock = self.begin()?;
        self.append(
            &lock,
            now,
            Event::PairingFailed {
                method,
                peer,
                reason: failure,
            },
        )
        .map(drop)
    }

    /// Unpairs a trusted peer (spec 8.1), audited as `Unpaired`. Returns its
    /// record.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::remove`], audit and file errors.
    pub fn unpair(&mut self, id: &DeviceId, now: u64) -> Result<PeerRecord, Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        let record = peers.remove(id)?;
        self.append(
            &lock,
            now,
            Event::Unpaired {
                peer: *id,
                fingerprint: Fingerprint::of(record.key.key()),
            },
        )?;
        peers.save_locked(&self.home, &lock)?;
        Ok(record)
    }

    /// Blocks a paired device whatever key it presents (`DeviceBlocked`).
    ///
    /// # Errors
    /// Core `PeerNotFound`, audit and file errors.
    pub fn block_device(&mut self, id: &DeviceId, now: u64) -> Result<(), Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        peers.block_device(id)?;
        self.append(&lock, now, Event::DeviceBlocked { peer: *id })?;
        peers.save_locked(&self.home, &lock)
    }

    /// Lifts a device block (no core event: not audited).
    ///
    /// # Errors
    /// Core `PeerNotFound`, file errors.
    pub fn unblock_device(&mut self, id: &DeviceId) -> Result<(), Error> {
        let lock = self.begin()?;
        TrustedPeers::update_locked(&self.home, &lock, |peers| peers.unblock_device(id))
    }

    /// Blocks a key under whatever id it comes (`KeyBlocked`; nothing is
    /// written if it was already blocked).
    ///
    /// # Errors
    /// Audit and file errors.
    pub fn block_key(&mut self, key: StaticPublicKey, now: u64) -> Result<(), Error> {
        use honeylink_core::trust::TrustView;
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        if peers.is_key_blocked(&key) {
            return Ok(());
        }
        peers.block_key(key);
        self.append(
            &lock,
            now,
            Event::KeyBlocked {
                fingerprint: Fingerprint::of(&key),
            },
        )?;
        peers.save_locked(&self.home, &lock)
    }

    /// Lifts a key block (no core event: not audited); whether it was
    /// blocked.
    ///
    /// # Errors
    /// File errors.
    pub fn unblock_key(&mut self, key: &StaticPublicKey) -> Result<bool, Error> {
        let lock = self.begin()?;
        TrustedPeers::update_locked(&self.home, &lock, |peers| Ok(peers.unblock_key(key)))
    }

    /// Remembers where a paired device was reached (the address a pairing
    /// or an established session connected to), for `connect NAME`. No core
    /// event: not audited. Writes only when the address changed.
    ///
    /// # Errors
    /// Core `PeerNotFound`, file errors.
    pub fn remember_address(&mut self, id: &DeviceId, address: SocketAddr) -> Result<(), Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        if peers.set_address(id, address)? {
            peers.save_locked(&self.home, &lock)?;
        }
        Ok(())
    }

    /// Renames a paired device (no core event: not audited).
    ///
    /// # Errors
    /// Core `PeerNotFound`, file errors.
    pub fn rename(&mut self, id: &DeviceId, name: DeviceName) -> Result<(), Error> {
        let lock = self.begin()?;
        TrustedPeers::update_locked(&self.home, &lock, |peers| peers.rename(id, name))
    }

    /// A known device presented a different key (the core decided
    /// `KeyChanged`): the key is kept as pending until the person chooses
    /// ([`Device::resolve_key_change`]), and the refused session is audited
    /// as `SessionRefused` (reason `KeyChanged`) through the refusal flood
    /// control. Do not also call [`Device::session_refused`] for it.
    ///
    /// # Errors
    /// Core `PeerNotFound`, `NotAKeyChange`; audit and file errors.
    pub fn key_change_detected(
        &mut self,
        id: &DeviceId,
        presented: StaticPublicKey,
        now: u64,
    ) -> Result<(), Error> {
        self.note_key_change(id, presented, true, now).map(drop)
    }

    /// [`Device::key_change_detected`] for a connection nobody here chose
    /// (a listener's): the refusal is audited the same way, but a key
    /// already pending is kept, so an unauthenticated caller claiming a
    /// paired device's id cannot swap the key awaiting the person's
    /// decision for its own (nor cause a write per connection). Returns
    /// whether `presented` is the pending key now.
    ///
    /// # Errors
    /// As [`Device::key_change_detected`].
    pub fn key_change_presented(
        &mut self,
        id: &DeviceId,
        presented: StaticPublicKey,
        now: u64,
    ) -> Result<bool, Error> {
        self.note_key_change(id, presented, false, now)
    }

    fn note_key_change(
        &mut self,
        id: &DeviceId,
        presented: StaticPublicKey,
        replace: bool,
        now: u64,
    ) -> Result<bool, Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        let pending = peers.get(id).and_then(|p| p.record.pending_key);
        let already = pending == Some(presented);
        let keep = !replace && pending.is_some();
        if !keep {
            peers.note_key_change(id, presented)?;
        }
        self.audit.record_refusal_locked(
            &lock,
            self.loaded.identity.signing_key(),
            now,
            RefusalReason::KeyChanged,
            *id,
            Fingerprint::of(&presented),
        )?;
        if already || keep {
            return Ok(already);
        }
        peers.save_locked(&self.home, &lock)?;
        Ok(true)
    }

    /// Applies the person's choice for a pending key change (see
    /// [`TrustedPeers::resolve_key_change`]), audited as `KeyChangeDetected`
    /// with the action, the trusted and the presented key.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::resolve_key_change`], audit and file errors.
    pub fn resolve_key_change(
        &mut self,
        id: &DeviceId,
        shown: &StaticPublicKey,
        action: KeyChangeAction,
        now: u64,
    ) -> Result<(), Error> {
        let lock = self.begin()?;
        let mut peers = TrustedPeers::load(&self.home)?;
        let old = peers
            .get(id)
            .map(|p| Fingerprint::of(p.record.key.key()))
            .ok_or(Error::Core(honeylink_core::Error::PeerNotFound))?;
        let pending = peers.resolve_key_change(id, shown, action)?;
        self.append(
            &lock,
            now,
            Event::KeyChangeDetected {
                peer: *id,
                old,
                new: Fingerprint::of(&pending),
                action,
            },
        )?;
        peers.save_locked(&self.home, &lock)
    }

    /// Records a refused session through the core's refusal flood control
    /// (a record while under budget, counted otherwise).
    ///
    /// # Errors
    /// Audit errors.
    pub fn session_refused(
        &mut self,
        reason: RefusalReason,
        id: &DeviceId,
        key: &StaticPublicKey,
        now: u64,
    ) -> Result<(), Error> {
        let lock = self.begin()?;
        self.audit
            .record_refusal_locked(
                &lock,
                self.loaded.identity.signing_key(),
                now,
                reason,
                *id,
                Fingerprint::of(key),
            )
            .map(drop)
    }

    /// Writes the summary of a refusal window that has ended by `now`;
    /// returns the records written (0 or 1). Call it from a timer.
    ///
    /// # Errors
    /// Audit errors.
    pub fn flush_refusals(&mut self, now: u64) -> Result<usize, Error> {
        let lock = self.begin()?;
        self.audit
            .flush_refusals_locked(&lock, self.loaded.identity.signing_key(), now, false)
    }

    /// Writes the summary of the current refusal window whether or not it
    /// has ended (before the process exits).
    ///
    /// # Errors
    /// Audit errors.
    pub fn finish_refusals(&mut self, now: u64) -> Result<usize, Error> {
        let lock = self.begin()?;
        self.audit
            .flush_refusals_locked(&lock, self.loaded.identity.signing_key(), now, true)
    }

    /// The PIN guard as stored, restored at `now`.
    ///
    /// # Errors
    /// Those of [`pin_state::load`].
    pub fn pin_guard(&self, now: u64) -> Result<PinGuard, Error> {
        Ok(PinGuard::restore(&pin_state::load(&self.home)?, now))
    }

    /// Saves the PIN guard's state durably (call before the responder's
    /// first message leaves).
    ///
    /// # Errors
    /// Those of [`pin_state::save`].
    pub fn save_pin_guard(&self, state: &PinGuardState) -> Result<(), Error> {
        let _lock = self.home.lock()?;
        pin_state::save(&self.home, state)
    }

    /// The anchor this device's chain verifies from.
    fn anchor(&self) -> Result<Anchor, Error> {
        self.audit.anchor(self.loaded.info.audit_key)
    }

    /// Verifies the whole audit chain from its anchor (see the module docs)
    /// against the kept head, and checks that it is this device's chain and
    /// ends signed by its current key.
    ///
    /// # Errors
    /// Those of [`AuditLog::verify`]; [`Error::AuditNotThisDevice`].
    pub fn verify_audit(&self) -> Result<Verified, Error> {
        self.audit_entries(|_| {})
    }

    /// [`Device::verify_audit`], handing each verified record to `visit` in
    /// order, with its readable fields. Discard what `visit` gathered if
    /// this returns an error.
    ///
    /// # Errors
    /// As [`Device::verify_audit`].
    pub fn audit_entries(&self, mut visit: impl FnMut(AuditEntry)) -> Result<Verified, Error> {
        let mut device_ok = true;
        let mut signer: Option<[u8; 32]> = None;
        let verified = self.audit.verify_each(self.anchor()?, |record| {
            if let Event::Genesis { device_id, .. } = record.event {
                device_ok &= device_id == self.loaded.info.device_id;
            }
            signer = Some(match record.event {
                Event::SigningKeyRotation { new_key, .. } => new_key,
                _ => record.signer,
            });
            let (name, fields) = describe(&record.event);
            visit(AuditEntry {
                seq: record.seq,
                time: record.time,
                name,
                fields,
                event: record.event,
            });
        })?;
        let path = self.home.audit_log_path();
        if !device_ok {
            return Err(Error::AuditNotThisDevice {
                path,
                detail: "its genesis record names another device id",
            });
        }
        if signer.as_ref() != Some(self.loaded.info.ed25519_public_key.as_bytes()) {
            return Err(Error::AuditNotThisDevice {
                path,
                detail: "its current signing key is not the one in identity.json",
            });
        }
        Ok(verified)
    }

    /// Metrics counted from the verified audit log (spec 11.2).
    ///
    /// # Errors
    /// Those of [`AuditLog::verify`].
    pub fn metrics(&self) -> Result<Metrics, Error> {
        Metrics::from_log(&self.audit, self.anchor()?)
    }

    /// Applies the audit retention of `config.toml` at `now` (verifies
    /// first, then deletes closed segments).
    ///
    /// # Errors
    /// Those of [`AuditLog::prune`].
    pub fn prune_audit(&mut self, now: u64) -> Result<PruneReport, Error> {
        self.verify_audit()?;
        let anchor = self.anchor()?;
        self.audit.prune(anchor, now)
    }

    /// Rotates the device identity (spec 6.1): new X25519 and Ed25519 keys
    /// under the same device id, the audit chain handed to the new signing
    /// key (`SigningKeyRotation`, then `KeyRotated`), every trusted peer
    /// unpaired (`Unpaired` each), the old secrets zeroized in memory and
    /// their files overwritten before they are replaced. Crash-safe: see
    /// [`crate::rotation`].
    ///
    /// # Errors
    /// Key storage, audit and file errors; the rotation is then completed or
    /// rolled back by the next open.
    pub fn rotate(&mut self, kind: RotationKind, now: u64) -> Result<RotationReport, Error> {
        let lock = self.begin()?;
        let (identity, info, unpaired) =
            rotation::rotate(&self.home, &lock, &self.loaded, &mut self.audit, kind, now)?;
        let report = RotationReport {
            kind,
            old_fingerprint: self.loaded.info.fingerprint,
            new_fingerprint: info.fingerprint,
            unpaired,
        };
        // The old identity is dropped here, and its secrets zeroized.
        self.loaded.identity = identity;
        self.loaded.info = info;
        Ok(report)
    }

    /// Destroys the device (spec 8.2): writes `KeysDestroyed` first (it
    /// marks an interrupted destruction), deletes the keychain entries,
    /// overwrites every file HoneyLink keeps under the home three times
    /// with random data (flushed after each pass) and deletes it, keys
    /// first and `identity.json` last, then removes the emptied
    /// directories. The identity's secrets are zeroized when `self` drops.
    /// What overwriting cannot guarantee is in the README.
    ///
    /// # Errors
    /// Key storage and file errors (what was erased before stays erased;
    /// run it again).
    pub fn destroy(mut self, now: u64) -> Result<DestroyReport, Error> {
        let lock = self.begin()?;
        let fingerprint = self.loaded.info.fingerprint;
        let audited = self
            .append(&lock, now, Event::KeysDestroyed { fingerprint })
            .is_ok();
        let keychain = self
            .loaded
            .storage
            .keychain()
            .or_else(|| self.audit.heads().keychain());
        let mut report = erase_home(&self.home, keychain, &lock)?;
        report.fingerprint = Some(fingerprint);
        report.audited = audited;
        drop(lock);
        drop(self);
        Ok(report)
    }
}

/// The audit head store for a device whose keys are where `info` says: the
/// keychain's entry when they are in the keychain (a head still in
/// `logs/audit.head` is moved there, with a notice). With the keys in files,
/// a head a reachable keychain already holds for this device is used
/// whatever `config.toml` and `identity.json` say (so editing them cannot
/// move the head back into a file); else the file. Refuses
/// ([`Error::KeychainRequired`]) keys in the keychain without one in use.
pub(crate) fn heads_for(
    home: &Home,
    storage: &KeyStorage,
    info: &IdentityInfo,
    mode: StorageMode,
) -> Result<(DeviceHeads, Option<Notice>), Error> {
    identity::require_keychain(home, info, storage, mode)?;
    let file_heads = FileHeadStore::new(home);
    let keychain = match (storage.keychain(), info.secrets) {
        (Some(keychain), Location::Keychain) => keychain.clone(),
        (Some(keychain), Location::File) => {
            if keychain.get(SecretEntry::AuditHead)?.is_none() {
                return Ok((DeviceHeads::File(file_heads), None));
            }
            return Ok((
                DeviceHeads::Keychain(SecretHeadStore(keychain.clone())),
                None,
            ));
        }
        (None, _) => {
            return Ok(
                match Keychain::holding(info.device_id, SecretEntry::AuditHead)? {
                    Some(keychain) => (DeviceHeads::Keychain(SecretHeadStore(keychain)), None),
                    None => (DeviceHeads::File(file_heads), None),
                },
            );
        }
    };
    let heads = SecretHeadStore(keychain);
    let mut notice = None;
    if heads.load()?.is_none()
        && let Some(head) = file_heads.load()?
    {
        heads.store(&head)?;
        if heads.load()? != Some(head) {
            return Err(Error::KeychainReadBack {
                entry: SecretEntry::AuditHead,
            });
        }
        home::erase_file(&home.audit_head_path())?;
        notice = Some(Notice::new(format!(
            "moved the audit chain head from {} into the OS keychain",
            home.audit_head_path().display()
        )));
    }
    Ok((DeviceHeads::Keychain(heads), notice))
}

/// The audit retention `config.toml` asks for: months of 30.4375 days,
/// rounded up to whole days.
pub(crate) fn retention(config: &Config) -> Retention {
    let days = (u64::from(config.audit_retention_months) * 304_375).div_ceil(10_000);
    Retention {
        max_age_secs: days * 86_400,
        max_total_bytes: config.audit_max_bytes,
        ..Retention::default()
    }
}

/// The host name as a device name, or [`DEFAULT_NAME`].
fn default_name() -> Result<DeviceName, Error> {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim();
    let mut end = host.len().min(DeviceName::MAX_LEN);
    while !host.is_char_boundary(end) {
        end -= 1;
    }
    match host.get(..end).map(DeviceName::new) {
        Some(Ok(name)) => Ok(name),
        _ => Ok(DeviceName::new(DEFAULT_NAME)?),
    }
}

/// Overwrites and deletes temporary files a crash left in `keys/` (they may
/// hold a secret key being written).
fn erase_key_temp_files(home: &Home) -> Result<(), Error> {
    let dir = home.keys_dir();
    for entry in std::fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))? {
        let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().contains(".tmp.") {
            home::erase_file(&entry.path())?;
        }
    }
    Ok(())
}

/// Erases everything HoneyLink keeps under `home` (see [`Device::destroy`]).
pub(crate) fn erase_home(
    home: &Home,
    keychain: Option<&Keychain>,
    _lock: &HomeLock,
) -> Result<DestroyReport, Error> {
    let mut report = DestroyReport::default();
    // Only regular files are overwritten and deleted; anything else found
    // where HoneyLink keeps its files (a directory, a link, a device) is
    // left, never followed, and listed, so it cannot stop the erasure of
    // what comes after it.
    let erase = |path: &Path, report: &mut DestroyReport| -> Result<(), Error> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if !meta.is_file() => {
                report.left.push(path.to_path_buf());
                Ok(())
            }
            _ => {
                if home::erase_file(path)? {
                    report.erased.push(path.to_path_buf());
                }
                Ok(())
            }
        }
    };
    // The keychain entries first (they need nothing on disk), then every
    // file in keys/ (keys, staged keys, temporary files).
    if let Some(keychain) = keychain {
        for entry in SecretEntry::ALL {
            if keychain.delete(entry)? {
                report.keychain_entries.push(entry);
            }
        }
    }
    for path in list(&home.keys_dir())? {
        erase(&path, &mut report)?;
    }
    for path in [
        home.trusted_peers_path(),
        home.pin_guard_path(),
        home.rotation_journal_path(),
    ] {
        erase(&path, &mut report)?;
    }
    for path in list(&home.logs_dir())? {
        erase(&path, &mut report)?;
    }
    // Leftover temporary files of atomic writes in the home itself.
    for path in list(home.root())? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.contains(".tmp.")) {
            erase(&path, &mut report)?;
        }
    }
    erase(&home.config_path(), &mut report)?;
    erase(&home.identity_path(), &mut report)?;
    for dir in [home.keys_dir(), home.logs_dir()] {
        if std::fs::remove_dir(&dir).is_err() {
            report.left.push(dir);
        }
    }
    let lock_path = home.lock_path();
    let _ = std::fs::remove_file(&lock_path);
    let left = list(home.root())?;
    if left.is_empty() {
        std::fs::remove_dir(home.root()).map_err(|e| Error::io("remove", home.root(), e))?;
    } else {
        report.left.extend(left);
    }
    Ok(report)
}

/// The entries of `dir` (none if it does not exist), sorted.
fn list(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.map_err(|e| Error::io("list", dir, e))?.path());
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `config.toml`'s retention in months becomes whole days of 30.4375
    /// days, rounded up; its size bound is taken as given; segments keep
    /// their default size.
    #[test]
    fn retention_follows_the_config() {
        let at = |months, bytes| {
            retention(&Config {
                audit_retention_months: months,
                audit_max_bytes: bytes,
                ..Config::default()
            })
        };
        assert_eq!(at(13, 500_000_000), Retention::default());
        assert_eq!(
            at(1, 7),
            Retention {
                max_age_secs: 31 * 86_400,
                max_total_bytes: 7,
                ..Retention::default()
            }
        );
        // 365.25 and 121.75 days, rounded up.
        assert_eq!(at(12, 1).max_age_secs, 366 * 86_400);
        assert_eq!(at(4, 1).max_age_secs, 122 * 86_400);
    }
}
