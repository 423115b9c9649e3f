#!/usr/bin/env bash
# Adds up cargo-mutants outcomes and gates on them.
#
#   mutation-score.sh DIR...
#
# Each DIR holds the outcome lists of one run (caught.txt, missed.txt,
# unviable.txt, timeout.txt: what `cargo mutants --output X` writes under
# X/mutants.out). Prints the counts and every missed mutant, and fails when
# fewer than 95% of the viable mutants (caught + missed; unviable ones do not
# compile and test nothing) are caught, or when more than 5% of the mutants
# tested timed out (a timeout is neither, and many would hide a weak score).
set -euo pipefail

if (($# == 0)); then
    echo "usage: $0 DIR..." >&2
    exit 2
fi

# A run that left any of the four lists out did not finish: its misses
# would go uncounted.
for dir in "$@"; do
    for kind in caught missed unviable timeout; do
        if [[ ! -f $dir/$kind.txt ]]; then
            echo "$dir/$kind.txt is missing: that run did not finish"
            exit 1
        fi
    done
done

count() {
    local kind=$1 dir total=0 n
    shift
    for dir in "$@"; do
        n=$(grep -c . "$dir/$kind.txt") || [[ $? == 1 ]]
        total=$((total + n))
    done
    echo "$total"
}

caught=$(count caught "$@")
missed=$(count missed "$@")
unviable=$(count unviable "$@")
timeout=$(count timeout "$@")
viable=$((caught + missed))
echo "caught $caught, missed $missed, unviable $unviable, timeout $timeout"
if ((missed != 0)); then
    echo "--- missed mutants"
    for dir in "$@"; do
        cat "$dir/missed.txt"
    done | sort
fi
if ((viable == 0)); then
    echo "no viable mutants: the run did not happen"
    exit 1
fi
echo "score: $((100 * caught / viable))% of $viable viable mutants caught"
if ((100 * caught < 95 * viable)); then
    echo "below the 95% target"
    exit 1
fi
if ((100 * timeout > 5 * (viable + timeout))); then
    echo "more than 5% of the mutants tested timed out: raise the timeout or fix the tests"
    exit 1
fi
