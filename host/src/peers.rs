//! Trusted and blocked peers, kept in `trusted_peers.json` (spec 6.3, 7,
//! 8.1).
//!
//! [`TrustedPeers`] is the host's trust store: it implements the core's
//! [`TrustView`], so every trust decision is the core's [`decide`], and the
//! checks on a change (a blocked device or key, a key trusted under another
//! id, a key change not approved) are read from that same decision rather
//! than written again here. Lookups by id and by key go through hash maps,
//! so a decision costs the same with ten peers or ten thousand.
//!
//! The file is JSON, versioned, written atomically and only under the home's
//! lock ([`TrustedPeers::update`]):
//!
//! ```json
//! {
//!   "version": 1,
//!   "peers": [
//!     {
//!       "id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
//!       "name": "Alice's phone",
//!       "public_key": "<base64 of the 32-byte X25519 key>",
//!       "fingerprint": "ABCDE-...",
//!       "paired_at": "2026-03-01T12:00:00Z",
//!       "method": "qr",
//!       "state": "trusted",
//!       "pending_key": null,
//!       "reverify_requested": false,
//!       "address": "192.0.2.7:7300"
//!     }
//!   ],
//!   "blocked_keys": [{ "public_key": "...", "fingerprint": "..." }]
//! }
//! ```
//!
//! `address`, the last address this device reached the peer at (the
//! transport hint of its code, `--connect`, or `connect ADDR`), is optional
//! and left out when unknown, so files written before it existed still read.
//!
//! Loading checks everything the file claims: the version, every key's
//! bytes (canonical, not of small order), every fingerprint against its key,
//! names and ids, and that no id or trusted key appears twice. Anything else
//! is [`Error::Corrupt`] naming the file, which is left as it is.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::Path;

use base64ct::{Base64, Encoding};
use honeylink_core::crypto::x25519::{KEY_LEN, StaticPublicKey};
use honeylink_core::identity::{DeviceId, DeviceName, Fingerprint};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{Decision, KeyChangeAction, PeerRecord, TrustView, TrustedKey, decide};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::home::{Home, HomeLock};

/// Version of the `trusted_peers.json` format.
pub const PEERS_FILE_VERSION: u32 = 1;

/// The largest `trusted_peers.json` read, in bytes. The longest peer entry
/// HoneyLink writes is under 700 bytes (a 32-byte name of escaped
/// characters, a pending key; see the tests), so this holds 10,000 peers and
/// as many blocked keys more than four times over.
pub const MAX_PEERS_FILE_LEN: u64 = 32 * 1024 * 1024;

/// Whether a paired device may connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerState {
    /// Paired and trusted with its key.
    Trusted,
    /// Paired, but refused whatever key it presents, until unblocked.
    Blocked,
}

/// A paired device: the core's record and whether it is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// What pairing established (id, name, key, method, time, pending key).
    pub record: PeerRecord,
    /// Trusted or blocked.
    pub state: PeerState,
    /// The last address this device reached it at, if any (not
    /// authenticated: the session's handshake decides who answers there).
    pub address: Option<SocketAddr>,
}

/// A public key as a hash-map key: hashed by its canonical bytes, compared
/// in constant time (as [`StaticPublicKey`]'s equality is).
#[derive(Clone, Copy, PartialEq, Eq)]
struct KeyIndex(StaticPublicKey);

impl Hash for KeyIndex {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_bytes().hash(state);
    }
}

/// The trusted and blocked peers, in memory.
///
/// Read with [`TrustedPeers::load`]; change only through
/// [`TrustedPeers::update`], which loads, applies the change and writes the
/// file back atomically under the home's lock. The in-memory operations
/// change nothing on error.
#[derive(Clone, Default)]
pub struct TrustedPeers {
    peers: HashMap<DeviceId, Peer>,
    by_key: HashMap<KeyIndex, DeviceId>,
    blocked_keys: HashSet<KeyIndex>,
}

impl std::fmt::Debug for TrustedPeers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedPeers")
            .field("peers", &self.peers.len())
            .field("blocked_keys", &self.blocked_keys.len())
            .finish()
    }
}

impl TrustView for TrustedPeers {
    fn peer_by_id(&self, id: &DeviceId) -> Option<&PeerRecord> {
        self.peers.get(id).map(|peer| &peer.record)
    }

    fn peer_by_key(&self, key: &StaticPublicKey) -> Option<&PeerRecord> {
        let id = self.by_key.get(&KeyIndex(*key))?;
        self.peer_by_id(id)
    }

    fn is_device_blocked(&self, id: &DeviceId) -> bool {
        self.peers
            .get(id)
            .is_some_and(|peer| peer.state == PeerState::Blocked)
    }

    fn is_key_blocked(&self, key: &StaticPublicKey) -> bool {
        self.blocked_keys.contains(&KeyIndex(*key))
    }
}

impl TrustedPeers {
    /// No peers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `trusted_peers.json`; no file means no peers.
    ///
    /// # Errors
    /// The home's file errors ([`Error::TooOpen`], [`Error::Symlink`],
    /// [`Error::NotAFile`], [`Error::TooLarge`], ...) and [`Error::Corrupt`].
    pub fn load(home: &Home) -> Result<Self, Error> {
        let path = home.trusted_peers_path();
        match home.read_private_if_exists(&path, MAX_PEERS_FILE_LEN)? {
            None => Ok(Self::new()),
            Some(bytes) => Self::parse(&path, &bytes),
        }
    }

    /// Parses and checks the contents of `trusted_peers.json` (the file at
    /// `path`): the byte-level reader [`TrustedPeers::load`] uses.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` and saying what is wrong: not the
    /// JSON [`TrustedPeers::to_json`] writes, another version, a key,
    /// fingerprint, name, id, time or address that does not parse or
    /// check, an id or trusted key listed twice.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json(bytes).map_err(|detail| Error::corrupt(path, detail))
    }

    /// Applies `change` to the stored peers and writes them back, all under
    /// the home's lock: load, change, write to a temporary file, flush,
    /// rename, flush the directory. When it returns `Ok` the change is on
    /// disk; when `change` fails nothing is written.
    ///
    /// Must not be called while this process holds the home's lock (it
    /// would wait for itself): use [`TrustedPeers::update_locked`] then.
    ///
    /// # Errors
    /// Those of [`TrustedPeers::load`], the write's, and `change`'s.
    pub fn update<T>(
        home: &Home,
        change: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let lock = home.lock()?;
        Self::update_locked(home, &lock, change)
    }

    /// [`TrustedPeers::update`] under a lock the caller already holds (to
    /// change the peers and append to the audit log in one step).
    ///
    /// # Errors
    /// As [`TrustedPeers::update`].
    pub fn update_locked<T>(
        home: &Home,
        _lock: &HomeLock,
        change: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut peers = Self::load(home)?;
        let out = change(&mut peers)?;
        home.write_private(&home.trusted_peers_path(), &peers.to_json()?)?;
        Ok(out)
    }

    /// Writes these peers to `trusted_peers.json` (atomic, flushed), under
    /// a lock the caller holds: for a change computed from a
    /// [`TrustedPeers::load`] made under the same lock, written after the
    /// audit record that reports it.
    ///
    /// # Errors
    /// The write's.
    pub fn save_locked(&self, home: &Home, _lock: &HomeLock) -> Result<(), Error> {
        home.write_private(&home.trusted_peers_path(), &self.to_json()?)
    }

    /// The number of paired devices (trusted or blocked).
    #[must_use]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no device is paired.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The paired device with this id.
    #[must_use]
    pub fn get(&self, id: &DeviceId) -> Option<&Peer> {
        self.peers.get(id)
    }

    /// Every paired device, oldest pairing first (then by id).
    #[must_use]
    pub fn peers(&self) -> Vec<&Peer> {
        let mut peers: Vec<&Peer> = self.peers.values().collect();
        peers.sort_by(|a, b| {
            (a.record.paired_at, a.record.id.as_bytes())
                .cmp(&(b.record.paired_at, b.record.id.as_bytes()))
        });
        peers
    }

    /// Every blocked key, in byte order.
    #[must_use]
    pub fn blocked_keys(&self) -> Vec<StaticPublicKey> {
        let mut keys: Vec<StaticPublicKey> = self.blocked_keys.iter().map(|k| k.0).collect();
        keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        keys
    }

    /// Finds one paired device by a prefix of its id (with or without the
    /// dashes, either case) or by its exact name.
    ///
    /// # Errors
    /// [`Error::PeerNotFound`] if none matches; [`Error::AmbiguousPeer`],
    /// listing them, if several do.
    pub fn find(&self, query: &str) -> Result<&Peer, Error> {
        let wanted: String = query
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        let is_hex = !wanted.is_empty() && wanted.chars().all(|c| c.is_ascii_hexdigit());
        let mut found: Vec<&Peer> = self
            .peers()
            .into_iter()
            .filter(|peer| {
                let by_id = is_hex
                    && peer
                        .record
                        .id
                        .to_string()
                        .replace('-', "")
                        .starts_with(&wanted);
                by_id || peer.record.name.as_str() == query
            })
            .collect();
        match found.len() {
            0 => Err(Error::PeerNotFound {
                query: query.to_owned(),
            }),
            1 => found.pop().ok_or(Error::PeerNotFound {
                query: query.to_owned(),
            }),
            _ => Err(Error::AmbiguousPeer {
                query: query.to_owned(),
                matches: found
                    .iter()
                    .map(|p| format!("{} ({})", p.record.id, p.record.name))
                    .collect(),
            }),
        }
    }

    fn peer_mut(&mut self, id: &DeviceId) -> Result<&mut Peer, Error> {
        self.peers
            .get_mut(id)
            .ok_or(Error::Core(honeylink_core::Error::PeerNotFound))
    }

    /// Trusts a peer a person confirmed at the end of a pairing
    /// ([`honeylink_core::pairing::PendingPeer::confirm`]). Pairing again
    /// with a paired device replaces its record: with the same key always,
    /// with a different key only after the person chose to re-verify the key
    /// change ([`KeyChangeAction::Reverify`]). The rules are the core's
    /// decision for the record's id and key.
    ///
    /// # Errors
    /// Core errors: `PeerBlocked` (the device or the key is blocked; a
    /// pairing never lifts a block), `KeyTrustedElsewhere` (the key is
    /// trusted under another id), `KeyChangeNotApproved`.
    pub fn add(&mut self, record: PeerRecord) -> Result<(), Error> {
        use honeylink_core::Error as Core;
        match decide(self, &record.id, record.key.key()) {
            Decision::Blocked => return Err(Error::Core(Core::PeerBlocked)),
            Decision::IdentityMismatch => return Err(Error::Core(Core::KeyTrustedElsewhere)),
            Decision::KeyChanged { .. }
                if !self
                    .peers
                    .get(&record.id)
                    .is_some_and(|p| p.record.reverify_requested) =>
            {
                return Err(Error::Core(Core::KeyChangeNotApproved));
            }
            Decision::KeyChanged { .. } | Decision::Trusted | Decision::Unknown => {}
        }
        // Pairing again keeps the address it was last reached at.
        let address = self.peers.get(&record.id).and_then(|p| p.address);
        self.insert(Peer {
            record,
            state: PeerState::Trusted,
            address,
        });
        Ok(())
    }

    /// Puts `peer` in place of any record for its id, keeping the key index
    /// exact.
    fn insert(&mut self, peer: Peer) {
        if let Some(old) = self.peers.insert(peer.record.id, peer) {
            self.by_key.remove(&KeyIndex(*old.record.key.key()));
        }
        self.by_key
            .insert(KeyIndex(*peer.record.key.key()), peer.record.id);
    }

    /// Unpairs a trusted device (spec 8.1): its next connection is refused
    /// as untrusted. Returns its record (for the audit event).
    ///
    /// # Errors
    /// Core `PeerNotFound`; core `PeerBlocked` for a blocked device, whose
    /// block would go with its record: unblock it first.
    pub fn remove(&mut self, id: &DeviceId) -> Result<PeerRecord, Error> {
        if self.peer_mut(id)?.state == PeerState::Blocked {
            return Err(Error::Core(honeylink_core::Error::PeerBlocked));
        }
        let peer = self
            .peers
            .remove(id)
            .ok_or(Error::Core(honeylink_core::Error::PeerNotFound))?;
        self.by_key.remove(&KeyIndex(*peer.record.key.key()));
        Ok(peer.record)
    }

    /// Unpairs every trusted device (identity rotation, spec 6.1); blocked
    /// devices and blocked keys stay blocked. Returns the removed records.
    pub fn unpair_all(&mut self) -> Vec<PeerRecord> {
        let trusted: Vec<DeviceId> = self
            .peers()
            .into_iter()
            .filter(|p| p.state == PeerState::Trusted)
            .map(|p| p.record.id)
            .collect();
        trusted
            .iter()
            .filter_map(|id| self.remove(id).ok())
            .collect()
    }

    /// Forgets everything, blocks included (device destruction, spec 8.2).
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Blocks a paired device, whatever key it presents.
    ///
    /// # Errors
    /// Core `PeerNotFound`.
    pub fn block_device(&mut self, id: &DeviceId) -> Result<(), Error> {
        self.peer_mut(id)?.state = PeerState::Blocked;
        Ok(())
    }

    /// Lifts a device block: an explicit act, never a side effect.
    ///
    /// # Errors
    /// Core `PeerNotFound`.
    pub fn unblock_device(&mut self, id: &DeviceId) -> Result<(), Error> {
        self.peer_mut(id)?.state = PeerState::Trusted;
        Ok(())
    }

    /// Blocks a key, under whatever id it comes.
    pub fn block_key(&mut self, key: StaticPublicKey) {
        self.blocked_keys.insert(KeyIndex(key));
    }

    /// Lifts a key block; returns whether the key was blocked.
    pub fn unblock_key(&mut self, key: &StaticPublicKey) -> bool {
        self.blocked_keys.remove(&KeyIndex(*key))
    }

    /// Renames a paired device.
    ///
    /// # Errors
    /// Core `PeerNotFound`.
    pub fn rename(&mut self, id: &DeviceId, name: DeviceName) -> Result<(), Error> {
        self.peer_mut(id)?.record.name = name;
        Ok(())
    }

    /// Remembers `address` as where a paired device was last reached.
    /// Returns whether that changed anything.
    ///
    /// # Errors
    /// Core `PeerNotFound`.
    pub fn set_address(&mut self, id: &DeviceId, address: SocketAddr) -> Result<bool, Error> {
        let peer = self.peer_mut(id)?;
        let changed = peer.address != Some(address);
        peer.address = Some(address);
        Ok(changed)
    }

    /// Remembers the different key a known device presented (the core
    /// decided [`Decision::KeyChanged`]), until the person chooses what to do
    /// ([`TrustedPeers::resolve_key_change`]).
    ///
    /// # Errors
    /// Core `PeerNotFound`; core `NotAKeyChange` if `presented` is the
    /// trusted key itself.
    pub fn note_key_change(
        &mut self,
        id: &DeviceId,
        presented: StaticPublicKey,
    ) -> Result<(), Error> {
        let peer = self.peer_mut(id)?;
        if *peer.record.key.key() == presented {
            return Err(Error::Core(honeylink_core::Error::NotAKeyChange));
        }
        peer.record.pending_key = Some(presented);
        Ok(())
    }

    /// Applies the person's choice for a pending key change (spec 7), as the
    /// core's `TrustStore` does:
    /// - [`KeyChangeAction::Block`]: keep the old key, block the presented
    ///   one (under any id), forget it as pending.
    /// - [`KeyChangeAction::Reverify`]: keep the old key; the next pairing
    ///   with this id may replace it ([`TrustedPeers::add`]).
    /// - [`KeyChangeAction::TrustNewKey`]: replace the key now (explicit and
    ///   dangerous).
    ///
    /// Returns the pending key.
    ///
    /// # Errors
    /// Core `PeerNotFound`, `NoPendingKey`, `PendingKeyChanged` unless
    /// `shown` (the key the person decided about) is still the pending key;
    /// for trust-new-key, core
    /// `PeerBlocked` (the device or the new key is blocked) and
    /// `KeyTrustedElsewhere`. Nothing changes on error.
    pub fn resolve_key_change(
        &mut self,
        id: &DeviceId,
        shown: &StaticPublicKey,
        action: KeyChangeAction,
    ) -> Result<StaticPublicKey, Error> {
        use honeylink_core::Error as Core;
        let pending = self
            .peer_mut(id)?
            .record
            .pending_key
            .ok_or(Error::Core(Core::NoPendingKey))?;
        if pending != *shown {
            return Err(Error::Core(Core::PendingKeyChanged));
        }
        match action {
            KeyChangeAction::Block => {
                self.block_key(pending);
                self.peer_mut(id)?.record.pending_key = None;
            }
            KeyChangeAction::Reverify => {
                self.peer_mut(id)?.record.reverify_requested = true;
            }
            KeyChangeAction::TrustNewKey => {
                match decide(self, id, &pending) {
                    Decision::Blocked => return Err(Error::Core(Core::PeerBlocked)),
                    Decision::IdentityMismatch => {
                        return Err(Error::Core(Core::KeyTrustedElsewhere));
                    }
                    Decision::KeyChanged { .. } => {}
                    Decision::Trusted | Decision::Unknown => {
                        return Err(Error::Core(Core::NotAKeyChange));
                    }
                }
                let mut peer = *self.peer_mut(id)?;
                peer.record.key = trusted_key(pending)?;
                peer.record.pending_key = None;
                peer.record.reverify_requested = false;
                self.insert(peer);
            }
        }
        Ok(pending)
    }

    /// The bytes of `trusted_peers.json` for these peers, as
    /// [`TrustedPeers::update`] writes them: peers and blocked keys in a
    /// fixed order, so one set of peers has one text, which
    /// [`TrustedPeers::parse`] reads back as these peers.
    ///
    /// # Errors
    /// [`Error::Clock`] for a pairing time RFC 3339 cannot show (after the
    /// year 9999; [`TrustedPeers::parse`] never yields one).
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        let peers = self
            .peers()
            .into_iter()
            .map(StoredPeer::from_peer)
            .collect::<Result<Vec<_>, Error>>()?;
        let file = PeersFile {
            version: PEERS_FILE_VERSION,
            peers,
            blocked_keys: self
                .blocked_keys()
                .iter()
                .map(StoredKey::from_key)
                .collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::corrupt("trusted_peers.json", format!("cannot encode: {e}")))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parses and checks the file's bytes; the error says what is wrong.
    fn from_json(bytes: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| format!("not a peers file: {e}"))?;
        if version.version != PEERS_FILE_VERSION {
            return Err(format!(
                "version {} (this HoneyLink reads version {PEERS_FILE_VERSION})",
                version.version
            ));
        }
        let file: PeersFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut out = Self::new();
        for (i, stored) in file.peers.iter().enumerate() {
            let peer = stored
                .to_peer()
                .map_err(|e| format!("peer {} ({}): {e}", i + 1, stored.id))?;
            if out.peers.contains_key(&peer.record.id) {
                return Err(format!("peer {} ({}): id listed twice", i + 1, stored.id));
            }
            if out.by_key.contains_key(&KeyIndex(*peer.record.key.key())) {
                return Err(format!(
                    "peer {} ({}): key trusted for another peer too",
                    i + 1,
                    stored.id
                ));
            }
            out.insert(peer);
        }
        for (i, stored) in file.blocked_keys.iter().enumerate() {
            let key = stored
                .to_key()
                .map_err(|e| format!("blocked key {}: {e}", i + 1))?;
            if !out.blocked_keys.insert(KeyIndex(key)) {
                return Err(format!("blocked key {}: listed twice", i + 1));
            }
        }
        Ok(out)
    }
}

/// A key the store trusts, made the way the core allows for stored records:
/// by deserializing it (from its serde form, the 32 bytes).
fn trusted_key(key: StaticPublicKey) -> Result<TrustedKey, Error> {
    serde_json::to_value(key)
        .and_then(serde_json::from_value)
        .map_err(|_| Error::Core(honeylink_core::Error::Malformed))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeersFile {
    version: u32,
    peers: Vec<StoredPeer>,
    blocked_keys: Vec<StoredKey>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredMethod {
    Qr,
    Pin,
    Nfc,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    public_key: String,
    fingerprint: String,
}

impl StoredKey {
    fn from_key(key: &StaticPublicKey) -> Self {
        Self {
            public_key: Base64::encode_string(key.as_bytes()),
            fingerprint: Fingerprint::of(key).to_string(),
        }
    }

    fn to_key(&self) -> Result<StaticPublicKey, String> {
        let mut bytes = [0u8; KEY_LEN];
        let decoded = Base64::decode(&self.public_key, &mut bytes)
            .map_err(|_| "public key is not base64 of 32 bytes".to_owned())?;
        if decoded.len() != KEY_LEN {
            return Err("public key is not 32 bytes".to_owned());
        }
        let key = StaticPublicKey::from_bytes(&bytes).map_err(|e| format!("public key: {e}"))?;
        let fingerprint: Fingerprint = self
            .fingerprint
            .parse()
            .map_err(|e| format!("fingerprint: {e}"))?;
        if fingerprint != Fingerprint::of(&key) {
            return Err("fingerprint does not match the public key".to_owned());
        }
        Ok(key)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPeer {
    id: String,
    name: String,
    public_key: String,
    fingerprint: String,
    paired_at: String,
    method: StoredMethod,
    state: PeerState,
    pending_key: Option<StoredKey>,
    reverify_requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

impl StoredPeer {
    fn from_peer(peer: &Peer) -> Result<Self, Error> {
        let r = &peer.record;
        let key = StoredKey::from_key(r.key.key());
        Ok(Self {
            id: r.id.to_string(),
            name: r.name.as_str().to_owned(),
            public_key: key.public_key,
            fingerprint: key.fingerprint,
            paired_at: format_rfc3339(r.paired_at).ok_or(Error::Clock)?,
            method: match r.method {
                PairingMethod::Qr => StoredMethod::Qr,
                PairingMethod::Pin => StoredMethod::Pin,
                PairingMethod::Nfc => StoredMethod::Nfc,
            },
            state: peer.state,
            pending_key: r.pending_key.as_ref().map(StoredKey::from_key),
            reverify_requested: r.reverify_requested,
            address: peer.address.map(|a| a.to_string()),
        })
    }

    fn to_peer(&self) -> Result<Peer, String> {
        let id: DeviceId = self.id.parse().map_err(|e| format!("id: {e}"))?;
        let name = DeviceName::new(&self.name).map_err(|e| format!("name: {e}"))?;
        let key = StoredKey {
            public_key: self.public_key.clone(),
            fingerprint: self.fingerprint.clone(),
        }
        .to_key()?;
        let paired_at = parse_rfc3339(&self.paired_at)
            .ok_or_else(|| format!("paired_at {:?} is not an RFC 3339 UTC time", self.paired_at))?;
        let pending_key = self
            .pending_key
            .as_ref()
            .map(|k| k.to_key().map_err(|e| format!("pending key: {e}")))
            .transpose()?;
        if pending_key.is_some_and(|pending| pending == key) {
            return Err("pending key is the trusted key".to_owned());
        }
        let address = self
            .address
            .as_deref()
            .map(|a| {
                a.parse::<SocketAddr>()
                    .map_err(|_| format!("address {a:?} is not an IP address and port"))
            })
            .transpose()?;
        Ok(Peer {
            record: PeerRecord {
                id,
                name,
                key: trusted_key(key).map_err(|e| e.to_string())?,
                method: match self.method {
                    StoredMethod::Qr => PairingMethod::Qr,
                    StoredMethod::Pin => PairingMethod::Pin,
                    StoredMethod::Nfc => PairingMethod::Nfc,
                },
                paired_at,
                pending_key,
                reverify_requested: self.reverify_requested,
            },
            state: self.state,
            address,
        })
    }
}
