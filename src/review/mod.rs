//! Reviewing recorded sessions: the pure parts of `export`, `show` and `grep`.
//!
//! Every module here works on records in memory, fed one at a time in log order, and
//! keeps only what it must (a line being typed, the emulated screen), so a session of any
//! length is reviewed in flat memory. Reading files and writing results is `src/cmd/`'s job.

pub mod asciicast;
pub mod json;
pub mod keys;
pub mod lines;
pub mod masked;
pub mod search;
pub mod text;
pub mod timeline;

/// The name of who typed: the session's user for `owner`, else the watcher's login name.
pub fn who<'a>(by: &'a str, user: &'a str) -> &'a str {
    if by == "owner" && !user.is_empty() {
        user
    } else {
        by
    }
}

/// How a control character reads: `^C`, `<ESC>`, `<TAB>`, `<DEL>`, `<U+0085>`.
pub fn control_name(c: char) -> String {
    crate::safe::name(c)
}

/// How views print masked input in place: `[sealed 25 bytes]` or `[redacted 25 bytes]`.
pub fn masked_label(len: u64, sealed: bool) -> String {
    let what = if sealed { "sealed" } else { "redacted" };
    let unit = if len == 1 { "byte" } else { "bytes" };
    format!("[{what} {len} {unit}]")
}

/// Text from the log made safe to print (see [`crate::safe`]).
pub fn visible(s: &str) -> String {
    crate::safe::text(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_named() {
        assert_eq!(
            visible("a\x03b\x1b[A\t\x7f\u{85}"),
            "a^Cb<ESC>[A<TAB><DEL><U+0085>"
        );
        assert_eq!(visible("plain é"), "plain é");
        assert_eq!(who("owner", "alice"), "alice");
        assert_eq!(who("bob", "alice"), "bob");
    }
}
