//! The syslog witness against a real rsyslogd on loopback: start, head, event and end
//! messages with structured data, `verify --syslog` catching a cut log, and a syslog that
//! is down never stalling the session.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use breakglass::log::record::Body;
use common::rsyslog::Rsyslog;
use common::*;

/// rsyslogd on loopback writing every message as an RFC 5424 line.
fn rsyslogd(dir: &Path) -> Option<Rsyslog> {
    let rule = "*.* action(type=\"omfile\" file=\"/var/log/breakglass.log\" template=\"RSYSLOG_SyslogProtocol23Format\")\n";
    common::rsyslog::rsyslogd(dir, rule)
}

fn wait_for_line(path: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no {needle:?} in the syslog file:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `breakglass verify SESSION --syslog FILE`.
fn verify_syslog(env: &Env, session: &std::ffi::OsStr, syslog: &Path) -> std::process::Output {
    env.cmd()
        .arg("verify")
        .arg(session)
        .arg("--syslog")
        .arg(syslog)
        .output()
        .unwrap()
}

#[test]
fn heads_reach_syslog_and_a_cut_log_is_caught() {
    let env = Env::new();
    let Some(r) = rsyslogd(env.tmp.path()) else {
        return;
    };
    env.write_config(&format!("syslog = \"tcp://127.0.0.1:{}\"\n", r.port));
    let mut owner = env.spawn(&[
        "shell",
        "-r",
        "INC-9 witnessed",
        "-t",
        "INC-9",
        "--",
        "sh",
        "-c",
        "echo o''ne; read x; echo two",
    ]);
    owner.expect("one");
    let id = session_id(&env);
    let (watcher, _) = live_client(&env, &id, "watch");
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    drop(watcher);
    owner.send("\r");
    assert_eq!(owner.wait().code(), Some(0));
    let text = wait_for_line(&r.out, " end [breakglass@32473");
    for msgid in [" start [", " event [", " end ["] {
        assert!(text.contains(msgid), "no{msgid} message:\n{text}");
    }
    assert!(
        text.contains(&format!("session=\"{id}\""))
            && text.contains("reason=\"INC-9 witnessed\"")
            && text.contains("ticket=\"INC-9\"")
    );
    assert!(text.contains("event=\"join\""));

    let log = env.log();
    let out = verify_syslog(&env, id.as_ref(), &r.out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("outside witness"));

    // Cut before its end, outside the data dir (no ledger to help): the chain alone says
    // INTERRUPTED; the syslog lines say TAMPERED, naming the seq they saw.
    let data = std::fs::read(&log).unwrap();
    let cut = data[..data.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let moved = env.tmp.path().join("cut.jsonl");
    std::fs::write(&moved, &data[..cut]).unwrap();
    assert_verdict(&moved, "INTERRUPTED");
    let out = verify_syslog(&env, moved.as_ref(), &r.out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("syslog") && stdout.contains("seq"),
        "{stdout}"
    );
}

#[test]
fn a_syslog_that_is_down_never_stalls_the_session() {
    let env = Env::new();
    env.write_config(&format!("syslog = \"tcp://127.0.0.1:{}\"\n", free_port()));
    let start = Instant::now();
    let out = env.run(&["shell", "-r", "down", "--", "sh", "-c", "echo fine"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(start.elapsed() < Duration::from_secs(10));
    let log = env.log();
    let said = records(&log).iter().any(|r| matches!(&r.body, Body::Marker { by, text } if by == "breakglass" && text.contains("could not be sent")));
    assert!(said, "the log does not say the witness was missed");
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn a_signed_session_agrees_with_its_syslog_witness() {
    let env = Env::new();
    let Some(r) = rsyslogd(env.tmp.path()) else {
        return;
    };
    env.write_config(&format!("syslog = \"tcp://127.0.0.1:{}\"\n", r.port));
    common::signing::make_key(&env.dir());
    // The genesis sent at the start is line 0's hash, not the checkpoint's after it.
    let id = common::signing::quick_session(&env, "echo signed");
    wait_for_line(&r.out, " end [breakglass@32473");
    let out = verify_syslog(&env, id.as_ref(), &r.out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("outside witness") && stdout.contains("signed by"),
        "{stdout}"
    );
}
