//! Helpers for the end-to-end tests that run the real `honeylink` binary
//! with temporary homes on loopback.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Short time limits so failures show quickly.
pub(crate) const TIMEOUT_MS: &str = "3000";

/// A device: a temporary home with its keys in files.
pub(crate) struct Dev {
    _dir: tempfile::TempDir,
    pub(crate) home: PathBuf,
}

impl Dev {
    /// A home with `storage = "file"`, not yet initialised.
    pub(crate) fn blank() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        std::fs::write(home.join("config.toml"), "storage = \"file\"\n").unwrap();
        Self { _dir: dir, home }
    }

    /// An initialised device named `name`.
    pub(crate) fn new(name: &str) -> Self {
        let dev = Self::blank();
        let out = dev.run(&["init", "--name", name]);
        assert!(out.status.success(), "{}", text(&out));
        dev
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_honeylink"));
        command
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("HONEYLINK_TIMEOUT_MS", TIMEOUT_MS)
            .env("HONEYLINK_IDLE_TIMEOUT_MS", "10000")
            .env_remove("HONEYLINK_HOME")
            .stdin(Stdio::null());
        command
    }

    /// Runs to the end.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs to the end with `input` on standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Starts in the background with JSON lines on standard output.
    pub(crate) fn spawn(&self, args: &[&str]) -> Running {
        self.spawn_with_input(args, None)
    }

    pub(crate) fn spawn_with_input(&self, args: &[&str], input: Option<&str>) -> Running {
        let mut command = self.command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().unwrap();
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).unwrap();
        }
        let lines = lines_of(child.stdout.take().unwrap());
        Running { child, lines }
    }

    /// The JSON of `id`.
    pub(crate) fn id(&self) -> Value {
        json_of(&self.run(&["--json", "id"]))
    }

    pub(crate) fn device_id(&self) -> String {
        self.id()["device_id"].as_str().unwrap().to_owned()
    }

    pub(crate) fn peers(&self) -> Value {
        json_of(&self.run(&["--json", "peers"]))
    }
}

fn lines_of(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A command running in the background.
pub(crate) struct Running {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `command` with JSON lines on standard output.
    pub(crate) fn spawn(mut command: Command) -> Self {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        Self { child, lines }
    }

    /// The next JSON line whose `event` is `event` (others are skipped).
    pub(crate) fn event(&self, event: &str) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(15))
                .unwrap_or_else(|_| panic!("no '{event}' event"));
            let value: Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if value["event"] == event {
                return value;
            }
        }
    }

    /// Waits for the end; status code and standard error.
    pub(crate) fn finish(mut self) -> (i32, String) {
        let status = wait_timeout(&mut self.child, Duration::from_secs(20));
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
        }
        (status, err)
    }

    pub(crate) fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
        }
        err
    }
}

fn wait_timeout(child: &mut Child, limit: Duration) -> i32 {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the command did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Standard output and error, for assertion messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The last JSON document on standard output.
pub(crate) fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output: {}", text(out)));
    serde_json::from_str(last).unwrap_or_else(|_| panic!("not JSON: {}", text(out)))
}

/// Every JSON document on standard output.
pub(crate) fn events_of(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

/// The JSON error on standard error.
pub(crate) fn error_of(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("{\"error\""))
        .unwrap_or_else(|| panic!("no JSON error: {}", text(out)));
    serde_json::from_str::<Value>(line).unwrap()["error"].clone()
}

/// Pairs `shower` and `scanner` by QR code; returns the code's text.
pub(crate) fn pair_qr(shower: &Dev, scanner: &Dev) -> String {
    let running = shower.spawn(&["--json", "--yes", "pair", "qr", "--listen", "127.0.0.1:0"]);
    let code = running.event("code");
    let text = code["text"].as_str().unwrap().to_owned();
    let out = scanner.run(&["--json", "--yes", "pair", "scan", &text]);
    assert!(out.status.success(), "{}", text_of_pair(&out));
    let (status, err) = running.finish();
    assert_eq!(status, 0, "{err}");
    text
}

fn text_of_pair(out: &Output) -> String {
    text(out)
}

/// The address in a `listening` event.
pub(crate) fn listening(running: &Running) -> String {
    running.event("listening")["address"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Copies `from` to `to` (a file in a home), keeping it private.
pub(crate) fn copy_private(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    std::fs::set_permissions(to, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}
