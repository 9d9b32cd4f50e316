//! Records decoded for scripts (`export --format json`): one JSON object per record with
//! `seq`, `t` (microseconds) and `k` first, then the kind's fields as docs/FORMAT.md names
//! them, except the payload: `text` when it is UTF-8, `base64` when it is not, and
//! `redacted` (the byte count) for masked input. The chain link `prev` is left out: this
//! is for reading, and `verify` is for proving.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::log::record::{Body, Data, Record};

/// A JSON object with its fields in the order given (serde_json's own map sorts them).
pub struct Ordered(pub Vec<(&'static str, Value)>);

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn payload(f: &mut Vec<(&'static str, Value)>, d: &Data) {
    f.push(match d {
        Data::Text(s) => ("text", s.as_str().into()),
        Data::Bytes(b) => ("base64", B64.encode(b).into()),
        Data::Redacted(n) => ("redacted", (*n).into()),
        Data::Sealed { len, .. } => ("sealed", (*len).into()),
    });
}

/// One record as a line of JSON.
pub fn record_line(rec: &Record) -> String {
    let mut f: Vec<(&'static str, Value)> = vec![
        ("seq", rec.seq.into()),
        ("t", rec.t.into()),
        ("k", rec.body.kind().as_str().into()),
    ];
    match &rec.body {
        Body::Genesis(g) => f.extend([
            ("v", g.v.into()),
            ("session", g.session.as_str().into()),
            ("host", g.host.as_str().into()),
            ("user", g.user.as_str().into()),
            ("uid", g.uid.into()),
            ("reason", g.reason.as_str().into()),
            ("ticket", g.ticket.clone().into()),
            ("command", g.command.clone().into()),
            ("cols", g.cols.into()),
            ("rows", g.rows.into()),
            ("term", g.term.as_str().into()),
            ("started", g.started.as_str().into()),
            ("ttl_s", g.ttl_s.into()),
            ("tool", g.tool.as_str().into()),
            ("origin", g.origin.as_str().into()),
        ]),
        Body::Output(d) => payload(&mut f, d),
        Body::Input { by, data } => {
            f.push(("by", by.as_str().into()));
            payload(&mut f, data);
        }
        Body::Resize { cols, rows } => {
            f.extend([("cols", (*cols).into()), ("rows", (*rows).into())])
        }
        Body::Marker { by, text } => {
            f.extend([("by", by.as_str().into()), ("text", text.as_str().into())])
        }
        Body::Participant(p) => {
            f.extend([
                ("event", p.event.as_str().into()),
                ("who", p.who.as_str().into()),
            ]);
            if let Some(uid) = p.uid {
                f.push(("uid", uid.into()));
            }
            if let Some(mode) = &p.mode {
                f.push(("mode", mode.as_str().into()));
            }
            if let Some(x) = p.extension {
                f.extend([("ttl_s", x.ttl_s.into()), ("by_s", x.by_s.into())]);
            }
        }
        Body::End(x) => f.extend([
            ("cause", x.cause.as_str().into()),
            ("exit", x.exit.into()),
            ("signal", x.signal.clone().into()),
            ("records", x.records.into()),
            ("bytes_in", x.bytes_in.into()),
            ("bytes_out", x.bytes_out.into()),
            ("ended", x.ended.as_str().into()),
        ]),
        Body::Checkpoint(_) => {}
    }
    if let Body::End(crate::log::record::End { seal: Some(s), .. }) | Body::Checkpoint(s) =
        &rec.body
    {
        f.extend([
            ("key", s.key.as_str().into()),
            ("sig", hex::encode(s.sig).into()),
        ]);
    }
    serde_json::to_string(&Ordered(f)).expect("JSON values serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::Participant;

    fn line(body: Body) -> String {
        record_line(&Record {
            seq: 2,
            t: 7,
            prev: ZERO_HASH,
            body,
        })
    }

    #[test]
    fn payloads_as_text_base64_or_redacted() {
        assert_eq!(
            line(Body::Output(Data::Text("hi\n".into()))),
            r#"{"seq":2,"t":7,"k":"o","text":"hi\n"}"#
        );
        assert_eq!(
            line(Body::Output(Data::Bytes(vec![0xff]))),
            r#"{"seq":2,"t":7,"k":"o","base64":"/w=="}"#
        );
        let i = Body::Input {
            by: "bob".into(),
            data: Data::Redacted(9),
        };
        assert_eq!(
            line(i),
            r#"{"seq":2,"t":7,"k":"i","by":"bob","redacted":9}"#
        );
    }

    #[test]
    fn participant_fields_only_where_they_apply() {
        let p = Body::Participant(Participant {
            event: "take".into(),
            who: "carol".into(),
            uid: None,
            mode: Some("operate".into()),
            extension: None,
        });
        assert_eq!(
            line(p),
            r#"{"seq":2,"t":7,"k":"p","event":"take","who":"carol","mode":"operate"}"#
        );
    }
}
