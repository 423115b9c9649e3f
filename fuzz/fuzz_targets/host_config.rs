//! `Config::parse`, the host's reader of `config.toml`.
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - An accepted config has both limits at least 1.
//! - A parsed config re-encodes (`Config::to_toml`, the host's writer) to
//!   text that parses to the same config, and encoding that again gives the
//!   same bytes (the writer's text is canonical).

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/config.toml");
    let config = match Config::parse(path, data) {
        Ok(config) => config,
        Err(e) => return assert_corrupt(&e, path),
    };
    assert!(config.audit_retention_months >= 1 && config.audit_max_bytes >= 1);
    let text = config.to_toml();
    let back = Config::parse(path, text.as_bytes()).expect("the writer's text parses");
    assert_eq!(back, config);
    assert_eq!(back.to_toml(), text);
});
