//! What replay says about records on its status line, pure over the index: events
//! (markers, joins, takes, the end, typed Enters) and who typed last, each person by the
//! name `ls` and `show` give them, untrusted text with its control characters made visible.

use super::index::Index;
use crate::log::kind::Kind;
use crate::log::record::{Body, Record};
use crate::time::position;
use crate::{review, safe};

/// What an event record says, or None for records that are not events.
pub fn event(user: &str, rec: &Record) -> Option<String> {
    let name = |by: &str| safe::text(review::who(by, user)).into_owned();
    Some(match &rec.body {
        Body::Marker { by, text } => format!("marker by {}: {}", name(by), safe::text(text)),
        Body::Participant(p) => format!("{} {}", name(&p.who), safe::text(&p.event)),
        Body::Input { by, .. } => format!("Enter typed by {}", name(by)),
        Body::End(x) => format!(
            "the session ended ({}) at {}",
            safe::text(&x.cause),
            position(rec.t)
        ),
        _ => return None,
    })
}

/// Who typed last before position `upto`, what, and when (`i`).
pub fn last_typed(idx: &Index, upto: usize) -> String {
    let Some(i) = (0..upto.min(idx.entries.len()))
        .rev()
        .find(|&i| idx.entries[i].kind == Kind::Input)
    else {
        return "nothing typed yet".into();
    };
    match idx.record(i).map(|r| r.body) {
        Ok(Body::Input { by, data }) => {
            let what = match data.bytes() {
                Some(b) => safe::bytes(b),
                None => {
                    let (n, sealed) = data.masked().unwrap_or_default();
                    review::masked_label(n, sealed)
                }
            };
            format!(
                "{} typed {what} at {}",
                safe::text(review::who(&by, &idx.genesis.user)),
                position(idx.entries[i].t)
            )
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::{Data, Participant};
    use crate::log::writer::test_log;

    #[test]
    fn names_as_show_gives_them_and_controls_made_visible() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut w = test_log(&path, 80, 24);
        w.input(1_000_000, "owner", Data::Text("ls\r".into()))
            .unwrap();
        w.input(2_000_000, "carol", Data::Text("\x1b[A\x1b]0;x\x07".into()))
            .unwrap();
        w.input(3_000_000, "owner", Data::Redacted(6)).unwrap();
        let mut idx = Index::load(&path).unwrap();
        idx.genesis.user = "alice".into();
        let user = "alice";
        assert_eq!(last_typed(&idx, 1), "nothing typed yet");
        assert_eq!(last_typed(&idx, 2), format!("{user} typed ls^M at 00:01"));
        assert_eq!(
            last_typed(&idx, 3),
            "carol typed <ESC>[A<ESC>]0;x^G at 00:02"
        );
        assert_eq!(
            last_typed(&idx, 4),
            format!("{user} typed [redacted 6 bytes] at 00:03")
        );
        let rec = |body| Record {
            seq: 1,
            t: 5_000_000,
            prev: crate::log::chain::ZERO_HASH,
            body,
        };
        let marker = rec(Body::Marker {
            by: "owner".into(),
            text: "disk\x1b[2J full".into(),
        });
        assert_eq!(
            event(user, &marker).unwrap(),
            format!("marker by {user}: disk<ESC>[2J full")
        );
        let join = rec(Body::Participant(Participant {
            event: "join".into(),
            who: "dave\u{202e}".into(),
            uid: Some(7),
            mode: None,
        }));
        assert_eq!(event(user, &join).unwrap(), "dave<U+202E> join");
        assert_eq!(
            event(user, &rec(Body::Output(Data::Text("x".into())))),
            None
        );
    }
}
