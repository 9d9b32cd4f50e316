//! Signed records end to end: sessions recorded by the binary with a data dir's key, what
//! `verify` and the independent verifier say of them, and every way an attacker who can
//! write the files might try to pass a changed record off as signed.

mod common;

use std::time::{Duration, Instant};

use breakglass::log::cadence::CHECKPOINT_BYTES;
use breakglass::log::record::Body;
use common::signing::*;
use common::*;

/// Both verifiers say `verdict` of session `id` (Rust: in its data dir; Python: with the
/// ledger), both with `pubkey`; returns the Rust JSON object.
fn both_say(env: &Env, pubkey: &std::path::Path, id: &str, verdict: &str) -> serde_json::Value {
    let (_, objs, text) = verify(env, Some(pubkey), &[id]);
    let j = session_obj(&objs, id).clone();
    assert_eq!(j["verdict"], verdict, "{text}");
    let path = session_path(env, id);
    if let Some(py) = python(
        Some(pubkey),
        Some(&env.dir().join("ledger.jsonl")),
        &[&path],
    ) {
        let s = py
            .iter()
            .find(|o| o.get("ledger").is_none_or(|l| !l.is_boolean()));
        assert_eq!(
            s.unwrap()["verdict"],
            verdict,
            "independent verifier: {py:?}\nrust: {text}"
        );
    }
    j
}

/// What a verdict's problem found.
fn found(j: &serde_json::Value) -> String {
    j["problem"]["found"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_session_is_signed_from_its_genesis_to_its_end_record() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "echo signed-hello");
    let recs = records(&session_path(&env, &id));
    assert!(matches!(recs[1].body, Body::Checkpoint(_)), "{:?}", recs[1]);
    let last = recs.last().unwrap();
    let Body::End(x) = &last.body else {
        panic!("no end record")
    };
    assert!(x.seal.is_some(), "the end record is not signed");
    for l in lines(&env.dir().join("ledger.jsonl")) {
        assert!(String::from_utf8_lossy(&l).contains("\"sig\":\""));
    }

    let j = both_say(&env, &pubkey, &id, "VERIFIED");
    let key = breakglass::sign::fingerprint(&breakglass::sign::load_public_key(&pubkey).unwrap());
    assert_eq!(j["signature"]["status"], "signed");
    assert_eq!(j["signature"]["key"], key.as_str());
    assert_eq!(j["signature"]["upto"], last.seq);
    let (code, _, text) = verify(&env, None, &["--all"]);
    assert_eq!(code, 0, "{text}");
    let want = format!("signed by {key} up to seq {}", last.seq);
    assert!(text.contains(&want), "{text}");
    assert!(text.contains("proves nothing"), "{text}");
    assert!(
        text.contains(&format!("signed by {key}, from line 1 on")),
        "{text}"
    );
}

#[test]
fn an_edited_end_record_is_tampered_even_with_the_ledger_rewritten() {
    for seals in [Seals::Keep, Seals::Strip] {
        let env = Env::new();
        let pubkey = make_key(&env.dir());
        let id = quick_session(&env, "exit 0");
        rewrite_dir(&env.dir(), &seals, &mut |_, recs| {
            if let Some(Body::End(x)) = recs.last_mut().map(|r| &mut r.body) {
                x.exit = Some(1);
            }
        });
        let end_seq = records(&session_path(&env, &id)).len() as u64 - 1;
        let j = both_say(&env, &pubkey, &id, "TAMPERED");
        assert_eq!(j["problem"]["seq"], end_seq, "{j}");
    }
}

#[test]
fn a_dropped_signature_record_is_tampered() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "echo one");
    rewrite_dir(&env.dir(), &Seals::Keep, &mut |_, recs| {
        recs.retain(|r| !matches!(r.body, Body::Checkpoint(_)));
    });
    let j = both_say(&env, &pubkey, &id, "TAMPERED");
    assert!(found(&j).contains("signature"), "{j}");
}

#[test]
fn a_signature_by_another_key_is_tampered() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "echo one");
    // Checked against a key that did not sign it.
    let (_, other_pub) = other_key(env.tmp.path());
    let (code, objs, _) = verify(&env, Some(&other_pub), &[&id]);
    assert_eq!(code, 1);
    let j = session_obj(&objs, &id);
    assert_eq!(j["problem"]["seq"], 1, "{j}");
    assert!(found(j).contains("not by the trusted key"));
    // Rewritten and signed again with the attacker's own key.
    let (other_sk, _) = other_key(env.tmp.path());
    rewrite_dir(
        &env.dir(),
        &Seals::Resign(&signer(&other_sk)),
        &mut |_, _| {},
    );
    let j = both_say(&env, &pubkey, &id, "TAMPERED");
    assert_eq!(j["problem"]["seq"], 1, "{j}");
}

#[test]
fn a_consistent_rewrite_with_recomputed_hashes_is_tampered() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "echo rm -rf /important");
    rewrite_dir(&env.dir(), &Seals::Strip, &mut |_, recs| {
        for r in recs.iter_mut() {
            if let Body::Output(breakglass::log::record::Data::Text(t)) = &mut r.body {
                *t = t.replace("rm -rf /important", "ls -l /harmless!!");
            }
        }
    });
    // With no key known, the rewrite is whole: the chain and the ledger agree with it.
    let hidden = env.tmp.path().join("hidden.pub");
    std::fs::rename(&pubkey, &hidden).unwrap();
    let (code, _, text) = verify(&env, None, &["--all"]);
    assert_eq!(code, 0, "{text}");
    // The key known (here the data dir's copy): the missing signatures give it away.
    std::fs::rename(&hidden, &pubkey).unwrap();
    let (code, _, text) = verify(&env, None, &["--all"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("no signed line"), "{text}");
    let j = both_say(&env, &pubkey, &id, "TAMPERED");
    assert!(found(&j).contains("signature"), "{j}");
    let ledger = env.dir().join("ledger.jsonl");
    if let Some(py) = python(Some(&pubkey), Some(&ledger), &[&session_path(&env, &id)]) {
        assert_eq!(py[0]["verdict"], "TAMPERED", "{py:?}");
    }
}

#[test]
fn a_stripped_last_ledger_signature_is_tampered() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "true");
    let ledger = env.dir().join("ledger.jsonl");
    let mut ls = lines(&ledger);
    let (e, _) = breakglass::log::ledger::Entry::decode_sealed(ls.last().unwrap()).unwrap();
    let mut plain = Vec::new();
    e.encode(&mut plain);
    *ls.last_mut().unwrap() = plain;
    write_lines(&ledger, &ls);
    let (code, objs, text) = verify(&env, Some(&pubkey), &["--all"]);
    assert_eq!(code, 1, "{text}");
    let l = objs.iter().find(|o| o.get("ledger").is_some()).unwrap();
    assert_eq!(l["verdict"], "TAMPERED", "{l}");
    assert!(text.contains("an unsigned line"), "{text}");
    if let Some(py) = python(Some(&pubkey), Some(&ledger), &[&session_path(&env, &id)]) {
        assert_eq!(py[0]["verdict"], "TAMPERED", "{py:?}");
    }
}

#[test]
fn heavy_output_is_checkpointed_every_8_mb() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "head -c 20000000 /dev/zero | tr '\\0' a");
    let path = session_path(&env, &id);
    let mut since_sig = 0u64;
    let mut sigs = 0;
    for l in lines(&path) {
        if String::from_utf8_lossy(&l[..l.len().min(60)]).contains("\"k\":\"s\"") {
            sigs += 1;
            since_sig = 0;
        } else {
            since_sig += l.len() as u64 + 1;
            assert!(since_sig <= CHECKPOINT_BYTES + 2 * 1024 * 1024);
        }
    }
    assert!(sigs >= 3, "{sigs} checkpoints for 20 MB");
    both_say(&env, &pubkey, &id, "VERIFIED");
}

#[test]
fn an_idle_session_is_checkpointed_and_a_killed_one_is_signed_to_its_last_checkpoint() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "idle",
        "--",
        "sh",
        "-c",
        "echo started; sleep 120",
    ]);
    pty.expect("started");
    let id = session_id(&env);
    let path = session_path(&env, &id);
    // A checkpoint after the output, with no further event to trigger it: by time alone.
    let start = Instant::now();
    loop {
        let late = records(&path)
            .iter()
            .any(|r| r.seq > 1 && matches!(r.body, Body::Checkpoint(_)));
        if late {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "no timed checkpoint"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    pty.signal(libc::SIGKILL);
    pty.wait();
    let last_sig = records(&path)
        .iter()
        .filter(|r| matches!(r.body, Body::Checkpoint(_)))
        .map(|r| r.seq)
        .max()
        .unwrap();
    let j = both_say(&env, &pubkey, &id, "INTERRUPTED");
    assert_eq!(j["signature"]["upto"], last_sig, "{j}");
    let (_, _, text) = verify(&env, Some(&pubkey), &[&id]);
    assert!(text.contains(&format!("up to seq {last_sig}")), "{text}");
}

#[test]
fn without_a_key_sessions_are_recorded_and_verified_as_before() {
    let env = Env::new();
    let id = quick_session(&env, "echo plain");
    let text = String::from_utf8(std::fs::read(session_path(&env, &id)).unwrap()).unwrap();
    assert!(!text.contains("\"sig\""), "{text}");
    assert!(!text.contains("\"k\":\"s\""), "{text}");
    let (code, objs, out) = verify(&env, None, &["--all"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(session_obj(&objs, &id)["signature"]["status"], "unsigned");
    assert!(!out.contains("signed by"), "{out}");
}

#[test]
fn a_log_written_before_signing_verifies_as_before() {
    let env = Env::new();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unsigned-v1");
    std::fs::create_dir_all(env.dir().join("sessions")).unwrap();
    std::fs::copy(fixture.join("ledger.jsonl"), env.dir().join("ledger.jsonl")).unwrap();
    let id = "ty58w0rqf2xk";
    let rel = format!("sessions/{id}.jsonl");
    std::fs::copy(fixture.join(&rel), env.dir().join(&rel)).unwrap();
    let (code, objs, text) = verify(&env, None, &["--all"]);
    assert_eq!(code, 0, "{text}");
    let j = session_obj(&objs, id);
    assert_eq!(j["verdict"], "VERIFIED", "{j}");
    assert_eq!(j["records"], 4);
    assert_eq!(j["signature"]["status"], "unsigned");
    assert!(text.contains("ended by exit (exit 3)"), "{text}");
    assert!(!text.contains("signed by"), "{text}");
    let ledger = env.dir().join("ledger.jsonl");
    if let Some(py) = python(None, Some(&ledger), &[&env.dir().join(&rel)]) {
        assert!(py.iter().all(|o| o["verdict"] == "VERIFIED"), "{py:?}");
    }
}

#[test]
fn a_file_elsewhere_is_held_to_a_key_given_for_it_not_to_the_data_dirs_copy() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "echo away");
    let copy = env.tmp.path().join("copy.jsonl");
    std::fs::copy(session_path(&env, &id), &copy).unwrap();
    let file = copy.to_str().unwrap();
    // Only the data dir's copy of a key is known: read, not checked, not required.
    let (code, objs, text) = verify(&env, None, &[file]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(objs[0]["signature"]["status"], "unchecked", "{text}");
    assert!(text.contains("not checked"), "{text}");
    let old = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/unsigned-v1/sessions/ty58w0rqf2xk.jsonl");
    let (code, _, text) = verify(&env, None, &[old.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    // A key given for it: checked, and required.
    let (code, objs, text) = verify(&env, Some(&pubkey), &[file]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(objs[0]["signature"]["status"], "signed", "{text}");
    rewrite_session(
        &copy,
        breakglass::log::chain::ZERO_HASH,
        &Seals::Strip,
        &mut |_| {},
    );
    let (code, _, text) = verify(&env, Some(&pubkey), &[file]);
    assert_eq!(code, 1, "{text}");
    if let Some(py) = python(Some(&pubkey), None, &[&copy]) {
        assert_eq!(py[0]["verdict"], "TAMPERED", "{py:?}");
    }
}

#[test]
fn a_signed_session_reads_as_any_other_in_review() {
    let env = Env::new();
    make_key(&env.dir());
    let id = quick_session(&env, "echo review-me");
    for (args, want) in [
        (vec!["export", &id, "-f", "text"], "review-me"),
        (vec!["export", &id, "-f", "asciicast"], "review-me"),
        (vec!["export", &id, "-f", "json"], "\"k\":\"s\""),
        (vec!["show", &id], "session ended"),
        (vec!["replay", &id], "review-me"),
        (vec!["grep", "review-me"], &id),
    ] {
        let out = env.run(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(text.contains(want), "{args:?}: {text}");
    }
}

#[test]
fn the_key_beside_the_config_is_trusted_before_the_data_dirs_copy() {
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let id = quick_session(&env, "true");
    let beside = env.tmp.path().join("signing.pub");
    std::fs::rename(&pubkey, &beside).unwrap();
    let (code, objs, text) = verify(&env, None, &[&id]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        session_obj(&objs, &id)["signature"]["trusted_key"],
        beside.display().to_string()
    );
    assert!(!text.contains("the data dir's own copy"), "{text}");
    // A key beside the config that did not sign the dir: its sessions are TAMPERED.
    let (_, other) = other_key(env.tmp.path());
    std::fs::copy(&other, &beside).unwrap();
    let (code, _, text) = verify(&env, None, &[&id]);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn a_private_key_others_can_read_is_refused_and_nothing_is_recorded() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let pubkey = make_key(&env.dir());
    let private = pubkey.with_file_name("signing.key");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["shell", "-r", "loose key", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    assert!(env.logs().is_empty());
}
