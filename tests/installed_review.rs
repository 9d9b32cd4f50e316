//! Who reviews what in installed mode with `review_own = true`: every user sees their
//! own sessions and nothing of anyone else's, and cannot make the service identity (which
//! such a review keeps, to read the files) open or create a file they name.

mod common;

use std::process::Output;

use common::installed::Bastion;
use common::*;

fn out_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn users_review_their_own_sessions_and_nothing_else() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_own", "review_own = true\n");
    for (user, word) in [(&b.alice, "ALICE"), (&b.mal, "MAL")] {
        let reason = format!("{word}-reason");
        let out = b
            .inst
            .run(user, &["shell", "-r", &reason, "--", "echo", word, "OUT"]);
        assert!(out.status.success(), "{}", out_text(&out));
    }
    let id_of = |user: &str| {
        b.inst
            .sessions()
            .into_iter()
            .find(|p| breakglass::store::read_genesis(p).unwrap().user == user)
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .unwrap()
    };
    let (mine, theirs) = (id_of(&b.alice), id_of(&b.mal));
    let theirs_path = b.inst.data().join(format!("sessions/{theirs}.jsonl"));
    let theirs_path = theirs_path.to_str().unwrap();

    // Her own: listed, shown, exported, searched.
    let ok = |args: &[&str], want: &str| {
        let out = b.inst.run(&b.alice, args);
        let t = out_text(&out);
        assert!(out.status.success(), "{args:?}: {t}");
        assert!(t.contains(want), "{args:?}: {t}");
        assert!(!t.contains("MAL") && !t.contains(&theirs), "{args:?}: {t}");
    };
    ok(&["ls"], &mine);
    ok(&["show", &mine], "ALICE-reason");
    ok(&["export", &mine, "--format", "text"], "ALICE OUT");
    ok(&["grep", "OUT"], "ALICE OUT");
    ok(&["verify", &mine], "VERIFIED");

    // Anyone else's, or a file she names: refused, nothing shown, nothing written.
    let ledger = b.inst.data().join("ledger.jsonl");
    let ledger_before = std::fs::read(&ledger).unwrap();
    let key = b.inst.data().join("keys/signing.key");
    let key_hex = std::fs::read_to_string(&key).unwrap();
    let (ledger_s, key_s) = (ledger.to_str().unwrap(), key.to_str().unwrap());
    for args in [
        vec!["show", &theirs],
        vec!["replay", &theirs, "--follow"],
        vec!["show", theirs_path],
        vec!["verify", "--all"],
        vec!["verify", &mine, "--witness", key_s],
        vec![
            "export", &mine, "--format", "json", "-o", ledger_s, "--force",
        ],
        vec!["grep", "OUT", theirs_path],
    ] {
        let out = b.inst.run(&b.alice, &args);
        let t = out_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        assert!(
            !t.contains("MAL") && !t.contains(key_hex.trim()),
            "{args:?}: {t}"
        );
    }
    assert_eq!(std::fs::read(&ledger).unwrap(), ledger_before);

    // A reviewer sees both.
    let out = b.inst.run(&b.bob, &["ls"]);
    let t = out_text(&out);
    assert!(t.contains(&mine) && t.contains(&theirs), "{t}");
}
