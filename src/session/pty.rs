//! The PTY and the child in it: open, spawn with the PTY as controlling terminal, resize,
//! ask whether the line discipline is in no-echo canonical mode, signal the session.
//!
//! Spawning goes through `std::process::Command` rather than a PTY crate so that a failed
//! exec is reported as such (std reports it from the child through a CLOEXEC pipe) and no
//! writer drop can send EOF to the child mid-session.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{Winsize, openpty};
use nix::sys::termios::{self, LocalFlags};

use crate::error::Failure;

/// A child running in a new PTY.
pub struct Spawned {
    pub master: File,
    pub child: Child,
    pub pid: i32,
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    let (cols, rows) = crate::size::clamp(cols, rows);
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

fn cloexec(fd: &OwnedFd) -> std::io::Result<()> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    Ok(())
}

/// Find a program as exec would: a path with a `/` as is, else on `$PATH`.
pub fn resolve_program(name: &str) -> Result<PathBuf, Failure> {
    let executable =
        |p: &Path| p.is_file() && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok();
    if name.contains('/') {
        let p = PathBuf::from(name);
        return match (p.exists(), executable(&p)) {
            (false, _) => Err(Failure::not_found(format!(
                "{name}: no such file; check the command"
            ))),
            (true, false) => Err(Failure::cannot_exec(format!(
                "{name}: not an executable file"
            ))),
            (true, true) => Ok(p),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| executable(p))
        .ok_or_else(|| {
            Failure::not_found(format!(
                "{name}: command not found on PATH; install it or pass the full path"
            ))
        })
}

/// Start `argv` in a new PTY of the given size, as leader of a new session with the PTY
/// as its controlling terminal.
pub fn spawn(
    argv: &[String],
    cols: u16,
    rows: u16,
    env: &[(&str, &str)],
) -> std::io::Result<Spawned> {
    spawn_as(argv, (cols, rows), env, false)
}

/// Start `argv` as [`spawn`] does; with `service` (installed mode, a fire id's ssh) the
/// child is the service user through and through (real, effective and saved uid), and
/// its environment is `env` alone, so nothing of the user's reaches it.
pub fn spawn_as(
    argv: &[String],
    (cols, rows): (u16, u16),
    env: &[(&str, &str)],
    service: bool,
) -> std::io::Result<Spawned> {
    let ids = crate::mode::ids();
    let installed = crate::mode::installed();
    if service {
        cmd_check_service(installed)?;
    }
    // Installed, the PTY is made with the user's filesystem uid, so its slave is the user's.
    let pty = crate::mode::with_user_fsuid(|| openpty(Some(&winsize(cols, rows)), None))?;
    cloexec(&pty.master)?;
    cloexec(&pty.slave)?;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::from(pty.slave.try_clone()?))
        .stdout(Stdio::from(pty.slave.try_clone()?))
        .stderr(Stdio::from(pty.slave.try_clone()?));
    if service {
        // Nothing of the user's: no variable, and not their working dir.
        cmd.env_clear().current_dir("/");
    } else if installed {
        for (k, _) in std::env::vars_os() {
            if crate::installed::rules::is_unsafe_var(&k.to_string_lossy()) {
                cmd.env_remove(k);
            }
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let uid = if service {
        ids.service_uid
    } else {
        ids.real_uid
    };
    let gid = ids.real_gid;
    // SAFETY: between fork and exec only async-signal-safe calls are made (signal, setsid,
    // ioctl, setresgid, setresuid, setrlimit), touching no memory shared with the parent.
    unsafe {
        cmd.pre_exec(move || {
            // Installed: the child is the user (or, for a fire id's ssh, the service)
            // through and through: real, effective and saved uid; the gids and the
            // supplementary groups are the user's (setgroups needs root).
            if installed
                && (libc::setresgid(gid, gid, gid) != 0 || libc::setresuid(uid, uid, uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            // The service's ssh holds a key: it never leaves a core file, whatever limit
            // the user set.
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if service && libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    // The slave must be closed here, or reading the master never sees the end.
    drop(pty.slave);
    let pid = child.id() as i32;
    Ok(Spawned {
        master: File::from(pty.master),
        child,
        pid,
    })
}

/// A service child exists only in installed mode, where the service is not the user.
fn cmd_check_service(installed: bool) -> std::io::Result<()> {
    if installed {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "a child with the service identity needs installed mode",
        ))
    }
}

/// Tell the PTY (and so the child, by SIGWINCH) its new size.
pub fn resize(master: &File, cols: u16, rows: u16) -> std::io::Result<()> {
    let ws = winsize(cols, rows);
    // SAFETY: TIOCSWINSZ reads one winsize from the struct we pass, alive for the call.
    let r = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// What the PTY's modes say about input now: whether a program reads a secret.
pub fn tty_mode(master: &File) -> super::secret::TtyMode {
    use super::secret::{TtyFlags, TtyMode, classify};
    match termios::tcgetattr(master.as_fd()) {
        Ok(t) => classify(TtyFlags {
            icanon: t.local_flags.contains(LocalFlags::ICANON),
            echo: t.local_flags.contains(LocalFlags::ECHO),
            isig: t.local_flags.contains(LocalFlags::ISIG),
            icrnl: t.input_flags.contains(termios::InputFlags::ICRNL),
            echoe: t.local_flags.contains(LocalFlags::ECHOE),
        }),
        Err(_) => TtyMode::Open,
    }
}

/// Send `sig` to the child's process group and to the PTY's foreground process group
/// (a job the shell started), so the whole session gets it.
pub fn signal_session(master: &File, pid: i32, sig: i32) {
    // SAFETY: TIOCGPGRP writes one pid_t into `fg`; kill only sends a signal.
    unsafe {
        let mut fg: libc::pid_t = 0;
        if libc::ioctl(master.as_raw_fd(), libc::TIOCGPGRP, &mut fg) == 0 && fg > 0 && fg != pid {
            libc::kill(-fg, sig);
        }
        if libc::kill(-pid, sig) != 0 {
            libc::kill(pid, sig);
        }
    }
}

/// The conventional name of a signal number (`SIGHUP`).
pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map_or_else(|_| format!("SIG{sig}"), |s| s.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_programs_like_exec() {
        assert!(resolve_program("sh").is_ok());
        assert_eq!(
            resolve_program("no-such-program-xyz").unwrap_err().code,
            crate::error::Exit::NotFound
        );
        let plain = tempfile::NamedTempFile::new().unwrap();
        let plain = plain.path().to_str().unwrap();
        assert_eq!(
            resolve_program(plain).unwrap_err().code,
            crate::error::Exit::CannotExec
        );
        assert_eq!(
            resolve_program("/no/such").unwrap_err().code,
            crate::error::Exit::NotFound
        );
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(1), "SIGHUP");
        assert_eq!(signal_name(9), "SIGKILL");
    }
}
