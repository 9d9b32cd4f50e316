//! Replay: an index with emulator keyframes for exact seeking, replay timing, key bindings
//! and search. All pure or file-backed; the terminal side is `cmd/replay.rs`.

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
