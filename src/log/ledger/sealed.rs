//! Signed ledger lines: a line's seal fields, and the signer a locked ledger signs with.

use std::sync::Arc;

use super::{Entry, Ledger};
use crate::log::seal::{self, Seal};
use crate::sign::Signer;

impl Entry {
    /// The line with a seal's fields before its closing brace.
    pub fn encode_sealed(&self, seal: Option<&Seal>, out: &mut Vec<u8>) {
        self.encode(out);
        if let Some(s) = seal {
            out.pop();
            seal::push(out, s);
            out.push(b'}');
        }
    }
}

impl Ledger {
    /// Sign every line appended from now on with this key.
    pub fn set_signer(&mut self, signer: Option<Arc<Signer>>) {
        self.signer = signer;
    }
}
