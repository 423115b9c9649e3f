//! `honeylink`: the HoneyLink command line.
//!
//! A thin shell over `honeylink-core`: it passes the operating system's RNG
//! (getrandom's `SysRng`) and clock, moves bytes, and prints. No protocol
//! logic lives here.

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// HoneyLink: peer-to-peer key management by physical proximity.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pair two simulated devices by QR code in memory, open a session between
    /// them, and keep a signed audit log, printing every step.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run(&mut std::io::stdout()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("honeylink: {error}");
            ExitCode::FAILURE
        }
    }
}
