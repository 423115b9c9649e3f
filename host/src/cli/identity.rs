//! `init` and `id`: this device's identity.

use honeylink_core::identity::DeviceName;
use honeylink_host::Error;
use honeylink_host::clock::unix_now;
use honeylink_host::device::Device;
use serde_json::json;

use super::Ctx;
use super::ui::time;

/// The identity as JSON.
pub(crate) fn identity_json(device: &Device, created_now: bool) -> serde_json::Value {
    let info = device.info();
    json!({
        "device_id": info.device_id.to_string(),
        "name": info.name.as_str(),
        "fingerprint": info.fingerprint.to_string(),
        "created": time(info.created),
        "created_now": created_now,
        "keys": match info.secrets {
            honeylink_host::keys::Location::Keychain => "keychain",
            honeylink_host::keys::Location::File => "file",
        },
        "home": device.home().root().display().to_string(),
    })
}

fn print(ctx: &Ctx, device: &Device, created_now: bool) -> Result<(), Error> {
    let info = device.info();
    ctx.ui.emit(&identity_json(device, created_now))?;
    let keys = match info.secrets {
        honeylink_host::keys::Location::Keychain => "in the OS keychain".to_owned(),
        honeylink_host::keys::Location::File => {
            format!("in files under {}", device.home().keys_dir().display())
        }
    };
    ctx.ui.say(&format!(
        "{}\n  device id    {}\n  name         {}\n  fingerprint  {}\n  keys         {keys}\n  created      {}",
        if created_now {
            "Created this device's identity."
        } else {
            "This device's identity:"
        },
        info.device_id,
        info.name.as_str(),
        info.fingerprint,
        time(info.created),
    ))
}

/// `honeylink init [--name NAME]`.
pub(crate) fn init(ctx: &Ctx, name: Option<&str>) -> Result<(), Error> {
    let name = name.map(DeviceName::new).transpose()?;
    let (device, created) = Device::init(&ctx.root, name, unix_now()?)?;
    ctx.notices(&device)?;
    if !created && name.is_some_and(|n| n != *device.name()) {
        ctx.ui.warn(&format!(
            "note: an identity exists already; it keeps its name '{}'",
            device.name().as_str()
        ))?;
    }
    print(ctx, &device, created)
}

/// `honeylink id`.
pub(crate) fn show(ctx: &Ctx) -> Result<(), Error> {
    let device = ctx.open()?;
    print(ctx, &device, false)
}
