//! The replay's terminal side: reads keys and signals, plays records with their timing,
//! draws the screen at a position from the index, and keeps a status line at the bottom.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;
use regex::Regex;

use super::index::Index;
use super::keys::{Command, HELP, Keys};
use super::nav;
use super::search::search;
use super::timing::{delay, format_time, parse_time, step_speed};
use crate::log::record::Body;
use crate::session::term;

/// How often `--follow` looks for new records, and the longest idle wait of the loop.
pub const POLL: Duration = Duration::from_millis(200);
/// How long a message stays on the status line.
pub const MESSAGE_FOR: Duration = Duration::from_secs(4);

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

/// Puts the screen back in order when the replay ends: the recording may have left the
/// terminal on its alternate screen, with a scroll region, a hidden cursor or colours.
pub struct ScreenGuard;

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        let rows = term::user_size().1;
        let mut o = std::io::stdout();
        let _ = write!(
            o,
            "\x1b[r\x1b[0m\x1b[?25h\x1b[?1049l\x1b[{rows};1H\x1b[2K\r\n"
        );
        let _ = o.flush();
    }
}

pub struct Replay {
    pub idx: Index,
    /// Entries applied to the screen so far.
    pub upto: usize,
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
}

impl Replay {
    fn write(&mut self, b: &[u8]) {
        let _ = self.out.write_all(b);
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Instant::now()));
        self.status();
    }

    /// Redraw the screen as it was after `self.upto` entries.
    pub fn render(&mut self) {
        match self.idx.screen_at(self.upto) {
            Ok(p) => {
                let snap = p.snapshot();
                let (_, rows) = term::user_size();
                let region = snap.rows.min(rows.saturating_sub(1)).max(1);
                self.write(b"\x1b[?1049l\x1b[r\x1b[0m\x1b[H\x1b[2J");
                self.write(format!("\x1b[1;{region}r").as_bytes());
                self.write(snap.dump.as_bytes());
                if snap.rows >= rows || snap.cols > term::user_size().0 {
                    let (c, r) = term::user_size();
                    self.message = Some((
                        format!(
                            "your terminal ({c}x{r}) is smaller than the session ({}x{}) plus a status line: enlarge it",
                            snap.cols, snap.rows
                        ),
                        Instant::now(),
                    ));
                }
            }
            Err(e) => self.message = Some((format!("cannot read the log: {e}"), Instant::now())),
        }
        self.status();
    }

    fn status(&mut self) {
        self.last_status = Instant::now();
        let (cols, rows) = term::user_size();
        let now = self.idx.time_at(self.upto);
        let state = if self.paused {
            "\u{23f8} paused"
        } else {
            "\u{25b6}"
        };
        let mut text = match (&self.prompt, &self.message) {
            (Some(p), _) => p.clone(),
            (None, Some((m, at))) if at.elapsed() < MESSAGE_FOR => m.clone(),
            _ => format!(
                "{state} {} / {}  {}x  keyboard: {}  {}{}  ? help",
                format_time(now),
                format_time(self.idx.length()),
                self.speed,
                self.idx.driver_at(self.upto),
                self.verdict_text,
                if self.follow && !self.idx.ended {
                    "  following"
                } else {
                    ""
                }
            ),
        };
        if self.show_who && self.prompt.is_none() {
            text = format!("{}  | {text}", self.last_typed());
        }
        let text: String = text.chars().take(cols as usize).collect();
        let colour = if self.tampered {
            "\x1b[1;97;41m"
        } else {
            "\x1b[7m"
        };
        let line = format!("\x1b7\x1b[{rows};1H\x1b[0m{colour}\x1b[2K{text}\x1b[0m\x1b8");
        self.write(line.as_bytes());
        let _ = self.out.flush();
    }

    /// Who typed last, and what.
    fn last_typed(&self) -> String {
        let Some(i) = (0..self.upto)
            .rev()
            .find(|&i| self.idx.entries[i].kind == b'i')
        else {
            return "nothing typed yet".into();
        };
        match self.idx.record(i).map(|r| r.body) {
            Ok(Body::Input { by, data }) => {
                let what = match data.bytes() {
                    Some(b) => String::from_utf8_lossy(b).escape_debug().to_string(),
                    None => {
                        let (n, sealed) = data.masked().unwrap_or_default();
                        crate::review::masked_label(n, sealed)
                    }
                };
                format!(
                    "{by} typed {what} at {}",
                    format_time(self.idx.entries[i].t)
                )
            }
            _ => String::new(),
        }
    }

    /// Apply the next entry to the screen.
    fn play_next(&mut self) {
        let i = self.upto;
        self.upto += 1;
        let Ok(rec) = self.idx.record(i) else { return };
        match rec.body {
            Body::Output(d) => {
                if let Some(b) = d.bytes() {
                    let b = b.to_vec();
                    self.write(&b);
                }
            }
            Body::Resize { .. } => self.render(),
            Body::Marker { by, text } => self.say(format!("marker by {by}: {text}")),
            Body::Participant(p) => self.say(format!("{} {}", p.who, p.event)),
            Body::End(x) => self.say(format!(
                "the session ended ({}) at {}",
                x.cause,
                format_time(rec.t)
            )),
            _ => {}
        }
    }

    fn seek_to(&mut self, upto: usize) {
        self.upto = upto.clamp(1.min(self.idx.entries.len()), self.idx.entries.len());
        self.render();
    }

    pub fn run(&mut self, rx: mpsc::Receiver<Msg>) -> Result<()> {
        loop {
            let at_end = self.upto >= self.idx.entries.len();
            let wait = if self.paused || at_end {
                POLL
            } else {
                let gap = self.idx.entries[self.upto]
                    .t
                    .saturating_sub(self.idx.time_at(self.upto));
                delay(gap, self.speed, self.idle)
            };
            match rx.recv_timeout(wait) {
                Ok(Msg::Keys(b)) => {
                    for cmd in self.keys.feed(&b) {
                        if !self.command(cmd)? {
                            return Ok(());
                        }
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

    /// Act on a command; false to quit.
    fn command(&mut self, cmd: Command) -> Result<bool> {
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
                self.status();
            }
            Command::StepBack => {
                self.paused = true;
                self.seek_to(nav::step_back(&self.idx.entries, self.upto));
            }
            Command::Seek(secs) => self.seek_to(nav::seek_by(&self.idx.entries, self.upto, secs)),
            Command::GoTo(t) => match parse_time(&t) {
                Some(us) => self.seek_to(nav::at_time(&self.idx.entries, us)),
                None => self.say(format!("`{t}` is not a time such as 12:30")),
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
                        None => self.say(format!("no match for /{p}/")),
                    }
                }
                Err(e) => self.say(format!("bad pattern: {e}")),
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
                self.status();
            }
            Command::Help => {
                self.paused = true;
                self.say(HELP);
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
        let at = format_time(self.idx.entries[m].t);
        let what = match self.idx.record(m).map(|r| r.body) {
            Ok(Body::Marker { by, text }) => format!("marker by {by}: {text}"),
            Ok(Body::Participant(p)) => format!("{} {}", p.who, p.event),
            Ok(Body::Input { by, .. }) => format!("Enter typed by {by}"),
            _ => String::new(),
        };
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
            format_time(self.idx.entries[h].t)
        ));
    }
}
