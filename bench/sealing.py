#!/usr/bin/env python3
"""The cost of sealing masked input (`seal_to`), against the same binary without it, in
the same run, runs alternating:

- output: `cat` of a text file through `breakglass shell` (sealing touches no output, so
  the two should be alike);
- masked lines: a program reads 25-byte secrets with echo off, one line at a time, each
  answered before the next is typed (a round trip per line, as a person types); the time
  per line with the line sealed to one age key against dropped to its length;
- the size of the record of one 25-byte secret, sealed and redacted.

The sessions seal to a fixed age public key (the example key of age's documentation):
nothing is decrypted here. Python 3.11 standard library only.

    python3 bench/sealing.py --bin target/release/breakglass
"""

from __future__ import annotations

import json
import os
import random
import select
import statistics
import time

from common import (MIB, bench_env, fmt_table, fresh_workdir, log, machine_facts,
                    parse_args, reap, run_on_pty, save_report, session_logs,
                    spawn_on_pty, verdict, verify_log)

PUBLIC_KEY = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
SECRET_LEN = 25  # the secret whose record size is reported
OUTPUT_MIB = 32  # output per run: enough for a stable rate, short enough for a quick run
LINES = 300  # masked lines per run
TARGET_OUTPUT = 0.97  # sealed / unsealed output throughput, at least
TARGET_LINE_MS = 5.0  # extra time per sealed line, at most (a person types slower)
LINE_TIMEOUT = 10.0  # one line's round trip, at most, before the run is abandoned
READER = ("stty -echo; i=0; while [ $i -lt {n} ]; do IFS= read -r l || break; "
          "i=$((i+1)); printf 'ok %d\\n' $i; done; stty echo")


def variant_env(workdir: str, name: str, sealed: bool) -> tuple[dict, str]:
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    env = bench_env(d)
    if sealed:
        with open(env["BREAKGLASS_CONFIG"], "w") as f:
            f.write(f'seal_to = ["{PUBLIC_KEY}"]\n')
    data = os.path.join(d, "data")
    env["BREAKGLASS_DIR"] = data
    return env, data


def text_file(workdir: str, seed: int) -> str:
    rng = random.Random(seed)
    path = os.path.join(workdir, "text.log")
    words = ["INFO", "request", "served", "in", "ms", "user", "cache", "miss", "db", "ok"]
    with open(path, "w") as f:
        size = 0
        while size < OUTPUT_MIB * MIB:
            line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.randrange(1_000_000)}\n"
            f.write(line)
            size += len(line)
    return path


def read_until(master: int, needle: bytes, buf: bytearray) -> None:
    deadline = time.monotonic() + LINE_TIMEOUT
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"no {needle!r} within {LINE_TIMEOUT}s")
        r, _, _ = select.select([master], [], [], left)
        if r:
            buf += os.read(master, 65536)


def masked_lines(bin_: str, env: dict, rng: random.Random) -> tuple[float, float]:
    """Seconds per masked line, round trip, and CPU seconds per line of the session's
    process tree (breakglass and the reading shell)."""
    argv = [bin_, "shell", "-r", "bench", "--", "sh", "-c", READER.format(n=LINES)]
    pid, master = spawn_on_pty(argv, env)
    buf = bytearray()
    read_until(master, b"RECORDING", buf)
    t0 = time.perf_counter()
    for i in range(1, LINES + 1):
        secret = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(SECRET_LEN))
        os.write(master, secret.encode() + b"\r")
        read_until(master, f"ok {i}\r\n".encode(), buf)
        del buf[: buf.rfind(b"ok ")]
    per_line = (time.perf_counter() - t0) / LINES
    try:
        while os.read(master, 65536):
            pass
    except OSError:
        pass
    code, ru = reap(pid, 10.0)
    os.close(master)
    if code != 0:
        raise RuntimeError(f"breakglass exited {code}")
    return per_line, (ru.ru_utime + ru.ru_stime) / LINES


def masked_record_size(logfiles: list[str]) -> int:
    """Bytes of the line (with its LF) of the first masked record of SECRET_LEN bytes."""
    for logfile in logfiles:
        with open(logfile, "rb") as f:
            for line in f:
                rec = json.loads(line)
                if rec["k"] == "i" and rec.get("redacted") == SECRET_LEN:
                    return len(line)
    raise RuntimeError(f"no masked record of {SECRET_LEN} bytes in {logfiles}")


def main() -> int:
    args = parse_args("sealing.py", __doc__)
    workdir = fresh_workdir(args.out, "sealing")
    facts = machine_facts()
    text = text_file(workdir, args.seed)
    rng = random.Random(args.seed)
    out_s = {"sealed": [], "dropped": []}
    line_s = {"sealed": [], "dropped": []}
    line_cpu = {"sealed": [], "dropped": []}
    sizes = {}
    checks_ok = True
    for run in range(args.warmup + args.runs):
        for name in ("sealed", "dropped"):
            env, data = variant_env(workdir, f"{name}-{run}", name == "sealed")
            r = run_on_pty([args.bin, "shell", "-r", "bench", "--", "cat", text], env)
            per_line, cpu = masked_lines(args.bin, env, rng)
            logs = session_logs(data)
            for lf in logs:
                v = verify_log(args.bin, data, lf, env)
                if v["exit"] != 0:
                    checks_ok = False
                    log(f"{lf} does not verify: {v['out']}")
            sizes[name] = masked_record_size(logs)
            if run >= args.warmup:
                out_s[name].append(r["wall"])
                line_s[name].append(per_line)
                line_cpu[name].append(cpu)
            log(f"run {run} {name}: cat {r['wall']:.2f}s, {per_line * 1e3:.2f} ms/line, "
                f"{cpu * 1e6:.0f} us CPU/line")
    mib_s = {k: OUTPUT_MIB / statistics.median(v) for k, v in out_s.items()}
    ms = {k: statistics.median(v) * 1e3 for k, v in line_s.items()}
    us_cpu = {k: statistics.median(v) * 1e6 for k, v in line_cpu.items()}
    ratio = mib_s["sealed"] / mib_s["dropped"]
    extra = ms["sealed"] - ms["dropped"]
    rows = [["output throughput (MiB/s)", f"{mib_s['sealed']:.1f}", f"{mib_s['dropped']:.1f}"],
            ["masked line round trip (ms)", f"{ms['sealed']:.2f}", f"{ms['dropped']:.2f}"],
            ["CPU per masked line, session tree (us)", f"{us_cpu['sealed']:.0f}",
             f"{us_cpu['dropped']:.0f}"],
            [f"record of a {SECRET_LEN}-byte secret (bytes)", str(sizes["sealed"]),
             str(sizes["dropped"])]]
    verdicts = [
        verdict("sealing", f"output throughput sealed/dropped >= {TARGET_OUTPUT}",
                f"{ratio:.3f}", ratio >= TARGET_OUTPUT),
        verdict("sealing", f"extra time per sealed line <= {TARGET_LINE_MS} ms",
                f"{extra:.2f} ms", extra <= TARGET_LINE_MS),
    ]
    text_out = (f"# Sealing: seal_to set against not set, same run\n\n"
                f"{args.runs} runs (medians), {OUTPUT_MIB} MiB of text, {LINES} masked lines "
                f"of {SECRET_LEN} bytes per run.\n\n"
                + fmt_table(rows, ["", "sealed", "dropped"]) + "\n")
    print(text_out)
    save_report(args, "sealing", text_out,
                {"output_s": out_s, "line_s": line_s, "line_cpu_s": line_cpu,
                 "record_bytes": sizes}, verdicts, facts,
                checks_ok)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
