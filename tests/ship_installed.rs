//! Installed mode (a setuid copy of the binary, owned by a service user, run by another
//! user): the store's keys come only from the configured credentials file, which must
//! belong to the service user and be readable by it alone.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{as_root, bin, free_port};

const SERVICE: &str = "bgk-svc";
const USER: &str = "bgk-user";

/// Users made for the test, removed when dropped.
struct Users;

impl Users {
    fn new() -> Users {
        for u in [SERVICE, USER] {
            let _ = Command::new("userdel").arg(u).output();
            let st = Command::new("useradd")
                .args(["-M", "-N", "-s", "/bin/sh", u])
                .status()
                .unwrap();
            assert!(st.success(), "useradd {u}");
        }
        Users
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for u in [SERVICE, USER] {
            let _ = Command::new("userdel").arg(u).output();
        }
    }
}

fn chown(p: &Path, owner: &str) {
    let st = Command::new("chown").arg(owner).arg(p).status().unwrap();
    assert!(st.success());
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `breakglass ship` through the setuid copy, as the ordinary user, with the keys of
/// the user's choosing in the environment.
fn ship_as_user(binary: &Path, config: &Path) -> Output {
    Command::new("runuser")
        .args(["-u", USER, "--", "env"])
        .arg(format!("BREAKGLASS_CONFIG={}", config.display()))
        .args([
            "AWS_ACCESS_KEY_ID=user-chosen",
            "AWS_SECRET_ACCESS_KEY=user-chosen",
        ])
        .arg(binary)
        .args(["ship", "--wait", "1s"])
        .output()
        .unwrap()
}

#[test]
fn installed_mode_takes_the_store_keys_only_from_a_file_of_the_service_user() {
    if !as_root() {
        return;
    }
    let _users = Users::new();
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let binary = base.path().join("breakglass");
    std::fs::copy(bin(), &binary).unwrap();
    chown(&binary, SERVICE);
    chmod(&binary, 0o4755);
    let data = base.path().join("data");
    std::fs::create_dir(&data).unwrap();
    chown(&data, SERVICE);
    chmod(&data, 0o700);
    let creds = base.path().join("s3-credentials");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = K\naws_secret_access_key = S\n",
    )
    .unwrap();
    chown(&creds, SERVICE);
    let config = base.path().join("config.toml");
    let store = format!(
        "dir = \"{}\"\n[store]\nurl = \"s3://bgk-bucket/p\"\nendpoint = \"http://127.0.0.1:{}\"\n",
        data.display(),
        free_port()
    );
    std::fs::write(
        &config,
        format!("{store}credentials_file = \"{}\"\n", creds.display()),
    )
    .unwrap();
    chmod(&config, 0o644);

    // Readable by others: refused, with the fix.
    chmod(&creds, 0o644);
    let out = ship_as_user(&binary, &config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("has mode 0644: others may read it"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");

    // Not the service user's: refused.
    chmod(&creds, 0o600);
    chown(&creds, "root");
    let out = ship_as_user(&binary, &config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("belongs to uid 0"), "{err}");

    // The service user's alone: taken (the store itself is down here, which is no error).
    chown(&creds, SERVICE);
    let out = ship_as_user(&binary, &config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("credentials"), "{err}");

    // No file configured: the user's environment is not taken instead.
    std::fs::write(&config, &store).unwrap();
    let out = ship_as_user(&binary, &config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("installed mode reads the store's keys only from a file"),
        "{err}"
    );
}
