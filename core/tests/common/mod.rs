//! Helpers shared by the core's integration tests: reading vector files with
//! errors that name the file, the case and the field.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used
)]

use serde_json::Value;

/// A loaded vector file and its name, for messages.
pub struct VectorFile {
    pub name: &'static str,
    pub json: Value,
}

impl VectorFile {
    pub fn parse(name: &'static str, text: &str) -> Self {
        let json = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        Self { name, json }
    }

    pub fn cases(&self) -> impl Iterator<Item = Case<'_>> {
        self.json["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no `cases` array", self.name))
            .iter()
            .map(move |json| Case {
                file: self.name,
                json,
            })
    }

    pub fn case(&self, name: &str) -> Case<'_> {
        self.cases()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("{}: no case named {name:?}", self.name))
    }
}

/// One case of a vector file.
pub struct Case<'a> {
    pub file: &'static str,
    pub json: &'a Value,
}

impl Case<'_> {
    pub fn name(&self) -> &str {
        self.json["name"].as_str().unwrap_or("<unnamed>")
    }

    pub fn kind(&self) -> &str {
        self.json["kind"].as_str().unwrap_or("")
    }

    /// Where a failure is: `file, case "name", field "field"`.
    pub fn at(&self, field: &str) -> String {
        format!("{}, case {:?}, field {field:?}", self.file, self.name())
    }

    pub fn str(&self, field: &str) -> &str {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: missing or not a string", self.at(field)))
    }

    pub fn u64(&self, field: &str) -> u64 {
        self.json[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{}: missing or not a number", self.at(field)))
    }

    pub fn bool(&self, field: &str) -> bool {
        self.json[field].as_bool().unwrap_or(false)
    }

    pub fn hex(&self, field: &str) -> Vec<u8> {
        decode_hex(self.str(field)).unwrap_or_else(|e| panic!("{}: {e}", self.at(field)))
    }

    pub fn hex_array<const N: usize>(&self, field: &str) -> [u8; N] {
        let bytes = self.hex(field);
        bytes
            .as_slice()
            .try_into()
            .unwrap_or_else(|_| panic!("{}: {} bytes, expected {N}", self.at(field), bytes.len()))
    }

    /// Asserts that `actual` equals the hex field, naming the field on failure.
    pub fn check(&self, field: &str, actual: &[u8]) {
        let expected = self.hex(field);
        assert!(
            expected == actual,
            "{}: mismatch\n  expected {}\n  actual   {}",
            self.at(field),
            encode_hex(&expected),
            encode_hex(actual)
        );
    }
}

pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| format!("bad hex at {i}: {e}"))
        })
        .collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
