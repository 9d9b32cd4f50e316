//! The session log: record types and the words of the format, the codec, hash chain,
//! session ids, writer, verifier and the ledger.
//!
//! Everything here except the writer and the ledger's file handling is pure and tested on
//! bytes in memory; docs/FORMAT.md is the same contract in prose.

pub mod cadence;
pub mod chain;
pub mod encode;
pub mod fast;
pub mod id;
pub mod json;
pub mod kind;
pub mod ledger;
pub mod lines;
pub mod parse;
pub mod plain;
pub mod read;
pub mod record;
pub mod report;
pub mod seal;
pub mod stream;
pub mod utf8;
pub mod verify;
pub mod vocab;
pub mod writer;
