//! Flood control for "session refused" records.

use super::Event;
use crate::identity::{DeviceId, Fingerprint};
use crate::trust::RefusalReason;

/// Length of a refusal window, in seconds of the caller's clock.
pub const REFUSAL_WINDOW_SECS: u64 = 60;
/// Refusals recorded in full per window and per reason; the rest are
/// counted. Each reason has its own budget and its own part of the table, so
/// a flood of cheap `Untrusted` refusals cannot push a `KeyChanged`,
/// `IdentityMismatch` or `Blocked` refusal into the count.
pub const REFUSAL_BUDGET: u16 = 8;
/// Refusals remembered per window: [`REFUSAL_BUDGET`] for each of the four
/// reasons, each one the (id, key) of a recorded refusal.
pub const REFUSAL_TABLE_SIZE: usize = REASONS * BUDGET;

const REASONS: usize = RefusalReason::ALL.len();
const BUDGET: usize = REFUSAL_BUDGET as usize;

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
/// Within a window of [`REFUSAL_WINDOW_SECS`], the first refusal of each
/// (reason, id, key) is recorded, until that reason has [`REFUSAL_BUDGET`]
/// records in the window; the same (reason, id, key) again, and everything
/// past a reason's budget, is only counted. When the window closes,
/// [`RefusalLimiter::flush`] returns one [`Event::RefusalsSummarized`] with
/// the counts per reason ("N others"), if anything was counted.
///
/// The table is fixed: one part of [`REFUSAL_BUDGET`] entries per reason.
/// A full part evicts nothing: the window's first records of that reason
/// stay, and later refusals of it are counted. A part fills only with its own
/// reason, so no number of cheap `Untrusted` refusals (fresh ids, fresh keys)
/// can evict or suppress the first `KeyChanged`, `IdentityMismatch` or
/// `Blocked` record of a window, nor can a key first seen in an `Untrusted`
/// refusal hide a later refusal of that key under a victim's id. A serious
/// kind can be crowded out only by [`REFUSAL_BUDGET`] refusals of the same
/// kind, which are themselves recorded, so such a flood is never silent.
/// What such a flood can hide is *which* id it targeted: `KeyChanged` and
/// `Blocked` refusals are cheap for anyone who knows a paired or blocked id
/// (ids are sent to any prober), so eight decoy refusals under one id fill
/// that reason's part and a ninth, under the real target's id, is only
/// counted. A host that must name every targeted id keeps the window's
/// refusals itself; the summary says how many were not named.
///
/// So a flood writes at most `4 * REFUSAL_BUDGET` records and one summary
/// per window, whatever reasons, ids and keys it presents. Sans-IO: the
/// caller passes `now` and calls `flush(now)` from its timer or before each
/// `admit`. A clock that goes backwards keeps the current window open until
/// it passes the window's end again (counts are never lost, only summarized
/// later).
#[derive(Clone, Debug)]
pub struct RefusalLimiter {
    window_start: Option<u64>,
    table: [[Option<(DeviceId, Fingerprint)>; BUDGET]; REASONS],
    suppressed: [u32; REASONS],
}

impl RefusalLimiter {
    /// A limiter with no window open.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            window_start: None,
            table: [[None; BUDGET]; REASONS],
            suppressed: [0; REASONS],
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
        let entry = (peer, fingerprint);
        let recorded = self.table.get_mut(reason.index()).and_then(|part| {
            if part.contains(&Some(entry)) {
                return None;
            }
            let slot = part.iter_mut().find(|slot| slot.is_none())?;
            *slot = Some(entry);
            Some(())
        });
        if recorded.is_none() {
            if let Some(count) = self.suppressed.get_mut(reason.index()) {
                *count = count.saturating_add(1);
            }
            return (summary, Admission::Counted);
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
