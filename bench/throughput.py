#!/usr/bin/env python3
"""Output throughput, CPU, memory and log size of `breakglass shell`, next to script(1)
and a bare PTY, on the same inputs in the same run.

Each variant runs `cat FILE` with a real PTY (made here) as its stdin, stdout and stderr;
this harness drains the PTY master as fast as it can and takes CPU time and peak RSS of
the whole process tree from wait4(2). The three variants alternate run after run, so a
noisy machine affects them alike.

Python 3.11 standard library only. Usually started by bench/run.sh.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import (MIB, end_facts, facts_lines, fmt_table, fresh_workdir, log, log_facts,
                    machine_facts, need, parse_args, run_on_pty, runner_floor, save_report,
                    verdict, bench_env)

GEN_VERSION = 2  # bump when the generators change, so cached inputs are rebuilt

TARGET_THROUGHPUT = 0.95  # breakglass throughput / script throughput, at least
TARGET_RSS_MIB = 12.0  # breakglass peak RSS, at most
TARGET_CPU = 1.5  # breakglass CPU seconds / script's, at most
TARGET_LOG = {"text": 1.10, "random": 1.40}  # log size / output size, at most

VARIANTS = ("breakglass", "script", "bare")
# With --signed, also breakglass recording into a data dir that has a signing key, so the
# cost of signed checkpoints is measured against the same runs.
SIGNED = "bg-signed"


# --------------------------------------------------------------------------- inputs

LEVELS = [  # name, SGR colour, weight
    ("INFO", "32", 60),
    ("DEBUG", "2", 18),
    ("WARN", "33", 12),
    ("ERROR", "1;31", 6),
    ("TRACE", "36", 4),
]
SERVICES = ["api", "auth", "billing", "db::pool", "cache", "worker", "scheduler",
            "gateway", "mailer", "search::index", "k8s::probe", "storage"]
METHODS = ["GET"] * 6 + ["POST"] * 2 + ["PUT", "DELETE", "PATCH"]
PATHS = ["/api/v1/orders/{}", "/api/v1/users/{}/profile", "/healthz", "/metrics",
         "/api/v2/search?q=invoice&page={}", "/static/app.{}.js", "/api/v1/carts/{}/items",
         "/login", "/api/v1/payments/{}/capture", "/admin/jobs/{}"]
STATUSES = [200] * 20 + [201, 204, 301, 304, 400, 401, 403, 404, 404, 409, 429, 500, 502, 503]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory",
         "oscar", "peggy", "trent", "victor", "walter", "josé", "zoë", "björn", "łukasz",
         "françois", "søren", "田中", "王芳", "김민준", "ольга"]
SQL = ['SELECT id, total FROM orders WHERE customer_id = $1 AND status = \'open\'',
       'UPDATE carts SET updated_at = now() WHERE id = $1',
       'INSERT INTO audit_log (actor, action, target) VALUES ($1, $2, $3)',
       'SELECT count(*) FROM sessions WHERE expires_at > now()',
       'DELETE FROM jobs WHERE finished_at < now() - interval \'7 days\'']
MESSAGES = [
    "cache miss, loading from origin", "connection pool exhausted, waiting for a slot",
    "retrying request after backoff", "job finished", "token refreshed",
    "upstream responded slowly", "config reloaded from /etc/app/config.yaml",
    "scheduled 14 tasks for the next window", "evicted 312 keys (lru)",
    "TLS handshake failed: certificate has expired", "user logged in",
    "disk usage above 85% on /var/lib/data", "replication lag 1.8s behind primary",
    'payload rejected: field "email" is required', "shutting down worker 3 gracefully",
    # some UTF-8
    "Überweisung abgeschlossen ✅", "déjà traité, on ignore", "キャッシュを更新しました",
    "部署完成 🚀", "¡configuración aplicada!", "warning ⚠️ quota at 90%", "build ok 🎉",
    "naïve façade: résumé parsed", "temperatura: 23 °C, humedad 40 %",
]
FRAMES = ["app.handlers.orders.create", "app.db.pool.acquire", "asyncio.tasks.wait_for",
          "app.services.billing.charge", "requests.adapters.send", "app.cli.main"]
FILES = ["orders.py", "pool.py", "tasks.py", "billing.py", "adapters.py", "main.py"]


def _level(rng: random.Random) -> tuple[str, str]:
    r = rng.random() * 100
    for name, colour, weight in LEVELS:
        if r < weight:
            return name, colour
        r -= weight
    return LEVELS[0][0], LEVELS[0][1]


def _log_lines(rng: random.Random, ts: str, out: list[str]) -> None:
    """Append one event (usually one line, sometimes a few) to `out`."""
    name, colour = _level(rng)
    if rng.random() < 0.28:  # a coloured level; with the lines that have none, ~1 in 5
        lvl = f"\x1b[{colour}m{name:<5}\x1b[0m"
    else:
        lvl = f"{name:<5}"
    kind = rng.random()
    if kind < 0.45:
        path = rng.choice(PATHS).format(rng.randrange(1, 99999))
        out.append(
            f"{ts} {lvl} http: {rng.choice(METHODS)} {path} status={rng.choice(STATUSES)} "
            f"dur={rng.randrange(1, 2500)}ms bytes={rng.randrange(0, 90000)} "
            f"req={rng.getrandbits(32):08x} user={rng.choice(USERS)}\n")
    elif kind < 0.58:
        out.append(
            f'{ts} {lvl} db::pool: query="{rng.choice(SQL)}" rows={rng.randrange(0, 500)} '
            f"took={rng.randrange(1, 4000)}ms\n")
    elif kind < 0.86:
        out.append(
            f"{ts} {lvl} {rng.choice(SERVICES)}: {rng.choice(MESSAGES)} "
            f"id={rng.randrange(1, 10**6)} user={rng.choice(USERS)}\n")
    elif kind < 0.95:  # plain command output: ls -l, ps, df
        sub = rng.random()
        if sub < 0.4:
            out.append(
                f"-rw-r--r-- 1 {rng.choice(USERS)} staff {rng.randrange(0, 10**7):>9} "
                f"Mar {rng.randrange(1, 29):>2} {rng.randrange(0, 24):02}:"
                f"{rng.randrange(0, 60):02} report-{rng.randrange(1000, 9999)}.csv\n")
        elif sub < 0.7:
            out.append(
                f"{rng.randrange(1, 99999):>7} pts/{rng.randrange(0, 9)}    00:00:"
                f"{rng.randrange(0, 60):02} {rng.choice(['bash', 'python3 worker.py', 'postgres: writer', 'nginx: worker process', 'sshd: admin@pts/0'])}\n")
        else:
            out.append(
                f"/dev/nvme0n1p{rng.randrange(1, 9)}  {rng.randrange(10, 999)}G  "
                f"{rng.randrange(1, 900)}G  {rng.randrange(1, 500)}G  "
                f"{rng.randrange(1, 100)}% /srv/data{rng.randrange(0, 9)}\n")
    else:  # an error with a short traceback
        out.append(f"{ts} {lvl} worker: unhandled exception in task "
                   f"{rng.getrandbits(48):012x}\n")
        out.append("Traceback (most recent call last):\n")
        for _ in range(rng.randrange(2, 6)):
            i = rng.randrange(len(FRAMES))
            out.append(f'  File "/srv/app/{FILES[i]}", line {rng.randrange(10, 900)}, '
                       f"in {FRAMES[i]}\n")
        out.append("TimeoutError: operation timed out after 30.0s\n")


def generate_text(path: str, size: int, seed: int) -> None:
    """Seeded, log-like terminal output of exactly `size` bytes, ending in a newline."""
    rng = random.Random(seed)
    t = 1_741_944_000.0  # a fixed start time: 2025-03-14T09:20:00Z
    written = 0
    tmp = path + ".tmp"
    last_sec, sec_str = -1, ""
    with open(tmp, "wb") as f:
        while written < size:
            lines: list[str] = []
            for _ in range(4000):
                t += rng.random() * 0.05
                sec = int(t)
                if sec != last_sec:
                    last_sec = sec
                    sec_str = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
                _log_lines(rng, f"{sec_str}.{int((t - sec) * 1e6):06d}Z", lines)
            chunk = "".join(lines).encode()
            if written + len(chunk) > size:
                # Keep whole lines that fit, then pad with one ASCII line to the exact size.
                cut = chunk.rfind(b"\n", 0, size - written) + 1
                chunk = chunk[:cut]
                rest = size - written - len(chunk)
                if rest:
                    chunk += b"-" * (rest - 1) + b"\n"
            f.write(chunk)
            written += len(chunk)
    os.replace(tmp, path)


def generate_random(path: str, size: int, seed: int) -> None:
    rng = random.Random(seed)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(rng.randbytes(size))
    os.replace(tmp, path)


def describe_input(path: str) -> dict:
    """Byte statistics, and the size and hash of what a PTY shows (\\n -> \\r\\n)."""
    size = 0
    counts = dict.fromkeys(["esc", "lf", "cr", "ctl", "quote", "backslash", "nonascii"], 0)
    ctl = bytes(b for b in range(32) if b not in (0x0A, 0x0D, 0x1B))
    out_hash = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MIB):
            size += len(chunk)
            counts["esc"] += chunk.count(b"\x1b")
            counts["lf"] += chunk.count(b"\n")
            counts["cr"] += chunk.count(b"\r")
            counts["quote"] += chunk.count(b'"')
            counts["backslash"] += chunk.count(b"\\")
            counts["ctl"] += len(chunk) - len(chunk.translate(None, ctl))
            counts["nonascii"] += len(chunk) - len(chunk.translate(None, bytes(range(128, 256))))
            out_hash.update(chunk.replace(b"\n", b"\r\n"))
    return {
        "path": path,
        "size": size,
        "counts": counts,
        "out_size": size + counts["lf"],  # the PTY turns every \n into \r\n (ONLCR)
        "out_sha256": out_hash.hexdigest(),
    }


def prepare_inputs(outdir: str, seed: int, text_mib: int, random_mib: int,
                   only: tuple[str, ...] = ("text", "random")) -> dict:
    """Generate the inputs named in `only` (unless cached in outdir) and describe them."""
    files = {
        "text": (os.path.join(outdir, f"text-{text_mib}MiB-seed{seed}-v{GEN_VERSION}.txt"),
                 text_mib * MIB, generate_text, seed),
        "random": (os.path.join(outdir, f"random-{random_mib}MiB-seed{seed}-v{GEN_VERSION}.bin"),
                   random_mib * MIB, generate_random, seed + 1),
    }
    inputs = {}
    for name, (path, size, gen, s) in files.items():
        if name not in only:
            continue
        if not (os.path.exists(path) and os.path.getsize(path) == size):
            t0 = time.monotonic()
            log(f"generating {path} ({size // MIB} MiB, seed {s}) ...")
            gen(path, size, s)
            log(f"  done in {time.monotonic() - t0:.1f}s")
        else:
            log(f"using cached {path}")
        inputs[name] = describe_input(path)
    return inputs


# --------------------------------------------------------------------------- running

class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.bin = args.bin
        self.script = need("throughput.py", "script")
        self.cat = need("throughput.py", "cat")
        self.workdir = fresh_workdir(args.out, "runs")
        self.env = bench_env(self.workdir)
        self.kept: dict[str, str] = {}  # input name -> one breakglass data dir, for verify

    def run_one(self, variant: str, name: str, inp: dict, keep: bool) -> dict:
        path = inp["path"]
        tmp = tempfile.mkdtemp(prefix=f"{variant}-{name}-", dir=self.workdir)
        if variant == SIGNED:
            # A private key is 32 random bytes as hex (docs/FORMAT.md); recording needs
            # nothing else.
            os.makedirs(os.path.join(tmp, "keys"), mode=0o700)
            fd = os.open(os.path.join(tmp, "keys", "signing.key"),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (os.urandom(32).hex() + "\n").encode())
            os.close(fd)
        if variant in ("breakglass", SIGNED):
            argv = [self.bin, "shell", "--dir", tmp, "-r", "bench", "--", self.cat, path]
        elif variant == "script":
            argv = [self.script, "-q", "-c", f"{shlex.quote(self.cat)} {shlex.quote(path)}",
                    os.path.join(tmp, "typescript")]
        else:
            argv = [self.cat, path]
        if self.args.sync:
            os.sync()  # no writeback left over from the previous run
        r = run_on_pty(argv, self.env)
        r["variant"], r["input"] = variant, name
        r["mibps"] = inp["out_size"] / MIB / r["wall"]
        r["log_size"] = None
        if variant in ("breakglass", SIGNED):
            logs = [os.path.join(tmp, "sessions", f)
                    for f in os.listdir(os.path.join(tmp, "sessions"))] \
                if os.path.isdir(os.path.join(tmp, "sessions")) else []
            if len(logs) == 1:
                r["log_size"] = os.path.getsize(logs[0])
        elif variant == "script":
            p = os.path.join(tmp, "typescript")
            r["log_size"] = os.path.getsize(p) if os.path.exists(p) else None
        if r["log_size"] is not None:
            r["log_ratio"] = r["log_size"] / inp["out_size"]
        if r["status"] != 0 or r["bytes"] < inp["out_size"]:
            log(f"  warning: {variant} on {name}: exit {r['status']}, "
                f"{r['bytes']} bytes read, {inp['out_size']} expected")
        if keep and variant == "breakglass" and name not in self.kept:
            self.kept[name] = tmp
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return r

    def run(self, inputs: dict) -> list[dict]:
        results = []
        order = list(VARIANTS) + ([SIGNED] if self.args.signed else [])
        for name, inp in inputs.items():
            total = self.args.warmup + self.args.runs
            for i in range(total):
                warm = i < self.args.warmup
                # Rotate the order every round, so no variant always goes first.
                rnd = order[i % len(order):] + order[:i % len(order)]
                for variant in rnd:
                    r = self.run_one(variant, name, inp, keep=not warm)
                    r["round"] = i - self.args.warmup
                    tag = "warm-up" if warm else f"run {i - self.args.warmup + 1}/{self.args.runs}"
                    log(f"  {name:6} {tag:9} {variant:10} {r['wall']:7.3f}s "
                        f"{r['mibps']:7.1f} MiB/s  cpu {r['cpu']:6.2f}s  "
                        f"rss {r['maxrss_kib'] / 1024:6.1f} MiB"
                        + (f"  log x{r['log_ratio']:.3f}" if r.get("log_ratio") else ""))
                    if not warm:
                        results.append(r)
        return results

    def verify(self, inputs: dict) -> list[dict]:
        checks = []
        for name, tmp in self.kept.items():
            inp = inputs[name]
            sessions = os.path.join(tmp, "sessions")
            found = os.listdir(sessions) if os.path.isdir(sessions) else []
            if len(found) != 1:
                checks.append({"input": name, "log": None, "verify_exit": None,
                               "verify_out": f"expected one session log in {sessions}",
                               "verify_s": 0.0, "bytes_out": None, "file_size": inp["size"],
                               "expected_out": inp["out_size"], "decoded": 0,
                               "decoded_matches": False, "ok": False})
                continue
            logfile = os.path.join(sessions, found[0])
            t0 = time.monotonic()
            p = subprocess.run([self.bin, "--dir", tmp, "verify", logfile],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               env=self.env)
            verify_s = time.monotonic() - t0
            h = hashlib.sha256()
            decoded = 0
            last = None
            with open(logfile, "rb") as f:
                for line in f:
                    rec = json.loads(line)
                    last = rec
                    if rec["k"] == "o":
                        data = rec["d"].encode() if "d" in rec else base64.b64decode(rec["b"])
                        decoded += len(data)
                        h.update(data)
            bytes_out = last.get("bytes_out") if last and last.get("k") == "x" else None
            checks.append({
                "input": name,
                "log": os.path.relpath(logfile),
                "verify_exit": p.returncode,
                "verify_out": (p.stdout + p.stderr).strip(),
                "verify_s": verify_s,
                "bytes_out": bytes_out,
                "file_size": inp["size"],
                "expected_out": inp["out_size"],
                "decoded": decoded,
                "decoded_matches": h.hexdigest() == inp["out_sha256"],
                "ok": (p.returncode == 0 and bytes_out is not None
                       and bytes_out >= inp["size"] and h.hexdigest() == inp["out_sha256"]),
            })
            shutil.rmtree(tmp, ignore_errors=True)
        return checks


# --------------------------------------------------------------------------- report

def report(inputs: dict, results: list[dict], checks: list[dict], facts: dict,
           runs: int) -> tuple[str, list[dict]]:
    out = []
    out.append("## Machine\n")
    out.extend(facts_lines(facts))
    out.append("\n## Inputs\n")
    rows = []
    for name, inp in inputs.items():
        c, n = inp["counts"], inp["size"]
        rows.append([name, f"{n / MIB:.0f} MiB", f"{inp['out_size'] / MIB:.2f} MiB",
                     f"{100 * c['esc'] / n:.2f}%", f"{100 * c['lf'] / n:.2f}%",
                     f"{100 * c['cr'] / n:.2f}%", f"{100 * c['ctl'] / n:.2f}%",
                     f"{100 * c['quote'] / n:.2f}%", f"{100 * c['nonascii'] / n:.2f}%"])
    out.append(fmt_table(rows, ["input", "file", "PTY output", "ESC", "LF", "CR",
                                "other C0", "quote", "non-ASCII"]))
    out.append("\nShares are of the file's bytes. PTY output is the file after the PTY's "
               "\\n -> \\r\\n; throughput and log ratios are taken against it.")

    out.append(f"\n## Results ({runs} runs per variant and input, alternating)\n")
    rows = []
    by: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        by.setdefault((r["input"], r["variant"]), []).append(r)
    med: dict[tuple[str, str], dict] = {}
    for name in inputs:
        for v in VARIANTS:
            rs = by.get((name, v), [])
            if not rs:
                continue
            walls = [r["wall"] for r in rs]
            tps = [r["mibps"] for r in rs]
            cpus = [r["cpu"] for r in rs]
            rss = max(r["maxrss_kib"] for r in rs) / 1024
            ratios = [r["log_ratio"] for r in rs if r.get("log_ratio")]
            m = {"wall": statistics.median(walls), "tp": statistics.median(tps),
                 "cpu": statistics.median(cpus), "rss": rss,
                 "log": statistics.median(ratios) if ratios else None,
                 "log_max": max(ratios) if ratios else None}
            med[(name, v)] = m
            rows.append([
                name, v,
                f"{m['wall']:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}",
                f"{m['tp']:.1f}", f"{min(tps):.1f}", f"{max(tps):.1f}",
                f"{m['cpu']:.2f}", f"{rss:.1f}",
                f"{m['log']:.3f}" if m["log"] else "-",
            ])
    out.append(fmt_table(rows, ["input", "variant", "wall med s", "min", "max",
                                "MiB/s med", "min", "max", "CPU med s", "peak RSS MiB",
                                "log/output"]))
    out.append("\nCPU is user+sys of the whole process tree (wait4), so it includes `cat`. "
               "Peak RSS is ru_maxrss: the largest single process in the tree, max over all "
               f"runs; values at the floor ({facts['rss_floor']}, what `true` shows when "
               "started the same way) mean \"this much or less\".")

    out.append("\n## breakglass against script\n")
    rows = []
    verdicts = []
    found: list[dict] = []

    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    def target(name: str, what: str, measured: str, ok: bool) -> None:
        verdicts.append([name, what, measured, mark(ok)])
        found.append(verdict("throughput", f"{name}: {what}", measured, ok))

    for name in inputs:
        b, s = med.get((name, "breakglass")), med.get((name, "script"))
        if not b or not s:
            continue
        tp = s["wall"] / b["wall"]
        paired = []
        for rb in by[(name, "breakglass")]:
            for rs in by[(name, "script")]:
                if rs["round"] == rb["round"]:
                    paired.append(rs["wall"] / rb["wall"])
        cpu = b["cpu"] / s["cpu"]
        rows.append([name, f"{tp:.3f}", f"{statistics.median(paired):.3f}",
                     f"{min(paired):.3f}-{max(paired):.3f}",
                     f"{cpu:.2f}", f"{b['rss']:.1f} / {s['rss']:.1f}"])
        target(name, f"throughput >= {TARGET_THROUGHPUT:.2f}x script", f"{tp:.4f}x",
               tp >= TARGET_THROUGHPUT)
        target(name, f"CPU <= {TARGET_CPU:.1f}x script", f"{cpu:.2f}x", cpu <= TARGET_CPU)
        target(name, f"peak RSS <= {TARGET_RSS_MIB:.0f} MiB", f"{b['rss']:.1f} MiB",
               b["rss"] <= TARGET_RSS_MIB)
        lim = TARGET_LOG[name]
        target(name, f"log <= {lim:.2f}x output", f"{b['log_max']:.3f}x",
               b["log_max"] is not None and b["log_max"] <= lim)
    out.append(fmt_table(rows, ["input", "throughput (script time / bg time)",
                                "per-round median", "per-round range", "CPU (bg / script)",
                                "peak RSS MiB bg / script"]))
    out.append("\n## Targets\n")
    out.append(fmt_table(verdicts, ["input", "target", "measured", ""]))
    out.append("\nThroughput is script's median wall time over breakglass's (\"per-round\": "
               "the same ratio within each round of alternating runs). CPU is the ratio of "
               "median CPU seconds. The log ratio in the targets is the largest of any run.")

    out.append("\n## Log check (one breakglass run per input)\n")
    rows = []
    for c in checks:
        rows.append([c["input"], f"exit {c['verify_exit']}", f"{c['verify_s']:.2f}s",
                     str(c["bytes_out"]), str(c["file_size"]), str(c["expected_out"]),
                     "yes" if c["decoded_matches"] else "NO", mark(c["ok"])])
    out.append(fmt_table(rows, ["input", "breakglass verify", "took", "bytes_out (x)",
                                "file size", "file after \\n->\\r\\n",
                                "decoded o == that", ""]))
    for c in checks:
        if c["verify_exit"] != 0:
            out.append(f"\nverify output for {c['input']}:\n{c['verify_out']}")
    return "\n".join(out) + "\n", found


def main() -> int:
    args = parse_args("throughput.py", __doc__)
    facts = machine_facts()
    log_facts(facts)
    inputs = prepare_inputs(args.out, args.seed, args.text_mib, args.random_mib)
    for name, inp in inputs.items():
        c, n = inp["counts"], inp["size"]
        log(f"{name}: {n} bytes; ESC {100 * c['esc'] / n:.2f}%, newlines "
            f"{100 * c['lf'] / n:.2f}%, non-ASCII {100 * c['nonascii'] / n:.2f}%; "
            f"PTY output {inp['out_size']} bytes")
    bench = Bench(args)
    floor = runner_floor(bench.env)
    facts["rss_floor"] = f"{floor:.1f} MiB"
    log(f"peak RSS floor of the PTY runner (`true`): {floor:.1f} MiB")
    results = bench.run(inputs)
    checks = bench.verify(inputs)
    end_facts(facts)
    text, verdicts = report(inputs, results, checks, facts, args.runs)
    print(text)
    checks_ok = all(c["ok"] for c in checks)
    save_report(args, "throughput", text,
                {"inputs": inputs, "results": results, "checks": checks},
                verdicts, facts, checks_ok)
    shutil.rmtree(bench.workdir, ignore_errors=True)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
