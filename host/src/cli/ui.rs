//! How the command talks to people and scripts: lines for people, one JSON
//! document per command (one per line for streams) for scripts, questions
//! on the terminal, hidden PIN input, and countdowns.
//!
//! Questions and hidden input go to the controlling terminal (`/dev/tty`),
//! never to standard input and output, which may carry session data. With
//! no terminal a question is answered by `--yes` or not at all
//! ([`Error::NeedsConfirmation`]).

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_host::Error;
use honeylink_host::clock::format_rfc3339;
use serde_json::Value;
use zeroize::Zeroizing;

/// Where lines go: standard output or error, or the demo's narration.
pub(crate) type Sink = Arc<Mutex<dyn Write + Send>>;

/// The output side of one command run.
pub(crate) struct Ui {
    /// `--json`: JSON documents instead of lines for people.
    pub(crate) json: bool,
    /// `--yes`: every question is answered yes.
    pub(crate) yes: bool,
    /// A person can be asked on a terminal.
    interactive: bool,
    /// Countdowns are drawn (a terminal, no `--json`).
    countdowns: bool,
    out: Sink,
    err: Sink,
    /// Put before every line (the demo's device names).
    label: String,
}

fn write_to(sink: &Sink, bytes: &[u8]) -> Result<(), Error> {
    let mut sink = sink
        .lock()
        .map_err(|_| Error::Unexpected("an output lock was poisoned"))?;
    sink.write_all(bytes)
        .and_then(|()| sink.flush())
        .map_err(Error::Output)
}

/// Whether a controlling terminal can be opened.
fn has_tty() -> bool {
    File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

impl Ui {
    /// The real terminal: standard output and error.
    pub(crate) fn terminal(json: bool, yes: bool) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        Self {
            json,
            yes,
            interactive: !json && has_tty(),
            countdowns: !json && stderr_tty && std::env::var_os("HONEYLINK_NO_COUNTDOWN").is_none(),
            out: Arc::new(Mutex::new(std::io::stdout())),
            err: Arc::new(Mutex::new(std::io::stderr())),
            label: String::new(),
        }
    }

    /// A narrated device in the demo: everything to `sink` with a label,
    /// every question answered yes, no countdowns.
    pub(crate) fn narrated(sink: Sink, label: &str) -> Self {
        Self {
            json: false,
            yes: true,
            interactive: false,
            countdowns: false,
            out: Arc::clone(&sink),
            err: sink,
            label: format!("{label:>7} │ "),
        }
    }

    fn labelled(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.lines() {
            out.push_str(&self.label);
            out.push_str(line);
            out.push('\n');
        }
        if text.is_empty() {
            out.push_str(&self.label);
            out.push('\n');
        }
        out
    }

    /// A line (or lines) for people on standard output; nothing with
    /// `--json`.
    pub(crate) fn say(&self, text: &str) -> Result<(), Error> {
        if self.json {
            return Ok(());
        }
        write_to(&self.out, self.labelled(text).as_bytes())
    }

    /// A status line for people on standard error (where it does not mix
    /// with session data); nothing with `--json`.
    pub(crate) fn note(&self, text: &str) -> Result<(), Error> {
        if self.json {
            return Ok(());
        }
        write_to(&self.err, self.labelled(text).as_bytes())
    }

    /// A warning for people on standard error, also with `--json` (as a
    /// `warning` event on standard error).
    pub(crate) fn warn(&self, text: &str) -> Result<(), Error> {
        if self.json {
            let line = serde_json::json!({"event": "warning", "message": text}).to_string();
            return write_to(&self.err, format!("{line}\n").as_bytes());
        }
        write_to(&self.err, self.labelled(text).as_bytes())
    }

    /// One JSON document, on one line of standard output; nothing without
    /// `--json`.
    pub(crate) fn emit(&self, value: &Value) -> Result<(), Error> {
        if !self.json {
            return Ok(());
        }
        write_to(&self.out, format!("{value}\n").as_bytes())
    }

    /// Session data from a peer: raw bytes on standard output, or with
    /// `--json` a `data` event (the text, lossily decoded).
    pub(crate) fn data(&self, peer: DeviceId, bytes: &[u8]) -> Result<(), Error> {
        if self.json {
            return self.emit(&serde_json::json!({
                "event": "data",
                "peer": peer.to_string(),
                "bytes": bytes.len(),
                "text": String::from_utf8_lossy(bytes),
            }));
        }
        if self.label.is_empty() {
            write_to(&self.out, bytes)
        } else {
            let text = String::from_utf8_lossy(bytes);
            write_to(
                &self.out,
                self.labelled(&format!("received: {:?}", text.trim_end()))
                    .as_bytes(),
            )
        }
    }

    /// Whether this is a narrated device of the demo.
    pub(crate) fn is_narrated(&self) -> bool {
        !self.label.is_empty()
    }

    /// Asks a yes/no question; `--yes` answers yes. Returns
    /// [`Error::Declined`] for no, [`Error::NeedsConfirmation`] when no one
    /// can be asked.
    pub(crate) fn confirm(&self, question: &str, what: &'static str) -> Result<(), Error> {
        if self.yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(Error::NeedsConfirmation { what });
        }
        let answer = ask_tty(&format!("{question} [y/N] "), false)?;
        if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            Ok(())
        } else {
            Err(Error::Declined { what })
        }
    }

    /// Asks the person to pick one of `choices` (each a key and a label);
    /// `None` when no one can be asked.
    pub(crate) fn choose(
        &self,
        question: &str,
        choices: &[(char, &str)],
    ) -> Result<Option<char>, Error> {
        if !self.interactive {
            return Ok(None);
        }
        let mut prompt = format!("{question}\n");
        for (key, label) in choices {
            prompt.push_str(&format!("  [{key}] {label}\n"));
        }
        prompt.push_str("Choice: ");
        loop {
            let answer = ask_tty(&prompt, false)?;
            let answer = answer.trim().to_ascii_lowercase();
            if let Some(found) = choices
                .iter()
                .find(|(key, _)| answer.len() == 1 && answer.starts_with(*key))
            {
                return Ok(Some(found.0));
            }
            prompt = "Choice: ".to_owned();
        }
    }

    /// Reads a secret (a PIN): hidden on the terminal when there is one,
    /// else one line of standard input.
    pub(crate) fn read_secret(&self, prompt: &str) -> Result<Zeroizing<String>, Error> {
        if self.interactive {
            return ask_tty(prompt, true);
        }
        let mut line = Zeroizing::new(String::new());
        let mut input = BufReader::new(std::io::stdin().lock().take_bounded(64));
        input
            .read_line(&mut line)
            .map_err(|e| Error::io("read", "standard input", e))?;
        Ok(line)
    }

    /// A countdown to `expires_at` (Unix seconds) for `what`, drawn on
    /// standard error while it waits, when on a terminal without `--json`.
    pub(crate) fn countdown(&self, what: &str, expires_at: u64) -> Countdown {
        Countdown {
            err: Arc::clone(&self.err),
            enabled: self.countdowns,
            what: what.to_owned(),
            expires_at,
            shown: None,
        }
    }
}

/// `Read::take` spelled for a locked standard input.
trait TakeBounded: std::io::Read + Sized {
    fn take_bounded(self, limit: u64) -> std::io::Take<Self> {
        self.take(limit)
    }
}
impl<R: std::io::Read> TakeBounded for R {}

/// Puts the terminal's echo back when dropped.
struct EchoGuard<'a> {
    tty: &'a File,
    saved: rustix::termios::Termios,
}

impl Drop for EchoGuard<'_> {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            self.tty,
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}

/// Writes `prompt` to the terminal and reads one line from it, with echo
/// off when `hidden`.
fn ask_tty(prompt: &str, hidden: bool) -> Result<Zeroizing<String>, Error> {
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| Error::io("open", "/dev/tty", e))?;
    let mut writer = &tty;
    writer
        .write_all(prompt.as_bytes())
        .and_then(|()| writer.flush())
        .map_err(|e| Error::io("write", "/dev/tty", e))?;
    let guard = if hidden {
        let saved = rustix::termios::tcgetattr(&tty)
            .map_err(|e| Error::io("configure", "/dev/tty", e.into()))?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        rustix::termios::tcsetattr(&tty, rustix::termios::OptionalActions::Now, &quiet)
            .map_err(|e| Error::io("configure", "/dev/tty", e.into()))?;
        Some(EchoGuard { tty: &tty, saved })
    } else {
        None
    };
    let mut line = Zeroizing::new(String::new());
    let read = BufReader::new((&tty).take_bounded(256)).read_line(&mut line);
    drop(guard);
    if hidden {
        let _ = writer.write_all(b"\n");
    }
    read.map_err(|e| Error::io("read", "/dev/tty", e))?;
    Ok(line)
}

/// A countdown line on the terminal, redrawn in place.
pub(crate) struct Countdown {
    err: Sink,
    enabled: bool,
    what: String,
    expires_at: u64,
    shown: Option<u64>,
}

impl Countdown {
    /// Redraws the line for `now` (at most once a second).
    pub(crate) fn tick(&mut self, now: u64) -> Result<(), Error> {
        if !self.enabled || self.shown == Some(now) {
            return Ok(());
        }
        self.shown = Some(now);
        let left = self.expires_at.saturating_sub(now);
        let line = format!(
            "\r\x1b[2K{} valid for {}:{:02}",
            self.what,
            left / 60,
            left % 60
        );
        write_to(&self.err, line.as_bytes())
    }

    /// Clears the line (the wait is over).
    pub(crate) fn clear(&mut self) -> Result<(), Error> {
        if !self.enabled || self.shown.is_none() {
            return Ok(());
        }
        self.shown = None;
        write_to(&self.err, b"\r\x1b[2K")
    }
}

/// The first group of a device id: how people tell devices apart at a
/// glance.
pub(crate) fn short_id(id: &DeviceId) -> String {
    let full = id.to_string();
    full.split('-').next().unwrap_or(&full).to_owned()
}

/// "Name (short id)".
pub(crate) fn who(name: &DeviceName, id: &DeviceId) -> String {
    format!("{} ({})", name.as_str(), short_id(id))
}

/// A time for people and JSON: RFC 3339 in UTC.
pub(crate) fn time(secs: u64) -> String {
    format_rfc3339(secs).unwrap_or_else(|| secs.to_string())
}
