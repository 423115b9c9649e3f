//! Drivers: each plays both honest parties of one exchange through a
//! [`crate::tamper::Transcript`] and reports what happened, for the targets
//! to check. Each input type can be written as seed bytes
//! ([`crate::seed::Encode`]).

pub mod calls;
pub mod chain;
pub mod image;
pub mod noise;
pub mod pin;
pub mod pin_calls;
pub mod proximity;
pub mod proximity_calls;
pub mod session;
pub mod session_calls;
pub mod transport;
