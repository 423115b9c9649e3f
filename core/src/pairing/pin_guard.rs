//! One guess per PIN, and a lockout after repeated failures.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Failures that lock PIN pairing out...
pub const LOCKOUT_FAILURES: usize = 3;
/// ...within this many seconds...
pub const LOCKOUT_WINDOW_SECS: u64 = 300;
/// ...for this many seconds.
pub const LOCKOUT_SECS: u64 = 300;

/// Counts PIN pairing failures on the device that shows PINs, and locks PIN
/// pairing out after [`LOCKOUT_FAILURES`] of them within
/// [`LOCKOUT_WINDOW_SECS`], for [`LOCKOUT_SECS`].
///
/// A run is admitted ([`PinGuard::begin`]) when the responder is about to
/// release its confirmation tag, the first answer that lets the peer test a
/// PIN guess, and counts as a failure from then on; only a verified
/// initiator confirmation tag retracts it ([`PinGuard::succeed`]). So
/// timeouts between the responder's tag and the initiator's, and runs an
/// attacker abandons after learning from the responder's tag whether its one
/// guess was right, all count, with no timer or drop hook needed; malformed
/// messages and runs that end before the tag cost nothing (no guess could be
/// tested), and nothing after the initiator's tag verified counts (the PIN
/// was proven). A run in progress counts in [`PinGuard::export`] too; **the
/// host must persist the exported state before it sends the responder's
/// share and tag** (the first message after `begin`;
/// [`super::PinResponder::guard_state`] exports it while the responder holds
/// the guard), so a crash or a forced reboot cannot erase a guess.
///
/// The bound: one guess per shown PIN (a PIN dies with its run), so an
/// attacker's chance is one in a million per PIN, and at most
/// [`LOCKOUT_FAILURES`] guesses per lockout period. The same holds on the
/// typing side only if its user types each PIN once: after a failed run the
/// initiator reports [`Error::CpaceConfirmationFailed`], and the user must
/// be asked to show a new PIN, never to retype the old one (an attacker
/// posing as the responder gets one guess per typed attempt). The price,
/// stated plainly: anyone in radio range can keep PIN pairing locked by
/// failing runs on purpose. QR and NFC pairing still work then.
///
/// The state survives restarts through [`PinGuard::export`] and
/// [`PinGuard::restore`]: it keeps the remaining lockout and the ages of
/// recent failures, and restarts them at the restoring call's `now`, because
/// a clock since boot starts again from zero. Not `Clone`: a copy would
/// count separately.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PinGuard {
    /// Times (caller's clock) of recent failures, oldest first; `None` empty.
    failures: [Option<u64>; LOCKOUT_FAILURES],
    /// Until when PIN pairing is locked, if it is.
    locked_until: Option<u64>,
    /// The run in progress, counted as a failure until it succeeds.
    in_progress: Option<RunTicketInner>,
    /// Numbers the runs, so a ticket names exactly one.
    next_run: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunTicketInner {
    run: u64,
    started: u64,
}

/// A proof that a PIN run was admitted by the guard; spent by
/// [`PinGuard::succeed`] or [`PinGuard::fail`].
#[derive(Debug, PartialEq, Eq)]
pub struct RunTicket(RunTicketInner);

/// What [`PinGuard::export`] keeps across a restart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinGuardState {
    /// Seconds of lockout left when exported.
    pub lockout_remaining: u64,
    /// Ages in seconds, at export, of the failures still inside the window.
    pub failure_ages: [Option<u64>; LOCKOUT_FAILURES],
}

impl PinGuard {
    /// A guard with no failures.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            failures: [None; LOCKOUT_FAILURES],
            locked_until: None,
            in_progress: None,
            next_run: 0,
        }
    }

    /// Seconds of lockout left at `now`, if locked (never more than
    /// [`LOCKOUT_SECS`], whatever the clock did).
    #[must_use]
    pub fn locked_for(&self, now: u64) -> Option<u64> {
        self.locked_until
            .filter(|&until| now < until)
            .map(|until| (until - now).min(LOCKOUT_SECS))
    }

    /// Whether a new run at `now` would be refused, counting the run in
    /// progress (if any) as the failure it becomes when the next run begins.
    #[must_use]
    pub fn would_refuse(&self, now: u64) -> Option<u64> {
        if let Some(remaining) = self.locked_for(now) {
            return Some(remaining);
        }
        let pending = usize::from(self.in_progress.is_some());
        (self.recent_failures(now) + pending >= LOCKOUT_FAILURES).then_some(LOCKOUT_SECS)
    }

    /// Failures inside the window at `now`; a failure stamped after `now`
    /// (a clock that went back) counts as happening now.
    fn recent_failures(&self, now: u64) -> usize {
        self.failures
            .iter()
            .flatten()
            .filter(|&&t| t.min(now).saturating_add(LOCKOUT_WINDOW_SECS) > now)
            .count()
    }

    /// Records a failure of a run begun `at`, learned of at `now`; the
    /// lockout, if this failure triggers it, runs from `now`.
    fn record_failure(&mut self, at: u64, now: u64) {
        self.failures.rotate_left(1);
        if let Some(last) = self.failures.last_mut() {
            *last = Some(at.min(now));
        }
        if self.recent_failures(now) >= LOCKOUT_FAILURES {
            self.locked_until = Some(now.saturating_add(LOCKOUT_SECS));
        }
    }

    /// Admits a new PIN run at `now`, counting it as a failure until it
    /// succeeds. A run still in progress is closed as a failure first (one
    /// run at a time). Persist [`PinGuard::export`] before answering.
    ///
    /// # Errors
    /// [`Error::LockedOut`] while locked.
    pub fn begin(&mut self, now: u64) -> Result<RunTicket, Error> {
        if let Some(run) = self.in_progress.take() {
            self.record_failure(run.started, now);
        }
        if let Some(remaining) = self.locked_for(now) {
            return Err(Error::LockedOut { remaining });
        }
        let run = RunTicketInner {
            run: self.next_run,
            started: now,
        };
        self.next_run = self.next_run.wrapping_add(1);
        self.in_progress = Some(run);
        Ok(RunTicket(run))
    }

    /// Ends the run as a failure at `now` (a wrong tag, a timeout). Dropping
    /// the ticket has the same effect at the next [`PinGuard::begin`].
    pub fn fail(&mut self, ticket: RunTicket, now: u64) {
        if self.in_progress == Some(ticket.0) {
            self.in_progress = None;
            self.record_failure(ticket.0.started, now);
        }
    }

    /// Retracts the run's failure: the initiator's confirmation tag verified.
    pub fn succeed(&mut self, ticket: RunTicket) {
        if self.in_progress == Some(ticket.0) {
            self.in_progress = None;
        }
    }

    /// The state to keep across a restart; a run in progress counts as a
    /// failure.
    #[must_use]
    pub fn export(&self, now: u64) -> PinGuardState {
        let mut counted = Self {
            failures: self.failures,
            locked_until: self.locked_until,
            in_progress: None,
            next_run: 0,
        };
        if let Some(run) = self.in_progress {
            counted.record_failure(run.started, now);
        }
        let mut failure_ages = [None; LOCKOUT_FAILURES];
        for (age, failure) in failure_ages.iter_mut().zip(counted.failures) {
            *age = failure
                .map(|t| t.min(now))
                .filter(|&t| t.saturating_add(LOCKOUT_WINDOW_SECS) > now)
                .map(|t| now - t);
        }
        PinGuardState {
            lockout_remaining: counted.locked_for(now).unwrap_or(0),
            failure_ages,
        }
    }

    /// Rebuilds a guard after a restart, restarting the remaining lockout and
    /// the failures' ages at `now` (the restoring clock may have reset). A
    /// failure older than `now` itself is placed at 0, so it counts at least
    /// as long as it should (never less).
    #[must_use]
    pub fn restore(state: &PinGuardState, now: u64) -> Self {
        let mut failures = [None; LOCKOUT_FAILURES];
        for (failure, age) in failures.iter_mut().zip(state.failure_ages) {
            *failure = age.map(|age| now.saturating_sub(age.min(LOCKOUT_WINDOW_SECS)));
        }
        Self {
            failures,
            locked_until: (state.lockout_remaining > 0)
                .then(|| now.saturating_add(state.lockout_remaining.min(LOCKOUT_SECS))),
            in_progress: None,
            next_run: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 10_000;

    /// A guard with `n` failures, each at `at`.
    fn failed(n: usize, at: u64) -> PinGuard {
        let mut guard = PinGuard::new();
        for _ in 0..n {
            let ticket = guard.begin(at).unwrap_or_else(|_| unreachable!());
            guard.fail(ticket, at);
        }
        guard
    }

    #[test]
    fn the_lockout_counts_down_to_the_second() {
        let guard = failed(LOCKOUT_FAILURES, T);
        assert_eq!(guard.locked_for(T), Some(LOCKOUT_SECS));
        assert_eq!(guard.locked_for(T + 100), Some(LOCKOUT_SECS - 100));
        assert_eq!(guard.locked_for(T + LOCKOUT_SECS - 1), Some(1));
        assert_eq!(guard.locked_for(T + LOCKOUT_SECS), None);
        assert_eq!(guard.export(T + 120).lockout_remaining, LOCKOUT_SECS - 120);
    }

    /// A failure counts for exactly `LOCKOUT_WINDOW_SECS`: up to the last
    /// second before the window's end, not at it.
    #[test]
    fn a_failure_leaves_the_window_exactly_at_its_end() {
        let edge = T + LOCKOUT_WINDOW_SECS;
        let guard = failed(LOCKOUT_FAILURES - 1, T);
        assert_eq!(guard.would_refuse(edge - 1), None);
        assert_eq!(guard.recent_failures(edge - 1), LOCKOUT_FAILURES - 1);
        assert_eq!(guard.recent_failures(edge), 0);
        let ages = guard.export(edge - 1).failure_ages;
        assert_eq!(ages.iter().flatten().count(), LOCKOUT_FAILURES - 1);
        assert!(
            ages.iter()
                .flatten()
                .all(|&age| age == LOCKOUT_WINDOW_SECS - 1)
        );
        assert_eq!(guard.export(edge).failure_ages, [None; LOCKOUT_FAILURES]);
        // A third failure one second before the edge locks; at the edge,
        // the first two have left the window and it does not.
        let mut inside = failed(LOCKOUT_FAILURES - 1, T);
        let ticket = inside.begin(edge - 1).unwrap_or_else(|_| unreachable!());
        inside.fail(ticket, edge - 1);
        assert_eq!(inside.locked_for(edge - 1), Some(LOCKOUT_SECS));
        let mut outside = failed(LOCKOUT_FAILURES - 1, T);
        let ticket = outside.begin(edge).unwrap_or_else(|_| unreachable!());
        outside.fail(ticket, edge);
        assert_eq!(outside.locked_for(edge), None);
    }

    /// A restored guard with no lockout left is not locked, whatever the
    /// clock does after (a clock set back must not conjure a lockout).
    #[test]
    fn restoring_no_lockout_locks_nothing() {
        let restored = PinGuard::restore(&PinGuardState::default(), T);
        assert_eq!(restored, PinGuard::new());
        assert_eq!(restored.locked_for(T - 1), None);
        let restored = PinGuard::restore(
            &PinGuardState {
                lockout_remaining: 1,
                failure_ages: [None; LOCKOUT_FAILURES],
            },
            T,
        );
        assert_eq!(restored.locked_for(T), Some(1));
        assert_eq!(restored.locked_for(T + 1), None);
    }
}
