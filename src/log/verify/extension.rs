//! The verifier's rules for `extend` participant events: the new limit and what it added
//! on that event and no other, with `uid` and without `mode`, an addition of at least a
//! second, and a new limit that is the one before plus the addition (when the genesis set
//! a limit).

use crate::log::record::Participant;

/// Check one participant record against the limit so far; the limit after it.
pub(super) fn check(
    p: &Participant,
    limit_s: Option<u64>,
) -> Result<Option<u64>, (String, String)> {
    let bad = |e: &str, f: String| Err((e.to_string(), f));
    match (p.event.as_str(), p.extension) {
        ("extend", None) => bad(
            "an `extend` event with `ttl_s` and `by_s`",
            "neither".into(),
        ),
        ("extend", Some(x)) if p.uid.is_none() => bad(
            "an `extend` event with the `uid` of who extended",
            format!("no uid (ttl_s {})", x.ttl_s),
        ),
        ("extend", Some(_)) if p.mode.is_some() => {
            bad("an `extend` event without `mode`", "a `mode`".into())
        }
        ("extend", Some(x)) if x.by_s == 0 => bad("`by_s` of at least 1", "`by_s` 0".into()),
        ("extend", Some(x)) => match limit_s {
            Some(before) if before.checked_add(x.by_s) != Some(x.ttl_s) => bad(
                &format!("`ttl_s` {before} + {}", x.by_s),
                format!("`ttl_s` {}", x.ttl_s),
            ),
            _ => Ok(Some(x.ttl_s)),
        },
        (other, Some(_)) => bad(
            "`ttl_s` and `by_s` only on an `extend` event",
            format!("them on `{other}`"),
        ),
        (_, None) => Ok(limit_s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::Extension;

    fn p(event: &str, x: Option<(u64, u64)>) -> Participant {
        Participant {
            event: event.into(),
            who: "ops".into(),
            uid: Some(7),
            mode: None,
            extension: x.map(|(ttl_s, by_s)| Extension { ttl_s, by_s }),
        }
    }

    #[test]
    fn extensions_add_up_from_the_genesis_limit() {
        assert_eq!(check(&p("extend", Some((90, 30))), Some(60)), Ok(Some(90)));
        assert_eq!(check(&p("join", None), Some(90)), Ok(Some(90)));
        assert_eq!(check(&p("extend", Some((90, 30))), None), Ok(Some(90)));
        assert!(check(&p("extend", Some((100, 30))), Some(60)).is_err());
        assert!(check(&p("extend", Some((60, 0))), Some(60)).is_err());
        assert!(check(&p("extend", None), Some(60)).is_err());
        assert!(check(&p("join", Some((90, 30))), Some(60)).is_err());
        let mut anon = p("extend", Some((90, 30)));
        anon.uid = None;
        assert!(check(&anon, Some(60)).is_err());
        let mut moded = p("extend", Some((90, 30)));
        moded.mode = Some("operate".into());
        assert!(check(&moded, Some(60)).is_err());
    }
}
