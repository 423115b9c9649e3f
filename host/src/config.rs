//! `config.toml`: the user's settings.
//!
//! ```toml
//! storage = "auto"              # "auto" (default), "keychain" or "file"
//! audit_retention_months = 13   # audit records older than this are pruned
//! audit_max_bytes = 500000000   # the audit log is kept under this size
//! ```
//!
//! Every key is optional; a missing file means every default. Unknown keys,
//! wrong types, a file that is not UTF-8 or larger than [`MAX_CONFIG_LEN`]
//! are refused ([`Error::Corrupt`], [`Error::TooLarge`], naming the file)
//! and the file is left as it is. Others may read the file but not write it.

use std::path::Path;

use serde::Deserialize;

use crate::Error;
use crate::home::Home;

/// Largest `config.toml` read.
pub const MAX_CONFIG_LEN: u64 = 64 * 1024;

/// Default audit retention: 13 months.
pub const DEFAULT_AUDIT_RETENTION_MONTHS: u32 = 13;
/// Default audit log size limit: 500 MB (decimal).
pub const DEFAULT_AUDIT_MAX_BYTES: u64 = 500_000_000;

/// Where the device's secret keys are kept (spec 5.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageMode {
    /// The OS keychain when one is usable, else key files (with a notice).
    #[default]
    Auto,
    /// The OS keychain only; an error when none is usable.
    Keychain,
    /// Key files only; the keychain is never touched.
    File,
}

/// The settings in `config.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where secret keys are kept.
    pub storage: StorageMode,
    /// Months audit records are kept (at least 1).
    pub audit_retention_months: u32,
    /// Largest size of the audit log in bytes (at least 1).
    pub audit_max_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            storage: StorageMode::Auto,
            audit_retention_months: DEFAULT_AUDIT_RETENTION_MONTHS,
            audit_max_bytes: DEFAULT_AUDIT_MAX_BYTES,
        }
    }
}

impl Config {
    /// Reads `config.toml` from `home`: the defaults when it does not exist.
    pub fn load(home: &Home) -> Result<Self, Error> {
        let path = home.config_path();
        match home.read_public_if_exists(&path, MAX_CONFIG_LEN)? {
            None => Ok(Self::default()),
            Some(bytes) => Self::parse(&path, &bytes),
        }
    }

    /// Parses the contents of the file at `path` strictly: the byte-level
    /// reader [`Config::load`] uses.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` for bytes that are not UTF-8, not
    /// TOML, hold an unknown key or a value of the wrong type or range.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::corrupt(path, "not UTF-8 text"))?;
        let config: Self =
            toml::from_str(text).map_err(|e| Error::corrupt(path, e.message().to_owned()))?;
        if config.audit_retention_months == 0 {
            return Err(Error::corrupt(
                path,
                "audit_retention_months must be at least 1",
            ));
        }
        if config.audit_max_bytes == 0 {
            return Err(Error::corrupt(path, "audit_max_bytes must be at least 1"));
        }
        Ok(config)
    }

    /// The settings as `config.toml` text, every key written: what
    /// [`Config::parse`] reads back as these settings. One text per value.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let storage = match self.storage {
            StorageMode::Auto => "auto",
            StorageMode::Keychain => "keychain",
            StorageMode::File => "file",
        };
        format!(
            "storage = \"{storage}\"\naudit_retention_months = {}\naudit_max_bytes = {}\n",
            self.audit_retention_months, self.audit_max_bytes
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        (dir, home)
    }

    #[test]
    fn the_written_text_reads_back() {
        let path = Path::new("config.toml");
        for config in [
            Config::default(),
            Config {
                storage: StorageMode::File,
                audit_retention_months: 1,
                audit_max_bytes: u64::MAX,
            },
            Config {
                storage: StorageMode::Keychain,
                audit_retention_months: u32::MAX,
                audit_max_bytes: 1,
            },
        ] {
            assert_eq!(
                Config::parse(path, config.to_toml().as_bytes()).unwrap(),
                config
            );
        }
    }

    #[test]
    fn missing_file_is_defaults() {
        let (_dir, home) = home();
        let config = Config::load(&home).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.storage, StorageMode::Auto);
        assert_eq!(config.audit_retention_months, 13);
        assert_eq!(config.audit_max_bytes, 500_000_000);
    }

    #[test]
    fn reads_every_setting_and_world_readable_file() {
        let (_dir, home) = home();
        let path = home.config_path();
        fs::write(
            &path,
            "storage = \"file\"\naudit_retention_months = 6\naudit_max_bytes = 1000\n",
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let config = Config::load(&home).unwrap();
        assert_eq!(config.storage, StorageMode::File);
        assert_eq!(config.audit_retention_months, 6);
        assert_eq!(config.audit_max_bytes, 1000);
        fs::write(&path, "storage = \"keychain\"\n").unwrap();
        let config = Config::load(&home).unwrap();
        assert_eq!(config.storage, StorageMode::Keychain);
        assert_eq!(config.audit_retention_months, 13);
    }

    #[test]
    fn a_file_of_exactly_the_size_limit_is_read() {
        // 64 KiB, the documented limit: comments padding one setting.
        assert_eq!(MAX_CONFIG_LEN, 65_536);
        let (_dir, home) = home();
        let setting = b"storage = \"file\"\n";
        let mut text = vec![b'#'; usize::try_from(MAX_CONFIG_LEN).unwrap() - setting.len() - 1];
        text.push(b'\n');
        text.extend_from_slice(setting);
        assert_eq!(text.len() as u64, MAX_CONFIG_LEN);
        home.write_private(&home.config_path(), &text).unwrap();
        assert_eq!(Config::load(&home).unwrap().storage, StorageMode::File);
    }

    #[test]
    fn refuses_bad_files_and_leaves_them() {
        let (_dir, home) = home();
        let path = home.config_path();
        for bad in [
            &b"storage = \"cloud\"\n"[..],
            b"stroage = \"file\"\n",
            b"storage = 1\n",
            b"audit_retention_months = 0\n",
            b"audit_max_bytes = -5\n",
            b"storage = \"file\n",
            b"\xff\xfe",
        ] {
            fs::write(&path, bad).unwrap();
            let err = Config::load(&home).unwrap_err();
            assert!(
                matches!(&err, Error::Corrupt { path: p, .. } if *p == path),
                "{err}"
            );
            assert!(err.to_string().contains("config.toml"), "{err}");
            assert_eq!(fs::read(&path).unwrap(), bad);
        }
        let big = vec![b'#'; usize::try_from(MAX_CONFIG_LEN).unwrap() + 1];
        fs::write(&path, &big).unwrap();
        assert!(matches!(Config::load(&home), Err(Error::TooLarge { .. })));
        assert_eq!(fs::read(&path).unwrap(), big);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        fs::write(&path, "").unwrap();
        assert!(matches!(Config::load(&home), Err(Error::TooOpen { .. })));
    }
}
