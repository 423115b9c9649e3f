//! Flood control for "session refused" records.

use super::Event;
use crate::identity::{DeviceId, Fingerprint};
use crate::trust::RefusalReason;

/// Length of a refusal window, in seconds of the caller's clock.
pub const REFUSAL_WINDOW_SECS: u64 = 60;
/// Refusals recorded in full per window and per reason; the rest are
/// counted. A budget per reason means a flood of cheap `Untrusted` refusals
/// cannot push a `KeyChanged` or `IdentityMismatch` refusal into the count.
pub const REFUSAL_BUDGET: u16 = 8;
/// Keys remembered per window (enough for every recorded refusal), so a peer
/// refused again and again within a window is recorded once and counted
/// after.
pub const REFUSAL_TABLE_SIZE: usize = 4 * REFUSAL_BUDGET as usize;

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
/// is recorded, up to [`REFUSAL_BUDGET`] records per reason; a key already in
/// the window's table, and everything beyond the budget, is only counted.
/// When the window closes, [`RefusalLimiter::flush`] returns one
/// [`Event::RefusalsSummarized`] with the counts ("N others"), if anything
/// was counted. So a flood writes at most `4 * REFUSAL_BUDGET + 1` records
/// per window, whatever ids and keys it presents. Sans-IO: the caller passes
/// `now` and calls `flush(now)` from its timer or before each `admit`. A
/// clock that goes backwards keeps the current window open until it passes
/// the window's end again (counts are never lost, only summarized later).
#[derive(Clone, Debug)]
pub struct RefusalLimiter {
    window_start: Option<u64>,
    recorded: [u16; 4],
    table: [Option<Fingerprint>; REFUSAL_TABLE_SIZE],
    suppressed: [u32; 4],
}

impl RefusalLimiter {
    /// A limiter with no window open.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            window_start: None,
            recorded: [0; 4],
            table: [None; REFUSAL_TABLE_SIZE],
            suppressed: [0; 4],
        }
    }

    /// Closes the window if it has ended by `now`; returns its summary if
    /// anything was counted. Call it before [`RefusalLimiter::admit`] and from
    /// a timer.
    #[must_use = "a summary that is not written loses its counts"]
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
    #[must_use = "the summary of a closed window, and the record to write, must be written"]
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
        let recorded = self
            .recorded
            .get(reason.index())
            .copied()
            .unwrap_or(REFUSAL_BUDGET);
        if known || recorded >= REFUSAL_BUDGET {
            if let Some(count) = self.suppressed.get_mut(reason.index()) {
                *count = count.saturating_add(1);
            }
            return (summary, Admission::Counted);
        }
        if let Some(slot) = self.table.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(fingerprint);
        }
        if let Some(count) = self.recorded.get_mut(reason.index()) {
            *count += 1;
        }
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
