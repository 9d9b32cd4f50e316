//! `breakglass mark SESSION TEXT`: add a marker to a live session, shown to everyone.

use anyhow::Result;

use crate::cli::MarkArgs;
use crate::error::Failure;
use crate::live::client::{self, Answer};
use crate::live::protocol::MAX_MARKER;
use crate::store::Store;

pub fn run(args: &MarkArgs, store: &Store) -> Result<i32> {
    let text = args.text.join(" ");
    if text.trim().is_empty() || text.len() > MAX_MARKER {
        return Err(
            Failure::usage(format!("a marker needs text of 1 to {MAX_MARKER} bytes")).into(),
        );
    }
    let sf = store.resolve(&args.session)?;
    let mut hello = client::hello("mark");
    hello.text = Some(text);
    let (_, answer) = client::connect(&client::socket_path(store, &sf.id), &hello)?;
    if let Answer::Notice(n) = answer {
        eprintln!("{}: {n}", sf.id);
    }
    Ok(0)
}
