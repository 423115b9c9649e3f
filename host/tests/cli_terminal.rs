//! In a real terminal (tmux): the QR code with its countdown, the hidden
//! PIN prompt and the confirmation, the key-change choice.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use std::process::Command;
use std::time::{Duration, Instant};

use cli_support::{Dev, listening, pair_qr};

/// A private tmux server for one test.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Option<Self> {
        let socket = format!("honeylink-test-{}-{name}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "120",
                "-y",
                "60",
                command,
            ])
            .status()
            .ok()?;
        status.success().then_some(Self { socket })
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with wrapped lines joined.
    fn capture_joined(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "t", keys, "Enter"])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until the screen shows `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the terminal never showed {text:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn has_tmux() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    if !found {
        eprintln!("tmux is not installed: the terminal tests are skipped");
    }
    found
}

fn shell_command(dev: &Dev, args: &str) -> String {
    format!(
        "env HONEYLINK_TIMEOUT_MS=5000 {} --home {} {args}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_honeylink"),
        dev.home.display()
    )
}

#[test]
fn the_qr_code_and_its_countdown_in_a_terminal() {
    if !has_tmux() {
        return;
    }
    let laptop = Dev::new("Laptop");
    let Some(tmux) = Tmux::start(
        "qr",
        &shell_command(&laptop, "pair qr --listen 127.0.0.1:0 --ttl 20"),
    ) else {
        return;
    };
    let screen = tmux.wait_for("The code is valid for 0:");
    assert!(
        screen.contains('█') || screen.contains('▀') || screen.contains('▄'),
        "{screen}"
    );
    assert!(screen.contains("honeylink pair scan HL1:"), "{screen}");
    let first = countdown(&screen);
    std::thread::sleep(Duration::from_millis(2200));
    let later = countdown(&tmux.capture());
    assert!(later < first, "the countdown moves: {first} then {later}");
    println!("{screen}");
}

/// The seconds shown by the countdown line.
fn countdown(screen: &str) -> u64 {
    let line = screen
        .lines()
        .find(|l| l.contains("valid for 0:"))
        .unwrap_or_else(|| panic!("no countdown:\n{screen}"));
    let secs = line.rsplit(':').next().unwrap().trim();
    secs.parse().unwrap()
}

#[test]
fn the_pin_is_typed_hidden_and_the_pairing_confirmed() {
    if !has_tmux() {
        return;
    }
    let laptop = Dev::new("Laptop");
    let tablet = Dev::new("Tablet");
    let running = laptop.spawn(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
    let shown = running.event("pin");
    let pin = shown["pin"].as_str().unwrap().to_owned();
    let command = format!("pair pin --connect {}", shown["address"].as_str().unwrap());
    let Some(tmux) = Tmux::start("pin", &shell_command(&tablet, &command)) else {
        return;
    };
    tmux.wait_for("PIN shown on the other device:");
    tmux.send(&pin);
    let screen = tmux.wait_for("[y/N]");
    assert!(!screen.contains(&pin), "the PIN was echoed:\n{screen}");
    assert!(screen.contains("The PIN matched Laptop"), "{screen}");
    tmux.send("y");
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("Paired with Laptop"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(running.finish().0, 0);
}

#[test]
fn the_key_change_choice_in_a_terminal() {
    if !has_tmux() {
        return;
    }
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    assert!(phone.run(&["--yes", "rotate"]).status.success());
    let running = phone.spawn_with_input(&["--json", "listen", "127.0.0.1:0"], Some(""));
    let addr = listening(&running);
    let command = format!("connect {addr} --message hi");
    let Some(tmux) = Tmux::start("key", &shell_command(&laptop, &command)) else {
        return;
    };
    let screen = tmux.wait_for("Choice:");
    assert!(screen.contains("presented a different key"), "{screen}");
    assert!(screen.contains("[t] Trust new key"), "{screen}");
    tmux.send("r");
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=3"), "{screen}");
    assert_eq!(laptop.peers()["peers"][0]["reverify_requested"], true);
    running.kill();
}

#[test]
fn a_reused_code_is_refused_by_the_core_while_the_first_pairing_is_confirmed() {
    if !has_tmux() {
        return;
    }
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let tablet = Dev::new("Tablet");
    let Some(tmux) = Tmux::start(
        "reuse",
        &shell_command(&laptop, "pair qr --listen 127.0.0.1:0 --ttl 60"),
    ) else {
        return;
    };
    tmux.wait_for("The code is valid for 0:");
    let screen = tmux.capture_joined();
    let code = screen
        .split_whitespace()
        .find(|word| word.starts_with("HL1:"))
        .unwrap_or_else(|| panic!("no code on screen:\n{screen}"))
        .to_owned();
    // The phone scans; the laptop's person has not confirmed yet.
    let first = phone.spawn(&["--json", "--yes", "pair", "scan", &code]);
    tmux.wait_for("[y/N]");
    // A second scanner with the same code reaches the live listener and
    // gets the core's refusal: the code is used.
    let out = tablet.run(&["--json", "--yes", "pair", "scan", &code]);
    assert_eq!(out.status.code(), Some(4), "{}", cli_support::text(&out));
    let error = cli_support::error_of(&out);
    assert_eq!(error["refusal"], "code_used", "{error}");
    tmux.send("y");
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(first.finish().0, 0);
    assert_eq!(tablet.peers()["peers"].as_array().unwrap().len(), 0);
}
