#!/usr/bin/env bash
# The breakglass benchmark, one command: builds the release binary, then measures, each
# against its comparison in the same run (alternating runs, medians with min and max):
#
#   throughput  output throughput, CPU, peak RSS and log size of `breakglass shell`
#               against script(1) and a bare PTY (100 MiB of log-like text, 8 MiB random)
#   watchers    throughput with 0, 8 and 1 stopped watcher against script; and
#               `breakglass verify` throughput on a 100 MiB session's log
#   latency     keystroke echo latency through breakglass, script and a bare PTY
#   memory      peak RSS of a 1 GiB session against a 10 MiB one
#   seek        replay seek time anywhere in a 100 MiB session (bench/seek.rs)
#   sealing     (only when named in PARTS) output throughput and the time per masked
#               line with seal_to against without, and the size of a sealed record
#   ship        throughput with shipping to S3 on against off, and write-to-bucket delay
#               (needs root and Ceph's radosgw; only when asked: PARTS=ship)
#
# and ends with one table of every target, PASS or MISS.
#
#   bash bench/run.sh                     # everything, 5 measured runs each
#   RUNS=7 bash bench/run.sh              # more runs; also WARMUP, SEED, TEXT_MIB, RANDOM_MIB
#   PARTS="watchers latency" bash bench/run.sh   # only some parts
#   bash bench/run.sh --no-sync           # options are passed to every part (see --help)
#
# Inputs are generated once (seeded) and cached in bench/out/, with each part's report
# and raw data. Exits non-zero if a correctness check failed (a log that does not verify,
# output missing), not for a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
cargo build --release --example seek
parts=${PARTS:-throughput watchers latency memory seek}
verdicts=bench/out/verdicts-$(date +%Y%m%d-%H%M%S)
mkdir -p "$verdicts"
rc=0
for part in $parts; do
    case $part in
        throughput|watchers|latency|memory|seek|sealing|ship) ;;
        *) echo "run.sh: unknown part '$part' (throughput watchers latency memory seek sealing ship)" >&2; exit 2 ;;
    esac
    echo "== $part" >&2
    python3 "bench/$part.py" --bin target/release/breakglass --verdicts "$verdicts" "$@" || rc=1
done
python3 bench/summary.py "$verdicts" $parts || rc=1
exit $rc
