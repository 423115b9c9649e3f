//! The `honeylink` command line: parsing, dispatch, exit codes and errors.
//!
//! Every protocol step is the core's and every stored change goes through
//! the host library's [`Device`]; this module and its children move bytes
//! between sockets and the core, ask the person, and print.

mod demo;
mod identity;
mod pair;
mod peers;
mod qr;
mod records;
mod session;
mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use honeylink_host::Error;
use honeylink_host::device::Device;
use honeylink_host::home::Home;
use honeylink_host::transport::{Refusal, Timeouts};

pub(crate) use ui::Ui;

/// Exit status: success.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit status: an unexpected failure.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit status: the command line is wrong (or names no device).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status: refused by trust (untrusted, blocked, key changed).
pub(crate) const EXIT_REFUSED: u8 = 3;
/// Exit status: pairing failed (wrong code or PIN, expired, used, locked
/// out, declined).
pub(crate) const EXIT_PAIRING: u8 = 4;
/// Exit status: storage (permissions, corrupt files, keys, keychain).
pub(crate) const EXIT_STORAGE: u8 = 5;
/// Exit status: input/output or network (refused connection, timeout, the
/// peer vanished or sent garbage).
pub(crate) const EXIT_NETWORK: u8 = 6;
/// Exit status: the person declined, or no one could be asked.
pub(crate) const EXIT_DECLINED: u8 = 7;

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  unexpected failure
  2  usage error (bad arguments, no such device)
  3  refused by trust (Untrusted Device, blocked, key changed)
  4  pairing failed (wrong or expired code or PIN, code used, locked out)
  5  storage error (permissions, corrupt files, keys, keychain)
  6  network or I/O error (connection refused, timeout, peer vanished)
  7  declined (the person said no, or --yes was needed)

With --json, every command prints one JSON document on standard output
(streams: one per line), and errors print {\"error\": ...} on standard
error with the same exit status.";

/// HoneyLink: pair devices by QR code, PIN or NFC, then talk to them over
/// encrypted sessions; every key decision is audited.
#[derive(Parser)]
#[command(name = "honeylink", version, about, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// The HoneyLink home (default: $HONEYLINK_HOME, else ~/.honeylink).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    /// Answer yes to every question (confirmations of pairings, rotation,
    /// destruction).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create this device's identity (once); show it if it exists.
    Init {
        /// The name other devices see (default: the host name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Show this device's id, name, fingerprint and where its keys are.
    Id,
    /// Pair with a device next to this one.
    #[command(subcommand)]
    Pair(PairCommand),
    /// List paired devices, or change one.
    Peers(PeersArgs),
    /// Accept sessions from paired devices (like `nc -l`).
    ///
    /// Every session's records go to standard output. Standard input goes
    /// to the first session established, and only to it: it is read once,
    /// so sessions established later (or at the same time, without --once)
    /// receive but send nothing, even after the first one ends.
    Listen {
        /// Address to listen on, e.g. 127.0.0.1:7300.
        addr: String,
        /// Serve one session (carrying standard input to it) and exit: 0
        /// when it was established and ended cleanly, 3 when this device
        /// refused it, 6 when it failed after being established.
        #[arg(long)]
        once: bool,
        /// Sessions served at once.
        #[arg(long, default_value_t = 16)]
        max_connections: usize,
    },
    /// Open a session with a paired device (like `nc`).
    Connect {
        /// The device's address (host:port), or a paired device's name or
        /// id prefix: then its last known address (where a pairing or a
        /// session from here reached it), and only that device may answer
        /// there. An IP address and port is always taken as an address.
        #[arg(value_name = "ADDR|NAME")]
        addr: String,
        /// Send this text instead of standard input.
        #[arg(long)]
        message: Option<String>,
        /// What to do when the device presents a different key (default:
        /// ask on a terminal, else block).
        #[arg(long, value_enum)]
        on_key_change: Option<OnKeyChange>,
    },
    /// Replace this device's keys (every paired device must pair again).
    Rotate {
        /// After a suspected compromise.
        #[arg(long)]
        emergency: bool,
    },
    /// Destroy this device's keys, peers and log (spec 8.2).
    Destroy,
    /// Show or verify the signed audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Counters from the audit log.
    Metrics {
        /// In the Prometheus text format.
        #[arg(long)]
        prometheus: bool,
    },
    /// Check keys, permissions, files, the audit chain, the clock and PIN
    /// lockout.
    Doctor,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Three devices on loopback walk through every flow, narrated.
    Demo,
}

#[derive(Subcommand)]
enum PairCommand {
    /// Show a pairing code (QR) and wait for the other device to scan it.
    Qr {
        /// Address to wait on, e.g. 127.0.0.1:7301 (port 0: any).
        #[arg(long)]
        listen: String,
        /// Seconds the code stays valid (at most 300).
        #[arg(long, default_value_t = 300)]
        ttl: u64,
        /// Also write the code as a PNG image.
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        /// Also write the code as an SVG image.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// The address the code names (default: the one listened on).
        #[arg(long)]
        advertise: Option<SocketAddr>,
    },
    /// Pair from a scanned code's text (HL1:...).
    Scan {
        /// The code's text.
        payload: String,
        /// Connect here instead of the address in the code.
        #[arg(long)]
        connect: Option<String>,
    },
    /// Pair by a 6-digit PIN.
    Pin(PinArgs),
    /// Pair by an NFC (NDEF) record.
    Nfc(NfcArgs),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct PinMode {
    /// Show a PIN and wait on this address.
    #[arg(long)]
    listen: Option<String>,
    /// Type the PIN shown by the device at this address.
    #[arg(long)]
    connect: Option<String>,
}

#[derive(Args)]
struct PinArgs {
    #[command(flatten)]
    mode: PinMode,
    /// The PIN (else asked with hidden input, or read from standard input).
    #[arg(long, requires = "connect")]
    pin: Option<String>,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct NfcMode {
    /// Write this device's NDEF pairing record to FILE and wait (with
    /// --listen).
    #[arg(long, value_name = "FILE", requires = "listen")]
    write: Option<PathBuf>,
    /// Pair from the NDEF record in FILE.
    #[arg(long, value_name = "FILE")]
    read: Option<PathBuf>,
}

#[derive(Args)]
struct NfcArgs {
    #[command(flatten)]
    mode: NfcMode,
    /// With --write: the address to wait on.
    #[arg(long)]
    listen: Option<String>,
    /// With --read: connect here instead of the address in the record.
    #[arg(long)]
    connect: Option<String>,
    /// With --write: seconds the record stays valid (at most 300).
    #[arg(long, default_value_t = 300)]
    ttl: u64,
}

#[derive(Args)]
struct PeersArgs {
    #[command(subcommand)]
    command: Option<PeersCommand>,
}

#[derive(Subcommand)]
enum PeersCommand {
    /// List paired and blocked devices.
    List,
    /// Show one device (by id prefix or name).
    Show {
        /// Id prefix or name.
        device: String,
    },
    /// Unpair a device (spec 8.1): it becomes an Untrusted Device.
    Remove {
        /// Id prefix or name.
        device: String,
    },
    /// Block a device whatever key it presents.
    Block {
        /// Id prefix or name.
        device: String,
    },
    /// Lift a block.
    Unblock {
        /// Id prefix or name.
        device: String,
    },
    /// Rename a device.
    Rename {
        /// Id prefix or name.
        device: String,
        /// The new name.
        name: String,
    },
    /// Trust the new key a device presented (spec 7; dangerous if it is a
    /// man in the middle: prefer pairing again).
    TrustNew {
        /// Id prefix or name.
        device: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the verified audit records.
    Show {
        /// Only records from this time on (RFC 3339, e.g.
        /// 2026-01-31T00:00:00Z, or an age such as 30m, 12h, 7d).
        #[arg(long)]
        since: Option<String>,
    },
    /// Verify the whole chain and its head.
    Verify,
}

/// The answer to a key change given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnKeyChange {
    /// Keep the old key and refuse (the default without a terminal).
    Block,
    /// Replace the old key with the new one (dangerous if it is a MITM).
    Trust,
    /// Refuse now and pair again to confirm the new key.
    Reverify,
}

/// What every command gets: how to talk, where the home is, time limits.
pub(crate) struct Ctx {
    pub(crate) ui: Ui,
    pub(crate) root: PathBuf,
    pub(crate) timeouts: Timeouts,
    /// Where a waiting command also hands its code, PIN or address (the
    /// demo's other devices); `None` on the command line.
    pub(crate) announce: Option<std::sync::mpsc::Sender<Announce>>,
}

/// What a waiting command shows, handed to [`Ctx::announce`].
pub(crate) enum Announce {
    /// A QR code's text.
    Code(String),
    /// A PIN and where it waits.
    Pin(zeroize::Zeroizing<String>, SocketAddr),
    /// An NFC record was written.
    NfcRecord,
    /// A session listener is ready at this address.
    Listening(SocketAddr),
}

impl Ctx {
    /// Hands `what` to whoever waits for it (best effort).
    pub(crate) fn announce(&self, what: Announce) {
        if let Some(to) = &self.announce {
            let _ = to.send(what);
        }
    }
}

impl Ctx {
    /// Opens the device, printing its notices.
    pub(crate) fn open(&self) -> Result<Device, Error> {
        let device = Device::open(&self.root).map_err(|e| match e {
            Error::NoIdentity { .. } => Error::Usage(format!(
                "no device identity in {}; create one with: honeylink init",
                self.root.display()
            )),
            other => other,
        })?;
        self.notices(&device)?;
        Ok(device)
    }

    pub(crate) fn notices(&self, device: &Device) -> Result<(), Error> {
        for notice in device.notices() {
            self.ui.warn(&format!("note: {notice}"))?;
        }
        Ok(())
    }
}

/// Parses an address the person gave.
pub(crate) fn address(addr: &str) -> Result<SocketAddr, Error> {
    honeylink_host::transport::resolve(addr)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage(format!("'{addr}' names no address")))
}

/// The exit status for an error.
pub(crate) fn exit_code(error: &Error) -> u8 {
    use honeylink_core::Error as Core;
    match error {
        Error::Usage(_)
        | Error::PeerNotFound { .. }
        | Error::AmbiguousPeer { .. }
        | Error::NoPeerAddress { .. }
        | Error::OutputExists { .. }
        | Error::BadSetting { .. }
        | Error::BadAddress { .. } => EXIT_USAGE,
        Error::SessionRefused { .. } | Error::UnexpectedPeer { .. } => EXIT_REFUSED,
        Error::Declined { .. } | Error::NeedsConfirmation { .. } => EXIT_DECLINED,
        Error::PeerRefused { refusal, .. } => match refusal {
            Refusal::Untrusted
            | Refusal::Blocked
            | Refusal::KeyChanged
            | Refusal::IdentityMismatch => EXIT_REFUSED,
            Refusal::AtCapacity | Refusal::WrongExchange => EXIT_NETWORK,
            _ => EXIT_PAIRING,
        },
        Error::Network { .. }
        | Error::Listen { .. }
        | Error::PeerClosed { .. }
        | Error::TimedOut { .. }
        | Error::FrameTooLarge { .. }
        | Error::BadPreamble { .. }
        | Error::BadFrame { .. }
        | Error::Output(_) => EXIT_NETWORK,
        Error::Core(core) => match core {
            Core::NotTrusted
            | Core::PeerBlocked
            | Core::KeyTrustedElsewhere
            | Core::KeyChangeNotApproved => EXIT_REFUSED,
            Core::PayloadExpired
            | Core::PayloadUsed
            | Core::PayloadExhausted
            | Core::Busy
            | Core::Replayed
            | Core::WrongRun
            | Core::RunTimedOut
            | Core::KeyMismatch
            | Core::DeviceIdMismatch
            | Core::Aead
            | Core::HandshakeFailed
            | Core::CpaceConfirmationFailed
            | Core::CpaceShareInvalid
            | Core::CpaceShareIdentity
            | Core::CpaceShareReflected
            | Core::PinUsed
            | Core::PinExpired
            | Core::LockedOut { .. } => EXIT_PAIRING,
            Core::InvalidPin
            | Core::MissingPrefix
            | Core::ChecksumMismatch
            | Core::InvalidCharacter { .. }
            | Core::InvalidTextLength
            | Core::NameEmpty
            | Core::NameTooLong
            | Core::NameControlCharacter
            | Core::ValidityTooLong
            | Core::NdefTruncated
            | Core::NdefChunked
            | Core::NdefFraming
            | Core::NdefNoRecord
            | Core::NdefDuplicate
            | Core::UnknownVersion { .. }
            | Core::PeerNotFound
            | Core::NoPendingKey
            | Core::PendingKeyChanged => EXIT_USAGE,
            _ => EXIT_FAILURE,
        },
        Error::Unexpected(_) | Error::Clock => EXIT_FAILURE,
        _ => EXIT_STORAGE,
    }
}

/// A stable name for an error's kind, for JSON.
fn error_kind(code: u8) -> &'static str {
    match code {
        EXIT_USAGE => "usage",
        EXIT_REFUSED => "refused",
        EXIT_PAIRING => "pairing_failed",
        EXIT_STORAGE => "storage",
        EXIT_NETWORK => "network",
        EXIT_DECLINED => "declined",
        _ => "failure",
    }
}

/// Prints `error` as the command's last word and returns its status.
fn report(json: bool, error: &Error) -> ExitCode {
    let code = exit_code(error);
    let mut detail = serde_json::json!({
        "kind": error_kind(code),
        "message": error.to_string(),
        "exit_code": code,
    });
    if let Error::PeerRefused { refusal, .. } = error
        && let Some(map) = detail.as_object_mut()
    {
        map.insert("refusal".into(), refusal.as_str().into());
        if let Refusal::LockedOut { remaining } = refusal {
            map.insert("locked_for_secs".into(), (*remaining).into());
        }
    }
    if let Error::SessionRefused { reason, peer } = error
        && let Some(map) = detail.as_object_mut()
    {
        map.insert("reason".into(), format!("{reason:?}").into());
        map.insert("peer".into(), peer.to_string().into());
    }
    if json {
        eprintln!("{}", serde_json::json!({ "error": detail }));
    } else {
        eprintln!("honeylink: {error}");
    }
    ExitCode::from(code)
}

/// Runs the command line.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are successes; everything else is usage.
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK })
                }
                _ => ExitCode::from(EXIT_USAGE),
            };
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(error) => report(json, &error),
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let ui = Ui::terminal(cli.json, cli.yes);
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "honeylink",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    if let Command::Demo = cli.command {
        return demo::run(&ui, Timeouts::from_env()?);
    }
    let ctx = Ctx {
        ui,
        root: Home::resolve(cli.home.as_deref())?,
        timeouts: Timeouts::from_env()?,
        announce: None,
    };
    dispatch(&ctx, cli.command)
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<(), Error> {
    match command {
        Command::Init { name } => identity::init(ctx, name.as_deref()),
        Command::Id => identity::show(ctx),
        Command::Pair(pair) => match pair {
            PairCommand::Qr {
                listen,
                ttl,
                png,
                svg,
                advertise,
            } => {
                let mut device = ctx.open()?;
                let files = pair::CodeFiles {
                    png: png.as_deref(),
                    svg: svg.as_deref(),
                };
                pair::show_qr(ctx, &mut device, address(&listen)?, ttl, advertise, &files).map(drop)
            }
            PairCommand::Scan { payload, connect } => {
                let mut device = ctx.open()?;
                let connect = connect.as_deref().map(address).transpose()?;
                pair::scan_text(ctx, &mut device, &payload, connect).map(drop)
            }
            PairCommand::Pin(args) => {
                let mut device = ctx.open()?;
                match (args.mode.listen, args.mode.connect) {
                    (Some(listen), _) => {
                        pair::pin_listen(ctx, &mut device, address(&listen)?).map(drop)
                    }
                    (None, Some(connect)) => {
                        pair::pin_connect(ctx, &mut device, address(&connect)?, args.pin.as_deref())
                            .map(drop)
                    }
                    (None, None) => Err(Error::Usage("give --listen or --connect".into())),
                }
            }
            PairCommand::Nfc(args) => {
                let mut device = ctx.open()?;
                match (args.mode.write, args.mode.read) {
                    (Some(file), _) => {
                        let listen = args
                            .listen
                            .ok_or_else(|| Error::Usage("--write needs --listen ADDR".into()))?;
                        pair::nfc_write(ctx, &mut device, &file, address(&listen)?, args.ttl)
                            .map(drop)
                    }
                    (None, Some(file)) => {
                        let connect = args.connect.as_deref().map(address).transpose()?;
                        pair::nfc_read(ctx, &mut device, &file, connect).map(drop)
                    }
                    (None, None) => Err(Error::Usage("give --write or --read".into())),
                }
            }
        },
        Command::Peers(args) => peers::run(ctx, args.command.unwrap_or(PeersCommand::List)),
        Command::Listen {
            addr,
            once,
            max_connections,
        } => {
            let mut device = ctx.open()?;
            let input: Box<dyn std::io::Read + Send> = Box::new(std::io::stdin());
            session::listen(
                ctx,
                &mut device,
                address(&addr)?,
                once,
                max_connections,
                input,
            )
            .map(drop)
        }
        Command::Connect {
            addr,
            message,
            on_key_change,
        } => {
            let mut device = ctx.open()?;
            let input: Box<dyn std::io::Read + Send> = match message {
                Some(text) => Box::new(std::io::Cursor::new(text.into_bytes())),
                None => Box::new(std::io::stdin()),
            };
            let (addr, expected) = session::target(&device, &addr)?;
            session::connect(ctx, &mut device, addr, expected, input, on_key_change).map(drop)
        }
        Command::Rotate { emergency } => records::rotate(ctx, emergency),
        Command::Destroy => records::destroy(ctx),
        Command::Audit(AuditCommand::Show { since }) => records::audit_show(ctx, since.as_deref()),
        Command::Audit(AuditCommand::Verify) => records::audit_verify(ctx),
        Command::Metrics { prometheus } => records::metrics(ctx, prometheus),
        Command::Doctor => records::doctor(ctx),
        Command::Completions { .. } | Command::Demo => {
            Err(Error::Unexpected("handled before the home is resolved"))
        }
    }
}
