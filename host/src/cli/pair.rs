//! `pair qr`, `pair scan`, `pair pin`, `pair nfc`: the core's pairing state
//! machines over the transport, the person's confirmation, and the result
//! stored through the device.
//!
//! The side that shows a code (or PIN, or writes a record) listens; each
//! connection runs in its own thread against the one responder, so a
//! stalled or hostile connection never holds up another. The first verified
//! peer ends the wait; the person confirms it and the device stores it,
//! then the other side is told ([`Frame::Accepted`] or a refusal) and
//! stores it too.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use getrandom::SysRng;
use honeylink_core::audit::PairingFailure;
use honeylink_core::crypto::x25519::StaticPublicKey;
use honeylink_core::identity::{DeviceId, DeviceIdentity};
use honeylink_core::pairing::payload::{
    ExpiryClock, MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload, TransportHint,
};
use honeylink_core::pairing::{
    LocalDevice, MAX_PAIRING_MESSAGE_LEN, PIN_RUN_SECS, PIN_VALIDITY_SECS, PairingMethod,
    PendingPeer, Pin, PinInitiator, PinResponder, ProximityInitiator, ProximityResponder, ndef,
};
use honeylink_core::trust::{Decision, PeerRecord};
use honeylink_core::wire::PayloadFlags;
use honeylink_host::Error;
use honeylink_host::clock::unix_now;
use honeylink_host::device::Device;
use honeylink_host::transport::{Closers, Connection, Exchange, Frame, Listener, Refusal};
use serde_json::json;

use super::qr;
use super::ui::{time, who};
use super::{Announce, Ctx};

/// Connections a pairing listener serves at once.
const MAX_PAIRING_CONNECTIONS: usize = 8;
/// The largest frame a pairing connection accepts: a pairing message and
/// the frame's kind byte.
const PAIRING_FRAME: usize = MAX_PAIRING_MESSAGE_LEN + 1;
/// Failed runs audited per code; beyond this they are only reported, so a
/// flood of bad connections cannot flood the log.
const MAX_AUDITED_FAILURES: usize = 8;
/// Largest NDEF file read.
const MAX_NDEF_FILE: u64 = 4096;

/// Where to write the code as images, besides the terminal.
pub(crate) struct CodeFiles<'a> {
    pub(crate) png: Option<&'a Path>,
    pub(crate) svg: Option<&'a Path>,
}

fn local<'a>(identity: &'a DeviceIdentity, device: &Device) -> LocalDevice<'a> {
    LocalDevice {
        identity,
        name: *device.name(),
        flags: PayloadFlags::empty(),
    }
}

/// A second copy of the identity for the connection threads, which run
/// while the device itself stays free for the changes the main thread
/// makes. Zeroized on drop like the first.
pub(crate) fn identity_copy(device: &Device) -> DeviceIdentity {
    DeviceIdentity::from_secrets(&device.identity().export_secrets())
}

fn method_name(method: PairingMethod) -> &'static str {
    match method {
        PairingMethod::Qr => "qr",
        PairingMethod::Pin => "pin",
        PairingMethod::Nfc => "nfc",
    }
}

fn exchange_of(method: PairingMethod) -> Exchange {
    match method {
        PairingMethod::Qr => Exchange::QrPairing,
        PairingMethod::Pin => Exchange::PinPairing,
        PairingMethod::Nfc => Exchange::NfcPairing,
    }
}

/// What a failed step tells the other side.
fn refusal_for(error: &Error) -> Refusal {
    use honeylink_core::Error as Core;
    match error {
        Error::Core(Core::PayloadUsed) => Refusal::CodeUsed,
        Error::Core(Core::PayloadExpired | Core::PinExpired | Core::RunTimedOut) => {
            Refusal::CodeExpired
        }
        Error::Core(Core::Busy) => Refusal::Busy,
        Error::Core(Core::PayloadExhausted) => Refusal::CodeExhausted,
        Error::Core(Core::PinUsed) => Refusal::PinUsed,
        Error::Core(Core::LockedOut { remaining }) => Refusal::LockedOut {
            remaining: *remaining,
        },
        Error::Core(Core::CpaceConfirmationFailed) => Refusal::WrongPin,
        Error::Core(Core::PeerBlocked) => Refusal::Blocked,
        Error::Declined { .. } | Error::NeedsConfirmation { .. } => Refusal::Declined,
        _ => Refusal::PairingFailed,
    }
}

/// How a failure is audited (`None`: not a pairing failure worth a record,
/// such as a busy answer or a connection that never spoke).
fn audited_failure(error: &Error) -> Option<PairingFailure> {
    use honeylink_core::Error as Core;
    Some(match error {
        Error::Core(Core::PayloadExpired | Core::PinExpired) => PairingFailure::Expired,
        Error::Core(Core::RunTimedOut) | Error::TimedOut { .. } => PairingFailure::TimedOut,
        Error::Core(Core::LockedOut { .. }) => PairingFailure::LockedOut,
        Error::Core(Core::KeyMismatch | Core::DeviceIdMismatch) => PairingFailure::KeyMismatch,
        Error::Core(Core::PeerBlocked) => PairingFailure::Blocked,
        Error::Declined { .. } | Error::NeedsConfirmation { .. } => PairingFailure::Rejected,
        Error::PeerRefused {
            refusal: Refusal::WrongPin,
            ..
        }
        | Error::Core(
            Core::Aead
            | Core::HandshakeFailed
            | Core::CpaceConfirmationFailed
            | Core::CpaceShareInvalid
            | Core::CpaceShareIdentity
            | Core::CpaceShareReflected,
        ) => PairingFailure::HandshakeFailed,
        _ => return None,
    })
}

/// Sends a refusal for `error` (best effort) and hands the error back.
fn refuse(conn: &mut Connection, error: Error) -> Error {
    if !matches!(error, Error::PeerRefused { .. } | Error::PeerClosed { .. }) {
        let _ = conn.send(&Frame::Refused(refusal_for(&error)));
    }
    error
}

/// The first `n` bytes the core wrote.
fn part(buffer: &[u8], n: usize) -> Result<&[u8], Error> {
    buffer.get(..n).ok_or(Error::Unexpected(
        "the core reports a length within the buffer",
    ))
}

/// How one connection to a pairing listener ended.
enum ConnEnd {
    /// A verified peer, with its connection, for the person to confirm.
    Verified(PendingPeer, Box<Connection>),
    /// The code or PIN is over (a wrong PIN, a run that died): stop waiting.
    Fatal(Error),
    /// This connection failed; the code stays valid.
    Dropped(Error),
}

/// What the wait for a pairing connection ended with.
struct Served {
    verified: Option<(PendingPeer, Connection)>,
    fatal: Option<Error>,
    failures: Vec<Error>,
}

/// Accepts connections until `accept_until`, each in its own thread
/// running `handle`; returns at the first verified peer or fatal end, or
/// once the time (and, for runs in progress, `finish_until`) is up.
fn serve(
    ctx: &Ctx,
    listener: &Listener,
    exchange: Exchange,
    what: &str,
    accept_until: u64,
    finish_until: u64,
    handle: &(dyn Fn(Connection) -> ConnEnd + Sync),
) -> Result<Served, Error> {
    let mut countdown = ctx.ui.countdown(what, accept_until);
    let closers = Closers::new();
    let mut dropped = 0usize;
    let running = AtomicUsize::new(0);
    let mut served = Served {
        verified: None,
        fatal: None,
        failures: Vec::new(),
    };
    std::thread::scope(|scope| -> Result<(), Error> {
        let (tx, rx) = mpsc::channel::<ConnEnd>();
        let result = (|| loop {
            let now = unix_now()?;
            if now <= accept_until {
                countdown.tick(now)?;
                if let Some(incoming) = listener.accept_within(Duration::from_millis(200))? {
                    let tracked = closers.track(&incoming);
                    let tx = tx.clone();
                    let running = &running;
                    running.fetch_add(1, Ordering::AcqRel);
                    scope.spawn(move || {
                        let _tracked = tracked;
                        let end = match incoming.open() {
                            Ok((mut conn, found)) if found == exchange => {
                                conn.limit_frames(PAIRING_FRAME);
                                handle(conn)
                            }
                            Ok((mut conn, _)) => {
                                let _ = conn.send(&Frame::Refused(Refusal::WrongExchange));
                                ConnEnd::Dropped(Error::Usage(format!(
                                    "a connection asked for another exchange than {exchange}"
                                )))
                            }
                            Err(e) => ConnEnd::Dropped(e),
                        };
                        let _ = tx.send(end);
                        running.fetch_sub(1, Ordering::AcqRel);
                    });
                }
            } else {
                countdown.clear()?;
                if running.load(Ordering::Acquire) == 0 || now > finish_until {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            while let Ok(end) = rx.try_recv() {
                match end {
                    ConnEnd::Verified(peer, conn) => {
                        served.verified = Some((peer, *conn));
                        return Ok(());
                    }
                    ConnEnd::Fatal(e) => {
                        served.fatal = Some(e);
                        return Ok(());
                    }
                    ConnEnd::Dropped(e) => {
                        // Only the first few are reported and audited, so
                        // a flood of bad connections grows nothing.
                        dropped += 1;
                        if dropped <= MAX_AUDITED_FAILURES {
                            ctx.ui.note(&format!("dropped a connection: {e}"))?;
                        }
                        if audited_failure(&e).is_some()
                            && served.failures.len() < MAX_AUDITED_FAILURES
                        {
                            served.failures.push(e);
                        }
                    }
                }
            }
        })();
        countdown.clear()?;
        // End every other connection now; their threads then return.
        let keep = served.verified.as_ref().map(|(_, conn)| conn.peer());
        closers.close_all_except(keep);
        result
    })?;
    Ok(served)
}

/// Records failures in the audit log (at most [`MAX_AUDITED_FAILURES`]).
fn audit_failures(
    device: &mut Device,
    method: PairingMethod,
    failures: &[Error],
    now: u64,
) -> Result<(), Error> {
    for failure in failures
        .iter()
        .filter_map(audited_failure)
        .take(MAX_AUDITED_FAILURES)
    {
        device.pairing_failed(method, failure, None, now)?;
    }
    Ok(())
}

/// Refuses early a peer whose key this device cannot accept: a blocked
/// device or key, a key trusted under another id, or a key change the
/// person did not choose to re-verify.
fn check_acceptable(device: &Device, id: DeviceId, key: &StaticPublicKey) -> Result<(), Error> {
    use honeylink_core::Error as Core;
    match device.decide(&id, key)? {
        Decision::Blocked => Err(Error::Core(Core::PeerBlocked)),
        Decision::IdentityMismatch => Err(Error::Core(Core::KeyTrustedElsewhere)),
        Decision::KeyChanged { .. } => {
            let peers = device.peers()?;
            let approved = peers.get(&id).is_some_and(|p| {
                p.record.reverify_requested && p.record.pending_key.as_ref() == Some(key)
            });
            if approved {
                Ok(())
            } else {
                Err(Error::Core(Core::KeyChangeNotApproved))
            }
        }
        Decision::Trusted | Decision::Unknown => Ok(()),
    }
}

fn paired_json(record: &PeerRecord, method: PairingMethod) -> serde_json::Value {
    json!({
        "event": "paired",
        "method": method_name(method),
        "peer": {
            "id": record.id.to_string(),
            "name": record.name.as_str(),
            "fingerprint": record.key.fingerprint().to_string(),
        },
        "paired_at": time(record.paired_at),
    })
}

/// The showing side's end: the person confirms the verified peer, the
/// device stores it, and the other side is told.
fn confirm_verified(
    ctx: &Ctx,
    device: &mut Device,
    method: PairingMethod,
    peer: PendingPeer,
    mut conn: Connection,
) -> Result<PeerRecord, Error> {
    let now = unix_now()?;
    let id = peer.id();
    let name = who(&peer.name(), &id);
    ctx.ui.say(&format!(
        "{name} wants to pair.\n  device id    {id}\n  fingerprint  {}",
        peer.fingerprint()
    ))?;
    let checked = check_acceptable(device, id, peer.key()).and_then(|()| {
        ctx.ui.confirm(
            &format!("Pair with {name}, which is next to you?"),
            "the pairing",
        )
    });
    if let Err(e) = checked {
        let e = refuse(&mut conn, e);
        if let Some(failure) = audited_failure(&e) {
            device.pairing_failed(method, failure, Some(id), now)?;
        }
        return Err(e);
    }
    let record = match device.confirm_pairing(peer, now) {
        Ok(record) => record,
        Err(e) => return Err(refuse(&mut conn, e)),
    };
    // The other side stores the pairing when it hears this; if it has
    // gone, this side's record stands and the person can pair again.
    if let Err(e) = conn.send(&Frame::Accepted) {
        ctx.ui.warn(&format!(
            "paired here, but could not tell the other device: {e}"
        ))?;
    }
    conn.close();
    ctx.ui.emit(&paired_json(&record, method))?;
    ctx.ui.say(&format!(
        "Paired with {} by {}.",
        who(&record.name, &record.id),
        method_name(method).to_uppercase()
    ))?;
    Ok(record)
}

/// The initiating side's end: after its last message, waits for the other
/// side's person to confirm, then stores the peer with the `address` it
/// was reached at.
fn await_acceptance(
    ctx: &Ctx,
    device: &mut Device,
    method: PairingMethod,
    peer: PendingPeer,
    conn: &mut Connection,
    address: SocketAddr,
) -> Result<PeerRecord, Error> {
    ctx.ui.note(&format!(
        "waiting for {} to confirm...",
        who(&peer.name(), &peer.id())
    ))?;
    let idle = conn.timeouts().idle;
    let peer_addr = conn.peer();
    match conn.receive_within(idle)? {
        Frame::Accepted => {}
        Frame::Refused(refusal) => {
            let error = Error::PeerRefused {
                peer: peer_addr,
                refusal,
            };
            if let Some(failure) = audited_failure(&error) {
                device.pairing_failed(method, failure, Some(peer.id()), unix_now()?)?;
            } else if refusal == Refusal::Declined {
                device.pairing_failed(
                    method,
                    PairingFailure::Rejected,
                    Some(peer.id()),
                    unix_now()?,
                )?;
            }
            return Err(error);
        }
        Frame::Message(_) | Frame::End => {
            return Err(Error::BadFrame {
                peer: peer_addr,
                detail: "something else than the pairing's confirmation",
            });
        }
    }
    let record = device.confirm_pairing_at(peer, Some(address), unix_now()?)?;
    ctx.ui.emit(&paired_json(&record, method))?;
    ctx.ui.say(&format!(
        "Paired with {} by {}.",
        who(&record.name, &record.id),
        method_name(method).to_uppercase()
    ))?;
    Ok(record)
}

/// One connection to a QR or NFC code: message 1, message 2, message 3.
fn proximity_run(responder: &Mutex<ProximityResponder<'_>>, mut conn: Connection) -> ConnEnd {
    let lock = || {
        responder
            .lock()
            .map_err(|_| Error::Unexpected("the responder lock was poisoned"))
    };
    // Messages 1 to 3 need no person: the whole run within the read
    // timeout, so trickling frames cannot hold a slot for longer.
    let read = conn.timeouts().read;
    conn.set_deadline(Some(std::time::Instant::now() + read));
    let result = (|| -> Result<PendingPeer, Error> {
        let message1 = conn.receive_message()?.to_vec();
        let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
        let answered = lock()?.handle_message1(unix_now()?, &message1, &mut wire, &mut SysRng);
        let (n, run) = answered.map_err(|e| refuse(&mut conn, e.into()))?;
        conn.send_message(part(&wire, n)?)?;
        let message3 = conn.receive_message()?.to_vec();
        let finished = lock()?.handle_message3(unix_now()?, run, &message3);
        let (peer, _keys) = finished.map_err(|e| refuse(&mut conn, e.into()))?;
        Ok(peer)
    })();
    match result {
        Ok(peer) => {
            conn.set_deadline(None);
            ConnEnd::Verified(peer, Box::new(conn))
        }
        Err(e) => ConnEnd::Dropped(e),
    }
}

/// While the person confirms a verified peer, the code's listener stays
/// live and every further scanner is answered by the core, which refuses
/// the used code ([`honeylink_core::Error::PayloadUsed`], sent as
/// [`Refusal::CodeUsed`]), instead of hanging in the listen queue. Runs
/// until `stop`; each connection is in `closers`, to be closed then.
fn answer_used<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    listener: &'scope Listener,
    method: PairingMethod,
    responder: &'scope Mutex<ProximityResponder<'_>>,
    closers: &'scope Closers,
    stop: &'scope AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        match listener.accept_within(Duration::from_millis(100)) {
            Ok(Some(incoming)) => {
                let tracked = closers.track(&incoming);
                // Stopped meanwhile: the closing may have missed this one.
                if stop.load(Ordering::Acquire) {
                    return;
                }
                scope.spawn(move || {
                    let _tracked = tracked;
                    match incoming.open() {
                        Ok((mut conn, found)) if found == exchange_of(method) => {
                            conn.limit_frames(PAIRING_FRAME);
                            drop(proximity_run(responder, conn));
                        }
                        Ok((mut conn, _)) => {
                            let _ = conn.send(&Frame::Refused(Refusal::WrongExchange));
                        }
                        Err(_) => {}
                    }
                });
            }
            Ok(None) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Shows a QR or NFC code (through `present`) and waits for the other
/// device; returns the stored peer.
fn serve_code(
    ctx: &Ctx,
    device: &mut Device,
    method: PairingMethod,
    listen: SocketAddr,
    ttl: u64,
    advertise: Option<SocketAddr>,
    present: &dyn Fn(&PairingPayload, SocketAddr) -> Result<(), Error>,
) -> Result<PeerRecord, Error> {
    let listener = Listener::bind(listen, MAX_PAIRING_CONNECTIONS, ctx.timeouts)?;
    let bound = listener.local_addr();
    let hint = advertise
        .or((!bound.ip().is_unspecified()).then_some(bound))
        .map(TransportHint::Socket);
    let identity = identity_copy(device);
    let now = unix_now()?;
    let responder = ProximityResponder::new(
        local(&identity, device),
        method,
        now,
        ttl,
        ExpiryClock::WallClock,
        hint,
        &mut SysRng,
    )?;
    let expires_at = responder.payload().expires_at;
    present(responder.payload(), bound)?;
    let responder = Mutex::new(responder);
    let what = if method == PairingMethod::Nfc {
        "The NFC record is"
    } else {
        "The code is"
    };
    let served = serve(
        ctx,
        &listener,
        exchange_of(method),
        what,
        expires_at,
        expires_at,
        &|conn| proximity_run(&responder, conn),
    )?;
    let now = unix_now()?;
    audit_failures(device, method, &served.failures, now)?;
    match served.verified {
        Some((peer, conn)) => {
            let stop = AtomicBool::new(false);
            let closers = Closers::new();
            let result = std::thread::scope(|scope| {
                let (stop, closers) = (&stop, &closers);
                let (listener, responder) = (&listener, &responder);
                scope.spawn(move || answer_used(scope, listener, method, responder, closers, stop));
                let result = confirm_verified(ctx, device, method, peer, conn);
                stop.store(true, Ordering::Release);
                closers.close_all_except(None);
                result
            });
            drop(responder);
            drop(identity);
            result
        }
        None => {
            device.pairing_failed(method, PairingFailure::Expired, None, now)?;
            ctx.ui.say("The code has expired unused; show a new one.")?;
            Err(Error::Core(honeylink_core::Error::PayloadExpired))
        }
    }
}

/// `honeylink pair qr --listen ADDR`.
pub(crate) fn show_qr(
    ctx: &Ctx,
    device: &mut Device,
    listen: SocketAddr,
    ttl: u64,
    advertise: Option<SocketAddr>,
    files: &CodeFiles<'_>,
) -> Result<PeerRecord, Error> {
    serve_code(
        ctx,
        device,
        PairingMethod::Qr,
        listen,
        ttl,
        advertise,
        &|payload, bound| {
            let mut text = [0u8; MAX_TEXT_LEN];
            let n = payload.encode_text(&mut text)?;
            let text = std::str::from_utf8(part(&text, n)?)
                .map_err(|_| Error::Unexpected("the pairing text is ASCII"))?;
            let code = qr::encode(text)?;
            if let Some(path) = files.png {
                qr::write_png(&code, path)?;
            }
            if let Some(path) = files.svg {
                qr::write_svg(&code, path)?;
            }
            ctx.ui.emit(&json!({
                "event": "code",
                "text": text,
                "address": bound.to_string(),
                "expires_at": time(payload.expires_at),
                "qr_version": qr::version_number(&code),
                "png": files.png.map(|p| p.display().to_string()),
                "svg": files.svg.map(|p| p.display().to_string()),
            }))?;
            if !ctx.ui.is_narrated() {
                ctx.ui.say(&qr::terminal(&code))?;
            }
            ctx.ui.say(&format!(
                "Scan this code with the other device (QR version {} at level M), or run there:\n  honeylink pair scan {text}\nValid until {}, once. Waiting on {bound}.",
                qr::version_number(&code),
                time(payload.expires_at)
            ))?;
            for (kind, path) in [("PNG", files.png), ("SVG", files.svg)] {
                if let Some(path) = path {
                    ctx.ui
                        .say(&format!("Wrote the code as {kind} to {}.", path.display()))?;
                }
            }
            ctx.announce(Announce::Code(text.to_owned()));
            Ok(())
        },
    )
}

/// `honeylink pair nfc --write FILE --listen ADDR`.
pub(crate) fn nfc_write(
    ctx: &Ctx,
    device: &mut Device,
    file: &Path,
    listen: SocketAddr,
    ttl: u64,
) -> Result<PeerRecord, Error> {
    serve_code(
        ctx,
        device,
        PairingMethod::Nfc,
        listen,
        ttl,
        None,
        &|payload, bound| {
            let mut binary = [0u8; MAX_BINARY_LEN];
            let n = payload.encode_binary(&mut binary)?;
            let mut record = [0u8; ndef::encoded_len(MAX_BINARY_LEN)];
            let len = ndef::encode(part(&binary, n)?, &mut record)?;
            qr::write_private_output(file, part(&record, len)?)?;
            ctx.ui.emit(&json!({
                "event": "nfc_record",
                "file": file.display().to_string(),
                "bytes": len,
                "address": bound.to_string(),
                "expires_at": time(payload.expires_at),
            }))?;
            ctx.ui.say(&format!(
                "Wrote the NFC pairing record ({len} bytes) to {}.\nValid until {}, once. Waiting on {bound}.",
                file.display(),
                time(payload.expires_at)
            ))?;
            ctx.announce(Announce::NfcRecord);
            Ok(())
        },
    )
}

/// Pairs from a decoded code or record: shows whose it is, asks the person
/// to confirm the device is next to them, connects, and stores the peer.
fn scan(
    ctx: &Ctx,
    device: &mut Device,
    method: PairingMethod,
    payload: &PairingPayload,
    connect: Option<SocketAddr>,
) -> Result<PeerRecord, Error> {
    let id = payload.device_id;
    let name = who(&payload.name, &id);
    let fingerprint = honeylink_core::identity::Fingerprint::of(&payload.static_key);
    ctx.ui.say(&format!(
        "This code belongs to {name}.\n  device id    {id}\n  fingerprint  {fingerprint}\n  valid until  {}",
        time(payload.expires_at)
    ))?;
    let checked = check_acceptable(device, id, &payload.static_key).and_then(|()| {
        ctx.ui
            .confirm(&format!("Is {name} right next to you?"), "the pairing")
    });
    if let Err(e) = checked {
        if let Some(failure) = audited_failure(&e) {
            device.pairing_failed(method, failure, Some(id), unix_now()?)?;
        }
        return Err(e);
    }
    let addr = match (connect, payload.hint) {
        (Some(addr), _) | (None, Some(TransportHint::Socket(addr))) => addr,
        _ => {
            return Err(Error::Usage(
                "the code names no address to connect to; give --connect ADDR".into(),
            ));
        }
    };
    let mut conn = Connection::connect(addr, exchange_of(method), ctx.timeouts)?;
    conn.limit_frames(PAIRING_FRAME);
    let identity = identity_copy(device);
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (mut initiator, n, warning) = ProximityInitiator::start(
        local(&identity, device),
        method,
        payload,
        Some(unix_now()?),
        &mut wire,
        &mut SysRng,
    )?;
    if let Some(warning) = warning {
        ctx.ui.warn(&format!(
            "warning: by this clock the code expired {} s ago; the other device decides",
            warning.seconds_past
        ))?;
    }
    conn.send_message(part(&wire, n)?)?;
    let result = (|| {
        let message2 = conn.receive_message()?.to_vec();
        let (n, peer, _keys) = initiator
            .handle_message2(&message2, &mut wire)
            .map_err(|e| refuse(&mut conn, e.into()))?;
        conn.send_message(part(&wire, n)?)?;
        Ok(peer)
    })();
    let peer = match result {
        Ok(peer) => peer,
        Err(e) => {
            if let Some(failure) = audited_failure(&e) {
                device.pairing_failed(method, failure, Some(id), unix_now()?)?;
            }
            return Err(e);
        }
    };
    drop(initiator);
    drop(identity);
    await_acceptance(ctx, device, method, peer, &mut conn, addr)
}

/// `honeylink pair scan PAYLOAD`.
pub(crate) fn scan_text(
    ctx: &Ctx,
    device: &mut Device,
    text: &str,
    connect: Option<SocketAddr>,
) -> Result<PeerRecord, Error> {
    let payload = PairingPayload::decode_text(text.trim())?;
    scan(ctx, device, PairingMethod::Qr, &payload, connect)
}

/// `honeylink pair nfc --read FILE`.
pub(crate) fn nfc_read(
    ctx: &Ctx,
    device: &mut Device,
    file: &Path,
    connect: Option<SocketAddr>,
) -> Result<PeerRecord, Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_NDEF_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io("read", file, e))?;
    if bytes.len() as u64 > MAX_NDEF_FILE {
        return Err(Error::TooLarge {
            path: file.to_owned(),
            limit: MAX_NDEF_FILE,
        });
    }
    let payload = PairingPayload::decode_binary(ndef::find_payload(&bytes)?)?;
    scan(ctx, device, PairingMethod::Nfc, &payload, connect)
}

/// The PIN run on one connection, against the one responder. Persists the
/// guard after every step and before anything is sent.
fn pin_run(responder: &Mutex<PinResponder<'_>>, device: &Device, mut conn: Connection) -> ConnEnd {
    let step = |f: &mut dyn FnMut(
        &mut PinResponder<'_>,
    ) -> Result<usize, honeylink_core::Error>|
     -> Result<usize, Error> {
        let mut r = responder
            .lock()
            .map_err(|_| Error::Unexpected("the responder lock was poisoned"))?;
        let result = f(&mut r);
        device.save_pin_guard(&r.guard_state(unix_now()?))?;
        result.map_err(Error::from)
    };
    let mut out = [0u8; MAX_PAIRING_MESSAGE_LEN];
    // The hello: garbage or a second hello costs the PIN nothing.
    let hello = match conn.receive_message() {
        Ok(hello) => hello.to_vec(),
        Err(e) => return ConnEnd::Dropped(e),
    };
    let mut run = None;
    let started = step(&mut |r| {
        let (n, id) = r.handle_hello(unix_now().unwrap_or(0), &hello, &mut out, &mut SysRng)?;
        run = Some(id);
        Ok(n)
    });
    let (n, run) = match (started, run) {
        (Ok(n), Some(run)) => (n, run),
        (Err(e @ Error::Core(honeylink_core::Error::PinExpired)), _) => {
            return ConnEnd::Fatal(refuse(&mut conn, e));
        }
        (Err(e), _) => return ConnEnd::Dropped(refuse(&mut conn, e)),
        (Ok(_), None) => return ConnEnd::Dropped(Error::Unexpected("a hello starts a run")),
    };
    // From here the PIN's one run is taken: every failure ends the PIN.
    let result = (|| -> Result<PendingPeer, Error> {
        conn.send_message(part(&out, n)?)?;
        let share = conn.receive_message()?.to_vec();
        let n = step(&mut |r| {
            r.handle_share(unix_now().unwrap_or(0), run, &share, &mut out, &mut SysRng)
        })
        .map_err(|e| refuse(&mut conn, e))?;
        conn.send_message(part(&out, n)?)?;
        let tag = conn.receive_message()?.to_vec();
        let n =
            step(&mut |r| r.handle_tag(unix_now().unwrap_or(0), run, &tag, &mut out, &mut SysRng))
                .map_err(|e| refuse(&mut conn, e))?;
        conn.send_message(part(&out, n)?)?;
        let noise3 = conn.receive_message()?.to_vec();
        let mut peer = None;
        step(&mut |r| {
            let (p, _keys) = r.handle_noise3(unix_now().unwrap_or(0), run, &noise3)?;
            peer = Some(p);
            Ok(0)
        })
        .map_err(|e| refuse(&mut conn, e))?;
        peer.ok_or(Error::Unexpected("a verified message 3 gives a peer"))
    })();
    match result {
        Ok(peer) => ConnEnd::Verified(peer, Box::new(conn)),
        Err(e) => ConnEnd::Fatal(e),
    }
}

/// The message for a PIN lockout, with the time it ends.
fn lockout_message(remaining: u64, now: u64) -> String {
    format!(
        "PIN pairing is locked after repeated wrong PINs until {} ({remaining} s); pair by QR or NFC meanwhile",
        time(now.saturating_add(remaining))
    )
}

/// `honeylink pair pin --listen ADDR`: shows a PIN valid 30 s and waits.
pub(crate) fn pin_listen(
    ctx: &Ctx,
    device: &mut Device,
    listen: SocketAddr,
) -> Result<PeerRecord, Error> {
    let listener = Listener::bind(listen, MAX_PAIRING_CONNECTIONS, ctx.timeouts)?;
    let bound = listener.local_addr();
    let now = unix_now()?;
    let mut guard = device.pin_guard(now)?;
    let identity = identity_copy(device);
    let shared: &Device = device;
    let responder = match PinResponder::new(local(&identity, shared), &mut guard, now, &mut SysRng)
    {
        Ok(responder) => responder,
        Err(honeylink_core::Error::LockedOut { remaining }) => {
            device.pairing_failed(PairingMethod::Pin, PairingFailure::LockedOut, None, now)?;
            ctx.ui.warn(&lockout_message(remaining, now))?;
            return Err(Error::Core(honeylink_core::Error::LockedOut { remaining }));
        }
        Err(e) => return Err(e.into()),
    };
    let pin = responder.pin().expose_secret();
    let pin = String::from_utf8_lossy(pin).into_owned();
    let pin = zeroize::Zeroizing::new(pin);
    let expires_at = now + PIN_VALIDITY_SECS;
    ctx.ui.emit(&json!({
        "event": "pin",
        "pin": pin.as_str(),
        "address": bound.to_string(),
        "expires_at": time(expires_at),
    }))?;
    let (first, second) = pin.split_at(pin.len().min(3));
    ctx.ui.say(&format!(
        "PIN   {first} {second}\nType it on the other device:  honeylink pair pin --connect {bound}\nValid for {PIN_VALIDITY_SECS} s, for one try. Waiting on {bound}."
    ))?;
    ctx.announce(Announce::Pin(pin, bound));
    let responder = Mutex::new(responder);
    let served = serve(
        ctx,
        &listener,
        Exchange::PinPairing,
        "The PIN is",
        expires_at,
        now + PIN_RUN_SECS,
        &|conn| pin_run(&responder, shared, conn),
    );
    // Whatever happened, the guard's last word is on disk.
    let responder = responder
        .into_inner()
        .map_err(|_| Error::Unexpected("the responder lock was poisoned"))?;
    let state = responder.guard_state(unix_now()?);
    drop(responder);
    device.save_pin_guard(&state)?;
    drop(identity);
    let served = served?;
    let now = unix_now()?;
    audit_failures(device, PairingMethod::Pin, &served.failures, now)?;
    if let Some((peer, conn)) = served.verified {
        return confirm_verified(ctx, device, PairingMethod::Pin, peer, conn);
    }
    // A fatal end took the PIN's one run: audited whatever the error, so a
    // guesser who vanishes after the responder's answer leaves a record.
    let taken = served.fatal.is_some();
    let error = served
        .fatal
        .unwrap_or(Error::Core(honeylink_core::Error::PinExpired));
    let failure =
        audited_failure(&error).or_else(|| taken.then_some(PairingFailure::HandshakeFailed));
    if let Some(failure) = failure {
        device.pairing_failed(PairingMethod::Pin, failure, None, now)?;
    }
    let message = match &error {
        Error::Core(honeylink_core::Error::PinExpired) => {
            "The PIN has expired; show a new one.".to_owned()
        }
        Error::Core(honeylink_core::Error::CpaceConfirmationFailed)
        | Error::PeerRefused {
            refusal: Refusal::WrongPin,
            ..
        } => "A wrong PIN was typed; the PIN is used up. Show a new one.".to_owned(),
        other => format!("The PIN is used up: {other}."),
    };
    ctx.ui.say(&message)?;
    if let Some(remaining) = device.pin_guard(now)?.locked_for(now) {
        ctx.ui.warn(&lockout_message(remaining, now))?;
    }
    Err(error)
}

/// `honeylink pair pin --connect ADDR [--pin PIN]`.
pub(crate) fn pin_connect(
    ctx: &Ctx,
    device: &mut Device,
    addr: SocketAddr,
    given: Option<&str>,
) -> Result<PeerRecord, Error> {
    let typed = match given {
        Some(pin) => zeroize::Zeroizing::new(pin.to_owned()),
        None => ctx.ui.read_secret("PIN shown on the other device: ")?,
    };
    let pin = Pin::parse(typed.trim())?;
    drop(typed);
    let mut conn = Connection::connect(addr, Exchange::PinPairing, ctx.timeouts)?;
    conn.limit_frames(PAIRING_FRAME);
    let identity = identity_copy(device);
    let mut out = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (mut initiator, n) =
        PinInitiator::start(local(&identity, device), pin, &mut out, &mut SysRng)?;
    let result = (|| -> Result<(PendingPeer, usize), Error> {
        conn.send_message(part(&out, n)?)?;
        let hello = conn.receive_message()?.to_vec();
        let n = initiator
            .handle_hello(&hello, &mut out, &mut SysRng)
            .map_err(|e| refuse(&mut conn, e.into()))?;
        conn.send_message(part(&out, n)?)?;
        let share_and_tag = conn.receive_message()?.to_vec();
        let n = initiator
            .handle_share_and_tag(&share_and_tag, &mut out, &mut SysRng)
            .map_err(|e| refuse(&mut conn, e.into()))?;
        conn.send_message(part(&out, n)?)?;
        let noise2 = conn.receive_message()?.to_vec();
        let (n, peer, _keys) = initiator
            .handle_noise2(&noise2, &mut out)
            .map_err(|e| refuse(&mut conn, e.into()))?;
        Ok((peer, n))
    })();
    drop(initiator);
    drop(identity);
    let (peer, n) = match result {
        Ok(done) => done,
        Err(e) => {
            if let Some(failure) = audited_failure(&e) {
                device.pairing_failed(PairingMethod::Pin, failure, None, unix_now()?)?;
            }
            if matches!(
                e,
                Error::Core(honeylink_core::Error::CpaceConfirmationFailed)
                    | Error::PeerRefused {
                        refusal: Refusal::WrongPin,
                        ..
                    }
            ) {
                ctx.ui
                    .say("Wrong PIN. Ask the other device for a new PIN and type it once.")?;
            }
            return Err(e);
        }
    };
    let id = peer.id();
    let name = who(&peer.name(), &id);
    ctx.ui.say(&format!(
        "The PIN matched {name}.\n  device id    {id}\n  fingerprint  {}",
        peer.fingerprint()
    ))?;
    let checked = check_acceptable(device, id, peer.key())
        .and_then(|()| ctx.ui.confirm(&format!("Pair with {name}?"), "the pairing"));
    if let Err(e) = checked {
        let e = refuse(&mut conn, e);
        if let Some(failure) = audited_failure(&e) {
            device.pairing_failed(PairingMethod::Pin, failure, Some(id), unix_now()?)?;
        }
        return Err(e);
    }
    conn.send_message(part(&out, n)?)?;
    await_acceptance(ctx, device, PairingMethod::Pin, peer, &mut conn, addr)
}
