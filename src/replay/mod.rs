//! Replay: an index with emulator keyframes for exact seeking, replay timing, key bindings
//! and search (pure or file-backed), and the terminal side, `player.rs` and `terminal.rs`,
//! which `cmd/replay.rs` starts.

pub mod describe;
pub mod index;
pub mod keys;
pub mod nav;
pub mod player;
pub mod search;
pub mod status;
pub mod terminal;
pub mod timing;
pub mod view;
