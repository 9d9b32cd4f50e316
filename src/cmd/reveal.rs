//! `breakglass reveal SESSION --identity FILE`: open the session's sealed input with an
//! auditor's age identity and print each with its time, seq and who typed it, control
//! characters made visible. The session is verified first, as `show` and `export` do.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::cmd::export::seal as verify_first;
use crate::error::Exit;
use crate::log::read::Records;
use crate::log::record::{Body, Data, Record};
use crate::review::who;
use crate::safe;
use crate::seal::{OpenError, load_identities, open};
use crate::store::Store;
use crate::time::offset_ms;

pub const REVEAL_HELP: &str = "\
Masked input (what was typed at a password prompt, or while the terminal did not echo) is
sealed in the log when the config has `seal_to = [\"age1...\"]`: encrypted to those age
public keys, never stored in clear. reveal decrypts it with the matching identity (the
secret key file made by age-keygen) and prints one line per sealed input:

  +00:12.345  seq 14  alice  hunter2

Control characters are shown by name (^C, <ESC>, <TAB>), bytes that are not UTF-8 as <0xNN>.
Masked input recorded without seal_to was dropped: it is listed as redacted, with its length.

Exit status: 0 every sealed input opened; 1 some could not be opened (sealed to other keys,
or damaged); 2 usage or I/O error.

Examples:
  breakglass reveal k3f9 --identity ~/auditor.agekey
  breakglass reveal last -i /secure/auditor.agekey | less";

#[derive(Debug, Args)]
pub struct RevealArgs {
    /// The session (id prefix, `last`) or a .jsonl file
    #[arg(value_name = "SESSION|FILE")]
    pub session: String,

    /// age identity file holding the auditor's secret key (AGE-SECRET-KEY-1...)
    #[arg(short, long, value_name = "FILE")]
    pub identity: PathBuf,
}

/// What reveal found in a session.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Revealed {
    /// The lines to print, in order.
    pub lines: Vec<String>,
    pub sealed: u64,
    pub opened: u64,
    /// Masked inputs that were dropped (no `seal_to`) and their bytes.
    pub redacted: (u64, u64),
}

/// Open every sealed input of `records` with `identities`.
pub fn reveal(
    records: impl IntoIterator<Item = Record>,
    identities: &[Box<dyn age::Identity>],
) -> Revealed {
    let mut out = Revealed::default();
    let mut user = String::new();
    for rec in records {
        let (by, data) = match &rec.body {
            Body::Genesis(g) => {
                user = g.user.clone();
                continue;
            }
            Body::Input { by, data } => (by, data),
            _ => continue,
        };
        let head = format!(
            "{}  seq {}  {}",
            offset_ms(rec.t),
            rec.seq,
            safe::text(who(by, &user))
        );
        match data {
            Data::Sealed { len, blob } => {
                out.sealed += 1;
                match open(identities, blob) {
                    Ok(bytes) => {
                        out.opened += 1;
                        out.lines.push(format!("{head}  {}", safe::bytes(&bytes)));
                    }
                    Err(OpenError::NoMatchingKey) => out.lines.push(format!(
                        "{head}  [sealed {len} bytes: sealed to other keys than this identity]"
                    )),
                    Err(e) => out.lines.push(format!("{head}  [sealed {len} bytes: {e}]")),
                }
            }
            Data::Redacted(n) => {
                out.redacted.0 += 1;
                out.redacted.1 += n;
                out.lines.push(format!(
                    "{head}  [redacted {n} bytes: dropped when recorded, seal_to was not set]"
                ));
            }
            _ => {}
        }
    }
    out
}

pub fn run(args: &RevealArgs, store: &Store) -> Result<i32> {
    let identities = load_identities(&args.identity)?;
    let sf = store.resolve(&args.session)?;
    verify_first(store, &sf)?;
    let mut records = Vec::new();
    let mut reader =
        Records::open(&sf.path).with_context(|| format!("cannot read {}", sf.path.display()))?;
    while let Some((_, r)) = reader
        .next_record()
        .with_context(|| format!("cannot read {}", sf.path.display()))?
    {
        records.push(r);
    }
    let found = reveal(records, &identities);
    let mut text = found.lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&summary(&sf.id, &found));
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if found.opened < found.sealed {
        Exit::Negative
    } else {
        Exit::Success
    }
    .code())
}

/// The closing line: how many were opened, and what was dropped.
fn summary(id: &str, f: &Revealed) -> String {
    let mut s = format!(
        "session {}: {} sealed input{}, {} opened",
        safe::text(id),
        f.sealed,
        if f.sealed == 1 { "" } else { "s" },
        f.opened
    );
    if f.redacted.0 > 0 {
        s.push_str(&format!(
            "; {} masked input{} ({} bytes) dropped, not sealed",
            f.redacted.0,
            if f.redacted.0 == 1 { "" } else { "s" },
            f.redacted.1
        ));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::Genesis;
    use crate::seal::Sealer;

    fn rec(seq: u64, t: u64, body: Body) -> Record {
        Record {
            seq,
            t,
            prev: ZERO_HASH,
            body,
        }
    }

    #[test]
    fn opens_sealed_input_and_lists_what_was_dropped() {
        let id = age::x25519::Identity::generate();
        let sealer = Sealer::parse(&[id.to_public().to_string()]).unwrap();
        let blob = sealer.seal(b"touch /tmp/HIDDEN\x1b[2J").unwrap();
        let records = vec![
            rec(
                0,
                0,
                Body::Genesis(Box::new(Genesis {
                    user: "alice".into(),
                    ..Genesis::default()
                })),
            ),
            rec(
                1,
                12_345_000,
                Body::Input {
                    by: "owner".into(),
                    data: Data::Sealed { len: 21, blob },
                },
            ),
            rec(
                2,
                13_000_000,
                Body::Input {
                    by: "bob".into(),
                    data: Data::Redacted(7),
                },
            ),
        ];
        let ids: Vec<Box<dyn age::Identity>> = vec![Box::new(id)];
        let got = reveal(records.clone(), &ids);
        assert_eq!(
            got.lines,
            [
                "+00:12.345  seq 1  alice  touch /tmp/HIDDEN<ESC>[2J",
                "+00:13.000  seq 2  bob  [redacted 7 bytes: dropped when recorded, seal_to was not set]"
            ]
        );
        assert_eq!((got.sealed, got.opened, got.redacted), (1, 1, (1, 7)));
        assert!(
            summary("abc", &got)
                .contains("1 sealed input, 1 opened; 1 masked input (7 bytes) dropped")
        );
        let other: Vec<Box<dyn age::Identity>> = vec![Box::new(age::x25519::Identity::generate())];
        let got = reveal(records, &other);
        assert_eq!(got.opened, 0);
        assert!(
            got.lines[0].ends_with("[sealed 21 bytes: sealed to other keys than this identity]")
        );
    }
}
