#!/usr/bin/env python3
"""Independent verifier for breakglass recordings, format version 1.

Written from docs/FORMAT.md alone, without reading breakglass's source, to show that the
format can be checked by a program that does not trust breakglass. Standard library only.

Usage: python3 tests/independent_verifier.py [--pubkey PUBKEY_FILE] [--ledger LEDGER_FILE] FILE...

Prints one JSON object per FILE on stdout: file, verdict, records (good complete lines),
head (hex H of the last good line), line/seq/offset of the first bad record, why.
With --ledger, one more object comes first for the ledger itself, marked "ledger": true,
and each FILE's object gets "ledger": "listed" or "unlisted".
With --pubkey (a signing.pub file), signatures are checked against that key and required
as FORMAT.md's "Signed records" says; each object gets "key", "signed_upto", "end_signed".
Exit status is that of the worst verdict: TAMPERED 1 > UNVERIFIABLE 4 > I/O error 2 >
INTERRUPTED 3 > VERIFIED 0.
"""
import base64, binascii, calendar, hashlib, json, re, sys
from collections import namedtuple

LIMIT = 1 << 20                       # longest line, without its LF
CHUNK = 1 << 16
DOMAIN = b"breakglass-v1\n"
GENESIS_START = b'{"seq":0,"t":0,"k":"g",'
ZEROS = "0" * 64
EXIT = {"VERIFIED": 0, "TAMPERED": 1, "IO": 2, "INTERRUPTED": 3, "UNVERIFIABLE": 4}
WORST = ["VERIFIED", "INTERRUPTED", "IO", "UNVERIFIABLE", "TAMPERED"]  # mild to severe

HEX = re.compile(r"[0-9a-f]{64}")
SESSION_ID = re.compile(r"[0-9a-hjkmnp-tv-z]{12}")   # 0-9a-z without i l o u
CERT_SERIAL = re.compile(r"[0-9a-f]{16}")
RFC3339_UTC = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?Z")


def H(line):
    return hashlib.sha256(DOMAIN + line).hexdigest()


class Bad(Exception):
    """A record that breaks a rule of the format."""


# ---- field types -----------------------------------------------------------------------

nat = lambda v: type(v) is int and 0 <= v < 2**64      # bool is not an integer here
u32 = lambda v: nat(v) and v < 2**32
u16 = lambda v: nat(v) and v < 2**16
string = lambda v: type(v) is str
nullable = lambda check: lambda v: v is None or check(v)
one_of = lambda *names: lambda v: type(v) is str and v in names
matches = lambda rx: lambda v: type(v) is str and rx.fullmatch(v) is not None


def utc_time(v):
    """RFC3339_UTC on a day the calendar has (no February 31st)."""
    if not matches(RFC3339_UTC)(v):
        return False
    year, month, day = int(v[0:4]), int(v[5:7]), int(v[8:10])
    feb = 29 if calendar.isleap(year) else 28
    return day <= [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def b64(v):
    """Standard alphabet, padded, and no stray bits: decoding and encoding gives v back."""
    try:
        return base64.b64encode(base64.b64decode(v, validate=True)).decode("ascii") == v
    except (binascii.Error, ValueError, TypeError):
        return False


CHECK = {
    "seq": nat, "t": nat, "k": string, "prev": matches(HEX),
    # g
    "v": lambda v: type(v) is int and v == 1, "session": matches(SESSION_ID),
    "host": string, "user": string, "uid": u32, "reason": string,
    "ticket": nullable(string),
    "command": lambda v: type(v) is list and all(type(a) is str for a in v),
    "cols": u16, "rows": u16, "term": string, "started": utc_time,
    "ttl_s": nullable(nat), "tool": lambda v: type(v) is str and v.startswith("breakglass "),
    "origin": string,
    "cert_serial": matches(CERT_SERIAL), "cert_key_id": string,
    "cert_principals": lambda v: type(v) is list and all(type(a) is str for a in v),
    "cert_valid_after": nat, "cert_valid_before": nat, "cert_ca": string,
    # o, i, m, p
    "d": string, "b": b64, "by": string, "redacted": nat, "text": string,
    "sealed": lambda v: b64(v) and base64.b64decode(v).startswith(b"age-encryption.org/v1\n"),
    "event": one_of("join", "leave", "deny", "take", "return", "kill", "reclaim", "lost",
                    "detach", "attach", "extend"),
    "by_s": nat,
    "who": string, "mode": one_of("watch", "operate"),
    # x
    "cause": one_of("exit", "signal", "ttl", "killed", "hangup", "error"),
    "exit": nullable(lambda v: type(v) is int and -2**31 <= v < 2**31), "signal": nullable(string),
    "records": nat, "bytes_in": nat, "bytes_out": nat, "ended": utc_time,
    # ledger
    "at": utc_time, "file": string, "genesis": matches(HEX), "head": matches(HEX),
    # signatures
    "key": matches(re.compile(r"ed25519:[0-9a-f]{16}")), "sig": matches(re.compile(r"[0-9a-f]{128}")),
}

SESSION_SIG_DOMAIN = b"breakglass-v1 session signature\n"
LEDGER_SIG_DOMAIN = b"breakglass-v1 ledger signature\n"
SIG_TAIL = len(b',"sig":"') + 128 + len(b'"}')


# ---- Ed25519 verification (RFC 8032, section 5.1.7), a test oracle in plain Python -----

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    """Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z."""
    (x1, y1, z1, t1), (x2, y2, z2, t2) = a, b
    A, B = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    C, E = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = B - A, E - C, E + C, B + A
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = point_add(q, p)
        p, s = point_add(p, p), s >> 1
    return q


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def point_decode(b):
    y = int.from_bytes(b, "little")
    x = recover_x(y & ((1 << 255) - 1), y >> 255)
    return None if x is None else (x, y & ((1 << 255) - 1), 1, x * (y & ((1 << 255) - 1)) % P)


def point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


BASE_Y = 4 * pow(5, P - 2, P) % P
BASE = (recover_x(BASE_Y, 0), BASE_Y, 1, recover_x(BASE_Y, 0) * BASE_Y % P)


def ed25519_verify(public, msg, sig):
    """[S]B == R + [SHA-512(R || A || M)]A, with S < L and R, A valid encodings."""
    A, R = point_decode(public), point_decode(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if A is None or R is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % L
    return point_equal(point_mul(s, BASE), point_add(R, point_mul(k, A)))


def key_id(public):
    return "ed25519:" + hashlib.sha256(public).hexdigest()[:16]


class Seals:
    """The signatures of one file (a session or the ledger): all by one key, each valid
    over DOMAIN || the line up to its `,"sig":"` field, by the trusted key if one is given."""

    def __init__(self, domain, public):
        self.domain, self.public, self.key, self.upto, self.count = domain, public, None, None, 0

    def check(self, n, data, obj):
        if "sig" not in obj:
            return False
        if self.public is not None:
            if obj["key"] != key_id(self.public):
                raise Bad(f"signature by {obj['key']}, not by the trusted key {key_id(self.public)}")
            if not ed25519_verify(self.public, self.domain + data[:-SIG_TAIL],
                                  bytes.fromhex(obj["sig"])):
                raise Bad(f"bad signature by {obj['key']}")
        elif self.key is not None and obj["key"] != self.key:
            raise Bad(f"signature by {obj['key']}, the ones before by {self.key}")
        self.key, self.upto, self.count = obj["key"], n, self.count + 1
        return True
# A fire id session's genesis binds its certificate: all of these fields or none.
CERT_FIELDS = ("cert_serial", "cert_key_id", "cert_principals", "cert_valid_after",
               "cert_valid_before", "cert_ca")

# kind -> (fields after the common ones in table order, exactly-one-of group, optional)
SESSION_COMMON = ("seq", "t", "k", "prev")
SESSION_KINDS = {
    "g": (("v", "session", "host", "user", "uid", "reason", "ticket", "command", "cols",
           "rows", "term", "started", "ttl_s", "tool", "origin") + CERT_FIELDS, (), CERT_FIELDS),
    "o": (("d", "b"), ("d", "b"), ()),
    "i": (("by", "d", "b", "redacted", "sealed"), ("d", "b", "redacted"), ("sealed",)),
    "r": (("cols", "rows"), (), ()),
    "m": (("by", "text"), (), ()),
    "p": (("event", "who", "uid", "mode", "ttl_s", "by_s"), (), ("uid", "mode", "ttl_s", "by_s")),
    "x": (("cause", "exit", "signal", "records", "bytes_in", "bytes_out", "ended", "key", "sig"),
          (), ("key", "sig")),
    "s": (("key", "sig"), (), ()),
}
LEDGER_COMMON = ("seq", "at", "k", "session", "file", "prev")
LEDGER_KINDS = {"start": (("genesis", "key", "sig"), (), ("key", "sig")),
                "end": (("head", "records", "key", "sig"), (), ("key", "sig"))}


# ---- lines -----------------------------------------------------------------------------

Piece = namedtuple("Piece", "offset data length nonnul complete")
# data: the bytes without LF, but at most LIMIT + 1 of them (an over-long line is never
# held whole); length: the real length; nonnul: length without the trailing NUL bytes.


def pieces(f):
    """Yield the complete lines of a binary file, then its final fragment if there is one."""
    offset, buf, length, nonnul = 0, bytearray(), 0, 0
    while chunk := f.read(CHUNK):
        pos = 0
        while True:
            nl = chunk.find(b"\n", pos)
            part = chunk[pos:] if nl < 0 else chunk[pos:nl]
            kept = part.rstrip(b"\0")
            if kept:
                nonnul = length + len(kept)
            length += len(part)
            if len(buf) <= LIMIT:
                buf += part[:LIMIT + 1 - len(buf)]
            if nl < 0:
                break
            yield Piece(offset, bytes(buf), length, nonnul, True)
            offset += length + 1
            buf, length, nonnul = bytearray(), 0, 0
            pos = nl + 1
    if length:
        yield Piece(offset, bytes(buf), length, nonnul, False)


def parse(data):
    """Strict JSON object: UTF-8, no NaN/Infinity. Returns (obj, duplicate keys)."""
    dups = []

    def pairs(items):
        obj = {}
        for key, value in items:
            if key in obj:
                dups.append(key)
            obj[key] = value
        return obj

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=pairs,
                         parse_constant=constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Bad(f"not valid JSON: {e}") from None
    if type(obj) is not dict:
        raise Bad("not a JSON object")
    return obj, dups


def check_record(data, obj, dups, common, kinds):
    """Fields, types, kind membership and canonical form of one parsed line."""
    if dups:
        raise Bad(f"duplicate field {dups[0]!r}")
    kind = obj.get("k")
    if type(kind) is not str or kind not in kinds:
        raise Bad(f"unknown kind {kind!r}")
    fields, exactly_one, optional = kinds[kind]
    order = common + fields
    for key in obj:
        if key not in order:
            raise Bad(f"field {key!r} does not belong to kind {kind!r}")
    for key in order:
        if key in obj:
            if not CHECK[key](obj[key]):
                raise Bad(f"field {key!r} has a wrong type or value: {obj[key]!r}")
        elif key not in exactly_one and key not in optional:
            raise Bad(f"missing field {key!r}")
    if ("key" in obj) != ("sig" in obj):
        raise Bad("`key` and `sig` go together")
    if kind == "g" and 0 < sum(key in obj for key in CERT_FIELDS) < len(CERT_FIELDS):
        raise Bad("a `g` record needs all of the `cert_` fields or none")
    if exactly_one and sum(key in obj for key in exactly_one) != 1:
        raise Bad(f"kind {kind!r} needs exactly one of {', '.join(exactly_one)}")
    if "sealed" in obj and "redacted" not in obj:
        raise Bad("field 'sealed' needs 'redacted' beside it")
    canonical = {key: obj[key] for key in order if key in obj}
    try:
        again = json.dumps(canonical, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise Bad("string holds a lone surrogate") from None
    if again != data:
        raise Bad("not in canonical form")


def check_extend(obj, limit):
    """An `extend` event: `uid`, `ttl_s` and `by_s` (at least 1), no `mode`, and `ttl_s` the limit so
    far plus `by_s` when the genesis set one; no other event has `ttl_s` or `by_s`.
    Returns the limit after this record."""
    has = ("ttl_s" in obj, "by_s" in obj)
    if obj["event"] != "extend":
        if any(has):
            raise Bad(f"`ttl_s` or `by_s` on a {obj['event']!r} event")
        return limit
    if not all(has) or obj["ttl_s"] is None or "uid" not in obj:
        raise Bad("an `extend` event needs `uid`, `ttl_s` and `by_s`")
    if "mode" in obj:
        raise Bad("an `extend` event has no `mode`")
    if obj["by_s"] < 1:
        raise Bad("an `extend` event adds at least 1 second")
    if limit is not None and obj["ttl_s"] != limit + obj["by_s"]:
        raise Bad(f"extend says ttl_s {obj['ttl_s']}, the limit was {limit} + {obj['by_s']}")
    return obj["ttl_s"]


def payload_len(obj):
    if "d" in obj:
        return len(obj["d"].encode("utf-8"))
    if "b" in obj:
        return len(base64.b64decode(obj["b"]))
    return obj["redacted"]


# ---- a session file --------------------------------------------------------------------

def new_report(path):
    return {"file": path, "verdict": None, "records": 0, "head": None,
            "line": None, "seq": None, "offset": None, "why": None}


def fail(r, verdict, n, piece, why, obj=None):
    seq = obj.get("seq") if isinstance(obj, dict) else None
    r.update(verdict=verdict, line=n + 1, offset=piece.offset, why=why,
             seq=seq if type(seq) is int else None)
    return r


def starts_like_genesis(data):
    """A fragment cut during line 0: a prefix of the genesis start, or longer and beginning with it."""
    k = min(len(data), len(GENESIS_START))
    return data[:k] == GENESIS_START[:k]


def claims_genesis(obj):
    return obj.get("k") == "g" and type(obj.get("v")) is int and obj["v"] == 1


def verify_session(path, ledger=None, public=None):
    r = new_report(path)
    seals, end_signed = Seals(SESSION_SIG_DOMAIN, public), False
    prev = last_t = genesis = genesis_hash = fragment = None
    ended, n, bytes_in, bytes_out, limit = False, -1, 0, 0, None
    with open(path, "rb") as f:
        for n, p in enumerate(pieces(f)):
            if not p.complete:
                if ended or p.nonnul > LIMIT:
                    why = "bytes after the x line" if ended else "fragment over 1 MiB"
                    return fail(r, "TAMPERED", n, p, why)
                if n == 0 and p.nonnul and not starts_like_genesis(p.data):
                    # Not a log at all; a fragment is no record, so no line is named.
                    r.update(verdict="UNVERIFIABLE",
                             why="no complete first line, and not the start of a genesis")
                    return r
                fragment = p
                break
            obj = None
            try:
                if p.length > LIMIT:
                    raise Bad(f"line of {p.length} bytes, over 1 MiB")
                obj, dups = parse(p.data)
            except Bad as e:
                if n == 0 and not p.data.startswith(GENESIS_START):
                    return fail(r, "UNVERIFIABLE", n, p, f"line 0 is not a v1 genesis: {e}")
                return fail(r, "TAMPERED", n, p, str(e), obj)
            if n == 0 and not claims_genesis(obj):
                return fail(r, "UNVERIFIABLE", n, p, "line 0 is not a g record with v 1", obj)
            try:
                if ended:
                    raise Bad("something follows the x line")
                check_record(p.data, obj, dups, SESSION_COMMON, SESSION_KINDS)
                kind, t = obj["k"], obj["t"]
                if obj["seq"] != n:
                    raise Bad(f"seq is {obj['seq']}, expected {n}")
                if n == 0 and t != 0:
                    raise Bad(f"t is {t} on line 0, expected 0")
                if n > 0 and t < last_t:
                    raise Bad(f"t goes back from {last_t} to {t}")
                if n > 0 and obj["prev"] != prev:
                    raise Bad(f"broken link: prev is {obj['prev']}, expected {prev}")
                if kind == "g" and n > 0:
                    raise Bad("a second g record")
                if kind == "o":
                    bytes_out += payload_len(obj)
                elif kind == "i":
                    bytes_in += payload_len(obj)
                elif kind == "p":
                    limit = check_extend(obj, limit)
                signed = seals.check(n, p.data, obj)
                if kind == "x":
                    end_signed = signed
                    for field, want in (("records", n + 1), ("bytes_in", bytes_in),
                                        ("bytes_out", bytes_out)):
                        if obj[field] != want:
                            raise Bad(f"x says {field} {obj[field]}, the file has {want}")
                    ended = True
            except Bad as e:
                return fail(r, "TAMPERED", n, p, str(e), obj)
            prev, last_t = H(p.data), t
            if n == 0:
                genesis, genesis_hash, limit = obj, prev, obj["ttl_s"]
            r["records"], r["head"] = n + 1, prev
    if ended:
        r["verdict"] = "VERIFIED"
    elif n < 0:
        r.update(verdict="INTERRUPTED", why="empty file")
    else:
        cut = f"; incomplete final fragment of {fragment.length} bytes at offset " \
              f"{fragment.offset}" if fragment else ""
        r.update(verdict="INTERRUPTED", why="no x line" + cut)
    r.update(key=seals.key, signed_upto=seals.upto, end_signed=end_signed)
    entry = ledger.get(genesis["session"]) if ledger is not None and genesis else None
    required = public is not None and (entry is None or ledger.first_signed is None
                                       or entry["seq"] >= ledger.first_signed)
    if r["verdict"] == "VERIFIED" and not end_signed and (seals.count or required):
        r.update(verdict="TAMPERED", line=r["records"], seq=r["records"] - 1,
                 why="the end record is not signed")
    elif r["verdict"] == "INTERRUPTED" and required and not seals.count and r["records"] >= 2:
        r.update(verdict="TAMPERED", line=2, seq=1, why="no signature in a log that must be signed")
    if ledger is not None and genesis is not None:
        check_against_ledger(r, genesis, genesis_hash, ledger)
    return r


def check_against_ledger(r, genesis, genesis_hash, ledger):
    entry = ledger.get(genesis["session"])
    r["ledger"] = "listed" if entry else "unlisted"
    if not entry:
        return
    at_genesis = dict(verdict="TAMPERED", records=0, head=None, line=1, seq=0, offset=0)
    records, head = entry["end"] or (r["records"], r["head"])
    if genesis_hash != entry["genesis"]:
        r.update(at_genesis, why=f"ledger: H(line 0) is {genesis_hash}, "
                                 f"its start line says {entry['genesis']}")
    elif genesis["prev"] != entry["before"]:
        r.update(at_genesis, why=f"ledger: line 0 prev is {genesis['prev']}, the "
                                 f"ledger head before its start line is {entry['before']}")
    elif (r["records"], r["head"]) != (records, head):
        # Reported at the last line the ledger vouches for: changed, or cut off.
        r.update(verdict="TAMPERED", line=records, seq=records - 1,
                 why=f"ledger: the file has {r['records']} lines and "
                 f"head {r['head']}, its end line says {records} and {head}")


# ---- the ledger ------------------------------------------------------------------------

class Entries(dict):
    """{session: entry} of the good ledger lines, and the seq of the first signed one."""
    first_signed = None


def verify_ledger(path, public=None):
    """Check the ledger's own chain and signatures; return its report and the Entries of
    its good lines (those before the first bad one)."""
    r, entries, head = new_report(path), Entries(), ZEROS
    seals = Seals(LEDGER_SIG_DOMAIN, public)
    r["ledger"] = True
    with open(path, "rb") as f:
        for n, p in enumerate(pieces(f)):
            if not p.complete:   # a crash while appending; the next append cuts it off
                if p.nonnul > LIMIT:
                    return fail(r, "TAMPERED", n, p, "final fragment longer than 1 MiB"), entries
                r["why"] = f"incomplete final fragment of {p.length} bytes ignored"
                break
            obj = None
            try:
                if p.length > LIMIT:
                    raise Bad(f"line of {p.length} bytes, over 1 MiB")
                obj, dups = parse(p.data)
                check_record(p.data, obj, dups, LEDGER_COMMON, LEDGER_KINDS)
                sid = obj["session"]
                if obj["seq"] != n:
                    raise Bad(f"seq is {obj['seq']}, expected {n}")
                if obj["prev"] != head:
                    raise Bad(f"broken link: prev is {obj['prev']}, expected {head}")
                if obj["file"] != f"sessions/{sid}.jsonl":
                    raise Bad(f"file {obj['file']!r} does not match session {sid}")
                if not seals.check(n, p.data, obj) and seals.count:
                    raise Bad("an unsigned line after a signed one")
                if seals.count == 1 and seals.upto == n:
                    entries.first_signed = n
                if obj["k"] == "start":
                    if sid in entries:
                        raise Bad(f"a second start line for session {sid}")
                    entries[sid] = {"genesis": obj["genesis"], "before": head, "end": None,
                                    "seq": n}
                else:
                    if sid not in entries or entries[sid]["end"] is not None:
                        raise Bad(f"end line for session {sid} without a single start")
                    entries[sid]["end"] = (obj["records"], obj["head"])
            except Bad as e:
                return fail(r, "TAMPERED", n, p, str(e), obj), entries
            head = H(p.data)
            r["records"], r["head"] = n + 1, head
    if public is not None and r["records"] and not seals.count:
        entries.clear()
        r.update(verdict="TAMPERED", line=1, seq=0, offset=0,
                 why="a key is known, but no ledger line is signed")
        return r, entries
    r.update(verdict="VERIFIED", key=seals.key)
    return r, entries


# ---- command line ----------------------------------------------------------------------

def main(argv):
    public = None
    if argv[:1] == ["--pubkey"] and len(argv) > 1:
        with open(argv[1], "rb") as f:
            public = bytes.fromhex(f.read().decode("ascii").strip())
        argv = argv[2:]
    ledger_path, files = None, argv
    if argv[:1] == ["--ledger"]:
        ledger_path, files = (argv[1:2] or [None])[0], argv[2:]
    if not files or files[0] == "--ledger":
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    worst, ledger = "VERIFIED", None

    def emit(report, verdict):
        nonlocal worst
        print(json.dumps(report), flush=True)
        worst = max(worst, verdict, key=WORST.index)

    if ledger_path is not None:
        try:
            report, ledger = verify_ledger(ledger_path, public)
            emit(report, report["verdict"])
        except OSError as e:
            emit({"file": ledger_path, "ledger": True, "error": str(e)}, "IO")
    for path in files:
        try:
            report = verify_session(path, ledger, public)
            emit(report, report["verdict"])
        except OSError as e:
            emit({"file": path, "error": str(e)}, "IO")
    return EXIT[worst]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
