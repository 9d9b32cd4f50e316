//! The rules of installed mode as pure functions: which overrides a user asked for and
//! the policy refuses, who may review the installed sessions, and which variables are
//! not passed to the recorded shell.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Failure;

/// What the user asked for that could move the policy or the data dir.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Asked {
    pub dir_flag: bool,
    pub dir_env: bool,
    pub config_flag: bool,
    pub config_env: bool,
    /// The user's own config file, when it exists.
    pub user_config: Option<PathBuf>,
    pub record_secrets: bool,
}

/// Refuse what the policy does not allow, one line naming the fix; usage status (2).
pub fn check_overrides(asked: &Asked, policy: &Config, file: &Path) -> Result<(), Failure> {
    let refuse = |what: &str, key: &str| {
        Err(Failure::usage(format!(
            "{what} is refused: installed breakglass takes it from the policy {} (`{key} = true` there allows it)",
            file.display()
        )))
    };
    if !policy.allow_user_dir {
        if asked.dir_env {
            return refuse("BREAKGLASS_DIR (unset it)", "allow_user_dir");
        }
        if asked.dir_flag {
            return refuse("--dir", "allow_user_dir");
        }
    }
    if !policy.allow_user_config {
        if asked.config_env {
            return refuse("BREAKGLASS_CONFIG (unset it)", "allow_user_config");
        }
        if asked.config_flag {
            return refuse("--config", "allow_user_config");
        }
        if let Some(p) = &asked.user_config {
            let what = format!("your config {} (move it away)", p.display());
            return refuse(&what, "allow_user_config");
        }
    }
    if asked.record_secrets && !policy.allow_record_secrets {
        return refuse("--record-secrets", "allow_record_secrets");
    }
    Ok(())
}

/// A user's config where the policy allows one: its session rules, with the data dir
/// and every installed-mode key still the policy's.
pub fn merge_user_config(policy: Config, mut user: Config) -> Config {
    user.dir = policy.dir;
    user.review_group = policy.review_group;
    user.review_own = policy.review_own;
    user.allow_user_dir = policy.allow_user_dir;
    user.allow_user_config = policy.allow_user_config;
    user.allow_record_secrets = policy.allow_record_secrets;
    crate::fireid::keep_policy_hosts(policy.hosts, policy.known_hosts, &mut user);
    user
}

/// Whether a caller may review every installed session: root, or a member (primary or
/// supplementary, as the kernel sees the process) of the policy's `review_group`.
pub fn may_review(uid: u32, groups: &[String], policy: &Config) -> bool {
    uid == 0
        || policy
            .review_group
            .as_ref()
            .is_some_and(|g| groups.iter().any(|have| have == g))
}

/// What a caller may review in the installed data dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// Every session (root, the review group).
    All,
    /// The sessions whose genesis carries the caller's uid (`review_own`).
    Own,
    Nothing,
}

/// What `uid`, in `groups`, may review under `policy`.
pub fn review_access(uid: u32, groups: &[String], policy: &Config) -> Review {
    if may_review(uid, groups, policy) {
        Review::All
    } else if policy.review_own {
        Review::Own
    } else {
        Review::Nothing
    }
}

/// What an own-sessions reviewer may not ask for: the command runs with the service
/// identity to read their sessions, so it must not open or create a file the user names
/// (paths, witness and syslog files, `export -o`), nor judge the whole dir (`--all`,
/// which would call every other session missing).
pub fn own_review_refusal(cmd: &crate::cli::Command) -> Option<&'static str> {
    use crate::cli::Command;
    let paths = |v: &[String]| v.iter().any(|s| !names_stored_session(s));
    match cmd {
        Command::Verify(a) if a.all => Some("verify --all"),
        Command::Verify(a) if a.witness.is_some() || a.syslog.is_some() => {
            Some("--witness and --syslog")
        }
        Command::Export(a) if a.output.is_some() => Some("export -o (redirect stdout instead)"),
        Command::Verify(a) if paths(&a.sessions) => Some("a file path"),
        Command::Grep(a) if paths(&a.sessions) => Some("a file path"),
        Command::Replay(a) if !names_stored_session(&a.session) => Some("a file path"),
        Command::Export(a) if !names_stored_session(&a.session) => Some("a file path"),
        Command::Show(a) if !names_stored_session(&a.session) => Some("a file path"),
        _ => None,
    }
}

/// Session arguments that name the data dir's sessions rather than files: an id prefix
/// or `last` (a path has a `/` or ends in `.jsonl`, as `Store::resolve` reads them).
pub fn names_stored_session(spec: &str) -> bool {
    !(spec.contains('/') || spec.ends_with(".jsonl"))
}

/// Variables not passed to the recorded shell: the ones the C library drops for setuid
/// programs (loader, locale and resolver paths, allocator hooks), whatever the library.
const UNSAFE_VARS: &[&str] = &[
    "GCONV_PATH",
    "GETCONF_DIR",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_ARENA_MAX",
    "MALLOC_ARENA_TEST",
    "MALLOC_PERTURB_",
    "MALLOC_TRACE",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TMPDIR",
    "TZDIR",
];

/// Whether a variable is kept from the recorded shell: `LD_*` and [`UNSAFE_VARS`].
pub fn is_unsafe_var(name: &str) -> bool {
    name.starts_with("LD_") || UNSAFE_VARS.contains(&name)
}

/// The subcommand named on a command line, read before any parsing: the first argument
/// that is neither an option nor the value of `--dir`/`--config`.
pub fn subcommand_of<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<String> {
    let mut it = args.iter().skip(1).map(|a| a.as_ref().to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--dir" || a == "--config" {
            it.next();
        } else if a == "--" {
            return None;
        } else if !a.starts_with('-') {
            return Some(a.into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Config {
        Config::parse(text, Path::new("/etc/breakglass/config.toml")).unwrap()
    }

    #[test]
    fn overrides_are_refused_unless_allowed() {
        let strict = policy("");
        let file = Path::new("/etc/breakglass/config.toml");
        let cases = [
            (
                Asked {
                    dir_flag: true,
                    ..Asked::default()
                },
                "--dir",
            ),
            (
                Asked {
                    dir_env: true,
                    ..Asked::default()
                },
                "BREAKGLASS_DIR",
            ),
            (
                Asked {
                    config_flag: true,
                    ..Asked::default()
                },
                "--config",
            ),
            (
                Asked {
                    config_env: true,
                    ..Asked::default()
                },
                "BREAKGLASS_CONFIG",
            ),
            (
                Asked {
                    user_config: Some("/home/a/.config/breakglass/config.toml".into()),
                    ..Asked::default()
                },
                "your config /home/a/.config",
            ),
            (
                Asked {
                    record_secrets: true,
                    ..Asked::default()
                },
                "--record-secrets",
            ),
        ];
        for (asked, what) in &cases {
            let e = check_overrides(asked, &strict, file).unwrap_err();
            assert_eq!(e.code, crate::error::Exit::Usage);
            assert!(e.message.starts_with(what), "{}", e.message);
            assert!(
                e.message.contains("/etc/breakglass/config.toml"),
                "{}",
                e.message
            );
            assert!(!e.message.contains('\n'));
        }
        let open = policy(
            "allow_user_dir = true\nallow_user_config = true\nallow_record_secrets = true\n",
        );
        for (asked, _) in &cases {
            assert!(check_overrides(asked, &open, file).is_ok());
        }
        assert!(check_overrides(&Asked::default(), &strict, file).is_ok());
    }

    #[test]
    fn a_user_config_cannot_move_the_policy_keys() {
        let pol = policy("dir = \"/srv/bg\"\nreview_group = \"audit\"\nallow_user_config = true\n");
        let user = policy(
            "dir = \"/tmp/x\"\nreview_group = \"users\"\nallow_user_dir = true\nrequire_ticket = true\nreview_own = true\n",
        );
        let c = merge_user_config(pol, user);
        assert_eq!(c.dir.as_deref(), Some(Path::new("/srv/bg")));
        assert_eq!(c.review_group.as_deref(), Some("audit"));
        assert!(!c.allow_user_dir && c.allow_user_config && c.require_ticket && !c.review_own);
    }

    #[test]
    fn reviewers() {
        let pol = policy("review_group = \"bg-audit\"\n");
        assert!(may_review(0, &[], &pol));
        assert!(may_review(1000, &["users".into(), "bg-audit".into()], &pol));
        assert!(!may_review(1000, &["users".into()], &pol));
        assert!(!may_review(1000, &["bg-audit".into()], &policy("")));
        let own = policy("review_group = \"bg-audit\"\nreview_own = true\n");
        assert_eq!(review_access(1000, &["bg-audit".into()], &own), Review::All);
        assert_eq!(review_access(1000, &[], &own), Review::Own);
        assert_eq!(review_access(1000, &[], &pol), Review::Nothing);
        assert!(names_stored_session("k3f9") && names_stored_session("last"));
        assert!(!names_stored_session("./x.jsonl") && !names_stored_session("a/b"));
    }

    #[test]
    fn unsafe_vars() {
        for v in ["LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "TMPDIR"] {
            assert!(is_unsafe_var(v), "{v}");
        }
        for v in ["HOME", "PATH", "SSH_AUTH_SOCK", "TERM", "XLD_PRELOAD"] {
            assert!(!is_unsafe_var(v), "{v}");
        }
    }

    #[test]
    fn subcommand_is_found_before_parsing() {
        let s = |a: &[&str]| subcommand_of(a);
        assert_eq!(s(&["bg", "shell", "-r", "x"]).as_deref(), Some("shell"));
        assert_eq!(s(&["bg", "--dir", "shell", "ls"]).as_deref(), Some("ls"));
        assert_eq!(
            s(&["bg", "--config", "x", "--dir=y", "shell"]).as_deref(),
            Some("shell")
        );
        assert_eq!(s(&["bg", "--help"]), None);
        assert_eq!(s(&["bg", "--", "shell"]), None);
    }
}
