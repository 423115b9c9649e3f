//! `peers`: the paired devices, and the person's changes to them.

use honeylink_core::identity::{DeviceName, Fingerprint};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::KeyChangeAction;
use honeylink_host::Error;
use honeylink_host::clock::unix_now;
use honeylink_host::peers::{Peer, PeerState};
use serde_json::{Value, json};

use super::ui::{time, who};
use super::{Ctx, PeersCommand};

fn method(method: PairingMethod) -> &'static str {
    match method {
        PairingMethod::Qr => "qr",
        PairingMethod::Pin => "pin",
        PairingMethod::Nfc => "nfc",
    }
}

fn state(state: PeerState) -> &'static str {
    match state {
        PeerState::Trusted => "trusted",
        PeerState::Blocked => "blocked",
    }
}

/// A peer as JSON.
fn peer_json(peer: &Peer) -> Value {
    let r = &peer.record;
    json!({
        "id": r.id.to_string(),
        "name": r.name.as_str(),
        "fingerprint": r.key.fingerprint().to_string(),
        "state": state(peer.state),
        "method": method(r.method),
        "paired_at": time(r.paired_at),
        "pending_fingerprint": r.pending_key.as_ref().map(|k| Fingerprint::of(k).to_string()),
        "reverify_requested": r.reverify_requested,
        "address": peer.address.map(|a| a.to_string()),
    })
}

fn peer_text(peer: &Peer) -> String {
    let r = &peer.record;
    let mut text = format!(
        "{}  [{}]\n  device id    {}\n  fingerprint  {}\n  paired       {} by {}",
        who(&r.name, &r.id),
        state(peer.state),
        r.id,
        r.key.fingerprint(),
        time(r.paired_at),
        method(r.method).to_uppercase()
    );
    if let Some(address) = peer.address {
        text.push_str(&format!("\n  address      {address}"));
    }
    if let Some(pending) = &r.pending_key {
        text.push_str(&format!(
            "\n  NEW KEY      {} presented, not trusted{}",
            Fingerprint::of(pending),
            if r.reverify_requested {
                " (pair again to re-verify)"
            } else {
                " (honeylink peers trust-new, or pair again)"
            }
        ));
    }
    text
}

/// `honeylink peers ...`.
pub(crate) fn run(ctx: &Ctx, command: PeersCommand) -> Result<(), Error> {
    let mut device = ctx.open()?;
    let peers = device.peers()?;
    let now = unix_now()?;
    match command {
        PeersCommand::List => {
            let list = peers.peers();
            let blocked_keys = peers.blocked_keys();
            ctx.ui.emit(&json!({
                "peers": list.iter().map(|p| peer_json(p)).collect::<Vec<_>>(),
                "blocked_keys": blocked_keys
                    .iter()
                    .map(|k| Fingerprint::of(k).to_string())
                    .collect::<Vec<_>>(),
            }))?;
            if list.is_empty() {
                ctx.ui
                    .say("No paired devices. Pair with: honeylink pair qr --listen ADDR")?;
            }
            for peer in &list {
                ctx.ui.say(&peer_text(peer))?;
            }
            if !blocked_keys.is_empty() {
                ctx.ui.say("Blocked keys:")?;
                for key in blocked_keys {
                    ctx.ui.say(&format!("  {}", Fingerprint::of(&key)))?;
                }
            }
            Ok(())
        }
        PeersCommand::Show { device: query } => {
            let peer = peers.find(&query)?;
            ctx.ui.emit(&peer_json(peer))?;
            ctx.ui.say(&peer_text(peer))
        }
        PeersCommand::Remove { device: query } => {
            let peer = *peers.find(&query)?;
            let record = device.unpair(&peer.record.id, now)?;
            ctx.ui
                .emit(&json!({"removed": record.id.to_string(), "name": record.name.as_str()}))?;
            ctx.ui.say(&format!(
                "Unpaired {}. Its next connection is refused as an Untrusted Device.",
                who(&record.name, &record.id)
            ))
        }
        PeersCommand::Block { device: query } => {
            let peer = *peers.find(&query)?;
            device.block_device(&peer.record.id, now)?;
            ctx.ui
                .emit(&json!({"blocked": peer.record.id.to_string()}))?;
            ctx.ui.say(&format!(
                "Blocked {}: refused whatever key it presents.",
                who(&peer.record.name, &peer.record.id)
            ))
        }
        PeersCommand::Unblock { device: query } => {
            let peer = *peers.find(&query)?;
            device.unblock_device(&peer.record.id)?;
            ctx.ui
                .emit(&json!({"unblocked": peer.record.id.to_string()}))?;
            ctx.ui.say(&format!(
                "Unblocked {}.",
                who(&peer.record.name, &peer.record.id)
            ))
        }
        PeersCommand::Rename {
            device: query,
            name,
        } => {
            let peer = *peers.find(&query)?;
            let name = DeviceName::new(&name)?;
            device.rename(&peer.record.id, name)?;
            ctx.ui
                .emit(&json!({"renamed": peer.record.id.to_string(), "name": name.as_str()}))?;
            ctx.ui.say(&format!(
                "Renamed {} to '{}'.",
                who(&peer.record.name, &peer.record.id),
                name.as_str()
            ))
        }
        PeersCommand::TrustNew { device: query } => {
            let peer = *peers.find(&query)?;
            let record = peer.record;
            let pending = record.pending_key.ok_or_else(|| {
                Error::Usage(format!(
                    "{} has presented no new key",
                    who(&record.name, &record.id)
                ))
            })?;
            ctx.ui.warn(&format!(
                "{} presented a new key.\n  trusted key   {}\n  presented key {}\nTrusting it without pairing again is dangerous if someone is impersonating the device.",
                who(&record.name, &record.id),
                record.key.fingerprint(),
                Fingerprint::of(&pending)
            ))?;
            ctx.ui
                .confirm("Trust the new key?", "trusting the new key")?;
            device.resolve_key_change(&record.id, &pending, KeyChangeAction::TrustNewKey, now)?;
            ctx.ui.emit(&json!({
                "trusted_new_key": record.id.to_string(),
                "fingerprint": Fingerprint::of(&pending).to_string(),
            }))?;
            ctx.ui.say(&format!(
                "Trusted the new key of {}.",
                who(&record.name, &record.id)
            ))
        }
    }
}
