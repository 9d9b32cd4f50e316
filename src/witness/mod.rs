//! Witnesses held outside the session's own files: the syslog stream a session sends its
//! heads to, and reading those lines back for `verify --syslog`.

pub mod syslog;
