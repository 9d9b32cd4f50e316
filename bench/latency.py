#!/usr/bin/env python3
"""Keystroke echo latency through `breakglass shell` (with its status row and without),
script(1) and a bare PTY, in the same rounds.

Each variant runs `sh -c 'stty raw -echo; exec cat'` on a PTY of the harness. Once `cat`
runs and the harness's PTY has echo off (breakglass and script put it in raw mode; bare,
the stty itself), the harness writes one byte to its PTY master and times until that byte
comes back, waits about 2 ms, and goes on with the next: 10 untimed keys, then 200 timed
ones. Through breakglass and script a byte makes two PTY round trips (outer and inner);
bare, one. The three variants alternate, the order rotating each round.

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import errno
import os
import select
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import termios
import time

from common import (bench_env, descendants, end_facts, facts_lines, fmt_table, fresh_workdir,
                    log, log_facts, machine_facts, mmm, need, parse_args, percentile,
                    proc_table, reap, save_report, session_logs, spawn_on_pty, verdict,
                    verify_log, wait_for)

KEYS = 200  # timed keys per run
DISCARD = 10  # untimed keys before them
GAP_S = 0.002  # between a key's echo and the next key
KEY_TIMEOUT_S = 5.0
INNER = "stty raw -echo; exec cat"
TARGET_OVER_SCRIPT_US = 50.0  # breakglass median <= script's median + this

# "no-row" is breakglass with --no-status-line: the status row's own cost, same rounds.
VARIANTS = ("breakglass", "no-row", "script", "bare")
KEYCHARS = b"abcdefghijklmnopqrstuvwxyz"


def drain_quiet(fd: int, quiet_s: float, limit_s: float = 10.0) -> int:
    """Read fd until nothing has come for quiet_s; return the bytes read."""
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    got, deadline = 0, time.monotonic() + limit_s
    while time.monotonic() < deadline and poll.poll(quiet_s * 1000):
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        got += len(data)
    return got


def drain_eio(fd: int, limit_s: float = 10.0) -> None:
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if not poll.poll(100):
            continue
        try:
            if not os.read(fd, 65536):
                return
        except OSError as e:
            if e.errno != errno.EINTR:
                return


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin
        self.script = need("latency.py", "script")
        self.sh = need("latency.py", "sh")
        self.workdir = fresh_workdir(args.out, "runs-latency")
        self.env = bench_env(self.workdir)

    def run_one(self, variant: str) -> dict:
        tmp = tempfile.mkdtemp(prefix=f"{variant}-", dir=self.workdir)
        if variant in ("breakglass", "no-row"):
            row = ["--no-status-line"] if variant == "no-row" else []
            argv = [self.bin, "shell", "--dir", tmp, "-r", "bench", *row, "--", self.sh, "-c",
                    INNER]
        elif variant == "script":
            argv = [self.script, "-q", "-c", f"{shlex.quote(self.sh)} -c {shlex.quote(INNER)}",
                    os.path.join(tmp, "typescript")]
        else:
            argv = [self.sh, "-c", INNER]
        pid, m = spawn_on_pty(argv, self.env)
        try:
            def find_cat():
                tree = [q for q in proc_table() if q["pid"] == pid] + descendants(pid)
                return next((q["pid"] for q in tree if q["comm"] == "cat"), None)

            cat = wait_for(find_cat, 30, "cat")
            wait_for(lambda: not termios.tcgetattr(m)[3] & termios.ECHO, 30,
                     "echo off on the harness's PTY")
            drain_quiet(m, 0.2)  # banner, title, anything said at the start
            poll = select.poll()
            poll.register(m, select.POLLIN)
            lat_us = []
            now = time.perf_counter_ns
            for i in range(DISCARD + KEYS):
                key = KEYCHARS[i % len(KEYCHARS)]
                t0 = now()
                os.write(m, bytes([key]))
                while True:
                    if not poll.poll(KEY_TIMEOUT_S * 1000):
                        raise TimeoutError(f"{variant}: key {i} did not come back")
                    data = os.read(m, 4096)
                    if key in data:
                        t1 = now()
                        break
                if i >= DISCARD:
                    lat_us.append((t1 - t0) / 1000)
                time.sleep(GAP_S)
            os.kill(cat, signal.SIGTERM)
            drain_eio(m)
            status, _ = reap(pid, 10)
        except BaseException:
            reap(pid, 0)
            raise
        finally:
            os.close(m)
        r = {"variant": variant, "lat_us": lat_us, "median": statistics.median(lat_us),
             "p90": percentile(lat_us, 90), "mean": statistics.fmean(lat_us),
             "min": min(lat_us), "max": max(lat_us), "status": status, "ok": True}
        if variant in ("breakglass", "no-row"):
            logs = session_logs(tmp)
            v = verify_log(self.bin, tmp, logs[0], self.env) if len(logs) == 1 else \
                {"exit": None, "out": f"{len(logs)} session logs"}
            r["verify_exit"], r["verify_out"] = v["exit"], v["out"]
            # Ended by SIGTERM to cat: breakglass exits with 128+15.
            r["ok"] = v["exit"] == 0
            if not r["ok"]:
                log(f"  warning: breakglass verify exit {v['exit']}: {v['out']}")
        shutil.rmtree(tmp, ignore_errors=True)
        return r

    def run(self) -> list[dict]:
        results = []
        order = list(VARIANTS)
        total = self.args.warmup + self.args.runs
        for i in range(total):
            warm = i < self.args.warmup
            k = i % len(order)
            for variant in order[k:] + order[:k]:
                r = self.run_one(variant)
                r["round"] = i - self.args.warmup
                tag = "warm-up" if warm else f"run {i - self.args.warmup + 1}/{self.args.runs}"
                log(f"  {tag:9} {variant:10} median {r['median']:7.1f} us  p90 "
                    f"{r['p90']:7.1f} us  min {r['min']:6.1f}  max {r['max']:8.1f}"
                    + ("" if r["ok"] else "  CHECK FAILED"))
                if not warm:
                    results.append(r)
        return results


def report(results: list[dict], facts: dict, runs: int) -> tuple[str, list[dict]]:
    out = ["## Machine\n", *facts_lines(facts)]
    by = {v: [r for r in results if r["variant"] == v] for v in VARIANTS}
    out.append(f"\n## Keystroke echo latency ({runs} runs per variant, alternating; "
               f"{KEYS} timed keys per run after {DISCARD} untimed, {GAP_S * 1000:.0f} ms "
               "apart)\n")
    rows = []
    med = {}
    for v in VARIANTS:
        rs = by[v]
        if not rs:
            continue
        md, p9 = mmm([r["median"] for r in rs]), mmm([r["p90"] for r in rs])
        pooled = [x for r in rs for x in r["lat_us"]]
        med[v] = md[0]
        rows.append([v, f"{md[0]:.1f}", f"{md[1]:.1f}", f"{md[2]:.1f}",
                     f"{p9[0]:.1f}", f"{p9[1]:.1f}", f"{p9[2]:.1f}",
                     f"{statistics.median(pooled):.1f}", f"{percentile(pooled, 90):.1f}",
                     f"{percentile(pooled, 99):.1f}", f"{max(pooled):.0f}"])
    out.append(fmt_table(rows, ["variant", "median us", "min", "max", "p90 us", "min",
                                "max", "all keys: median", "p90", "p99", "max"]))
    out.append("\nThe median and p90 of each run's 200 keys; the table gives the median of "
               "those over the runs, with their min and max. \"All keys\" pools every timed "
               "key of every run. Latency is from write(2) of the key to the master until "
               "the read that returns it.")
    verdicts = []
    if "breakglass" in med and "script" in med:
        rb = {r["round"]: r["median"] for r in by["script"]}
        diffs = [r["median"] - rb[r["round"]] for r in by["breakglass"] if r["round"] in rb]
        d = med["breakglass"] - med["script"]
        out.append(f"\nbreakglass median minus script median: {d:+.1f} us (per round: "
                   f"{min(diffs):+.1f} to {max(diffs):+.1f} us, median {statistics.median(diffs):+.1f}).")
        verdicts.append(verdict("latency", f"breakglass median <= script's + "
                                f"{TARGET_OVER_SCRIPT_US:.0f} us",
                                f"{med['breakglass']:.1f} us vs {med['script']:.1f} us "
                                f"({d:+.1f})", d <= TARGET_OVER_SCRIPT_US))
    if "breakglass" in med and "no-row" in med:
        out.append(f"\nThe status row's own cost (breakglass minus breakglass --no-status-line, "
                   f"median of run medians): {med['breakglass'] - med['no-row']:+.1f} us.")
    bad = [r for r in results if not r["ok"]]
    n = len(by["breakglass"])
    out.append(f"\nLog check: {n - len(bad)} of {n} breakglass runs verify (exit 0).")
    out.append("\n## Targets\n")
    out.append(fmt_table([[v["target"], v["measured"], v["result"]] for v in verdicts],
                         ["target", "measured", ""]))
    return "\n".join(out) + "\n", verdicts


def main() -> int:
    args = parse_args("latency.py", __doc__)
    facts = machine_facts()
    log_facts(facts)
    bench = Bench(args)
    results = bench.run()
    end_facts(facts)
    text, verdicts = report(results, facts, args.runs)
    print(text)
    checks_ok = all(r["ok"] for r in results)
    save_report(args, "latency", text, {"results": results}, verdicts, facts, checks_ok)
    shutil.rmtree(bench.workdir, ignore_errors=True)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
