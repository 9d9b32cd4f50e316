#!/usr/bin/env python3
"""Output throughput of `breakglass shell` with watchers attached: none, one, eight that
keep up, and one that is stopped (SIGSTOP) and never reads; next to script(1), in the same
rounds; and the watchers' own CPU per MiB of the session's output (each draws the session
from its own terminal emulator); on the 100 MiB text, then 0 and 8 watchers and script on the 8 MiB of random
bytes. Then `breakglass verify` throughput on the log of one of the text sessions.

Every variant runs `sh -c 'while [ ! -e GO ]; do sleep 0.01; done; cat FILE'` (an input of
throughput.py) on a PTY that a minimal runner drains. The harness waits
until the inner shell is waiting for GO and, for breakglass, until the log has one `join`
record per watcher; then it creates GO. Time runs from GO to the exit of the whole tree.
Each watcher (`breakglass watch`) has a PTY of its own, one row taller than the session's
(its status row), whose master a `wc -c` of the harness drains, except for the stopped
one's. The four variants alternate, the order rotating each round.

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time

from common import (MIB, ROWS, bench_env, end_facts, facts_lines, finish_drain, finish_on_pty,
                    fmt_table, fresh_workdir, last_record, log, log_facts, machine_facts,
                    mmm, need, parse_args, proc_table, reap, save_report, session_logs,
                    spawn_on_pty, start_drain, start_on_pty, verdict, verify_log, wait_for)
from throughput import prepare_inputs

TARGET_8_VS_SCRIPT = 0.85  # throughput with 8 watchers / script's, at least
TARGET_STOPPED = 1.10  # wall with a stopped watcher / wall with none, at most
TARGET_VERIFY_MBPS = 500.0  # breakglass verify, MB (10^6 bytes) of log per second, at least
N_WATCHERS = 8
SETTLE_S = 0.05  # after everything is ready, before GO: let start-up output drain

VARIANTS = ("bg-0", "bg-1", "bg-8", "bg-stopped", "script")
RANDOM_VARIANTS = ("bg-0", "bg-1", "bg-8", "script")
WATCHERS = {"bg-0": 0, "bg-1": 1, "bg-8": N_WATCHERS, "bg-stopped": 1, "script": 0}


def end_record_at(logfile: str, last: dict) -> float:
    """When the end record was written (Unix time): the genesis's start plus its t."""
    with open(logfile, "rb") as f:
        started = json.loads(f.readline())["started"]
    return datetime.datetime.fromisoformat(started).timestamp() + last.get("t", 0) / 1e6


def count_joins(logfile: str) -> int:
    with open(logfile, "rb") as f:
        return f.read().count(b'"event":"join"')


class Bench:
    def __init__(self, args, inp: dict, variants: tuple[str, ...]):
        self.args = args
        self.variants = variants
        self.bin = args.bin
        self.inp = inp
        self.script = need("watchers.py", "script")
        self.cat = need("watchers.py", "cat")
        self.sh = need("watchers.py", "sh")
        self.workdir = fresh_workdir(args.out, f"runs-watchers-{inp['name']}")
        self.env = bench_env(self.workdir)
        self.kept: str | None = None  # a 0-watcher data dir, for the verify benchmark

    def inner(self, go: str) -> str:
        return (f"while [ ! -e {shlex.quote(go)} ]; do sleep 0.01; done; "
                f"{shlex.quote(self.cat)} {shlex.quote(self.inp['path'])}")

    def run_one(self, variant: str, keep: bool) -> dict:
        tmp = tempfile.mkdtemp(prefix=f"{variant}-", dir=self.workdir)
        go = os.path.join(tmp, "GO")
        inner = self.inner(go)
        if variant == "script":
            argv = [self.script, "-q", "-c", f"{shlex.quote(self.sh)} -c {shlex.quote(inner)}",
                    os.path.join(tmp, "typescript")]
        else:
            argv = [self.bin, "shell", "--dir", tmp, "-r", "bench", "--", self.sh, "-c", inner]
        if self.args.sync:
            os.sync()
        p = start_on_pty(argv, self.env)
        n = WATCHERS[variant]
        watchers: list[tuple[int, int]] = []  # (pid, master)
        drains: list = []  # one `wc -c` per watcher PTY that is read
        r: dict = {"variant": variant, "watchers": n}
        try:
            # The inner shell is up and polling for GO (its argv is exactly sh -c INNER).
            wait_for(lambda: any(len(q["argv"]) == 3 and q["argv"][1:] == ["-c", inner]
                                 for q in proc_table()), 30, "the inner shell")
            logfile = None
            if variant != "script":
                logfile = wait_for(lambda: (session_logs(tmp) or [None])[0], 30,
                                   "the session log")
                sid = os.path.basename(logfile)[:-len(".jsonl")]
                sock = os.path.join(tmp, "live", sid + ".sock")
                wait_for(lambda: os.path.exists(sock), 30, "the live socket")
                for _ in range(n):
                    pid, master = spawn_on_pty([self.bin, "watch", "--dir", tmp, sid],
                                               self.env, rows=ROWS + 1)
                    watchers.append((pid, master))
                    if variant != "bg-stopped":
                        drains.append(start_drain(master))
                wait_for(lambda: count_joins(logfile) >= n, 30, f"{n} join records")
                if variant == "bg-stopped":
                    for pid, _ in watchers:
                        os.kill(pid, signal.SIGSTOP)
            time.sleep(SETTLE_S)
            t_go, go_epoch = time.perf_counter(), time.time()
            open(go, "w").close()
            res = finish_on_pty(p, argv)
        except BaseException:
            p.kill()
            for pid, _ in watchers:
                reap(pid, 0)
            for d in drains:
                d.kill()
            raise
        finally:
            for pid, _ in watchers:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        r.update(res)
        r["wall"] = res["t_end"] - t_go
        r["mibps"] = self.inp["out_size"] / MIB / r["wall"]
        # The watchers end with the session; collect their exit and CPU.
        wcpu, wexit = 0.0, []
        for pid, _ in watchers:
            code, ru = reap(pid, 10)
            wexit.append(code)
            wcpu += ru.ru_utime + ru.ru_stime
        drained = [finish_drain(d) for d in drains]
        for _, m in watchers:
            os.close(m)
        r["watcher_cpu"] = wcpu
        r["out_size"] = self.inp["out_size"]
        r["drain_cpu"] = sum(c for _, c in drained)
        r["watcher_exit"] = wexit
        r["watcher_bytes"] = [b for b, _ in drained]
        r["ok"] = r["status"] == 0 and r["bytes"] >= self.inp["out_size"]
        if variant != "script":
            v = verify_log(self.bin, tmp, logfile, self.env)
            last = last_record(logfile) or {}
            r["verify_exit"], r["verify_out"] = v["exit"], v["out"]
            r["joins"] = count_joins(logfile)
            r["bytes_out"] = last.get("bytes_out") if last.get("k") == "x" else None
            r["log_size"] = os.path.getsize(logfile)
            r["to_end_record"] = end_record_at(logfile, last) - go_epoch
            r["ok"] &= (v["exit"] == 0 and r["joins"] == n and r["bytes_out"] is not None
                        and r["bytes_out"] >= self.inp["size"])
        if not r["ok"]:
            log(f"  warning: {variant}: exit {r['status']}, {r['bytes']} bytes read "
                f"({self.inp['out_size']} expected), verify exit {r.get('verify_exit')}, "
                f"joins {r.get('joins')}: {r.get('verify_out', '')}")
        if keep and variant == "bg-0":
            if self.kept:
                shutil.rmtree(self.kept, ignore_errors=True)
            self.kept = tmp
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return r

    def run(self) -> list[dict]:
        results = []
        order = list(self.variants)
        total = self.args.warmup + self.args.runs
        for i in range(total):
            warm = i < self.args.warmup
            k = i % len(order)
            for variant in order[k:] + order[:k]:
                r = self.run_one(variant, keep=not warm)
                r["round"] = i - self.args.warmup
                tag = "warm-up" if warm else f"run {i - self.args.warmup + 1}/{self.args.runs}"
                extra = ""
                if r["watcher_bytes"]:
                    extra = (f"  watchers cpu {r['watcher_cpu']:5.2f}s, read "
                             f"{min(r['watcher_bytes']) / MIB:.1f}-"
                             f"{max(r['watcher_bytes']) / MIB:.1f} MiB")
                log(f"  {tag:9} {variant:10} {r['wall']:7.3f}s {r['mibps']:7.1f} MiB/s  "
                    f"cpu {r['cpu']:6.2f}s{extra}"
                    + ("" if r["ok"] else "  CHECK FAILED"))
                if not warm:
                    results.append(r)
        return results

    def verify_bench(self) -> dict:
        """`breakglass verify` on one kept 0-watcher log: one untimed run, then RUNS."""
        if not self.kept:
            return {}
        logfile = session_logs(self.kept)[0]
        size = os.path.getsize(logfile)
        runs = []
        for i in range(self.args.runs + 1):
            v = verify_log(self.bin, self.kept, logfile, self.env)
            v["mbps"] = size / 1e6 / v["wall"]
            log(f"  verify {'warm-up' if i == 0 else f'run {i}/{self.args.runs}':9} "
                f"{v['wall']:.3f}s {v['mbps']:7.1f} MB/s  cpu {v['cpu']:.2f}s  exit {v['exit']}")
            if i:
                runs.append(v)
        shutil.rmtree(self.kept, ignore_errors=True)
        return {"log_size": size, "runs": runs}


def per_mib(r: dict) -> float:
    """One watcher's CPU (ms) per MiB of the session's output, in run `r`."""
    return r["watcher_cpu"] * 1000 / r["watchers"] / (r["out_size"] / MIB)


def report(inp: dict, results: list[dict], vb: dict, facts: dict, runs: int,
           variants: tuple[str, ...], first: bool) -> tuple[str, list[dict]]:
    out = ["## Machine\n", *facts_lines(facts)] if first else []
    label = "" if inp["name"] == "text" else f"{inp['name']}: "
    by = {v: [r for r in results if r["variant"] == v] for v in variants}
    med = {v: statistics.median(r["wall"] for r in rs) for v, rs in by.items() if rs}

    def paired(a: str, b: str) -> list[float]:
        """wall(b) / wall(a) within each round: a's throughput relative to b's."""
        rb = {r["round"]: r["wall"] for r in by[b]}
        return [rb[r["round"]] / r["wall"] for r in by[a] if r["round"] in rb]

    out.append(f"\n## Throughput with watchers, {inp['name']} ({runs} runs per variant, "
               f"alternating; {inp['out_size'] / MIB:.2f} MiB of PTY output)\n")
    rows = []
    for v in variants:
        rs = by[v]
        if not rs:
            continue
        w, tp = mmm([r["wall"] for r in rs]), mmm([r["mibps"] for r in rs])
        vs0 = med["bg-0"] / med[v] if "bg-0" in med else None
        vss = med["script"] / med[v] if "script" in med else None
        p0, ps = paired(v, "bg-0"), paired(v, "script")
        wb = [b for r in rs for b in r["watcher_bytes"]]
        rows.append([
            v, f"{w[0]:.3f}", f"{w[1]:.3f}", f"{w[2]:.3f}",
            f"{tp[0]:.1f}", f"{tp[1]:.1f}", f"{tp[2]:.1f}",
            f"{vs0:.3f}" if vs0 else "-",
            f"{min(p0):.2f}-{max(p0):.2f}" if p0 else "-",
            f"{vss:.3f}" if vss else "-",
            f"{min(ps):.2f}-{max(ps):.2f}" if ps else "-",
            f"{statistics.median(r['to_end_record'] for r in rs):.3f}"
            if v != "script" else "-",
            f"{statistics.median(r['wall'] - r['to_end_record'] for r in rs):.3f}"
            if v != "script" else "-",
            f"{statistics.median(r['cpu'] for r in rs):.2f}",
            f"{statistics.median(r['watcher_cpu'] for r in rs):.2f}" if WATCHERS[v] else "-",
            f"{statistics.median(per_mib(r) for r in rs):.1f}" if wb else "-",
            f"{statistics.median(r['drain_cpu'] for r in rs):.2f}" if wb else "-",
            f"{min(wb) / MIB:.1f}-{max(wb) / MIB:.1f}" if wb else "-",
        ])
    out.append(fmt_table(rows, [
        "variant", "wall med s", "min", "max", "MiB/s med", "min", "max",
        "x 0-watcher", "per round", "x script", "per round", "GO to end record med s",
        "end record to exit med s",
        "CPU med s", "watchers CPU s", "CPU ms per watcher per output MiB", "drain CPU s",
        "MiB each watcher read"]))
    out.append(
        "\nWall is from creating GO to the exit of the whole tree. \"x 0-watcher\" and "
        "\"x script\" are throughput ratios (the other's median wall over this one's); "
        "\"per round\" is the range of the same ratio within each round. CPU is user+sys of "
        "the session's process tree (wait4): breakglass (or script), sh and cat; the "
        "watchers' CPU is theirs, summed; drain CPU is that of the `wc -c` processes that "
        "read the watchers' PTYs (one each); \"CPU ms per watcher per output MiB\" is the "
        "watchers' CPU over their number and the MiB of output (each plays what it is sent "
        "into its own emulator and redraws the rows that changed, at most 60 times a "
        "second). \"GO to end record\" is when breakglass wrote its end record "
        "(all output recorded and shown), from the log; the rest of the wall time is "
        "breakglass finishing (ledger, watchers, summary) and exiting. A watcher that falls "
        "behind is sent a fresh screen instead of the output it missed, so it may read "
        "less than the output.")

    checks = [r for r in results if r["variant"] != "script"]
    bad = [r for r in checks if not r["ok"]]
    out.append(f"\nLog check: {len(checks) - len(bad)} of {len(checks)} breakglass runs "
               "verify (exit 0), have one join record per watcher, and bytes_out covers the "
               "input.")
    for r in bad:
        out.append(f"- {r['variant']} round {r['round']}: exit {r['status']}, verify exit "
                   f"{r.get('verify_exit')}, joins {r.get('joins')}, bytes_out "
                   f"{r.get('bytes_out')}: {r.get('verify_out', '')}")

    if vb.get("runs"):
        w = mmm([v["wall"] for v in vb["runs"]])
        mb = mmm([v["mbps"] for v in vb["runs"]])
        cpu = statistics.median(v["cpu"] for v in vb["runs"])
        out.append(f"\n## breakglass verify ({len(vb['runs'])} runs on one 0-watcher log of "
                   f"{vb['log_size'] / 1e6:.1f} MB, warm page cache)\n")
        out.append(fmt_table([[f"{w[0]:.3f}", f"{w[1]:.3f}", f"{w[2]:.3f}", f"{mb[0]:.0f}",
                               f"{mb[1]:.0f}", f"{mb[2]:.0f}", f"{cpu:.3f}",
                               ", ".join(str(v["exit"]) for v in vb["runs"])]],
                             ["wall med s", "min", "max", "MB/s med", "min", "max",
                              "CPU med s", "exit"]))

    verdicts = []
    if "bg-8" in med and "script" in med:
        x = med["script"] / med["bg-8"]
        verdicts.append(verdict("watchers", f"{label}8 watchers: throughput >= "
                                f"{TARGET_8_VS_SCRIPT:.2f}x script", f"{x:.3f}x",
                                x >= TARGET_8_VS_SCRIPT))
    if "bg-stopped" in med and "bg-0" in med:
        x = med["bg-stopped"] / med["bg-0"]
        verdicts.append(verdict("watchers", "stopped watcher: wall <= "
                                f"{TARGET_STOPPED:.2f}x no-watcher wall", f"{x:.3f}x",
                                x <= TARGET_STOPPED))
    if vb.get("runs"):
        mb = statistics.median(v["mbps"] for v in vb["runs"])
        verdicts.append(verdict("verify", f"breakglass verify >= {TARGET_VERIFY_MBPS:.0f} MB/s",
                                f"{mb:.0f} MB/s", mb >= TARGET_VERIFY_MBPS))
    out.append("\n## Targets\n")
    out.append(fmt_table([[v["target"], v["measured"], v["result"]] for v in verdicts],
                         ["target", "measured", ""]))
    return "\n".join(out) + "\n", verdicts


def main() -> int:
    args = parse_args("watchers.py", __doc__)
    facts = machine_facts()
    log_facts(facts)
    inputs = prepare_inputs(args.out, args.seed, args.text_mib, args.random_mib)
    texts, verdicts, raw, checks_ok = [], [], {}, True
    for name, variants in (("text", VARIANTS), ("random", RANDOM_VARIANTS)):
        inp = dict(inputs[name], name=name)
        log(f"-- {name}")
        bench = Bench(args, inp, variants)
        results = bench.run()
        vb = bench.verify_bench() if name == "text" else {}
        if name == "random":
            end_facts(facts)
        text, v = report(inp, results, vb, facts, args.runs, variants, name == "text")
        texts.append(text)
        verdicts += v
        raw[name] = {"input": inp, "results": results, "verify": vb}
        checks_ok &= all(r["ok"] for r in results)
        checks_ok &= all(x["exit"] == 0 for x in vb.get("runs", []))
        shutil.rmtree(bench.workdir, ignore_errors=True)
    text = "\n".join(texts)
    print(text)
    save_report(args, "watchers", text, raw, verdicts, facts, checks_ok)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
