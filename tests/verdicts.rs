//! Verdicts that never claim more than was checked: a missing data dir, an empty one,
//! unlisted sessions, `last` by the ledger, one verdict for every command, and a config
//! mistake that does not stop review.

mod common;

use common::verdicts::*;
use common::*;

#[test]
fn verify_all_on_a_missing_data_dir_is_an_error_and_an_empty_one_has_no_sessions() {
    let env = Env::new();
    let out = env.run(&["verify", "--all"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains("VERIFIED"), "{}", text(&out));
    assert!(err(&out).contains("no data dir at"), "{}", err(&out));

    std::fs::create_dir(env.dir()).unwrap();
    let out = env.run(&["verify", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert!(text(&out).contains("no sessions in"), "{}", text(&out));
    assert!(!text(&out).contains("VERIFIED"), "{}", text(&out));
    let out = env.run(&["verify", "--all", "--json"]);
    assert_eq!(json_lines(&out)[0]["verdict"], "NO SESSIONS");
}

#[test]
fn verify_all_prints_the_ledger_head() {
    let env = Env::new();
    assert_eq!(record_one(&env, "one", "true"), 0);
    let ledger = std::fs::read(env.dir().join("ledger.jsonl")).unwrap();
    let last = ledger[..ledger.len() - 1]
        .rsplit(|&b| b == b'\n')
        .next()
        .unwrap();
    let head = breakglass::log::chain::to_hex(&breakglass::log::chain::line_hash(last));
    let out = env.run(&["verify", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("head {head}")),
        "{}",
        text(&out)
    );
    let out = env.run(&["verify", "--all", "--json"]);
    assert_eq!(json_lines(&out)[0]["head"], head.as_str());
}

/// A session of this dir with everything after its genesis cut off, renamed to `id`.
fn genesis_only(env: &Env, from: &std::path::Path, id: &str) -> std::path::PathBuf {
    let data = std::fs::read(from).unwrap();
    let first = data.iter().position(|&b| b == b'\n').unwrap() + 1;
    let genesis = String::from_utf8_lossy(&data[..first]).into_owned();
    let old = from.file_stem().unwrap().to_str().unwrap();
    let p = env.dir().join("sessions").join(format!("{id}.jsonl"));
    std::fs::write(&p, genesis.replace(old, id)).unwrap();
    p
}

#[test]
fn unlisted_sessions_are_judged_by_the_ledger_alike() {
    let env = Env::new();
    assert_eq!(record_one(&env, "one", "echo a; echo b"), 0);
    let listed = env.log();
    // A whole session from elsewhere, and a file of nothing but a genesis: both unlisted.
    let other = Env::new();
    assert_eq!(record_one(&other, "elsewhere", "echo c"), 0);
    let stranger = other.log();
    copy_in(&env, &stranger);
    genesis_only(&env, &listed, "zzzzzzzzzzzz");
    let stranger_id = stranger.file_stem().unwrap().to_str().unwrap();
    for id in [stranger_id, "zzzzzzzzzzzz"] {
        let out = env.run(&["verify", id]);
        assert_eq!(out.status.code(), Some(1), "{id}: {}", text(&out));
        assert!(text(&out).contains("does not list"), "{}", text(&out));
    }
    let out = env.run(&["verify", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let dir = &json_lines(&out)[0];
    let unlisted = dir["unlisted"].as_array().unwrap();
    assert_eq!(unlisted.len(), 2, "{dir}");
    // `ls` says the same as verify, in the same words.
    let ls = env.run(&["ls", "--json"]);
    for row in json_lines(&ls) {
        let v = env.run(&["verify", "--json", row["id"].as_str().unwrap()]);
        assert_eq!(row["detail"], json_lines(&v)[0]["detail"], "{row}");
        let want = if row["id"] == listed.file_stem().unwrap().to_str().unwrap() {
            "VERIFIED"
        } else {
            "TAMPERED"
        };
        assert_eq!(row["state"], want, "{row}");
    }
}

#[test]
fn last_is_the_newest_session_in_the_ledger_whatever_a_file_claims() {
    let env = Env::new();
    assert_eq!(record_one(&env, "first", "true"), 0);
    assert_eq!(record_one(&env, "second", "true"), 0);
    let logs = env.logs();
    let second = logs[1].file_stem().unwrap().to_str().unwrap().to_string();
    // A file that claims a start in the future, not in the ledger.
    let p = genesis_only(&env, &logs[0], "yyyyyyyyyyyy");
    let g = std::fs::read_to_string(&p).unwrap();
    let year = &g[g.find("\"started\":\"").unwrap() + 11..][..4];
    std::fs::write(
        &p,
        g.replace(&format!("\"started\":\"{year}"), "\"started\":\"2999"),
    )
    .unwrap();
    let out = env.run(&["verify", "last", "--json"]);
    assert_eq!(
        json_lines(&out)[0]["session"],
        second.as_str(),
        "{}",
        text(&out)
    );
    // `ls` lists by the ledger too: the unlisted file comes last.
    let ls = env.run(&["ls", "--json"]);
    let ids: Vec<String> = json_lines(&ls)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], second, "{ids:?}");
    assert_eq!(ids.last().unwrap(), "yyyyyyyyyyyy", "{ids:?}");
    // A data dir where the ledger lists nothing has no `last`.
    let lone = Env::new();
    assert_eq!(record_one(&lone, "lone", "true"), 0);
    std::fs::remove_file(lone.dir().join("ledger.jsonl")).unwrap();
    let out = lone.run(&["verify", "last"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(err(&out).contains("listed in its ledger"), "{}", err(&out));
}

#[test]
fn a_copy_outside_the_data_dir_has_one_verdict_in_every_command() {
    let env = Env::new();
    assert_eq!(record_one(&env, "copied", "echo needle-here"), 0);
    let copy = env.tmp.path().join("kept.jsonl");
    std::fs::copy(env.log(), &copy).unwrap();
    let copy_s = copy.to_str().unwrap();
    let (v, code, _) = verify_file(&copy);
    assert_eq!((v.as_str(), code), ("VERIFIED", 0));
    // replay (no terminal: the raw output) plays it, as verify calls it VERIFIED.
    let out = env.run(&["replay", copy_s]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert!(text(&out).contains("needle-here"), "{}", err(&out));
    for args in [
        vec!["export", copy_s, "--format", "keys"],
        vec!["show", copy_s],
        vec!["grep", "needle", copy_s],
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", err(&out));
        assert!(!err(&out).contains("TAMPERED"), "{args:?}: {}", err(&out));
    }
    let out = env.run(&["grep", "--json", "needle", copy_s]);
    assert_eq!(json_lines(&out)[0]["verdict"], "VERIFIED");
}

#[test]
fn grep_warns_about_matches_from_a_session_that_is_not_verified() {
    let env = Env::new();
    assert_eq!(record_one(&env, "cut", "echo needle-one; echo more"), 0);
    let log = env.log();
    // Cut before its end: the ledger says TAMPERED.
    std::fs::write(&log, without_last_line(&log)).unwrap();
    let out = env.run(&["grep", "needle"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert!(text(&out).contains("needle-one"), "{}", text(&out));
    assert!(
        err(&out).contains("warning: session") && err(&out).contains("TAMPERED"),
        "{}",
        err(&out)
    );
    let out = env.run(&["grep", "--json", "needle"]);
    let hits = json_lines(&out);
    assert!(
        !hits.is_empty() && hits.iter().all(|h| h["verdict"] == "TAMPERED"),
        "{hits:?}"
    );
}

#[test]
fn a_config_mistake_warns_but_does_not_stop_review() {
    let env = Env::new();
    assert_eq!(record_one(&env, "before the typo", "echo x"), 0);
    // The data dir named by the config, a typo on another line.
    env.write_config(&format!(
        "dir = \"{}\"\nrequire_ticekt = true\n",
        env.dir().display()
    ));
    let id = session_id(&env);
    for args in [
        vec!["ls"],
        vec!["verify", "last"],
        vec!["replay", "last"],
        vec!["export", "last", "--format", "keys"],
        vec!["show", "last"],
        vec!["grep", "x"],
    ] {
        let out = env
            .cmd()
            .env_remove("BREAKGLASS_DIR")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", err(&out));
        assert!(
            err(&out).contains("warning") && err(&out).contains("require_ticekt"),
            "{}",
            err(&out)
        );
        if args[0] == "ls" {
            assert!(text(&out).contains(&id), "{}", text(&out));
        }
    }
    // Recording still refuses a config it cannot read right.
    let out = env.run(&["shell", "-r", "x", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", err(&out));
}

#[test]
fn a_start_cut_before_its_first_line_claims_nothing_listed_or_not() {
    let env = Env::new();
    assert_eq!(record_one(&env, "cut at start", "true"), 0);
    let log = env.log();
    let id = session_id(&env);
    // What a crash leaves between the ledger's start line and the genesis: the ledger
    // lists the session (start, no end), its file holds no line.
    let ledger = env.dir().join("ledger.jsonl");
    std::fs::write(&ledger, without_last_line(&ledger)).unwrap();
    std::fs::write(&log, b"").unwrap();
    // ...and what one leaves before the start line: an empty file nobody lists.
    std::fs::write(env.dir().join("sessions/xxxxxxxxxxxx.jsonl"), b"").unwrap();
    for s in [id.as_str(), "xxxxxxxxxxxx"] {
        let out = env.run(&["verify", "--json", s]);
        assert_eq!(out.status.code(), Some(3), "{s}: {}", text(&out));
    }
    let out = env.run(&["verify", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(json_lines(&out)[0]["unlisted"], serde_json::json!([]));
}
