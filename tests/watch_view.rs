//! The watcher's screen, with real users in tmux panes of several sizes around one
//! session on an installed bastion: drawn from the watcher's own emulator, it equals the
//! log's screen (the truth for owner and watchers alike, whatever the owner's pane looks
//! like) through a viewport; a smaller watcher sees the part around the cursor and says
//! which; a larger one sees the whole session and its edge; notices go on the status row
//! at the bottom (a join, a take, a return, a marker, the time limit's warning and an
//! extension), and the escape key then `h` shows the past ones.

mod common;

use std::path::{Path, PathBuf};

use breakglass::log::record::Body;
use common::screen::{log_screen, pane_rows};
use common::tmux::Tmux;
use common::together::*;
use common::*;

/// A session of `dev` (main pane, 100x30) with `ops` as operator, its log, and the panes.
struct Room {
    t: Tmux,
    shared: Shared,
    dev: String,
    _users: Users,
}

impl Room {
    fn new(env: &Env, tag: &str, others: &[&str], ttl: &str) -> Room {
        let dev = format!("bgv-dev{tag}");
        let ops = format!("bgv-ops{tag}");
        let mut names = vec![dev.clone(), ops.clone()];
        names.extend(others.iter().map(|o| format!("bgv-{o}{tag}")));
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let users = Users::new(&format!("bgv-g{tag}"), &refs);
        let shared = shared_dir(env, &format!("bgv-g{tag}"));
        let t = Tmux::start(env.tmp.path(), &pane_env(env)).expect("tmux");
        t.wait_in("main", "$");
        let watchers: Vec<String> = names[2..].to_vec();
        t.send(&as_user(
            env,
            &shared,
            &dev,
            &format!(
                "shell -r watch-view --ttl {ttl} --operators {ops} --watchers {} -- sh",
                if watchers.is_empty() {
                    ops.clone()
                } else {
                    watchers.join(",")
                }
            ),
        ));
        shared_session_id(&shared);
        Room {
            t,
            shared,
            dev,
            _users: users,
        }
    }

    fn log(&self) -> PathBuf {
        std::fs::read_dir(self.shared.join("sessions"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    }

    /// `user` (a name made by [`Room::new`]) watches in a new pane `pane` of `cols` x `rows`.
    fn watch(&self, env: &Env, pane: &str, user: &str, cols: u16, rows: u16) {
        let id = shared_session_id(&self.shared);
        self.t
            .new_window_sized(pane, &Tmux::shell_cmd(&pane_env(env)), cols, rows);
        self.t.wait_in(pane, "$");
        self.t.send_to(
            pane,
            &as_user(env, &self.shared, user, &format!("watch {id}")),
        );
        let log = self.log();
        wait_until(&format!("{user} joins"), || {
            participant_events(&log).contains(&format!("join:{user}"))
        });
    }

    /// The pane's rows, all of them.
    fn rows(&self, pane: &str) -> Vec<String> {
        pane_rows(&self.t.screen_of(pane), 200)
    }
}

/// Whether `ok` holds within the deadline (polled).
fn wait_for(mut ok: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while !ok() {
        if start.elapsed() > DEADLINE {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    true
}

/// Wait until `ok` holds; fail naming `what` otherwise.
fn wait_until(what: &str, ok: impl FnMut() -> bool) {
    assert!(wait_for(ok), "timed out waiting for {what}");
}

/// Wait until the session's shell prompts again (the program before it has ended).
fn back_at_the_prompt(room: &Room) {
    let log = room.log();
    wait_until("the prompt", || output_bytes(&log).ends_with(b"$ "));
}

/// The session's size (cols, rows) as the log says.
fn session_size(log: &Path) -> (usize, usize) {
    let mut size = (0, 0);
    for r in records(log) {
        match r.body {
            Body::Genesis(g) => size = (g.cols.into(), g.rows.into()),
            Body::Resize { cols, rows } => size = (cols.into(), rows.into()),
            _ => {}
        }
    }
    size
}

/// Wait until `pane`'s status row (its row `rows - 1`) contains `needle`.
fn wait_status(room: &Room, pane: &str, rows: usize, needle: &str) {
    wait_until(&format!("{needle:?} on {pane}'s status row"), || {
        room.rows(pane)
            .get(rows - 1)
            .is_some_and(|l| l.contains(needle))
    });
}

/// Wait until the first rows of `pane` (a terminal one row taller than the session or
/// more) equal the log's screen.
fn wait_whole_screen(room: &Room, pane: &str) {
    let log = room.log();
    let mut last = (vec![], vec![]);
    let ok = wait_for(|| {
        let want = log_screen(&log);
        let got: Vec<String> = room.rows(pane).into_iter().take(want.len()).collect();
        let same = got == want;
        last = (got, want);
        same
    });
    assert!(
        ok,
        "{pane} is not the log's screen:\n{:#?}\nwant\n{:#?}",
        last.0, last.1
    );
}

/// What the cut indicator on a status row says, 1-based and inclusive: rows from, to,
/// of; cols from, to, of (all of them where only rows are cut).
fn cut_of(status: &str, cols: usize) -> Option<[usize; 6]> {
    let at = status.find("view rows ")?;
    let nums: Vec<usize> = status[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match nums.len() {
        3 if !status[at..].contains("cols") => Some([nums[0], nums[1], nums[2], 1, cols, cols]),
        n if n >= 6 => nums[..6].try_into().ok(),
        _ => None,
    }
}

/// Wait until `pane` (`cols` x `rows`, smaller than the session) shows the part of the
/// log's screen its cut indicator names, `size` of it, from column `min_left` or more.
fn wait_view(room: &Room, pane: &str, (cols, rows): (usize, usize), min_left: usize) {
    let log = room.log();
    let mut last = String::new();
    let ok = wait_for(|| {
        let (total_cols, total_rows) = session_size(&log);
        let got = room.rows(pane);
        let Some([top, bottom, total, left, right, all]) =
            got.get(rows - 1).and_then(|s| cut_of(s, total_cols))
        else {
            last = format!("no cut indicator: {got:#?}");
            return false;
        };
        let want: Vec<String> = log_screen(&log)
            .iter()
            .skip(top - 1)
            .take(bottom + 1 - top)
            .map(|l| {
                let l: String = l.chars().chain(std::iter::repeat(' ')).take(all).collect();
                l.chars()
                    .skip(left - 1)
                    .take(right + 1 - left)
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        last = format!("{got:#?}\nwant\n{want:#?}");
        (bottom + 1 - top, right + 1 - left) == (rows - 1, cols.min(total_cols))
            && (total_cols, total_rows) == (all, total)
            && left >= min_left
            && got[..rows - 1] == want[..]
    });
    assert!(ok, "{pane}'s view:\n{last}");
}

/// Join, take and return, a marker: after each, the operator's pane (one row taller
/// than the session) shows the log's screen and the notice on its last row. `between`
/// runs after the join, before the take.
fn notices_over_the_screen(env: &Env, room: &Room, tag: &str, between: impl FnOnce()) {
    let ops = format!("bgv-ops{tag}");
    room.watch(env, "wat", &ops, 100, 31);
    let t = &room.t;
    wait_status(
        room,
        "wat",
        31,
        &format!("{ops} is now watching this session"),
    );
    wait_whole_screen(room, "wat");
    between();
    t.keys_to("wat", &["C-]", "t"]);
    wait_status(room, "wat", 31, "you have the keyboard");
    wait_whole_screen(room, "wat");
    t.keys_to("wat", &["C-]", "r"]);
    wait_status(room, "wat", 31, "you no longer hold the keyboard");
    wait_whole_screen(room, "wat");
    t.keys_to("wat", &["C-]", "m"]);
    wait_status(room, "wat", 31, "marker text");
    t.send_to("wat", "checked the screen");
    wait_status(
        room,
        "wat",
        31,
        &format!("marker by {ops}: checked the screen"),
    );
    wait_whole_screen(room, "wat");
    wait_until("the state again", || {
        room.rows("wat")
            .get(30)
            .is_some_and(|l| l.starts_with("\u{25cf} REC") && l.contains(&room.dev))
    });
}

/// The time limit of the session watched during top: its one-minute warning comes a
/// minute in, time enough for the operator to have joined on a loaded machine.
const TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// The one-minute warning reaches the watcher on its status row with the screen whole,
/// then the owner's `breakglass extend` does too, so the session outlives the test.
fn time_limit_over_the_screen(env: &Env, room: &Room) {
    let log = room.log();
    let warning = |b: &Body| matches!(b, Body::Marker { text, .. } if text.contains("(in 1m)"));
    let deadline = TTL + DEADLINE;
    let start = std::time::Instant::now();
    while !records(&log).iter().any(|r| warning(&r.body)) {
        assert!(start.elapsed() < deadline, "no one-minute warning");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let order: Vec<bool> = records(&log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Participant(p) if p.event == "join" => Some(false),
            b if warning(&b) => Some(true),
            _ => None,
        })
        .collect();
    assert_eq!(
        order.first(),
        Some(&false),
        "the warning came before the join"
    );
    wait_status(room, "wat", 31, "this session ends at");
    wait_whole_screen(room, "wat");
    let id = shared_session_id(&room.shared);
    let line = as_user(env, &room.shared, &room.dev, &format!("extend {id} 10m"));
    let out = procs::output_within(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .stdin(std::process::Stdio::null()),
        DEADLINE,
    );
    assert!(out.status.success(), "{out:?}");
    wait_status(room, "wat", 31, "extended the session to ");
    wait_whole_screen(room, "wat");
}

#[test]
fn watchers_of_every_size_see_the_logs_screen_during_vim() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let tag = "v";
    let file = env.tmp.path().join("text.txt");
    let text: String = (1..=200)
        .map(|i| format!("{i:03} {}\n", "abcdefghij".repeat(9)))
        .collect();
    std::fs::write(&file, text).unwrap();
    let room = Room::new(&env, tag, &["small", "big"], "30m");
    let t = &room.t;
    t.send(&format!("vim -u NONE -N -n -R {}", file.display()));
    let log = room.log();
    wait_until("vim", || {
        log_screen(&log).iter().any(|l| l.starts_with("001 "))
    });
    notices_over_the_screen(&env, &room, tag, || {});

    // History: the escape key then h, each h older, any other key back to the state.
    t.keys_to("wat", &["C-]", "h"]);
    wait_status(&room, "wat", 31, "notice 1/");
    let mut seen = false;
    for k in 2..10 {
        t.keys_to("wat", &["h"]);
        wait_status(&room, "wat", 31, &format!("notice {k}/"));
        if room.rows("wat")[30].contains("you have the keyboard") {
            seen = true;
            break;
        }
    }
    assert!(seen, "the take's notice is not in the history");
    t.keys_to("wat", &["q"]);
    wait_status(&room, "wat", 31, "\u{25cf} REC");

    // The cursor far down and right: a small watcher sees the part around it.
    t.keys_to("main", &["-l", "150G85|"]);
    wait_until("line 150 on screen", || {
        log_screen(&log).iter().any(|l| l.starts_with("150 "))
    });
    room.watch(&env, "small", &format!("bgv-small{tag}"), 60, 15);
    wait_view(&room, "small", (60, 15), 2);

    // A big watcher sees the whole session and its edge.
    room.watch(&env, "big", &format!("bgv-big{tag}"), 140, 40);
    let mut last = String::new();
    let ok = wait_for(|| {
        let (cols, rows) = session_size(&log);
        let want = log_screen(&log);
        let got = room.rows("big");
        let edge: String = "\u{2500}".repeat(cols) + "\u{2518}";
        let body = (0..rows).all(|r| {
            let chars: Vec<char> = got[r].chars().collect();
            let left: String = chars.iter().take(cols).collect();
            left.trim_end() == want[r] && chars.get(cols) == Some(&'\u{2502}')
        });
        last = format!("{got:#?}");
        body && got[rows] == edge && got[39].contains("\u{25cf} REC")
    });
    assert!(ok, "the big watcher's screen:\n{last}");

    t.keys_to("main", &["-l", ":q"]);
    t.send("");
    back_at_the_prompt(&room);
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
}

#[test]
fn watchers_one_row_taller_and_of_the_sessions_size_see_the_logs_screen_during_top() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let tag = "t";
    let room = Room::new(&env, tag, &["same"], &format!("{}s", TTL.as_secs()));
    let t = &room.t;
    t.send("top -d 5");
    let log = room.log();
    wait_until("top", || log_screen(&log).iter().any(|l| l.contains("PID")));
    notices_over_the_screen(&env, &room, tag, || time_limit_over_the_screen(&env, &room));
    // Exactly the session's size: the view follows the cursor over all rows but one, and
    // says so.
    let (cols, rows) = session_size(&log);
    room.watch(
        &env,
        "same",
        &format!("bgv-same{tag}"),
        cols as u16,
        rows as u16,
    );
    wait_view(&room, "same", (cols, rows), 1);
    t.keys_to("main", &["q"]);
    back_at_the_prompt(&room);
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
}
