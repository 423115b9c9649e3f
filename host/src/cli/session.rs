//! `listen` and `connect`: sessions between paired devices, in the manner
//! of `nc`. The core runs the Noise XX handshake and decides on trust; the
//! records are the core's [`StreamSession`], each in one frame.
//!
//! The initiator decides on the responder after message 2, before sending
//! anything of its own identity; the responder decides after message 3 and
//! tells the initiator ([`Frame::Accepted`], or a refusal such as
//! "Untrusted Device") before any application data flows.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use getrandom::SysRng;
use honeylink_core::identity::{DeviceId, DeviceIdentity, Fingerprint};
use honeylink_core::noise::HandshakeOutcome;
use honeylink_core::pairing::MAX_PAIRING_MESSAGE_LEN;
use honeylink_core::session::{
    MAX_RECORD_LEN, PeerVerdict, STREAM_OVERHEAD, SessionEnd, SessionInitiator, SessionResponder,
    StreamSession,
};
use honeylink_core::trust::{Decision, KeyChangeAction, RefusalReason};
use honeylink_core::wire::PayloadFlags;
use honeylink_host::Error;
use honeylink_host::clock::unix_now;
use honeylink_host::device::Device;
use honeylink_host::transport::{
    Closers, Connection, Exchange, Frame, FrameReader, FrameWriter, Listener, Refusal,
};
use serde_json::json;

use super::pair::identity_copy;
use super::ui::{short_id, who};
use super::{Announce, Ctx, OnKeyChange, Ui};

/// Plaintext bytes per record.
const CHUNK: usize = 16 * 1024;
/// The largest frame a session accepts: a record and the kind byte.
const SESSION_FRAME: usize = MAX_RECORD_LEN + 1;

/// How a session went.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Traffic {
    /// Plaintext bytes sent.
    pub(crate) sent: u64,
    /// Plaintext bytes received.
    pub(crate) received: u64,
}

fn refusal_of(reason: RefusalReason) -> Refusal {
    match reason {
        RefusalReason::Untrusted => Refusal::Untrusted,
        RefusalReason::Blocked => Refusal::Blocked,
        RefusalReason::KeyChanged => Refusal::KeyChanged,
        RefusalReason::IdentityMismatch => Refusal::IdentityMismatch,
    }
}

fn reason_of(decision: &Decision) -> Option<RefusalReason> {
    match decision {
        Decision::Trusted => None,
        Decision::Unknown => Some(RefusalReason::Untrusted),
        Decision::Blocked => Some(RefusalReason::Blocked),
        Decision::KeyChanged { .. } => Some(RefusalReason::KeyChanged),
        Decision::IdentityMismatch => Some(RefusalReason::IdentityMismatch),
    }
}

fn reason_name(reason: RefusalReason) -> &'static str {
    match reason {
        RefusalReason::Untrusted => "untrusted_device",
        RefusalReason::Blocked => "blocked",
        RefusalReason::KeyChanged => "key_changed",
        RefusalReason::IdentityMismatch => "identity_mismatch",
    }
}

fn action_name(action: KeyChangeAction) -> &'static str {
    match action {
        KeyChangeAction::Block => "block",
        KeyChangeAction::Reverify => "reverify",
        KeyChangeAction::TrustNewKey => "trust",
    }
}

/// How people see a peer: its stored name when paired, else its short id.
fn peer_label(device: &Device, id: &DeviceId) -> String {
    match device
        .peers()
        .ok()
        .and_then(|p| p.get(id).map(|p| p.record.name))
    {
        Some(name) => who(&name, id),
        None => format!("an unknown device ({})", short_id(id)),
    }
}

/// Tells the user, and the JSON event stream, that the session with `id`
/// (shown as `label`) ended and how much went each way.
fn report_closed(ctx: &Ctx, id: &DeviceId, label: &str, traffic: &Traffic) -> Result<(), Error> {
    ctx.ui.emit(&json!({
        "event": "closed",
        "peer": id.to_string(),
        "sent": traffic.sent,
        "received": traffic.received,
    }))?;
    ctx.ui.note(&format!(
        "Session with {label} ended ({} bytes sent, {} received).",
        traffic.sent, traffic.received
    ))
}

/// The first `n` bytes the core wrote.
fn part(buffer: &[u8], n: usize) -> Result<&[u8], Error> {
    buffer.get(..n).ok_or(Error::Unexpected(
        "the core reports a length within the buffer",
    ))
}

/// Carries `input` to the peer and the peer's records to the output, until
/// both sides ended. The sending thread is not waited for if the peer
/// fails (it may be blocked reading a terminal); it ends with the process.
fn pump(
    ui: &Ui,
    peer: DeviceId,
    reader: &mut FrameReader,
    writer: FrameWriter,
    keys: HandshakeOutcome,
    mut input: Box<dyn Read + Send>,
    idle: Duration,
) -> Result<Traffic, Error> {
    let session = Arc::new(Mutex::new(StreamSession::<
        { honeylink_core::session::STREAM_REKEY_INTERVAL },
    >::new(keys)));
    let sealer = Arc::clone(&session);
    let sent = Arc::new(AtomicUsize::new(0));
    let sent_count = Arc::clone(&sent);
    let mut writer = writer;
    let sender = std::thread::spawn(move || -> Result<(), Error> {
        let mut buffer = vec![0u8; CHUNK + STREAM_OVERHEAD];
        loop {
            let plain = buffer
                .get_mut(..CHUNK)
                .ok_or(Error::Unexpected("the chunk fits"))?;
            let n = match input.read(plain) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read", "standard input", e)),
            };
            let sealed = sealer
                .lock()
                .map_err(|_| Error::Unexpected("the session lock was poisoned"))?
                .seal_in_place(&mut buffer, n)?;
            writer.send_message(part(&buffer, sealed)?)?;
            sent_count.fetch_add(n, Ordering::AcqRel);
        }
        writer.finish()
    });
    let mut traffic = Traffic::default();
    loop {
        let peer_addr = reader.peer();
        match reader.receive(idle)? {
            Frame::Message(record) => {
                let mut record = record.to_vec();
                let plain = session
                    .lock()
                    .map_err(|_| Error::Unexpected("the session lock was poisoned"))?
                    .open_in_place(&mut record)?
                    .to_vec();
                traffic.received += plain.len() as u64;
                ui.data(peer, &plain)?;
            }
            Frame::End => break,
            Frame::Refused(refusal) => {
                return Err(Error::PeerRefused {
                    peer: peer_addr,
                    refusal,
                });
            }
            Frame::Accepted => {
                return Err(Error::BadFrame {
                    peer: peer_addr,
                    detail: "an acceptance in the middle of a session",
                });
            }
        }
    }
    sender
        .join()
        .map_err(|_| Error::Unexpected("the sending thread panicked"))??;
    traffic.sent = sent.load(Ordering::Acquire) as u64;
    Ok(traffic)
}

/// The person's (or the flag's) answer to a key change.
fn key_change_action(ui: &Ui, flag: Option<OnKeyChange>) -> Result<KeyChangeAction, Error> {
    let flag = match flag {
        Some(flag) => flag,
        None => match ui.choose(
            "What do you want to do?",
            &[
                ('b', "Block: keep the old key and refuse this connection"),
                (
                    'r',
                    "Re-verify: refuse now, then pair again by QR, PIN or NFC",
                ),
                (
                    't',
                    "Trust new key: replace the old key (dangerous if this is a man in the middle)",
                ),
            ],
        )? {
            Some('t') => OnKeyChange::Trust,
            Some('r') => OnKeyChange::Reverify,
            _ => OnKeyChange::Block,
        },
    };
    Ok(match flag {
        OnKeyChange::Block => KeyChangeAction::Block,
        OnKeyChange::Trust => KeyChangeAction::TrustNewKey,
        OnKeyChange::Reverify => KeyChangeAction::Reverify,
    })
}

/// A known device presented another key on `connect`: warn with both
/// fingerprints, keep the key as pending, apply the person's choice.
/// Returns whether to connect again (the new key is trusted now).
fn handle_key_change(
    ctx: &Ctx,
    device: &mut Device,
    verdict: &PeerVerdict,
    old: Fingerprint,
    new: Fingerprint,
    flag: Option<OnKeyChange>,
) -> Result<bool, Error> {
    let now = unix_now()?;
    let id = verdict.id;
    let label = peer_label(device, &id);
    device.key_change_detected(&id, verdict.key, now)?;
    ctx.ui.warn(&format!(
        "WARNING: {label} presented a different key than the one you trusted.\n  trusted key   {old}\n  presented key {new}\nThis happens when the device was reset or rotated its keys, and also when someone\nis impersonating it (a man in the middle)."
    ))?;
    let action = key_change_action(&ctx.ui, flag)?;
    device.resolve_key_change(&id, &verdict.key, action, now)?;
    ctx.ui.emit(&json!({
        "event": "key_change",
        "peer": id.to_string(),
        "old_fingerprint": old.to_string(),
        "new_fingerprint": new.to_string(),
        "action": action_name(action),
    }))?;
    match action {
        KeyChangeAction::TrustNewKey => {
            ctx.ui.warn(&format!("Trusting the new key of {label}."))?;
            Ok(true)
        }
        KeyChangeAction::Reverify => {
            ctx.ui.note(&format!(
                "Refused for now. Pair again with {label} (honeylink pair qr / pin / nfc); a pairing\nthat proves the presented key replaces the old one."
            ))?;
            Ok(false)
        }
        KeyChangeAction::Block => {
            ctx.ui.note(&format!(
                "Blocked the presented key; {label} keeps its old key."
            ))?;
            Ok(false)
        }
    }
}

/// Resolves what `connect` was given: an IP address and port as such;
/// else a paired device (by name or id prefix) at its last known address,
/// which only that device may answer; else a host name and port.
///
/// # Errors
/// [`Error::NoPeerAddress`] for a paired device never reached by address;
/// [`Error::AmbiguousPeer`]; the resolver's errors.
pub(crate) fn target(
    device: &Device,
    given: &str,
) -> Result<(SocketAddr, Option<DeviceId>), Error> {
    if let Ok(addr) = given.parse::<SocketAddr>() {
        return Ok((addr, None));
    }
    let peers = device.peers()?;
    match peers.find(given) {
        Ok(peer) => match peer.address {
            Some(addr) => Ok((addr, Some(peer.record.id))),
            None => Err(Error::NoPeerAddress {
                peer: who(&peer.record.name, &peer.record.id),
            }),
        },
        Err(Error::PeerNotFound { .. }) => super::address(given).map(|addr| (addr, None)),
        Err(other) => Err(other),
    }
}

/// `honeylink connect ADDR|NAME`. With `expected`, only that device may
/// answer: another one is refused before this device sends its identity.
/// An established session remembers `addr` for the peer (`connect NAME`).
pub(crate) fn connect(
    ctx: &Ctx,
    device: &mut Device,
    addr: SocketAddr,
    expected: Option<DeviceId>,
    input: Box<dyn Read + Send>,
    on_key_change: Option<OnKeyChange>,
) -> Result<Traffic, Error> {
    // At most twice: again after the person trusts a changed key.
    for _attempt in 0..2 {
        let mut conn = Connection::connect(addr, Exchange::Session, ctx.timeouts)?;
        conn.limit_frames(SESSION_FRAME);
        let identity = identity_copy(device);
        let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
        let (mut initiator, n) =
            SessionInitiator::start(&identity, PayloadFlags::empty(), &mut wire, &mut SysRng)?;
        conn.send_message(part(&wire, n)?)?;
        let message2 = conn.receive_message()?.to_vec();
        let verdict = initiator.read_message2(&device.peers()?, &message2)?;
        if let Some(expected) = expected
            && expected != verdict.id
        {
            drop(initiator);
            let _ = conn.send(&Frame::Refused(Refusal::IdentityMismatch));
            return Err(Error::UnexpectedPeer {
                expected,
                found: verdict.id,
            });
        }
        match verdict.decision {
            Decision::Trusted => {}
            Decision::KeyChanged { old, new } => {
                drop(initiator);
                let again = handle_key_change(ctx, device, &verdict, old, new, on_key_change)?;
                if again {
                    conn.close();
                    continue;
                }
                let _ = conn.send(&Frame::Refused(Refusal::KeyChanged));
                return Err(Error::SessionRefused {
                    peer: verdict.id,
                    reason: RefusalReason::KeyChanged,
                });
            }
            other => {
                let reason = reason_of(&other).unwrap_or(RefusalReason::Untrusted);
                device.session_refused(reason, &verdict.id, &verdict.key, unix_now()?)?;
                let _ = device.finish_refusals(unix_now()?);
                let _ = conn.send(&Frame::Refused(refusal_of(reason)));
                ctx.ui.emit(&json!({
                    "event": "refused",
                    "peer": verdict.id.to_string(),
                    "reason": reason_name(reason),
                }))?;
                return Err(Error::SessionRefused {
                    peer: verdict.id,
                    reason,
                });
            }
        }
        let (n, verdict, keys) = initiator.write_message3(&mut wire)?;
        conn.send_message(part(&wire, n)?)?;
        drop(identity);
        let peer_addr = conn.peer();
        match conn.receive()? {
            Frame::Accepted => {}
            Frame::Refused(refusal) => {
                ctx.ui.emit(&json!({
                    "event": "refused_by_peer",
                    "peer": verdict.id.to_string(),
                    "refusal": refusal.as_str(),
                }))?;
                return Err(Error::PeerRefused {
                    peer: peer_addr,
                    refusal,
                });
            }
            _ => {
                return Err(Error::BadFrame {
                    peer: peer_addr,
                    detail: "something else than the session's acceptance",
                });
            }
        }
        device.remember_address(&verdict.id, addr)?;
        let label = peer_label(device, &verdict.id);
        ctx.ui.emit(&json!({
            "event": "session",
            "peer": verdict.id.to_string(),
            "address": peer_addr.to_string(),
        }))?;
        ctx.ui
            .note(&format!("Encrypted session with {label} at {peer_addr}."))?;
        let idle = ctx.timeouts.idle;
        let (mut reader, writer, _slot) = conn.split();
        let traffic = pump(&ctx.ui, verdict.id, &mut reader, writer, keys, input, idle)?;
        report_closed(ctx, &verdict.id, &label, &traffic)?;
        return Ok(traffic);
    }
    Err(Error::Unexpected(
        "a trusted new key is trusted on the next try",
    ))
}

/// What one session connection to `listen` ended with.
enum Served {
    Established(Traffic),
    /// Established, then failed (the peer vanished, stalled or sent a bad
    /// record).
    Failed(DeviceId, Error),
    Refused(DeviceId, RefusalReason),
}

/// One connection to `listen`: the handshake, the decision, the session.
fn serve_session(
    ctx: &Ctx,
    device: &Mutex<&mut Device>,
    identity: &DeviceIdentity,
    mut conn: Connection,
    input: &(dyn Fn() -> Box<dyn Read + Send> + Sync),
) -> Result<Served, Error> {
    let lock = || {
        device
            .lock()
            .map_err(|_| Error::Unexpected("the device lock was poisoned"))
    };
    conn.limit_frames(SESSION_FRAME);
    // The whole handshake, not each of its frames, within the read timeout.
    conn.set_deadline(Some(std::time::Instant::now() + ctx.timeouts.read));
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let mut responder = SessionResponder::new(identity, PayloadFlags::empty(), &mut SysRng)?;
    let message1 = conn.receive_message()?.to_vec();
    let n = responder.respond(&message1, &mut wire)?;
    conn.send_message(part(&wire, n)?)?;
    let message3 = conn.receive_message()?.to_vec();
    let peers = lock()?.peers()?;
    match responder.read_message3(&peers, &message3)? {
        SessionEnd::Established(verdict, keys) => {
            conn.set_deadline(None);
            conn.send(&Frame::Accepted)?;
            let label = peer_label(*lock()?, &verdict.id);
            let peer_addr = conn.peer();
            ctx.ui.emit(&json!({
                "event": "session",
                "peer": verdict.id.to_string(),
                "address": peer_addr.to_string(),
            }))?;
            ctx.ui
                .note(&format!("Encrypted session with {label} from {peer_addr}."))?;
            let idle = ctx.timeouts.idle;
            let (mut reader, writer, _slot) = conn.split();
            let traffic = match pump(
                &ctx.ui,
                verdict.id,
                &mut reader,
                writer,
                keys,
                input(),
                idle,
            ) {
                Ok(traffic) => traffic,
                Err(e) => return Ok(Served::Failed(verdict.id, e)),
            };
            report_closed(ctx, &verdict.id, &label, &traffic)?;
            Ok(Served::Established(traffic))
        }
        SessionEnd::Refused(verdict) => {
            let reason = reason_of(&verdict.decision).unwrap_or(RefusalReason::Untrusted);
            let now = unix_now()?;
            let pending = {
                let mut device = lock()?;
                if reason == RefusalReason::KeyChanged {
                    device.key_change_presented(&verdict.id, verdict.key, now)?
                } else {
                    device.session_refused(reason, &verdict.id, &verdict.key, now)?;
                    false
                }
            };
            let _ = conn.send(&Frame::Refused(refusal_of(reason)));
            let label = peer_label(*lock()?, &verdict.id);
            ctx.ui.emit(&json!({
                "event": "refused",
                "peer": verdict.id.to_string(),
                "fingerprint": Fingerprint::of(&verdict.key).to_string(),
                "reason": reason_name(reason),
                "kept_pending": pending,
            }))?;
            let why = match reason {
                RefusalReason::Untrusted => "Untrusted Device".to_owned(),
                RefusalReason::Blocked => "blocked".to_owned(),
                RefusalReason::KeyChanged if pending => format!(
                    "it presented a different key ({}), kept as pending. Anyone can claim a device's id:\npair with it again to confirm the new key, or `honeylink peers trust-new {}` only after comparing\nthat fingerprint on the device itself",
                    Fingerprint::of(&verdict.key),
                    short_id(&verdict.id)
                ),
                RefusalReason::KeyChanged => format!(
                    "it presented yet another key ({}), not kept: an earlier one awaits your decision\n(`honeylink peers show {}`); pair with it again to settle which key is its own",
                    Fingerprint::of(&verdict.key),
                    short_id(&verdict.id)
                ),
                RefusalReason::IdentityMismatch => {
                    "a trusted key under another device id".to_owned()
                }
            };
            ctx.ui.warn(&format!("Refused {label}: {why}."))?;
            Ok(Served::Refused(verdict.id, reason))
        }
    }
}

/// `honeylink listen ADDR [--once]`. With `ready`, the bound address is
/// sent there once listening (the demo's way to learn it).
pub(crate) fn listen(
    ctx: &Ctx,
    device: &mut Device,
    addr: SocketAddr,
    once: bool,
    max_connections: usize,
    input: Box<dyn Read + Send>,
) -> Result<Traffic, Error> {
    let listener = Listener::bind(addr, max_connections, ctx.timeouts)?;
    let bound = listener.local_addr();
    ctx.ui.emit(&json!({
        "event": "listening",
        "address": bound.to_string(),
        "device_id": device.info().device_id.to_string(),
    }))?;
    ctx.ui.note(&format!(
        "Listening on {bound} as {}; paired devices only.",
        who(device.name(), &device.info().device_id)
    ))?;
    ctx.announce(Announce::Listening(bound));
    let identity = identity_copy(device);
    let device = Mutex::new(device);
    // Standard input goes to the first session established; later ones
    // (without --once) send nothing.
    let input = Mutex::new(Some(input));
    let done = AtomicBool::new(false);
    let closers = Closers::new();
    let mut last = Traffic::default();
    let outcome = std::thread::scope(|scope| -> Result<(), Error> {
        let (tx, rx) = mpsc::channel::<Result<Traffic, Error>>();
        let result = (|| loop {
            if let Some(incoming) = listener.accept_within(Duration::from_millis(250))? {
                let tracked = closers.track(&incoming);
                let tx = tx.clone();
                let (device, identity, input, done) = (&device, &identity, &input, &done);
                scope.spawn(move || {
                    let _tracked = tracked;
                    let peer = incoming.peer();
                    let outcome = incoming.open().and_then(|(mut conn, exchange)| {
                        if exchange != Exchange::Session {
                            let _ = conn.send(&Frame::Refused(Refusal::WrongExchange));
                            return Err(Error::Usage(format!(
                                "it asked for {exchange}, not a session"
                            )));
                        }
                        // Standard input goes to the first session
                        // established (the only one with --once); later
                        // sessions only receive.
                        let session_input = || -> Box<dyn Read + Send> {
                            input
                                .lock()
                                .ok()
                                .and_then(|mut slot| slot.take())
                                .unwrap_or_else(|| Box::new(std::io::empty()))
                        };
                        serve_session(ctx, device, identity, conn, &session_input)
                    });
                    match outcome {
                        Ok(Served::Established(traffic)) => {
                            let _ = tx.send(Ok(traffic));
                        }
                        Ok(Served::Refused(peer, reason)) => {
                            let _ = tx.send(Err(Error::SessionRefused { peer, reason }));
                        }
                        Ok(Served::Failed(id, e)) => {
                            let _ = ctx.ui.emit(&json!({
                                "event": "failed",
                                "peer": id.to_string(),
                                "address": peer.to_string(),
                                "reason": e.to_string(),
                            }));
                            let _ = ctx
                                .ui
                                .warn(&format!("The session from {peer} failed: {e}."));
                            // --once ends with it (exit 6 for the network).
                            let _ = tx.send(Err(e));
                        }
                        Err(e) if !done.load(Ordering::Acquire) => {
                            let _ = ctx.ui.emit(&json!({
                                "event": "dropped",
                                "address": peer.to_string(),
                                "reason": e.to_string(),
                            }));
                            let _ = ctx
                                .ui
                                .warn(&format!("Dropped the connection from {peer}: {e}."));
                        }
                        Err(_) => {}
                    }
                });
            }
            if let Ok(mut device) = device.lock() {
                device.flush_refusals(unix_now()?)?;
            }
            if let Ok(outcome) = rx.try_recv() {
                // --once: the first session decided (established or
                // refused) ends the listener, with its outcome.
                if once {
                    last = outcome?;
                    return Ok(());
                }
            }
        })();
        done.store(true, Ordering::Release);
        closers.close_all_except(None);
        result
    });
    if let Ok(mut device) = device.lock() {
        device.finish_refusals(unix_now()?)?;
    }
    outcome.map(|()| last)
}
