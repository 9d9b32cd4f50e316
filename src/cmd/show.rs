//! `breakglass show SESSION`: the session's timeline on the terminal, the same Markdown
//! as `export --format timeline`, after the same verification and warnings.

use std::io::{self, Write};

use anyhow::{Context, Result};

use crate::cli::ShowArgs;
use crate::cmd::export::seal;
use crate::log::read::Records;
use crate::review::timeline::Timeline;
use crate::store::Store;

pub fn run(args: &ShowArgs, store: &Store) -> Result<i32> {
    let sf = store.resolve(&args.session)?;
    let seal = seal(store, &sf)?;
    let mut tl = Timeline::new();
    for r in
        Records::open(&sf.path).with_context(|| format!("cannot read {}", sf.path.display()))?
    {
        tl.record(
            &r.with_context(|| format!("cannot read {}", sf.path.display()))?
                .1,
        );
    }
    let md = tl.render(&sf.id, &seal);
    match io::stdout().lock().write_all(md.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}
