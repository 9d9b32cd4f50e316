//! Installed mode (the binary setuid to a service user in a prefix of its own, its policy
//! beside it, run by another user): the store's keys come only from the policy's
//! credentials file, which must belong to the service user and be readable by it alone;
//! keys the user puts in the environment are never taken.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::installed::{Accounts, Installed};
use common::{as_root, free_port};

const SERVICE: &str = "bgk_svc";
const AUDIT: &str = "bgk_audit";
const USER: &str = "bgk_user";

fn chown(p: &Path, owner: &str) {
    let st = Command::new("chown").arg(owner).arg(p).status().unwrap();
    assert!(st.success());
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `breakglass ship` through the setuid binary, as the ordinary user, with keys of the
/// user's choosing in the environment.
fn ship_as_user(inst: &Installed) -> Output {
    inst.cmd(USER)
        .env("AWS_ACCESS_KEY_ID", "user-chosen")
        .env("AWS_SECRET_ACCESS_KEY", "user-chosen")
        .args(["ship", "--wait", "1s"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn installed_mode_takes_the_store_keys_only_from_a_file_of_the_service_user() {
    if !as_root() {
        return;
    }
    let mut accounts = Accounts::default();
    accounts.service(SERVICE);
    accounts.group(AUDIT);
    let inst = Installed::new(SERVICE, AUDIT, "");
    accounts.user(USER, &inst.home(USER), &[]);
    let creds = inst.policy_dir().join("s3-credentials");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = K\naws_secret_access_key = S\n",
    )
    .unwrap();
    chown(&creds, SERVICE);
    let store = format!(
        "[store]\nurl = \"s3://bgk-bucket/p\"\nendpoint = \"http://127.0.0.1:{}\"\n",
        free_port()
    );
    inst.write_policy(&format!(
        "{store}credentials_file = \"{}\"\n",
        creds.display()
    ));
    inst.init();

    // Readable by others: refused, with the fix.
    chmod(&creds, 0o644);
    let out = ship_as_user(&inst);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("has mode 0644: others may read it"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");

    // Not the service user's: refused.
    chmod(&creds, 0o600);
    chown(&creds, "root");
    let out = ship_as_user(&inst);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("belongs to uid 0"), "{err}");

    // The service user's alone: taken (the store itself is down here, which is no error).
    chown(&creds, SERVICE);
    let out = ship_as_user(&inst);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("credentials"), "{err}");

    // No file configured: the user's environment is not taken instead.
    inst.write_policy(&store);
    let out = ship_as_user(&inst);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("installed mode reads the store's keys only from a file"),
        "{err}"
    );
}
