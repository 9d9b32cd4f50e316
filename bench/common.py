"""Helpers shared by the bench scripts (throughput.py, watchers.py, latency.py,
memory.py, summary.py): running a program on a PTY of our own, finding processes,
machine facts, statistics, tables, and the verdict files that summary.py turns into one
table at the end of `bash bench/run.sh`.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import errno
import fcntl
import json
import os
import platform
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

MIB = 1024 * 1024
COLS, ROWS = 120, 40
READ_BUF = 1 << 20
HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- arguments

def add_common_args(ap: argparse.ArgumentParser) -> None:
    """The options every bench script takes, so bench/run.sh can pass its arguments to
    each of them; a script ignores the ones it has no use for."""
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "breakglass"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)))
    ap.add_argument("--warmup", type=int, default=int(os.environ.get("WARMUP", 1)),
                    help="untimed rounds before the measured ones (default 1)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 20250314)))
    ap.add_argument("--text-mib", type=int, default=int(os.environ.get("TEXT_MIB", 100)))
    ap.add_argument("--random-mib", type=int, default=int(os.environ.get("RANDOM_MIB", 8)))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--no-sync", dest="sync", action="store_false",
                    help="do not sync(2) before each run")
    ap.add_argument("--signed", action="store_true",
                    help="throughput: also run breakglass with a signing key in its data dir")
    ap.add_argument("--verdicts", default=None,
                    help="directory to write this script's targets into, for summary.py")


def parse_args(prog: str, doc: str, extra=None) -> argparse.Namespace:
    if sys.version_info < (3, 11):
        sys.exit(f"{prog} needs Python 3.11 or newer")
    ap = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    add_common_args(ap)
    if extra:
        extra(ap)
    args = ap.parse_args()
    if args.runs < 1:
        sys.exit("--runs must be at least 1")
    args.bin = os.path.abspath(args.bin)
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"{prog}: no breakglass binary at {args.bin}: cargo build --release")
    os.makedirs(args.out, exist_ok=True)
    return args


def bench_env(workdir: str) -> dict:
    """The environment every variant runs in: an empty breakglass config (defaults,
    whatever ~/.config holds), a known TERM, shell and locale."""
    config = os.path.join(workdir, "config.toml")
    open(config, "w").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREAKGLASS_")}
    env.update(TERM="xterm-256color", SHELL="/bin/sh", LC_ALL="C.UTF-8",
               BREAKGLASS_CONFIG=config)
    return env


def fresh_workdir(out: str, name: str) -> str:
    workdir = os.path.abspath(os.path.join(out, name))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    return workdir


def need(prog: str, name: str) -> str:
    path = shutil.which(name)
    if not path:
        sys.exit(f"{prog}: {name} not found on PATH")
    return path


# --------------------------------------------------------------------------- PTY runner

# The measured program is started by a separate, minimal Python process (`python3 -S -I`
# running this code, nothing else imported). Linux counts the RSS a process had before
# exec(2) in its ru_maxrss, and a forked child starts with its parent's memory: forked from
# a bench script, every variant would show the script's ~20 MiB. From the runner it shows
# at most the runner's own few MiB (measured as the "floor" and reported with the results).
# t0, t_last and t_end are time.perf_counter() (CLOCK_MONOTONIC), comparable across
# processes: t_last is the last read that returned bytes, t_end is taken once the whole
# tree has exited and been waited for.
RUNNER = r"""
import errno, fcntl, os, struct, sys, termios, time
rows, cols, bufsize = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
argv = sys.argv[4:]
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
readv, now = os.readv, time.perf_counter
t0 = t_last = now()
pid = os.fork()
if pid == 0:  # own session, the PTY as controlling terminal and stdio, then exec
    try:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
os.close(slave)
buf = bytearray(bufsize)  # only now, so the child does not start with it resident
got = reads = 0
while True:  # drain the master until EIO: every holder of the slave side is gone
    try:
        n = readv(master, [buf])
    except OSError as e:
        if e.errno == errno.EINTR:
            continue
        if e.errno == errno.EIO:
            break
        raise
    if n == 0:
        break
    got += n
    reads += 1
    t_last = now()
_, status, ru = os.wait4(pid, 0)
t_end = time.perf_counter()
wall = t_end - t0
os.close(master)
print(repr({"wall": wall, "t0": t0, "t_last": t_last, "t_end": t_end, "pid": pid,
            "bytes": got, "reads": reads, "status": os.waitstatus_to_exitcode(status),
            "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime,
            "maxrss_kib": ru.ru_maxrss}))
"""


def _runner_argv(argv: list[str]) -> list[str]:
    return [sys.executable, "-S", "-I", "-c", RUNNER, str(ROWS), str(COLS), str(READ_BUF),
            *argv]


def start_on_pty(argv: list[str], env: dict) -> subprocess.Popen:
    """Start argv on a new 120x40 PTY (its controlling terminal and stdio) under the
    runner, which drains the master until EIO; finish_on_pty() collects the result."""
    return subprocess.Popen(_runner_argv(argv), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def finish_on_pty(p: subprocess.Popen, argv: list[str] | None = None) -> dict:
    out, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError(f"PTY runner failed for {argv or p.args[8:]}: {err.strip()}")
    return ast.literal_eval(out.strip())


def run_on_pty(argv: list[str], env: dict) -> dict:
    """Run argv with a new 120x40 PTY as its controlling terminal and stdin/stdout/stderr,
    drain the master until EIO, and return wall time, bytes read, exit status and the
    rusage of the process tree (wait4)."""
    return finish_on_pty(start_on_pty(argv, env), argv)


def runner_floor(env: dict) -> float:
    """Peak RSS (MiB) that `true` shows when started by the runner: the least any variant
    can show."""
    return max(run_on_pty([shutil.which("true") or "/bin/true"], env)["maxrss_kib"]
               for _ in range(3)) / 1024


def spawn_on_pty(argv: list[str], env: dict, rows: int = ROWS,
                 cols: int = COLS) -> tuple[int, int]:
    """Fork and exec argv here on a new PTY (own session, the PTY as its controlling
    terminal and stdio). Returns (pid, master fd); the caller reads the master and reaps
    the pid. For programs whose memory is not measured (a forked child starts with this
    process's RSS)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.set_inheritable(slave, False)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    return pid, master


def start_drain(master: int) -> subprocess.Popen:
    """A `wc -c` reading a PTY master until EIO (every holder of the slave has gone): a
    terminal that keeps up with whatever it is shown, as its own process, in C.
    finish_drain() collects its count."""
    return subprocess.Popen([shutil.which("wc") or "wc", "-c"], stdin=master,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def finish_drain(p: subprocess.Popen) -> tuple[int, float]:
    """Bytes a drain read, and its CPU seconds. (wc reports EIO as an error after
    printing the count.)"""
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    try:
        n = int(out.split()[0])
    except (IndexError, ValueError):
        n = 0
    return n, ru.ru_utime + ru.ru_stime


def reap(pid: int, timeout: float, kill_sig: int = signal.SIGKILL) -> tuple[int, object]:
    """Wait up to `timeout` seconds for pid; then send kill_sig and wait. Returns the exit
    code (as os.waitstatus_to_exitcode) and the rusage."""
    deadline = time.monotonic() + timeout
    while True:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return os.waitstatus_to_exitcode(status), ru
        if time.monotonic() > deadline:
            try:
                os.kill(pid, kill_sig)
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            _, status, ru = os.wait4(pid, 0)
            return os.waitstatus_to_exitcode(status), ru
        time.sleep(0.01)


# --------------------------------------------------------------------------- processes

def proc_table() -> list[dict]:
    """Every process we can see: pid, ppid, comm, argv."""
    procs = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        rparen = stat.rfind(b")")
        comm = stat[stat.find(b"(") + 1:rparen].decode(errors="replace")
        ppid = int(stat[rparen + 2:].split()[1])
        argv = [a.decode(errors="replace") for a in cmdline.split(b"\0")[:-1]]
        procs.append({"pid": int(name), "ppid": ppid, "comm": comm, "argv": argv})
    return procs


def descendants(pid: int) -> list[dict]:
    procs = proc_table()
    kids: dict[int, list[dict]] = {}
    for p in procs:
        kids.setdefault(p["ppid"], []).append(p)
    out, todo = [], [pid]
    while todo:
        for p in kids.get(todo.pop(), []):
            out.append(p)
            todo.append(p["pid"])
    return out


def wait_for(pred, timeout: float, what: str, step: float = 0.005):
    """Poll pred() until it returns something truthy; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(step)


def proc_status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/PID/status (VmRSS, VmHWM, ...); {} once it has gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                v = v.split()
                if len(v) == 2 and v[1] == "kB":
                    out[k] = int(v[0])
    except OSError:
        pass
    return out


# --------------------------------------------------------------------------- breakglass

def session_logs(data_dir: str) -> list[str]:
    d = os.path.join(data_dir, "sessions")
    return sorted(os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else []


def verify_log(bin_: str, data_dir: str, logfile: str, env: dict) -> dict:
    """`breakglass verify FILE`: exit status, output, wall and CPU seconds."""
    before = os.times()
    t0 = time.perf_counter()
    p = subprocess.run([bin_, "--dir", data_dir, "verify", logfile], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = os.times()
    return {"exit": p.returncode, "out": (p.stdout + p.stderr).strip(), "wall": wall,
            "cpu": (after.children_user - before.children_user)
            + (after.children_system - before.children_system)}


def last_record(logfile: str) -> dict | None:
    with open(logfile, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 65536))
        lines = f.read().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- machine

def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_pressure() -> str:
    """The share of the last minute in which some task waited for a CPU (PSI), if known."""
    try:
        with open("/proc/pressure/cpu") as f:
            some = f.readline().split()
        return dict(kv.split("=") for kv in some[1:])["avg60"] + "%"
    except (OSError, KeyError, ValueError):
        return "unknown"


def machine_facts() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(len(os.sched_getaffinity(0)))
    try:
        with open("/proc/meminfo") as f:
            mem = f.readline().split()[1]
        mem = f"{int(mem) / MIB:.1f} GiB"
    except (OSError, IndexError, ValueError):
        mem = "unknown"

    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "unknown"

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": nproc,
        "cpu": model,
        "memory": mem,
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "loadavg": loadavg(),
        "cpu_pressure_avg60": cpu_pressure(),
        "python": platform.python_version(),
        "script": out(["script", "--version"]),
        "breakglass_commit": out(["git", "rev-parse", "--short", "HEAD"]) or "unknown",
    }


def log_facts(facts: dict) -> None:
    log(f"machine: {facts['nproc']} CPUs, {facts['cpu']}, {facts['kernel']}, "
        f"load {facts['loadavg']}, {facts['date']}")


def end_facts(facts: dict) -> None:
    """Add the load at the end to the facts taken at the start."""
    facts["loadavg"] += f" (start), {loadavg()} (end)"
    facts["cpu_pressure_avg60"] += f" (start), {cpu_pressure()} (end)"


def facts_lines(facts: dict, keys=("date", "nproc", "cpu", "memory", "kernel", "loadavg",
                                   "cpu_pressure_avg60", "python", "script",
                                   "breakglass_commit", "rss_floor")) -> list[str]:
    return [f"- {k}: {facts[k]}" for k in keys if k in facts]


# --------------------------------------------------------------------------- figures

def fmt_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))  # ceil(n * p / 100), at least 1
    return s[int(k) - 1]


def mmm(values: list[float]) -> tuple[float, float, float]:
    """Median, min, max."""
    return statistics.median(values), min(values), max(values)


def verdict(part: str, target: str, measured: str, ok: bool) -> dict:
    return {"part": part, "target": target, "measured": measured,
            "result": "PASS" if ok else "MISS"}


def save_report(args: argparse.Namespace, part: str, text: str, raw: dict,
                verdicts: list[dict], facts: dict, checks_ok: bool) -> None:
    """The report and raw data to bench/out/, and the verdicts for summary.py."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, f"report-{part}-{stamp}.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, f"raw-{part}-{stamp}.json"), "w") as f:
        json.dump({"facts": facts, **raw}, f, indent=1)
    log(f"report and raw data in {args.out}/report-{part}-{stamp}.md, raw-{part}-{stamp}.json")
    if args.verdicts:
        os.makedirs(args.verdicts, exist_ok=True)
        with open(os.path.join(args.verdicts, f"{part}.json"), "w") as f:
            json.dump({"part": part, "facts": facts, "verdicts": verdicts,
                       "checks_ok": checks_ok}, f, indent=1)
