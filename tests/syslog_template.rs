//! `verify --syslog` with rsyslog configured as the README says (the witness lines keep
//! their structured data), and with rsyslog's default file format (which drops it): a
//! syslog file that holds nothing for a session is said to, never taken as a check.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::rsyslog::{Rsyslog, rsyslogd};
use common::verdicts::*;
use common::*;

/// The rsyslog rule the README gives, as written there.
fn readme_rule() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("# /etc/rsyslog.d/30-breakglass.conf\n")
        .expect("the README shows the rsyslog rule");
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_string()
}

/// Record one witnessed session and wait until its end line is in the syslog file.
fn witnessed(env: &Env, r: &Rsyslog, reason: &str) -> String {
    env.write_config(&format!("syslog = \"tcp://127.0.0.1:{}\"\n", r.port));
    assert_eq!(record_one(env, reason, "echo hi"), 0);
    let id = newest_id(env);
    let ended = format!("session {id} ended");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&r.out).unwrap_or_default();
        if text.contains(&ended) {
            return id;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no end of {id} in syslog:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_readme_rule_keeps_what_verify_needs_and_a_session_it_never_saw_is_named() {
    let env = Env::new();
    let Some(r) = rsyslogd(env.tmp.path(), &readme_rule()) else {
        return;
    };
    let seen = witnessed(&env, &r, "witnessed");
    // Recorded with no syslog: the file holds nothing for it.
    env.write_config("");
    assert_eq!(record_one(&env, "unwitnessed", "true"), 0);
    let unseen = newest_id(&env);

    let syslog = r.out.to_str().unwrap();
    let out = env.run(&["verify", "--all", "--syslog", syslog, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out), err(&out));
    let by_id = |id: &str| {
        json_lines(&out)
            .into_iter()
            .find(|j| j["session"] == id)
            .unwrap()
    };
    assert!(
        by_id(&seen)["syslog_heads"].as_u64().unwrap() >= 2,
        "{}",
        text(&out)
    );
    assert!(
        by_id(&seen)["witnesses"]
            .to_string()
            .contains("outside witness")
    );
    assert_eq!(by_id(&unseen)["syslog_heads"], 0, "{}", text(&out));
    let out = env.run(&["verify", &unseen, "--syslog", syslog]);
    assert!(
        text(&out).contains("no syslog witness line for this session"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_syslog_file_without_structured_data_is_an_error_not_a_silent_pass() {
    let env = Env::new();
    // rsyslog's default file format, which drops the structured data.
    let rule = "if $app-name == \"breakglass\" then {\n    action(type=\"omfile\" file=\"/var/log/breakglass.log\")\n}\n";
    let Some(r) = rsyslogd(env.tmp.path(), rule) else {
        return;
    };
    witnessed(&env, &r, "witnessed");
    let log = env.log();
    let id = log.file_stem().unwrap().to_str().unwrap().to_string();
    // A copy cut before its end, kept outside the data dir: only the syslog could tell.
    let moved = env.tmp.path().join(format!("{id}.jsonl"));
    std::fs::write(&moved, without_last_line(&log)).unwrap();
    let syslog = r.out.to_str().unwrap();
    let out = env.run(&["verify", moved.to_str().unwrap(), "--syslog", syslog]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no syslog witness line for this session"),
        "{}",
        text(&out)
    );
    assert!(
        err(&out).contains("no breakglass witness line at all"),
        "{}",
        err(&out)
    );
    let out = env.run(&["verify", "--all", "--syslog", syslog, "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json_lines(&out)
        .into_iter()
        .find(|j| j["session"] == id.as_str())
        .unwrap();
    assert_eq!(j["syslog_heads"], 0);
}
