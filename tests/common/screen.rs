//! The session's screen as the log says it is: every output record played into a terminal
//! emulator of the recorded size (genesis, then each resize), for comparing with what a
//! real terminal shows (tmux capture-pane).

use std::path::Path;

use breakglass::log::record::Body;

use super::records;

/// The screen after every record of the log so far, one string per row with trailing
/// spaces trimmed (as `tmux capture-pane -p` prints them).
pub fn log_screen(path: &Path) -> Vec<String> {
    let mut vt: Option<avt::Terminal> = None;
    for r in records(path) {
        match r.body {
            Body::Genesis(g) => vt = avt::Terminal::new(g.cols.into(), g.rows.into()).ok(),
            Body::Resize { cols, rows } => {
                if let Some(vt) = vt.as_mut() {
                    vt.resize(cols.into(), rows.into());
                }
            }
            Body::Output(d) => {
                if let (Some(vt), Some(bytes)) = (vt.as_mut(), d.bytes()) {
                    vt.feed(String::from_utf8_lossy(bytes).as_ref());
                }
            }
            _ => {}
        }
    }
    vt.map(|vt| {
        vt.screen()
            .text()
            .into_iter()
            .map(|line| line.trim_end().to_string())
            .collect()
    })
    .unwrap_or_default()
}

/// `capture-pane` text as rows, trailing spaces trimmed, `rows` of them at most.
pub fn pane_rows(capture: &str, rows: usize) -> Vec<String> {
    capture
        .split('\n')
        .take(rows)
        .map(|l| l.trim_end().to_string())
        .collect()
}
