//! `breakglass init`: the installed layout with its owners and modes, the signing key
//! pair, running it again, refusing anyone but root, and adopting an old data dir.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::installed::{Bastion, gid_of, uid_of};
use common::*;

/// (uid, gid, mode) of a path, not following a symlink.
fn owner_mode(p: &Path) -> (u32, u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.uid(), m.gid(), m.mode() & 0o7777)
}

#[test]
fn init_makes_the_layout_and_is_safe_to_run_again() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_init", "");
    let (svc, svc_gid) = (uid_of(&b.inst.service), gid_of(&b.inst.service));
    let audit = gid_of(&b.inst.review_group);
    let data = b.inst.data();
    let want = [
        (data.clone(), (svc, audit, 0o755)),
        (data.join("sessions"), (svc, audit, 0o2750)),
        (data.join("ledger.jsonl"), (svc, audit, 0o640)),
        (data.join("live"), (svc, svc_gid, 0o755)),
        (data.join("keys"), (svc, svc_gid, 0o700)),
        (data.join("keys/signing.key"), (svc, svc_gid, 0o600)),
        (b.inst.policy_dir().join("signing.pub"), (0, 0, 0o644)),
    ];
    for (p, w) in &want {
        assert_eq!(owner_mode(p), *w, "{}", p.display());
    }
    let key = std::fs::read_to_string(data.join("keys/signing.key")).unwrap();
    let public = std::fs::read_to_string(b.inst.policy_dir().join("signing.pub")).unwrap();
    for hex in [&key, &public] {
        assert!(hex.trim().len() == 64 && hex.trim().bytes().all(|c| c.is_ascii_hexdigit()));
    }

    // Again, after someone loosened a mode: fixed, and the key kept.
    std::fs::set_permissions(
        data.join("keys"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    b.inst.init();
    for (p, w) in &want {
        assert_eq!(owner_mode(p), *w, "{}", p.display());
    }
    assert_eq!(
        std::fs::read_to_string(data.join("keys/signing.key")).unwrap(),
        key
    );

    // Nobody but root.
    let out = b.inst.run(&b.bob, &["init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be run by root"));
    // Nor the recorded users: the service's key stays unreadable to them.
    let private = data.join("keys/signing.key");
    let out = b.inst.run(&b.alice, &["verify", private.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key.trim()));
}

#[test]
fn init_adopts_the_sessions_of_an_old_shared_dir() {
    if !as_root() {
        return;
    }
    // Sessions recorded the old way, in a dir of its own.
    let old = Env::new();
    for reason in ["first", "second"] {
        let out = old.run(&["shell", "-r", reason, "--", "true"]);
        assert!(out.status.success());
    }
    let ids: Vec<String> = old
        .logs()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let b = Bastion::new("bgi_adopt", "");
    let out = Command::new(b.inst.bin())
        .args(["init", "--adopt"])
        .arg(old.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("adopted 2 sessions"), "{stdout}");
    let (svc, audit) = (uid_of(&b.inst.service), gid_of(&b.inst.review_group));
    for id in &ids {
        let p = b.inst.data().join(format!("sessions/{id}.jsonl"));
        assert_eq!(owner_mode(&p), (svc, audit, 0o640));
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(old.dir().join(format!("sessions/{id}.jsonl"))).unwrap()
        );
    }
    // Reviewable in the installed dir, and new sessions chain on from the old ledger.
    let out = b
        .inst
        .run(&b.alice, &["shell", "-r", "after", "--", "true"]);
    assert!(out.status.success(), "{out:?}");
    let out = b.inst.run(&b.bob, &["verify", "--all"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("VERIFIED")
            .count(),
        4,
        "{out:?}"
    );
    // Only into a fresh data dir.
    let again = Command::new(b.inst.bin())
        .args(["init", "--adopt"])
        .arg(old.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{again:?}");
}
