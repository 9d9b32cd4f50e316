//! The owner's status row, in tmux: the session gets every row but the last, which
//! breakglass keeps for its own words. Whatever runs (vim, top, a shell scrolling,
//! clearing, resetting the terminal, a resize) and whatever is told (joins, the keyboard
//! taken and returned, markers, the time limit), the owner's pane above the row equals
//! the log's screen, and the row says the latest notice; after the session the whole
//! screen is the shell's again.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::screen::{log_screen, pane_rows};
use common::tmux::Tmux;
use common::*;

/// How long the time limit's one-minute notice may take to come (it is due 40 s in).
const TTL_NOTICE_WAIT: Duration = Duration::from_secs(120);

/// How long a notice is looked for on the row before it is looked for among the notices
/// before (it shows there for 6 s).
const NOTICE_LOOK: Duration = Duration::from_secs(3);

/// A recorded bash in the `main` pane of `cols` x `rows`, with the test's user as operator.
struct Owner {
    t: Tmux,
    log: PathBuf,
    id: String,
    rows: usize,
}

fn owner(env: &Env, cols: u16, rows: u16, ttl: &str) -> Option<Owner> {
    let t = Tmux::start(env.tmp.path(), &pane_env(env))?;
    let (c, r) = (cols.to_string(), rows.to_string());
    t.tmux(&["resize-window", "-t", "main", "-x", &c, "-y", &r]);
    t.wait_in("main", "$");
    let me = breakglass::session::login_name();
    t.send(&format!(
        "{} shell -r 'status row' --ttl {ttl} --operators {me} -- bash --norc --noprofile",
        bin().display()
    ));
    t.wait_in("main", "RECORDING session");
    let id = live_session_id(env);
    Some(Owner {
        t,
        log: env.log(),
        id,
        rows: rows.into(),
    })
}

impl Owner {
    /// The pane's rows.
    fn pane(&self) -> Vec<String> {
        pane_rows(&self.t.screen(), self.rows)
    }

    /// Wait until the pane above the row equals the log's screen and the row contains
    /// `row` (the output may still be on its way).
    fn settles(&self, row: &str) {
        let start = Instant::now();
        loop {
            let pane = self.pane();
            let log = log_screen(&self.log);
            let last = pane.get(self.rows - 1).cloned().unwrap_or_default();
            if pane.len() == self.rows && pane[..self.rows - 1] == log[..] && last.contains(row) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the pane never settled with {row:?} on its row;\npane:\n{}\nlog screen:\n{}",
                pane.join("\n"),
                log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The owner was told `text` on the row, above a screen equal to the log's: it shows
    /// there now or, as a notice shows for a few seconds and a loaded machine may take
    /// longer to get here, among the notices before (the escape key, then `h` until it
    /// does; any other key leaves them).
    fn told(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < NOTICE_LOOK {
            if self.pane().last().is_some_and(|l| l.contains(text)) {
                return self.settles("");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.t.keys_to("main", &["C-]", "h"]);
        for n in 1.. {
            // `[n/total]` starts the row while the notices before are shown.
            let at = format!("[{n}/");
            self.t.wait_for(&format!("notice {n} before"), |t| {
                pane_rows(&t.screen(), self.rows)
                    .last()
                    .is_some_and(|l| l.starts_with(&at))
            });
            let row = self.pane().last().cloned().unwrap_or_default();
            if row.contains(text) {
                self.settles(text);
                self.t.keys_to("main", &["Escape"]);
                return self.settles("REC");
            }
            assert!(
                !row.starts_with(&format!("[{n}/{n}]")),
                "{text:?} is not among the notices:\n{}",
                self.t.screen()
            );
            self.t.keys_to("main", &["h"]);
        }
    }

    fn watcher(&self, env: &Env) {
        self.t.new_window("wat", &Tmux::shell_cmd(&pane_env(env)));
        self.t
            .send_to("wat", &format!("{} watch {}", bin().display(), self.id));
    }
}

/// A file of numbered lines for vim to show.
fn text_file(dir: &Path) -> PathBuf {
    let p = dir.join("lines.txt");
    let text: String = (1..=300)
        .map(|i| format!("line {i} of the file\n"))
        .collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// Joins, the keyboard taken and given back, a marker: each told on the row, with the
/// full-screen program's screen untouched above it.
fn watched_and_told(env: &Env, o: &Owner) {
    o.watcher(env);
    o.told("is now watching this session");
    o.t.keys_to("wat", &["C-]", "t"]);
    o.told("has taken the keyboard");
    o.t.keys_to("wat", &["C-]", "r"]);
    o.told("handed the keyboard back");
    let out = env.run(&["mark", &o.id, "status-row-checked"]);
    assert!(out.status.success(), "{out:?}");
    o.told("status-row-checked");
}

#[test]
fn vim_keeps_its_screen_and_every_notice_goes_to_the_row() {
    let env = Env::new();
    let Some(o) = owner(&env, 100, 30, "100s") else {
        return;
    };
    let file = text_file(env.tmp.path());
    o.t.send(&format!("vim -u NONE -N {}", file.display()));
    o.settles("REC");
    o.t.keys_to("main", &["4", "0", "j"]);
    o.settles("REC");
    watched_and_told(&env, &o);
    // The one-minute notice comes 40 s in; the steps above may have taken longer.
    let start = Instant::now();
    while !records(&o.log).iter().any(|r| {
        matches!(&r.body, breakglass::log::record::Body::Marker { text, .. } if text.contains("this session ends at"))
    }) {
        assert!(start.elapsed() < TTL_NOTICE_WAIT, "no time limit notice");
        std::thread::sleep(Duration::from_millis(100));
    }
    o.told("this session ends at");
    o.t.keys_to("main", &["Escape", ":", "q", "!", "Enter"]);
    o.t.send("exit");
    o.t.wait_in("main", "verify: breakglass verify");
}

#[test]
fn top_keeps_its_screen_on_a_small_terminal() {
    let env = Env::new();
    let Some(o) = owner(&env, 80, 24, "10m") else {
        return;
    };
    o.t.send("top -d 1");
    o.t.wait_in("main", "PID");
    o.settles("REC");
    watched_and_told(&env, &o);
    o.t.keys_to("main", &["q"]);
    o.settles("REC");
    o.t.send("exit");
    o.t.wait_in("main", "verify: breakglass verify");
}

#[test]
fn a_shell_scrolls_clears_resets_and_resizes_under_the_row() {
    let env = Env::new();
    let Some(o) = owner(&env, 80, 24, "10m") else {
        return;
    };
    o.t.send("seq 1 200");
    o.t.wait_in("main", "\n200\n");
    o.settles("REC");
    o.t.send("clear");
    o.settles("REC");
    o.t.send("printf 'before reset\\n\\033c'; echo after-$((1+1))");
    o.t.wait_in("main", "after-2");
    o.settles("REC");

    o.t.tmux(&["resize-window", "-t", "main", "-x", "90", "-y", "20"]);
    let o = Owner { rows: 20, ..o };
    wait_record(&o.log, "resize", |b| {
        matches!(
            b,
            breakglass::log::record::Body::Resize { cols: 90, rows: 19 }
        )
    });
    o.t.send("clear; stty size");
    o.t.wait_in("main", "19 90");
    o.settles("REC");
    o.t.send("seq 1 100");
    o.t.wait_in("main", "\n100\n");
    o.settles("REC");

    o.t.send("exit");
    o.t.wait_in("main", "verify: breakglass verify");
    // The whole screen scrolls again: the last line lands on the last row.
    o.t.send("clear; seq 1 50");
    o.t.wait_in("main", "\n50\n");
    o.t.wait_for("the prompt on the last row", |t| {
        let rows = pane_rows(&t.screen(), 20);
        rows.len() == 20 && rows[18] == "50" && rows[19].starts_with('$')
    });
    assert!(!o.t.screen().contains("REC"), "{}", o.t.screen());
}
