//! Shipping to a real S3 store (Ceph radosgw with Object Lock): sessions reach the bucket
//! while they run, Object Lock keeps them, a dead store never stops a session and its
//! backlog ships later, and the review commands work from the bucket across bastions.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::radosgw::Gateway;
use common::{DEADLINE, Env, Pty};

/// Longest wait for a chunk: the shipper ships at least every 10 s, plus a loaded machine.
const SHIP_DEADLINE: Duration = Duration::from_secs(60);
/// The prompt of the recorded shells; typing waits for it.
const PROMPT: &str = "sh-ready$ ";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(gw: &Gateway, env: &Env, args: &[&str]) -> Output {
    gw.cmd(env)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Run and expect `code`; returns stdout.
fn run_code(gw: &Gateway, env: &Env, args: &[&str], code: i32) -> String {
    let out = run(gw, env, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn id_of(log: &Path) -> String {
    log.file_stem().unwrap().to_string_lossy().into_owned()
}

/// An interactive `sh` on bastion `env`, where `line` is typed; returns the log.
fn typed_session(mut cmd: Command, env: &Env, line: &str, want: &str) -> PathBuf {
    let before = env.logs().len();
    cmd.env("PS1", PROMPT)
        .args(["shell", "-r", "fleet review", "--", "sh"]);
    let mut pty = Pty::spawn(&mut cmd, 100, 30);
    pty.expect(PROMPT);
    pty.send(&format!("{line}\r"));
    pty.expect(want);
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert!(
        pty.screen().contains("everything shipped"),
        "{}",
        pty.screen()
    );
    env.logs()[before].clone()
}

/// Start `sh -c script` recorded without a terminal (stderr piped); returns once its
/// log exists.
fn start_session(gw: &Gateway, env: &Env, reason: &str, script: &str) -> (Child, PathBuf) {
    let before = env.logs().len();
    let child = gw
        .cmd(env)
        .args(["shell", "-r", reason, "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while env.logs().len() == before {
        assert!(start.elapsed() < DEADLINE, "no session log");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, env.logs()[before].clone())
}

/// A reviewer's machine: no data dir of its own, a config naming the store's endpoint.
fn reviewer(gw: &Gateway, url: &str) -> Env {
    let env = Env::new();
    env.write_config(&gw.config(url, "reviewer"));
    env
}

/// The line (= seq) of the first line of `log` that contains `needle`.
fn seq_of(log: &Path, needle: &str) -> usize {
    let body = std::fs::read_to_string(log).unwrap();
    body.lines().position(|l| l.contains(needle)).unwrap()
}

#[test]
fn object_lock_holds_and_bastions_are_reviewed_from_the_bucket() {
    let Some(gw) = Gateway::start() else { return };
    gw.bucket("bgk-fleet");
    let url = "s3://bgk-fleet/audit";
    let (alpha, beta) = (Env::new(), Env::new());
    alpha.write_config(&gw.config(url, "alpha"));
    // Alpha signs its sessions: its public key is shipped, and review from the bucket
    // checks alpha's signatures against the first version of it.
    common::signing::make_key(&alpha.dir());
    // Beta reads its keys from a credentials file (the standard AWS format), mode 0600.
    let creds = beta.tmp.path().join("s3-credentials");
    std::fs::write(
        &creds,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            common::radosgw::ACCESS_KEY,
            common::radosgw::SECRET_KEY
        ),
    )
    .unwrap();
    beta.write_config(&format!(
        "{}credentials_file = \"{}\"\n",
        gw.config(url, "beta"),
        creds.display()
    ));

    let a_log = typed_session(
        gw.cmd(&alpha),
        &alpha,
        "echo typed-on-al''pha",
        "typed-on-alpha",
    );
    let mut beta_cmd = gw.cmd(&beta);
    beta_cmd
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let b_log = typed_session(beta_cmd, &beta, "echo typed-on-be''ta", "typed-on-beta");
    let (a_id, b_id) = (id_of(&a_log), id_of(&b_log));

    // ls on a bastion says how much reached the store.
    let ls = run_code(&gw, &alpha, &["ls"], 0);
    assert!(
        ls.contains("SHIPPED TO s3://bgk-fleet/audit AS alpha"),
        "{ls}"
    );
    assert!(
        ls.lines()
            .any(|l| l.starts_with(&a_id) && l.ends_with("100%")),
        "{ls}"
    );

    // From the bucket alone: both bastions, both sessions, grep finds each typed command.
    let reviewer = reviewer(&gw, url);
    let ls = run_code(&gw, &reviewer, &["--store", url, "ls"], 0);
    assert!(
        ls.contains("== bastion alpha") && ls.contains("== bastion beta"),
        "{ls}"
    );
    assert!(ls.contains(&a_id) && ls.contains(&b_id), "{ls}");
    let grep = run_code(
        &gw,
        &reviewer,
        &["--store", url, "grep", "--input", "typed-on"],
        0,
    );
    assert!(
        grep.contains(&format!("{a_id} ")) && grep.contains("echo typed-on-al''pha"),
        "{grep}"
    );
    assert!(
        grep.contains(&format!("{b_id} ")) && grep.contains("echo typed-on-be''ta"),
        "{grep}"
    );
    let v = run_code(&gw, &reviewer, &["--store", url, "verify", "--all"], 0);
    assert_eq!(
        v.matches("VERIFIED").count(),
        4,
        "two ledgers, two sessions: {v}"
    );
    assert!(
        v.contains("signed by ed25519:") && v.contains("every record, the end included"),
        "alpha's signatures checked from the bucket: {v}"
    );
    let show = run_code(&gw, &reviewer, &["--store", url, "show", &b_id[..6]], 0);
    assert!(show.contains("typed-on-be''ta"), "{show}");
    // `last` is the session started last on any bastion: beta's.
    let last = run_code(&gw, &reviewer, &["--store", url, "show", "last"], 0);
    assert!(last.contains("typed-on-be''ta"), "{last}");
    let cast = run_code(
        &gw,
        &reviewer,
        &["--store", url, "export", &a_id, "--format", "text"],
        0,
    );
    assert!(cast.contains("typed-on-alpha"), "{cast}");

    // Object Lock: with the bastion's own keys a shipped chunk can be neither deleted
    // (not even with a governance bypass) nor made shorter-lived; an overwrite leaves the
    // first version in place, and review from the bucket reports it.
    let key = format!("audit/alpha/sessions/{a_id}/00000000000000000000.jsonl");
    let attack: serde_json::Value =
        serde_json::from_slice(&gw.s3(&["attack", "bgk-fleet", &key]).stdout).unwrap();
    assert_eq!(attack["retention"], "COMPLIANCE", "{attack}");
    for what in ["delete_version_bypass", "shorten_retention"] {
        let r = attack[what].as_str().unwrap();
        assert!(r.starts_with("refused: AccessDenied"), "{what}: {r}");
    }
    assert_eq!(
        attack["first_version_body"].as_str().unwrap().as_bytes(),
        std::fs::read(&a_log).unwrap().as_slice(),
        "the first version holds the session as recorded"
    );
    let out = run(&gw, &reviewer, &["--store", url, "verify", &a_id]);
    let v = text(&out.stdout);
    if attack["overwrite_create_only"] == "accepted" {
        // This radosgw ignores If-None-Match on PUT: the overwrite made a second version.
        assert_eq!(out.status.code(), Some(1), "{v}");
        assert!(
            v.contains("store TAMPERED") && v.contains("was overwritten"),
            "{v}"
        );
        assert!(
            v.contains(&format!("{a_id}  VERIFIED")),
            "the first version is read: {v}"
        );
    } else {
        assert_eq!(out.status.code(), Some(0), "{v}");
    }

    // A session rewritten on the bastion after shipping is TAMPERED against the bucket.
    let seq = seq_of(&b_log, "typed-on-be");
    let body = std::fs::read_to_string(&b_log).unwrap();
    std::fs::write(&b_log, body.replacen("typed-on-be", "typed-on-XX", 1)).unwrap();
    let out = run(&gw, &beta, &["verify", "--all"]);
    let v = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert!(
        v.contains(&format!("{b_id}  TAMPERED\n  seq {seq}, byte offset"))
            && v.contains("differs from what was shipped to s3://bgk-fleet/audit"),
        "{v}"
    );

    killed_mid_upload_the_next_start_ships_the_rest(&gw, url, &alpha);
}

/// breakglass killed while it ships a large session: the next start ships what is
/// missing, with no duplicate and no gap.
fn killed_mid_upload_the_next_start_ships_the_rest(gw: &Gateway, url: &str, env: &Env) {
    let script = "head -c 30000000 /dev/zero | tr '\\0' 'x' | fold -w 100; sleep 60";
    let (mut child, log) = start_session(gw, env, "big output", script);
    let id = id_of(&log);
    let prefix = format!("audit/alpha/sessions/{id}/");
    gw.wait_for_key("bgk-fleet", &prefix, SHIP_DEADLINE);
    child.kill().unwrap();
    child.wait().unwrap();
    let shipped_then = gw.keys("bgk-fleet", &prefix).len();
    let local = std::fs::read(&log).unwrap();
    let whole = local.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let before_next = gw.s3(&["cat", "bgk-fleet", &prefix]).stdout;
    // ls on the bastion shows the session only partly in the store.
    let ls = run_code(gw, env, &["ls"], 0);
    let row = ls
        .lines()
        .rfind(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{ls}"));
    assert!(row.ends_with('%') && !row.ends_with("100%"), "{ls}");
    assert!(
        before_next.len() < whole,
        "a backlog was left: {} of {whole} bytes shipped",
        before_next.len()
    );

    // The next start ships the backlog.
    run_code(gw, env, &["shell", "-r", "next", "--", "true"], 0);
    let keys = gw.keys("bgk-fleet", &prefix);
    assert!(keys.len() >= shipped_then, "{keys:?}");
    assert!(
        keys.values().all(|n| n == 1),
        "a chunk written twice: {keys:?}"
    );
    let cat = gw.s3(&["cat", "bgk-fleet", &prefix]).stdout;
    assert_eq!(cat.len(), whole, "the store holds every whole record");
    assert!(
        cat == local[..whole],
        "the chunks concatenate to the local log"
    );
    let v = run_code(gw, &reviewer(gw, url), &["--store", url, "verify", &id], 3);
    assert!(v.contains("INTERRUPTED"), "{v}");
}

#[test]
fn a_dead_store_never_stops_a_session_and_its_backlog_ships_later() {
    let Some(gw) = Gateway::start() else { return };
    gw.bucket("bgk-outage");
    let url = "s3://bgk-outage/p";
    let env = Env::new();
    env.write_config(&gw.config(url, "gamma"));
    let flag = env.tmp.path().join("go-on");
    let script = format!(
        "echo before-outage; i=0; while [ ! -e {f} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; echo after-outage",
        f = flag.display()
    );
    let (child, log) = start_session(&gw, &env, "outage", &script);
    let id = id_of(&log);
    let prefix = format!("p/gamma/sessions/{id}/");
    // A chunk reaches the store while the session runs (at least every 10 s).
    gw.wait_for_key("bgk-outage", &prefix, SHIP_DEADLINE);

    gw.kill_gateway();
    std::fs::write(&flag, "").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("bytes wait on disk"), "{err}");
    // The session went on and its end is recorded locally.
    let v = run_code(&gw, &env, &["verify", &id], 0);
    assert!(v.contains("VERIFIED"), "{v}");
    assert!(
        std::fs::read_to_string(env.log())
            .unwrap()
            .contains("after-outage")
    );

    // With require_store, no session starts while the store cannot be written.
    env.write_config(&format!(
        "require_store = true\n{}",
        gw.config(url, "gamma")
    ));
    let mark = env.tmp.path().join("ran");
    let out = run(
        &gw,
        &env,
        &["shell", "-r", "x", "--", "touch", mark.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("require_store"),
        "{}",
        text(&out.stderr)
    );
    assert!(!mark.exists(), "the command ran without a store");
    assert_eq!(env.logs().len(), 1, "no session was started");

    // The store is back: the backlog ships, and the session verifies from the bucket.
    gw.restart_gateway();
    let out = run(&gw, &env, &["ship", "--wait", "120s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("everything shipped"),
        "{}",
        text(&out.stderr)
    );
    let v = run_code(
        &gw,
        &reviewer(&gw, url),
        &["--from-store", "verify", &id],
        0,
    );
    assert!(v.contains(&format!("{id}  VERIFIED")), "{v}");
    let cat = gw.s3(&["cat", "bgk-outage", &prefix]).stdout;
    assert!(
        cat == std::fs::read(env.log()).unwrap(),
        "the store holds the whole log"
    );

    // And with the store up, require_store lets the session start (a start mark first).
    run_code(
        &gw,
        &env,
        &["shell", "-r", "x", "--", "touch", mark.to_str().unwrap()],
        0,
    );
    assert!(mark.exists());
    assert!(!gw.keys("bgk-outage", "p/gamma/starts/").is_empty());
}
