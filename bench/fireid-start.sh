#!/usr/bin/env bash
# The time a fire id adds to a session's start: the median of 10 starts of a session on a
# loopback sshd with a fire id certificate, against the same session with the developer's
# own key. Needs root (it makes users) and OpenSSH; prints one line.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test fireid_ends start_time_with_and_without_a_fire_id -- --ignored --nocapture 2>&1 |
  grep 'session start, median'
