//! Trust-store flash images: a store built through the API, its image, and
//! the fuzzer's edits (optionally re-authenticated, to reach the decoder
//! behind the MAC).

use arbitrary::Arbitrary;
use honeylink_core::crypto::hash::{MacTag, Prk};
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::PairingMethod;
use honeylink_core::pairing::PendingPeer;
use honeylink_core::trust::{ImageKey, TrustStore};

use crate::seed::{Encode, Writer};
use crate::tamper::Edit;
use crate::{NAMES, identities};

/// Capacity of the fuzzed store.
pub const CAPACITY: usize = 4;

/// One change to the store before it is written.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    /// Trust device `who` (modulo 3) with its key, named `name` (modulo 3).
    Trust {
        /// Which device.
        who: u8,
        /// Which name.
        name: u8,
    },
    /// Block device `who`'s id.
    BlockDevice {
        /// Which device.
        who: u8,
    },
    /// Block device `who`'s key.
    BlockKey {
        /// Which device.
        who: u8,
    },
}

/// The input of `trust_image`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ImageInput {
    /// How the store is built (errors, such as trusting a blocked device,
    /// are skipped).
    pub ops: Vec<StoreOp>,
    /// The image's generation.
    pub generation: u64,
    /// Recompute the MAC over the edited body with the right key.
    pub remac: bool,
    /// The edits to the image.
    pub edits: Vec<Edit>,
}

impl Encode for StoreOp {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Trust { who, name } => {
                w.variant(0, 3);
                w.u8(*who);
                w.u8(*name);
            }
            Self::BlockDevice { who } => {
                w.variant(1, 3);
                w.u8(*who);
            }
            Self::BlockKey { who } => {
                w.variant(2, 3);
                w.u8(*who);
            }
        }
    }
}

impl Encode for ImageInput {
    fn encode(&self, w: &mut Writer) {
        w.vec(&self.ops);
        w.u64(self.generation);
        w.bool(self.remac);
        w.vec(&self.edits);
    }
}

/// The identity whose image key authenticates the images.
pub fn owner() -> &'static DeviceIdentity {
    &identities()[1]
}

/// A store built by `ops`.
pub fn build(ops: &[StoreOp]) -> TrustStore<CAPACITY> {
    let ids = identities();
    let mut store = TrustStore::new();
    for op in ops.iter().take(12) {
        let _ = match *op {
            StoreOp::Trust { who, name } => {
                let who = &ids[usize::from(who) % 3];
                let name = DeviceName::new(NAMES[usize::from(name) % 3]).expect("valid");
                let peer = PendingPeer::hazmat_new(
                    who.device_id(),
                    name,
                    *who.static_public_key(),
                    PairingMethod::Pin,
                );
                store.add(peer.confirm(name.as_str().len() as u64))
            }
            StoreOp::BlockDevice { who } => {
                store.block_device(ids[usize::from(who) % 3].device_id())
            }
            StoreOp::BlockKey { who } => {
                store.block_key(*ids[usize::from(who) % 3].static_public_key())
            }
        };
    }
    store
}

/// The image MAC of `body`, computed here from the owner's secret as the
/// specification defines the image key (HKDF-SHA512 with the image labels,
/// then HMAC-SHA512), so edited bodies can be re-authenticated. The target
/// checks it against the core's own MAC on every genuine image.
pub fn mac(body: &[u8]) -> [u8; 64] {
    let secret = owner().static_secret().to_bytes();
    let prk = Prk::extract(b"HoneyLink v1 trust store image", secret.expose_secret());
    let mut key = [0u8; 64];
    prk.expand(&[b"HoneyLink v1 trust store image MAC key"], &mut key)
        .expect("64 bytes");
    MacTag::compute(&key, &[body]).0
}

/// The owner's image key.
pub fn image_key() -> ImageKey {
    ImageKey::derive(owner().static_secret())
}
