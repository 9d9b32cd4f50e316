//! The ssh a fire id session runs: its argv and environment, made here and nowhere else,
//! and what its error log means, in one line with the fix. Pure, tested on strings.
//!
//! `-F none` keeps every ssh_config away (the user's and the system's); every setting
//! that matters is given with `-o`, so nothing the user controls changes ssh's behaviour.

use std::path::Path;

use super::Target;

/// The ssh client, by absolute path: the developer's PATH never picks the program that
/// runs with the service identity.
pub const SSH_PROGRAM: &str = "/usr/bin/ssh";
/// The child's PATH, for the programs ssh itself may start (none with these options).
const CHILD_PATH: &str = "/usr/bin:/bin";
/// Longest TERM passed on (terminfo names are short).
const MAX_TERM: usize = 64;

/// The files of one session's ssh, all in the session's private dir.
pub struct Files<'a> {
    pub key: &'a Path,
    pub cert: &'a Path,
    pub log: &'a Path,
}

/// The `-o` options, in order. Each one closes a way the session could do more than a
/// terminal on the host as the fire id, or a way a file or variable could change ssh.
pub fn options(t: &Target, f: &Files<'_>) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    [
        ("EscapeChar", "none".to_string()),
        ("PermitLocalCommand", "no".into()),
        ("ForwardAgent", "no".into()),
        ("ForwardX11", "no".into()),
        ("ClearAllForwardings", "yes".into()),
        ("ControlMaster", "no".into()),
        ("ControlPath", "none".into()),
        ("ProxyCommand", "none".into()),
        ("ProxyJump", "none".into()),
        ("StrictHostKeyChecking", "yes".into()),
        ("UserKnownHostsFile", path(&t.known_hosts)),
        ("GlobalKnownHostsFile", "/dev/null".into()),
        ("UpdateHostKeys", "no".into()),
        ("CheckHostIP", "no".into()),
        ("IdentitiesOnly", "yes".into()),
        ("IdentityAgent", "none".into()),
        ("IdentityFile", path(f.key)),
        ("CertificateFile", path(f.cert)),
        ("PubkeyAuthentication", "yes".into()),
        ("PasswordAuthentication", "no".into()),
        ("KbdInteractiveAuthentication", "no".into()),
        ("GSSAPIAuthentication", "no".into()),
        ("HostbasedAuthentication", "no".into()),
        ("BatchMode", "yes".into()),
        ("RequestTTY", "force".into()),
        ("LogLevel", "ERROR".into()),
        ("User", t.user().to_string()),
        ("Port", t.port.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| format!("{k}={v}"))
    .collect()
}

/// The whole argv: `/usr/bin/ssh -F none -E LOG -o ... -- ADDRESS`.
pub fn argv(t: &Target, f: &Files<'_>) -> Vec<String> {
    let mut v = vec![
        SSH_PROGRAM.to_string(),
        "-F".into(),
        "none".into(),
        "-E".into(),
        f.log.display().to_string(),
    ];
    for o in options(t, f) {
        v.push("-o".into());
        v.push(o);
    }
    v.push("--".into());
    v.push(t.address.clone());
    v
}

/// The child's whole environment: nothing of the user's but a plain TERM.
pub fn environment(term: Option<&str>, home: &Path, session: &str) -> Vec<(String, String)> {
    let term = term
        .filter(|t| {
            !t.is_empty()
                && t.len() <= MAX_TERM
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-+._".contains(&b))
        })
        .unwrap_or("xterm");
    vec![
        ("PATH".into(), CHILD_PATH.into()),
        ("HOME".into(), home.display().to_string()),
        ("TERM".into(), term.into()),
        ("BREAKGLASS_SESSION".into(), session.into()),
    ]
}

/// Why a fire id session's ssh failed, from its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The host's key is not in the policy's known-hosts file, or differs from it.
    HostKey,
    /// The host did not accept the certificate (not trusted, principal not allowed, or
    /// the host's clock outside the certificate's validity).
    Refused,
    /// Anything else ssh said (its last error line).
    Other(String),
}

/// Read ssh's error log.
pub fn classify(log: &str) -> Option<Problem> {
    let has = |s: &str| log.contains(s);
    if has("Host key verification failed")
        || has("HOST IDENTIFICATION HAS CHANGED")
        || has("host key is known for")
    {
        return Some(Problem::HostKey);
    }
    if has("Permission denied") {
        return Some(Problem::Refused);
    }
    let last = log.lines().rev().find(|l| !l.trim().is_empty())?;
    Some(Problem::Other(last.trim().to_string()))
}

/// The one line for a problem, with the fix.
pub fn explain(p: &Problem, t: &Target) -> String {
    let host = crate::safe::text(&t.name);
    let at = format!("{}:{}", crate::safe::text(&t.address), t.port);
    match p {
        Problem::HostKey => format!(
            "the host key of {host} ({at}) is unknown or has changed: check it with the host's owner, then add it to {} (ssh-keyscan -p {} {})",
            t.known_hosts.display(),
            t.port,
            crate::safe::text(&t.address)
        ),
        Problem::Refused => format!(
            "{host} ({at}) refused fire id `{}`: the host needs TrustedUserCAKeys with `breakglass ca pubkey`, `{}` in its AuthorizedPrincipalsFile, and a clock within {} s of this bastion's (its sshd log says which)",
            crate::safe::text(t.user()),
            crate::safe::text(t.user()),
            super::cert::BACKDATE.as_secs()
        ),
        Problem::Other(line) => format!("ssh to {host} ({at}) failed: {}", crate::safe::text(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn target() -> Target {
        Target {
            name: "prod-db1".into(),
            address: "10.1.2.3".into(),
            port: 2222,
            principals: vec!["firefighter".into()],
            source_address: vec![],
            known_hosts: PathBuf::from("/etc/breakglass/known_hosts"),
        }
    }

    #[test]
    fn argv_closes_escapes_forwarding_and_every_config_file() {
        let f = Files {
            key: Path::new("/d/key"),
            cert: Path::new("/d/key-cert.pub"),
            log: Path::new("/d/ssh.log"),
        };
        let a = argv(&target(), &f);
        assert_eq!(&a[..5], ["/usr/bin/ssh", "-F", "none", "-E", "/d/ssh.log"]);
        assert_eq!(&a[a.len() - 2..], ["--", "10.1.2.3"]);
        for want in [
            "EscapeChar=none",
            "PermitLocalCommand=no",
            "ForwardAgent=no",
            "ForwardX11=no",
            "ClearAllForwardings=yes",
            "ControlMaster=no",
            "ControlPath=none",
            "StrictHostKeyChecking=yes",
            "UserKnownHostsFile=/etc/breakglass/known_hosts",
            "GlobalKnownHostsFile=/dev/null",
            "IdentitiesOnly=yes",
            "IdentityAgent=none",
            "IdentityFile=/d/key",
            "CertificateFile=/d/key-cert.pub",
            "User=firefighter",
            "Port=2222",
        ] {
            let at = a
                .iter()
                .position(|x| x == want)
                .unwrap_or_else(|| panic!("{want}"));
            assert_eq!(a[at - 1], "-o", "{want}");
        }
    }

    #[test]
    fn the_environment_is_made_not_inherited() {
        let env = environment(Some("xterm-256color"), Path::new("/d"), "s1");
        let names: Vec<_> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["PATH", "HOME", "TERM", "BREAKGLASS_SESSION"]);
        assert_eq!(env[2].1, "xterm-256color");
        let odd = environment(Some("x\u{1b}]0;y"), Path::new("/d"), "s1");
        assert_eq!(odd[2].1, "xterm");
    }

    #[test]
    fn ssh_errors_become_one_line_with_the_fix() {
        let t = target();
        let changed = "@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.\r\n";
        assert_eq!(classify(changed), Some(Problem::HostKey));
        let unknown = "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n";
        assert_eq!(classify(unknown), Some(Problem::HostKey));
        let denied = "firefighter@127.0.0.1: Permission denied (publickey).\r\n";
        assert_eq!(classify(denied), Some(Problem::Refused));
        let refused = "ssh: connect to host 10.1.2.3 port 2222: Connection refused\r\n";
        let other = classify(refused).unwrap();
        assert!(explain(&other, &t).ends_with("Connection refused"));
        assert_eq!(classify(""), None);
        for p in [Problem::HostKey, Problem::Refused, other] {
            let line = explain(&p, &t);
            assert!(!line.contains('\n') && line.contains("prod-db1"), "{line}");
        }
        assert!(explain(&Problem::HostKey, &t).contains("ssh-keyscan -p 2222 10.1.2.3"));
        assert!(explain(&Problem::Refused, &t).contains("TrustedUserCAKeys"));
    }
}
