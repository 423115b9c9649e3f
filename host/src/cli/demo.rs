//! `honeylink demo`: three devices in a temporary home walk through every
//! flow over real TCP sockets on loopback, narrated. Each step calls the
//! very functions the commands call (`pair qr`, `pair scan`, `listen`,
//! `connect`, ...), each device with its own home and its own labelled
//! output, every question answered yes; the keys are kept in files in the
//! temporary home (never in the OS keychain), and the home is erased at the
//! end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use honeylink_core::pairing::LOCKOUT_FAILURES;
use honeylink_host::Error;
use honeylink_host::config::{Config, StorageMode};
use honeylink_host::home::Home;
use honeylink_host::transport::{Refusal, Timeouts};

use super::{Announce, Ctx, OnKeyChange, Ui, identity, pair, peers, records, session};

/// A device of the demo.
struct Actor {
    ctx: Ctx,
    rx: Mutex<mpsc::Receiver<Announce>>,
}

impl Actor {
    fn new(sink: &super::ui::Sink, root: PathBuf, label: &str, timeouts: Timeouts) -> Self {
        let (tx, rx) = mpsc::channel();
        Self {
            ctx: Ctx {
                ui: Ui::narrated(Arc::clone(sink), label),
                root,
                timeouts,
                announce: Some(tx),
            },
            rx: Mutex::new(rx),
        }
    }

    /// The next announcement of this device's waiting command.
    fn heard(&self) -> Result<Announce, Error> {
        self.rx
            .lock()
            .map_err(|_| Error::Unexpected("the announcement lock was poisoned"))?
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| Error::Unexpected("the waiting side announces itself"))
    }
}

const LOOPBACK: &str = "127.0.0.1:0";

fn loopback() -> Result<SocketAddr, Error> {
    LOOPBACK
        .parse()
        .map_err(|_| Error::Unexpected("the loopback address parses"))
}

fn input(text: &str) -> Box<dyn std::io::Read + Send> {
    Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))
}

/// A fresh private directory for the demo's homes.
fn temp_root() -> Result<PathBuf, Error> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|_| Error::Core(honeylink_core::Error::Rng))?;
    let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let root = std::env::temp_dir().join(format!("honeylink-demo-{name}"));
    Home::create(&root)?;
    Ok(root)
}

/// Creates a device's home with its keys in files.
fn prepare(root: &Path) -> Result<(), Error> {
    let home = Home::create(root)?;
    let config = Config {
        storage: StorageMode::File,
        ..Config::default()
    };
    home.write_private(&home.config_path(), config.to_toml().as_bytes())
}

/// Runs `a` and `b` at once (the two sides of an exchange).
fn both<A: Send, B: Send>(
    a: impl FnOnce() -> Result<A, Error> + Send,
    b: impl FnOnce() -> Result<B, Error> + Send,
) -> (Result<A, Error>, Result<B, Error>) {
    std::thread::scope(|s| {
        let a = s.spawn(a);
        let b = b();
        let a = a
            .join()
            .unwrap_or(Err(Error::Unexpected("a demo thread panicked")));
        (a, b)
    })
}

/// Runs the demo, narrating on `ui`'s standard output.
pub(crate) fn run(ui: &Ui, timeouts: Timeouts) -> Result<(), Error> {
    if ui.json {
        return Err(Error::Usage(
            "the demo narrates for people; run it without --json".into(),
        ));
    }
    let started = Instant::now();
    let root = temp_root()?;
    let result = walk(&root, timeouts);
    // Best effort: the temporary home holds only the demo's keys.
    let _ = std::fs::remove_dir_all(&root);
    let elapsed = started.elapsed();
    match result {
        Ok(()) => {
            println!(
                "\nDemo finished in {:.1} s: every step behaved as the protocol promises.",
                elapsed.as_secs_f64()
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn expect_refusal<T>(
    result: Result<T, Error>,
    what: &'static str,
    ok: impl Fn(&Error) -> bool,
) -> Result<(), Error> {
    match result {
        Err(e) if ok(&e) => Ok(()),
        _ => Err(Error::Unexpected(what)),
    }
}

fn walk(root: &Path, timeouts: Timeouts) -> Result<(), Error> {
    let sink: super::ui::Sink = Arc::new(Mutex::new(std::io::stdout()));
    let narrator = Ui::narrated(Arc::clone(&sink), "demo");
    let say = |text: &str| narrator.say(&format!("\n== {text}"));
    let laptop = Actor::new(&sink, root.join("laptop"), "laptop", timeouts);
    let phone = Actor::new(&sink, root.join("phone"), "phone", timeouts);
    let tablet = Actor::new(&sink, root.join("tablet"), "tablet", timeouts);

    say(&format!(
        "Three devices, each with its own home under {}, talking over TCP on 127.0.0.1.",
        root.display()
    ))?;
    say("1. Each device creates its identity (honeylink init)")?;
    for (actor, name) in [(&laptop, "Laptop"), (&phone, "Phone"), (&tablet, "Tablet")] {
        prepare(&actor.ctx.root)?;
        identity::init(&actor.ctx, Some(name))?;
    }

    say("2. QR pairing: the laptop shows a code, the phone scans it (pair qr / pair scan)")?;
    qr_pair(&laptop, &phone)?;

    say("3. A session with messages both ways (listen --once / connect)")?;
    let (listened, connected) = session_between(
        &laptop,
        "hello from the laptop\n",
        &phone,
        "hello from the phone\n",
        None,
    )?;
    listened?;
    connected?;

    say("4. PIN pairing: the laptop shows a PIN, the tablet types it (pair pin)")?;
    let (shown, typed) = pin_pair(&laptop, &tablet, false);
    shown?;
    typed?;

    say(&format!(
        "5. Wrong PINs: each ends its PIN; after {LOCKOUT_FAILURES} the laptop locks PIN pairing"
    ))?;
    for _ in 0..LOCKOUT_FAILURES {
        let (shown, typed) = pin_pair(&laptop, &tablet, true);
        expect_refusal(shown, "a wrong PIN fails on the showing side", |e| {
            matches!(
                e,
                Error::PeerRefused {
                    refusal: Refusal::WrongPin,
                    ..
                }
            ) || matches!(
                e,
                Error::Core(honeylink_core::Error::CpaceConfirmationFailed)
            )
        })?;
        expect_refusal(typed, "a wrong PIN fails on the typing side", |e| {
            matches!(
                e,
                Error::Core(honeylink_core::Error::CpaceConfirmationFailed)
            )
        })?;
    }
    narrator.say("   The laptop tries to show a fourth PIN:")?;
    {
        let mut device = laptop.ctx.open()?;
        expect_refusal(
            pair::pin_listen(&laptop.ctx, &mut device, loopback()?),
            "PIN pairing is locked out",
            |e| matches!(e, Error::Core(honeylink_core::Error::LockedOut { .. })),
        )?;
    }

    say("6. NFC pairing: the phone writes its NDEF record, the tablet reads it (pair nfc)")?;
    let record = root.join("phone-pairing.ndef");
    let (written, read) = both(
        || {
            let mut device = phone.ctx.open()?;
            pair::nfc_write(&phone.ctx, &mut device, &record, loopback()?, 60)
        },
        || {
            let Announce::NfcRecord = phone.heard()? else {
                return Err(Error::Unexpected("the phone writes its record"));
            };
            let mut device = tablet.ctx.open()?;
            pair::nfc_read(&tablet.ctx, &mut device, &record, None)
        },
    );
    written?;
    read?;

    say("7. The phone suspects a compromise: emergency rotation (rotate --emergency)")?;
    records::rotate(&phone.ctx, true)?;

    say("8. The laptop connects to the phone: key change warning, refused (connect)")?;
    say("   The laptop chooses Re-verify; the phone keeps listening meanwhile.")?;
    let (listened, steps) = both(
        || {
            let mut device = phone.ctx.open()?;
            session::listen(
                &phone.ctx,
                &mut device,
                loopback()?,
                true,
                4,
                input("welcome back\n"),
            )
        },
        || {
            let Announce::Listening(addr) = phone.heard()? else {
                return Err(Error::Unexpected("the phone listens"));
            };
            let refused = {
                let mut device = laptop.ctx.open()?;
                laptop
                    .ctx
                    .ui
                    .say("connect, answering the key change with: Re-verify")?;
                session::connect(
                    &laptop.ctx,
                    &mut device,
                    addr,
                    None,
                    input("are you there?\n"),
                    Some(OnKeyChange::Reverify),
                )
            };
            expect_refusal(refused, "the changed key is refused", |e| {
                matches!(
                    e,
                    Error::SessionRefused {
                        reason: honeylink_core::trust::RefusalReason::KeyChanged,
                        ..
                    }
                )
            })?;
            say("9. Re-verification: the phone shows a new code, the laptop scans it")?;
            qr_pair(&phone, &laptop)?;
            say("   The laptop connects again: the new key is trusted now")?;
            let mut device = laptop.ctx.open()?;
            session::connect(
                &laptop.ctx,
                &mut device,
                addr,
                None,
                input("are you there?\n"),
                None,
            )
        },
    );
    steps?;
    listened?;

    say("10. The laptop unpairs the tablet (peers remove); the tablet is refused")?;
    peers::run(
        &laptop.ctx,
        super::PeersCommand::Remove {
            device: "Tablet".into(),
        },
    )?;
    let outcome = session_between(&laptop, "", &tablet, "hello?\n", None)?;
    let (listened, connected) = outcome;
    expect_refusal(listened, "the laptop refuses the unpaired tablet", |e| {
        matches!(
            e,
            Error::SessionRefused {
                reason: honeylink_core::trust::RefusalReason::Untrusted,
                ..
            }
        )
    })?;
    match connected {
        Err(
            e @ Error::PeerRefused {
                refusal: Refusal::Untrusted,
                ..
            },
        ) => {
            tablet
                .ctx
                .ui
                .say(&format!("connect failed (exit status 3): {e}"))?;
        }
        _ => return Err(Error::Unexpected("the tablet hears Untrusted Device")),
    }

    say("11. Each device verifies its audit chain and counts its metrics (audit verify, metrics)")?;
    for actor in [&laptop, &phone, &tablet] {
        records::audit_verify(&actor.ctx)?;
        records::metrics(&actor.ctx, false)?;
    }
    Ok(())
}

type Both = (
    Result<session::Traffic, Error>,
    Result<session::Traffic, Error>,
);

/// `listener` listens once, `caller` connects; both send their text.
fn session_between(
    listener: &Actor,
    listener_says: &str,
    caller: &Actor,
    caller_says: &str,
    on_key_change: Option<OnKeyChange>,
) -> Result<Both, Error> {
    let (listened, connected) = both(
        || {
            let mut device = listener.ctx.open()?;
            session::listen(
                &listener.ctx,
                &mut device,
                loopback()?,
                true,
                4,
                input(listener_says),
            )
        },
        || {
            let Announce::Listening(addr) = listener.heard()? else {
                return Err(Error::Unexpected("the listener announces its address"));
            };
            let mut device = caller.ctx.open()?;
            session::connect(
                &caller.ctx,
                &mut device,
                addr,
                None,
                input(caller_says),
                on_key_change,
            )
        },
    );
    Ok((listened, connected))
}

/// `shower` shows a QR code (valid 300 s, answered on a loopback port) and
/// `scanner` reads its text; the first error of either side.
fn qr_pair(shower: &Actor, scanner: &Actor) -> Result<(), Error> {
    let (shown, scanned) = both(
        || {
            let mut device = shower.ctx.open()?;
            let files = pair::CodeFiles {
                png: None,
                svg: None,
            };
            pair::show_qr(&shower.ctx, &mut device, loopback()?, 300, None, &files)
        },
        || {
            let Announce::Code(text) = shower.heard()? else {
                return Err(Error::Unexpected("the code is shown"));
            };
            let mut device = scanner.ctx.open()?;
            pair::scan_text(&scanner.ctx, &mut device, &text, None)
        },
    );
    shown?;
    scanned?;
    Ok(())
}

/// `shower` shows a PIN, `typer` types it (or, with `wrong`, another one).
fn pin_pair(
    shower: &Actor,
    typer: &Actor,
    wrong: bool,
) -> (
    Result<honeylink_core::trust::PeerRecord, Error>,
    Result<honeylink_core::trust::PeerRecord, Error>,
) {
    both(
        || {
            let mut device = shower.ctx.open()?;
            pair::pin_listen(&shower.ctx, &mut device, loopback()?)
        },
        || {
            let Announce::Pin(pin, addr) = shower.heard()? else {
                return Err(Error::Unexpected("the PIN is shown"));
            };
            let typed = if wrong {
                // Another six digits: the last one changed.
                let mut digits: Vec<u8> = pin.bytes().collect();
                if let Some(last) = digits.last_mut() {
                    *last = if *last == b'9' { b'0' } else { *last + 1 };
                }
                zeroize::Zeroizing::new(String::from_utf8_lossy(&digits).into_owned())
            } else {
                pin
            };
            if wrong {
                typer.ctx.ui.say("types a wrong PIN")?;
            }
            let mut device = typer.ctx.open()?;
            pair::pin_connect(&typer.ctx, &mut device, addr, Some(typed.as_str()))
        },
    )
}
