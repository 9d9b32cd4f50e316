//! Two real users in tmux panes around one session: the binary installed setuid on a
//! bastion of the test's own, the developer's and the watcher's panes started as those
//! users, and the users removed afterwards.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use super::installed::{Accounts, Installed};
use super::tmux::Tmux;
use super::{DEADLINE, Env};

/// Users made for one test (their names carry the test prefix), removed on drop.
pub struct Users {
    pub names: Vec<String>,
    group: String,
    /// Held until they are removed: the names are fixed, so a run of the same test in
    /// another checkout on this machine waits its turn instead of deleting them (and the
    /// bastion's service user, named after the group) under this one.
    _turn: nix::fcntl::Flock<std::fs::File>,
}

impl Users {
    /// `users` in a new `group`; any left from an earlier run are made anew.
    pub fn new(group: &str, users: &[&str]) -> Users {
        let lock = std::env::temp_dir().join(format!("breakglass-test-users-{group}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .unwrap();
        let turn = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .unwrap_or_else(|(_, e)| panic!("lock {}: {e}", lock.display()));
        for u in users {
            let _ = Command::new("userdel").args(["-f", u]).output();
            super::ensure_user(u, group);
        }
        Users {
            names: users.iter().map(|u| u.to_string()).collect(),
            group: group.into(),
            _turn: turn,
        }
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for u in &self.names {
            // What a failed test left running as them (a stopped watcher, a background
            // loop in a session) goes with them.
            if let Ok(Some(user)) = nix::unistd::User::from_name(u) {
                super::procs::end_processes_of(user.uid.as_raw());
            }
            let _ = Command::new("userdel").args(["-f", u]).output();
        }
        let _ = Command::new("groupdel").arg(&self.group).output();
    }
}

/// A bastion for the test: the binary installed setuid to a service user in a prefix of
/// its own, the env's config as its policy (with `group` as the review group), `init`
/// run. Derefs to the data dir. Installed mode is how several users share sessions: a
/// group-writable dir is one no client trusts.
pub struct Shared {
    pub inst: Installed,
    data: PathBuf,
    /// Last, so the service user goes after the prefix.
    _accounts: Accounts,
}

impl std::ops::Deref for Shared {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.data
    }
}

/// Install the bastion; scripts in `env`'s temp dir become readable to the users.
pub fn shared_dir(env: &Env, group: &str) -> Shared {
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut accounts = Accounts::default();
    let service = format!("{group}-svc");
    accounts.service(&service);
    let policy = std::fs::read_to_string(env.config()).unwrap_or_default();
    let inst = Installed::new(&service, group, &policy);
    inst.init();
    Shared {
        data: inst.data(),
        inst,
        _accounts: accounts,
    }
}

/// The command line that runs the installed binary with `args` as `user`.
pub fn as_user(_env: &Env, shared: &Shared, user: &str, args: &str) -> String {
    format!(
        "runuser -u {user} -- env -u BREAKGLASS_DIR -u BREAKGLASS_CONFIG TERM=screen SHELL=/bin/sh {} {args}",
        shared.inst.bin().display()
    )
}

/// The id of the one session in the bastion once it listens.
pub fn shared_session_id(shared: &Shared) -> String {
    let start = std::time::Instant::now();
    loop {
        let id = std::fs::read_dir(shared.join("sessions"))
            .ok()
            .and_then(|mut rd| rd.next())
            .and_then(|e| e.ok())
            .map(|e| e.path().file_stem().unwrap().to_string_lossy().into_owned());
        if let Some(id) = id
            && shared.join("live").join(format!("{id}.sock")).exists()
        {
            return id;
        }
        assert!(start.elapsed() < DEADLINE, "no live session started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The pane modes tmux keeps for `pane`: alternate screen, mouse, cursor shown, keypad,
/// cursor keys, scroll region, insert and wrap.
pub fn pane_modes(t: &Tmux, pane: &str) -> String {
    t.tmux(&[
        "display",
        "-p",
        "-t",
        pane,
        "#{alternate_on} mouse:#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}#{mouse_sgr_flag} cursor:#{cursor_flag} keypad:#{keypad_flag}#{keypad_cursor_flag} region:#{scroll_region_upper}-#{scroll_region_lower} insert:#{insert_flag} wrap:#{wrap_flag}",
    ])
    .trim()
    .to_string()
}

/// Wait until `pane`'s modes are `want`.
pub fn wait_modes(t: &Tmux, pane: &str, want: &str) {
    let start = std::time::Instant::now();
    loop {
        let now = pane_modes(t, pane);
        if now == want {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{pane}: modes {now:?}, want {want:?}; screen:\n{}",
            t.screen_of(pane)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The pids of the installed binary running as `user` (found by id, to signal only
/// those).
pub fn pids_of(shared: &Shared, user: &str) -> Vec<i32> {
    let out = Command::new("id").args(["-u", user]).output().unwrap();
    let uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let me = shared.inst.bin().canonicalize().unwrap();
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(e.path().join("exe")).ok();
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let owner = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string);
        if exe.as_deref() == Some(me.as_path()) && owner.as_deref() == Some(uid.as_str()) {
            pids.push(pid);
        }
    }
    pids
}

/// The participant events of a log, as `event:who`.
pub fn participant_events(log: &std::path::Path) -> Vec<String> {
    super::records(log)
        .into_iter()
        .filter_map(|r| match r.body {
            breakglass::log::record::Body::Participant(p) => Some(format!("{}:{}", p.event, p.who)),
            _ => None,
        })
        .collect()
}
