//! A fixed-capacity trust store for firmware, with an authenticated flash
//! image.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::{KeyChangeAction, PeerRecord, TrustView, TrustedKey};
use crate::Error;
use crate::crypto::SecretBytes;
use crate::crypto::hash::{HASH_LEN, MacTag, Prk};
use crate::crypto::x25519::{StaticPublicKey, StaticSecret};
use crate::identity::{DeviceId, DeviceName};

/// Version byte of the flash image format.
pub const IMAGE_VERSION: u8 = 1;
const IMAGE_MAGIC: [u8; 8] = *b"HLtrust\0";
const MAC_LEN: usize = HASH_LEN;

/// Something blocked: a device (under any key) or a key (under any id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// This device id is refused whatever key it presents.
    Device(DeviceId),
    /// This key is refused whatever id presents it.
    Key(StaticPublicKey),
}

/// The key that authenticates a trust-store image: HKDF-SHA512 from the
/// device's X25519 static secret with its own label. Zeroized on drop.
///
/// Limits: if that secret sits in the same flash, the MAC stops corruption
/// and careless edits, not an attacker who can read that flash; and it cannot
/// stop the replay of an older genuine image (rollback), which needs the
/// image's generation kept elsewhere (a monotonic counter, a secure element):
/// [`TrustStore::from_image`] returns it for the caller to compare.
#[derive(Debug)]
pub struct ImageKey(SecretBytes<HASH_LEN>);

impl ImageKey {
    /// Derives the image key of a device identity's static secret.
    #[must_use]
    pub fn derive(secret: &StaticSecret) -> Self {
        let prk = Prk::extract(
            b"HoneyLink v1 trust store image",
            secret.to_bytes().expose_secret(),
        );
        let mut key = SecretBytes::zero();
        // 64 bytes are far below HKDF's limit.
        let _ = prk.expand(
            &[b"HoneyLink v1 trust store image MAC key"],
            key.expose_secret_mut(),
        );
        Self(key)
    }

    /// An image key from its 64 raw bytes, so a test can authenticate an
    /// image body of its own (HMAC-SHA512 under these bytes) and reach the
    /// decoder behind the MAC. Testing only.
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub const fn hazmat_from_bytes(key: SecretBytes<HASH_LEN>) -> Self {
        Self(key)
    }

    fn tag(&self, body: &[u8]) -> MacTag {
        MacTag::compute(self.0.expose_secret(), &[body])
    }
}

#[derive(Serialize)]
struct ImageOut<'a> {
    magic: [u8; 8],
    version: u8,
    generation: u64,
    peers: &'a [PeerRecord],
    blocks: &'a [Block],
}

#[derive(Serialize, Deserialize)]
struct ImageIn<const N: usize> {
    magic: [u8; 8],
    version: u8,
    generation: u64,
    peers: Vec<PeerRecord, N>,
    blocks: Vec<Block, N>,
}

/// Trusted peers and blocks, at most `N` of each, in fixed memory.
///
/// A full store answers [`Error::StoreFull`] and never evicts anything, a
/// block least of all. A new pairing never lifts a block: [`TrustStore::add`]
/// refuses a blocked device or key, and only the explicit
/// [`TrustStore::unblock_device`] / [`TrustStore::unblock_key`] do.
#[derive(Clone, Debug, Default)]
pub struct TrustStore<const N: usize> {
    peers: Vec<PeerRecord, N>,
    blocks: Vec<Block, N>,
}

impl<const N: usize> TrustStore<N> {
    /// An empty store.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            peers: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// The trusted peers.
    #[must_use]
    pub fn peers(&self) -> &[PeerRecord] {
        &self.peers
    }

    /// The blocks.
    #[must_use]
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    fn index_of(&self, id: &DeviceId) -> Option<usize> {
        self.peers.iter().position(|peer| peer.id == *id)
    }

    /// Trusts a confirmed peer. Pairing again with a paired device replaces
    /// its record: with the same key always (a new name, a new date), with a
    /// different key only if it is exactly the pending key for which the
    /// person chose to re-verify ([`KeyChangeAction::Reverify`]). The
    /// replacement uses that request up.
    ///
    /// # Errors
    /// [`Error::PeerBlocked`] if the device or its key is blocked;
    /// [`Error::KeyTrustedElsewhere`] if the key is trusted under another id;
    /// [`Error::KeyChangeNotApproved`] for a known id with a different key
    /// that is not the pending key of a re-verify request; [`Error::StoreFull`].
    /// Nothing changes on error.
    pub fn add(&mut self, record: PeerRecord) -> Result<(), Error> {
        if self.is_device_blocked(&record.id) || self.is_key_blocked(record.key.key()) {
            return Err(Error::PeerBlocked);
        }
        if let Some(owner) = self.peer_by_key(record.key.key())
            && owner.id != record.id
        {
            return Err(Error::KeyTrustedElsewhere);
        }
        match self.index_of(&record.id) {
            Some(i) => {
                if let Some(slot) = self.peers.get_mut(i) {
                    let approved = slot.reverify_requested
                        && slot.pending_key.as_ref() == Some(record.key.key());
                    if slot.key != record.key && !approved {
                        return Err(Error::KeyChangeNotApproved);
                    }
                    *slot = record;
                }
                Ok(())
            }
            None => self.peers.push(record).map_err(|_| Error::StoreFull),
        }
    }

    /// Unpairs a device (spec 8.1).
    ///
    /// # Errors
    /// [`Error::PeerNotFound`].
    pub fn remove(&mut self, id: &DeviceId) -> Result<PeerRecord, Error> {
        let i = self.index_of(id).ok_or(Error::PeerNotFound)?;
        Ok(self.peers.swap_remove(i))
    }

    /// Renames a paired device.
    ///
    /// # Errors
    /// [`Error::PeerNotFound`].
    pub fn rename(&mut self, id: &DeviceId, name: DeviceName) -> Result<(), Error> {
        let i = self.index_of(id).ok_or(Error::PeerNotFound)?;
        if let Some(peer) = self.peers.get_mut(i) {
            peer.name = name;
        }
        Ok(())
    }

    fn push_block(&mut self, block: Block) -> Result<(), Error> {
        if self.blocks.contains(&block) {
            return Ok(());
        }
        self.blocks.push(block).map_err(|_| Error::StoreFull)
    }

    /// Blocks a device id, whatever key it presents.
    ///
    /// # Errors
    /// [`Error::StoreFull`] (no block is ever evicted to make room).
    pub fn block_device(&mut self, id: DeviceId) -> Result<(), Error> {
        self.push_block(Block::Device(id))
    }

    /// Blocks a key, whatever id presents it.
    ///
    /// # Errors
    /// [`Error::StoreFull`].
    pub fn block_key(&mut self, key: StaticPublicKey) -> Result<(), Error> {
        self.push_block(Block::Key(key))
    }

    /// Lifts a device block: an explicit act, never a side effect.
    pub fn unblock_device(&mut self, id: &DeviceId) {
        self.blocks.retain(|b| *b != Block::Device(*id));
    }

    /// Lifts a key block.
    pub fn unblock_key(&mut self, key: &StaticPublicKey) {
        self.blocks.retain(|b| *b != Block::Key(*key));
    }

    /// Remembers a key a known device presented in place of its trusted one,
    /// until the person decides ([`TrustStore::resolve_key_change`]). A
    /// different key than the one pending cancels a re-verify request: the
    /// person chose to re-verify the key they were shown, not this one.
    ///
    /// # Errors
    /// [`Error::PeerNotFound`]; [`Error::NotAKeyChange`] if `presented` is
    /// the trusted key itself (blocking it would block the peer's own key).
    pub fn note_key_change(
        &mut self,
        id: &DeviceId,
        presented: StaticPublicKey,
    ) -> Result<(), Error> {
        let i = self.index_of(id).ok_or(Error::PeerNotFound)?;
        if let Some(peer) = self.peers.get_mut(i) {
            if *peer.key.key() == presented {
                return Err(Error::NotAKeyChange);
            }
            if peer.pending_key != Some(presented) {
                peer.reverify_requested = false;
            }
            peer.pending_key = Some(presented);
        }
        Ok(())
    }

    /// Applies the person's choice for a pending key change (spec 7):
    /// - [`KeyChangeAction::Block`]: keep the old key, block the presented
    ///   key (under any id), forget the pending key.
    /// - [`KeyChangeAction::Reverify`]: the old key stays until a new pairing
    ///   that brings exactly the pending key succeeds, which may then replace
    ///   it through [`TrustStore::add`]; the pending key stays for display
    ///   until then. No other key can use the request.
    /// - [`KeyChangeAction::TrustNewKey`]: replace the key (explicit and
    ///   dangerous).
    ///
    /// Block and trust-new-key also end any re-verify request.
    ///
    /// # Errors
    /// [`Error::PeerNotFound`]; [`Error::NoPendingKey`];
    /// [`Error::PendingKeyChanged`] unless `shown` (the key the person was
    /// shown and decided about) is still the pending key; [`Error::StoreFull`]
    /// if a block does not fit; [`Error::PeerBlocked`] if the new key is
    /// blocked; [`Error::KeyTrustedElsewhere`] if it is another peer's.
    /// Nothing changes on error.
    pub fn resolve_key_change(
        &mut self,
        id: &DeviceId,
        shown: &StaticPublicKey,
        action: KeyChangeAction,
    ) -> Result<(), Error> {
        let i = self.index_of(id).ok_or(Error::PeerNotFound)?;
        let pending = self
            .peers
            .get(i)
            .and_then(|peer| peer.pending_key)
            .ok_or(Error::NoPendingKey)?;
        if pending != *shown {
            return Err(Error::PendingKeyChanged);
        }
        match action {
            KeyChangeAction::Block => {
                self.block_key(pending)?;
                if let Some(peer) = self.peers.get_mut(i) {
                    peer.pending_key = None;
                    peer.reverify_requested = false;
                }
            }
            KeyChangeAction::Reverify => {
                if let Some(peer) = self.peers.get_mut(i) {
                    peer.reverify_requested = true;
                }
            }
            KeyChangeAction::TrustNewKey => {
                if self.is_key_blocked(&pending) {
                    return Err(Error::PeerBlocked);
                }
                if self
                    .peer_by_key(&pending)
                    .is_some_and(|owner| owner.id != *id)
                {
                    return Err(Error::KeyTrustedElsewhere);
                }
                if let Some(peer) = self.peers.get_mut(i) {
                    peer.key = TrustedKey::new(pending);
                    peer.pending_key = None;
                    peer.reverify_requested = false;
                }
            }
        }
        Ok(())
    }

    /// Writes the store as a flash image: postcard body (magic, version,
    /// `generation`, peers, blocks) then its 64-byte HMAC-SHA512 under `key`.
    /// Returns the image's length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn to_image(
        &self,
        key: &ImageKey,
        generation: u64,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let image = ImageOut {
            magic: IMAGE_MAGIC,
            version: IMAGE_VERSION,
            generation,
            peers: &self.peers,
            blocks: &self.blocks,
        };
        let body = postcard::experimental::serialized_size(&image).map_err(|_| Error::Malformed)?;
        let needed = body + MAC_LEN;
        let out = out
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let (body_out, mac_out) = out.split_at_mut(body);
        postcard::to_slice(&image, body_out).map_err(|_| Error::BufferTooSmall { needed })?;
        mac_out.copy_from_slice(&key.tag(body_out).0);
        Ok(needed)
    }

    /// Reads a flash image: checks its MAC (in constant time) before decoding
    /// anything, then decodes strictly. Returns the store and the image's
    /// generation, which the caller compares with the one it keeps elsewhere
    /// to refuse a rollback.
    ///
    /// # Errors
    /// [`Error::ImageAuthentication`] if the MAC does not match (corruption,
    /// or forgery without the device's secret); [`Error::UnknownVersion`];
    /// [`Error::Malformed`] (a second encoding of the same store, more than
    /// `N` peers or blocks, or two records for one id or one key);
    /// [`Error::TrailingBytes`].
    pub fn from_image(image: &[u8], key: &ImageKey) -> Result<(Self, u64), Error> {
        let body_len = image.len().checked_sub(MAC_LEN).ok_or(Error::Malformed)?;
        let (body, mac) = image.split_at(body_len);
        let mut tag = [0u8; MAC_LEN];
        tag.copy_from_slice(mac);
        if key.tag(body) != MacTag(tag) {
            return Err(Error::ImageAuthentication);
        }
        crate::wire::check_header(body, &IMAGE_MAGIC, IMAGE_VERSION)?;
        let decoded: ImageIn<N> = crate::wire::decode_exact(body)?;
        let store = Self {
            peers: decoded.peers,
            blocks: decoded.blocks,
        };
        let duplicate = store.peers.iter().enumerate().any(|(i, a)| {
            store
                .peers
                .iter()
                .skip(i + 1)
                .any(|b| a.id == b.id || a.key == b.key)
        });
        if duplicate {
            return Err(Error::Malformed);
        }
        Ok((store, decoded.generation))
    }

    /// Re-authenticates an image under a new key (after a key rotation), in
    /// the same step as the rotation, so no stored trust is lost. Returns the
    /// new image's length (the body is unchanged).
    ///
    /// # Errors
    /// As [`TrustStore::from_image`] under `old`, and
    /// [`Error::BufferTooSmall`].
    pub fn reseal_image(
        image: &[u8],
        old: &ImageKey,
        new: &ImageKey,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (store, generation) = Self::from_image(image, old)?;
        store.to_image(new, generation, out)
    }
}

impl<const N: usize> TrustView for TrustStore<N> {
    fn peer_by_id(&self, id: &DeviceId) -> Option<&PeerRecord> {
        self.peers.iter().find(|peer| peer.id == *id)
    }

    fn peer_by_key(&self, key: &StaticPublicKey) -> Option<&PeerRecord> {
        self.peers.iter().find(|peer| peer.key.key() == key)
    }

    fn is_device_blocked(&self, id: &DeviceId) -> bool {
        self.blocks
            .iter()
            .any(|b| matches!(b, Block::Device(d) if d == id))
    }

    fn is_key_blocked(&self, key: &StaticPublicKey) -> bool {
        self.blocks
            .iter()
            .any(|b| matches!(b, Block::Key(k) if k == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairing::PairingMethod;

    fn key(b: u8) -> StaticPublicKey {
        *StaticSecret::from_bytes(SecretBytes::new([b; 32])).public_key()
    }

    fn record(id: u8, k: u8) -> PeerRecord {
        PeerRecord {
            id: DeviceId::from_bytes([id; 16]),
            name: DeviceName::new("Peer").unwrap_or_else(|_| unreachable!()),
            key: TrustedKey::new(key(k)),
            method: PairingMethod::Qr,
            paired_at: 1,
            pending_key: None,
            reverify_requested: false,
        }
    }

    /// An authentic image that holds two records for one id, or for one
    /// key, is refused as malformed: `add` could never have written it, so
    /// it is not a state to trust (each case alone, so neither check hides
    /// behind the other).
    #[test]
    fn an_image_with_two_records_for_one_id_or_one_key_is_refused() {
        let image_key = ImageKey::derive(&StaticSecret::from_bytes(SecretBytes::new([9; 32])));
        let cases = [
            ((1, 1), (2, 2), None),
            ((1, 1), (1, 2), Some(Error::Malformed)),
            ((1, 1), (2, 1), Some(Error::Malformed)),
        ];
        for (a, b, refused) in cases {
            let mut store = TrustStore::<4>::new();
            for (id, k) in [a, b] {
                if store.peers.push(record(id, k)).is_err() {
                    unreachable!();
                }
            }
            let mut image = [0u8; 1024];
            let n = store
                .to_image(&image_key, 7, &mut image)
                .unwrap_or_else(|_| unreachable!());
            let read = TrustStore::<4>::from_image(image.get(..n).unwrap_or(&[]), &image_key);
            assert_eq!(read.err(), refused, "{a:?} {b:?}");
        }
    }
}
