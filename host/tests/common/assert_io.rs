//! One assertion on system errors, shared by the host's integration tests
//! (`common`) and its unit tests (`home.rs` includes this file), which
//! cannot otherwise share code. The including module provides `Error`.

#![allow(clippy::panic)]

use std::path::Path;

use super::Error;

/// Asserts that `outcome` is the system's error `kind` while doing `op` on
/// `path`.
#[track_caller]
pub(crate) fn assert_io<T: std::fmt::Debug>(
    outcome: Result<T, Error>,
    op: &str,
    path: &Path,
    kind: std::io::ErrorKind,
) {
    match outcome {
        Err(Error::Io {
            op: what,
            path: named,
            source,
        }) => {
            assert_eq!((what, named.as_path()), (op, path));
            assert_eq!(source.kind(), kind, "{source}");
        }
        other => panic!("expected {op} of {} to fail, got {other:?}", path.display()),
    }
}
