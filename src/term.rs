//! The user's terminal through crossterm: raw mode that always comes back, window size,
//! and the title.
//!
//! What was changed lives in a global so that every way out can put it back: the
//! [`RawMode`] guard's drop, the panic hook, the error path and the session's end on
//! SIGTERM or SIGHUP, all before `process::exit`. What the session's programs switched on
//! (alternate screen, mouse reports, hidden cursor, keypad, scroll region, attributes) is
//! followed from what is [`shown`] and switched off again by [`restore`], however the
//! session or the watch ends, and the owner's status row is given back.

use std::io::Write;
use std::os::fd::RawFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::terminal::{self as ct, SetTitle};

use crate::termstate::Modes;

/// What was changed and must be put back besides raw mode (crossterm keeps the saved
/// terminal settings itself).
struct Saved {
    title_pushed: bool,
    /// stdout is a terminal that session output is shown on: its modes are reset.
    modes: bool,
}

static SAVED: Mutex<Option<Saved>> = Mutex::new(None);

/// The owner's terminal keeps its last row for the status row (session/statusrow.rs):
/// the restore gives it back.
static STATUS_ROW: AtomicBool = AtomicBool::new(false);

/// Whether the owner's terminal keeps a status row now.
pub fn status_row(on: bool) {
    STATUS_ROW.store(on, Ordering::Release);
}

/// What the output shown on stdout left the terminal in.
static SHOWN: Mutex<Option<Modes>> = Mutex::new(None);

/// Follow output written to the user's terminal (the session's, or a watched one's), so
/// that [`restore`] knows whether to leave the alternate screen.
pub fn shown(bytes: &[u8]) {
    SHOWN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(Modes::new)
        .feed(bytes);
}

/// Whether the output shown so far left the owner's terminal on the alternate screen
/// (a full-screen program such as vim or top is running).
pub fn on_alternate_screen() -> bool {
    SHOWN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(Modes::alternate)
}

/// Default size when no terminal tells one (and the clamp for a reported 0x0).
pub const DEFAULT_SIZE: (u16, u16) = (80, 24);

/// Whether `fd` is a terminal.
pub fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the fd number; an invalid fd just returns 0.
    unsafe { libc::isatty(fd) == 1 }
}

/// Columns and rows of the terminal on `fd`, if it is one and reports a size, within the
/// largest size breakglass runs (see [`crate::size`]). crossterm only asks the
/// controlling terminal; this asks one descriptor (stdout's width for tables and
/// progress, which only matters when stdout itself is the terminal).
pub fn window_size(fd: RawFd) -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we pass, which outlives the call.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0 && ws.ws_row > 0).then(|| crate::size::clamp(ws.ws_col, ws.ws_row))
}

/// The size of the user's terminal: crossterm's (the controlling terminal, else stdout),
/// else stdin's, else [`DEFAULT_SIZE`]. crossterm is asked only when stdout is a
/// terminal: it then always answers from a terminal, and never falls back to running
/// `tput`, which would report a size of no terminal of the user's.
pub fn user_size() -> (u16, u16) {
    is_tty(1)
        .then(ct::size)
        .and_then(Result::ok)
        .filter(|&(c, r)| c > 0 && r > 0)
        .map(|(c, r)| crate::size::clamp(c, r))
        .or_else(|| window_size(0))
        .or_else(|| window_size(1))
        .unwrap_or(DEFAULT_SIZE)
}

/// Whether the terminal on `fd` hung up (the connection to it dropped): the end of a
/// keyboard that no read reports.
pub fn hung_up(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: poll reads and writes the one pollfd we pass, which outlives the call; a
    // zero timeout never blocks.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n == 1 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Push the terminal's title and set ours. crossterm sets a title but cannot save the
/// old one, so the push (XTWINOPS 22) is written as bytes; [`restore`] pops it (23).
fn push_title(title: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"\x1b[22;0t");
    let _ = crossterm::execute!(out, SetTitle(crate::safe::text(title)));
}

/// Raw mode on the user's terminal for the life of the guard.
pub struct RawMode(());

impl RawMode {
    /// Switch the keyboard's terminal to raw mode (crossterm: stdin's, or the
    /// controlling terminal when stdin is not one), saving the current settings. Also
    /// sets the title when stdout is a terminal (pushing the old one, so it comes back).
    pub fn enter(title: &str) -> std::io::Result<RawMode> {
        let title_pushed = is_tty(1);
        ct::enable_raw_mode()?;
        *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(Saved {
            title_pushed,
            modes: title_pushed,
        });
        if title_pushed {
            push_title(title);
        }
        Ok(RawMode(()))
    }

    /// Only set the title (stdin is not a terminal, so there is no raw mode to enter).
    pub fn title_only(title: &str) -> RawMode {
        if is_tty(1) {
            *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(Saved {
                title_pushed: true,
                modes: true,
            });
            push_title(title);
        }
        RawMode(())
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back exactly as it was. Safe to call more than once, from anywhere.
pub fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
    let (modes, title_pushed) = saved.map_or((false, false), |s| (s.modes, s.title_pushed));
    if modes {
        let shown = SHOWN.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(shown.unwrap_or_default().restore().as_bytes());
        if STATUS_ROW.swap(false, Ordering::AcqRel) {
            let _ = out.write_all(crate::termstate::LEAVE_STATUS_ROW.as_bytes());
        }
        let _ = out.flush();
    }
    if ct::is_raw_mode_enabled().unwrap_or(true) {
        let _ = ct::disable_raw_mode();
    }
    if title_pushed {
        // Pop the title pushed on entering (XTWINOPS 23; crossterm has no command).
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\x1b[23;0t");
        let _ = out.flush();
    }
}

/// Restore the terminal before the default panic message is printed.
pub fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        prev(info);
    }));
}
