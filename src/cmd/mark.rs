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
    let id = if crate::mode::installed() {
        crate::installed::store::resolve_live(store, Some(&args.session))?
    } else {
        store.resolve(&args.session)?.id
    };
    let mut hello = client::hello("mark");
    hello.text = Some(text);
    let (_, answer) = client::connect(&client::socket_path(store, &id), &hello)?;
    if let Answer::Notice(n) = answer {
        eprintln!("{id}: {n}");
    }
    Ok(0)
}
