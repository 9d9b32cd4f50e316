//! breakglass: recorded, watched, tamper-evident emergency shell access.
//!
//! The library holds everything; `main.rs` only parses the command line and maps errors
//! to exit statuses. See docs/ARCHITECTURE.md for how data flows through the threads.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod escapes;
pub mod fireid;
pub mod installed;
pub mod lenient;
pub mod live;
pub mod log;
pub mod mode;
pub mod replay;
pub mod review;
pub mod safe;
pub mod seal;
pub mod session;
pub mod ship;
pub mod sign;
pub mod size;
pub mod store;
pub mod suggest;
pub mod table;
pub mod term;
pub mod termstate;
pub mod time;
pub mod trust;
pub mod verdict;
pub mod witness;
