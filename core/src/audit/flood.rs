//! Flood control for "session refused" records.

use super::Event;
use crate::identity::{DeviceId, Fingerprint};
use crate::trust::RefusalReason;

/// Length of a refusal window, in seconds of the caller's clock.
pub const REFUSAL_WINDOW_SECS: u64 = 60;
/// Refusals recorded in full per window; the rest are counted.
pub const REFUSAL_BUDGET: u16 = 16;
/// Keys remembered per window, so a peer refused again and again within a
/// window is recorded once and counted after.
pub const REFUSAL_TABLE_SIZE: usize = 8;

/// What to do with one refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Write this record.
    Record(Event),
    /// Counted; it will be part of the window's summary.
    Counted,
}

/// Bounds the audit records that refused sessions can cause.
///
/// Within a window of [`REFUSAL_WINDOW_SECS`], the first refusal of each key
/// is recorded, up to [`REFUSAL_BUDGET`] records; a key already in the
/// window's table of [`REFUSAL_TABLE_SIZE`] entries, and everything beyond the
/// budget, is only counted. When the window closes, [`RefusalLimiter::flush`]
/// returns one [`Event::RefusalsSummarized`] with the counts ("N others"), if
/// anything was counted. So a flood writes at most `REFUSAL_BUDGET + 1`
/// records per window, whatever ids and keys it presents. Sans-IO: the caller
/// passes `now` and calls `flush(now)` from its timer or before each
/// `admit`.
#[derive(Clone, Debug)]
pub struct RefusalLimiter {
    window_start: Option<u64>,
    recorded: u16,
    table: [Option<Fingerprint>; REFUSAL_TABLE_SIZE],
    suppressed: [u32; 4],
}

impl RefusalLimiter {
    /// A limiter with no window open.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            window_start: None,
            recorded: 0,
            table: [None; REFUSAL_TABLE_SIZE],
            suppressed: [0; 4],
        }
    }

    /// Closes the window if it has ended by `now`; returns its summary if
    /// anything was counted. Call it before [`RefusalLimiter::admit`] and from
    /// a timer.
    pub fn flush(&mut self, now: u64) -> Option<Event> {
        let start = self.window_start?;
        if now < start.saturating_add(REFUSAL_WINDOW_SECS) {
            return None;
        }
        let suppressed = self.suppressed;
        *self = Self::new();
        suppressed
            .iter()
            .any(|&n| n > 0)
            .then_some(Event::RefusalsSummarized {
                window_start: start,
                suppressed,
            })
    }

    /// Decides whether a refusal is recorded or counted. An ended window that
    /// was not flushed is closed first and its summary returned beside the
    /// decision, so no count is lost.
    pub fn admit(
        &mut self,
        now: u64,
        reason: RefusalReason,
        peer: DeviceId,
        fingerprint: Fingerprint,
    ) -> (Option<Event>, Admission) {
        let summary = self.flush(now);
        if self.window_start.is_none() {
            self.window_start = Some(now);
        }
        let known = self.table.iter().flatten().any(|seen| *seen == fingerprint);
        if known || self.recorded >= REFUSAL_BUDGET {
            if let Some(count) = self.suppressed.get_mut(reason.index()) {
                *count = count.saturating_add(1);
            }
            return (summary, Admission::Counted);
        }
        if let Some(slot) = self.table.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(fingerprint);
        }
        self.recorded += 1;
        (
            summary,
            Admission::Record(Event::SessionRefused {
                reason,
                peer,
                fingerprint,
            }),
        )
    }
}

impl Default for RefusalLimiter {
    fn default() -> Self {
        Self::new()
    }
}
