#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 60), one after another, and exit non-zero
# if any of them crashed, hung, ran out of memory or failed to build.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Environment:
#   FUZZ_JOBS=N          run N targets at once (default 1: one after another)
#   FUZZ_SANITIZER=S     none (default; the parsers are safe Rust, and this is ~10x faster)
#                        or address (AddressSanitizer; falls back to none if it fails)
#   FUZZ_ARGS="..."      extra libFuzzer flags, e.g. "-max_len=65536"
#
# Works on the stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the nightly-only
# flags it needs (-Zsanitizer, sanitizer coverage). Inputs found are kept in
# fuzz/corpus/<target>; crashes land in fuzz/artifacts/<target>; logs in fuzz/logs.
set -uo pipefail
cd "$(dirname "$0")"

secs="${1:-60}"
shift || true
all=(verify_log ledger live_protocol watch_keys pace)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
jobs="${FUZZ_JOBS:-1}"
san="${FUZZ_SANITIZER:-none}"
export RUSTC_BOOTSTRAP=1

case "$secs" in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked || exit 2
fi

# -a: debug assertions and overflow checks on, in breakglass too: an arithmetic overflow
# on crafted input is a finding, even though release builds would wrap silently.
flags=(-a -s "$san")
if ! cargo fuzz build "${flags[@]}"; then
  if [ "$san" != none ]; then
    echo "building with -s $san failed; trying -s none" >&2
    san=none
    flags=(-a -s none)
    cargo fuzz build "${flags[@]}" || exit 2
  else
    exit 2
  fi
fi

mkdir -p logs
run_one() {
  local t="$1"
  mkdir -p "corpus/$t" "artifacts/$t" "seeds/$t" "regressions/$t"
  # Regressions and seeds are read (and run) first; new inputs go to corpus/<t>.
  # shellcheck disable=SC2086
  cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" "regressions/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" ${FUZZ_ARGS:-} >"logs/$t.log" 2>&1
  local rc=$?
  echo "$rc" >"logs/$t.rc"
  return "$rc"
}

summary() {
  local t="$1" rc
  rc="$(cat "logs/$t.rc" 2>/dev/null || echo '?')"
  local done_line execs secs_run
  done_line="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "logs/$t.log" | tail -n 1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n 1)"
  secs_run="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "logs/$t.log" | tail -n 1)"
  if [ "$rc" = 0 ]; then
    printf '%-14s ok     %s execs in %ss  %s\n' "$t" "${execs:-?}" "${secs_run:-?}" "$done_line"
  else
    printf '%-14s FAILED (exit %s): see fuzz/logs/%s.log and fuzz/artifacts/%s/\n' "$t" "$rc" "$t" "$t"
    grep -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)|Test unit written to' "logs/$t.log" | head -n 5 | sed 's/^/    /'
  fi
}

echo "fuzzing ${targets[*]} for ${secs}s each (sanitizer: $san, $jobs at a time)" >&2
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  echo "  $t ..." >&2
  run_one "$t" &
  running=$((running + 1))
done
wait

failed=0
for t in "${targets[@]}"; do
  summary "$t"
  [ "$(cat "logs/$t.rc" 2>/dev/null)" = 0 ] || failed=1
done
exit "$failed"
