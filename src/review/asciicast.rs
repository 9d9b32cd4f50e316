//! asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), for asciinema and
//! asciinema-player: a header line, then one event per line, `[seconds, code, data]`.
//!
//! Output is `o`, input `i` (masked input is left out: only its length was kept), a
//! resize `r` with `COLSxROWS`, a marker `m` with its text. Joins, takes and the end have
//! no asciicast event; the timeline has them. asciicast data is text, so bytes that are
//! not UTF-8 are replaced by U+FFFD and counted, for the caller to say so.

use serde_json::{Value, json};

use super::json::Ordered;

use crate::log::record::{Body, Data, Genesis, Record};

/// The asciicast header line for a session, fields in the order asciinema writes them.
pub fn header(g: &Genesis) -> String {
    let mut fields: Vec<(&'static str, Value)> = vec![
        ("version", 2.into()),
        ("width", g.cols.into()),
        ("height", g.rows.into()),
    ];
    if let Ok(ts) = g.started.parse::<jiff::Timestamp>() {
        fields.push(("timestamp", ts.as_second().into()));
    }
    fields.push(("title", format!("{}: {}", g.host, g.reason).into()));
    fields.push(("env", json!({"TERM": g.term})));
    serde_json::to_string(&Ordered(fields)).expect("JSON values serialise")
}

/// Converts records into events, counting replaced bytes.
#[derive(Debug, Default)]
pub struct Cast {
    /// Bytes that were not UTF-8 and were replaced by U+FFFD.
    pub replaced: u64,
}

impl Cast {
    pub fn new() -> Cast {
        Cast::default()
    }

    /// The event line for a record, if it has one.
    pub fn event(&mut self, rec: &Record) -> Option<String> {
        let (code, data) = match &rec.body {
            Body::Output(d) => ("o", self.text(d)?),
            Body::Input { data, .. } => ("i", self.text(data)?),
            Body::Resize { cols, rows } => ("r", format!("{cols}x{rows}")),
            Body::Marker { text, .. } => ("m", text.clone()),
            _ => return None,
        };
        Some(format!(
            "[{},{},{}]",
            seconds(rec.t),
            Value::from(code),
            Value::from(data)
        ))
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
}
