//! Metrics (spec 11.2), counted from the verified audit log.
//!
//! There is no second store: the spec's SQLite database is replaced by
//! counting the audit log's records after the whole chain verified, so the
//! numbers cannot disagree with the log, and a log that does not verify
//! gives an error, never numbers. After pruning, the counts cover the records
//! kept. Exported in the Prometheus text exposition format and as JSON.

use std::fmt::Write as _;

use honeylink_core::audit::{Anchor, Event, RotationKind};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{KeyChangeAction, RefusalReason};
use serde_json::{Map, Value, json};

use crate::Error;
use crate::audit_log::{
    AuditLog, HeadStore, Verified, action_label, method_label, refusal_label, rotation_label,
};

const METHODS: [PairingMethod; 3] = [PairingMethod::Qr, PairingMethod::Pin, PairingMethod::Nfc];
const RESULTS: [&str; 2] = ["success", "failure"];
const ROTATIONS: [RotationKind; 2] = [RotationKind::Manual, RotationKind::Emergency];
const ACTIONS: [KeyChangeAction; 3] = [
    KeyChangeAction::Block,
    KeyChangeAction::Reverify,
    KeyChangeAction::TrustNewKey,
];

/// The counters of spec 11.2, and refused sessions by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pairing: [[u64; 2]; 3],
    rotation: [u64; 2],
    key_change: [u64; 3],
    refused: [u64; 4],
    /// What the verification covered.
    pub verified: Option<Verified>,
}

/// One metric family: a name, its help, its samples (labels, value).
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, &'static str)>, u64)>,
}

impl Metrics {
    /// Verifies the audit log against `anchor` and counts its records.
    ///
    /// # Errors
    /// Every error of [`AuditLog::verify`]: a log that does not verify
    /// yields no numbers.
    pub fn from_log<H: HeadStore>(log: &AuditLog<H>, anchor: Anchor) -> Result<Self, Error> {
        let mut metrics = Self::default();
        let verified = log.verify_each(anchor, |record| metrics.count(&record.event))?;
        metrics.verified = Some(verified);
        Ok(metrics)
    }

    fn count(&mut self, event: &Event) {
        let bump = |slot: Option<&mut u64>, n: u64| {
            if let Some(slot) = slot {
                *slot = slot.saturating_add(n);
            }
        };
        match event {
            Event::Paired { method, .. } => bump(
                self.pairing
                    .get_mut(method_index(*method))
                    .and_then(|r| r.first_mut()),
                1,
            ),
            Event::PairingFailed { method, .. } => bump(
                self.pairing
                    .get_mut(method_index(*method))
                    .and_then(|r| r.get_mut(1)),
                1,
            ),
            Event::KeyRotated { kind, .. } => bump(self.rotation.get_mut(rotation_index(*kind)), 1),
            Event::KeyChangeDetected { action, .. } => {
                bump(self.key_change.get_mut(action_index(*action)), 1);
            }
            Event::SessionRefused { reason, .. } => {
                bump(self.refused.get_mut(reason.index()), 1);
            }
            Event::RefusalsSummarized { suppressed, .. } => {
                for (slot, n) in self.refused.iter_mut().zip(suppressed) {
                    bump(Some(slot), u64::from(*n));
                }
            }
            _ => {}
        }
    }

    /// Pairings by method, successful or failed.
    #[must_use]
    pub fn pairings(&self, method: PairingMethod, success: bool) -> u64 {
        self.pairing
            .get(method_index(method))
            .and_then(|r| r.get(usize::from(!success)))
            .copied()
            .unwrap_or(0)
    }

    /// Identity key rotations of this kind.
    #[must_use]
    pub fn rotations(&self, kind: RotationKind) -> u64 {
        self.rotation
            .get(rotation_index(kind))
            .copied()
            .unwrap_or(0)
    }

    /// Key changes detected, by the action the person chose.
    #[must_use]
    pub fn key_changes(&self, action: KeyChangeAction) -> u64 {
        self.key_change
            .get(action_index(action))
            .copied()
            .unwrap_or(0)
    }

    /// Sessions refused for this reason (recorded and summarized).
    #[must_use]
    pub fn sessions_refused(&self, reason: RefusalReason) -> u64 {
        self.refused.get(reason.index()).copied().unwrap_or(0)
    }

    fn families(&self) -> [Family; 4] {
        let mut pairing = Vec::new();
        for method in METHODS {
            for (i, result) in RESULTS.iter().enumerate() {
                pairing.push((
                    vec![("method", method_label(method)), ("result", *result)],
                    self.pairings(method, i == 0),
                ));
            }
        }
        [
            Family {
                name: "key_pairing_total",
                help: "Pairings by method (qr, pin, nfc) and result (success, failure).",
                samples: pairing,
            },
            Family {
                name: "key_rotation_total",
                help: "Device identity key rotations by reason (manual, emergency).",
                samples: ROTATIONS
                    .iter()
                    .map(|k| (vec![("reason", rotation_label(*k))], self.rotations(*k)))
                    .collect(),
            },
            Family {
                name: "key_change_detected_total",
                help: "Peer key changes detected, by the action chosen (block, re-verify, trust).",
                samples: ACTIONS
                    .iter()
                    .map(|a| (vec![("action", action_label(*a))], self.key_changes(*a)))
                    .collect(),
            },
            Family {
                name: "session_refused_total",
                help: "Sessions refused, by reason.",
                samples: RefusalReason::ALL
                    .iter()
                    .map(|r| {
                        (
                            vec![("reason", refusal_label(*r))],
                            self.sessions_refused(*r),
                        )
                    })
                    .collect(),
            },
        ]
    }

    /// The counters in the Prometheus text exposition format (version
    /// 0.0.4): `# HELP` and `# TYPE` lines, then one sample per label set.
    #[must_use]
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        for family in self.families() {
            let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
            let _ = writeln!(out, "# TYPE {} counter", family.name);
            for (labels, value) in family.samples {
                let labels: Vec<String> =
                    labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                let _ = writeln!(out, "{}{{{}}} {value}", family.name, labels.join(","));
            }
        }
        out
    }

    /// The counters as JSON: `{"<name>": {"help": ..., "type": "counter",
    /// "samples": [{"labels": {...}, "value": n}, ...]}, ...}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        for family in self.families() {
            let samples: Vec<Value> = family
                .samples
                .into_iter()
                .map(|(labels, value)| {
                    let labels: Map<String, Value> = labels
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Value::from(v)))
                        .collect();
                    json!({"labels": labels, "value": value})
                })
                .collect();
            out.insert(
                family.name.to_owned(),
                json!({"help": family.help, "type": "counter", "samples": samples}),
            );
        }
        Value::Object(out)
    }
}

const fn method_index(method: PairingMethod) -> usize {
    match method {
        PairingMethod::Qr => 0,
        PairingMethod::Pin => 1,
        PairingMethod::Nfc => 2,
    }
}

const fn rotation_index(kind: RotationKind) -> usize {
    match kind {
        RotationKind::Manual => 0,
        RotationKind::Emergency => 1,
    }
}

const fn action_index(action: KeyChangeAction) -> usize {
    match action {
        KeyChangeAction::Block => 0,
        KeyChangeAction::Reverify => 1,
        KeyChangeAction::TrustNewKey => 2,
    }
}
