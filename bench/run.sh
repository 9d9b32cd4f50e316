#!/usr/bin/env bash
# Output throughput, CPU, peak RSS and log size of `breakglass shell`, against script(1)
# and a bare PTY, on a 100 MiB log-like text file and 8 MiB of random bytes.
#
#   bash bench/run.sh              # 5 measured runs per variant and input
#   RUNS=7 bash bench/run.sh       # more runs; also WARMUP, SEED, TEXT_MIB, RANDOM_MIB
#
# Inputs are generated once (seeded) and cached in bench/out/, with each run's report.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
exec python3 bench/throughput.py --bin target/release/breakglass "$@"
