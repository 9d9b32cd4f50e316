//! The one canonical encoding of a record.
//!
//! Every line breakglass writes is produced here, so the canonical form is defined in one
//! place: fields in the order of docs/FORMAT.md, no whitespace, strings escaped as
//! serde_json escapes them, bytes as standard padded base64. The verifier re-encodes every
//! line it reads and requires the same bytes, so any rewrite of a line shows.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::json::push_str;
use super::record::{Body, Data, Kind, Record};

fn push_u64(out: &mut Vec<u8>, n: u64) {
    use std::io::Write;
    write!(out, "{n}").expect("writing to a Vec");
}

/// A JSON array of strings.
fn push_str_list(out: &mut Vec<u8>, list: &[String]) {
    out.push(b'[');
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, a);
    }
    out.push(b']');
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b',');
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn field_str(out: &mut Vec<u8>, k: &str, v: &str) {
    key(out, k);
    push_str(out, v);
}

fn field_u64(out: &mut Vec<u8>, k: &str, v: u64) {
    key(out, k);
    push_u64(out, v);
}

fn field_opt_str(out: &mut Vec<u8>, k: &str, v: Option<&str>) {
    key(out, k);
    match v {
        Some(s) => push_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Append the `d`, `b` or `redacted` field of a payload.
pub fn push_data(out: &mut Vec<u8>, data: &Data) {
    match data {
        Data::Text(s) => field_str(out, "d", s),
        Data::Bytes(b) => push_bytes_field(out, b),
        Data::Redacted(n) => field_u64(out, "redacted", *n),
        Data::Sealed { len, blob } => {
            field_u64(out, "redacted", *len);
            push_b64_field(out, "sealed", blob);
        }
    }
}

/// Append a `b` field holding `bytes` as standard padded base64.
pub fn push_bytes_field(out: &mut Vec<u8>, bytes: &[u8]) {
    push_b64_field(out, "b", bytes);
}

/// Append field `name` holding `bytes` as standard padded base64.
fn push_b64_field(out: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    key(out, name);
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let n = B64
        .encode_slice(bytes, &mut out[start..])
        .expect("buffer sized for base64");
    out.truncate(start + n);
    out.push(b'"');
}

/// Append the common head of every record: `{"seq":..,"t":..,"k":"..","prev":".."`.
pub fn push_head(out: &mut Vec<u8>, seq: u64, t: u64, kind: Kind, prev: &crate::log::chain::Hash) {
    out.extend_from_slice(b"{\"seq\":");
    push_u64(out, seq);
    field_u64(out, "t", t);
    field_str(out, "k", kind.as_str());
    key(out, "prev");
    out.push(b'"');
    let start = out.len();
    out.resize(start + 64, 0);
    hex::encode_to_slice(prev, &mut out[start..]).expect("64 bytes for 32");
    out.push(b'"');
}

/// Encode a record as its canonical line, without the LF.
pub fn encode(rec: &Record, out: &mut Vec<u8>) {
    push_head(out, rec.seq, rec.t, rec.body.kind(), &rec.prev);
    match &rec.body {
        Body::Genesis(g) => {
            field_u64(out, "v", g.v);
            field_str(out, "session", &g.session);
            field_str(out, "host", &g.host);
            field_str(out, "user", &g.user);
            field_u64(out, "uid", g.uid.into());
            field_str(out, "reason", &g.reason);
            field_opt_str(out, "ticket", g.ticket.as_deref());
            key(out, "command");
            push_str_list(out, &g.command);
            field_u64(out, "cols", g.cols.into());
            field_u64(out, "rows", g.rows.into());
            field_str(out, "term", &g.term);
            field_str(out, "started", &g.started);
            key(out, "ttl_s");
            match g.ttl_s {
                Some(n) => push_u64(out, n),
                None => out.extend_from_slice(b"null"),
            }
            field_str(out, "tool", &g.tool);
            field_str(out, "origin", &g.origin);
            if let Some(c) = &g.cert {
                field_str(out, "cert_serial", &c.serial);
                field_str(out, "cert_key_id", &c.key_id);
                key(out, "cert_principals");
                push_str_list(out, &c.principals);
                field_u64(out, "cert_valid_after", c.valid_after);
                field_u64(out, "cert_valid_before", c.valid_before);
                field_str(out, "cert_ca", &c.ca);
            }
        }
        Body::Output(data) => push_data(out, data),
        Body::Input { by, data } => {
            field_str(out, "by", by);
            push_data(out, data);
        }
        Body::Resize { cols, rows } => {
            field_u64(out, "cols", (*cols).into());
            field_u64(out, "rows", (*rows).into());
        }
        Body::Marker { by, text } => {
            field_str(out, "by", by);
            field_str(out, "text", text);
        }
        Body::Participant(p) => {
            field_str(out, "event", &p.event);
            field_str(out, "who", &p.who);
            if let Some(uid) = p.uid {
                field_u64(out, "uid", uid.into());
            }
            if let Some(mode) = &p.mode {
                field_str(out, "mode", mode);
            }
            if let Some(x) = p.extension {
                field_u64(out, "ttl_s", x.ttl_s);
                field_u64(out, "by_s", x.by_s);
            }
        }
        Body::End(x) => {
            field_str(out, "cause", &x.cause);
            key(out, "exit");
            match x.exit {
                Some(n) => {
                    use std::io::Write;
                    write!(out, "{n}").expect("writing to a Vec");
                }
                None => out.extend_from_slice(b"null"),
            }
            field_opt_str(out, "signal", x.signal.as_deref());
            field_u64(out, "records", x.records);
            field_u64(out, "bytes_in", x.bytes_in);
            field_u64(out, "bytes_out", x.bytes_out);
            field_str(out, "ended", &x.ended);
            if let Some(seal) = &x.seal {
                super::seal::push(out, seal);
            }
        }
        Body::Checkpoint(seal) => super::seal::push(out, seal),
    }
    out.push(b'}');
}

/// Decode a `b` payload strictly (standard alphabet, padded, no stray bits).
pub fn decode_b64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::{End, Participant};

    fn line(body: Body) -> String {
        let mut out = Vec::new();
        encode(
            &Record {
                seq: 3,
                t: 42,
                prev: ZERO_HASH,
                body,
            },
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn output_text_is_compact_and_ordered() {
        let l = line(Body::Output(Data::Text("hi \u{1b}[1m\"\\\n".into())));
        let z = "0".repeat(64);
        assert_eq!(
            l,
            format!(r#"{{"seq":3,"t":42,"k":"o","prev":"{z}","d":"hi \u001b[1m\"\\\n"}}"#)
        );
    }

    #[test]
    fn bytes_are_padded_base64() {
        let l = line(Body::Output(Data::Bytes(vec![0xff, 0xfe])));
        assert!(l.ends_with(r#""b":"//4="}"#), "{l}");
        assert_eq!(decode_b64("//4="), Some(vec![0xff, 0xfe]));
        assert_eq!(decode_b64("//4"), None);
    }

    #[test]
    fn end_and_participant_fields() {
        let l = line(Body::End(End {
            cause: "exit".into(),
            exit: Some(-1),
            signal: None,
            records: 4,
            bytes_in: 1,
            bytes_out: 2,
            ended: "2026-01-01T00:00:00Z".into(),
            seal: None,
        }));
        assert!(l.ends_with(r#""cause":"exit","exit":-1,"signal":null,"records":4,"bytes_in":1,"bytes_out":2,"ended":"2026-01-01T00:00:00Z"}"#), "{l}");
        let p = line(Body::Participant(Participant {
            event: "join".into(),
            who: "ops".into(),
            uid: Some(7),
            mode: None,
            extension: None,
        }));
        assert!(p.ends_with(r#""event":"join","who":"ops","uid":7}"#), "{p}");
        let x = line(Body::Participant(Participant {
            event: "extend".into(),
            who: "ops".into(),
            uid: Some(7),
            mode: None,
            extension: Some(crate::log::record::Extension {
                ttl_s: 5400,
                by_s: 1800,
            }),
        }));
        assert!(
            x.ends_with(r#""event":"extend","who":"ops","uid":7,"ttl_s":5400,"by_s":1800}"#),
            "{x}"
        );
    }
}
