//! One guess per PIN, and a lockout after repeated failures.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Failures that lock PIN pairing out...
pub const LOCKOUT_FAILURES: usize = 3;
/// ...within this many seconds...
pub const LOCKOUT_WINDOW_SECS: u64 = 300;
/// ...for this many seconds.
pub const LOCKOUT_SECS: u64 = 300;

/// Counts PIN pairing failures and locks PIN pairing out after
/// [`LOCKOUT_FAILURES`] of them within [`LOCKOUT_WINDOW_SECS`], for
/// [`LOCKOUT_SECS`].
///
/// Every run counts as a failure from the moment it begins
/// ([`PinGuard::begin`]); only a verified initiator confirmation tag retracts
/// it ([`PinGuard::succeed`]). So timeouts, crashes, and runs an attacker
/// abandons after learning from the responder's tag whether its one guess was
/// right, all count, with no timer or drop hook needed.
///
/// The bound: one guess per shown PIN (a PIN dies with its run), so an
/// attacker's chance is one in a million per PIN, and at most
/// [`LOCKOUT_FAILURES`] guesses per lockout period. The price, stated
/// plainly: anyone in radio range can keep PIN pairing locked by failing
/// runs on purpose. QR and NFC pairing still work then.
///
/// The state survives restarts through [`PinGuard::export`] and
/// [`PinGuard::restore`]: it keeps the remaining lockout and the ages of
/// recent failures, and restarts them at the restoring call's `now`, because
/// a clock since boot starts again from zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinGuard {
    /// Times (caller's clock) of recent failures, oldest first; `None` empty.
    failures: [Option<u64>; LOCKOUT_FAILURES],
    /// Until when PIN pairing is locked, if it is.
    locked_until: Option<u64>,
    /// The time of the run in progress, counted as a failure until it
    /// succeeds.
    in_progress: Option<u64>,
}

/// A proof that a PIN run was admitted by the guard; spent by
/// [`PinGuard::succeed`].
#[derive(Debug, PartialEq, Eq)]
pub struct RunTicket {
    started: u64,
}

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
        }
    }

    /// Seconds of lockout left at `now`, if locked.
    #[must_use]
    pub fn locked_for(&self, now: u64) -> Option<u64> {
        self.locked_until
            .filter(|&until| now < until)
            .map(|until| until - now)
    }

    fn recent_failures(&self, now: u64) -> usize {
        self.failures
            .iter()
            .flatten()
            .filter(|&&t| t.saturating_add(LOCKOUT_WINDOW_SECS) > now)
            .count()
    }

    /// Records a failure of a run begun `at`, learned of at `now`; the
    /// lockout, if this failure triggers it, runs from `now`.
    fn record_failure(&mut self, at: u64, now: u64) {
        self.failures.rotate_left(1);
        if let Some(last) = self.failures.last_mut() {
            *last = Some(at);
        }
        if self.recent_failures(now) >= LOCKOUT_FAILURES {
            self.locked_until = Some(now.saturating_add(LOCKOUT_SECS));
        }
    }

    /// Admits a new PIN run at `now`, counting it as a failure until it
    /// succeeds. A run still in progress is closed as a failure first (one
    /// run at a time).
    ///
    /// # Errors
    /// [`Error::LockedOut`] while locked.
    pub fn begin(&mut self, now: u64) -> Result<RunTicket, Error> {
        if let Some(started) = self.in_progress.take() {
            self.record_failure(started, now);
        }
        if let Some(remaining) = self.locked_for(now) {
            return Err(Error::LockedOut { remaining });
        }
        self.in_progress = Some(now);
        Ok(RunTicket { started: now })
    }

    /// Ends the run as a failure at `now` (a wrong tag, a timeout). Dropping
    /// the ticket has the same effect at the next [`PinGuard::begin`].
    pub fn fail(&mut self, ticket: RunTicket, now: u64) {
        if self.in_progress == Some(ticket.started) {
            self.in_progress = None;
            self.record_failure(ticket.started, now);
        }
    }

    /// Retracts the run's failure: the initiator's confirmation tag verified.
    pub fn succeed(&mut self, ticket: RunTicket) {
        if self.in_progress == Some(ticket.started) {
            self.in_progress = None;
        }
    }

    /// The state to keep across a restart (a run in progress counts as a
    /// failure).
    #[must_use]
    pub fn export(&self, now: u64) -> PinGuardState {
        let mut copy = self.clone();
        if let Some(started) = copy.in_progress.take() {
            copy.record_failure(started, now);
        }
        let mut failure_ages = [None; LOCKOUT_FAILURES];
        for (age, failure) in failure_ages.iter_mut().zip(copy.failures) {
            *age = failure
                .filter(|&t| t.saturating_add(LOCKOUT_WINDOW_SECS) > now)
                .map(|t| now.saturating_sub(t));
        }
        PinGuardState {
            lockout_remaining: copy.locked_for(now).unwrap_or(0),
            failure_ages,
        }
    }

    /// Rebuilds a guard after a restart, restarting the remaining lockout and
    /// the failures' ages at `now` (the restoring clock may have reset).
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
        }
    }
}
