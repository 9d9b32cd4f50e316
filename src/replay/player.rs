//! The replay's terminal side: reads keys and signals, plays records with their timing
//! into an emulator, draws it through a viewport that follows the cursor when the
//! terminal is smaller than the session, and keeps a status line at the bottom (`s`
//! hides it, so a terminal of the session's size shows all of it).

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;
use regex::Regex;

use super::describe;
use super::index::Index;
use super::keys::{Command, Keys};
use super::nav;
use super::search::search;
use super::status;
use super::timing::{delay, step_speed};
use super::view::{self, Viewport};
use crate::live::screen::Player;
use crate::log::parse::decode;
use crate::log::record::Body;
use crate::term;
use crate::time::{parse_position, position};
use crate::{review, safe};

/// How often `--follow` looks for new records, and the longest idle wait of the loop.
pub const POLL: Duration = Duration::from_millis(200);
/// How long a message stays on the status line.
pub const MESSAGE_FOR: Duration = Duration::from_secs(4);
/// The most often the screen is redrawn while playing: smooth to the eye, and a burst of
/// small records costs one redraw, not one each.
pub const FRAME: Duration = Duration::from_millis(33);

pub use super::terminal::{Msg, ScreenGuard, spawn_inputs};

/// What is on the reviewer's screen besides the position.
#[derive(Default)]
pub struct ViewState {
    /// The emulator at the position, drawn through the viewport.
    pub screen: Option<Player>,
    pub view: Viewport,
    /// `s` hid the status line: the whole terminal shows the session.
    pub status_hidden: bool,
    /// The help page on show.
    pub help_page: Option<usize>,
    /// Records were played since the last draw.
    pub dirty: bool,
    pub last_draw: Option<Instant>,
}

pub struct Replay {
    pub idx: Index,
    /// Entries applied to the screen so far.
    pub upto: usize,
    /// The time shown, into the session: seeks move it, playing a record sets it.
    pub clock: u64,
    pub paused: bool,
    pub speed: f64,
    pub idle: Duration,
    pub keys: Keys,
    pub hits: Vec<usize>,
    pub hit: usize,
    pub verdict_text: String,
    pub tampered: bool,
    pub follow: bool,
    pub prompt: Option<String>,
    pub message: Option<(String, Instant)>,
    pub show_who: bool,
    pub out: std::io::Stdout,
    pub last_status: Instant,
    pub ui: ViewState,
}

impl Replay {
    fn write(&mut self, b: &[u8]) {
        let _ = self.out.write_all(b);
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Instant::now()));
        self.status();
    }

    /// The rows the session may use: all of them when the status line is hidden.
    fn screen_rows(&self) -> usize {
        let rows = usize::from(term::user_size().1);
        if self.ui.status_hidden {
            rows
        } else {
            rows.saturating_sub(1).max(1)
        }
    }

    /// Rebuild the screen at `self.upto` from the index, then draw it.
    pub fn render(&mut self) {
        match self.idx.screen_at(self.upto) {
            Ok(p) => self.ui.screen = Some(p),
            Err(e) => self.message = Some((format!("cannot read the log: {e}"), Instant::now())),
        }
        self.draw();
    }

    /// Draw the screen through the viewport, then the status line.
    fn draw(&mut self) {
        self.ui.dirty = false;
        self.ui.last_draw = Some(Instant::now());
        let (cols, rows) = (usize::from(term::user_size().0), self.screen_rows());
        if let Some(p) = &self.ui.screen {
            let t = p.terminal();
            let c = t.cursor();
            self.ui.view = Viewport::place(self.ui.view, (c.col, c.row), (cols, rows), t.size());
            let bytes = view::draw(t, &self.ui.view, rows);
            self.write(bytes.as_bytes());
        }
        self.status();
    }

    fn status(&mut self) {
        self.last_status = Instant::now();
        if self.ui.status_hidden {
            let _ = self.out.flush();
            return;
        }
        let (cols, rows) = term::user_size();
        let mut pos = status::position(self.paused, self.clock, self.idx.length(), self.speed);
        if let Some(cut) = self
            .ui
            .screen
            .as_ref()
            .and_then(|p| self.ui.view.cut(p.terminal().size()))
        {
            pos = format!("{pos} {cut}");
        }
        let user = &self.idx.genesis.user;
        let text = match (&self.prompt, self.ui.help_page, &self.message) {
            (Some(p), _, _) => safe::text(p).into_owned(),
            (None, Some(k), _) => self.help(k),
            (None, None, Some((m, at))) if at.elapsed() < MESSAGE_FOR => m.clone(),
            _ if self.show_who => describe::last_typed(&self.idx, self.upto),
            _ => format!(
                "keyboard: {}  {}{}  ? help",
                safe::text(review::who(self.idx.driver_at(self.upto), user)),
                self.verdict_text,
                if self.follow && !self.idx.ended {
                    "  following"
                } else {
                    ""
                }
            ),
        };
        let text = status::line(&pos, &text, cols.into());
        let line = status::paint(rows.into(), self.tampered, &text);
        self.write(line.as_bytes());
        let _ = self.out.flush();
    }

    /// Draw help page `k` above the status line; what the status line says about it.
    fn help(&mut self, k: usize) -> String {
        let (cols, rows) = term::user_size();
        let lines = status::help_lines(cols.into());
        let per = usize::from(rows).saturating_sub(1).max(1);
        let pages: Vec<&[String]> = lines.chunks(per).collect();
        let page = pages[k % pages.len()];
        let first = usize::from(rows).saturating_sub(page.len()).max(1);
        let out = status::paint_help(first, page);
        self.write(out.as_bytes());
        status::help_title(k % pages.len(), pages.len())
    }

    /// Apply the next entry to the screen.
    fn play_next(&mut self) {
        let i = self.upto;
        self.upto += 1;
        self.clock = self.clock.max(self.idx.entries[i].t);
        let Ok(line) = self.idx.line(i) else { return };
        let Ok(rec) = decode(&line) else { return };
        match rec.body {
            Body::Output(_) | Body::Resize { .. } => {
                if let Some(p) = &mut self.ui.screen {
                    p.line(&line);
                }
                self.ui.dirty = true;
            }
            Body::Marker { .. } | Body::Participant(_) | Body::End(_) => {
                if let Some(m) =
                    describe::event(&self.idx.genesis.user, &self.idx.genesis.started, &rec)
                {
                    self.say(m);
                }
            }
            _ => {}
        }
    }

    /// Show the moment after the first `upto` entries, the clock at its time.
    fn seek_to(&mut self, upto: usize) {
        self.upto = upto.clamp(1.min(self.idx.entries.len()), self.idx.entries.len());
        self.clock = self.idx.time_at(self.upto);
        self.render();
    }

    /// Show the session at time `t`: in a pause, the pause.
    fn seek_time(&mut self, t: u64) {
        self.clock = t.min(self.idx.length());
        self.upto = self.idx.upto_time(self.clock);
        self.render();
    }

    pub fn run(&mut self, rx: mpsc::Receiver<Msg>) -> Result<()> {
        // A hung-up terminal ends the replay even where no SIGHUP comes (no controlling
        // terminal) and the key reader cannot tell.
        let stdin_tty = term::is_tty(0);
        loop {
            let at_end = self.upto >= self.idx.entries.len();
            let wait = if self.paused || at_end {
                POLL
            } else {
                let gap = self.idx.entries[self.upto].t.saturating_sub(self.clock);
                delay(gap, self.speed, self.idle)
            };
            let since = self.ui.last_draw.map_or(FRAME, |d| d.elapsed());
            if self.ui.dirty && (wait >= FRAME || since >= FRAME) {
                self.draw();
            }
            if stdin_tty && term::hung_up(0) {
                return Ok(()); // the reviewer's terminal went away
            }
            match rx.recv_timeout(wait) {
                Ok(Msg::Key(k)) => {
                    let cmds = self.keys.key(k);
                    if !self.commands(cmds)? {
                        return Ok(());
                    }
                }
                Ok(Msg::Resized) => self.render(),
                Ok(Msg::Quit) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
                Err(mpsc::RecvTimeoutError::Timeout) if !self.paused && !at_end => self.play_next(),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.follow
                        && !self.idx.ended
                        && self.idx.extend()? > 0
                        && !self.idx.intact()
                    {
                        self.tampered = true;
                        self.verdict_text = "TAMPERED: the log broke while following".into();
                    }
                }
            }
            if self.last_status.elapsed() > Duration::from_millis(100) {
                self.status();
            }
        }
    }

    /// Act on commands in turn; false to quit.
    fn commands(&mut self, cmds: Vec<Command>) -> Result<bool> {
        for cmd in cmds {
            if !self.command(cmd)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Act on a command; false to quit.
    fn command(&mut self, cmd: Command) -> Result<bool> {
        if !matches!(cmd, Command::Help) && self.ui.help_page.take().is_some() {
            self.draw(); // the rows the help covered
        }
        match cmd {
            Command::Quit => return Ok(false),
            Command::TogglePause => {
                self.paused = !self.paused;
                self.status();
            }
            Command::StepForward => {
                self.paused = true;
                let to = nav::step_forward(&self.idx.entries, self.upto);
                while self.upto < to {
                    self.play_next();
                }
                self.draw();
            }
            Command::StepBack => {
                self.paused = true;
                self.seek_to(nav::step_back(&self.idx.entries, self.upto));
            }
            Command::Seek(secs) => {
                self.seek_time(nav::seek_by(&self.idx.entries, self.clock, secs))
            }
            Command::GoTo(t) => match parse_position(&t) {
                Some(us) => self.seek_time(us),
                None => self.say(format!("`{}` is not a time such as 12:30", safe::text(&t))),
            },
            Command::NextMark => match nav::next_mark(&self.idx.marks, self.upto) {
                Some(m) => self.seek_to_mark(m),
                None => self.say("no later marker, event or Enter"),
            },
            Command::PrevMark => match nav::prev_mark(&self.idx.marks, self.upto) {
                Some(m) => self.seek_to_mark(m),
                None => self.say("no earlier marker, event or Enter"),
            },
            Command::Search(p) => match Regex::new(&p) {
                Ok(re) => {
                    self.hits = search(&self.idx, &re)?;
                    match nav::first_hit_from(&self.hits, self.upto) {
                        Some(k) => self.goto_hit(k),
                        None => self.say(format!("no match for /{}/", safe::text(&p))),
                    }
                }
                Err(e) => self.say(format!("bad pattern: {}", safe::text(&e.to_string()))),
            },
            Command::NextHit | Command::PrevHit if self.hits.is_empty() => {
                self.say("no search yet: press / to search")
            }
            Command::NextHit => self.goto_hit((self.hit + 1) % self.hits.len()),
            Command::PrevHit => self.goto_hit((self.hit + self.hits.len() - 1) % self.hits.len()),
            Command::Faster | Command::Slower => {
                self.speed = step_speed(self.speed, cmd == Command::Faster);
                self.status();
            }
            Command::ToggleWho => {
                self.show_who = !self.show_who;
                self.message = None;
                self.status();
            }
            Command::ToggleStatus => {
                self.ui.status_hidden = !self.ui.status_hidden;
                self.render();
            }
            Command::Help => {
                self.paused = true;
                self.ui.help_page = Some(self.ui.help_page.map_or(0, |k| k + 1));
                if std::mem::take(&mut self.ui.status_hidden) {
                    self.render(); // the help shows above the status line
                } else {
                    self.status();
                }
            }
            Command::Dismiss => {
                self.message = None;
                self.status();
            }
            Command::Prompt(p) => {
                self.prompt = (!p.is_empty()).then_some(p);
                self.status();
            }
        }
        Ok(true)
    }

    /// Go to just after entry `m` and say what it was.
    fn seek_to_mark(&mut self, m: usize) {
        self.paused = true;
        self.seek_to(m + 1);
        let at = position(self.idx.entries[m].t);
        let what = self
            .idx
            .record(m)
            .ok()
            .and_then(|r| describe::event(&self.idx.genesis.user, &self.idx.genesis.started, &r))
            .unwrap_or_default();
        self.say(format!("{at} {what}"));
    }

    fn goto_hit(&mut self, k: usize) {
        self.hit = k;
        self.paused = true;
        let h = self.hits[k];
        self.seek_to(h + 1);
        self.say(format!(
            "match {} of {} at {}",
            k + 1,
            self.hits.len(),
            position(self.idx.entries[h].t)
        ));
    }
}
