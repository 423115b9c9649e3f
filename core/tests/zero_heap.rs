//! The core allocates nothing: a counting global allocator (from the
//! test-only `honeylink-probe` crate, since `GlobalAlloc` is an `unsafe impl`
//! and this workspace forbids unsafe code) watches every call of every role
//! of a session handshake, transport records in both modes, QR pairing, PIN
//! pairing, and audit signing and verification. A control allocation proves
//! the counter is live, so the test can fail.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod flows;

use flows::{Devices, Meter, Side};
use honeylink_core::testing::SeededRng;
use honeylink_probe::{CountingAlloc, count_heap};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Fails on the first call that touches the heap, naming it.
struct NoHeap {
    calls: usize,
}

impl Meter for NoHeap {
    fn step<R: Send>(&mut self, flow: &'static str, side: Side, f: impl FnOnce() -> R + Send) -> R {
        let (result, used) = count_heap(f);
        self.calls += 1;
        assert_eq!(
            used.allocations, 0,
            "{flow}, {side:?}, call {}: {} allocation(s), {} bytes",
            self.calls, used.allocations, used.bytes
        );
        result
    }
}

#[test]
fn the_counter_sees_an_allocation() {
    let (_, used) = count_heap(|| std::hint::black_box(vec![1u8; 100]));
    assert_eq!(used.allocations, 1);
    assert_eq!(used.bytes, 100);
}

#[test]
fn the_core_allocates_nothing() {
    let d = Devices::new(0x33);
    let (mut ra, mut rb) = (SeededRng::new([1; 32]), SeededRng::new([2; 32]));
    let mut meter = NoHeap { calls: 0 };
    // Identity generation too: what a device does once.
    count_heap(|| {
        let mut rng = SeededRng::new([9; 32]);
        honeylink_core::identity::DeviceIdentity::generate(&mut rng).unwrap()
    })
    .1
    .allocations
    .eq(&0)
    .then_some(())
    .expect("identity generation allocated");
    flows::session_handshake(&mut meter, &d, &mut ra, &mut rb);
    flows::transport(&mut meter, &d, &mut ra, &mut rb);
    flows::qr_pairing(&mut meter, &d, &mut ra, &mut rb);
    flows::pin_pairing(&mut meter, &d, &mut ra, &mut rb);
    flows::audit(&mut meter, &d);
    assert!(meter.calls > 50, "every flow ran ({} calls)", meter.calls);
}
