//! One module per subcommand.

pub mod completions;
pub mod ls;
pub mod shell;
pub mod verify;
