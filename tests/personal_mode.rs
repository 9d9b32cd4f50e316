//! Personal mode, beside installed mode: `verify` says what it cannot prove, and the
//! ledger is never opened through a symlink.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use common::*;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn personal_verify_says_it_proves_nothing_against_its_user() {
    let env = Env::new();
    let out = env.run(&["shell", "-r", "mine", "--", "true"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = env.run(&["verify", "last"]);
    assert!(out.status.success());
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("VERIFIED"), "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        breakglass::cmd::verify::PERSONAL_NOTE,
        "{stderr}"
    );
}

#[test]
fn a_ledger_symlink_is_not_followed() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir()).unwrap();
    std::fs::set_permissions(env.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let victim = env.tmp.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, env.dir().join("ledger.jsonl")).unwrap();
    let out = env.run(&["shell", "-r", "x", "--", "echo", "ran"]);
    assert_eq!(out.status.code(), Some(125), "{:?}", text(&out));
    assert!(!text(&out).0.contains("ran"), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("cannot open the ledger"),
        "{:?}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}
