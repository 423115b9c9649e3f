//! Who a device is: its [`DeviceId`], its [`Fingerprint`], its
//! [`DeviceName`], and the secret [`DeviceIdentity`] behind them.

mod device_id;
mod fingerprint;
mod keys;
mod name;

pub use device_id::DeviceId;
pub use fingerprint::Fingerprint;
pub use keys::{DeviceIdentity, IdentitySecrets, SigningContext};
pub use name::DeviceName;
