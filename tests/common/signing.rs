//! Signing in tests: a keypair for a data dir (made through the library), `verify` and the
//! independent verifier with a public key, and the attacker's tools: rewriting sessions
//! and the ledger with every hash recomputed, keeping, stripping or re-signing the
//! signatures.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use breakglass::log::chain::{Hash, ZERO_HASH, line_hash};
use breakglass::log::ledger::Entry;
use breakglass::log::record::{Body, End, Record, encode};
use breakglass::log::seal::{self, LEDGER_DOMAIN, SESSION_DOMAIN, Seal};
use breakglass::sign::{Signer, ensure_keypair, load_signing_key};
use serde_json::Value;

use super::Env;

/// Make the signing key of a data dir (`<dir>/keys/signing.{key,pub}`); returns the
/// public key's path.
pub fn make_key(data_dir: &Path) -> PathBuf {
    let keys = data_dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (sk, pk) = (keys.join("signing.key"), keys.join("signing.pub"));
    assert!(ensure_keypair(&sk, &pk).unwrap(), "a key was already there");
    pk
}

/// A keypair somewhere else (another key than the data dir's): its private and public
/// paths.
pub fn other_key(dir: &Path) -> (PathBuf, PathBuf) {
    let (sk, pk) = (dir.join("other.key"), dir.join("other.pub"));
    ensure_keypair(&sk, &pk).unwrap();
    (sk, pk)
}

/// A signer for a private key file.
pub fn signer(private: &Path) -> Signer {
    Signer::new(load_signing_key(private).unwrap())
}

/// `breakglass verify --json ARGS` (with `--pubkey` if given): exit status, the JSON
/// objects printed, and the text of the same run without --json.
pub fn verify(env: &Env, pubkey: Option<&Path>, args: &[&str]) -> (i32, Vec<Value>, String) {
    verify_by(|| env.cmd(), pubkey, args)
}

/// [`verify`] with the command made by `base` (another user's, an installed binary's):
/// `verify`, the options and ARGS are added to it.
pub fn verify_by(
    base: impl Fn() -> Command,
    pubkey: Option<&Path>,
    args: &[&str],
) -> (i32, Vec<Value>, String) {
    let run = |json: bool| {
        let mut c = base();
        c.arg("verify");
        if json {
            c.arg("--json");
        }
        if let Some(p) = pubkey {
            c.arg("--pubkey").arg(p);
        }
        c.args(args).output().unwrap()
    };
    let out = run(true);
    let objs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let text = run(false);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&text.stdout),
        String::from_utf8_lossy(&text.stderr)
    );
    (out.status.code().unwrap(), objs, text)
}

/// The object `verify --json` printed for one session.
pub fn session_obj<'a>(objs: &'a [Value], id: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["session"] == id)
        .unwrap_or_else(|| panic!("no object for {id} in {objs:?}"))
}

/// The objects of the independent verifier run with `--pubkey`, `--ledger` and the files;
/// None (after saying why) where python3 cannot run outside CI.
pub fn python(pubkey: Option<&Path>, ledger: Option<&Path>, files: &[&Path]) -> Option<Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent_verifier.py");
    let mut c = Command::new("python3");
    c.arg(script);
    if let Some(p) = pubkey {
        c.arg("--pubkey").arg(p);
    }
    if let Some(l) = ledger {
        c.arg("--ledger").arg(l);
    }
    let out = match c.args(files).output() {
        Ok(o) => o,
        Err(e) if !super::skip::in_ci() => {
            super::skip::skip(&format!(
                "python3 not runnable for the independent verifier ({e})"
            ));
            return None;
        }
        Err(e) => panic!("python3 is needed in CI: {e}"),
    };
    let objs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        !objs.is_empty(),
        "python said nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(objs)
}

/// The lines of a file, without their LFs.
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Write lines back, each with its LF.
pub fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    std::fs::write(path, out).unwrap();
}

/// What a rewrite does with the signatures it finds.
pub enum Seals<'a> {
    /// Leave them as they were (they no longer match what they sign).
    Keep,
    /// Remove every signature: `s` lines are dropped, `key`/`sig` taken off the rest.
    Strip,
    /// Sign again with another key.
    Resign(&'a Signer),
}

/// Encode a record, signing it again if asked and it is signed.
fn encode_with(rec: &Record, seals: &Seals, domain: &[u8]) -> Vec<u8> {
    let mut line = Vec::new();
    encode(rec, &mut line);
    if let Seals::Resign(s) = seals
        && seal::signed_part(&line).is_some()
    {
        let mut fresh = rec.clone();
        match &mut fresh.body {
            Body::Checkpoint(x) | Body::End(End { seal: Some(x), .. }) => {
                *x = Seal::pending(s.id())
            }
            _ => {}
        }
        line.clear();
        encode(&fresh, &mut line);
        seal::fill(&mut line, domain, |m| s.sign(m));
    }
    line
}

/// Rewrite one session file consistently: `edit` changes its records, then `seq`, `prev`
/// and the end's `records` are recomputed from `first_prev` on. Returns (H(line 0), head,
/// line count).
pub fn rewrite_session(
    path: &Path,
    first_prev: Hash,
    seals: &Seals,
    edit: &mut dyn FnMut(&mut Vec<Record>),
) -> (Hash, Hash, u64) {
    let mut recs: Vec<Record> = lines(path)
        .iter()
        .map(|l| breakglass::log::parse::decode(l).unwrap())
        .collect();
    edit(&mut recs);
    if let Seals::Strip = seals {
        recs.retain(|r| !matches!(r.body, Body::Checkpoint(_)));
        for r in &mut recs {
            if let Body::End(x) = &mut r.body {
                x.seal = None;
            }
        }
    }
    let (mut prev, mut out, n) = (first_prev, Vec::new(), recs.len() as u64);
    let mut genesis = ZERO_HASH;
    for (i, r) in recs.iter_mut().enumerate() {
        r.seq = i as u64;
        r.prev = prev;
        if let Body::End(x) = &mut r.body {
            x.records = n;
        }
        let line = encode_with(r, seals, SESSION_DOMAIN);
        prev = line_hash(&line);
        if i == 0 {
            genesis = prev;
        }
        out.push(line);
    }
    write_lines(path, &out);
    (genesis, prev, n)
}

/// Rewrite a whole data dir consistently: every session the ledger lists (changed by
/// `edit`, given the session id) and the ledger, with every hash recomputed.
pub fn rewrite_dir(data_dir: &Path, seals: &Seals, edit: &mut dyn FnMut(&str, &mut Vec<Record>)) {
    let ledger = data_dir.join("ledger.jsonl");
    let mut head = ZERO_HASH;
    let mut done: HashMap<String, (Hash, u64)> = HashMap::new();
    let mut out = Vec::new();
    for (i, l) in lines(&ledger).iter().enumerate() {
        let (mut e, old): (Entry, Option<Seal>) = Entry::decode_sealed(l).unwrap();
        let file = data_dir.join(&e.file);
        if e.start {
            let id = e.session.clone();
            let (genesis, end, n) =
                rewrite_session(&file, head, seals, &mut |recs| edit(&id, recs));
            e.hash = genesis;
            done.insert(id, (end, n));
        } else if let Some(&(end, n)) = done.get(&e.session) {
            e.hash = end;
            e.records = Some(n);
        }
        e.seq = i as u64;
        e.prev = head;
        let mut line = Vec::new();
        match (seals, &old) {
            (Seals::Keep, Some(s)) => e.encode_sealed(Some(s), &mut line),
            (Seals::Resign(s), Some(_)) => {
                e.encode_sealed(Some(&Seal::pending(s.id())), &mut line);
                seal::fill(&mut line, LEDGER_DOMAIN, |m| s.sign(m));
            }
            _ => e.encode(&mut line),
        }
        head = line_hash(&line);
        out.push(line);
    }
    write_lines(&ledger, &out);
}

/// Run the binary directly (no PTY) for a quick signed session; returns its id.
pub fn quick_session(env: &Env, script: &str) -> String {
    let before: Vec<PathBuf> = env.logs();
    let out = env.run(&["shell", "-r", "signed test", "--", "sh", "-c", script]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = env
        .logs()
        .into_iter()
        .find(|p| !before.contains(p))
        .expect("a new session file");
    new.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Path of a session file.
pub fn session_path(env: &Env, id: &str) -> PathBuf {
    env.dir().join("sessions").join(format!("{id}.jsonl"))
}
