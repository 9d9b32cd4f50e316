//! The replay's terminal I/O: key events (crossterm's reader) and signals read on threads
//! of their own into one channel, and the alternate screen held for the life of the replay.

use std::io::Write;
use std::sync::mpsc;

use crossterm::event::{self, Event, KeyEvent};
use crossterm::{cursor, execute, terminal};

/// What the input threads send to the replay loop.
pub enum Msg {
    Key(KeyEvent),
    Resized,
    Quit,
}

/// Read key events and resizes (crossterm's reader, which follows SIGWINCH itself) on
/// one thread, and the signals that end the replay on another.
pub fn spawn_inputs(tx: mpsc::Sender<Msg>) -> std::io::Result<()> {
    let keys = tx.clone();
    std::thread::spawn(move || {
        loop {
            let m = match event::read() {
                Ok(Event::Key(k)) => Msg::Key(k),
                Ok(Event::Resize(..)) => Msg::Resized,
                Ok(_) => continue,
                Err(_) => break, // the keyboard's terminal went away
            };
            if keys.send(m).is_err() {
                return;
            }
        }
        let _ = keys.send(Msg::Quit);
    });
    let mut signals =
        signal_hook::iterator::Signals::new([libc::SIGTERM, libc::SIGHUP, libc::SIGINT])?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Msg::Quit);
        }
    });
    Ok(())
}

/// Auto-wrap (DECAWM) off and on: crossterm has no command for it, so these are bytes.
const WRAP_OFF: &[u8] = b"\x1b[?7l";
const WRAP_ON: &[u8] = b"\x1b[?7h";

/// The replay draws on the alternate screen, and puts the terminal back when it ends.
pub struct ScreenGuard;

impl ScreenGuard {
    /// Switch to the alternate screen for the life of the guard, auto-wrap off (a line
    /// of wide characters that overflows is cut, never scrolls the screen).
    pub fn enter() -> ScreenGuard {
        let mut o = std::io::stdout();
        let _ = execute!(o, terminal::EnterAlternateScreen);
        let _ = o.write_all(WRAP_OFF);
        let _ = execute!(o, cursor::Hide);
        ScreenGuard
    }
}

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        let mut o = std::io::stdout();
        // The scroll region back to the whole screen (no crossterm command), attributes off.
        let _ = o.write_all(b"\x1b[r");
        let _ = crossterm::queue!(
            o,
            crossterm::style::SetAttribute(crossterm::style::Attribute::Reset)
        );
        let _ = o.write_all(WRAP_ON);
        let _ = execute!(o, cursor::Show, terminal::LeaveAlternateScreen);
    }
}
