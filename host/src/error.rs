//! The host's one error type.

use std::fmt;

/// Every way a host command can fail.
#[derive(Debug)]
pub(crate) enum Error {
    /// The core refused something; its error says what.
    Core(honeylink_core::Error),
    /// Writing the output failed.
    Output(std::io::Error),
    /// The system clock reads before 1970.
    Clock,
    /// A step of the demo did not end as the protocol promises.
    Unexpected(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Core(e) => write!(f, "{e}"),
            Self::Output(e) => write!(f, "cannot write output: {e}"),
            Self::Clock => f.write_str("the system clock reads before 1970"),
            Self::Unexpected(what) => write!(f, "unexpected outcome: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Core(e) => Some(e),
            Self::Output(e) => Some(e),
            Self::Clock | Self::Unexpected(_) => None,
        }
    }
}

impl From<honeylink_core::Error> for Error {
    fn from(e: honeylink_core::Error) -> Self {
        Self::Core(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e)
    }
}
