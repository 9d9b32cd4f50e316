#!/usr/bin/env python3
"""Peak memory of `breakglass shell` over a 1 GiB session against a 10 MiB one: memory
must not grow with the session.

Each run is `sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c N'` under
breakglass, on a PTY that a minimal runner drains. Peak RSS is ru_maxrss of the process
tree (wait4), the same figure throughput.py reports; while the session runs the harness
also samples breakglass's own VmRSS and VmHWM from /proc, to show RSS over the session.
Each log is verified, then deleted. The two sizes alternate, the order rotating each
round; there is no warm-up round (peak memory does not depend on warm caches).

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

from common import (MIB, bench_env, descendants, end_facts, facts_lines, finish_on_pty,
                    fmt_table, fresh_workdir, last_record, log, log_facts, machine_facts, mmm,
                    need, parse_args, proc_status, runner_floor, save_report, session_logs,
                    start_on_pty, verdict, verify_log, wait_for)

PATTERN = "0123456789abcdefghijklmnopqrstuvwxyz"  # with yes's \n, 37 bytes a line
SIZES = {"10 MiB": 10 * MIB, "1 GiB": 1024 * MIB}
TARGET_RSS_MIB = 12.0  # peak RSS, at most, for every size
SAMPLE_S = 0.1


def expected_out(n: int) -> int:
    """The PTY's output for the first n bytes of `yes PATTERN`: every \\n becomes \\r\\n."""
    return n + n // (len(PATTERN) + 1)


class Sampler(threading.Thread):
    """VmRSS and VmHWM of one process, every SAMPLE_S, until it is gone."""

    def __init__(self, pid: int):
        super().__init__(daemon=True, name="sampler")
        self.pid = pid
        self.samples: list[tuple[float, int, int]] = []  # (t, VmRSS kB, VmHWM kB)

    def run(self) -> None:
        while True:
            st = proc_status(self.pid)
            if "VmRSS" not in st:  # gone, or a zombie
                return
            self.samples.append((time.perf_counter(), st["VmRSS"], st.get("VmHWM", 0)))
            time.sleep(SAMPLE_S)


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin
        self.sh = need("memory.py", "sh")
        self.workdir = fresh_workdir(args.out, "runs-memory")
        self.env = bench_env(self.workdir)

    def run_one(self, name: str, size: int) -> dict:
        tmp = tempfile.mkdtemp(prefix="memory-", dir=self.workdir)
        inner = f"yes {PATTERN} | head -c {size}"
        argv = [self.bin, "shell", "--dir", tmp, "-r", "bench", "--", self.sh, "-c", inner]
        if self.args.sync:
            os.sync()
        p = start_on_pty(argv, self.env)
        sampler = None
        try:
            bg = wait_for(lambda: next((q["pid"] for q in descendants(p.pid)
                                        if q["comm"] == "breakglass"), None), 30,
                          "the breakglass process", step=0.001)
            sampler = Sampler(bg)
            sampler.start()
            res = finish_on_pty(p, argv)
        except BaseException:
            p.kill()
            raise
        sampler.join(5)
        r = {"size_name": name, "size": size, **res,
             "mibps": expected_out(size) / MIB / res["wall"],
             "samples": [(t - res["t0"], rss, hwm) for t, rss, hwm in sampler.samples]}
        logs = session_logs(tmp)
        r["ok"] = res["status"] == 0 and res["bytes"] >= expected_out(size) and len(logs) == 1
        if len(logs) == 1:
            r["log_size"] = os.path.getsize(logs[0])
            last = last_record(logs[0]) or {}
            r["bytes_out"] = last.get("bytes_out") if last.get("k") == "x" else None
            v = verify_log(self.bin, tmp, logs[0], self.env)
            r["verify_exit"], r["verify_out"], r["verify_s"] = v["exit"], v["out"], v["wall"]
            r["ok"] &= v["exit"] == 0 and r["bytes_out"] == expected_out(size)
        if not r["ok"]:
            log(f"  warning: {name}: exit {res['status']}, {res['bytes']} bytes read "
                f"({expected_out(size)} expected), bytes_out {r.get('bytes_out')}, verify "
                f"exit {r.get('verify_exit')}: {r.get('verify_out', '')}")
        shutil.rmtree(tmp, ignore_errors=True)  # the 1 GiB log goes right away
        return r

    def run(self) -> list[dict]:
        results = []
        order = list(SIZES)
        for i in range(self.args.runs):
            k = i % len(order)
            for name in order[k:] + order[:k]:
                r = self.run_one(name, SIZES[name])
                r["round"] = i
                hwm = max((s[2] for s in r["samples"]), default=0) / 1024
                log(f"  run {i + 1}/{self.args.runs} {name:7} {r['wall']:7.2f}s "
                    f"{r['mibps']:6.1f} MiB/s  peak RSS {r['maxrss_kib'] / 1024:5.1f} MiB "
                    f"(VmHWM {hwm:.1f})  log {r.get('log_size', 0) / MIB:.0f} MiB, verify "
                    f"{r.get('verify_s', 0):.2f}s" + ("" if r["ok"] else "  CHECK FAILED"))
                results.append(r)
        return results


def rss_over_time(r: dict) -> list[str]:
    """breakglass's VmRSS (MiB) at 10%, 50% and 90% of the session, and its last VmHWM."""
    s = r["samples"]
    if not s:
        return ["-"] * 4
    at = lambda f: s[min(len(s) - 1, int(f * len(s)))][1] / 1024
    return [f"{at(0.1):.1f}", f"{at(0.5):.1f}", f"{at(0.9):.1f}", f"{s[-1][2] / 1024:.1f}"]


def report(results: list[dict], facts: dict, runs: int) -> tuple[str, list[dict]]:
    out = ["## Machine\n", *facts_lines(facts)]
    out.append(f"\n## Peak memory by session size ({runs} runs per size, alternating)\n")
    rows, peak = [], {}
    for name in SIZES:
        rs = [r for r in results if r["size_name"] == name]
        if not rs:
            continue
        rss = mmm([r["maxrss_kib"] / 1024 for r in rs])
        hwm = max((s[2] for r in rs for s in r["samples"]), default=0) / 1024
        peak[name] = max(rss[2], hwm)
        w, tp = mmm([r["wall"] for r in rs]), mmm([r["mibps"] for r in rs])
        log_mib = statistics.median(r.get("log_size", 0) for r in rs) / MIB
        rows.append([name, f"{rss[0]:.1f}", f"{rss[1]:.1f}", f"{rss[2]:.1f}", f"{hwm:.1f}",
                     *rss_over_time(rs[len(rs) // 2]), f"{log_mib:.0f}",
                     f"{w[0]:.2f}", f"{tp[0]:.1f}", f"{tp[1]:.1f}", f"{tp[2]:.1f}"])
    out.append(fmt_table(rows, ["session", "peak RSS med MiB", "min", "max",
                                "VmHWM max MiB", "RSS at 10%", "50%", "90%", "last VmHWM",
                                "log MiB", "wall med s", "MiB/s med", "min", "max"]))
    out.append(
        "\nPeak RSS is ru_maxrss of the tree (wait4): the largest single process, which is "
        f"breakglass; the runner's floor ({facts.get('rss_floor', '?')}, what `true` shows "
        "when started the same way) is the least it can show. VmHWM is breakglass's own "
        "high-water mark sampled from /proc every "
        f"{SAMPLE_S * 1000:.0f} ms; \"RSS at 10%/50%/90%\" are its VmRSS samples at those "
        "points of the session, for the middle run. The targets take the larger of the "
        "largest ru_maxrss and the largest VmHWM.")
    bad = [r for r in results if not r["ok"]]
    out.append(f"\nLog check: {len(results) - len(bad)} of {len(results)} runs verify (exit "
               "0) with bytes_out equal to the output; every log was deleted after its run.")
    verdicts = [verdict("memory", f"{name} session: peak RSS <= {TARGET_RSS_MIB:.0f} MiB",
                        f"{v:.1f} MiB", v <= TARGET_RSS_MIB) for name, v in peak.items()]
    if len(peak) == 2:
        out.append(f"\nGrowth: the 1 GiB session's peak minus the 10 MiB session's: "
                   f"{peak['1 GiB'] - peak['10 MiB']:+.1f} MiB.")
    out.append("\n## Targets\n")
    out.append(fmt_table([[v["target"], v["measured"], v["result"]] for v in verdicts],
                         ["target", "measured", ""]))
    return "\n".join(out) + "\n", verdicts


def main() -> int:
    args = parse_args("memory.py", __doc__)
    facts = machine_facts()
    log_facts(facts)
    bench = Bench(args)
    floor = runner_floor(bench.env)
    facts["rss_floor"] = f"{floor:.1f} MiB"
    log(f"peak RSS floor of the PTY runner (`true`): {floor:.1f} MiB")
    results = bench.run()
    end_facts(facts)
    text, verdicts = report(results, facts, args.runs)
    print(text)
    checks_ok = all(r["ok"] for r in results)
    save_report(args, "memory", text, {"results": results}, verdicts, facts, checks_ok)
    shutil.rmtree(bench.workdir, ignore_errors=True)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
