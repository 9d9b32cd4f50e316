#!/usr/bin/env python3
"""Shipping to an S3 store: recording throughput of `breakglass shell` with shipping on
against off (same run, alternating, 100 MiB of log-like text), and the delay from a
record's write to its chunk being in the bucket.

Starts its own single-node Ceph radosgw with tests/support/radosgw.sh (root, and the
Debian packages ceph-mon, ceph-osd, radosgw, ceph-common) and reads the bucket with boto3
(python3-boto3). Usually started as `PARTS=ship bash bench/run.sh`.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from common import (MIB, bench_env, fmt_table, fresh_workdir, log, machine_facts, parse_args,
                    run_on_pty, save_report, verdict)
from throughput import generate_text

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = os.path.join(HERE, "..", "tests", "support")
ACCESS, SECRET = "BGKBENCHACCESSKEY001", "bgk-bench-secret-key-0123456789abcdef"
BUCKET = "bgk-bench"
TARGET_RATIO = 0.90  # throughput with shipping / without, at least
TARGET_DELAY_S = 12.0  # worst write-to-bucket delay: the 10 s interval plus an upload
MARKS = 30  # records written for the delay measurement, one a second


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_client(endpoint: str):
    import boto3
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=ACCESS, aws_secret_access_key=SECRET)


def config(workdir: str, endpoint: str | None, bastion: str) -> str:
    path = os.path.join(workdir, f"config-{bastion}.toml")
    with open(path, "w") as f:
        if endpoint:
            f.write(f'[store]\nurl = "s3://{BUCKET}/bench"\nendpoint = "{endpoint}"\n'
                    f'bastion = "{bastion}"\n')
    return path


def throughput(args, bin_: str, env: dict, text: str, workdir: str, endpoint: str) -> dict:
    conf = {"off": config(workdir, None, "off"), "on": config(workdir, endpoint, "on")}
    res: dict[str, list[dict]] = {"off": [], "on": []}
    for i in range(args.warmup + args.runs):
        for variant in ("off", "on"):
            e = dict(env, BREAKGLASS_CONFIG=conf[variant],
                     BREAKGLASS_DIR=os.path.join(workdir, f"data-{variant}-{i}"))
            r = run_on_pty([bin_, "shell", "-r", "bench", "--", "/bin/cat", text], e)
            if r["status"] != 0:
                sys.exit(f"breakglass exited {r['status']} ({variant})")
            if i >= args.warmup:
                res[variant].append(r)
            log(f"  {variant}: {r['bytes'] / MIB / (r['t_last'] - r['t0']):.0f} MiB/s output, "
                f"{r['wall']:.2f} s to the end")
    return res


def delay(bin_: str, env: dict, workdir: str, endpoint: str) -> list[float]:
    """Seconds from each mark's write to the first listing that shows a chunk with it."""
    e = dict(env, BREAKGLASS_CONFIG=config(workdir, endpoint, "delay"),
             BREAKGLASS_DIR=os.path.join(workdir, "data-delay"))
    script = (f"for i in $(seq {MARKS}); do echo mark-$i-$(date +%s.%N); sleep 1; done")
    p = subprocess.Popen([bin_, "shell", "-r", "delay", "--", "sh", "-c", script], env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    s3 = s3_client(endpoint)
    seen: dict[str, float] = {}
    read: set[str] = set()
    ended = 0.0
    while p.poll() is None or len(seen) < MARKS:
        now = time.time()
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix="bench/delay/sessions/"):
            for o in page.get("Contents", []):
                if o["Key"] in read:
                    continue
                read.add(o["Key"])
                body = s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode()
                for line in body.splitlines():
                    rec = json.loads(line)
                    if rec.get("k") == "o":
                        for tok in rec.get("d", "").split():
                            if tok.startswith("mark-"):
                                seen.setdefault(tok, now)
        if p.poll() is not None:
            ended = ended or time.time()
            if len(seen) >= MARKS or time.time() > ended + 30:
                break
        time.sleep(0.1)
    p.wait()
    return [t - float(tok.split("-", 2)[2]) for tok, t in seen.items()]


def peak_rss_mib(argv: list[str], env: dict) -> float:
    """Run argv to the end on a PTY, started by the minimal runner (so the figure is not
    this script's own memory, which a forked child starts with), and return its peak RSS
    in MiB."""
    r = run_on_pty(argv, env)
    if r["status"] != 0:
        sys.exit(f"{argv[1:]} exited {r['status']}")
    return r["maxrss_kib"] / 1024


LINE = "2026-11-30T04:51:07Z INFO api GET /api/v1/orders/4411 200 12ms user=alice"


def memory(bin_: str, env: dict, workdir: str, endpoint: str) -> dict:
    """Peak RSS of reading a session from the bucket (verify, export as text), for a
    1 GiB session and a 10 MiB one."""
    out = {}
    for name, size in (("10 MiB", 10 * MIB), ("1 GiB", 1024 * MIB)):
        e = dict(env, BREAKGLASS_CONFIG=config(workdir, endpoint, "mem"),
                 BREAKGLASS_DIR=os.path.join(workdir, "data-mem"))
        script = f"yes '{LINE}' | head -c {size}"
        r = run_on_pty([bin_, "shell", "-r", "memory", "--", "/bin/sh", "-c", script], e)
        if r["status"] != 0:
            sys.exit(f"recording the {name} session failed")
        sessions = os.path.join(workdir, "data-mem", "sessions")
        newest = max(os.listdir(sessions),
                     key=lambda f: os.path.getmtime(os.path.join(sessions, f)))
        sid = newest.removesuffix(".jsonl")
        url = f"s3://{BUCKET}/bench"
        verify = peak_rss_mib([bin_, "--store", url, "verify", sid], e)
        dest = os.path.join(workdir, f"export-{sid}.txt")
        export = peak_rss_mib([bin_, "--store", url, "export", sid, "--format", "text",
                               "-o", dest], e)
        os.unlink(dest)
        out[name] = {"verify": verify, "export_text": export,
                     "log_mib": os.path.getsize(os.path.join(sessions, newest)) / MIB}
        log(f"  {name}: verify {verify:.1f} MiB, export {export:.1f} MiB peak RSS")
    return out


def main() -> int:
    def extra(ap):
        ap.add_argument("--parts", default="throughput,delay,memory",
                        help="comma-separated: throughput, delay, memory (default: all)")
    args = parse_args("ship.py", __doc__, extra)
    parts = set(args.parts.split(","))
    workdir = fresh_workdir(args.out, "ship")
    env = bench_env(workdir)
    env.update(AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_EC2_METADATA_DISABLED="true")
    text = os.path.join(args.out, f"ship-text-{args.text_mib}m-{args.seed}.log")
    if not os.path.exists(text):
        generate_text(text, args.text_mib * MIB, args.seed)
    gw = tempfile.mkdtemp(prefix="bgk-bench-rgw-")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    script = os.path.join(SUPPORT, "radosgw.sh")
    subprocess.run(["bash", script, "start", gw, str(port), ACCESS, SECRET], check=True)
    try:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
        res = (throughput(args, args.bin, env, text, workdir, endpoint)
               if "throughput" in parts else {"off": [], "on": []})
        delays = delay(args.bin, env, workdir, endpoint) if "delay" in parts else []
        mem = memory(args.bin, env, workdir, endpoint) if "memory" in parts else {}
    finally:
        subprocess.run(["bash", script, "stop", gw], check=False)
        subprocess.run(["rm", "-rf", gw], check=False)

    def rate(r):  # MiB/s of output as the terminal received it
        return r["bytes"] / MIB / (r["t_last"] - r["t0"])

    raw = {"runs": res, "delays_s": delays, "memory": mem}
    lines, verdicts = [], []
    if res["off"] and res["on"]:
        rows, med = [], {}
        for v in ("off", "on"):
            rates = [rate(r) for r in res[v]]
            med[v] = statistics.median(rates)
            rows.append([f"shipping {v}", f"{med[v]:.0f} ({min(rates):.0f}-{max(rates):.0f})",
                         f"{statistics.median(r['wall'] for r in res[v]):.2f}",
                         f"{statistics.median(r['cpu'] for r in res[v]):.2f}",
                         f"{max(r['maxrss_kib'] for r in res[v]) / 1024:.1f}"])
        ratio = med["on"] / med["off"]
        lines += [fmt_table(rows, ["variant", "MiB/s median (min-max)", "wall s (to the end)",
                                   "CPU s", "peak RSS MiB"]),
                  f"throughput on/off: {ratio:.3f}"]
        verdicts.append(verdict("ship", f"throughput with shipping >= {TARGET_RATIO:.2f}x "
                                "without", f"{ratio:.3f}x", ratio >= TARGET_RATIO))
    if "delay" in parts:
        d = sorted(delays)
        lines.append(f"delay from write to bucket over {len(d)} records: median "
                     f"{statistics.median(d):.2f} s, max {d[-1]:.2f} s, min {d[0]:.2f} s"
                     if d else "delay: no record reached the bucket")
        verdicts.append(verdict("ship", f"write-to-bucket delay <= {TARGET_DELAY_S:.0f} s",
                                f"max {d[-1]:.2f} s" if d else "none",
                                bool(d) and d[-1] <= TARGET_DELAY_S))
    for k, v in mem.items():
        lines.append(f"reading a {k} session ({v['log_mib']:.0f} MiB log) from the bucket: "
                     f"peak RSS verify {v['verify']:.1f} MiB, export --format text "
                     f"{v['export_text']:.1f} MiB")
    if mem:
        big, small = mem["1 GiB"], mem["10 MiB"]
        verdicts.append(verdict(
            "ship", "reading a 1 GiB session from the bucket: peak RSS within 2 MiB of 10 MiB's",
            f"{big['export_text']:.1f} vs {small['export_text']:.1f} MiB",
            big["export_text"] <= small["export_text"] + 2 and big["verify"] <= small["verify"] + 2))
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    save_report(args, "ship", text_out, raw, verdicts, machine_facts(), True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
