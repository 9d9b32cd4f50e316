//! One module per subcommand.

pub mod attach;
pub mod ca;
pub mod completions;
pub mod export;
pub mod extend;
pub mod grep;
pub mod init;
pub mod ls;
pub mod man;
pub mod mark;
pub mod replay;
pub mod reveal;
pub mod shell;
pub mod ship;
pub mod show;
pub mod verify;
pub mod watch;
