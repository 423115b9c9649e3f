//! The system clock, read the way the core wants time: whole seconds since
//! the Unix epoch, passed in by the caller.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// Seconds since 1970-01-01T00:00:00Z by the system clock.
///
/// Refuses a clock that reads before 1970 ([`Error::Clock`]) instead of
/// pretending it is 1970.
pub fn unix_now() -> Result<u64, Error> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::Clock)
}
