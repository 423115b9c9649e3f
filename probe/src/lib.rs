//! Test-only measuring tools for `honeylink-core`, kept out of the core
//! because they need `unsafe` (which the core forbids):
//!
//! - [`CountingAlloc`], a global allocator over [`std::alloc::System`] that
//!   counts, per thread, the heap calls made inside [`count_heap`]. A test
//!   installs it with `#[global_allocator]` (a safe attribute) and shows that
//!   a closure allocates nothing.
//! - [`peak_stack`], which runs a closure on a fresh thread whose unused
//!   stack has been painted with a pattern, and reports how deep the closure
//!   wrote: the peak stack it needs, to the word.
//! - [`ScanningAlloc`] and [`last_freed`]: a global allocator that, inside
//!   [`last_freed`], copies each heap block the closure frees as it stood
//!   at `dealloc`, so a test can show that a value's `Drop` wiped its
//!   secret before the memory went back (a `Drop` that forgot to would
//!   leave the secret's bytes in the copy).
//!
//! Never a dependency of anything but tests and measuring programs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Whether this thread is inside `count_heap`, and its counts so far.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that forwards to [`System`] and counts, on the
/// calling thread only, the allocations made inside [`count_heap`].
/// Threads the test harness runs beside the measured one are not counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

fn note(size: usize) {
    // `try_with`: during thread teardown the slots may be gone; the
    // allocation is then simply not counted (nothing is measured then).
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|c| c.set(c.get() + size as u64));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; the counting
// touches only const-initialised thread-locals without destructors, which
// neither allocate nor unwind.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// The largest heap block [`last_freed`] copies.
pub const FREED_MAX: usize = 512;

thread_local! {
    /// Whether this thread is inside `last_freed`, and the last block it
    /// freed there (bytes and length).
    static SCANNING: Cell<bool> = const { Cell::new(false) };
    static FREED: Cell<[u8; FREED_MAX]> = const { Cell::new([0; FREED_MAX]) };
    static FREED_LEN: Cell<Option<usize>> = const { Cell::new(None) };
}

/// A global allocator that forwards to [`System`] and, on the calling
/// thread inside [`last_freed`] only, copies each block of at most
/// [`FREED_MAX`] bytes just before it is freed.
///
/// The copy reads every byte of the block, a value's padding included, and
/// padding holds no defined value: reading it as `u8` is undefined
/// behaviour in Rust's abstract machine, not only something Miri reports.
/// This is accepted knowingly, in a test-only tool, for what it buys (a test
/// that a secret's `Drop` wiped it): the reads are volatile byte loads from
/// memory the allocator owns, which compiled code performs as written, and
/// the core installs this allocator only outside Miri.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanningAlloc;

/// Copies the block at `ptr` into the thread's slot. Out of line, so
/// `dealloc`'s own frame stays small on the common path.
///
/// # Safety
/// `ptr` must point to a live allocation of at least `len` bytes, and
/// `len <= FREED_MAX`.
#[cold]
#[inline(never)]
#[allow(unsafe_code)]
unsafe fn copy_freed(ptr: *const u8, len: usize) {
    let mut copy = [0u8; FREED_MAX];
    for (i, slot) in copy.iter_mut().take(len).enumerate() {
        // SAFETY: `i < len`, inside the live block the caller vouches for.
        // Padding bytes read here have no defined value (see
        // `ScanningAlloc`).
        *slot = unsafe { ptr.add(i).read_volatile() };
    }
    let _ = FREED.try_with(|c| c.set(copy));
    let _ = FREED_LEN.try_with(|c| c.set(Some(len)));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's. Before
// forwarding `dealloc`, the block is still allocated and `layout.size()`
// bytes long, so `copy_freed` reads inside it. The thread-locals are
// const-initialised and have no destructors: on Linux their access neither
// allocates nor fails, even during thread teardown; where thread-locals are
// key-based, a first access may allocate, which cannot recurse (`alloc`
// touches none) and `try_with` keeps every access from panicking.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for ScanningAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let scanning = SCANNING.try_with(Cell::get).unwrap_or(false);
        if scanning && layout.size() <= FREED_MAX {
            // SAFETY: the block is live and `layout.size()` bytes long
            // until it is forwarded below; the size was just checked.
            unsafe { copy_freed(ptr, layout.size()) };
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// A heap block as it stood when it was freed.
#[derive(Clone, Copy)]
pub struct FreedBlock {
    bytes: [u8; FREED_MAX],
    len: usize,
}

impl FreedBlock {
    /// The block's bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }

    /// Whether `needle` occurs anywhere in the block.
    #[must_use]
    pub fn contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && self.bytes().windows(needle.len()).any(|w| w == needle)
    }
}

impl std::fmt::Debug for FreedBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FreedBlock({} bytes)", self.len)
    }
}

/// Runs `f` and returns the last heap block of at most [`FREED_MAX`] bytes
/// it freed on this thread, as it stood at `dealloc`. Sees blocks only if
/// [`ScanningAlloc`] is the global allocator (`None` otherwise), so a test
/// must also check that a block it knows to be freed is seen (a control).
pub fn last_freed<R>(f: impl FnOnce() -> R) -> (R, Option<FreedBlock>) {
    /// Stops the scanning when dropped, so a panicking `f` leaves none on.
    struct StopScanning;
    impl Drop for StopScanning {
        fn drop(&mut self) {
            let _ = SCANNING.try_with(|c| c.set(false));
        }
    }
    FREED_LEN.with(|c| c.set(None));
    SCANNING.with(|c| c.set(true));
    let stop = StopScanning;
    let result = f();
    drop(stop);
    let block = FREED_LEN.with(Cell::get).map(|len| FreedBlock {
        bytes: FREED.with(Cell::get),
        len,
    });
    (result, block)
}

/// Heap use measured by [`count_heap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapUse {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: u64,
    /// Bytes those calls asked for.
    pub bytes: u64,
}

/// Runs `f` and returns what it allocated on this thread. Counts only if
/// [`CountingAlloc`] is the global allocator; otherwise reports zero, so a
/// test must also check that a known allocation is seen (a control).
pub fn count_heap<R>(f: impl FnOnce() -> R) -> (R, HeapUse) {
    ALLOCATIONS.with(|c| c.set(0));
    BYTES.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    let used = HeapUse {
        allocations: ALLOCATIONS.with(Cell::get),
        bytes: BYTES.with(Cell::get),
    };
    (result, used)
}

/// The stack the probe thread gets; [`peak_stack`] measures up to
/// [`PAINTED`] bytes of it.
const PROBE_STACK: usize = 4 << 20;
/// Bytes painted below the probe's frame.
pub const PAINTED: usize = 2 << 20;
/// Bytes left unpainted between the probe's frame and the painted area, so
/// the painting function's own small frame (and the 128-byte red zone below
/// it on x86-64) is never painted.
const GAP: usize = 256;
/// The paint: 0x5a in every byte of a word, whatever the word's width.
const PATTERN: usize = usize::from_ne_bytes([0x5a; size_of::<usize>()]);

/// The address of a local of a non-inlined function: just below its
/// caller's stack pointer.
#[inline(never)]
fn stack_marker() -> usize {
    let local = 0u8;
    std::hint::black_box(&local) as *const u8 as usize
}

/// Paints `[from - len, from)` with the pattern, word by word.
#[inline(never)]
#[allow(unsafe_code)]
fn paint(from: usize, len: usize) {
    let words = len / size_of::<usize>();
    let bottom = from - words * size_of::<usize>();
    for i in 0..words {
        let at = (bottom + i * size_of::<usize>()) as *mut usize;
        // SAFETY: the range lies inside this thread's stack mapping (the
        // thread has `PROBE_STACK` bytes and the range is `GAP + PAINTED`
        // below a frame near its top), below every live frame, and nothing
        // else reads it before `f` runs.
        unsafe { at.write_volatile(PATTERN) };
    }
}

/// The lowest address in `[from - len, from)` whose word is not the
/// pattern any more (`from` if none is).
#[inline(never)]
#[allow(unsafe_code)]
fn lowest_written(from: usize, len: usize) -> usize {
    let words = len / size_of::<usize>();
    let bottom = from - words * size_of::<usize>();
    for i in 0..words {
        let at = bottom + i * size_of::<usize>();
        // SAFETY: the same range `paint` wrote, still inside the stack
        // mapping; `f`'s frames are gone, so nothing else uses it now.
        if unsafe { (at as *const usize).read_volatile() } != PATTERN {
            return at;
        }
    }
    from
}

/// Runs `f` on a fresh thread and returns its result and the peak stack it
/// used, in bytes, measured from the probe's frame (the call itself adds a
/// few words). A call that stays within the first 256 bytes reads as 256.
/// `None` if `f` went deeper than [`PAINTED`] bytes or the thread could not
/// start.
///
/// The estimate is a lower bound only in one rare case: a word that `f`
/// wrote with exactly the pattern's value at the very bottom of its deepest
/// frame.
pub fn peak_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Option<(R, usize)> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(PROBE_STACK)
            .spawn_scoped(scope, move || {
                // Word-aligned, so the painting writes whole aligned words.
                let top = (stack_marker() - GAP) & !(size_of::<usize>() - 1);
                paint(top, PAINTED);
                let result = std::hint::black_box(f());
                let low = lowest_written(top, PAINTED);
                let bottom = top - PAINTED;
                (low > bottom).then_some((result, top + GAP - low))
            })
            .ok()?;
        handle.join().ok().flatten()
    })
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    /// A frame of known size measures at that size, give or take the
    /// call's own few words.
    #[test]
    fn a_known_frame_measures_its_size() {
        #[inline(never)]
        fn uses(n: usize) -> u8 {
            let mut local = [0u8; 8192];
            for (i, b) in local.iter_mut().enumerate().take(n) {
                *b = i as u8 | 1;
            }
            std::hint::black_box(&mut local);
            local.iter().fold(0, |a, b| a ^ b)
        }
        let (_, used) = peak_stack(|| uses(8192)).unwrap_or_default();
        // The call's own frames add a few hundred bytes at most (more in
        // an unoptimised build).
        assert!((8192..8192 + 1024).contains(&used), "measured {used}");
        // A call that uses almost nothing reads as (about) the unpainted gap.
        let (_, empty) = peak_stack(|| ()).unwrap_or_default();
        assert!((GAP..1024).contains(&empty), "measured {empty}");
    }

    #[test]
    fn counts_allocations_on_this_thread_only_inside_count_heap() {
        // Without the global allocator installed nothing is counted.
        let (_, used) = count_heap(|| std::hint::black_box(vec![0u8; 10]));
        assert_eq!(used.allocations, 0);
    }
}
