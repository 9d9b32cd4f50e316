//! Strict decoding of one session-log line into a [`Record`].
//!
//! Decoding refuses unknown and duplicate fields, wrong types and fields that do not belong
//! to the record's kind; the verifier then re-encodes the record and requires the very same
//! bytes, which also refuses other spacing, key order or escapes.

use serde::Deserialize;

use super::chain;
use super::kind::Kind;
use super::record::{
    Body, CertBinding, Data, End, Extension, Genesis, Participant, Record, decode_b64,
};
use super::seal;

/// Every field any kind may carry. Unknown names and duplicates are refused by serde.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    seq: u64,
    t: u64,
    k: String,
    prev: String,
    v: Option<u64>,
    session: Option<String>,
    host: Option<String>,
    user: Option<String>,
    uid: Option<u32>,
    reason: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    ticket: Option<Option<String>>,
    command: Option<Vec<String>>,
    cols: Option<u16>,
    rows: Option<u16>,
    term: Option<String>,
    started: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    ttl_s: Option<Option<u64>>,
    tool: Option<String>,
    origin: Option<String>,
    cert_serial: Option<String>,
    cert_key_id: Option<String>,
    cert_principals: Option<Vec<String>>,
    cert_valid_after: Option<u64>,
    cert_valid_before: Option<u64>,
    cert_ca: Option<String>,
    d: Option<String>,
    b: Option<String>,
    redacted: Option<u64>,
    sealed: Option<String>,
    by: Option<String>,
    text: Option<String>,
    event: Option<String>,
    who: Option<String>,
    mode: Option<String>,
    by_s: Option<u64>,
    cause: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    exit: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    signal: Option<Option<String>>,
    records: Option<u64>,
    bytes_in: Option<u64>,
    bytes_out: Option<u64>,
    ended: Option<String>,
    key: Option<String>,
    sig: Option<String>,
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`).
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn need<T>(v: Option<T>, name: &str, kind: Kind) -> Result<T, String> {
    v.ok_or_else(|| format!("`{kind}` record without its `{name}` field"))
}

fn data(raw: &mut Raw, kind: Kind) -> Result<Data, String> {
    if let Some(blob) = raw.sealed.take() {
        let len = match (
            kind,
            raw.d.is_none() && raw.b.is_none(),
            raw.redacted.take(),
        ) {
            (Kind::Input, true, Some(n)) => n,
            _ => return Err("`sealed` belongs only to an `i` record with `redacted`".into()),
        };
        return match decode_b64(&blob) {
            Some(blob) if blob.starts_with(crate::seal::AGE_MAGIC) => {
                Ok(Data::Sealed { len, blob })
            }
            Some(_) => Err("`sealed` is not an age file".into()),
            None => Err("`sealed` is not standard padded base64".into()),
        };
    }
    match (raw.d.take(), raw.b.take(), raw.redacted.take()) {
        (Some(d), None, None) => Ok(Data::Text(d)),
        (None, Some(b), None) => decode_b64(&b)
            .map(Data::Bytes)
            .ok_or_else(|| "`b` is not standard padded base64".to_string()),
        (None, None, Some(n)) if kind == Kind::Input => Ok(Data::Redacted(n)),
        _ if kind == Kind::Output => Err("an `o` record needs exactly one of `d` and `b`".into()),
        _ => Err("an `i` record needs exactly one of `d`, `b` and `redacted`".into()),
    }
}

/// The fire id certificate fields of a genesis: all of them or none.
fn cert(raw: &mut Raw) -> Result<Option<CertBinding>, String> {
    let parts = (
        raw.cert_serial.take(),
        raw.cert_key_id.take(),
        raw.cert_principals.take(),
        raw.cert_valid_after.take(),
        raw.cert_valid_before.take(),
        raw.cert_ca.take(),
    );
    match parts {
        (None, None, None, None, None, None) => Ok(None),
        (Some(serial), Some(key_id), Some(principals), Some(after), Some(before), Some(ca)) => {
            Ok(Some(CertBinding {
                serial,
                key_id,
                principals,
                valid_after: after,
                valid_before: before,
                ca,
            }))
        }
        _ => Err("a `g` record needs all of the `cert_` fields or none".into()),
    }
}

/// Decode one line. The error says what is wrong in words fit for a report.
pub fn decode(line: &[u8]) -> Result<Record, String> {
    let mut raw: Raw =
        serde_json::from_slice(line).map_err(|e| format!("not a valid record: {e}"))?;
    let prev = chain::from_hex(&raw.prev)
        .ok_or_else(|| "`prev` is not 64 lowercase hex digits".to_string())?;
    let kind: Kind = raw
        .k
        .parse()
        .map_err(|()| format!("unknown kind `{}`", raw.k))?;
    let body = match kind {
        Kind::Genesis => Body::Genesis(Box::new(Genesis {
            v: need(raw.v, "v", kind)?,
            session: need(raw.session.take(), "session", kind)?,
            host: need(raw.host.take(), "host", kind)?,
            user: need(raw.user.take(), "user", kind)?,
            uid: need(raw.uid, "uid", kind)?,
            reason: need(raw.reason.take(), "reason", kind)?,
            ticket: need(raw.ticket.take(), "ticket", kind)?,
            command: need(raw.command.take(), "command", kind)?,
            cols: need(raw.cols, "cols", kind)?,
            rows: need(raw.rows, "rows", kind)?,
            term: need(raw.term.take(), "term", kind)?,
            started: need(raw.started.take(), "started", kind)?,
            ttl_s: need(raw.ttl_s, "ttl_s", kind)?,
            tool: need(raw.tool.take(), "tool", kind)?,
            origin: need(raw.origin.take(), "origin", kind)?,
            cert: cert(&mut raw)?,
        })),
        Kind::Output => Body::Output(data(&mut raw, kind)?),
        Kind::Input => Body::Input {
            by: need(raw.by.take(), "by", kind)?,
            data: data(&mut raw, kind)?,
        },
        Kind::Resize => Body::Resize {
            cols: need(raw.cols, "cols", kind)?,
            rows: need(raw.rows, "rows", kind)?,
        },
        Kind::Marker => Body::Marker {
            by: need(raw.by.take(), "by", kind)?,
            text: need(raw.text.take(), "text", kind)?,
        },
        Kind::Participant => Body::Participant(Participant {
            event: need(raw.event.take(), "event", kind)?,
            who: need(raw.who.take(), "who", kind)?,
            uid: raw.uid,
            mode: raw.mode.take(),
            extension: match (raw.ttl_s.take(), raw.by_s) {
                (None, None) => None,
                (Some(Some(ttl_s)), Some(by_s)) => Some(Extension { ttl_s, by_s }),
                _ => {
                    return Err(
                        "a `p` record's `ttl_s` and `by_s` are numbers and go together".into(),
                    );
                }
            },
        }),
        Kind::End => Body::End(End {
            cause: need(raw.cause.take(), "cause", kind)?,
            exit: need(raw.exit, "exit", kind)?,
            signal: need(raw.signal.take(), "signal", kind)?,
            records: need(raw.records, "records", kind)?,
            bytes_in: need(raw.bytes_in, "bytes_in", kind)?,
            bytes_out: need(raw.bytes_out, "bytes_out", kind)?,
            ended: need(raw.ended.take(), "ended", kind)?,
            seal: seal::from_fields(raw.key.take(), raw.sig.take(), false)?,
        }),
        Kind::Checkpoint => Body::Checkpoint(
            seal::from_fields(raw.key.take(), raw.sig.take(), true)?
                .expect("a required seal is there"),
        ),
    };
    Ok(Record {
        seq: raw.seq,
        t: raw.t,
        prev,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::encode;

    fn z() -> String {
        "0".repeat(64)
    }

    #[test]
    fn round_trip_every_kind() {
        let lines = [
            format!(
                r#"{{"seq":0,"t":0,"k":"g","prev":"{}","v":1,"session":"abc","host":"h","user":"u","uid":1,"reason":"r","ticket":null,"command":["sh","-c"],"cols":80,"rows":24,"term":"xterm","started":"2026-01-01T00:00:00Z","ttl_s":60,"tool":"breakglass 0.1.0","origin":"o"}}"#,
                z()
            ),
            format!(
                r#"{{"seq":1,"t":5,"k":"o","prev":"{}","d":"é\u0000"}}"#,
                z()
            ),
            format!(
                r#"{{"seq":2,"t":5,"k":"i","prev":"{}","by":"owner","redacted":3}}"#,
                z()
            ),
            format!(
                r#"{{"seq":2,"t":5,"k":"i","prev":"{}","by":"owner","redacted":3,"sealed":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCg=="}}"#,
                z()
            ),
            format!(
                r#"{{"seq":3,"t":6,"k":"r","prev":"{}","cols":100,"rows":30}}"#,
                z()
            ),
            format!(
                r#"{{"seq":4,"t":6,"k":"m","prev":"{}","by":"ops","text":"look"}}"#,
                z()
            ),
            format!(
                r#"{{"seq":5,"t":7,"k":"p","prev":"{}","event":"take","who":"ops","uid":5,"mode":"operate"}}"#,
                z()
            ),
            format!(
                r#"{{"seq":6,"t":8,"k":"x","prev":"{}","cause":"signal","exit":null,"signal":"SIGHUP","records":7,"bytes_in":3,"bytes_out":3,"ended":"2026-01-01T00:00:01Z"}}"#,
                z()
            ),
        ];
        for l in lines {
            let rec = decode(l.as_bytes()).unwrap_or_else(|e| panic!("{l}: {e}"));
            let mut out = Vec::new();
            encode(&rec, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), l);
        }
    }

    #[test]
    fn refuses_unknown_duplicate_and_mixed_fields() {
        let base = format!(r#"{{"seq":1,"t":5,"k":"o","prev":"{}""#, z());
        for (tail, why) in [
            (r#","d":"a","x":1}"#, "unknown field"),
            (r#","d":"a","d":"b"}"#, "duplicate field"),
            (r#","d":"a","b":"YQ=="}"#, "exactly one"),
            (r#"}"#, "exactly one"),
            (r#","b":"YQ"}"#, "base64"),
            (r#","d":"a","sealed":"YQ=="}"#, "only to an `i`"),
        ] {
            let err = decode(format!("{base}{tail}").as_bytes()).unwrap_err();
            assert!(err.contains(why), "{tail}: {err}");
        }
        let i = format!(r#"{{"seq":1,"t":5,"k":"i","prev":"{}","by":"o""#, z());
        for (tail, why) in [
            (r#","sealed":"YQ=="}"#, "with `redacted`"),
            (
                r#","d":"a","redacted":1,"sealed":"YQ=="}"#,
                "with `redacted`",
            ),
            (r#","redacted":1,"sealed":"YQ=="}"#, "not an age file"),
            (r#","redacted":1,"sealed":"YQ"}"#, "base64"),
        ] {
            let err = decode(format!("{i}{tail}").as_bytes()).unwrap_err();
            assert!(err.contains(why), "{tail}: {err}");
        }
        assert!(decode(b"not json").is_err());
        let up = format!(
            r#"{{"seq":1,"t":5,"k":"o","prev":"{}","d":"a"}}"#,
            "A".repeat(64)
        );
        assert!(decode(up.as_bytes()).unwrap_err().contains("hex"));
    }
}
