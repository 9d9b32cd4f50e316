//! Real Unix users and a group for tests that play several people on one machine. Names
//! are unique to the run, so runs side by side never share one, and all of them are
//! removed when the guard drops, also when the test fails.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Every user and group made by the suite starts with this, so what a killed run left
/// behind is easy to find (`getent passwd | grep ^bgt`).
pub const PREFIX: &str = "bgt";

/// Tells the guards of one test binary apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A group and its users, deleted on drop.
pub struct Users {
    group: String,
    users: Vec<(String, String)>,
}

impl Users {
    /// A new group and one member per role, named `bgt<role>-<unique>` (role: a few
    /// lowercase letters, so the name stays within useradd's 32 characters).
    pub fn create(roles: &[&str]) -> Users {
        let tag = format!(
            "{:x}{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut made = Users {
            group: format!("{PREFIX}ops-{tag}"),
            users: Vec::new(),
        };
        run("groupadd", &[&made.group]);
        for role in roles {
            let name = format!("{PREFIX}{role}-{tag}");
            run(
                "useradd",
                &["-M", "-N", "-G", &made.group, "-s", "/bin/sh", &name],
            );
            made.users.push((role.to_string(), name));
        }
        made
    }

    /// The user name of `role`.
    pub fn name(&self, role: &str) -> &str {
        self.users
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, n)| n.as_str())
            .unwrap_or_else(|| panic!("no user for the role {role}"))
    }

    pub fn group(&self) -> &str {
        &self.group
    }
}

fn run(tool: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Users {
    fn drop(&mut self) {
        for (_, name) in &self.users {
            // Whatever runs with their uid, theirs or left by an earlier user of the
            // same uid, would keep userdel from removing them.
            if let Ok(Some(user)) = nix::unistd::User::from_name(name) {
                super::procs::end_processes_of(user.uid.as_raw());
            }
            let _ = Command::new("userdel").arg(name).output();
        }
        let _ = Command::new("groupdel").arg(&self.group).output();
    }
}
