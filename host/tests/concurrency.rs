//! Four processes at once, each adding 50 peers and 50 audit lines: all
//! 200 and 200 are there and the chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{id, key, signer};
use honeylink_core::audit::{Anchor, Event};
use honeylink_core::identity::{DeviceName, Fingerprint};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_host::audit_log::{AuditLog, FileHeadStore};
use honeylink_host::home::Home;
use honeylink_host::peers::TrustedPeers;

const CHILD_ENV: &str = "HONEYLINK_TEST_CHILD";
const PROCESSES: u32 = 4;
const EACH: u32 = 50;

/// The child's work, run only when re-executed with the variable set.
#[test]
fn child_worker() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (root, index) = spec.rsplit_once(':').unwrap();
    let index: u32 = index.parse().unwrap();
    let home = Home::open(root).unwrap();
    let mut log = AuditLog::new(&home, FileHeadStore::new(&home));
    for i in 0..EACH {
        let n = index * 1000 + i;
        let record = PendingPeer::hazmat_new(
            id(n),
            DeviceName::new(&format!("p{n}")).unwrap(),
            key(n),
            PairingMethod::Qr,
        )
        .confirm(1_767_225_600);
        TrustedPeers::update(&home, |p| p.add(record)).unwrap();
        log.append(
            &signer(1),
            1_767_225_600,
            Event::Paired {
                method: PairingMethod::Qr,
                peer: id(n),
                fingerprint: Fingerprint::of(&key(n)),
            },
        )
        .unwrap();
    }
}

#[test]
fn four_processes_add_peers_and_lines_at_once() {
    let (_dir, home) = common::home();
    let mut log = AuditLog::new(&home, FileHeadStore::new(&home));
    log.start(&signer(1), id(999_999), 1_767_225_600).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            Command::new(&exe)
                .args(["--exact", "child_worker", "--test-threads=1"])
                .env(CHILD_ENV, format!("{}:{i}", home.root().display()))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.len(), (PROCESSES * EACH) as usize);
    let mut paired = 0;
    let verified = log
        .verify_each(Anchor::SigningKey(signer(1).verifying_key()), |r| {
            if matches!(r.event, Event::Paired { .. }) {
                paired += 1;
            }
        })
        .unwrap();
    assert_eq!(paired, PROCESSES * EACH);
    assert_eq!(verified.head.seq, u64::from(PROCESSES * EACH));
    assert_eq!(verified.beyond_kept_head, 0);
}
