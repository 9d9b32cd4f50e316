//! Record types of the session log; their one canonical encoding is `encode.rs`'s.

pub use super::encode::{decode_b64, encode, push_bytes_field, push_data, push_head};
pub use super::kind::Kind;

/// The recording format version written in the genesis line.
pub const FORMAT_VERSION: u64 = 1;

/// Payload of an `o` or `i` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Valid UTF-8, stored as `d`.
    Text(String),
    /// Anything else, stored as base64 in `b`.
    Bytes(Vec<u8>),
    /// Masked secret input: only its length is kept (`redacted`).
    Redacted(u64),
    /// Masked secret input sealed to the auditors' keys: its length (`redacted`) and the
    /// age-encrypted bytes (`sealed`), never the bytes in clear.
    Sealed { len: u64, blob: Vec<u8> },
}

impl Data {
    /// Number of session bytes this payload stands for.
    pub fn byte_len(&self) -> u64 {
        match self {
            Data::Text(s) => s.len() as u64,
            Data::Bytes(b) => b.len() as u64,
            Data::Redacted(n) | Data::Sealed { len: n, .. } => *n,
        }
    }

    /// The bytes, when they were kept.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Text(s) => Some(s.as_bytes()),
            Data::Bytes(b) => Some(b),
            Data::Redacted(_) | Data::Sealed { .. } => None,
        }
    }

    /// The masked byte count and whether the bytes were sealed (kept, encrypted) rather
    /// than dropped; None for input kept in clear.
    pub fn masked(&self) -> Option<(u64, bool)> {
        match self {
            Data::Redacted(n) => Some((*n, false)),
            Data::Sealed { len, .. } => Some((*len, true)),
            _ => None,
        }
    }
}

/// Line 0 of every session log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Genesis {
    pub v: u64,
    pub session: String,
    pub host: String,
    pub user: String,
    pub uid: u32,
    pub reason: String,
    pub ticket: Option<String>,
    pub command: Vec<String>,
    pub cols: u16,
    pub rows: u16,
    pub term: String,
    pub started: String,
    pub ttl_s: Option<u64>,
    pub tool: String,
    pub origin: String,
    /// The fire id certificate the session ran on (absent for other sessions).
    pub cert: Option<CertBinding>,
}

/// The OpenSSH user certificate a fire id session was issued, as the genesis binds it
/// (docs/FORMAT.md, "Fire id certificates").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertBinding {
    /// The certificate's serial, 16 lowercase hex digits.
    pub serial: String,
    pub key_id: String,
    pub principals: Vec<String>,
    /// Unix seconds.
    pub valid_after: u64,
    pub valid_before: u64,
    /// The CA key's fingerprint, `SHA256:` and unpadded base64 as ssh-keygen prints it.
    pub ca: String,
}

/// The last line: how and when the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub cause: String,
    pub exit: Option<i32>,
    pub signal: Option<String>,
    pub records: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub ended: String,
    /// The signature that covers this line and every line before it (signed sessions).
    pub seal: Option<super::seal::Seal>,
}

/// A participant event (`p`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub event: String,
    pub who: String,
    pub uid: Option<u32>,
    pub mode: Option<String>,
    /// An `extend` event's new time limit and what it added.
    pub extension: Option<Extension>,
}

/// What an `extend` participant event carries: the new time limit, counted from the
/// start as the genesis's `ttl_s` is, and how much it added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    pub ttl_s: u64,
    pub by_s: u64,
}

/// What a record says, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Genesis(Box<Genesis>),
    Output(Data),
    Input {
        by: String,
        data: Data,
    },
    Resize {
        cols: u16,
        rows: u16,
    },
    Marker {
        by: String,
        text: String,
    },
    Participant(Participant),
    /// A signature checkpoint (`s`): signs every line up to and including itself.
    Checkpoint(super::seal::Seal),
    End(End),
}

impl Body {
    /// The kind of this record.
    pub fn kind(&self) -> Kind {
        match self {
            Body::Genesis(_) => Kind::Genesis,
            Body::Output(_) => Kind::Output,
            Body::Input { .. } => Kind::Input,
            Body::Resize { .. } => Kind::Resize,
            Body::Marker { .. } => Kind::Marker,
            Body::Participant(_) => Kind::Participant,
            Body::Checkpoint(_) => Kind::Checkpoint,
            Body::End(_) => Kind::End,
        }
    }
}

/// One line of a session log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub t: u64,
    pub prev: crate::log::chain::Hash,
    pub body: Body,
}
