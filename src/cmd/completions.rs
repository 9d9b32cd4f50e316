//! `breakglass completions SHELL`: print completions generated from the CLI itself.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Generate completions for one shell into a string.
pub fn generate(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "breakglass", &mut out);
    String::from_utf8(out).expect("completions are UTF-8")
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<i32> {
    print!("{}", generate(args.shell));
    Ok(0)
}
