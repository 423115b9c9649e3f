#!/usr/bin/env bash
# Runs each fuzz target for a bounded time from its seeds (keeping its corpus
# in corpus/<target>), then measures which lines of the code it exists to
# test that corpus and the seeds reach, with `cargo fuzz coverage` and `llvm-cov report`.
#
#   cd fuzz && ./coverage.sh 600                   # every target, 10 minutes each
#   cd fuzz && ./coverage.sh 60 pin_calls noise_xx # some targets, a minute each
#   cd fuzz && JOBS=2 ./coverage.sh 600 ...        # two targets at a time
#
# JOBS (default 1) targets run side by side, each on one core (libFuzzer is
# single-threaded); give each its own core, or the executions per target fall.
# The coverage builds and reports come after every run has ended, one target
# at a time. Exits non-zero if a run stopped early (a crash: its input is in
# artifacts/<target>) or a measurement failed.
#
# Prints one line per target: executions and libFuzzer's coverage counter of
# the run, then the lines of the target's own files reached (covered/total
# and the share), per file and in all. Needs a nightly compiler with the
# llvm-tools-preview component, and cargo-fuzz. Reports go to
# coverage/<target>/report.txt.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-600}
shift || true

# The files each target exists to test: the state machine or decoder it
# drives, not the honest party or the crypto it passes through.
declare -A files=(
  [noise_xx]="core/src/noise/handshake.rs core/src/noise/symmetric.rs core/src/noise/cipher.rs"
  [noise_xxpsk2]="core/src/noise/handshake.rs core/src/noise/symmetric.rs core/src/noise/cipher.rs"
  [stream_record]="core/src/session/stream.rs core/src/noise/cipher.rs"
  [datagram_record]="core/src/session/datagram.rs core/src/session/window.rs"
  [handshake_payload]="core/src/wire/handshake.rs"
  [pairing_payload_binary]="core/src/pairing/payload.rs"
  [pairing_payload_text]="core/src/pairing/payload.rs core/src/wire/base32.rs"
  [ndef_message]="core/src/pairing/ndef.rs"
  [pin_initiator]="core/src/pairing/pin.rs core/src/pairing/cpace.rs"
  [pin_responder]="core/src/pairing/pin.rs core/src/pairing/cpace.rs core/src/pairing/pin_guard.rs"
  [pin_calls]="core/src/pairing/pin.rs core/src/pairing/cpace.rs core/src/pairing/pin_guard.rs core/src/pairing/run.rs"
  [proximity_initiator]="core/src/pairing/proximity.rs core/src/pairing/run.rs"
  [proximity_responder]="core/src/pairing/proximity.rs core/src/pairing/run.rs"
  [proximity_calls]="core/src/pairing/proximity.rs core/src/pairing/run.rs"
  [session_initiator]="core/src/session/establish.rs core/src/trust/decision.rs"
  [session_responder]="core/src/session/establish.rs core/src/trust/decision.rs"
  [session_calls]="core/src/session/establish.rs core/src/session/stream.rs core/src/noise/handshake.rs"
  [audit_record]="core/src/audit/record.rs core/src/audit/event.rs"
  [audit_chain]="core/src/audit/verify.rs core/src/audit/record.rs"
  [trust_image]="core/src/trust/store.rs"
  [fingerprint_text]="core/src/identity/fingerprint.rs"
  [device_id_text]="core/src/identity/device_id.rs"
  [device_name]="core/src/identity/name.rs"
  [base32]="core/src/wire/base32.rs"
  [host_key_file]="host/src/keys/file.rs"
  [host_trusted_peers]="host/src/peers.rs"
  [host_config]="host/src/config.rs"
  [host_identity]="host/src/identity.rs"
  [host_pin_guard]="host/src/pin_state.rs"
  [host_rotation_journal]="host/src/rotation.rs"
  [host_audit_head]="host/src/audit_log.rs"
  [host_audit_line]="host/src/audit_log.rs"
  [host_frames]="host/src/transport.rs"
)

targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

llvm_bin="$(rustc +nightly --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin"
root=$(cd .. && pwd)
# Phase 1: fuzz. Phase 2: measure, one target at a time (an instrumented
# build uses every core, and must not slow a run still being timed).
fuzz_one() {
  local t=$1
  mkdir -p "corpus/$t" "coverage/$t"
  rm -f "coverage/$t/STOPPED_EARLY"
  if ! cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"coverage/$t/run.txt" 2>&1; then
    touch "coverage/$t/STOPPED_EARLY"
    echo "$t: THE RUN STOPPED EARLY (a crash?): see fuzz/coverage/$t/run.txt and fuzz/artifacts/$t" >&2
    return 1
  fi
}

measure() {
  local t=$1 execs cov per_file total f
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "coverage/$t/run.txt" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "coverage/$t/run.txt" | tail -1 | grep -o '[0-9]*$' || true)
  # The seeds too: libFuzzer writes only new inputs to the first directory,
  # so the corpus alone misses what only the seeds reach.
  cargo +nightly fuzz coverage "$t" "corpus/$t" "seeds/$t" >"coverage/$t/build.txt" 2>&1 || {
    echo "$t: COVERAGE BUILD FAILED: see fuzz/coverage/$t/build.txt" >&2
    return 1
  }
  local paths=()
  for f in ${files[$t]}; do paths+=("$root/$f"); done
  "$llvm_bin/llvm-cov" report \
    "target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$t" \
    -instr-profile="coverage/$t/coverage.profdata" "${paths[@]}" >"coverage/$t/report.txt" || {
    echo "$t: LLVM-COV FAILED" >&2
    return 1
  }
  # Columns of llvm-cov report: name, regions, missed, cover, functions,
  # missed, executed, lines, missed, cover, ...
  per_file=$(awk -v root="$root/" '$1 ~ /\.rs$/ { sub(root, "", $1); printf "%s %d/%d; ", $1, $8 - $9, $8 }' "coverage/$t/report.txt")
  total=$(awk '$1 == "TOTAL" { printf "%d/%d lines (%s)", $8 - $9, $8, $10 }' "coverage/$t/report.txt")
  local stopped=""
  [[ -e coverage/$t/STOPPED_EARLY ]] && stopped=" STOPPED EARLY;"
  echo "$t: ${seconds}s,${stopped} ${execs:-?} execs, cov ${cov:-?}; $total; ${per_file}"
}

for t in "${targets[@]}"; do
  if [[ -z ${files[$t]:-} ]]; then
    echo "$t: no files listed in coverage.sh" >&2
    exit 1
  fi
done
jobs=${JOBS:-1}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "JOBS must be a positive whole number, not '$jobs'" >&2
  exit 1
fi
# Stop every run on Ctrl-C (background jobs ignore SIGINT by themselves).
trap 'trap - INT TERM; kill 0' INT TERM
# Build once, before the runs start side by side.
mkdir -p coverage
cargo +nightly fuzz build >coverage/build.txt 2>&1 || {
  echo "the fuzz build failed: see fuzz/coverage/build.txt" >&2
  exit 1
}
failed=0
pids=()
for t in "${targets[@]}"; do
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=$((failed + 1))
    pids=("${pids[@]:1}")
  fi
  fuzz_one "$t" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid" || failed=$((failed + 1))
done
for t in "${targets[@]}"; do
  measure "$t" || failed=$((failed + 1))
done
if ((failed > 0)); then
  echo "$failed run(s) or measurement(s) failed: see the messages above" >&2
  exit 1
fi
