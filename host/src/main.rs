//! `honeylink`: the HoneyLink command line.
//!
//! A thin shell over `honeylink-core` and the host library: it passes the
//! operating system's RNG (getrandom's `SysRng`) and clock, moves bytes
//! between sockets and the core's state machines, asks the person, and
//! stores through `honeylink_host::device::Device`. No protocol logic lives
//! here.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
