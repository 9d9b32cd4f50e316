//! asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), for asciinema and
//! asciinema-player: a header line, then one event per line, `[seconds, code, data]`.
//!
//! Output is `o`, input `i` (masked input is left out: only its length was kept), a
//! resize `r` with `COLSxROWS`, a marker `m` with its text. Joins and takes have no
//! asciicast event; the timeline has them. asciicast data is text, so bytes that are not
//! UTF-8 are replaced by U+FFFD and counted, for the caller to say so.
//!
//! The cast ends with a marker ([`END_MARKER`]) and output that puts the player's terminal
//! back in order ([`RESTORE`]), so a session that ended inside a full-screen program does
//! not leave whoever plays it on the alternate screen with mouse reporting on.

use serde_json::{Value, json};

use super::json::Ordered;

use crate::log::record::{Body, Data, Genesis, Record};

/// The asciicast header line for a session, fields in the order asciinema writes them.
pub fn header(g: &Genesis) -> String {
    // A player sizes its screen from these: never more than breakglass emulates.
    let (cols, rows) = crate::size::clamp(g.cols, g.rows);
    let mut fields: Vec<(&'static str, Value)> = vec![
        ("version", 2.into()),
        ("width", cols.into()),
        ("height", rows.into()),
    ];
    if let Ok(ts) = g.started.parse::<jiff::Timestamp>() {
        fields.push(("timestamp", ts.as_second().into()));
    }
    let title = format!("{}: {}", g.host, g.reason);
    fields.push(("title", crate::safe::text(&title).into()));
    fields.push(("env", json!({"TERM": crate::safe::text(&g.term)})));
    serde_json::to_string(&Ordered(fields)).expect("JSON values serialise")
}

/// The text of the marker that ends every cast.
pub const END_MARKER: &str = "end of the recording: terminal restored";

use crate::termstate::Modes;
pub use crate::termstate::{LEAVE_ALTERNATE, RESTORE};

/// Converts records into events, counting replaced bytes.
#[derive(Debug, Default)]
pub struct Cast {
    /// Bytes that were not UTF-8 and were replaced by U+FFFD.
    pub replaced: u64,
    /// The time of the last record seen.
    last_t: u64,
    /// What the output so far left the terminal in.
    modes: Modes,
}

impl Cast {
    pub fn new() -> Cast {
        Cast::default()
    }

    /// The event line for a record, if it has one.
    pub fn event(&mut self, rec: &Record) -> Option<String> {
        self.last_t = self.last_t.max(rec.t);
        let (code, data) = match &rec.body {
            Body::Output(d) => {
                let text = self.text(d)?;
                self.modes.feed(text.as_bytes());
                ("o", text)
            }
            Body::Input { data, .. } => ("i", self.text(data)?),
            Body::Resize { cols, rows } => {
                let (cols, rows) = crate::size::clamp(*cols, *rows);
                ("r", format!("{cols}x{rows}"))
            }
            Body::Marker { text, .. } => ("m", text.clone()),
            _ => return None,
        };
        Some(line(rec.t, code, data))
    }

    /// The events that end the cast: the end marker, then the output that restores the
    /// terminal, both at the time of the last record.
    pub fn ending(&self) -> [String; 2] {
        let restore = self.modes.restore();
        [
            line(self.last_t, "m", END_MARKER.into()),
            line(self.last_t, "o", restore),
        ]
    }

    fn text(&mut self, d: &Data) -> Option<String> {
        match d {
            Data::Text(s) => Some(s.clone()),
            Data::Bytes(b) => {
                let mut s = String::with_capacity(b.len());
                for chunk in b.utf8_chunks() {
                    s.push_str(chunk.valid());
                    if !chunk.invalid().is_empty() {
                        s.push('\u{fffd}');
                        self.replaced += chunk.invalid().len() as u64;
                    }
                }
                Some(s)
            }
            Data::Redacted(_) | Data::Sealed { .. } => None,
        }
    }
}

/// One event line.
fn line(t: u64, code: &str, data: String) -> String {
    format!(
        "[{},{},{}]",
        seconds(t),
        Value::from(code),
        Value::from(data)
    )
}

/// A record's `t` in seconds, exactly, to the microsecond: `12.345678`.
fn seconds(t_us: u64) -> String {
    format!("{}.{:06}", t_us / 1_000_000, t_us % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;

    fn rec(t: u64, body: Body) -> Record {
        Record {
            seq: 1,
            t,
            prev: ZERO_HASH,
            body,
        }
    }

    #[test]
    fn header_has_size_time_title_and_term() {
        let g = Genesis {
            host: "db1".into(),
            reason: "lag".into(),
            cols: 100,
            rows: 30,
            term: "xterm".into(),
            started: "2026-01-02T03:04:05.678Z".into(),
            ..Default::default()
        };
        let line = header(&g);
        assert!(
            line.starts_with(r#"{"version":2,"width":100,"height":30,"#),
            "{line}"
        );
        let h: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(h["version"], 2);
        assert_eq!(
            (h["width"].as_u64(), h["height"].as_u64()),
            (Some(100), Some(30))
        );
        assert_eq!(h["timestamp"], 1767323045);
        assert_eq!(h["title"], "db1: lag");
        assert_eq!(h["env"]["TERM"], "xterm");
    }

    #[test]
    fn events_by_kind_and_bytes_replaced() {
        let mut c = Cast::new();
        let ev = |c: &mut Cast, t, b| c.event(&rec(t, b));
        assert_eq!(
            ev(&mut c, 1_500_000, Body::Output(Data::Text("hi\r\n".into()))).unwrap(),
            r#"[1.500000,"o","hi\r\n"]"#
        );
        let by = "owner".to_string();
        let input = |d| Body::Input {
            by: by.clone(),
            data: d,
        };
        assert_eq!(
            ev(&mut c, 2, input(Data::Text("l".into()))).unwrap(),
            r#"[0.000002,"i","l"]"#
        );
        assert_eq!(ev(&mut c, 3, input(Data::Redacted(4))), None);
        assert_eq!(
            ev(&mut c, 4_000_000, Body::Resize { cols: 80, rows: 24 }).unwrap(),
            r#"[4.000000,"r","80x24"]"#
        );
        let m = Body::Marker {
            by: by.clone(),
            text: "caught up".into(),
        };
        assert_eq!(
            ev(&mut c, 5_000_000, m).unwrap(),
            r#"[5.000000,"m","caught up"]"#
        );
        let bytes = Body::Output(Data::Bytes(vec![b'a', 0xff, 0xfe, b'b']));
        assert_eq!(
            ev(&mut c, 6_000_000, bytes).unwrap(),
            "[6.000000,\"o\",\"a\u{fffd}\u{fffd}b\"]"
        );
        assert_eq!(c.replaced, 2);
    }

    #[test]
    fn the_cast_ends_with_a_marker_and_a_terminal_restored() {
        let out = |t, s: &str| rec(t, Body::Output(Data::Text(s.into())));
        let mut c = Cast::new();
        c.event(&out(
            1_000_000,
            "$ vim\r\n\x1b[?1049h\x1b[?1000h\x1b[?2004h\x1b[?25l",
        ));
        c.event(&out(2_000_000, "\x1b[1;20r"));
        let [marker, restore] = c.ending();
        assert_eq!(marker, format!(r#"[2.000000,"m","{END_MARKER}"]"#));
        let v: Value = serde_json::from_str(&restore).unwrap();
        let data = v[2].as_str().unwrap();
        assert_eq!(v[0].as_f64(), Some(2.0));
        assert!(
            data.starts_with("\x1b[?1049l"),
            "leaves the alternate screen first"
        );
        for seq in [
            "\x1b[r",
            "\x1b[0m",
            "\x1b[?25h",
            "\x1b[?1000l",
            "\x1b[?1006l",
            "\x1b[?2004l",
            "\x1b>",
        ] {
            assert!(data.contains(seq), "{seq:?} missing from {data:?}");
        }
        // Left the alternate screen before the end: it is not left again.
        c.event(&out(3_000_000, ":q\x1b[?10"));
        c.event(&out(3_500_000, "49l$ "));
        let [_, restore] = c.ending();
        assert!(!restore.contains("1049l"), "{restore}");
        assert!(restore.starts_with("[3.500000,"));
    }
}
