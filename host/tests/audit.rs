//! The audit log: verified by the core's chain and by its readable fields,
//! truncation caught by the kept head, crashes repaired, retention pruning,
//! and metrics counted only from a log that verifies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use common::{chmod, home, id, key, signer, snapshot};
use honeylink_core::audit::{
    Anchor, Event, PairingFailure, REFUSAL_BUDGET, Record, Rejection, RejectionReason, RotationKind,
};
use honeylink_core::identity::Fingerprint;
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{KeyChangeAction, RefusalReason};
use honeylink_host::Error;
use honeylink_host::audit_log::{
    AuditLine, AuditLog, FileHeadStore, HeadStore, KeptHead, MAX_LINE_LEN, Retention,
};
use honeylink_host::home::Home;
use honeylink_host::metrics::Metrics;

const T0: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn anchor() -> Anchor {
    Anchor::SigningKey(signer(1).verifying_key())
}

fn fp(n: u32) -> Fingerprint {
    Fingerprint::of(&key(n))
}

fn log(home: &Home) -> AuditLog<FileHeadStore> {
    AuditLog::new(home, FileHeadStore::new(home))
}

/// A started log with `n` "paired" records after genesis.
fn started(home: &Home, n: u32) -> AuditLog<FileHeadStore> {
    let mut log = log(home);
    log.start(&signer(1), id(0), T0).unwrap();
    for i in 0..n {
        log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
            .unwrap();
    }
    log
}

fn paired(i: u32) -> Event {
    Event::Paired {
        method: PairingMethod::Qr,
        peer: id(i),
        fingerprint: fp(i),
    }
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

/// Runs `verify` and an append, expects both to fail with `check`, and
/// every file to be as it was.
fn assert_refused(home: &Home, check: impl Fn(&Error) -> bool) {
    assert_verify_refused(home, &check);
    let before = snapshot(home.root());
    let err = log(home)
        .append(&signer(1), T0 + 999, paired(99))
        .unwrap_err();
    assert!(
        check(&err) || matches!(err, Error::AuditHeadMismatch { .. }),
        "append: {err:?}"
    );
    assert_eq!(snapshot(home.root()), before);
}

/// Runs `verify` (and metrics), expects them to fail with `check` and to
/// leave every file as it was. Appends check only the chain's tail (they
/// stay O(1)), so an edit deep in the log is caught here, not by them.
fn assert_verify_refused(home: &Home, check: &impl Fn(&Error) -> bool) {
    let before = snapshot(home.root());
    let err = log(home).verify(anchor()).unwrap_err();
    assert!(check(&err), "verify: {err:?}");
    let err = Metrics::from_log(&log(home), anchor()).unwrap_err();
    assert!(check(&err), "metrics: {err:?}");
    assert_eq!(snapshot(home.root()), before);
}

#[test]
fn lines_are_readable_and_the_chain_verifies() {
    let (_dir, home) = home();
    let mut log = started(&home, 3);
    let head = log
        .append(
            &signer(1),
            T0 + 10,
            Event::KeyChangeDetected {
                peer: id(1),
                old: fp(1),
                new: fp(2),
                action: KeyChangeAction::Reverify,
            },
        )
        .unwrap();
    assert_eq!(head.seq, 4);
    let path = home.audit_log_path();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(home.audit_head_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let all = lines(&path);
    assert_eq!(all.len(), 5);
    assert!(all[0].contains("\"event\":\"genesis\""), "{}", all[0]);
    assert!(all[1].contains("\"seq\":1"), "{}", all[1]);
    assert!(
        all[1].contains("\"time\":\"2026-01-01T00:00:01Z\""),
        "{}",
        all[1]
    );
    assert!(
        all[1].contains(&format!("\"peer\":\"{}\"", id(0))),
        "{}",
        all[1]
    );
    assert!(all[1].contains("\"method\":\"qr\""), "{}", all[1]);
    assert!(all[4].contains("\"action\":\"re-verify\""), "{}", all[4]);
    let verified = log.verify(anchor()).unwrap();
    assert_eq!(verified.head, head);
    assert_eq!(verified.records, 5);
    assert_eq!(verified.beyond_kept_head, 0);
    assert_eq!(log.heads().load().unwrap().map(|k| k.head), Some(head));
    // The first record's hash anchors too; another key does not.
    let first = Base64::decode_vec(
        serde_json::from_str::<serde_json::Value>(&all[0]).unwrap()["record"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let first = Record::decode(&first).unwrap().hash;
    assert_eq!(
        log.verify(Anchor::FirstRecordHash(first)).unwrap().head,
        head
    );
    match log.verify(Anchor::SigningKey(signer(2).verifying_key())) {
        Err(Error::AuditRejected {
            line: 1, rejection, ..
        }) => {
            assert_eq!(rejection.reason, RejectionReason::AnchorMismatch);
        }
        other => panic!("{other:?}"),
    }
    // Appending with another key is the core's refusal.
    assert!(matches!(
        log.append(&signer(2), T0 + 11, paired(9)),
        Err(Error::Core(honeylink_core::Error::WrongSigningKey))
    ));
    assert!(matches!(
        log.start(&signer(1), id(0), T0),
        Err(Error::AuditExists { .. })
    ));
}

#[test]
fn every_event_kind_round_trips_through_its_line() {
    let (_dir, home) = home();
    let mut log = started(&home, 0);
    let events = [
        Event::KeyGenerated { fingerprint: fp(1) },
        Event::PairingFailed {
            method: PairingMethod::Pin,
            peer: None,
            reason: PairingFailure::LockedOut,
        },
        Event::PairingFailed {
            method: PairingMethod::Nfc,
            peer: Some(id(3)),
            reason: PairingFailure::KeyMismatch,
        },
        Event::Unpaired {
            peer: id(1),
            fingerprint: fp(1),
        },
        Event::DeviceBlocked { peer: id(1) },
        Event::KeyBlocked { fingerprint: fp(2) },
        Event::KeyRotated {
            kind: RotationKind::Emergency,
            old: fp(1),
            new: fp(2),
        },
        Event::KeysDestroyed { fingerprint: fp(1) },
        Event::SessionRefused {
            reason: RefusalReason::IdentityMismatch,
            peer: id(2),
            fingerprint: fp(2),
        },
        Event::RefusalsSummarized {
            window_start: u64::MAX,
            suppressed: [u32::MAX; 4],
        },
    ];
    for (i, event) in events.iter().enumerate() {
        log.append(&signer(1), T0 + i as u64, *event).unwrap();
    }
    log.rotate_signing_key(&signer(1), &signer(2), T0 + 50)
        .unwrap();
    log.append(&signer(2), T0 + 51, paired(7)).unwrap();
    assert!(matches!(
        log.append(&signer(1), T0 + 52, paired(8)),
        Err(Error::Core(honeylink_core::Error::WrongSigningKey))
    ));
    let mut seen = Vec::new();
    log.verify_each(anchor(), |r| seen.push(r.event)).unwrap();
    assert_eq!(seen.len(), 1 + events.len() + 2);
    assert_eq!(&seen[1..=events.len()], &events);
    let longest = lines(&home.audit_log_path())
        .iter()
        .map(String::len)
        .max()
        .unwrap();
    assert!(longest < 900, "{longest}");
    const { assert!(900 < MAX_LINE_LEN) };
}

/// The readable reason of a failed pairing is its documented label, one
/// per reason.
#[test]
fn pairing_failures_are_labelled() {
    let (_dir, home) = home();
    let mut log = started(&home, 0);
    let labels = [
        (PairingFailure::Expired, "expired"),
        (PairingFailure::HandshakeFailed, "handshake_failed"),
        (PairingFailure::KeyMismatch, "key_mismatch"),
        (PairingFailure::Rejected, "rejected"),
        (PairingFailure::Blocked, "blocked"),
        (PairingFailure::LockedOut, "locked_out"),
        (PairingFailure::TimedOut, "timed_out"),
    ];
    for (i, (reason, _)) in (1u64..).zip(labels) {
        let event = Event::PairingFailed {
            method: PairingMethod::Qr,
            peer: None,
            reason,
        };
        log.append(&signer(1), T0 + i, event).unwrap();
    }
    let written = lines(&home.audit_log_path());
    for (line, (_, label)) in written[1..].iter().zip(labels) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["fields"]["reason"], label, "{line}");
    }
}

#[test]
fn an_edited_readable_field_is_caught() {
    let (_dir, home) = home();
    started(&home, 4);
    let path = home.audit_log_path();
    let mut all = lines(&path);
    all[2] = all[2].replace("2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z");
    write_lines(&path, &all);
    assert_verify_refused(&home, &|e: &Error| {
        matches!(e, Error::AuditLineMismatch { line: 3, .. })
    });
    // Another field: the peer named.
    let mut all = lines(&path);
    all[2] = all[2].replace("2026-01-01T00:00:03Z", "2026-01-01T00:00:02Z");
    all[2] = all[2].replace(&id(1).to_string(), &id(7).to_string());
    write_lines(&path, &all);
    assert_verify_refused(&home, &|e: &Error| {
        matches!(e, Error::AuditLineMismatch { line: 3, .. })
    });
}

#[test]
fn an_edited_record_byte_is_caught() {
    let (_dir, home) = home();
    started(&home, 4);
    let path = home.audit_log_path();
    let mut all = lines(&path);
    let mut line: serde_json::Value = serde_json::from_str(&all[3]).unwrap();
    let mut record = Base64::decode_vec(line["record"].as_str().unwrap()).unwrap();
    let last = record.len() - 1;
    record[last] ^= 0x01;
    line["record"] = Base64::encode_string(&record).into();
    let edited = serde_json::to_string(&line).unwrap();
    assert_ne!(edited, all[3]);
    all[3] = edited;
    write_lines(&path, &all);
    assert_verify_refused(&home, &|e: &Error| match e {
        Error::AuditRejected {
            line, rejection, ..
        } => *line == 4 && rejection.reason == RejectionReason::SignatureInvalid,
        _ => false,
    });
    // The same edit in the last line is caught by appends too (the tail is
    // no longer the kept head's record).
    let (_dir, home) = common::home();
    started(&home, 4);
    let path = home.audit_log_path();
    let mut all = lines(&path);
    let last = all.len() - 1;
    let mut line: serde_json::Value = serde_json::from_str(&all[last]).unwrap();
    let mut record = Base64::decode_vec(line["record"].as_str().unwrap()).unwrap();
    let end = record.len() - 1;
    record[end] ^= 0x01;
    line["record"] = Base64::encode_string(&record).into();
    all[last] = serde_json::to_string(&line).unwrap();
    write_lines(&path, &all);
    assert_refused(&home, |e| matches!(e, Error::AuditRejected { .. }));
}

#[test]
fn a_cut_tail_is_caught_by_the_kept_head() {
    let (_dir, home) = home();
    started(&home, 4);
    let path = home.audit_log_path();
    let mut all = lines(&path);
    all.truncate(3);
    write_lines(&path, &all);
    assert_refused(&home, |e| match e {
        Error::AuditRejected { rejection, .. } => matches!(
            rejection.reason,
            RejectionReason::Truncated {
                head_seq: 4,
                last_seq: Some(2)
            }
        ),
        _ => false,
    });
    let err = log(&home)
        .append(&signer(1), T0 + 9, paired(9))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AuditHeadMismatch {
                head_seq: 4,
                last_seq: Some(2),
                ..
            }
        ),
        "{err:?}"
    );
    // Emptied entirely.
    write_lines(&path, &[]);
    assert_refused(&home, |e| match e {
        Error::AuditRejected { rejection, .. } => {
            matches!(
                rejection.reason,
                RejectionReason::Truncated { last_seq: None, .. }
            )
        }
        _ => false,
    });
}

#[test]
fn a_missing_or_corrupt_head_is_refused() {
    let (_dir, home) = home();
    started(&home, 2);
    let head_path = home.audit_head_path();
    let saved = fs::read(&head_path).unwrap();
    fs::remove_file(&head_path).unwrap();
    assert_refused(&home, |e| matches!(e, Error::AuditHeadMissing { .. }));
    for bad in [
        &b""[..],
        b"{",
        b"{\"version\":2,\"seq\":2,\"hash\":\"\"}",
        b"[1]",
    ] {
        fs::write(&head_path, bad).unwrap();
        chmod(&head_path, 0o600);
        assert_refused(
            &home,
            |e| matches!(e, Error::Corrupt { path, .. } if *path == head_path),
        );
    }
    fs::write(&head_path, vec![b' '; 5000]).unwrap();
    assert_refused(&home, |e| matches!(e, Error::TooLarge { .. }));
    fs::write(&head_path, &saved).unwrap();
    chmod(&head_path, 0o640);
    assert_refused(&home, |e| matches!(e, Error::TooOpen { .. }));
    chmod(&head_path, 0o600);
    log(&home).verify(anchor()).unwrap();
}

#[test]
fn bad_log_files_get_their_specific_error_and_stay() {
    let (dir, home) = home();
    started(&home, 2);
    let path = home.audit_log_path();
    let saved = fs::read(&path).unwrap();

    // A line longer than the bound: never read whole.
    let mut text = saved.clone();
    text.extend(vec![b'x'; MAX_LINE_LEN + 10]);
    text.push(b'\n');
    fs::write(&path, &text).unwrap();
    assert_refused(&home, |e| {
        matches!(e, Error::LineTooLong { line: 4 | 0, .. })
    });

    // Garbage line, empty line.
    for bad in [
        "not json",
        "",
        "{\"seq\":1}",
        "{\"seq\":1,\"time\":\"\",\"event\":\"\",\"fields\":{},\"record\":\"!!\"}",
    ] {
        let mut text = saved.clone();
        text.extend(bad.as_bytes());
        text.push(b'\n');
        fs::write(&path, &text).unwrap();
        assert_refused(&home, |e| {
            matches!(e, Error::Corrupt { detail, .. }
                if detail.starts_with("line 4") || detail.starts_with("a line at the end"))
        });
    }
    fs::write(&path, &saved).unwrap();

    chmod(&path, 0o644);
    assert_refused(&home, |e| matches!(e, Error::TooOpen { .. }));
    chmod(&path, 0o600);

    let elsewhere = dir.path().join("elsewhere.log");
    fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    assert_refused(&home, |e| matches!(e, Error::Symlink { .. }));
    fs::remove_file(&path).unwrap();

    fs::create_dir(&path).unwrap();
    assert_refused(&home, |e| matches!(e, Error::NotAFile { .. }));
    fs::remove_dir(&path).unwrap();
    fs::rename(&elsewhere, &path).unwrap();
    log(&home).verify(anchor()).unwrap();
}

/// A crash between the line and the head is rolled forward, after several
/// records or right after genesis (a log of two lines, read whole); two
/// records behind is refused.
#[test]
fn a_crash_between_line_and_head_is_rolled_forward() {
    let crash_after = |home: &Home, records| {
        let mut log = started(home, records);
        let behind = log.heads().load().unwrap().unwrap();
        let head = log.append(&signer(1), T0 + 20, paired(20)).unwrap();
        // The crash: the line is on disk, the head is not.
        log.heads().store(&behind).unwrap();
        let verified = log.verify(anchor()).unwrap();
        assert_eq!((verified.head, verified.beyond_kept_head), (head, 1));
        assert_eq!(log.recover().unwrap(), head);
        assert_eq!(log.heads().load().unwrap().map(|k| k.head), Some(head));
        assert_eq!(log.verify(anchor()).unwrap().beyond_kept_head, 0);
        log
    };
    let (_first, genesis_only) = home();
    crash_after(&genesis_only, 0);
    let (_dir, home) = home();
    let mut log = crash_after(&home, 3);

    // Two behind never happens by a crash: refused.
    let two_behind = log.heads().load().unwrap().unwrap();
    log.append(&signer(1), T0 + 21, paired(21)).unwrap();
    log.append(&signer(1), T0 + 22, paired(22)).unwrap();
    log.heads().store(&two_behind).unwrap();
    assert_refused(&home, |e| {
        matches!(
            e,
            Error::AuditHeadMismatch {
                head_seq: 4,
                last_seq: Some(6),
                ..
            }
        )
    });
}

#[test]
fn a_torn_last_line_is_cut_by_the_next_append() {
    let (_dir, home) = home();
    let mut log = started(&home, 3);
    let path = home.audit_log_path();
    let whole = lines(&path);
    let head = log.heads().load().unwrap().unwrap().head;
    // The crash: half a line, no newline, head unchanged.
    let mut file = fs::File::options().append(true).open(&path).unwrap();
    file.write_all(&whole[2].as_bytes()[..100]).unwrap();
    drop(file);
    let torn = fs::read(&path).unwrap();
    // Verification reports the interrupted append and changes nothing.
    let verified = log.verify(anchor()).unwrap();
    assert_eq!(verified.head, head);
    assert!(verified.interrupted_append);
    assert_eq!(fs::read(&path).unwrap(), torn);
    assert_eq!(log.recover().unwrap(), head);
    assert!(!log.verify(anchor()).unwrap().interrupted_append);
    assert_eq!(lines(&path), whole);
    let next = log.append(&signer(1), T0 + 30, paired(30)).unwrap();
    assert_eq!(next.seq, head.seq + 1);
    assert_eq!(log.verify(anchor()).unwrap().head, next);
}

/// A torn tail is an interrupted append up to the longest line there can
/// be: exactly `MAX_LINE_LEN` bytes are cut by recovery, one more is
/// `LineTooLong` and the file stays as it was.
#[test]
fn a_torn_tail_is_cut_up_to_the_longest_line() {
    // The last: a torn tail as long as the tail reader's window allows
    // before it (3 * 2,049 + 1 bytes) less the newline it must still see.
    for (torn, cut) in [
        (MAX_LINE_LEN, true),
        (MAX_LINE_LEN + 1, false),
        (3 * (MAX_LINE_LEN + 1), false),
    ] {
        let (_dir, home) = home();
        let log = started(&home, 3);
        let path = home.audit_log_path();
        let whole = fs::read(&path).unwrap();
        let head = log.heads().load().unwrap().unwrap().head;
        let mut file = fs::File::options().append(true).open(&path).unwrap();
        file.write_all(&vec![b'x'; torn]).unwrap();
        drop(file);
        let crashed = fs::read(&path).unwrap();
        if cut {
            assert_eq!(log.recover().unwrap(), head);
            assert_eq!(fs::read(&path).unwrap(), whole);
        } else {
            assert!(matches!(
                log.recover(),
                Err(Error::LineTooLong {
                    limit: MAX_LINE_LEN,
                    ..
                })
            ));
            assert_eq!(fs::read(&path).unwrap(), crashed);
        }
    }
}

/// A complete line is read up to `MAX_LINE_LEN` bytes, by verification and
/// by the tail reader appends and recovery use: a line of exactly that
/// length is read (and, being no record, refused as such), one byte more
/// is `LineTooLong`.
#[test]
fn a_complete_line_is_read_up_to_the_longest_line() {
    for (len, too_long) in [(MAX_LINE_LEN, false), (MAX_LINE_LEN + 1, true)] {
        let (_dir, home) = home();
        let log = started(&home, 3);
        let path = home.audit_log_path();
        let mut file = fs::File::options().append(true).open(&path).unwrap();
        let mut line = vec![b'x'; len];
        line.push(b'\n');
        file.write_all(&line).unwrap();
        drop(file);
        let is_too_long = |e: &Error| {
            matches!(
                e,
                Error::LineTooLong {
                    limit: MAX_LINE_LEN,
                    ..
                }
            )
        };
        let verified = log.verify(anchor()).unwrap_err();
        assert_eq!(is_too_long(&verified), too_long, "{len}: {verified}");
        let recovered = log.recover().unwrap_err();
        assert_eq!(is_too_long(&recovered), too_long, "{len}: {recovered}");
    }
}

/// The tail reader starts inside a long first line and drops it: a log
/// whose only record follows 7,000 bytes of junk on one line still has its
/// head found (recovery reads only the end of the log).
#[test]
fn the_tail_reader_drops_the_partial_line_its_window_starts_in() {
    let (_dir, home) = home();
    let log = started(&home, 0);
    let path = home.audit_log_path();
    let genesis = fs::read(&path).unwrap();
    let head = log.heads().load().unwrap().unwrap().head;
    let mut junk = vec![b'x'; 7000];
    junk.push(b'\n');
    junk.extend_from_slice(&genesis);
    fs::write(&path, &junk).unwrap();
    assert_eq!(log.recover().unwrap(), head);
    assert_eq!(fs::read(&path).unwrap(), junk);
}

/// An append reads only the active log's end when that holds the last two
/// records: a torn byte at the end of a closed segment (which verification
/// reports) does not stop it.
#[test]
fn an_append_reads_a_segment_only_when_it_needs_to() {
    let (_dir, home) = home();
    let mut log = log(&home).with_retention(Retention {
        max_age_secs: u64::MAX,
        max_total_bytes: u64::MAX,
        segment_bytes: SEGMENT_BYTES,
    });
    log.start(&signer(1), id(0), T0).unwrap();
    let mut i = 0u32;
    loop {
        log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
            .unwrap();
        i += 1;
        let closed = fs::read_dir(home.logs_dir()).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("audit.0")
        });
        // The active log is created by the first append after a segment
        // closes.
        let active = fs::read_to_string(home.audit_log_path()).map_or(0, |t| t.lines().count());
        if closed && active == 2 {
            break;
        }
        assert!(i < 100, "no segment closed");
    }
    let mut segments: Vec<PathBuf> = fs::read_dir(home.logs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("audit.0"))
        .collect();
    segments.sort();
    let newest = segments.last().unwrap();
    let mut file = fs::File::options().append(true).open(newest).unwrap();
    file.write_all(b"x").unwrap();
    drop(file);
    log.append(&signer(1), T0 + 500, paired(500)).unwrap();
}

/// A lone line whose record is no genesis (here the genesis record with
/// its sequence number changed to 1; the signature is not what is checked
/// here) is not an interrupted start: it is not set aside.
#[test]
fn only_a_lone_genesis_record_is_set_aside() {
    let (_dir, home) = home();
    let mut log = started(&home, 0);
    let path = home.audit_log_path();
    let line = lines(&path).remove(0);
    let mut value: serde_json::Value = serde_json::from_str(&line).unwrap();
    let mut record = Base64::decode_vec(value["record"].as_str().unwrap()).unwrap();
    assert_eq!(Record::decode(&record).unwrap().seq, 0);
    // The body starts with an 8-byte domain and a version byte; the
    // sequence number (0, one varint byte) follows.
    assert_eq!(record[9], 0);
    record[9] = 1;
    let patched = Record::decode(&record).unwrap();
    assert_eq!(patched.seq, 1);
    assert!(matches!(patched.event, Event::Genesis { .. }));
    value["record"] = Base64::encode_string(&record).into();
    value["seq"] = 1.into();
    write_lines(&path, &[value.to_string()]);
    fs::remove_file(home.audit_head_path()).unwrap();
    let lock = home.lock().unwrap();
    assert_eq!(
        log.set_aside_interrupted_start(&lock, T0 + 9).unwrap(),
        None
    );
    assert!(path.exists());
}

/// The byte-level line reader's accessors give the line's sequence number
/// and the record's signed bytes.
#[test]
fn a_parsed_line_gives_its_seq_and_record() {
    let (_dir, home) = home();
    started(&home, 2);
    let path = home.audit_log_path();
    for (seq, line) in (0u64..).zip(lines(&path)) {
        let parsed = AuditLine::parse(&path, seq + 1, line.as_bytes()).unwrap();
        assert_eq!(parsed.seq(), seq);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let record = Base64::decode_vec(value["record"].as_str().unwrap()).unwrap();
        assert_eq!(parsed.record(), record.as_slice());
        assert_eq!(Record::decode(parsed.record()).unwrap().seq, seq);
    }
}

/// A line cut short that the kept head names is no interrupted append:
/// the head's record is missing, and verification says so.
#[test]
fn a_cut_committed_line_is_not_taken_for_an_interrupted_append() {
    let (_dir, home) = home();
    let log = started(&home, 3);
    let path = home.audit_log_path();
    let bytes = fs::read(&path).unwrap();
    // Drop the newline and the last 40 bytes of the last, committed line.
    fs::write(&path, &bytes[..bytes.len() - 41]).unwrap();
    let cut = fs::read(&path).unwrap();
    match log.verify(anchor()) {
        Err(Error::AuditRejected {
            line: 4,
            rejection:
                Rejection {
                    reason:
                        RejectionReason::Truncated {
                            head_seq: 3,
                            last_seq: Some(2),
                        },
                    ..
                },
            ..
        }) => {}
        other => panic!("a cut committed record verified: {other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), cut);
}

/// Only the active log may end in an interrupted append: a closed segment
/// ending in a torn line is corrupt, and stays as it was.
#[test]
fn a_torn_line_in_a_closed_segment_is_corrupt() {
    let (_dir, home) = home();
    let mut log = log(&home).with_retention(Retention {
        max_age_secs: 1_000_000,
        max_total_bytes: 1 << 30,
        segment_bytes: 3000,
    });
    log.start(&signer(1), id(0), T0).unwrap();
    for i in 0..12u32 {
        log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
            .unwrap();
    }
    let segment = home.logs_dir().join("audit.00000000000000000000.log");
    let mut bytes = fs::read(&segment).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'));
    bytes.pop();
    fs::write(&segment, &bytes).unwrap();
    match log.verify(anchor()) {
        Err(Error::Corrupt { path, detail }) => {
            assert_eq!(path, segment);
            assert!(detail.contains("incomplete"), "{detail}");
        }
        other => panic!("a torn closed segment verified: {other:?}"),
    }
    assert_eq!(fs::read(&segment).unwrap(), bytes);
}

#[test]
fn retention_prunes_old_and_oversized_segments() {
    let (_dir, home) = home();
    let retention = Retention {
        max_age_secs: 1000,
        max_total_bytes: 40_000,
        segment_bytes: 3000,
    };
    let mut log = log(&home).with_retention(retention);
    log.start(&signer(1), id(0), T0).unwrap();
    // 60 records over 6000 seconds: about 7 lines per segment.
    for i in 0..60u32 {
        log.append(&signer(1), T0 + 100 * u64::from(i + 1), paired(i))
            .unwrap();
    }
    let segments = |home: &Home| {
        let mut names: Vec<String> = fs::read_dir(home.logs_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("audit.0"))
            .collect();
        names.sort();
        names
    };
    let before = segments(&home);
    assert!(before.len() >= 5, "{before:?}");
    assert_eq!(before[0], "audit.00000000000000000000.log");
    log.verify(anchor()).unwrap();

    // Nothing is old yet at the last record's time, and the size fits.
    let now = T0 + 6000;
    let report = log
        .with_retention(Retention {
            max_age_secs: 100_000,
            ..retention
        })
        .prune(anchor(), now)
        .unwrap();
    assert!(report.removed.is_empty());

    // By age: segments whose newest record is older than 1000 s go.
    let mut log = self::log(&home).with_retention(retention);
    let report = log.prune(anchor(), now).unwrap();
    assert!(!report.removed.is_empty());
    let verified = log.verify(anchor()).unwrap();
    assert_eq!(verified.first_seq, report.first_kept_seq);
    assert!(verified.first_seq > 0);
    let kept = log.verify_each(anchor(), |_| {}).unwrap();
    assert_eq!(kept.head.seq, 60);
    // Every kept record is younger than the cutoff, except possibly those
    // in the oldest kept segment's start.
    let mut oldest_time = u64::MAX;
    log.verify_each(anchor(), |r| oldest_time = oldest_time.min(r.time))
        .unwrap();
    assert!(oldest_time + 1000 + 1000 > now, "{oldest_time}");

    // By size: a tighter total.
    let mut log = self::log(&home).with_retention(Retention {
        max_age_secs: u64::MAX,
        max_total_bytes: 4000,
        segment_bytes: 3000,
    });
    let report = log.prune(anchor(), now).unwrap();
    assert!(!report.removed.is_empty());
    let total: u64 = fs::read_dir(home.logs_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with("audit.")
                && e.file_name().to_string_lossy().ends_with(".log")
        })
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(total <= 4000, "{total}");
    log.verify(anchor()).unwrap();
    // Appending continues the chain.
    log.append(&signer(1), now + 1, paired(99)).unwrap();
    assert_eq!(log.verify(anchor()).unwrap().head.seq, 61);

    // After pruning, the genesis hash cannot anchor.
    assert!(matches!(
        log.verify(Anchor::FirstRecordHash([0; 64])),
        Err(Error::AuditPruned { .. })
    ));
    // Deleting the oldest kept segment as well is not pruning: caught.
    let remaining = segments(&home);
    if let Some(oldest) = remaining.first() {
        fs::remove_file(home.logs_dir().join(oldest)).unwrap();
        match log.verify(anchor()) {
            Err(Error::AuditRejected { rejection, .. }) => {
                assert_eq!(rejection.reason, RejectionReason::AnchorMismatch);
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A prune whose last removed record hands the chain to a new signing key
/// keeps that new key as the cut's signer, so the kept chain verifies. The
/// number of records before the handover varies until it ends a segment.
#[test]
fn a_prune_cut_right_after_a_key_handover_keeps_the_new_key() {
    let mut handover_ended_a_removed_segment = false;
    for before in 0..10u32 {
        let (_dir, home) = home();
        let retention = Retention {
            max_age_secs: 500,
            max_total_bytes: u64::MAX,
            segment_bytes: 2000,
        };
        let mut log = log(&home).with_retention(retention);
        log.start(&signer(1), id(0), T0).unwrap();
        for i in 0..before {
            log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
                .unwrap();
        }
        log.rotate_signing_key(&signer(1), &signer(2), T0 + 100)
            .unwrap();
        let handover = u64::from(before) + 1;
        for i in 0..12u32 {
            log.append(&signer(2), T0 + 1000 + u64::from(i), paired(100 + i))
                .unwrap();
        }
        let report = log.prune(anchor(), T0 + 1020).unwrap();
        let verified = log.verify(anchor()).unwrap();
        assert_eq!(verified.head.seq, handover + 12, "{before}");
        if report.first_kept_seq == handover + 1 {
            let cut = log.heads().load().unwrap().unwrap().cut.unwrap();
            assert_eq!(cut.key, *signer(2).verifying_key().as_bytes());
            handover_ended_a_removed_segment = true;
        }
    }
    assert!(handover_ended_a_removed_segment);
}

/// Segment size for the tests that need several closed segments.
const SEGMENT_BYTES: u64 = 2000;

/// A log started at `T0` with `records` "paired" records after genesis,
/// closed into segments of [`SEGMENT_BYTES`] and never pruned; returns the
/// closed segments, oldest first.
fn segmented(home: &Home, records: u32) -> Vec<PathBuf> {
    let mut log = log(home).with_retention(Retention {
        max_age_secs: u64::MAX,
        max_total_bytes: u64::MAX,
        segment_bytes: SEGMENT_BYTES,
    });
    log.start(&signer(1), id(0), T0).unwrap();
    for i in 0..records {
        log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
            .unwrap();
    }
    let mut segments: Vec<PathBuf> = fs::read_dir(home.logs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("audit.0"))
        .collect();
    segments.sort();
    segments
}

/// Pruning by size counts every byte of every line, newlines included, and
/// removes the fewest oldest segments that bring the log within its bound:
/// with the bound exactly the size of the newest two segments and the
/// active log, exactly the older segments go; one byte less, and the
/// second newest goes too.
#[test]
fn pruning_by_size_removes_exactly_the_oldest_segments_over_the_bound() {
    for keep in [2, 1] {
        let (_dir, home) = home();
        let segments = segmented(&home, 40);
        assert!(segments.len() >= 4, "{segments:?}");
        let size = |p: &PathBuf| fs::metadata(p).unwrap().len();
        let newest_two: u64 = segments.iter().rev().take(2).map(size).sum();
        let fits_two = newest_two + size(&home.audit_log_path());
        let bound = if keep == 2 { fits_two } else { fits_two - 1 };
        let expected: Vec<PathBuf> = segments[..segments.len() - keep].to_vec();

        let mut log = log(&home).with_retention(Retention {
            max_age_secs: u64::MAX,
            max_total_bytes: bound,
            segment_bytes: SEGMENT_BYTES,
        });
        let report = log.prune(anchor(), T0 + 100).unwrap();
        assert_eq!(report.removed, expected, "bound {bound}");
        log.verify(anchor()).unwrap();
        // Within the bound now: a second prune removes nothing.
        assert!(log.prune(anchor(), T0 + 100).unwrap().removed.is_empty());
    }
}

/// A rejected record in a closed segment is reported in that segment, at
/// its line, not in the active log.
#[test]
fn a_rejection_in_a_segment_names_the_segment_and_line() {
    let (_dir, home) = home();
    let segments = segmented(&home, 20);
    assert!(segments.len() >= 2, "{segments:?}");
    let log = log(&home);
    // The second segment's third line replaced by its second: a replay.
    let segment = &segments[1];
    let mut edited = lines(segment);
    assert!(edited.len() >= 3, "{edited:?}");
    edited[2] = edited[1].clone();
    write_lines(segment, &edited);
    match log.verify(anchor()) {
        Err(Error::AuditRejected { path, line, .. }) => {
            assert_eq!(path, *segment);
            assert_eq!(line, 3);
        }
        other => panic!("expected AuditRejected, got {other:?}"),
    }
}

#[test]
fn pruning_refuses_a_chain_that_does_not_verify() {
    let (_dir, home) = home();
    let retention = Retention {
        max_age_secs: 0,
        max_total_bytes: 0,
        segment_bytes: 1000,
    };
    let mut log = log(&home).with_retention(retention);
    log.start(&signer(1), id(0), T0).unwrap();
    for i in 0..10 {
        log.append(&signer(1), T0 + u64::from(i), paired(i))
            .unwrap();
    }
    let before = snapshot(home.root());
    assert!(
        log.prune(Anchor::SigningKey(signer(3).verifying_key()), T0 + 100)
            .is_err()
    );
    assert_eq!(snapshot(home.root()), before);
}

#[test]
fn refusal_floods_are_bounded_and_counted() {
    let (_dir, home) = home();
    let mut log = started(&home, 0);
    let mut written = 0;
    for i in 0..500u32 {
        written += log
            .record_refusal(&signer(1), T0 + 1, RefusalReason::Untrusted, id(i), fp(i))
            .unwrap();
    }
    assert_eq!(written, usize::from(REFUSAL_BUDGET));
    written += log.finish_refusals(&signer(1), T0 + 2).unwrap();
    assert_eq!(written, usize::from(REFUSAL_BUDGET) + 1);
    let metrics = Metrics::from_log(&log, anchor()).unwrap();
    assert_eq!(metrics.sessions_refused(RefusalReason::Untrusted), 500);
    assert_eq!(metrics.sessions_refused(RefusalReason::Blocked), 0);
}

/// The timer's flush writes a window's summary once the window has ended,
/// and says how many records it wrote: none before the end or with
/// nothing counted, one summary after it; the locked form the same.
#[test]
fn a_refusal_window_is_summarised_once_when_it_ends() {
    let (_dir, home) = home();
    let mut log = started(&home, 0);
    let start = T0 + 1;
    let end = start + honeylink_core::audit::REFUSAL_WINDOW_SECS;
    let flood = |log: &mut AuditLog<FileHeadStore>, at: u64| {
        for i in 0..u32::from(REFUSAL_BUDGET) + 5 {
            log.record_refusal(&signer(1), at, RefusalReason::Untrusted, id(i), fp(i))
                .unwrap();
        }
    };
    flood(&mut log, start);
    let records = |log: &AuditLog<FileHeadStore>| log.verify(anchor()).unwrap().records;
    let before = records(&log);
    assert_eq!(log.flush_refusals(&signer(1), end - 1).unwrap(), 0);
    assert_eq!(records(&log), before);
    assert_eq!(log.flush_refusals(&signer(1), end).unwrap(), 1);
    assert_eq!(records(&log), before + 1);
    assert_eq!(log.flush_refusals(&signer(1), end + 1).unwrap(), 0);
    assert_eq!(records(&log), before + 1);

    flood(&mut log, end + 10);
    let before = records(&log);
    let lock = home.lock().unwrap();
    let window_end = end + 10 + honeylink_core::audit::REFUSAL_WINDOW_SECS;
    assert_eq!(
        log.flush_refusals_locked(&lock, &signer(1), window_end - 1, false)
            .unwrap(),
        0
    );
    assert_eq!(
        log.flush_refusals_locked(&lock, &signer(1), window_end, false)
            .unwrap(),
        1
    );
    drop(lock);
    assert_eq!(records(&log), before + 1);
    let metrics = Metrics::from_log(&log, anchor()).unwrap();
    assert_eq!(
        metrics.sessions_refused(RefusalReason::Untrusted),
        2 * (u64::from(REFUSAL_BUDGET) + 5)
    );
}

/// Files in `logs/` that only look like segments (`audit.<n>.log` with
/// other than 20 digits) are not read as part of the chain, nor touched.
#[test]
fn only_twenty_digit_names_are_segments() {
    let (_dir, home) = home();
    let log = started(&home, 3);
    let decoys = ["audit.5.log", "audit.0000000000000000000x.log"];
    for name in decoys {
        home.write_private(&home.logs_dir().join(name), b"not a record\n")
            .unwrap();
    }
    assert_eq!(log.verify(anchor()).unwrap().records, 4);
    for name in decoys {
        assert_eq!(
            fs::read(home.logs_dir().join(name)).unwrap(),
            b"not a record\n"
        );
    }
}

#[test]
fn metrics_count_a_known_log() {
    let (_dir, home) = home();
    let mut log = started(&home, 3); // 3 QR pairings
    let key = signer(1);
    let events = [
        Event::Paired {
            method: PairingMethod::Pin,
            peer: id(5),
            fingerprint: fp(5),
        },
        Event::PairingFailed {
            method: PairingMethod::Pin,
            peer: None,
            reason: PairingFailure::HandshakeFailed,
        },
        Event::PairingFailed {
            method: PairingMethod::Nfc,
            peer: None,
            reason: PairingFailure::TimedOut,
        },
        Event::KeyRotated {
            kind: RotationKind::Manual,
            old: fp(1),
            new: fp(2),
        },
        Event::KeyChangeDetected {
            peer: id(1),
            old: fp(1),
            new: fp(2),
            action: KeyChangeAction::Block,
        },
        Event::KeyChangeDetected {
            peer: id(1),
            old: fp(1),
            new: fp(3),
            action: KeyChangeAction::TrustNewKey,
        },
        Event::SessionRefused {
            reason: RefusalReason::KeyChanged,
            peer: id(1),
            fingerprint: fp(3),
        },
        Event::RefusalsSummarized {
            window_start: T0,
            suppressed: [4, 0, 2, 1],
        },
    ];
    for event in events {
        log.append(&key, T0 + 100, event).unwrap();
    }
    let m = Metrics::from_log(&log, anchor()).unwrap();
    assert_eq!(m.pairings(PairingMethod::Qr, true), 3);
    assert_eq!(m.pairings(PairingMethod::Pin, true), 1);
    assert_eq!(m.pairings(PairingMethod::Pin, false), 1);
    assert_eq!(m.pairings(PairingMethod::Nfc, false), 1);
    assert_eq!(m.pairings(PairingMethod::Nfc, true), 0);
    assert_eq!(m.rotations(RotationKind::Manual), 1);
    assert_eq!(m.rotations(RotationKind::Emergency), 0);
    assert_eq!(m.key_changes(KeyChangeAction::Block), 1);
    assert_eq!(m.key_changes(KeyChangeAction::Reverify), 0);
    assert_eq!(m.key_changes(KeyChangeAction::TrustNewKey), 1);
    assert_eq!(m.sessions_refused(RefusalReason::Untrusted), 4);
    assert_eq!(m.sessions_refused(RefusalReason::KeyChanged), 3);
    assert_eq!(m.sessions_refused(RefusalReason::IdentityMismatch), 1);

    let text = m.to_prometheus();
    for expected in [
        "# HELP key_pairing_total ",
        "# TYPE key_pairing_total counter\n",
        "key_pairing_total{method=\"qr\",result=\"success\"} 3\n",
        "key_pairing_total{method=\"pin\",result=\"failure\"} 1\n",
        "key_pairing_total{method=\"nfc\",result=\"success\"} 0\n",
        "# TYPE key_rotation_total counter\n",
        "key_rotation_total{reason=\"manual\"} 1\n",
        "key_rotation_total{reason=\"emergency\"} 0\n",
        "key_change_detected_total{action=\"block\"} 1\n",
        "key_change_detected_total{action=\"re-verify\"} 0\n",
        "key_change_detected_total{action=\"trust\"} 1\n",
        "# TYPE session_refused_total counter\n",
        "session_refused_total{reason=\"key_changed\"} 3\n",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        6 + 2 + 3 + 4
    );
    let json = m.to_json();
    let samples = json["key_pairing_total"]["samples"].as_array().unwrap();
    let qr_ok = samples
        .iter()
        .find(|s| s["labels"]["method"] == "qr" && s["labels"]["result"] == "success")
        .unwrap();
    assert_eq!(qr_ok["value"], 3);
    assert_eq!(json["key_rotation_total"]["type"], "counter");
    assert_eq!(json["session_refused_total"]["samples"][0]["value"], 4);

    // A log that does not verify gives an error, not numbers.
    let path = home.audit_log_path();
    let mut all = lines(&path);
    all[1] = all[1].replace("\"qr\"", "\"pin\"");
    write_lines(&path, &all);
    assert!(matches!(
        Metrics::from_log(&log, anchor()),
        Err(Error::AuditLineMismatch { line: 2, .. })
    ));
}

#[test]
fn the_head_store_is_a_trait_the_log_uses() {
    let (_dir, home) = home();
    let mut log = AuditLog::new(&home, common::MemoryHeads::empty());
    log.start(&signer(1), id(0), T0).unwrap();
    let head = log.append(&signer(1), T0 + 1, paired(1)).unwrap();
    assert_eq!(*log.heads().0.borrow(), Some(KeptHead { head, cut: None }));
    assert!(!home.audit_head_path().exists());
    assert_eq!(log.verify(anchor()).unwrap().head, head);
}

/// H1: a continuation anchor must be the cut kept with the head: forging
/// `audit.pruned` (or passing a continuation) when nothing was pruned, or a
/// deeper cut than the real one, is refused.
#[test]
fn the_prune_cut_comes_from_the_head_store() {
    let (_dir, home) = home();
    let log = started(&home, 6);
    let seq = common::forge_prune_note(&home, 3);
    let key = signer(1).verifying_key();
    // What audit.pruned says is not used: the chain must start at genesis.
    assert!(matches!(
        log.anchor(key).unwrap(),
        Anchor::SigningKey(k) if k == key
    ));
    assert!(log.verify(log.anchor(key).unwrap()).is_err());
    // A continuation when the head store says nothing was pruned.
    let lines = lines(&home.audit_log_path());
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let bytes = Base64::decode_vec(first["record"].as_str().unwrap()).unwrap();
    let record = Record::decode(&bytes).unwrap();
    let forged = Anchor::Continuation {
        key,
        seq,
        prev_hash: record.prev_hash,
    };
    assert!(
        matches!(
            log.verify(forged),
            Err(Error::AuditCutMismatch {
                kept: None,
                found: Some(3),
                ..
            })
        ),
        "{:?}",
        log.verify(forged)
    );
}

/// H1 after a real prune: removing the next segment too and moving the
/// note to it is caught; the kept cut is in the head store.
#[test]
fn a_deeper_forged_cut_after_pruning_is_caught() {
    let (_dir, home) = home();
    let retention = Retention {
        max_age_secs: u64::MAX,
        max_total_bytes: 6000,
        segment_bytes: 2000,
    };
    let mut log = log(&home).with_retention(retention);
    log.start(&signer(1), id(0), T0).unwrap();
    for i in 0..40u32 {
        log.append(&signer(1), T0 + u64::from(i) + 1, paired(i))
            .unwrap();
    }
    let report = log.prune(anchor(), T0 + 100).unwrap();
    assert!(!report.removed.is_empty());
    let cut = log.heads().load().unwrap().unwrap().cut.unwrap();
    assert_eq!(cut.seq, report.first_kept_seq);
    log.verify(log.anchor(signer(1).verifying_key()).unwrap())
        .unwrap();
    // A continuation anchor must match the kept cut in all three parts.
    let off = |signer_seed: u8, seq: u64, prev_hash: [u8; 64]| Anchor::Continuation {
        key: signer(signer_seed).verifying_key(),
        seq,
        prev_hash,
    };
    let mut other_hash = cut.prev_hash;
    other_hash[0] ^= 1;
    for anchor in [
        off(2, cut.seq, cut.prev_hash),
        off(1, cut.seq, other_hash),
        off(1, cut.seq + 1, cut.prev_hash),
    ] {
        assert!(matches!(
            log.verify(anchor),
            Err(Error::AuditCutMismatch { .. })
        ));
    }
    log.verify(off(1, cut.seq, cut.prev_hash)).unwrap();
    // Drop the oldest kept segment, and write the note a prune there would.
    let mut segments: Vec<_> = fs::read_dir(home.logs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("audit.0"))
        .collect();
    segments.sort();
    let oldest = segments.remove(0);
    let next_first = lines(&segments[0]).remove(0);
    fs::remove_file(&oldest).unwrap();
    let line: serde_json::Value = serde_json::from_str(&next_first).unwrap();
    let bytes = Base64::decode_vec(line["record"].as_str().unwrap()).unwrap();
    let record = Record::decode(&bytes).unwrap();
    let note = format!(
        "{{\"version\":1,\"seq\":{},\"hash\":\"{}\",\"key\":\"{}\"}}\n",
        record.seq,
        Base64::encode_string(&record.prev_hash),
        Base64::encode_string(&record.signer)
    );
    home.write_private(&home.logs_dir().join("audit.pruned"), note.as_bytes())
        .unwrap();
    assert!(log.verify(anchor()).is_err());
    let deeper = Anchor::Continuation {
        key: signer(1).verifying_key(),
        seq: record.seq,
        prev_hash: record.prev_hash,
    };
    assert!(matches!(
        log.verify(deeper),
        Err(Error::AuditCutMismatch { .. })
    ));
}

#[test]
fn the_head_file_reads_back_and_refuses_the_pruned_notes_key() {
    let (_dir, home) = home();
    started(&home, 2);
    let path = home.audit_head_path();
    let bytes = fs::read(&path).unwrap();
    let kept = FileHeadStore::parse(&path, &bytes).unwrap();
    assert_eq!(FileHeadStore::encode(&kept).unwrap(), bytes);
    // `key` belongs to audit.pruned; in the head file it is refused, not
    // ignored.
    let text = String::from_utf8(bytes).unwrap();
    let with_key = text.replacen(
        "{",
        &format!("{{\"key\":\"{}\",", Base64::encode_string(&[1u8; 32])),
        1,
    );
    assert!(matches!(
        FileHeadStore::parse(&path, with_key.as_bytes()),
        Err(Error::Corrupt { path: p, .. }) if p == path
    ));
    // A head numbered 2^64 - 1 is no chain's (the core never writes nor
    // resumes there): refused, where one below it reads back.
    let at = |seq: u64| {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["seq"] = seq.into();
        value.to_string()
    };
    assert!(FileHeadStore::parse(&path, at(u64::MAX - 1).as_bytes()).is_ok());
    assert!(matches!(
        FileHeadStore::parse(&path, at(u64::MAX).as_bytes()),
        Err(Error::Corrupt { path: p, detail }) if p == path && detail.contains("2^64 - 1")
    ));
    // The hash must be base64 of exactly 64 bytes: 63 is refused, not
    // padded with zeros.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["hash"] = Base64::encode_string(&[7u8; 63]).into();
    assert!(matches!(
        FileHeadStore::parse(&path, value.to_string().as_bytes()),
        Err(Error::Corrupt { path: p, detail })
            if p == path && detail == "hash is not base64 of 64 bytes"
    ));
}
