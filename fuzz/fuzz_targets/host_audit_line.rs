//! The host's reader of audit log segments: `LineReader` (the bounded line
//! splitter verification reads every segment with), `AuditLine::parse`
//! and `AuditLine::check_rendering` on each line.
//!
//! Properties:
//! - The reader never returns a line over `MAX_LINE_LEN` bytes; it refuses
//!   one with `Error::LineTooLong` naming the file and the line, and only
//!   when the input holds such a line. The complete lines it returns,
//!   joined with newlines and followed by the torn end (reported only
//!   last), are the input up to where it stopped.
//! - A line that does not parse is `Error::Corrupt` naming the file; one
//!   whose record does not decode is the core's error; one whose readable
//!   fields are not its record's rendering is `Error::AuditLineMismatch`
//!   naming the file and line. Never a panic.
//! - A line that passes is canonical: it is exactly the writer's rendering
//!   of its record, and it shows the record's sequence number.

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::Error;
use honeylink_host::audit_log::{AuditLine, Line, LineReader, MAX_LINE_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/logs/audit.log");
    let mut reader = LineReader::new(path, data);
    let mut consumed = 0usize;
    let mut torn = false;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(Error::LineTooLong {
                path: named,
                line,
                limit,
            }) => {
                assert_eq!(
                    (named.as_path(), line, limit),
                    (path, reader.number(), MAX_LINE_LEN)
                );
                let rest = &data[consumed..];
                let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                assert!(len > MAX_LINE_LEN, "a line of {len} bytes refused");
                return;
            }
            Err(e) => panic!("unexpected error {e:?}"),
        };
        assert!(!torn, "a line after the torn end");
        let bytes = match line {
            Line::Torn => {
                torn = true;
                assert!(!data[consumed..].contains(&b'\n'));
                assert!(data.len() - consumed <= MAX_LINE_LEN);
                consumed = data.len();
                continue;
            }
            Line::Complete(bytes) => bytes,
        };
        assert!(bytes.len() <= MAX_LINE_LEN);
        assert_eq!(&data[consumed..consumed + bytes.len()], bytes.as_slice());
        assert_eq!(data[consumed + bytes.len()], b'\n');
        consumed += bytes.len() + 1;
        let number = reader.number();
        let parsed = match AuditLine::parse(path, number, &bytes) {
            Ok(parsed) => parsed,
            Err(e) => {
                assert_corrupt(&e, path);
                continue;
            }
        };
        match parsed.check_rendering(path, number, &bytes) {
            Ok(record) => {
                assert_eq!(record.seq, parsed.seq());
                let again = AuditLine::parse(path, number, &bytes).expect("parses again");
                assert_eq!(again, parsed);
            }
            Err(Error::Core(_)) => {}
            Err(Error::AuditLineMismatch { path: named, line }) => {
                assert_eq!((named.as_path(), line), (path, number));
            }
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(consumed, data.len());
});
