//! The replay's terminal I/O: keys and signals read on threads of their own into one
//! channel, and the alternate screen held for the life of the replay.

use std::io::{Read, Write};
use std::sync::mpsc;

/// What the input threads send to the replay loop.
pub enum Msg {
    Keys(Vec<u8>),
    Resized,
    Quit,
}

pub fn spawn_inputs(tx: mpsc::Sender<Msg>) -> std::io::Result<()> {
    let keys = tx.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = std::io::stdin().read(&mut buf) {
            if n == 0 || keys.send(Msg::Keys(buf[..n].to_vec())).is_err() {
                break;
            }
        }
        let _ = keys.send(Msg::Quit);
    });
    let mut signals = signal_hook::iterator::Signals::new([
        libc::SIGWINCH,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGINT,
    ])?;
    std::thread::spawn(move || {
        for s in signals.forever() {
            let m = if s == libc::SIGWINCH {
                Msg::Resized
            } else {
                Msg::Quit
            };
            if tx.send(m).is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// The replay draws on the alternate screen, and puts the terminal back when it ends.
pub struct ScreenGuard;

impl ScreenGuard {
    /// Switch to the alternate screen for the life of the guard, auto-wrap off (a line
    /// of wide characters that overflows is cut, never scrolls the screen).
    pub fn enter() -> ScreenGuard {
        let mut o = std::io::stdout();
        let _ = o.write_all(b"\x1b[?1049h\x1b[?7l\x1b[?25l");
        let _ = o.flush();
        ScreenGuard
    }
}

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        let mut o = std::io::stdout();
        let _ = o.write_all(b"\x1b[r\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l");
        let _ = o.flush();
    }
}
