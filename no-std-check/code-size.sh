#!/usr/bin/env bash
# Code size of honeylink-core on a Cortex-M4F (thumbv7em-none-eabihf), with
# and without the `fast` feature. Prints, for each build:
#   - archive: `llvm-size -t` over the no-std-check static library, i.e.
#     every function compiled for it (the core, its dependencies, core and
#     compiler_builtins), used or not: an upper bound;
#   - linked: the same library linked with rust-lld and --gc-sections, kept
#     alive only by the core's non-generic public functions (all of them;
#     the session path alone: Noise, sessions, AEAD, static keys; the
#     session path plus pairing): what firmware calling those links in.
# Generic functions (the RNG-taking constructors) are instantiated by the
# caller, so the linked figures omit their few hundred bytes of glue.
#
#   bash no-std-check/code-size.sh
# Needs the thumbv7em-none-eabihf target and llvm-nm/llvm-size (Debian: llvm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CARGO=${CARGO:-cargo}
target=thumbv7em-none-eabihf
sysroot=$(rustc --print sysroot)
lld=$(find "$sysroot/lib/rustlib" -name rust-lld -type f | head -1)
dir=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

keep() { # regex over the core's mangled symbols -> "-u sym" arguments
    llvm-nm --defined-only "$1" 2>/dev/null | awk '$2 == "T" {print $3}' |
        grep '14honeylink_core' | grep -E "$2" | sed 's/^/-u /' | tr '\n' ' '
}

printf '%-10s %-34s %10s\n' build what "text+rodata (bytes)"
for build in default fast; do
    features=()
    [ "$build" = fast ] && features=(--features honeylink-core/fast)
    "$CARGO" build --quiet --release --target "$target" "${features[@]}"
    lib="$dir/$target/release/libhoneylink_no_std_check.a"
    cp "$lib" "$out/$build.a"
    total=$(llvm-size -t "$out/$build.a" | awk 'END {print $1}')
    printf '%-10s %-34s %10s\n' "$build" "archive (upper bound)" "$total"
    for part in "all:." \
        "session path:5noise9handshake|7session|4aead|6x2551912StaticSecret" \
        "session path + pairing:5noise9handshake|7session|4aead|6x2551912StaticSecret|7pairing"; do
        name=${part%%:*}
        # shellcheck disable=SC2046
        "$lld" -flavor gnu -o "$out/$build.elf" --gc-sections \
            $(keep "$out/$build.a" "${part#*:}") "$out/$build.a" 2>/dev/null
        size=$(llvm-size "$out/$build.elf" | awk 'NR == 2 {print $1}')
        printf '%-10s %-34s %10s\n' "$build" "linked: $name" "$size"
    done
done
