#!/usr/bin/env python3
"""Replay seek time: record the 100 MiB text input through `breakglass shell -- cat` on a
PTY, then run the seek benchmark (bench/seek.rs, built as the `seek` example): load the
replay index once, then time seeks to random moments, each giving the screen as replay
draws it. Target: any seek within 200 ms after the first load.

    python3 bench/seek.py [--runs N] [--text-mib M]

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import json
import os
import subprocess

from common import (bench_env, end_facts, facts_lines, fresh_workdir, log, machine_facts,
                    parse_args, run_on_pty, save_report, session_logs, verdict, verify_log)
from throughput import prepare_inputs

TARGET_MS = 200.0
SEEKS = 50


def main() -> int:
    args = parse_args("seek.py", __doc__)
    facts = machine_facts()
    inputs = prepare_inputs(args.out, args.seed, args.text_mib, args.random_mib, only=("text",))
    work = fresh_workdir(args.out, "seek")
    env = bench_env(work)
    data = os.path.join(work, "data")
    text = inputs["text"]["path"]
    log(f"recording {text} through breakglass ...")
    run_on_pty([args.bin, "shell", "--dir", data, "-r", "seek bench", "--", "cat", text], env)
    logfile = session_logs(data)[0]
    check = verify_log(args.bin, data, logfile, env)
    example = os.path.join(os.path.dirname(args.bin), "examples", "seek")
    results = []
    for _ in range(args.runs):
        out = subprocess.run([example, logfile, str(SEEKS)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
    end_facts(facts)
    worst = max(r["max_ms"] for r in results)
    median = sorted(r["median_ms"] for r in results)[len(results) // 2]
    load = sorted(r["load_ms"] for r in results)[len(results) // 2]
    size = os.path.getsize(logfile)
    lines = [
        "# Replay seek", "", *facts_lines(facts), "",
        f"Session log: {size / 2**20:.1f} MiB, {results[0]['records']} records, {results[0]['keyframes']} keyframes.",
        f"First load (index and keyframes), median of {len(results)}: {load:.0f} ms.",
        f"{SEEKS} random seeks per run, {len(results)} runs: median {median:.1f} ms, worst {worst:.1f} ms.",
    ]
    text_report = "\n".join(lines) + "\n"
    print(text_report)
    verdicts = [verdict("seek", f"any seek in a {args.text_mib} MiB session <= {TARGET_MS:.0f} ms",
                        f"worst {worst:.1f} ms (median {median:.1f} ms; load {load:.0f} ms)", worst <= TARGET_MS)]
    save_report(args, "seek", text_report, {"results": results, "verify": check}, verdicts, facts,
                check["exit"] == 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
