//! # honeylink-kani
//!
//! Proof harnesses for `honeylink-core`, written once and run two ways:
//!
//! - upstream, under [Kani](https://github.com/model-checking/kani)
//!   (`cargo kani`, with `cfg(kani)` set), each harness is a
//!   `#[kani::proof]` over every value of its inputs;
//! - here, under `cargo test`, each harness is an ordinary `#[test]` whose
//!   body runs many times through [`shim`], a stand-in for `kani::any()` and
//!   `kani::assume()` that draws from a deterministic generator.
//!
//! The harnesses state: the constant-time comparisons agree with `==`;
//! every decoder of untrusted bytes is total and re-encodes what it
//! accepts; the replay window matches a plain model; nonces never repeat or
//! wrap; stream rekeying stays in step; the handshake refuses calls out of
//! turn; text forms catch single-character changes; PIN draws have no
//! modulo bias; the trust decision keeps its precedence; and the audit
//! verifier yields nothing after a rejection. `README.md` lists each with its
//! bounds and how it ran here, and says why Kani itself does not run on the
//! development machines: here these are tests through the shim, not proofs.

#[cfg(not(kani))]
pub mod shim;

#[cfg(any(kani, test))]
mod proofs;

#[cfg(test)]
mod tests {
    /// The lint tables in this crate's manifest, less its `unexpected_cfgs`
    /// line, are the workspace's (Cargo cannot inherit them and add one).
    #[test]
    fn lints_match_the_workspace() {
        const ROOT: &str = include_str!("../../Cargo.toml");
        const CRATE: &str = include_str!("../Cargo.toml");
        for tool in ["rust", "clippy"] {
            let mut inherited = entries(ROOT, &format!("[workspace.lints.{tool}]"));
            let mut copied: Vec<_> = entries(CRATE, &format!("[lints.{tool}]"))
                .into_iter()
                .filter(|line| !line.starts_with("unexpected_cfgs"))
                .collect();
            inherited.sort_unstable();
            copied.sort_unstable();
            assert!(!inherited.is_empty(), "no [workspace.lints.{tool}] found");
            assert_eq!(
                copied, inherited,
                "kani/Cargo.toml [lints.{tool}] has drifted from the workspace's"
            );
        }
    }

    /// The non-empty, non-comment lines of one manifest table.
    fn entries<'a>(manifest: &'a str, header: &str) -> Vec<&'a str> {
        manifest
            .lines()
            .skip_while(|line| line.trim() != header)
            .skip(1)
            .take_while(|line| !line.trim_start().starts_with('['))
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    }
}
