//! One module per subcommand.

pub mod completions;
pub mod ls;
pub mod mark;
pub mod replay;
pub mod shell;
pub mod verify;
pub mod watch;
