//! A sliding anti-replay window in the manner of RFC 6479: a ring of 64-bit
//! blocks, so advancing the window clears whole blocks instead of shifting
//! bits.

/// Number of 64-bit blocks in the ring. One block more than the window needs,
/// so the block holding the highest counter never overlaps the oldest.
const BLOCKS: usize = 17;
const BLOCK_BITS: u64 = 64;

/// Why a counter is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Never seen and inside (or ahead of) the window.
    Fresh,
    /// Seen before.
    Replayed,
    /// Older than the window covers.
    TooOld,
}

/// Which counters have been received: every counter above `highest - SIZE`
/// is tracked exactly; everything older is refused.
///
/// Checking a counter does not modify the window; only committing it,
/// after the record's tag has verified, does.
/// So a forged record never moves the window.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplayWindow {
    bitmap: [u64; BLOCKS],
    highest: u64,
    received_any: bool,
}

impl ReplayWindow {
    /// The number of most recent counters tracked: 1,024.
    pub const SIZE: u64 = (BLOCKS as u64 - 1) * BLOCK_BITS;

    /// An empty window: every counter is fresh.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bitmap: [0; BLOCKS],
            highest: 0,
            received_any: false,
        }
    }

    /// The highest counter committed, if any.
    #[must_use]
    pub const fn highest(&self) -> Option<u64> {
        if self.received_any {
            Some(self.highest)
        } else {
            None
        }
    }

    /// The lowest counter the window still accepts.
    #[must_use]
    pub const fn lowest_acceptable(&self) -> u64 {
        if self.received_any {
            self.highest.saturating_sub(Self::SIZE - 1)
        } else {
            0
        }
    }

    fn locate(counter: u64) -> (usize, u64) {
        let block = (counter / BLOCK_BITS) % BLOCKS as u64;
        // Both values are below 64; the casts cannot truncate.
        (
            usize::try_from(block).unwrap_or(0),
            1u64 << (counter % BLOCK_BITS),
        )
    }

    pub(crate) fn check(&self, counter: u64) -> Verdict {
        if !self.received_any || counter > self.highest {
            return Verdict::Fresh;
        }
        if counter < self.lowest_acceptable() {
            return Verdict::TooOld;
        }
        let (block, bit) = Self::locate(counter);
        match self.bitmap.get(block) {
            Some(bits) if bits & bit == 0 => Verdict::Fresh,
            _ => Verdict::Replayed,
        }
    }

    /// Records `counter` as received. Call only after `check` said `Fresh`
    /// and the record verified.
    pub(crate) fn commit(&mut self, counter: u64) {
        if !self.received_any || counter > self.highest {
            let to = counter / BLOCK_BITS;
            // An empty window's bitmap is all zeros: nothing to clear.
            let from = if self.received_any {
                self.highest / BLOCK_BITS
            } else {
                to
            };
            // Clear the blocks the window moves into (at most the whole
            // ring), so bits from a lap ago do not read as received.
            let steps = to.saturating_sub(from).min(BLOCKS as u64);
            for step in 1..=steps {
                let (block, _) = Self::locate((from + step) * BLOCK_BITS);
                if let Some(bits) = self.bitmap.get_mut(block) {
                    *bits = 0;
                }
            }
            self.highest = counter;
            self.received_any = true;
        }
        let (block, bit) = Self::locate(counter);
        if let Some(bits) = self.bitmap.get_mut(block) {
            *bits |= bit;
        }
    }
}

#[cfg(feature = "hazmat-testing")]
impl ReplayWindow {
    /// Checks `counter` and, if it is fresh, commits it, as a datagram
    /// session does once a record's tag has verified; for model checks of
    /// the window alone. Testing only.
    ///
    /// # Errors
    /// [`crate::Error::Replayed`] or [`crate::Error::TooOld`], with the
    /// window unchanged.
    pub fn hazmat_accept(&mut self, counter: u64) -> Result<(), crate::Error> {
        match self.check(counter) {
            Verdict::Fresh => {
                self.commit(counter);
                Ok(())
            }
            Verdict::Replayed => Err(crate::Error::Replayed),
            Verdict::TooOld => Err(crate::Error::TooOld),
        }
    }

    /// The window's exact state as bytes, for state digests in tests.
    #[must_use]
    pub fn hazmat_bytes(&self) -> [u8; BLOCKS * 8 + 9] {
        let mut out = [0u8; BLOCKS * 8 + 9];
        for (chunk, block) in out.chunks_mut(8).zip(self.bitmap.iter()) {
            chunk.copy_from_slice(&block.to_le_bytes());
        }
        if let Some(tail) = out.get_mut(BLOCKS * 8..) {
            if let Some(highest) = tail.get_mut(..8) {
                highest.copy_from_slice(&self.highest.to_le_bytes());
            }
            if let Some(last) = tail.last_mut() {
                *last = u8::from(self.received_any);
            }
        }
        out
    }
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("highest", &self.highest())
            .field("bitmap", &self.bitmap)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_counter_once_within_the_window() {
        let mut w = ReplayWindow::new();
        for c in [5u64, 3, 9, 4, 1000, 200] {
            assert_eq!(w.check(c), Verdict::Fresh, "{c}");
            w.commit(c);
            assert_eq!(w.check(c), Verdict::Replayed, "{c}");
        }
        assert_eq!(w.check(0), Verdict::Fresh);
        w.commit(5000);
        assert_eq!(w.check(1000), Verdict::TooOld);
        assert_eq!(w.check(5000 - 1023), Verdict::Fresh);
        assert_eq!(w.check(5000 - 1024), Verdict::TooOld);
        // A bit set a full lap ago must not read as received.
        w.commit(5000 + 17 * 64);
        assert_eq!(w.check(5000 + 17 * 64 - 1), Verdict::Fresh);
    }

    /// Against a model (a plain set), over a long pseudo-random walk with
    /// reordering, replays and jumps.
    #[test]
    fn agrees_with_a_set_model() {
        extern crate std;
        use std::collections::BTreeSet;
        let mut w = ReplayWindow::new();
        let mut seen = BTreeSet::new();
        let mut highest: Option<u64> = None;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let base = highest.unwrap_or(0);
            let counter = match x % 10 {
                0 => base + (x >> 8) % 3000,
                1..=6 => base.saturating_sub((x >> 8) % 1100) + (x >> 20) % 4,
                _ => base + 1,
            };
            let expected = match highest {
                Some(h) if counter <= h && counter + ReplayWindow::SIZE <= h => Verdict::TooOld,
                _ if seen.contains(&counter) => Verdict::Replayed,
                _ => Verdict::Fresh,
            };
            assert_eq!(
                w.check(counter),
                expected,
                "counter {counter}, highest {highest:?}"
            );
            if expected == Verdict::Fresh {
                w.commit(counter);
                seen.insert(counter);
                highest = Some(highest.map_or(counter, |h| h.max(counter)));
            }
        }
    }
}
