//! What replay says about records on its status line, pure over the index: events
//! (markers, joins, takes, the end, typed Enters) and who typed last, each person by the
//! name `ls` and `show` give them, untrusted text with its control characters made visible.

use super::index::Index;
use crate::log::kind::Kind;
use crate::log::record::{Body, Record};
use crate::time::position;
use crate::{review, safe};

/// What an event record says, or None for records that are not events; `user` and
/// `started` are the genesis's.
pub fn event(user: &str, started: &str, rec: &Record) -> Option<String> {
    let name = |by: &str| safe::text(review::who(by, user)).into_owned();
    Some(match &rec.body {
        Body::Marker { by, text } => format!("marker by {}: {}", name(by), safe::text(text)),
        Body::Participant(p) if p.event == "detach" => {
            format!("{}'s terminal went away (detached)", name(&p.who))
        }
        Body::Participant(p) if p.event == "attach" => {
            format!("{} attached again", name(&p.who))
        }
        Body::Participant(p) => match p.extension {
            Some(x) => crate::time::clock::extended(
                &name(&p.who),
                started,
                x.ttl_s,
                x.by_s,
                &crate::time::clock::local(),
            ),
            None => format!("{} {}", name(&p.who), safe::text(&p.event)),
        },
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

    const STARTED: &str = "2026-11-30T13:32:00Z";

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
            event(user, STARTED, &marker).unwrap(),
            format!("marker by {user}: disk<ESC>[2J full")
        );
        let join = rec(Body::Participant(Participant {
            event: "join".into(),
            who: "dave\u{202e}".into(),
            uid: Some(7),
            mode: None,
            extension: None,
        }));
        assert_eq!(event(user, STARTED, &join).unwrap(), "dave<U+202E> join");
        let extend = rec(Body::Participant(Participant {
            event: "extend".into(),
            who: "ops".into(),
            uid: Some(7),
            mode: None,
            extension: Some(crate::log::record::Extension {
                ttl_s: 5400,
                by_s: 1800,
            }),
        }));
        let said = event(user, STARTED, &extend).unwrap();
        let end =
            crate::time::clock::end_of(STARTED, std::time::Duration::from_secs(5400)).unwrap();
        let at = crate::time::clock::hhmm(end, &crate::time::clock::local());
        assert_eq!(said, format!("ops extended the session to {at} (+30m)"));
        let owner = |e: &str| {
            rec(Body::Participant(Participant {
                event: e.into(),
                who: "dave".into(),
                uid: Some(7),
                mode: None,
                extension: None,
            }))
        };
        assert_eq!(
            event(user, STARTED, &owner("detach")).unwrap(),
            "dave's terminal went away (detached)"
        );
        assert_eq!(
            event(user, STARTED, &owner("attach")).unwrap(),
            "dave attached again"
        );
        assert_eq!(
            event(user, STARTED, &rec(Body::Output(Data::Text("x".into())))),
            None
        );
    }
}
