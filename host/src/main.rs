//! `honeylink`: placeholder until the host's CLI lands.
fn main() {}
