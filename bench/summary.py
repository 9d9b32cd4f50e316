#!/usr/bin/env python3
"""One table of every target of a `bash bench/run.sh` run, PASS or MISS, from the verdict
files the bench scripts wrote into one directory (their --verdicts option).

    python3 bench/summary.py bench/out/verdicts-STAMP [PART...]

PARTs named but without a verdict file (a part that failed before its report) are listed
as such.

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import json
import os
import sys

from common import fmt_table

PARTS = ("throughput", "watchers", "latency", "memory", "seek")


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip())
    d, expected = sys.argv[1], sys.argv[2:]
    found = {}
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                v = json.load(fh)
            found[v["part"]] = v
    missing = [p for p in expected if p not in found]
    if not found:
        sys.exit(f"summary.py: no verdicts in {d}")
    order = [p for p in PARTS if p in found] + sorted(set(found) - set(PARTS))
    first = found[order[0]]["facts"]
    print(f"\n# Summary\n\n{first['nproc']} CPUs, {first['cpu']}, {first['kernel']}; "
          f"breakglass {first['breakglass_commit']}\n")
    rows = []
    for p in order:
        f = found[p]["facts"]
        rows.append([p, f["date"], f["loadavg"]])
    print(fmt_table(rows, ["part", "started", "load average (start), (end)"]))
    print()
    rows = [[v["part"], v["target"], v["measured"], v["result"]]
            for p in order for v in found[p]["verdicts"]]
    print(fmt_table(rows, ["part", "target", "measured", ""]))
    misses = sum(r[3] == "MISS" for r in rows)
    failed = [p for p in order if not found[p]["checks_ok"]] + missing
    for p in missing:
        print(f"\n{p}: no results (it failed before writing its report; see above)")
    print(f"\n{len(rows) - misses} of {len(rows)} targets met."
          + (f" Correctness checks FAILED in: {', '.join(failed)}." if failed
             else " Every correctness check (log verifies, output complete) passed."))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
